"""Deadlines, warning colours (三色预警), quiet hours and the escalation ladder — pure, `now` passed in.

Nothing here reads the wall clock: callers pass `now` (from a `Clock`), so tests and the demo can jump
days ahead and every boundary is reproducible.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kit.reminders import colour_rung_starts, next_rung_at
from bot.runtime.clock import Clock, ManualClock, SystemClock
from storage.models.opinions import ACCEPT_CLOCK_STATES, ANSWER_CLOCK_STATES, OpinionState, WarningColour
from storage.repos.colours import ColourClock

__all__ = [
    "Clock",
    "ClockKind",
    "Escalation",
    "FixedClock",
    "Ladder",
    "ManualClock",
    "SlaPolicy",
    "SystemClock",
    "WarningColour",
    "accept_deadline",
    "answer_deadline",
    "auto_close_due",
    "colour",
    "colour_clock",
    "deliver_at",
    "escalation",
    "is_quiet",
    "ladder_level",
    "next_warning_at",
    "running_clock",
    "warned_rungs",
]


class FixedClock:
    """A clock that stands still until a test moves it: every boundary is hit exactly."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> datetime:
        self._now = now
        return now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


@dataclass(frozen=True)
class SlaPolicy:
    """The congress's clocks; per-category overrides take precedence over the defaults."""

    accept_within: timedelta = timedelta(hours=24)
    answer_within: timedelta = timedelta(days=7)
    accept_overrides: Mapping[str, timedelta] = field(default_factory=dict)
    answer_overrides: Mapping[str, timedelta] = field(default_factory=dict)
    auto_close_after: timedelta = timedelta(days=14)
    yellow_fraction: float = 0.2  # yellow when less than this share of the window is left
    # Overdue this long, the ladder climbs past the committee member to the presidium.
    presidium_after: timedelta = timedelta(days=3)
    zone: str = "Asia/Shanghai"
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def accept_window(self, category: str | None) -> timedelta:
        return self.accept_overrides.get(category or "", self.accept_within)

    def answer_window(self, category: str | None) -> timedelta:
        return self.answer_overrides.get(category or "", self.answer_within)

    def local_today(self, now: datetime) -> date:
        """The congress's calendar day at `now` (duty rosters are by local day)."""
        return now.astimezone(self.tz).date()


def accept_deadline(policy: SlaPolicy, category: str | None, since: datetime) -> datetime:
    return since + policy.accept_window(category)


def answer_deadline(policy: SlaPolicy, category: str | None, since: datetime) -> datetime:
    return since + policy.answer_window(category)


def auto_close_due(policy: SlaPolicy, answered_at: datetime | None, now: datetime) -> bool:
    """True once an answer has waited `auto_close_after` for the sender's confirmation."""
    return answered_at is not None and now >= answered_at + policy.auto_close_after


def colour(
    deadline: datetime, window: timedelta, now: datetime, yellow_fraction: float = 0.2
) -> WarningColour:
    """Green with time to spare, yellow when under `yellow_fraction` of the window is left, red once past.

    At the deadline itself it is still yellow: overdue means strictly after.
    """
    left = deadline - now
    if left < timedelta(0):
        return WarningColour.RED
    if left < window * yellow_fraction:
        return WarningColour.YELLOW
    return WarningColour.GREEN


class ClockKind(enum.StrEnum):
    ACCEPT = "accept"
    ANSWER = "answer"


def colour_clock(policy: SlaPolicy, now: datetime) -> ColourClock:
    """The policy's windows at `now`, for the colours counted in SQL (storage/repos/colours.py: the
    definition of `colour` and `running_clock`, there as one expression)."""
    return ColourClock(
        now=now,
        accept_within=policy.accept_within,
        answer_within=policy.answer_within,
        accept_overrides=dict(policy.accept_overrides),
        answer_overrides=dict(policy.answer_overrides),
        yellow_fraction=policy.yellow_fraction,
    )


def running_clock(
    state: OpinionState | str, accept_by: datetime | None, answer_by: datetime | None
) -> tuple[ClockKind, datetime] | None:
    """Which deadline runs in this state (escalated opinions follow the suggestion's clock, not ours)."""
    current = OpinionState(state)
    if current in ACCEPT_CLOCK_STATES and accept_by is not None:
        return ClockKind.ACCEPT, accept_by
    if current in ANSWER_CLOCK_STATES and answer_by is not None:
        return ClockKind.ANSWER, answer_by
    return None


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass aware datetimes")
    return moment.astimezone(zone)


def _in_window(t: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # the window wraps midnight


def is_quiet(now: datetime, policy: SlaPolicy) -> bool:
    """Whether `now` falls in quiet hours, read on the congress's local clock."""
    local = _local(now, policy.tz)
    return _in_window(local.time().replace(tzinfo=None), policy.quiet_start, policy.quiet_end)


def deliver_at(now: datetime, policy: SlaPolicy, *, urgent: bool = False) -> datetime:
    """When a ping may go out: now, or — if non-urgent in quiet hours — the end of quiet hours, in UTC."""
    if urgent or not is_quiet(now, policy):
        return now
    zone = policy.tz
    local = _local(now, zone)
    day = local.date()
    end_today = datetime.combine(day, policy.quiet_end, tzinfo=zone)
    # Before midnight (or a window that does not wrap) the quiet hours end on the next local day.
    if local >= end_today:
        end_today = datetime.combine(day + timedelta(days=1), policy.quiet_end, tzinfo=zone)
    return end_today.astimezone(UTC)


@dataclass(frozen=True)
class Ladder:
    """The network above one deputy, read from contact links (see service.build_ladder)."""

    deputy_person_id: int | None
    # Committee members who contact the deputy (committee_deputy links).
    committee_member_ids: tuple[int, ...] = ()
    # Presidium members who contact those committee members (presidium_committee links).
    presidium_ids: tuple[int, ...] = ()
    # Special committees whose categories include the opinion's category.
    special_committee_ids: tuple[int, ...] = ()
    # Their members as (committee id, person id), committees in the order above.
    special_committee_members: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Escalation:
    level: int  # 0 the deputy, 1 committee member, 2 presidium
    to_person_ids: tuple[int, ...]
    cc_committee_ids: tuple[int, ...] = ()
    # (committee id, person id): who gets the committee's copy; one copy per person, never a recipient.
    cc_members: tuple[tuple[int, int], ...] = ()


def warned_rungs(last_warning: str | None) -> int:
    """How many rungs of the ladder `last_warning` (`yellow:0`, `red:1`, `red:2`) has warned: its level
    plus one, 0 for none (or a value this version does not read, which is then warned again)."""
    _, _, level = (last_warning or "").partition(":")
    return int(level) + 1 if level.isdigit() else 0


def next_warning_at(
    policy: SlaPolicy,
    state: OpinionState | str,
    accept_by: datetime | None,
    answer_by: datetime | None,
    category: str | None,
    last_warning: str | None,
) -> datetime | None:
    """When the sweep should look at an opinion again: the start of the first rung of the running
    clock's ladder (yellow, red, red for `presidium_after`) above `last_warning`; None when no clock
    runs or every rung has been warned. Stored as `Opinion.next_warning_at`, which the sweep's query
    reads (indexed)."""
    running = running_clock(state, accept_by, answer_by)
    if running is None:
        return None
    kind, deadline = running
    window = policy.accept_window(category) if kind is ClockKind.ACCEPT else policy.answer_window(category)
    starts = colour_rung_starts(deadline, window, policy.yellow_fraction, policy.presidium_after)
    return next_rung_at(starts, warned_rungs(last_warning))


def ladder_level(colour_now: WarningColour, overdue_by: timedelta, policy: SlaPolicy) -> int | None:
    """How high a warning climbs: yellow reminds the deputy, red goes up, long-red reaches the presidium."""
    if colour_now is WarningColour.GREEN:
        return None
    if colour_now is WarningColour.YELLOW:
        return 0
    return 2 if overdue_by >= policy.presidium_after else 1


def escalation(ladder: Ladder, level: int) -> Escalation:
    """Who is told at `level`: everyone from the deputy up to that rung; the special committee copied from 1.

    A missing rung (no committee member links the deputy) is skipped rather than leaving nobody told;
    when the deputy is the only one known, the warning stays with them. A committee member who is on
    the ladder already gets the warning itself, not a copy; one on two matching committees gets one.
    """
    rungs: list[Sequence[int]] = [
        (ladder.deputy_person_id,) if ladder.deputy_person_id is not None else (),
        ladder.committee_member_ids,
        ladder.presidium_ids,
    ]
    people: list[int] = []
    for rung in rungs[: max(0, min(level, 2)) + 1]:
        people.extend(p for p in rung if p not in people)
    cc = ladder.special_committee_ids if level >= 1 else ()
    copied: dict[int, int] = {}
    for committee_id, person_id in ladder.special_committee_members:
        if committee_id in cc and person_id not in people:
            copied.setdefault(person_id, committee_id)
    return Escalation(level, tuple(people), tuple(cc), tuple((c, p) for p, c in copied.items()))
