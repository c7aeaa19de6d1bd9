"""Real Chromium for browser tests (a pytest plugin): Debian's /usr/bin/chromium driven by
Playwright, one browser for consecutive browser tests, a fresh context (own storage,
locale, viewport) per page, and a record of what went wrong on each page.

    @pytest.mark.browser
    def test_something(open_page, stack):
        shop = open_page(stack.gateway_url + "/", locale="de-DE", width=390, height=844)
        shop.page.click("...")
        shop.assert_clean()          # no uncaught errors, console errors or CSP violations

Playwright's own browser download is not used (no internet here):
`scripts/setup_browser.sh` installs Debian's chromium, and `make test` runs it first.
A failing test leaves a screenshot of each of its pages in tests/artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "tests" / "artifacts"
DEFAULT_TIMEOUT_MS = 15_000

# Runs before any page script, in every frame: keeps the page's CSP violation reports.
# (Injected through the DevTools protocol, so the page's own CSP does not block it.)
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, line: e.lineNumber, sample: e.sample});
}, true);
"""


@dataclass
class WatchedPage:
    """A page and everything it reported: console errors, uncaught errors, dialogs."""

    page: Page
    context: BrowserContext
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("window.__cspViolations || []"))

    def assert_clean(self, allow_console: str | None = None) -> None:
        """No uncaught exception, no CSP violation, no dialog, and no console error other
        than ones matching `allow_console` (a regex, e.g. an expected refused socket)."""
        console = [
            m for m in self.console_errors if not (allow_console and re.search(allow_console, m))
        ]
        assert self.page_errors == [], self.page_errors
        assert self.csp_violations() == []
        assert "Content Security Policy" not in " ".join(self.console_errors)
        assert console == [], console
        assert self.dialogs == [], self.dialogs


def new_context(
    browser: Browser, *, locale: str = "en-US", width: int = 1280, height: int = 800, **options: Any
) -> BrowserContext:
    """A fresh, isolated browser context (own cookies and storage) with a locale and size."""
    context = browser.new_context(
        locale=locale, viewport={"width": width, "height": height}, **options
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(_WATCH_CSP)
    return context


def watch(page: Page, context: BrowserContext) -> WatchedPage:
    watched = WatchedPage(page, context)
    page.on(
        "console", lambda m: watched.console_errors.append(m.text) if m.type == "error" else None
    )
    page.on("pageerror", lambda e: watched.page_errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:  # a page that pops a dialog is a finding, not a hang
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return watched


class _Chromium:
    """The one Chromium of a run of consecutive browser tests.

    Playwright's sync API keeps its asyncio loop marked as running in the main thread for
    as long as it lives, so `asyncio.run()` and pytest-asyncio fail in any test that runs
    while it is up. It therefore starts with the first browser test and stops as soon as
    the next test does not need it (see pytest_runtest_teardown below): one browser for a
    whole test module, never one per test.
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Browser | None = None

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def get(self) -> Browser:
        if self._browser is None:
            if not os.access(CHROMIUM, os.X_OK):
                pytest.fail(
                    f"{CHROMIUM} not found: run `bash scripts/setup_browser.sh` "
                    "(installs Debian's chromium) or set CHROMIUM_PATH",
                    pytrace=False,
                )
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True
            )
        return self._browser

    def stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()
            self._browser = self._playwright = None


_CHROMIUM = _Chromium()


@pytest.fixture
def browser() -> Browser:
    """Debian's Chromium, headless, shared by consecutive browser tests (started once)."""
    return _CHROMIUM.get()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield  # the test's own fixtures (its pages and contexts) are closed by now
    if _CHROMIUM.running and "browser" not in getattr(nextitem, "fixturenames", ()):
        _CHROMIUM.stop()
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _CHROMIUM.running:
        _CHROMIUM.stop()


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def open_page(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Callable[..., WatchedPage]]:
    """Factory: `open_page(url=None, *, locale, width, height, **context_options)` opens a
    page in its own fresh context; all are closed after the test."""
    opened: list[WatchedPage] = []

    def _open(url: str | None = None, **options: Any) -> WatchedPage:
        context = new_context(browser, **options)
        watched = watch(context.new_page(), context)
        opened.append(watched)
        if url is not None:
            watched.page.goto(url)
        return watched

    yield _open
    call = request.node.stash.get(_REPORTS, {}).get("call")
    failed = call is not None and call.failed
    for i, watched in enumerate(opened):
        if failed and not watched.page.is_closed():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            try:
                watched.page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"))
            except Exception:  # noqa: BLE001 - a screenshot is a courtesy, never the error
                pass
        watched.context.close()
