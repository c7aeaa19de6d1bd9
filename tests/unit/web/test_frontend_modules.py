"""The static front end: pages load their scripts from /static/ (strict CSP, no inline
script), the staff pages import only what static/shared/ui.js exports, no script builds
HTML from data, the widget's UI strings are complete in every native language, and the
shared reconnecting socket backs off with full jitter (run in Node when it is installed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from handoff.web.pages import STATIC
from scripts import check_copy, widget_size

SHARED = STATIC / "shared" / "ui.js"
WIDGET = STATIC / "widget.js"
PAGES = sorted(STATIC.glob("*/index.html"))
STAFF_SCRIPTS = [STATIC / "console" / "console.js", STATIC / "trainer" / "trainer.js"]
ALL_JS = sorted(STATIC.rglob("*.js"))
NODE = shutil.which("node")

IMPORT = re.compile(r"""\bimport\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']""", re.S)
EXPORT_DECL = re.compile(
    r"^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)", re.M
)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}", re.M)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def imports(source: str) -> list[tuple[str, list[str]]]:
    """(module, [imported names]) per `import { ... } from "module"` (as-renames resolved
    to the exported name)."""
    found = []
    for names, module in IMPORT.findall(source):
        found.append((module, [n.split(" as ")[0].strip() for n in names.split(",") if n.strip()]))
    return found


def exports(source: str) -> set[str]:
    names = set(EXPORT_DECL.findall(source))
    for group in EXPORT_LIST.findall(source):
        names |= {n.split(" as ")[-1].strip() for n in group.split(",") if n.strip()}
    return names


class Scripts(HTMLParser):
    """Every <script> of a page: its attributes and inline text; inline handlers/styles."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.inline_attrs: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.inline_attrs.append(f"<{tag} {name}>")
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip())


def parse_page(path: Path) -> Scripts:
    parser = Scripts()
    parser.feed(read(path))
    parser.close()
    return parser


# ---------------------------------------------------------------- pages


def test_there_are_pages_to_check() -> None:
    assert {p.parent.name for p in PAGES} >= {"console", "trainer", "demo"}
    assert SHARED in ALL_JS


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.parent.name)
def test_every_page_loads_its_scripts_from_static_and_has_no_inline_script(page: Path) -> None:
    parsed = parse_page(page)
    assert parsed.scripts, f"{page} loads no script"
    assert parsed.inline == [], f"{page} has inline script (the CSP blocks it)"
    assert parsed.inline_attrs == [], f"{page} has inline handlers or styles"
    for attrs in parsed.scripts:
        src = attrs.get("src") or ""
        assert src.startswith("/static/"), f"{page}: script src {src!r} is not under /static/"
        assert (STATIC / src.removeprefix("/static/")).is_file(), f"{page}: {src} is missing"


@pytest.mark.parametrize("script", STAFF_SCRIPTS, ids=lambda p: p.parent.name)
def test_staff_pages_load_their_script_as_a_module(script: Path) -> None:
    page = script.parent / "index.html"
    srcs = {a.get("src"): a.get("type") for a in parse_page(page).scripts}
    assert srcs.get(f"/static/{script.parent.name}/{script.name}") == "module"


# ---------------------------------------------------------------- the shared module


def test_the_shared_module_exports_the_helpers() -> None:
    assert exports(read(SHARED)) >= {
        "$",
        "el",
        "fillSelect",
        "requestJson",
        "ApiError",
        "currentAccount",
        "logIn",
        "logOut",
        "bindLoginForm",
        "hasRole",
        "backoffDelay",
        "reconnectingSocket",
    }


@pytest.mark.parametrize("script", STAFF_SCRIPTS, ids=lambda p: p.parent.name)
def test_staff_pages_import_only_what_the_shared_module_exports(script: Path) -> None:
    source = read(script)
    found = imports(source)
    assert [m for m, _ in found] == ["/static/shared/ui.js"], found
    exported = exports(read(SHARED))
    names = found[0][1]
    assert {"$", "el", "bindLoginForm", "currentAccount", "logOut"} <= set(names)
    assert [n for n in names if n not in exported] == []
    body = IMPORT.sub("", source)
    unused = [n for n in names if not re.search(rf"(?<![\w$.]){re.escape(n)}(?![\w$])", body)]
    assert unused == []


def test_the_console_uses_the_shared_socket_and_no_page_keeps_its_own_copy() -> None:
    console = read(STATIC / "console" / "console.js")
    assert "reconnectingSocket(" in console and "new WebSocket" not in console
    for script in STAFF_SCRIPTS:
        source = read(script)
        assert not re.search(r"function\s+(el|fillSelect|me)\s*\(", source), script
        assert '"/api/auth/login"' not in source and '"/api/auth/me"' not in source, script


def test_the_import_helpers_read_what_they_should() -> None:
    src = 'import { a, b as c,\n  d } from "/x.js";\nexport function e() {}\nexport { f as g };'
    assert imports(src) == [("/x.js", ["a", "b", "d"])]
    assert exports(src) == {"e", "g"}


# ---------------------------------------------------------------- no HTML from data

HTML_SINK = re.compile(r"\.(?:innerHTML|outerHTML)\s*\+?=\s*([^;\n]*)")
LITERAL = re.compile(r"""^\s*(?:"[^"\\$]*"|'[^'\\$]*'|`[^`$\\]*`)\s*$""")
NEVER = re.compile(r"insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\b")


def html_sinks(source: str) -> list[str]:
    """innerHTML/outerHTML assignments whose value is not a plain string literal, and
    insertAdjacentHTML / document.write / eval / new Function anywhere."""
    bad = [m.group(0) for m in HTML_SINK.finditer(source) if not LITERAL.match(m.group(1))]
    return bad + [m.group(0) for m in NEVER.finditer(source)]


@pytest.mark.parametrize("script", ALL_JS, ids=lambda p: str(p.relative_to(STATIC)))
def test_no_script_builds_html_from_data(script: Path) -> None:
    assert html_sinks(read(script)) == []


def test_the_html_sink_check_catches_what_it_should() -> None:
    assert html_sinks('box.innerHTML = "";') == []
    assert html_sinks("box.innerHTML = '<hr>';") == []
    assert html_sinks("box.innerHTML = text;") != []
    assert html_sinks('box.innerHTML = "<b>" + name;') != []
    assert html_sinks("box.innerHTML += `<b>${name}</b>`;") != []
    assert html_sinks("node.outerHTML = x") != []
    assert html_sinks('box.insertAdjacentHTML("beforeend", "<hr>")') != []


# ---------------------------------------------------------------- widget strings


def test_widget_strings_are_complete_in_every_native_language() -> None:
    strings = check_copy.widget_strings()
    assert set(check_copy.NATIVE) <= set(strings)
    assert {"placeholder", "send", "sending", "reconnecting", "failed"} <= set(strings["en"])
    assert check_copy.check_widget() == []


def test_the_widget_strings_check_fails_on_gaps_and_placeholder_drift() -> None:
    good = check_copy.widget_strings()

    def problems_after(change):  # type: ignore[no-untyped-def]
        strings = json.loads(json.dumps(good))
        change(strings)
        return check_copy.check_widget(strings)

    assert problems_after(lambda s: s["de"].pop("sending")) == ["widget de: missing key sending"]
    assert problems_after(lambda s: s.pop("th")) == ["widget: missing language th"]
    drift = problems_after(lambda s: s["ja"].update(joined="{nom}がチャットに参加しました"))
    assert len(drift) == 1 and drift[0].startswith("widget ja: joined placeholders")
    assert problems_after(lambda s: s["fr"].update(send=" ")) == ["widget fr: send is empty"]
    assert problems_after(lambda s: s["es"].update(extra="x")) == ["widget es: unknown key extra"]
    unfilled = problems_after(lambda s: [s[lang].update(unread="{count}") for lang in s])
    assert any("never fills in" in p for p in unfilled)


def test_the_widget_strings_block_must_be_strict_json() -> None:
    source = read(WIDGET)
    assert check_copy.widget_strings(source) == check_copy.widget_strings()
    broken = source.replace('"en": {', "en: {", 1)
    with pytest.raises(check_copy.WidgetStringsError):
        check_copy.widget_strings(broken)
    with pytest.raises(check_copy.WidgetStringsError):
        check_copy.widget_strings(source.replace(check_copy.WIDGET_END, ""))
    twice = source.replace('"de": {', '"en": { "title": "x" },\n    "de": {', 1)
    with pytest.raises(check_copy.WidgetStringsError, match="duplicate"):
        check_copy.widget_strings(twice)


def test_the_widget_uses_its_strings_table() -> None:
    source = read(WIDGET)
    for key in check_copy.widget_strings()["en"]:
        assert f"T.{key}" in source, f"widget string {key} is never used"


# ---------------------------------------------------------------- backoff, in step


def constants(source: str) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(r"\b(BACKOFF_(?:BASE|CAP)_MS)\s*=\s*(\d+)", source)
    }


def test_the_widget_backs_off_like_the_shared_module() -> None:
    shared, widget = read(SHARED), read(WIDGET)
    assert (
        constants(shared) == constants(widget) == {"BACKOFF_BASE_MS": 500, "BACKOFF_CAP_MS": 15000}
    )
    full_jitter = (
        r"Math\.floor\(\s*(random|Math\.random)\(\)\s*\*\s*Math\.min\(\s*(cap|BACKOFF_CAP_MS)"
    )
    assert re.search(full_jitter, shared) and re.search(full_jitter, widget)
    assert "shared/ui.js" in widget  # the comment that says where the algorithm lives
    code = widget_size.minify_js(widget)  # without the comments
    assert "import(" not in code and not re.search(r"(^|[;{}])\s*import\b", code)


# ---------------------------------------------------------------- in Node, when installed

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

SOCKET_DRIVER = r"""
import { backoffDelay, reconnectingSocket } from "./ui.mjs";

const timers = [];
globalThis.setTimeout = (fn, ms) => { timers.push({ fn, ms }); return timers.length; };
globalThis.clearTimeout = () => {};
const sockets = [];
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(data) { this.sent.push(data); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen && this.onopen(); }
  drop() { this.readyState = 3; this.onclose && this.onclose({ code: 1006 }); }
  frame(data) { this.onmessage && this.onmessage({ data }); }
}
const log = [];
let n = 0;
const s = reconnectingSocket(() => "ws://gw/ws/agent?n=" + ++n, {
  connecting: () => log.push("connecting"),
  open: () => log.push("open"),
  message: (m) => log.push(m),
  close: (ev, delay) => log.push("close " + delay),
}, { WebSocket: FakeSocket, random: () => 0.999999 });
const out = {};
out.sentWhileConnecting = s.send({ type: "x" });
const runNext = () => timers.shift().fn();
for (let i = 0; i < 7; i++) { sockets.at(-1).drop(); runNext(); }   // 7 failed attempts
sockets.at(-1).open();
out.sentWhileOpen = s.send({ type: "status" });
out.frames = sockets.at(-1).sent;
sockets.at(-1).frame("not json");
sockets.at(-1).frame('{"type":"hello"}');
sockets.at(-1).drop();                                                // reset after open
s.close();
while (timers.length) runNext();                                      // close() stopped them
out.socketsAfterClose = sockets.length;
out.log = log;
out.urls = sockets.map((x) => x.url);
out.zero = backoffDelay(3, 500, 15000, () => 0);
out.bounds = [0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, 500, 15000, () => 0.999999));
out.spread = new Set(Array.from({ length: 200 }, () => backoffDelay(4))).size;
console.log(JSON.stringify(out));
"""


@needs_node
def test_reconnecting_socket_backs_off_with_full_jitter_and_resets_on_open(tmp_path: Path) -> None:
    shutil.copy(SHARED, tmp_path / "ui.mjs")
    (tmp_path / "driver.mjs").write_text(SOCKET_DRIVER, encoding="utf-8")
    run = subprocess.run(
        [str(NODE), "driver.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["sentWhileConnecting"] is False and out["sentWhileOpen"] is True
    assert [json.loads(f) for f in out["frames"]] == [{"type": "status"}]
    ceilings = [499, 999, 1999, 3999, 7999, 14999, 14999]  # base * 2^n, capped at 15 s
    assert out["bounds"] == [*ceilings, 14999]
    assert out["zero"] == 0
    assert out["spread"] > 50  # jitter: delays spread over [0, 8 s), not one value
    expected = []
    for delay in ceilings:
        expected += ["connecting", f"close {delay}"]
    expected += ["connecting", "open", {"type": "hello"}, "close 499"]  # reset on open
    assert out["log"] == expected
    assert len(out["urls"]) == 8 and out["urls"][-1].endswith("n=8")  # urlFn on every attempt
    assert out["socketsAfterClose"] == 8  # the retry due after the last drop did nothing


@needs_node
@pytest.mark.parametrize("script", ALL_JS, ids=lambda p: str(p.relative_to(STATIC)))
def test_every_script_parses(script: Path, tmp_path: Path) -> None:
    source = read(script)
    module = bool(re.search(r"^\s*(import|export)\b", source, re.M))
    copy = tmp_path / (script.stem + (".mjs" if module else ".cjs"))
    copy.write_text(source, encoding="utf-8")
    run = subprocess.run([str(NODE), "--check", str(copy)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
