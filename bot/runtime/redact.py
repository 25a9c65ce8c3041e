"""Secrets kept out of logs and stored rows: the bot token and the one-time links.

The token is in every Bot API URL (`…/bot<token>/sendMessage`), so an error that quotes the URL
(aiohttp's `TooManyRedirects`, a connection error, PTB's debug lines) would write it to the log, and
whoever reads the log could run the bot. One-time links (an invitation's `?start=inv_<token>`, a
console login `/console/login/<token>`) open a role or the console: they may appear in the chat
they were sent to and nowhere else. `install()` puts a record factory and a handler filter in place
so every record is redacted before any handler formats it; `blank_links()` and `blank()` remove the
secret part of a link from text the bot stores.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "RedactingFilter", "blank", "blank_links", "has_one_time_link", "install", "redact"]

MASK = "…"
# Any string shaped like a bot token (BotFather's are `<digits>:<35 url-safe chars>`), with or
# without the `bot` of the URL in front of it, whether or not this process knows it.
_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
# The secret part of one-time links (bot.people.invitations, bot.console.auth); the rest of a link stays
# readable (`?start=inv_…`, `/console/login/…`), so a reader still sees what kind of link it was.
# A reception visitor's link (`?start=vis_<token>`, bot/receptions/links.py) is one too.
_ONE_TIME = re.compile(r"(?P<head>\binv_|\bvis_|/console/login/)[A-Za-z0-9_-]{8,}")
_MARKERS = ("inv_", "vis_", "/console/login/")
# Request logging that would quote URLs with the token or a login link in them.
QUIET_LOGGERS = ("telegram", "httpx", "httpcore", "aiohttp.access", "aiohttp.client")

_secrets: set[str] = set()


def has_one_time_link(text: str) -> bool:
    """Whether the text may hold a one-time link (a substring test: this runs for every row)."""
    return any(marker in text for marker in _MARKERS)


def blank_links(text: str) -> str:
    """The text with the secret part of every one-time link replaced by MASK."""
    if not has_one_time_link(text):
        return text
    return _ONE_TIME.sub(lambda m: m.group("head") + MASK, text)


def redact(text: str) -> str:
    """The text with the bot token (known ones and any token-shaped string) and one-time links masked."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if ":" in text:
        text = _TOKEN_SHAPE.sub(MASK, text)
    return blank_links(text)


def blank(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON-shaped value (a stored payload) with each of `secrets` and every one-time link masked
    in its strings; the same object when nothing needed masking."""
    if isinstance(value, str):
        out = value
        for secret in secrets:
            if secret and secret in out:
                out = out.replace(secret, MASK)
        out = blank_links(out)
        return value if out == value else out
    if isinstance(value, dict):
        items = {k: blank(v, secrets) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list):
        elements = [blank(v, secrets) for v in value]
        return value if all(a is b for a, b in zip(elements, value, strict=True)) else elements
    return value


def _redact_record(record: logging.LogRecord) -> None:
    """Fold the arguments into the message, and the traceback into its text, both redacted."""
    if getattr(record, "_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what there is, as text
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        # Formatters print exc_text when it is set; the exception object (whose text holds the
        # URL) is dropped so no handler formats it again unredacted.
        record.exc_text, record.exc_info = redact(text), None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True  # type: ignore[attr-defined]


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record it passes (records made before `install` included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_FILTER = RedactingFilter()
_installed = False


def install(*secrets: str | None) -> None:
    """Redact `secrets` (the bot token) and token-shaped strings from every log record from now on.

    A record factory redacts each record as it is made, before any handler or pytest's capture sees
    it; the filter on the root logger's handlers also covers records made elsewhere. Request logging
    that quotes URLs is turned down to warnings. Safe to call again (with another token, e.g.).
    """
    global _installed
    for secret in secrets:
        if secret:
            _secrets.add(secret)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
