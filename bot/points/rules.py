"""The points rules, pure: the kinds and their words, the default table a new year starts from, the checks
on an edited rule, a year's bounds in the congress's zone, and pricing — sources in, lines out.

Pricing is deterministic: a deputy's sources of one kind are taken by day, then by source, and the
year's cap (on the kind's points, a deduction's counted by size) is filled in that order; a source past
the cap still gets its line, with the points it could still earn (often 0) and marked capped, so the
deputy sees why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.kit.i18n import N_
from storage.models.points import ActivityKind, PointKind

__all__ = [
    "ACTIVITY_KINDS",
    "AWARDS",
    "DEDUCTIONS",
    "DEFAULT_RULES",
    "KIND_LABELS",
    "KIND_ORDER",
    "KIND_UNITS",
    "MAX_CAP",
    "MAX_POINTS",
    "ActivityKind",
    "Default",
    "Line",
    "PointKind",
    "Price",
    "Source",
    "YearSpan",
    "price",
    "rule_problem",
    "year_span",
]

KIND_ORDER: tuple[PointKind, ...] = tuple(PointKind)
DEDUCTIONS = frozenset({PointKind.DUTY_MISSED, PointKind.OPINION_RED})
AWARDS = frozenset(set(PointKind) - DEDUCTIONS)
MAX_POINTS = 100  # per unit, either way
MAX_CAP = 10_000

KIND_LABELS: dict[str, str] = {
    PointKind.DUTY_CHECK_IN: N_("Duty check-in (进站履职)"),
    PointKind.VISITOR: N_("Constituents received"),
    PointKind.OPINION_ON_TIME: N_("Opinion answered on time"),
    PointKind.OPINION_SATISFIED: N_("Satisfied verdict on an opinion"),
    PointKind.SUGGESTION_FILED: N_("Suggestion filed"),
    PointKind.MEETING: N_("Meeting attended"),
    PointKind.TRAINING: N_("Training attended"),
    PointKind.DUTY_MISSED: N_("Duty day missed (no check-in, no swap)"),
    PointKind.OPINION_RED: N_("Opinion overdue (red) while held"),
}

# What one unit of a kind is, for counts ("3 check-ins", "25 people").
KIND_UNITS: dict[str, str] = {
    PointKind.DUTY_CHECK_IN: N_("per check-in"),
    PointKind.VISITOR: N_("per person received"),
    PointKind.OPINION_ON_TIME: N_("per opinion"),
    PointKind.OPINION_SATISFIED: N_("per verdict"),
    PointKind.SUGGESTION_FILED: N_("per suggestion"),
    PointKind.MEETING: N_("per meeting"),
    PointKind.TRAINING: N_("per training"),
    PointKind.DUTY_MISSED: N_("per day missed"),
    PointKind.OPINION_RED: N_("per opinion"),
}


@dataclass(frozen=True)
class Default:
    points: int
    cap: int | None
    description: str


# A new year's table (staff edit it, or copy last year's). Descriptions say what counts, exactly.
DEFAULT_RULES: dict[PointKind, Default] = {
    PointKind.DUTY_CHECK_IN: Default(2, None, N_("A duty day at a station, checked in on the day.")),
    PointKind.VISITOR: Default(
        1, 60, N_("Each visitor registered in the diary (民情日记), at a station or on a home visit.")
    ),
    PointKind.OPINION_ON_TIME: Default(
        2, None, N_("An opinion the deputy answered no later than its answer deadline.")
    ),
    PointKind.OPINION_SATISFIED: Default(
        1, None, N_("An opinion the deputy held that its sender closed as satisfied (✅).")
    ),
    PointKind.SUGGESTION_FILED: Default(5, 30, N_("A suggestion the deputy filed, once it has its number.")),
    PointKind.MEETING: Default(2, None, N_("A meeting the office recorded the deputy at.")),
    PointKind.TRAINING: Default(3, None, N_("A training the office recorded the deputy at.")),
    PointKind.DUTY_MISSED: Default(
        -3, None, N_("A rostered duty day gone by without a check-in and not swapped to another deputy.")
    ),
    PointKind.OPINION_RED: Default(
        -2, None, N_("An opinion that turned red (overdue) while the deputy held it, once per opinion.")
    ),
}

ACTIVITY_KINDS: dict[str, PointKind] = {
    ActivityKind.MEETING: PointKind.MEETING,
    ActivityKind.TRAINING: PointKind.TRAINING,
}


@dataclass(frozen=True)
class YearSpan:
    """A year in the congress's zone: its local days and the UTC instants between its midnights."""

    year: int
    first: date
    last: date
    start: datetime
    end: datetime


def year_span(year: int, zone: ZoneInfo) -> YearSpan:
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=zone).astimezone(UTC)
    return YearSpan(year, date(year, 1, 1), date(year, 12, 31), start, end)


def rule_problem(kind: PointKind, points: int, cap: int | None) -> str | None:
    """Why an edited rule cannot stand (a code for the views), or None: awards are not negative,
    deductions not positive, at most `MAX_POINTS` a unit, a cap positive."""
    if abs(points) > MAX_POINTS:
        return "points_range"
    if kind in DEDUCTIONS and points > 0:
        return "deduction_positive"
    if kind in AWARDS and points < 0:
        return "award_negative"
    if cap is not None and not 1 <= cap <= MAX_CAP:
        return "cap_range"
    return None


@dataclass(frozen=True)
class Source:
    """A record that may earn (or cost) a deputy points: which, whose, when, how many units."""

    kind: PointKind
    deputy_id: int
    source_type: str
    source_id: int
    day: date
    quantity: int = 1
    station_id: int | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Price:
    """A rule as pricing reads it: the row and revision lines cite, points a unit, the year's cap."""

    rule_id: int
    revision: int
    points: int
    cap: int | None
    active: bool = True


@dataclass(frozen=True)
class Line:
    source: Source
    points: int
    capped: bool
    rule_id: int
    rule_revision: int


def price(sources: Iterable[Source], prices: Mapping[PointKind, Price]) -> list[Line]:
    """One line per source of an active rule, in a stable order, the year's caps applied in day order."""
    ordered = sorted(
        sources, key=lambda s: (s.deputy_id, KIND_ORDER.index(s.kind), s.day, s.source_type, s.source_id)
    )
    used: dict[tuple[int, PointKind], int] = {}
    lines: list[Line] = []
    for source in ordered:
        rule = prices.get(source.kind)
        if rule is None or not rule.active:
            continue
        full = source.quantity * rule.points
        size = abs(full)
        if rule.cap is not None:
            taken = used.get((source.deputy_id, source.kind), 0)
            size = min(size, max(rule.cap - taken, 0))
            used[(source.deputy_id, source.kind)] = taken + size
        points = size if full >= 0 else -size
        lines.append(Line(source, points, points != full, rule.rule_id, rule.revision))
    return lines
