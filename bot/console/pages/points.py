"""Performance points in the console (履职积分): the ranking of deputies for a year, filtered by station,
level and group, with the yearly table as XLSX "as offices publish it"; a deputy's year line by line,
each line with a link to its source; staff adjustments (with a reason); recomputing a year now.

The rules are bot/points's (`PointsService`: the same checks, refusals and audit entries); the yearly
rule table and the meetings and trainings are pages/points_rules.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.console.export import Cell, Table
from bot.console.labels import LEVEL_LABELS, label
from bot.console.pages.base import (
    FORM,
    ROOT,
    download,
    export_format,
    link,
    not_found,
    redirect,
    services,
    signed,
    staff_page,
    tr_of,
    uow,
)
from bot.console.reads.base import PAGE_SIZE, Page, page_number, parse_id
from bot.kit.i18n import N_, Translator
from bot.points import views
from bot.points.reading import Filters, RankRow, Statement, ranking
from bot.points.rules import KIND_LABELS, KIND_ORDER
from bot.points.service import MAX_REASON, MIN_YEAR, PointsService
from storage.models import DeputyLevel

__all__ = [
    "adjust",
    "deputy",
    "form_text",
    "form_year",
    "parse_int",
    "points",
    "recompute",
    "service_of",
    "year_of",
]

DONE = {
    "adjusted": N_("The adjustment was recorded."),
    "recomputed": N_("The year's points were recomputed: {n} lines."),
}
_INT = re.compile(r"^[+-]?[0-9]{1,6}$")


def service_of(request: web.Request) -> PointsService:
    return PointsService(uow(request), services(request).settings.zone)


def year_of(request: web.Request, value: object) -> int:
    """A year from the query or form (2000 … next year), this year for anything else."""
    service, now = service_of(request), services(request).clock.now()
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) == 4 and service.year_ok(int(text), now):
        return int(text)
    return service.year_now(now)


def form_year(request: web.Request) -> int | None:
    """The year a form posts (2000 … next year), or None: a form never falls back to another year."""
    text = form_text(request, "year", 8)
    service, now = service_of(request), services(request).clock.now()
    if text.isascii() and text.isdigit() and len(text) == 4 and service.year_ok(int(text), now):
        return int(text)
    return None


def parse_int(value: object) -> int | None:
    """A whole number typed in a form ("-3", "+5", "−3" with the typographic minus), or None."""
    text = value.strip().replace("−", "-") if isinstance(value, str) else ""
    return int(text) if _INT.match(text) else None


def form_text(request: web.Request, name: str, limit: int) -> str:
    value = request[FORM].get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@dataclass(frozen=True)
class RankingQuery:
    """The ranking's filters as the query string carries them (anything unknown is dropped)."""

    year: int
    level: str | None = None
    station_id: int | None = None
    group_id: int | None = None

    @classmethod
    def parse(cls, request: web.Request, query: MultiMapping[str]) -> RankingQuery:
        level = query.get("level", "")
        return cls(
            year_of(request, query.get("year")),
            level if level in {lv.value for lv in DeputyLevel} else None,
            parse_id(query.get("station") or None),
            parse_id(query.get("group") or None),
        )

    @property
    def filters(self) -> Filters:
        return Filters(self.level, self.station_id, self.group_id)

    def as_query(self) -> dict[str, str]:
        pairs = {"year": self.year, "level": self.level, "station": self.station_id, "group": self.group_id}
        return {k: str(v) for k, v in pairs.items() if v is not None}


def _year_table(tr: Translator, year: int, rows: list[RankRow]) -> Table:
    """The yearly table as offices publish it: a row per deputy — who, where, each kind's count and
    points, the adjustments, the total and the rank."""
    headers = [tr("Full name"), tr("Code"), tr("Level"), tr("Station"), tr("Deputy group")]
    for kind in KIND_ORDER:
        headers += [
            tr("{kind}: count", kind=tr(KIND_LABELS[kind])),
            tr("{kind}: points", kind=tr(KIND_LABELS[kind])),
        ]
    headers += [tr("Adjustments"), tr("Total"), tr("Rank")]
    body: list[list[Cell]] = []
    for r in rows:
        cells: list[Cell] = [
            r.deputy.name,
            r.deputy.code or "",
            label(tr, LEVEL_LABELS, r.deputy.level),
            "、".join(r.stations),
            "、".join(r.groups),
        ]
        for kind in KIND_ORDER:
            cells += list(r.kinds[kind])
        body.append([*cells, r.adjusted, r.total, r.rank])
    return Table(tr("Performance points {year}", year=year), headers, body)


async def points(request: web.Request) -> web.Response:
    """GET /console/points?year=&level=&station=&group=: the ranking (or ?format=xlsx: the yearly table)."""
    tr, found = tr_of(request), uow(request)
    q = RankingQuery.parse(request, request.query)
    rows = await services(request).reports.run(found, lambda worker: ranking(worker, q.year, q.filters))
    kind = export_format(request)
    if kind is not None:
        return await download(request, f"points-{q.year}", kind, [_year_table(tr, q.year, rows)])
    paging = Page(page_number(request.query.get("page")), PAGE_SIZE, len(rows))
    paging = Page(min(paging.number, paging.pages), PAGE_SIZE, len(rows))
    done = request.query.get("done", "")
    query = q.as_query()
    return staff_page(
        request,
        "points.html",
        nav="points",
        q=q,
        rows=rows[paging.offset : paging.offset + PAGE_SIZE],
        paging=paging,
        levels=[lv.value for lv in DeputyLevel],
        stations=await found.points.station_choices(),
        groups=await found.points.group_choices(),
        computed_at=await found.points.computed_at(q.year),
        message=tr(DONE[done], n=parse_id(request.query.get("n")) or 0) if done in DONE else "",
        prev_url=link("/points", query, page=paging.number - 1),
        next_url=link("/points", query, page=paging.number + 1),
        xlsx_url=link("/points", query, format="xlsx"),
        csv_url=link("/points", query, format="csv"),
    )


async def _sources(request: web.Request, seen: Statement) -> dict[tuple[str, int], str]:
    """(source type, id) → the console page of the source, where there is one."""
    repo = uow(request).points
    lines = await repo.lines(seen.year, seen.deputy.deputy_id)
    codes = await repo.station_codes(line.station_id for line in lines if line.station_id is not None)
    activities = await repo.activity_ids(line.source_id for line in lines if line.source_type == "attendance")
    out: dict[tuple[str, int], str] = {}
    for line in lines:
        key = (line.source_type, line.source_id)
        if line.source_type == "opinion":
            out[key] = f"{ROOT}/opinions/{line.source_id}"
        elif line.source_type == "suggestion":
            out[key] = f"{ROOT}/suggestions/{line.source_id}"
        elif line.source_type == "duty" and line.station_id in codes:
            out[key] = link("/duty", {"station": codes[line.station_id], "month": line.day.strftime("%Y-%m")})
        elif line.source_type == "attendance" and line.source_id in activities:
            out[key] = f"{ROOT}/points/activities/{activities[line.source_id]}"
    return out


async def _deputy_page(
    request: web.Request, deputy_id: int, year: int, *, status: int = 200, message: str = "", **form: Any
) -> web.Response:
    tr, service = tr_of(request), service_of(request)
    found = await service.deputy(deputy_id)
    if found is None:
        return not_found(request, tr, tr("There is no deputy with this code."))
    seen = await service.year_of(signed(request).person, found, year, services(request).clock.now())
    return staff_page(
        request,
        "points_deputy.html",
        status=status,
        nav="points",
        seen=seen,
        kinds=KIND_LABELS,
        line_text=lambda entry: views.entry_line(tr, entry),
        sources=await _sources(request, seen),
        message=message,
        failed=status >= 400,
        form={"points": "", "reason": "", **form},
        max_reason=MAX_REASON,
        years=range(year - 2, year + 1),
        min_year=MIN_YEAR,
    )


async def deputy(request: web.Request) -> web.Response:
    """GET /console/points/deputy/{deputy_id}?year=: every line of the deputy's year with its source."""
    deputy_id = parse_id(request.match_info["deputy_id"])
    year = year_of(request, request.query.get("year"))
    done = request.query.get("done", "")
    message = tr_of(request)(DONE[done], n=0) if done in DONE else ""
    return await _deputy_page(request, deputy_id if deputy_id is not None else -1, year, message=message)


async def adjust(request: web.Request) -> web.StreamResponse:
    """POST /console/points/deputy/{deputy_id}/adjust: points ± with a reason (audited by the service)."""
    tr, service, now = tr_of(request), service_of(request), services(request).clock.now()
    deputy_id = parse_id(request.match_info["deputy_id"])
    year = form_year(request)
    typed, reason = form_text(request, "points", 16), form_text(request, "reason", MAX_REASON + 50)
    if year is None:
        year = service.year_now(now)
        message = views.refusal_text(tr, "bad_year", html=False)
        return await _deputy_page(
            request, deputy_id or -1, year, status=400, message=message, points=typed, reason=reason
        )
    points = parse_int(typed)
    outcome = await service.adjust(
        signed(request).person, deputy_id if deputy_id is not None else -1, year, points or 0, reason, now
    )
    if not outcome.ok:
        message = views.refusal_text(tr, outcome.problem, outcome.detail, html=False)
        return await _deputy_page(
            request, deputy_id or -1, year, status=400, message=message, points=typed, reason=reason
        )
    return redirect(link(f"/points/deputy/{deputy_id}", {"year": str(year), "done": "adjusted"}))


async def recompute(request: web.Request) -> web.StreamResponse:
    """POST /console/points/recompute: the year's lines recomputed now (audited)."""
    service, now = service_of(request), services(request).clock.now()
    year = form_year(request)
    if year is None:
        return redirect(link("/points", {}))
    outcome = await service.recompute_by(signed(request).person, year, now)
    return redirect(link("/points", {"year": str(year), "done": "recomputed", "n": str(outcome.changed)}))
