"""The network package keeps one job per module: the checks stay pure, storage is touched only by the
writer, the export and the counts, and no function grows back into a 100-line block (issue #21, step 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot.network

PACKAGE = Path(bot.network.__file__).resolve().parent
MODULES = (
    "schema",
    "sources",
    "checks",
    "writer",
    "export",
    "counts",
    "entities",
    "categories",
    "units",
    "calendar",
)
# Modules that decide on the file alone: they must not reach the database.
PURE = ("schema", "sources", "checks", "categories")
LONGEST = 60


def _tree(name: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_package_has_one_module_per_job_and_says_what_it_owns() -> None:
    assert PACKAGE.name == "network" and (PACKAGE / "__init__.py").is_file()
    assert {path.stem for path in PACKAGE.glob("*.py")} == {"__init__", *MODULES}
    doc = bot.network.__doc__ or ""
    for name in MODULES:
        assert f"`{name}`" in doc, name
    for name in bot.network.__all__:
        assert hasattr(bot.network, name), name


@pytest.mark.parametrize("name", PURE)
def test_reading_and_checking_do_not_touch_storage(name: str) -> None:
    imported = _imported(_tree(name))
    assert not {m for m in imported if m.split(".")[0] == "sqlalchemy"}, imported
    assert not {m for m in imported if m.startswith(("storage.repos", "storage.unit_of_work"))}, imported
    assert "storage.db" not in imported


@pytest.mark.parametrize("name", ["__init__", *MODULES])
def test_no_function_is_longer_than_the_limit(name: str) -> None:
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(_tree(name))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST
    ]
    assert not long, long
