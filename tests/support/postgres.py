"""A throwaway PostgreSQL 15 cluster (Debian's binaries) on a free loopback port, for tests.

initdb refuses to run as root, so the cluster belongs to the `postgres` user: its data
directory and socket directory live in a temp dir chown'ed to that user. `cluster()` is the
plain context manager (the benches use it too); `postgres_url` is the pytest fixture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.dev.launcher import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() != 0:
        return list(args)
    return ["runuser", "-u", "postgres", "--", *args]


def missing() -> str | None:
    """Why no cluster can be started here, or None."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL 15 binaries not found in {PG_BIN}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start postgres as its own user"
    return None


@contextlib.contextmanager
def cluster(fsync: bool = False) -> Iterator[str]:
    """Starts a cluster with an empty `reports` database; yields its URL; stops and deletes it.

    Tests run with fsync off (speed); benches pass `fsync=True`, the server default."""
    tmp = Path(tempfile.mkdtemp(prefix="xb-pg-"))
    data = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync={'on' if fsync else 'off'}"
    )
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(tmp / "log"),
            "start",
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        subprocess.run(
            _as_postgres(
                str(PG_BIN.parent / "bin" / "createdb") if (PG_BIN / "createdb").exists()
                else "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "reports",
            ),
            check=True,
        )  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}/reports"
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    with cluster() as url:
        yield url
