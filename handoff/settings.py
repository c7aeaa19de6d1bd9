"""One frozen settings object, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _list(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6390/0"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    allowed_origins: tuple[str, ...] = ()
    # reverse proxies whose X-Forwarded-For we believe (addresses); none by default, so a
    # client can't pick its own address for the per-client limits
    trusted_proxies: tuple[str, ...] = ()
    max_text_chars: int = 5000
    rasa_timeout_s: float = 10.0
    translator: str = "none"  # none | libre | google | deepl | microsoft | mymemory
    translator_url: str = ""
    translator_key: str = ""
    translator_timeout_s: float = 3.0
    customer_token_secret: str = ""
    rasa_token: str = ""  # RASA_TOKEN: Rasa runs with --auth-token; its HTTP API needs it
    instance: str = "gw-1"
    demo_accounts: bool = False
    grace_s: float | None = None  # overrides handoff.yml (tests)
    chat_hours: str = ""  # "HH:MM-HH:MM" overrides handoff.yml's hours (tests, demos)
    sweep_every_s: float = 2.0
    test_hooks: bool = False  # GATEWAY_TEST_HOOKS=1: test-only routes (handoff/testhooks.py)
    # trainer console: where data/nlu and data/responses live ("" = this repository), where
    # models are written and activated from ("" = <repo>/models), how many to keep on disk
    trainer_data_root: str = ""
    models_dir: str = ""
    keep_models: int = 5
    # retention: conversations, transcripts and Rasa trackers expire this long after their
    # last activity; case records (reports) are kept longer
    # how often the leader scans shipments for notices (0 = none; NOTICES_EVERY_S, 300 by
    # default in a deployment, off for apps built in unit tests)
    notices_every_s: float = 0.0
    retention_days: float = 90.0
    case_retention_days: float = 1095.0
    # email channel (handoff/channels/email): outbound SMTP ("" = no email is sent), the
    # inbound SMTP listener's port (0 = off), our sender and Message-ID domain, limits
    smtp_url: str = ""
    email_inbound_host: str = "127.0.0.1"
    email_inbound_port: int = 0
    email_from: str = "Customer Care <care@shop.example>"
    email_domain: str = "shop.example"
    email_max_bytes: int = 15_000_000  # one inbound message
    email_max_attachment_bytes: int = 5_000_000  # one attachment kept for the agent
    csat_mode: str = "agent"  # CSAT_MODE: off | agent (after agent chats) | all
    # red-light alerts (handoff/reports/watcher.py): how often the leader recomputes them
    # (ALERTS_EVERY_S, 300 in a deployment, 0 = off, the default for apps built in tests),
    # where new alerts are POSTed (Slack-compatible JSON), who gets the weekly digest mail
    alerts_every_s: float = 0.0
    alert_webhook_url: str = ""
    digest_to: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        port = int(e.get("GATEWAY_PORT", "8080"))
        host = e.get("GATEWAY_HOST", "127.0.0.1")
        public = e.get("GATEWAY_PUBLIC_URL", f"http://{host}:{port}")
        origins = _list(e.get("ALLOWED_ORIGINS", "")) or (public,)
        return cls(
            redis_url=e.get("REDIS_URL", cls.redis_url),
            rasa_url=e.get("RASA_URL", cls.rasa_url).rstrip("/"),
            action_server_url=e.get("ACTION_SERVER_URL", cls.action_server_url).rstrip("/"),
            host=host,
            port=port,
            public_url=public,
            allowed_origins=origins,
            trusted_proxies=_list(e.get("TRUSTED_PROXIES", "")),
            max_text_chars=int(e.get("MAX_TEXT_CHARS", "5000")),
            rasa_timeout_s=float(e.get("RASA_TIMEOUT_S", "10")),
            translator=e.get("TRANSLATOR", "none").lower(),
            translator_url=e.get("TRANSLATOR_URL", ""),
            translator_key=e.get("TRANSLATOR_KEY", ""),
            translator_timeout_s=float(e.get("TRANSLATOR_TIMEOUT_S", "3")),
            customer_token_secret=e.get("CUSTOMER_TOKEN_SECRET", ""),
            rasa_token=e.get("RASA_TOKEN", ""),
            instance=e.get("GATEWAY_INSTANCE", f"gw-{port}"),
            demo_accounts=e.get("DEMO_ACCOUNTS", "0") == "1",
            grace_s=float(e["HANDOFF_GRACE_S"]) if e.get("HANDOFF_GRACE_S") else None,
            chat_hours=e.get("HANDOFF_CHAT_HOURS", ""),
            sweep_every_s=float(e.get("HANDOFF_SWEEP_S", "2")),
            test_hooks=e.get("GATEWAY_TEST_HOOKS", "0") == "1",
            trainer_data_root=e.get("TRAINER_DATA_ROOT", ""),
            models_dir=e.get("MODELS_DIR", ""),
            keep_models=int(e.get("KEEP_MODELS", "5")),
            notices_every_s=float(e.get("NOTICES_EVERY_S", "300")),
            retention_days=float(e.get("RETENTION_DAYS", "90")),
            case_retention_days=float(e.get("CASE_RETENTION_DAYS", "1095")),
            smtp_url=e.get("SMTP_URL", ""),
            email_inbound_host=e.get("EMAIL_INBOUND_HOST", "127.0.0.1"),
            email_inbound_port=int(e.get("EMAIL_INBOUND_PORT", "0")),
            email_from=e.get("EMAIL_FROM", cls.email_from),
            email_domain=e.get("EMAIL_DOMAIN", cls.email_domain).lower(),
            email_max_bytes=int(e.get("EMAIL_MAX_BYTES", "15000000")),
            email_max_attachment_bytes=int(e.get("EMAIL_MAX_ATTACHMENT_BYTES", "5000000")),
            csat_mode=e.get("CSAT_MODE", "agent").strip().lower(),
            alerts_every_s=float(e.get("ALERTS_EVERY_S", "300")),
            alert_webhook_url=e.get("ALERT_WEBHOOK_URL", "").strip(),
            digest_to=_list(e.get("DIGEST_TO", "")),
        )
