"""The buttons of /queue, /overdue and the deputy picker (data "sv:…"; ephemeral, like the lists).

Every button names the opinion and the holder the list showed (0 for none), so a press on a list
that has moved on is refused rather than acted on: "sv:as:42:7", "sv:rm:42:7", "sv:to:42:9:7".
Data of the family that names no known kind ("sv:zz:…") is `OtherPress`, refused and audited under
its code; the wiring lists the specific kinds before it, since its prefix matches them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kit.callbacks import Button

__all__ = ["AssignPress", "OtherPress", "PickPress", "RemindPress"]


@dataclass(frozen=True)
class AssignPress(Button, prefix="sv:as"):
    """Assign (a triage opinion) or Reassign: opens the deputy picker."""

    opinion_id: int
    shown: int  # the holder's deputy id the list showed; 0: none


@dataclass(frozen=True)
class RemindPress(Button, prefix="sv:rm"):
    """Ping the holder about the deadline."""

    opinion_id: int
    shown: int


@dataclass(frozen=True)
class PickPress(Button, prefix="sv:to"):
    """A deputy in the picker."""

    opinion_id: int
    deputy_id: int
    shown: int


@dataclass(frozen=True)
class OtherPress(Button, prefix="sv"):
    """Anything else under "sv" (forged or from an older release): only its code is read."""

    code: str = ""
    rest: str = ""
    more: str = ""
    last: str = ""
