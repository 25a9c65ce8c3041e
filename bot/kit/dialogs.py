"""Dialog states: each dialog declares its states as a StrEnum; a chat's stored state ("ask:42") is
parsed once, here, into the member and its argument, so no module splits state strings by prefix.

    class DeputyDialog(StrEnum):
        ASK = "ask"          # the next message is a question to the sender of opinion <arg>

    stored = DeputyDialog.ASK.at(42)        # "ask:42", via `at` below
    Dialog.parse(stored, data, KNOWN) -> Dialog(DeputyDialog.ASK, (42,), data)

Values must be unique across all dialogs (`index` checks at import).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SEP = ":"


def at(state: enum.StrEnum, *args: int | str) -> str:
    """The stored form of a state with its arguments (ints, or strings without the separator)."""
    parts = [str(state.value), *map(str, args)]
    if any(SEP in part for part in parts[1:]):
        raise ValueError(f"dialog argument holds {SEP!r}: {parts!r}")
    return SEP.join(parts)


def index(*dialogs: type[enum.StrEnum]) -> dict[str, enum.StrEnum]:
    """Every state of the given dialogs by its value; a value used twice is a programming error."""
    known: dict[str, enum.StrEnum] = {}
    for dialog in dialogs:
        for member in dialog:
            if member.value in known:
                raise ValueError(f"dialog state {member.value!r} declared twice")
            known[member.value] = member
    return known


@dataclass(frozen=True)
class Dialog:
    """Where a chat stands: a declared state (or None when idle), its arguments and saved data."""

    state: enum.StrEnum | None
    args: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, stored: str | None, data: dict[str, Any] | None, known: dict[str, enum.StrEnum]) -> Dialog:
        """An unknown stored state (from an older release, say) reads as idle."""
        if not stored:
            return cls(None, (), data or {})
        head, *args = stored.split(SEP)
        return cls(known.get(head), tuple(args), data or {})

    def int_arg(self, index: int = 0) -> int | None:
        """Argument `index` as a positive int, or None."""
        try:
            value = self.args[index]
        except IndexError:
            return None
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None

    def is_in(self, states: Iterable[enum.StrEnum]) -> bool:
        return self.state in set(states)
