"""The diary's input rules and derived figures, pure (no storage, no Telegram).

- **name**: one line (line breaks become spaces), at most `MAX_NAME` UTF-16 units; or anonymous.
- **phone**: optional, only with the visitor's consent, normalised to E.164 as every phone in the
  project is (`bot.network.normalise_phone`: a Chinese mobile, a landline with its area code, or
  `+` and a country code); anything else is refused, never stored as typed.
- **matter** and **answer given on the spot**: what a person may write in one go (`MAX_INPUT` UTF-16
  units, as an opinion); NUL is dropped (PostgreSQL cannot store it); blank is refused.
- **place** of a home visit: one line, at most `MAX_PLACE` units.
- A diary holds at most `MAX_VISITORS` visitors; a visitor raises at most `MAX_MATTERS` matters.

Figures (`Counts`) are derived from what was registered, never typed: visitors received, matters
registered, of which resolved at reception (answered on the spot) and routed (sent on as opinions).
A legacy entry (typed before registration existed) keeps its typed people and paper counts.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kit.text_limits import MAX_INPUT, utf16_len
from bot.network import normalise_phone
from storage.models.receptions import MatterOutcome

__all__ = [
    "MAX_ANSWER",
    "MAX_MATTER",
    "MAX_MATTERS",
    "MAX_NAME",
    "MAX_PLACE",
    "MAX_VISITORS",
    "Counts",
    "Invalid",
    "Problem",
    "clean_line",
    "clean_text",
    "derive",
    "local_today",
    "parse_phone",
]

MAX_NAME = 50
MAX_PLACE = 100
MAX_MATTER = MAX_INPUT
MAX_ANSWER = MAX_INPUT
MAX_VISITORS = 500
MAX_MATTERS = 20

_BLANKS = re.compile(r"\s+")


class Problem(enum.StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_PHONE = "not_a_phone"
    NOT_TEXT = "not_text"
    WRONG_STEP = "wrong_step"
    TOO_MANY = "too_many"
    UNKNOWN_CATEGORY = "unknown_category"


@dataclass(frozen=True)
class Invalid:
    """Why an input was refused, with what the reply needs to say so."""

    problem: Problem
    given: int = 0  # the length given, for TOO_LONG
    limit: int = 0


def clean_text(text: str, limit: int) -> str | Invalid:
    """Text as stored: without NUL, trimmed; blank or longer than `limit` UTF-16 units is refused."""
    cleaned = text.replace("\x00", "").strip()
    if not cleaned:
        return Invalid(Problem.EMPTY)
    length = utf16_len(cleaned)
    if length > limit:
        return Invalid(Problem.TOO_LONG, given=length, limit=limit)
    return cleaned


def clean_line(text: str, limit: int) -> str | Invalid:
    """One line of text (a name, a place): runs of blanks and line breaks become one space."""
    return clean_text(_BLANKS.sub(" ", text.replace("\x00", "")), limit)


def parse_phone(text: str) -> str | Invalid:
    """A typed phone number in E.164 (`+8613900000002`), or why it is refused."""
    typed = text.strip()
    if not typed or len(typed) > 32:
        return Invalid(Problem.NOT_A_PHONE)
    try:
        return normalise_phone(typed)
    except ValueError:
        return Invalid(Problem.NOT_A_PHONE)


def local_today(now: datetime, zone: ZoneInfo | str) -> date:
    """The congress's calendar day at `now`."""
    return now.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date()


@dataclass(frozen=True)
class Counts:
    """A diary entry's figures. `people` is visitors received (typed, for a legacy entry); `paper`
    the opinions collected on paper, which only legacy entries have."""

    people: int = 0
    matters: int = 0
    resolved: int = 0
    routed: int = 0
    paper: int = 0
    legacy: bool = False


def derive(visitor_ids: Iterable[int], outcomes: Iterable[str]) -> Counts:
    """The figures of a diary from its registrations: one visitor each, one matter per outcome."""
    people = len(set(visitor_ids))
    listed = list(outcomes)
    resolved = sum(1 for o in listed if o == MatterOutcome.RESOLVED)
    routed = sum(1 for o in listed if o == MatterOutcome.ROUTED)
    return Counts(people=people, matters=resolved + routed, resolved=resolved, routed=routed)
