"""The shape issue #21 asked for, kept: thin handlers by construction, one wiring table, no stops.

Measured the way the review measures it (`ast`: a function's lines from `def` to its last line).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = sorted((ROOT / "handlers").glob("*.py"))
LONGEST = 40


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_no_handler_function_is_longer_than_40_lines(path: Path) -> None:
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST
    ]
    assert not long, long


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_handlers_call_services_not_storage(path: Path) -> None:
    reached = {m for m in _imports(_tree(path)) if m.split(".")[0] in ("storage", "sqlalchemy")}
    assert not reached, reached


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_buttons_are_parsed_once_by_their_kind(path: Path) -> None:
    """No positional callback parsing left: every press goes through a `Button` kind and `@button`."""
    text = path.read_text(encoding="utf-8")
    for legacy in (
        "unpack(",
        ".fields[",
        "ApplicationHandlerStop",
        "add_handler(",
        "This button is no longer valid",
    ):
        if path.name == "buttons.py" and legacy == "This button is no longer valid":
            continue  # the one uniform refusal text
        assert legacy not in text, f"{path.name}: {legacy}"


def test_only_the_wiring_module_registers_handlers() -> None:
    registering = [
        str(path.relative_to(ROOT))
        for path in [*ROOT.glob("bot/**/*.py"), *HANDLERS]
        if "add_handler" in path.read_text(encoding="utf-8") and path.name != "wiring.py"
    ]
    assert not registering, registering
