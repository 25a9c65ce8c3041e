"""Figures of the suggestion loop for /stats, the console and `liaison stats`: counts in SQL, shares here.

Definitions (what the reports print, spelled out once; the counts are `storage/repos/suggestion_figures.py`):

- **Period.** Suggestions are selected by the moment they were *filed* (`filed_at`, given with the
  number), in the same local days as the opinions' figures (`bot/stats/periods.py`); every other figure
  describes that cohort as it stands now. A **yearly report** takes the suggestions numbered in the
  year's series (`S-YYYY-…`: the session that opened that year, and the recess of that year).
- **series**: the congress session a suggestion was numbered under (its code, e.g. `16-4`), else the
  recess year (闭会期间, e.g. `2025`).
- **filed** (提出): numbered suggestions, whatever became of them (merged and withdrawn ones are also
  counted apart). **assigned** (交办): published to their units. **answered** (答复): with a first answer.
- **class A / B / C**: the latest answer's result class; **A-share** = A of answered, as an exact fraction
  and a percentage rounded half up to two places (`results.a_share`: 358 of 549 shows as 65.21%).
- **on time**: the first answer given on or before the due day then running (`first_answer_on_time`);
  **on-time rate** = on time of answered.
- **satisfaction**: the deputy's latest rating — satisfied, basically satisfied, dissatisfied — of the
  **rated** ones; **ever dissatisfied**: rated dissatisfied at least once (also when a re-handled answer
  was then accepted); **re-handled**: sent back to the unit after a dissatisfied rating.
- **closed** (销号): by the deputy's rating or by staff with a reason (`closed_at`).
- **三见面 completion**: of the answered suggestions, the share with a contact the deputy *confirmed* at
  each stage — before (办前沟通), during (办中协商), after (办后回访) — and at all three.
- **by lead unit** (主办) and **by committee** (the special committee supervising it, 对口督办): the unit
  leading it now, the committee chosen at assignment; a suggestion not yet assigned has neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.suggestions.results import Share, a_share
from storage.repos.suggestion_figures import COUNT_FIELDS, Breakdown, CountRow, SuggestionFiguresRepo

__all__ = [
    "BREAKDOWNS",
    "COUNT_FIELDS",
    "NOTE",
    "derive",
    "share_of",
    "shown",
    "suggestion_figures",
    "suggestion_totals",
    "year_figures",
]

BREAKDOWNS = {
    "by_series": Breakdown.SERIES,
    "by_unit": Breakdown.UNIT,
    "by_committee": Breakdown.COMMITTEE,
    "by_category": Breakdown.CATEGORY,
}
NOTE = (
    "suggestions: selected by the day they were filed; classes and ratings are the latest; on time = "
    "first answer on or before the due day; 三见面 = contacts the deputy confirmed, of the answered ones"
)


def share_of(count: int, total: int) -> dict[str, Any]:
    """A share as JSON: the counts, the exact fraction and the percentage (None when nothing to share)."""
    share = Share(count, total)
    return {
        "count": count,
        "total": total,
        "fraction": str(share.exact) if total else None,
        "percent": float(share.percent) if total else None,
    }


def shown(share: Mapping[str, Any]) -> str:
    """A share as people read it: "65.21%" ("-" when there is nothing to share)."""
    return "-" if share["percent"] is None else f"{Share(share['count'], share['total'])}"


def derive(counts: Mapping[str, int]) -> dict[str, Any]:
    """The counts with their shares: A-share, on-time rate, satisfaction, 三见面 completion."""
    answered, rated = counts["answered"], counts["rated"]
    a = a_share({"A": counts["class_a"], "B": counts["class_b"], "C": counts["class_c"]})
    return {
        **{k: counts[k] for k in COUNT_FIELDS},
        "a_share": share_of(a.count, a.total),
        "on_time_rate": share_of(counts["on_time"], answered),
        "satisfaction": {
            "satisfied": share_of(counts["satisfied"], rated),
            "basic": share_of(counts["basic"], rated),
            "dissatisfied": share_of(counts["dissatisfied"], rated),
            "satisfied_or_basic": share_of(counts["satisfied"] + counts["basic"], rated),
        },
        "contacts": {
            stage: share_of(counts[f"contact_{stage}"], answered)
            for stage in ("before", "during", "after", "all")
        },
    }


def _row(breakdown: Breakdown, row: CountRow) -> dict[str, Any]:
    out: dict[str, Any] = {"key": row.key, "code": row.code, "name": row.name}
    if breakdown is Breakdown.SERIES:
        recess = isinstance(row.key, str) and row.key.isdigit() and len(row.key) == 4
        out.update(kind="recess" if recess else "session", code=row.key, name=row.key)
    elif breakdown is Breakdown.CATEGORY:
        out.update(code=row.key)
    return {**out, **derive(row.counts)}


def _sorted(breakdown: Breakdown, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if breakdown is Breakdown.SERIES:
        return sorted(rows, key=lambda r: (r["kind"] == "recess", str(r["key"])))
    # Most filed first; the row without a unit or committee (not yet assigned) last.
    return sorted(rows, key=lambda r: (r["key"] is None, -r["filed"], str(r["code"] or r["key"])))


async def _figures(
    repo: SuggestionFiguresRepo,
    *,
    since: datetime | None,
    until: datetime | None,
    year: int | None,
    unit_id: int | None = None,
    committee_id: int | None = None,
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "since": since,
        "until": until,
        "year": year,
        "unit_id": unit_id,
        "committee_id": committee_id,
    }
    total = await repo.counts(Breakdown.TOTAL, **scope)
    out: dict[str, Any] = {"totals": derive(total[0].counts if total else dict.fromkeys(COUNT_FIELDS, 0))}
    for name, breakdown in BREAKDOWNS.items():
        rows = await repo.counts(breakdown, **scope)
        out[name] = _sorted(breakdown, [_row(breakdown, r) for r in rows])
    out["notes"] = [NOTE]
    return out


async def suggestion_figures(
    repo: SuggestionFiguresRepo, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """The figures of the suggestions filed in [since, until) (UTC; None: open), JSON-ready."""
    return await _figures(repo, since=since, until=until, year=None)


async def suggestion_totals(
    repo: SuggestionFiguresRepo, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Only the totals of `suggestion_figures` (the dashboard's cards), without the breakdowns."""
    total = await repo.counts(Breakdown.TOTAL, since=since, until=until)
    return {"totals": derive(total[0].counts if total else dict.fromkeys(COUNT_FIELDS, 0))}


async def year_figures(
    repo: SuggestionFiguresRepo, year: int, *, unit_id: int | None = None, committee_id: int | None = None
) -> dict[str, Any]:
    """The figures of the suggestions numbered in a year's series (the yearly report), JSON-ready; of one
    lead unit's or one supervising committee's only, when given."""
    figures = await _figures(
        repo, since=None, until=None, year=year, unit_id=unit_id, committee_id=committee_id
    )
    return {"year": year, **figures}
