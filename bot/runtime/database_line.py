"""Which database a command uses, said once on stderr with its secrets masked.

`liaison` commands and the demo each pick a database (DATABASE_URL, `--database`, the demo's own file)
and a relative SQLite path depends on the working directory, so an office clerk could import the
network into one file and run the bot on another without a word. Every command now names its
database first: `liaison: database sqlite+aiosqlite:///liaison.db (file /home/office/liaison.db)`.

Reuse: `describe(url)` for any start-up line (the demo's), `announce(url)` to print it, and
`command_settings(database)` for a command that takes `--database`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.runtime.settings import Settings, SettingsError, load_settings

__all__ = ["announce", "command_settings", "describe", "masked"]

MASK = "***"
# Query parameters that carry a secret (libpq and asyncpg spellings), masked like the password.
_SECRET_WORDS = ("pass", "secret", "token", "key")


def masked(url: str) -> str:
    """The URL with its password and any secret-looking query value replaced by ***."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return MASK  # not a URL we can take apart: say nothing of it rather than leak it
    secret = {k: MASK for k in parsed.query if any(w in k.lower() for w in _SECRET_WORDS)}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return unquote(parsed.render_as_string(hide_password=True))  # shown to a person: ":memory:", not %3A


def describe(url: str) -> str:
    """The masked URL, and for an SQLite file the absolute path it resolves to from here."""
    shown = masked(url)
    if not url.startswith("sqlite"):
        return shown
    try:
        database = make_url(url).database
    except ArgumentError:
        return shown
    if database in (None, "", ":memory:"):
        return f"{shown} (in memory)"
    if database.startswith("file:"):  # an SQLite URI: its own options, shown as given
        return shown
    return f"{shown} (file {Path(database).expanduser().resolve()})"


def announce(url: str, *, prog: str = "liaison", stream: TextIO | None = None) -> None:
    """Print `<prog>: database <url>` on stderr (stdout stays for the command's output: JSON, YAML)."""
    print(f"{prog}: database {describe(url)}", file=stream or sys.stderr, flush=True)


def command_settings(database: str | None, *, prog: str = "liaison", say: bool = True) -> Settings:
    """The settings of a command: `--database` (when given) overrides DATABASE_URL; the database used is
    announced unless `say` is False (a caller that announces it later). A bad value exits with code 2."""
    overrides: dict[str, object] = {} if database is None else {"database_url": database}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        problem = str(exc)
        if database is not None:  # name the option that was given, not the setting it stands in for
            problem = problem.replace("setting DATABASE_URL", "--database")
        print(f"{prog}: {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    if say:
        announce(settings.database_url, prog=prog)
    return settings
