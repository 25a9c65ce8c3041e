"""The stations' work (联络站履职) in figures: duty visits, visitors, matters, opinions, problems resolved —
in all, per year, per township, per station and per deputy, counted in SQL (storage/repos/station_figures.py).

Definitions (the period is the report's: local days start..end inclusive in the congress's zone):

- **duty_visits** (进站履职, person-visits): duty days in the period on which the deputy on duty checked in
  (the ✅ Check in button, bot/duty). One per deputy, station and day — a deputy at two stations on one
  day makes two; a rostered day nobody checked in on makes none. (The report's `duty_days` counts
  distinct days instead: per station, a day with three deputies on duty is one duty day but three visits.)
- **receptions**, **home_visits** (走访), **visitors** (接待选民, people received at both),
  **matters_registered**, of which **resolved_at_reception** (answered on the spot) and
  **matters_routed** (sent on as opinions): the reception diary's entries whose local day is in the
  period, as bot/receptions/figures.py derives them (an entry without visitors counts for nothing; an
  entry typed before registration keeps its typed count of people).
- **opinions_collected** (收集意见建议): opinions received in the period (by `created_at`), of which
  **opinions_from_receptions** (registered at a reception or a home visit: `source` station_reception
  or home_visit) and **opinions_direct** (sent by the constituent through the bot).
- **opinions_resolved**: of those, the ones now closed with the sender's verdict satisfied or basically
  satisfied (confirm_satisfied / confirm_basic; an opinion closed without a verdict by the SLA sweep, or
  after the sender was dissatisfied, is not resolved; rejected and duplicates are not either) — the
  report's `resolved`.
- **problems_resolved** (推动办理各类问题): `problems_resolved()` below — matters resolved at reception plus
  opinions resolved. A matter sent on as an opinion counts once, through its opinion.

Rows: **per deputy** the deputy on duty, who received, and who holds the opinion now (None: the staff
queue, entries staff keep on their own); **per station** the duty's, the entry's (a home visit has none)
and the station the opinion was sent to; **per township** that station's nearest township ancestor in the
station tree (the township station itself; None for homes and stations under no township); **per year**
the local year of the duty day, the entry's day and the opinion's receipt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.i18n import N_
from bot.receptions.service import SOURCES
from storage.models.opinions import OpinionState, Satisfaction
from storage.repos.station_figures import COUNT_FIELDS, Counting, FigureRow, Grouping, StationFiguresRepo

__all__ = [
    "COUNTING",
    "FIELDS",
    "FIELD_LABELS",
    "NOTES",
    "TOP_DEPUTIES",
    "problems_resolved",
    "station_figures",
]

# Deputies listed by default (`liaison stats --json`; `--deputies all` lists every one).
TOP_DEPUTIES = 10

COUNTING = Counting(
    reception_sources=tuple(sorted(SOURCES.values())),
    resolved_state=OpinionState.CLOSED.value,
    resolved_verdicts=(Satisfaction.SATISFIED.value, Satisfaction.BASIC.value),
)

FIELDS: tuple[str, ...] = (*COUNT_FIELDS, "problems_resolved")
FIELD_LABELS: dict[str, str] = {
    "duty_visits": N_("Duty visits (check-ins)"),
    "receptions": N_("Receptions"),
    "home_visits": N_("Home visits"),
    "visitors": N_("Visitors received"),
    "matters_registered": N_("Matters registered"),
    "resolved_at_reception": N_("Resolved at reception"),
    "matters_routed": N_("Matters sent as opinions"),
    "opinions_collected": N_("Opinions collected"),
    "opinions_from_receptions": N_("Opinions from receptions"),
    "opinions_direct": N_("Opinions sent directly"),
    "opinions_resolved": N_("Opinions resolved"),
    "problems_resolved": N_("Problems resolved"),
}
NOTES = (
    "duty_visits: check-ins on duty days (one per deputy, station and day; a rostered day without a "
    "check-in is none)",
    "visitors: people registered at receptions and home visits (typed counts of entries from before "
    "registration); matters_registered = resolved_at_reception + matters_routed",
    "opinions_collected: opinions received in the period = opinions_from_receptions (registered at a "
    "reception or home visit) + opinions_direct (sent through the bot)",
    "opinions_resolved: received in the period and now closed with the verdict satisfied or basically "
    "satisfied",
    "problems_resolved = resolved_at_reception + opinions_resolved (a routed matter counts once, as its opinion)",
    "by_deputy: on duty / received / holds the opinion now; by_township: the station's nearest township "
    "ancestor; by_year: local year of the duty day, the entry's day, the opinion's receipt",
)


def problems_resolved(resolved_at_reception: int, opinions_resolved: int) -> int:
    """推动办理各类问题: the problems the stations' work resolved — each matter answered on the spot at a
    reception or home visit, and each opinion now closed with a satisfied or basically satisfied verdict
    (`COUNTING`). A matter sent on as an opinion is counted once, as that opinion. The one definition:
    every view of the figure is computed here."""
    return resolved_at_reception + opinions_resolved


def _row(row: FigureRow) -> dict[str, Any]:
    counts = row.counts
    return {
        "key": row.key,
        "code": row.code,
        "name": row.name,
        **counts,
        "problems_resolved": problems_resolved(counts["resolved_at_reception"], counts["opinions_resolved"]),
    }


def _busiest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most problems resolved first, then most duty visits, most visitors; the rest by code (None last)."""
    return sorted(
        rows,
        key=lambda r: (
            -r["problems_resolved"],
            -r["duty_visits"],
            -r["visitors"],
            r["key"] is None,
            str(r["code"] or ""),
            str(r["key"]),
        ),
    )


def year_starts(first: int, last: int, zone: ZoneInfo) -> list[tuple[int, datetime]]:
    """Each local year from `first` to `last` with its first instant in UTC."""
    return [
        (year, datetime.combine(date(year, 1, 1), time(0), tzinfo=zone).astimezone(UTC))
        for year in range(first, last + 1)
    ]


async def station_figures(
    session: AsyncSession,
    start: date | None,
    end: date | None,
    since: datetime | None,
    until: datetime | None,
    zone: ZoneInfo,
    *,
    deputies: int | None = TOP_DEPUTIES,
) -> dict[str, Any]:
    """The stations' figures as a JSON-ready dict (see the module docstring for the definitions).

    Args:
        start, end: the period's local days (None: open); `since`, `until` the same as UTC [since, until).
        deputies: how many deputies, and stations, to list (the busiest first); None lists every one.
    """
    repo = StationFiguresRepo(session)
    first, last = await repo.opinion_span(since, until)
    starts: list[tuple[int, datetime]] = []
    if first is not None and last is not None:
        starts = year_starts(first.astimezone(zone).year, last.astimezone(zone).year, zone)

    found = await repo.breakdowns(
        tuple(Grouping), COUNTING, days=(start, end), moments=(since, until), year_starts=starts
    )
    totals = _row(found[Grouping.TOTAL][0])
    by_deputy = _busiest([_row(r) for r in found[Grouping.DEPUTY]])
    shown = by_deputy if deputies is None else by_deputy[: max(0, deputies)]
    # A province has 12,000 stations: as many as deputies are listed (every one with None).
    by_station = _busiest([_row(r) for r in found[Grouping.STATION]])
    shown_stations = by_station if deputies is None else by_station[: max(0, deputies)]
    years = sorted((_row(r) for r in found[Grouping.YEAR]), key=lambda r: (r["key"] is None, r["key"] or 0))
    for year in years:
        year["name"] = "" if year["key"] is None else str(year["key"])
    return {
        "totals": {k: totals[k] for k in FIELDS},
        "by_year": years,
        "by_township": _busiest([_row(r) for r in found[Grouping.TOWNSHIP]]),
        "by_station": shown_stations,
        "by_deputy": shown,
        "deputies": {"shown": len(shown), "of": len(by_deputy)},
        "stations": {"shown": len(shown_stations), "of": len(by_station)},
        "notes": list(NOTES),
    }
