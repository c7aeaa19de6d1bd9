"""The project's shape, checked: rooms, key names, imports, module sizes, wire names."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from handoff import events

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "shop", "handoff", "actions")
MAX_LINES = 320  # "about 300": a module over this says why in its docstring


def project_modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def test_redis_key_literals_only_in_keys_module() -> None:
    literal = re.compile(r"""["'](xb:|xbrasa|xblock)|f["']xb:""")
    offenders = []
    for name, path in project_modules().items():
        if name == "handoff.keys":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "Redis keys belong in handoff/keys.py:\n" + "\n".join(offenders)


def test_the_running_gateway_imports_no_dev_tools_actions_or_scripts() -> None:
    code = (
        "import sys, handoff.web.app;"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('actions', 'scripts', 'tests') or m.startswith('handoff.dev')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]", out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules a file imports anywhere (function-level too), except for typing."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] in PACKAGES:
                found.add(name)
    return found


def test_no_import_cycles_between_modules() -> None:
    modules = project_modules()
    graph = {
        name: {m for m in _imports(path, modules) if m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }
    # a package's __init__ is imported on the way to its modules: not an edge back
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_modules_stay_small_or_say_why() -> None:
    too_big = []
    for path in project_modules().values():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_LINES and "Over 300 lines" not in doc:
            too_big.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_big, "split these or say why in the docstring:\n" + "\n".join(too_big)


def test_every_module_says_what_it_is_for() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in project_modules().values()
        if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert not missing, missing


def _js_types(path: Path) -> tuple[set[str], set[str]]:
    """(types the script handles, types it sends) from its source."""
    js = path.read_text(encoding="utf-8")
    handled = set(re.findall(r"""case\s+["']([a-z_]+)["']""", js))
    handled |= set(re.findall(r"""\.type\s*===?\s*["']([a-z_]+)["']""", js))
    sent = set(re.findall(r"""\btype:\s*["']([a-z_]+)["']""", js))
    return handled, sent


def test_console_speaks_exactly_the_agent_socket_protocol() -> None:
    handled, sent = _js_types(ROOT / "handoff" / "web" / "static" / "console" / "console.js")
    assert set(events.AGENT_SERVER_TYPES) <= handled, set(events.AGENT_SERVER_TYPES) - handled
    assert handled <= set(events.AGENT_SERVER_TYPES), handled - set(events.AGENT_SERVER_TYPES)
    assert sent <= set(events.AGENT_OPS), sent - set(events.AGENT_OPS)
    assert len(events.AGENT_OPS) + len(events.AGENT_SERVER_TYPES) == 22


def test_widget_speaks_the_shopper_socket_protocol() -> None:
    handled, sent = _js_types(ROOT / "handoff" / "web" / "static" / "widget.js")
    assert set(events.SHOPPER_SERVER_TYPES) <= handled, set(events.SHOPPER_SERVER_TYPES) - handled
    assert sent <= set(events.SHOPPER_CLIENT_TYPES), sent - set(events.SHOPPER_CLIENT_TYPES)


@pytest.mark.parametrize(
    "room",
    ["web", "conversations", "escalation", "routing", "desk", "cases", "channels", "accounts",
     "trainer", "dev"],
)  # fmt: skip
def test_each_room_exists_and_says_what_lives_there(room: str) -> None:
    init = ROOT / "handoff" / room / "__init__.py"
    assert init.exists() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
