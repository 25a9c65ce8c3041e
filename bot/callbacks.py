"""Callback data: a prefix per action and short fields, ≤ 64 bytes, never trusted on the way back."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
SEP = ":"
_SAFE = re.compile(r"^[A-Za-z0-9_\-.]*$")


class CallbackDataError(ValueError):
    pass


def pack(prefix: str, *fields: str | int) -> str:
    """Join a prefix and fields; refuses anything that would not survive the round trip."""
    parts = [prefix, *map(str, fields)]
    for part in parts:
        if not _SAFE.match(part):
            raise CallbackDataError(f"unsafe callback field {part!r}")
    data = SEP.join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


@dataclass(frozen=True)
class Parsed:
    prefix: str
    fields: tuple[str, ...]

    def int(self, index: int) -> int | None:
        """A field as a positive int, or None when it is not one (forged data)."""
        try:
            value = self.fields[index]
        except IndexError:
            return None
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def unpack(data: str | None) -> Parsed | None:
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, *fields = data.split(SEP)
    return Parsed(prefix, tuple(fields))


def pattern(prefix: str) -> str:
    """Anchored pattern for a CallbackQueryHandler."""
    return rf"^{re.escape(prefix)}(:|$)"
