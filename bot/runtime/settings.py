"""Settings from the environment and an optional `.env`, validated once at start-up."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.kit.i18n import SUPPORTED_LOCALES


class SettingsError(Exception):
    """A bad setting, described in one line that names it."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = None
    bot_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///liaison.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_Hans"
    tracking_prefix: str = Field(default="LX", pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    # The congress office's name as notices are headed with it (e.g. 怒江州人大常委会); empty: a generic
    # "人大常委会" in the reader's language.
    congress_name: str = Field(default="", max_length=100)
    # Telegram's paid broadcast tier (0.1 Stars a message): off unless the office opts in; then staff
    # may mark a notice to at least PAID_BROADCAST_MIN_AUDIENCE people urgent, sent at ≤ the rate cap.
    allow_paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=100.0, gt=0, le=1000)
    paid_broadcast_min_audience: int = Field(default=1000, ge=1)
    # Updates of different chats handled at once (one chat's stay in order); None: 1 on SQLite, whose
    # one writer gains nothing from more, 16 on PostgreSQL, where an update mostly waits for the server.
    handling_concurrency: int | None = Field(default=None, ge=1, le=32)
    # A shared location binds to the nearest station only within this distance (km); farther (a
    # location at 0,0, or abroad) the constituent is asked to pick from the station list instead.
    station_max_km: float = Field(default=50.0, gt=0)
    # Where staff open the web console (links sent by /console); None: http://127.0.0.1:WEBHOOK_PORT.
    console_base_url: str | None = None
    # Days a handled update (inbox) and a message that is over (outbox) are kept; their text is
    # personal data, and the chats hold it already.
    retention_days: int = Field(default=7, ge=1, le=3650)
    # `liaison network import` refuses a larger file before parsing it (a 50 MB one ran past 75 s).
    network_import_max_mb: int = Field(default=20, ge=1, le=1024)
    # 回头看: an A answer is re-checked this many months after its suggestion was closed (销号); a B answer
    # on its planned date.
    recheck_a_after_months: int = Field(default=6, ge=1, le=60)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("must be comma-separated Telegram user ids, e.g. 123,456") from exc
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        head, sep, tail = value.partition(":")
        if not sep or not head.isdigit() or len(tail) < 1:
            raise ValueError("must look like 123456:ABC... (the token BotFather gave you)")
        return value

    @field_validator("bot_api_url", "webhook_url", "console_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the usual URL spellings and pick the async driver for them."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            return "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + value.removeprefix("sqlite://")
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:/// URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def on_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def concurrency(self) -> int:
        """Chats handled at once: HANDLING_CONCURRENCY, else 1 on SQLite and 16 on PostgreSQL."""
        if self.handling_concurrency is not None:
            return self.handling_concurrency
        return 16 if self.on_postgres else 1

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one readable line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name}: {msg}") from None
    if settings.webhook_url and not settings.webhook_secret:
        raise SettingsError("setting WEBHOOK_SECRET: required when WEBHOOK_URL is set")
    if settings.webhook_secret and not all(c.isalnum() or c in "_-" for c in settings.webhook_secret):
        raise SettingsError("setting WEBHOOK_SECRET: only A-Z, a-z, 0-9, _ and - are allowed")
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def settings_or_exit() -> Settings:
    """The settings for a command-line entry point; a bad value ends the process with a clear line."""
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"liaison: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
