"""Every `liaison` command names the database it uses (stderr, secrets masked); `--database` overrides
DATABASE_URL on every command.

Run in-process through the `liaison` entry point (`bot.runtime.cli.main`), in a scratch working folder
where DATABASE_URL names another file: a command that ignored `--database` would create that file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.runtime import cli
from bot.runtime.database_line import describe, masked
from tests.conftest import ROOT

NETWORK = ROOT / "tests" / "data" / "network_e2e.yaml"
LINE = "liaison: database "


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose DATABASE_URL (a relative SQLite file) no command here should touch."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    """(exit code, stdout, the database lines on stderr) of one `liaison` command."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.startswith(LINE)]


def commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command of the tree (leaves) by the words that name it."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(commands(child, (*prefix, name)) or {(*prefix, name): child})
    return found


def test_every_command_takes_database() -> None:
    """Each command — and each command added later, since the option is given over the whole tree."""
    parser = cli.parser()
    found = commands(parser)
    assert {("db", "upgrade"), ("network", "import"), ("network", "show"), ("stats",), ("links",)} <= set(
        found
    )
    for words, command in found.items():
        assert "--database" in command._option_string_actions, words
    assert parser.parse_args(["stats", "--database", "sqlite:///x.db"]).database == "sqlite:///x.db"
    # A group's option counts for its command too.
    assert parser.parse_args(["db", "--database", "sqlite:///y.db", "current"]).database == "sqlite:///y.db"


def test_masked_urls() -> None:
    assert masked("postgresql+asyncpg://office:s3cret@db.example.org:5432/liaison") == (
        "postgresql+asyncpg://office:***@db.example.org:5432/liaison"
    )
    assert masked("postgresql+asyncpg://office@db/liaison?password=s3cret&ssl=require") == (
        "postgresql+asyncpg://office@db/liaison?password=***&ssl=require"
    )
    assert masked("not a url at all s3cret") == "***"
    assert describe("sqlite+aiosqlite:///:memory:") == "sqlite+aiosqlite:///:memory: (in memory)"
    assert (
        describe("sqlite+aiosqlite:////srv/liaison/bot.db")
        == "sqlite+aiosqlite:////srv/liaison/bot.db (file /srv/liaison/bot.db)"
    )


def test_each_command_prints_and_uses_the_database_given(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    over = "sqlite:///chosen.db"
    said = [f"{LINE}sqlite+aiosqlite:///chosen.db (file {scratch / 'chosen.db'})"]

    assert run(capsys, "db", "upgrade", "--database", over)[::2] == (0, said)
    code, out, lines = run(capsys, "db", "--database", over, "current")
    assert (code, lines) == (0, said) and out.strip() != "empty (no migrations applied)"

    code, out, lines = run(capsys, "network", "import", str(NETWORK), "--database", over)
    assert (code, lines) == (0, said)
    code, out, lines = run(capsys, "network", "show", "--json", "--database", over)
    assert (code, lines) == (0, said)
    assert json.loads(out)  # stdout holds the JSON alone: the line went to stderr
    code, out, lines = run(capsys, "network", "export", "--database", over)
    assert (code, lines) == (0, said) and yaml.safe_load(out)["deputies"]

    code, out, lines = run(capsys, "stats", "--json", "--database", over)
    assert (code, lines) == (0, said) and json.loads(out)["totals"]["received"] == 0

    code, out, lines = run(
        capsys, "links", "--bot-username", "liaison_bot", "--out", "links", "--database", over
    )
    assert (code, lines) == (0, said) and any((scratch / "links").iterdir())

    assert not (scratch / "from-env.db").exists()  # DATABASE_URL was never opened


def test_without_the_option_the_environment_database_is_named(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, lines = run(capsys, "db", "current")
    assert (code, out) == (0, "empty (no migrations applied)\n")
    assert lines == [f"{LINE}sqlite+aiosqlite:///from-env.db (file {scratch / 'from-env.db'})"]


def test_a_bad_database_option_is_named(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["db", "current", "--database", "mysql://office@db/liaison"])
    assert exit_.value.code == 2
    assert "liaison: --database: must be a postgresql:// or sqlite:/// URL" in capsys.readouterr().err


def test_the_password_is_masked(db_url: str, scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On PostgreSQL a URL with a password (the test server trusts, so any password connects); on SQLite
    the file. Nothing printed holds the password."""
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="s3cret-pw")
    given = url.render_as_string(hide_password=False)
    code, out, lines = run(capsys, "db", "current", "--database", given)
    assert code == 0 and len(lines) == 1
    if url.password:
        assert ":***@" in lines[0] and url.database is not None and lines[0].endswith(url.database)
    else:
        assert lines[0].endswith(f"(file {Path(str(url.database)).resolve()})")
    assert "s3cret-pw" not in out + "\n".join(lines)
