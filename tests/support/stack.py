"""The real stack for integration tests: Redis, Rasa, action server and gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.dev.launcher import Stack, ensure_model
from tests.support.fake_libretranslate import FakeLibreTranslate
from tests.support.smtp_relay import SmtpRelay

CUSTOMER_TOKEN_SECRET = "test-storefront-secret"


@pytest.fixture(scope="session")
def libre_server():  # type: ignore[no-untyped-def]
    """The machine-translation provider the stack's gateway is configured with."""
    server = FakeLibreTranslate().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_relay():  # type: ignore[no-untyped-def]
    """The SMTP relay the stack's gateway sends its outbound email through."""
    relay = SmtpRelay().start()
    yield relay
    relay.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_store: Path, libre_server, smtp_relay):  # type: ignore[no-untyped-def]
    var = tmp_path_factory.mktemp("stack-var")
    (var / "shop").mkdir()
    (var / "shop" / "sample_store.json").write_bytes(sample_store.read_bytes())
    running = Stack.ephemeral(
        var,
        model=ensure_model(),
        extra_env={
            "TRANSLATOR": "libre",
            "TRANSLATOR_URL": libre_server.url,
            "TRANSLATOR_KEY": "test",
            "TRANSLATOR_TIMEOUT_S": "1",
            "HANDOFF_GRACE_S": "3",
            "HANDOFF_SWEEP_S": "0.5",
            # test-only routes (handoff/testhooks.py), e.g. dropping a shopper's socket
            "GATEWAY_TEST_HOOKS": "1",
            # storefront-signed customer tokens (the widget's data-customer-token)
            "CUSTOMER_TOKEN_SECRET": CUSTOMER_TOKEN_SECRET,
            # the tests are the reverse proxy: a test that needs its own client address
            # (the per-address verification limit) sends X-Forwarded-For
            "TRUSTED_PROXIES": "127.0.0.1",
            # the review loop's SQL store: this stack's own SQLite file, not the checkout's var/
            "DATABASE_URL": f"sqlite:///{var / 'reports.sqlite3'}",
            # outbound email to the test relay (instead of the embedded catcher)
            "SMTP_URL": smtp_relay.url,
        },
    )
    try:
        running.start()
        yield running
    except Exception:
        for name in ("redis", "actions", "rasa", "gateway", "mailcatcher"):
            log = var / f"{name}.log"
            if log.exists():
                print(f"---- {name}.log (tail) ----\n" + log.read_text()[-3000:])
        raise
    finally:
        running.stop()
