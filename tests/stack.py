"""The real stack for integration tests: Redis, Rasa, action server and gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.launcher import Stack, ensure_model


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_store: Path):  # type: ignore[no-untyped-def]
    var = tmp_path_factory.mktemp("stack-var")
    (var / "shop").mkdir()
    (var / "shop" / "sample_store.json").write_bytes(sample_store.read_bytes())
    running = Stack.ephemeral(var, model=ensure_model())
    try:
        running.start()
        yield running
    except Exception:
        for name in ("redis", "actions", "rasa", "gateway"):
            log = var / f"{name}.log"
            if log.exists():
                print(f"---- {name}.log (tail) ----\n" + log.read_text()[-3000:])
        raise
    finally:
        running.stop()
