"""What a station's profile and an inspection may hold: the "六有" items, the inspection kinds, the
weekdays of the opening hours, the standard rules (制度) a station starts from, the limits, and the
checks of typed input. Pure: nothing here reads storage or knows Telegram.

Limits are counted as Telegram counts (UTF-16 units, `bot.kit.text_limits`), so a text that was
accepted always fits where it is shown.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from bot.kit.i18n import N_
from bot.kit.text_limits import utf16_len
from storage.models.stations import FileKind, InspectionKind, StandardItem

__all__ = [
    "DUE_CHOICES",
    "KIND_LABELS",
    "MAX_ADDRESS",
    "MAX_AGE_DAYS",
    "MAX_DUE_DAYS",
    "MAX_FINDINGS",
    "MAX_HOURS",
    "MAX_HOURS_NOTE",
    "MAX_ITEMS",
    "MAX_ITEM_TEXT",
    "MAX_NOTE",
    "MAX_PHOTOS",
    "MAX_RULES",
    "MAX_RULE_BODY",
    "MAX_RULE_TITLE",
    "STANDARD_LABELS",
    "STANDARD_RULES",
    "WEEKDAYS",
    "WEEKDAY_LABELS",
    "FileKind",
    "InspectionKind",
    "Invalid",
    "Problem",
    "StandardItem",
    "check_due",
    "check_held_on",
    "clean_text",
    "parse_day",
    "parse_point",
]

MAX_ADDRESS = 300
MAX_HOURS = 100  # one weekday's hours
MAX_HOURS_NOTE = 300
MAX_RULE_TITLE = 200
MAX_RULE_BODY = 5000
MAX_RULES = 50
MAX_FINDINGS = 2000
MAX_ITEM_TEXT = 500
MAX_NOTE = 1000  # a report's note, a reopening's reason, a standard's note, a file's caption
MAX_ITEMS = 20  # rectification items per inspection
MAX_PHOTOS = 10  # files per inspection or per evidence upload in chat
MAX_AGE_DAYS = 366  # an inspection's day at most this far back
MAX_DUE_DAYS = 366  # a deadline at most this far ahead
DUE_CHOICES = (7, 14, 30)  # the deadline buttons: days from today

STANDARD_LABELS: dict[StandardItem, str] = {
    StandardItem.VENUE: N_("six-have: venue"),
    StandardItem.STAFF: N_("six-have: staff"),
    StandardItem.RULES: N_("six-have: rules"),
    StandardItem.ACTIVITIES: N_("six-have: activities"),
    StandardItem.FUNDS: N_("six-have: funds"),
    StandardItem.EQUIPMENT: N_("six-have: equipment"),
}

KIND_LABELS: dict[InspectionKind, str] = {
    InspectionKind.SPOT_CHECK: N_("inspection: random spot check"),
    InspectionKind.FILES: N_("inspection: files checked"),
    InspectionKind.VISITS: N_("inspection: constituents visited"),
    InspectionKind.SATISFACTION: N_("inspection: satisfaction asked"),
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS: dict[str, str] = {
    "mon": N_("weekday: Monday"),
    "tue": N_("weekday: Tuesday"),
    "wed": N_("weekday: Wednesday"),
    "thu": N_("weekday: Thursday"),
    "fri": N_("weekday: Friday"),
    "sat": N_("weekday: Saturday"),
    "sun": N_("weekday: Sunday"),
}

# The rules (制度) a liaison station usually keeps, offered as a start; each station edits its own texts.
# The notes name 13, among them regular receptions and visits (定期接待走访) and the reception diary (民情日记).
STANDARD_RULES: tuple[str, ...] = (
    N_("station rule: deputies receive constituents at the station"),
    N_("station rule: regular receptions and home visits of constituents"),
    N_("station rule: the reception diary"),
    N_("station rule: collecting and registering opinions"),
    N_("station rule: assigning opinions by category, handling and feedback"),
    N_("station rule: deputies on duty at the station"),
    N_("station rule: deputies report to constituents and are reviewed"),
    N_("station rule: study and training of deputies"),
    N_("station rule: activities of the deputy group"),
    N_("station rule: duties of the station head"),
    N_("station rule: duties of the liaison officer"),
    N_("station rule: records and archives"),
    N_("station rule: funds and equipment"),
)


class Problem(enum.StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_DATE = "not_a_date"
    FUTURE = "future"
    TOO_OLD = "too_old"
    NOT_AFTER_TODAY = "not_after_today"
    TOO_FAR = "too_far"
    BAD_POINT = "bad_point"
    NOT_ALLOWED = "not_allowed"  # no such station or rule, or the actor may not edit it
    TOO_MANY = "too_many"
    WRONG_STEP = "wrong_step"  # a form's answer that belongs to another step
    NO_KIND = "no_kind"  # an inspection with no kind ticked
    NOT_OFFERED = "not_offered"  # a choice the form did not offer (another station, a stranger)


@dataclass(frozen=True)
class Invalid:
    """Why an input was refused, with what the reply needs to say so."""

    problem: Problem
    limit: int = 0
    given: int = 0


def clean_text(text: str | None, limit: int, *, required: bool = True) -> str | Invalid | None:
    """The text as it will be stored: trimmed, without NUL; empty is None (or refused when required);
    longer than `limit` UTF-16 units is refused with its length."""
    value = (text or "").replace("\x00", "").strip()
    if not value:
        return Invalid(Problem.EMPTY) if required else None
    length = utf16_len(value)
    if length > limit:
        return Invalid(Problem.TOO_LONG, limit, length)
    return value


_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_day(text: str) -> date | Invalid:
    """A typed YYYY-MM-DD (full-width digits allowed)."""
    found = _DAY.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        return Invalid(Problem.NOT_A_DATE)
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return Invalid(Problem.NOT_A_DATE)


def check_held_on(day: date, today: date) -> date | Invalid:
    """An inspection's day: not in the future, at most `MAX_AGE_DAYS` back."""
    if day > today:
        return Invalid(Problem.FUTURE)
    if day < today - timedelta(days=MAX_AGE_DAYS):
        return Invalid(Problem.TOO_OLD, MAX_AGE_DAYS)
    return day


def check_due(day: date, today: date) -> date | Invalid:
    """A deadline: after today (the reminder goes out the day before), at most `MAX_DUE_DAYS` ahead."""
    if day <= today:
        return Invalid(Problem.NOT_AFTER_TODAY)
    if day > today + timedelta(days=MAX_DUE_DAYS):
        return Invalid(Problem.TOO_FAR, MAX_DUE_DAYS)
    return day


def parse_point(latitude: str, longitude: str) -> tuple[float, float] | Invalid | None:
    """A map point from two typed numbers (WGS-84 degrees): both blank is no point; one alone, or a
    number out of range, is refused."""
    lat, lon = latitude.strip(), longitude.strip()
    if not lat and not lon:
        return None
    try:
        point = float(lat), float(lon)
    except ValueError:
        return Invalid(Problem.BAD_POINT)
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or any(v != v for v in point):
        return Invalid(Problem.BAD_POINT)
    return point
