"""Settings: defaults, accepted spellings, and one clear line for each bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.runtime.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "BOT_TOKEN",
        "BOT_API_URL",
        "DATABASE_URL",
        "ADMIN_IDS",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "TIMEZONE",
        "DEFAULT_LOCALE",
        "TRACKING_PREFIX",
        "HANDLING_CONCURRENCY",
        "RETENTION_DAYS",
        "NETWORK_IMPORT_MAX_MB",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults() -> None:
    s = load_settings()
    assert s.bot_token is None
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.timezone == "Asia/Shanghai" and s.default_locale == "zh_Hans"
    assert not s.webhook_mode


def test_retention_and_import_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().retention_days, load_settings().network_import_max_mb) == (7, 20)
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("NETWORK_IMPORT_MAX_MB", "50")
    assert (load_settings().retention_days, load_settings().network_import_max_mb) == (30, 50)


def test_chats_handled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """One at a time on SQLite (one writer); several on PostgreSQL, where updates wait on the server."""
    assert load_settings().concurrency == 1
    assert load_settings(database_url="postgresql://u@h/db").concurrency == 16
    monkeypatch.setenv("HANDLING_CONCURRENCY", "3")
    assert load_settings(database_url="postgresql://u@h/db").concurrency == 3
    for bad in ("0", "33"):  # each chat at once may hold two connections: 32 is the most allowed
        monkeypatch.setenv("HANDLING_CONCURRENCY", bad)
        with pytest.raises(SettingsError, match="HANDLING_CONCURRENCY"):
            load_settings()


def test_environment_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 1, 22 ,333")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("BOT_API_URL", "http://127.0.0.1:9000/")
    s = load_settings()
    assert s.admin_ids == (1, 22, 333)
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.bot_api_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("DEFAULT_LOCALE", "fr", "DEFAULT_LOCALE"),
        ("TRACKING_PREFIX", "lower", "TRACKING_PREFIX"),
        ("BOT_API_URL", "ftp://x", "BOT_API_URL"),
        ("WEBHOOK_URL", "https://bot.example.org", "WEBHOOK_SECRET"),
        ("RETENTION_DAYS", "0", "RETENTION_DAYS"),
        ("NETWORK_IMPORT_MAX_MB", "0", "NETWORK_IMPORT_MAX_MB"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=needle):
        load_settings()


def test_cli_reports_bad_setting_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    out = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "db", "current"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert lines == ["liaison: setting TIMEZONE: unknown time zone 'Nowhere/Land'"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["demo", "--help"],
        ["db", "--help"],
        ["network", "--help"],
        ["network", "import", "--help"],
        ["--version"],
    ],
)
def test_cli_help(args: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "liaison" in out.stdout
