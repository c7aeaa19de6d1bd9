"""The trainer console in a real browser, on the real stack.

Log in as a trainer -> add an example (entity marked by selecting text) -> train on
English only -> see the held-out evaluation next to the active model's -> activate ->
/api/analyze answers with the new model -> roll back -> the old model answers again.

The console runs in its own gateway process on a temporary copy of data/ and a temporary
models folder, pointed at the session stack's Redis and Rasa. Activation swaps the model
of that shared Rasa server, so the test rolls back (and, should anything fail, puts the
original model back itself) before other tests use it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handoff.dev.launcher import ROOT, free_port, wait_http
from handoff.rasa_client import with_token

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PHRASE = "the teapot sings whenever the courier knocks"
ORDER = "XB-771204"
TARGET = "human_handoff"


def http_json(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    req = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Connection": "close"},
    )
    with urllib.request.urlopen(req, timeout=180) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def rasa_models(rasa_url: str, token: str, polls: int = 12) -> set[str]:
    """The model names Rasa's workers report (each poll on a new connection)."""
    url = with_token(f"{rasa_url}/status", token)
    return {http_json("GET", url)["model_file"] for _ in range(polls)}


def restore(rasa_url: str, token: str, path: Path) -> None:
    """Put `path` back on every worker (a PUT reaches one worker; repeat until all agree)."""
    for _ in range(20):
        if rasa_models(rasa_url, token, 16) == {path.name}:
            return
        http_json("PUT", with_token(f"{rasa_url}/model", token), {"model_file": str(path)})
    raise AssertionError(f"could not restore {path.name} on every Rasa worker")


@pytest.fixture
def console(stack: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A gateway serving the trainer console on temp data and models, on the shared stack."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "data", root / "data")
    models = tmp_path / "models"
    port = free_port()
    token = stack.secrets()["RASA_TOKEN"]
    original = http_json("GET", with_token(f"{stack.rasa_url}/status", token))["model_file"]
    original_path = ROOT / "models" / original
    assert original_path.exists()
    env = {
        **stack.env(),
        "GATEWAY_PORT": str(port),
        "TRAINER_DATA_ROOT": str(root),
        "MODELS_DIR": str(models),
        "DEMO_ACCOUNTS": "1",
        "GATEWAY_INSTANCE": "gw-trainer",
    }
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "handoff.dev.gateway"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", 60, proc)
        yield {
            "url": url,
            "root": root,
            "models": models,
            "original": original_path,
            "rasa": stack.rasa_url,
            "rasa_token": token,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        restore(stack.rasa_url, token, original_path)  # whatever happened, other tests get it back
        for line in (tmp_path / "gateway.log").read_text(errors="replace").splitlines()[-15:]:
            print("gateway:", line)


def analyze(url: str, text: str) -> dict[str, Any]:
    return dict(http_json("POST", f"{url}/api/analyze", {"text": text}))


# training, evaluation, activation on every worker and rollback each may take minutes on a
# loaded 2-core CI machine; the per-step waits below bound each one.
@pytest.mark.timeout(1200)
def test_add_train_evaluate_activate_rollback(console: dict[str, Any], browser: Any) -> None:
    url, rasa = console["url"], console["rasa"]
    text = f"{PHRASE}, order {ORDER}"
    before = analyze(url, text)
    assert before["intent"] != TARGET, "pick a phrase the current model does not know"
    timings: dict[str, float] = {}

    page = browser.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/trainer/")
    page.fill("#login-name", "tom")
    page.fill("#login-password", "demo-tom-2026")
    page.click("#login-submit")
    page.wait_for_selector(f"#coverage-table td[data-intent='{TARGET}'][data-lang='en']")
    assert "Tom" in page.inner_text("#who")

    # coverage cell -> the examples of that intent and language
    page.click(f"#coverage-table td[data-intent='{TARGET}'][data-lang='en']")
    page.wait_for_selector("#ex-list li")
    assert page.input_value("#ex-intent") == TARGET
    # an example with the order number marked as an entity by selecting it
    page.fill("#ex-new", text)
    start = text.index(ORDER)
    page.eval_on_selector(
        "#ex-new", f"el => {{ el.focus(); el.setSelectionRange({start}, {start + len(ORDER)}); }}"
    )
    page.select_option("#ex-entity", "order_id")
    page.click("#ex-mark")
    annotated = f"{PHRASE}, order [{ORDER}](order_id)"
    assert page.input_value("#ex-new") == annotated
    page.click("#ex-add")
    page.wait_for_function(
        "() => document.querySelector('#ex-message').textContent.includes('Added')"
    )
    handoff_file = console["root"] / "data" / "nlu" / "en" / "handoff.yml"
    assert f"    - {annotated}\n" in handoff_file.read_text(encoding="utf-8")
    repo_file = ROOT / "data" / "nlu" / "en" / "handoff.yml"
    assert annotated not in repo_file.read_text(encoding="utf-8")

    # a wrong-language example is refused with a clear message, nothing written
    page.fill("#ex-new", "je veux parler à un conseiller humain tout de suite")
    page.click("#ex-add")
    page.wait_for_function(
        "() => document.querySelector('#ex-message').classList.contains('error')"
    )
    assert "looks like fr" in page.inner_text("#ex-message")
    assert "conseiller" not in handoff_file.read_text(encoding="utf-8")

    # train English only; progress streams in; evaluation next to the active model's
    page.click("nav button[data-tab='train']")
    page.wait_for_selector("#train-langs input[data-lang='en']")
    for box in page.query_selector_all("#train-langs input[type=checkbox]"):
        if box.get_attribute("data-lang") != "en":
            box.uncheck()
    started = time.monotonic()
    page.click("#train-start")
    page.wait_for_selector(
        "#train-stages li:has-text('training TfidfSvmIntentClassifier')", timeout=180_000
    )
    timings["first_component_s"] = time.monotonic() - started
    page.wait_for_selector("#train-result:not([hidden])", timeout=300_000)
    timings["train_and_evaluate_s"] = time.monotonic() - started
    stages = page.inner_text("#train-stages")
    assert "no epochs" in stages and "model saved" in stages
    new_model = page.inner_text("#train-model")
    assert new_model.startswith("model-") and new_model.endswith("-en.tar.gz")
    assert page.inner_text("#train-active") == console["original"].name
    row = page.query_selector("#train-compare tr[data-lang='en']")
    cells = [c.inner_text() for c in row.query_selector_all("td")]
    new_f1, active_f1 = float(cells[0]), float(cells[1])
    assert 0.8 <= new_f1 <= 1 and 0.8 <= active_f1 <= 1
    assert (console["models"] / new_model).exists()

    # activate: every Rasa worker loads it, and /api/analyze answers with it
    started = time.monotonic()
    page.click("#train-activate")
    page.wait_for_function(
        "() => document.querySelector('#models-message').textContent"
        ".includes('active on every worker')",
        timeout=300_000,
    )
    timings["activate_s"] = time.monotonic() - started
    assert rasa_models(rasa, console["rasa_token"]) == {new_model}
    after = analyze(url, text)
    assert after["intent"] == TARGET, after
    page.click("nav button[data-tab='analyze']")
    page.fill("#an-text", text)
    page.click("#an-go")
    page.wait_for_selector("#an-result:not([hidden])")
    assert page.inner_text("#an-intent").startswith(TARGET)
    assert ORDER in page.inner_text("#an-entities")

    # roll back: the original model answers again
    page.click("nav button[data-tab='train']")
    page.wait_for_selector(f"#models-table tr[data-model='{new_model}'].active")
    assert console["original"].name in page.inner_text("#models-rollback-to")
    started = time.monotonic()
    page.click("#models-rollback")
    page.wait_for_function(
        "() => document.querySelector('#models-message').textContent.includes('Rolled back')",
        timeout=300_000,
    )
    timings["rollback_s"] = time.monotonic() - started
    assert rasa_models(rasa, console["rasa_token"]) == {console["original"].name}
    assert analyze(url, text)["intent"] == before["intent"]
    assert not errors, errors
    print("trainer browser timings:", {k: round(v, 1) for k, v in timings.items()})
