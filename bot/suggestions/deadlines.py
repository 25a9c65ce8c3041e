"""A suggestion's term, its warning colour and the reminder ladder — pure, `now` passed in.

By law a unit answers within three months of assignment (交办), six at most for hard cases. Months are
calendar months on the congress's local calendar, clamped to the month's end (assigned 31 January →
due 30 April; 30 November 2027 → 29 February 2028), and a suggestion is due by the end of its due day
there. The colours and quiet hours are the opinions' (`bot/opinions/sla.py`), applied to a window of
months: yellow in the last fifth of the term (about eighteen days of three months), red once past.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kit.reminders import colour_rung_starts, next_rung_at
from bot.opinions.sla import SlaPolicy, WarningColour, colour, deliver_at

__all__ = [
    "DEFAULT_TERM_MONTHS",
    "MAX_TERM_MONTHS",
    "Deadline",
    "DeadlinePolicy",
    "Reminder",
    "ReminderLadder",
    "WarningColour",
    "add_months",
    "deadline",
    "due_at",
    "extension_problem",
    "ladder_level",
    "next_warning_at",
    "rehandle_deadline",
    "reminder",
    "rung_starts",
    "suggestion_colour",
    "term_problem",
]

DEFAULT_TERM_MONTHS = 3
MAX_TERM_MONTHS = 6


@dataclass(frozen=True)
class DeadlinePolicy:
    """The congress's suggestion clocks."""

    zone: str = "Asia/Shanghai"
    term_months: int = DEFAULT_TERM_MONTHS
    rehandle_months: int = 1  # the new term after a dissatisfied rating
    yellow_fraction: float = 0.2
    # Red this long, the reminder reaches staff and the supervising committee.
    staff_after: timedelta = timedelta(days=7)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def quiet(self) -> SlaPolicy:
        """The opinions' policy carrying our zone and quiet hours, for `deliver_at`."""
        return SlaPolicy(zone=self.zone, quiet_start=self.quiet_start, quiet_end=self.quiet_end)


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the end of a shorter month (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_problem(months: int, reason: str = "") -> str | None:
    """Why a term is not allowed, or None: 1–6 months, and over three only with a reason recorded."""
    if not 1 <= months <= MAX_TERM_MONTHS:
        return f"term must be 1–{MAX_TERM_MONTHS} months"
    if months > DEFAULT_TERM_MONTHS and not reason.strip():
        return "a term over three months needs a reason"
    return None


@dataclass(frozen=True)
class Deadline:
    assigned_at: datetime  # UTC, when the assignment was published
    due_on: date  # the congress's local day it is due by
    due_at: datetime  # the end of that day, in UTC: overdue strictly after

    @property
    def window(self) -> timedelta:
        return self.due_at - self.assigned_at


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass aware datetimes")
    return moment


def deadline(
    assigned_at: datetime, months: int | None = None, policy: DeadlinePolicy | None = None
) -> Deadline:
    """The due date `months` (default: the policy's three) calendar months after the local day of assignment."""
    policy = policy or DeadlinePolicy()
    months = policy.term_months if months is None else months
    tz = policy.tz
    local_day = _aware(assigned_at).astimezone(tz).date()
    due_on = add_months(local_day, months)
    end = datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=tz)
    return Deadline(assigned_at, due_on, end.astimezone(UTC))


def rehandle_deadline(rated_at: datetime, policy: DeadlinePolicy | None = None) -> Deadline:
    """The new term after the deputy's first dissatisfied rating, counted from the rating."""
    policy = policy or DeadlinePolicy()
    return deadline(rated_at, policy.rehandle_months, policy)


def extension_problem(current_months: int, new_months: int, reason: str, *, asked_before: bool) -> str | None:
    """Why an extension cannot be granted, or None: once per unit, longer, six months at most, a reason."""
    if asked_before:
        return "the unit has asked for an extension already"
    if not current_months < new_months <= MAX_TERM_MONTHS:
        return f"the new term must be longer than {current_months} and at most {MAX_TERM_MONTHS} months"
    if not reason.strip():
        return "an extension needs a reason"
    return None


def suggestion_colour(term: Deadline, now: datetime, policy: DeadlinePolicy | None = None) -> WarningColour:
    """三色预警 for a suggestion's term, by the opinions' rule (at the deadline itself still yellow)."""
    policy = policy or DeadlinePolicy()
    return colour(term.due_at, term.window, _aware(now), policy.yellow_fraction)


@dataclass(frozen=True)
class ReminderLadder:
    """The people above one suggestion's clock, read by the service from the units and committees."""

    officer_ids: tuple[int, ...] = ()  # the lead unit's officers
    head_officer_ids: tuple[int, ...] = ()  # the lead unit's head officer(s)
    staff_ids: tuple[int, ...] = ()
    committee_member_ids: tuple[int, ...] = ()  # the supervising special committee


@dataclass(frozen=True)
class Reminder:
    level: int  # 0 officers, 1 + the unit's head officer, 2 + staff and the supervising committee
    to_person_ids: tuple[int, ...]
    send_at: datetime  # after quiet hours unless urgent


def ladder_level(colour_now: WarningColour, overdue_by: timedelta, policy: DeadlinePolicy) -> int | None:
    """Yellow reminds the officer; red adds the unit's head officer; red for `staff_after` reaches staff."""
    if colour_now is WarningColour.GREEN:
        return None
    if colour_now is WarningColour.YELLOW:
        return 0
    return 2 if overdue_by >= policy.staff_after else 1


def reminder(
    ladder: ReminderLadder,
    term: Deadline,
    now: datetime,
    policy: DeadlinePolicy | None = None,
    *,
    urgent: bool = False,
) -> Reminder | None:
    """Who is reminded now and when it may go out; None while green.

    Every rung up to the level is told, each person once; a missing rung (no head officer recorded) is
    skipped, so the warning still reaches the rungs above it.
    """
    policy = policy or DeadlinePolicy()
    now_colour = suggestion_colour(term, now, policy)
    level = ladder_level(now_colour, max(now - term.due_at, timedelta(0)), policy)
    if level is None:
        return None
    rungs: Sequence[tuple[int, ...]] = (
        ladder.officer_ids,
        ladder.head_officer_ids,
        ladder.staff_ids + ladder.committee_member_ids,
    )
    people: list[int] = []
    for rung in rungs[: level + 1]:
        people.extend(p for p in rung if p not in people)
    return Reminder(level, tuple(people), deliver_at(now, policy.quiet, urgent=urgent))


# -- when the sweep looks again (the indexed `next_warning_at`) ---------------------------------------


def due_at(due_on: date, policy: DeadlinePolicy | None = None) -> datetime:
    """The end of the local due day, in UTC: overdue strictly after."""
    policy = policy or DeadlinePolicy()
    end = datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=policy.tz)
    return end.astimezone(UTC)


def rung_starts(term: Deadline, policy: DeadlinePolicy | None = None) -> tuple[datetime, datetime, datetime]:
    """When each rung of the ladder begins: yellow (the officers), red (+ the head officer), red for
    `staff_after` (+ staff and the supervising committee) — the first instants `ladder_level` says so."""
    policy = policy or DeadlinePolicy()
    return colour_rung_starts(term.due_at, term.window, policy.yellow_fraction, policy.staff_after)


def next_warning_at(
    term: Deadline, warned_rung: int, policy: DeadlinePolicy | None = None
) -> datetime | None:
    """When the sweep should look again, having warned `warned_rung` rungs (0 none, 3 all): the start of
    the next rung, or None when every rung has been warned."""
    return next_rung_at(rung_starts(term, policy), warned_rung)
