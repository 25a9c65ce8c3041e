"""Callback data: one small frozen dataclass per button kind, packed into ≤ 64 bytes and parsed once.

A button's data comes back from Telegram untrusted: `Button.parse` returns an instance only when the
prefix, the number of fields and every field's type match (positive ints, known enum values, safe
strings), and None otherwise, so a handler never indexes into a split string.

    @dataclass(frozen=True)
    class CardPress(Button, prefix="op"):
        action: CardAction          # a StrEnum: "acc", "ask", …
        opinion_id: int

    CardPress(CardAction.ACCEPT, 42).pack() == "op:acc:42"
    CardPress.parse("op:acc:42") == CardPress(CardAction.ACCEPT, 42)
    CardPress.parse("op:acc:x") is None

A prefix may hold a colon ("bc:aud"), so several kinds can share a family; a kind's pattern is
anchored on its whole prefix. Trailing fields with defaults may be left out of the data.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Self

MAX_BYTES = 64
SEP = ":"
_SAFE = re.compile(r"^[A-Za-z0-9_\-.]*$")
_MAX_INT_DIGITS = 18


class CallbackDataError(ValueError):
    pass


def pack(prefix: str, *fields: str | int) -> str:
    """Join a prefix and fields; refuses anything that would not survive the round trip."""
    parts = [*prefix.split(SEP), *map(str, fields)]
    for part in parts:
        if not _SAFE.match(part):
            raise CallbackDataError(f"unsafe callback field {part!r}")
    data = SEP.join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def pattern(prefix: str) -> str:
    """Anchored pattern for a CallbackQueryHandler."""
    return rf"^{re.escape(prefix)}(:|$)"


def _positive_int(value: str) -> int | None:
    if value.isascii() and value.isdigit() and len(value) <= _MAX_INT_DIGITS:
        return int(value)
    return None


def _decode(kind: Any, value: str) -> tuple[bool, Any]:
    """(ok, value) for one field of the declared type; never raises on forged text."""
    if kind is int:
        number = _positive_int(value)
        return number is not None, number
    if kind is str:
        return bool(_SAFE.match(value)), value
    if kind is bool:
        return value in ("0", "1"), value == "1"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        for member in kind:
            if str(member.value) == value:
                return True, member
        return False, None
    args = typing.get_args(kind)
    if type(None) in args:  # Optional[X]: the empty field is None
        if value == "":
            return True, None
        (inner,) = (a for a in args if a is not type(None))
        return _decode(inner, value)
    raise TypeError(f"unsupported callback field type {kind!r}")


def _encode(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


@dataclass(frozen=True)
class Button:
    """Base of every button kind's data; subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]
    _types: ClassVar[tuple[tuple[str, Any, bool], ...]]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:
            cls.prefix = prefix

    @classmethod
    def _fields(cls) -> tuple[tuple[str, Any, bool], ...]:
        """(name, type, required) per field, resolved once per class."""
        cached = cls.__dict__.get("_types")
        if cached is None:
            hints = typing.get_type_hints(cls)
            cached = tuple(
                (f.name, hints[f.name], f.default is dataclasses.MISSING)
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            )
            cls._types = cached
        return cached

    def pack(self) -> str:
        """The data string; trailing fields left at their defaults are left out."""
        fields = self._fields()
        values = [getattr(self, name) for name, _, _ in fields]
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        while (
            values and not fields[len(values) - 1][2] and values[-1] == defaults[fields[len(values) - 1][0]]
        ):
            values.pop()
        return pack(self.prefix, *map(_encode, values))

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The button this data names, or None for anything else (forged, stale, another kind)."""
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        if data == cls.prefix:
            rest: list[str] = []
        elif data.startswith(cls.prefix + SEP):
            rest = data[len(cls.prefix) + 1 :].split(SEP)
        else:
            return None
        fields = cls._fields()
        required = sum(1 for _, _, needed in fields if needed)
        if not required <= len(rest) <= len(fields):
            return None
        values: dict[str, Any] = {}
        for (name, kind, _), raw in zip(fields, rest, strict=False):
            ok, value = _decode(kind, raw)
            if not ok:
                return None
            values[name] = value
        return cls(**values)

    @classmethod
    def pattern(cls) -> str:
        return pattern(cls.prefix)
