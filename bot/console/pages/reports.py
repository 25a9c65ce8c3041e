"""The audit log and the statistics report: filtered, paged, and exportable (an export is audited)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web

from bot.console.export import Table
from bot.console.pages.base import (
    download,
    export_format,
    link,
    not_found,
    off_loop,
    reads,
    services,
    signed,
    staff_page,
    tr_of,
    uow,
    when_of,
)
from bot.console.reads.audit import AuditReads, AuditRow
from bot.console.reads.base import PAGE_SIZE, Page, clean_query, page_number
from bot.console.reads.dashboard import DashboardReads
from bot.kit.i18n import Translator
from bot.stats.tables import (
    BREAKDOWNS,
    STATION_SECTIONS,
    SUGGESTION_SHEET,
    area_table,
    console_table,
    station_tables,
    stats_tables,
)
from bot.suggestions.report import XLSX_TYPE, YearReport, figures_tables, to_xlsx

__all__ = ["audit", "statistics", "suggestion_report"]


def _audit_table(tr: Translator, rows: Sequence[AuditRow], when: Callable[[datetime | None], str]) -> Table:
    return Table(
        tr("Audit log"),
        [
            tr("Number"),
            tr("Time"),
            tr("Actor"),
            tr("Telegram id"),
            tr("Action"),
            tr("Object"),
            tr("Allowed"),
            tr("Details"),
        ],
        [
            [
                r.id,
                when(r.at),
                tr("anonymous") if r.anonymous else r.actor or "",
                r.actor_telegram_id,
                r.action,
                f"{r.object_type or ''} {r.object_id or ''}".strip(),
                tr("yes") if r.allowed else tr("no"),
                _detail_text(r.detail),
            ]
            for r in rows
        ],
    )


def _detail_text(detail: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in detail.items() if v is not None and v != "")


async def audit(request: web.Request) -> web.Response:
    tr = tr_of(request)
    action = clean_query(request.query.get("action"))
    refused = request.query.get("refused") == "1"
    kind = export_format(request)
    service = reads(request, AuditReads)
    if kind is not None:
        rows, _paging = await off_loop(
            request, AuditReads, lambda found: found.audit(action=action, refused_only=refused, size=0)
        )
        when = when_of(services(request).settings)
        return await download(request, "audit", kind, [_audit_table(tr, rows, when)])
    rows, paging = await service.audit(
        page_number(request.query.get("page")), action=action, refused_only=refused
    )
    query = {"action": action, "refused": "1" if refused else ""}
    return staff_page(
        request,
        "audit.html",
        nav="audit",
        rows=rows,
        paging=paging,
        action=action,
        refused=refused,
        detail_text=_detail_text,
        prev_url=link("/audit", query, page=paging.number - 1),
        next_url=link("/audit", query, page=paging.number + 1),
        xlsx_url=link("/audit", query, format="xlsx"),
        csv_url=link("/audit", query, format="csv"),
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# The sections of the page's tables, in order (bot/stats/tables.py).
OPINION_SECTIONS = ("totals", "durations", *(k for k, _ in BREAKDOWNS), "by_area")
STATION_TABLES = ("totals", *(k for k, _ in STATION_SECTIONS))


# The long tables the page shows a page at a time (every row in the downloads): the query parameter of
# each one's page, by its place among the page's tables. A province has 100,000 deputies, 12,000 stations.
PAGED = {"by_station": "stations_page", "by_deputy": "deputies_page"}
STATION_PAGED = {"by_deputy": "workers_page"}


@dataclass(frozen=True)
class Pager:
    paging: Page
    prev_url: str
    next_url: str


def _paged(
    tables: list[Table],
    sections: Sequence[str],
    paged: Mapping[str, str],
    request: web.Request,
    query: dict[str, str],
) -> tuple[list[Table], dict[int, Pager]]:
    """The tables with the long ones cut to the page asked for, and their pagers by place."""
    out, pagers = list(tables), {}
    for section, param in paged.items():
        index = sections.index(section)
        table = tables[index]
        total = len(table.rows)
        number = min(page_number(request.query.get(param)), max(1, -(-total // PAGE_SIZE)))
        paging = Page(number, PAGE_SIZE, total)
        out[index] = Table(table.title, table.headers, table.rows[paging.offset : paging.offset + PAGE_SIZE])
        if paging.pages > 1:
            pagers[index] = Pager(
                paging,
                link("/stats", query, **{param: number - 1}),
                link("/stats", query, **{param: number + 1}),
            )
    return out, pagers


async def statistics(request: web.Request) -> web.Response:
    tr = tr_of(request)
    start, end = _day(request.query.get("from")), _day(request.query.get("to"))
    error = None
    if start and end and start > end:
        error, start, end = tr("The period starts after it ends."), None, None
    found = reads(request, DashboardReads)
    stats = await off_loop(request, DashboardReads, lambda worker: worker.statistics(start, end))
    tables = [*stats_tables(tr, stats), area_table(tr, stats)]
    stations = station_tables(tr, stats["stations"])
    suggestions = figures_tables(stats["suggestions"], tr)
    kind = export_format(request)
    query = {"from": start.isoformat() if start else "", "to": end.isoformat() if end else ""}
    if kind is not None:
        exported = [console_table(t, tr(SUGGESTION_SHEET, title=t.title)) for t in suggestions]
        return await download(request, "statistics", kind, [*tables, *stations, *exported])
    pages = {p: request.query.get(p, "") for p in (*PAGED.values(), *STATION_PAGED.values())}
    shown, pagers = _paged(tables, OPINION_SECTIONS, PAGED, request, {**query, **pages})
    shown_stations, station_pagers = _paged(
        stations, STATION_TABLES, STATION_PAGED, request, {**query, **pages}
    )
    years = await found.report_years()
    return staff_page(
        request,
        "stats.html",
        nav="stats",
        tables=shown,
        pagers=pagers,
        station_tables=shown_stations,
        station_pagers=station_pagers,
        suggestions=stats["suggestions"],
        suggestion_tables=suggestions,
        report_url=link("/stats/suggestions", {}, year=years[0]),
        start=query["from"],
        end=query["to"],
        error=error,
        xlsx_url=link("/stats", query, format="xlsx"),
        csv_url=link("/stats", query, format="csv"),
    )


MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(value: str | None, default: int) -> int:
    if value and value.isascii() and value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
        return int(value)
    return default


def _row_links(report: YearReport, year: int) -> dict[str, list[str | None]]:
    """Per table, each row's link to that unit's or committee's own report (None: no such report)."""
    links: dict[str, list[str | None]] = {}
    for key, param in (("by_unit", "unit"), ("by_committee", "committee")):
        links[key] = [
            link("/stats/suggestions", {}, year=year, **{param: r["code"]}) if r["code"] else None
            for r in report.figures.get(key, [])
        ]
    return links


async def suggestion_report(request: web.Request) -> web.Response:
    """The yearly report of suggestions: a printable page, or its XLSX workbook (?format=xlsx, audited);
    ?unit=CODE or ?committee=CODE for one unit's or committee's own report."""
    tr = tr_of(request)
    found = reads(request, DashboardReads)
    years = await found.report_years()
    year = _year(request.query.get("year"), years[0])
    unit = clean_query(request.query.get("unit")) or None
    committee = None if unit else clean_query(request.query.get("committee")) or None
    report = await off_loop(
        request,
        DashboardReads,
        lambda worker: worker.suggestion_report(tr, year, unit=unit, committee=committee),
    )
    if report is None:
        return not_found(request, tr, tr("There is no such unit or committee."))
    query = {"year": str(year), "unit": unit or "", "committee": committee or ""}
    if request.query.get("format") == "xlsx":
        return await _report_file(request, report, query)
    return staff_page(
        request,
        "suggestion_report.html",
        nav="stats",
        report=report,
        year=year,
        years=sorted({*years, year}, reverse=True),
        row_links=_row_links(report, year),
        overall_url=link("/stats/suggestions", {}, year=year) if unit or committee else None,
        xlsx_url=link("/stats/suggestions", query, format="xlsx"),
    )


async def _report_file(request: web.Request, report: YearReport, query: dict[str, str]) -> web.Response:
    """The report's workbook as a download, audited as every console export is."""
    who = signed(request)
    body = await services(request).reports.call(to_xlsx, report)
    await uow(request).audit.record(
        "console.export",
        actor_telegram_id=who.person.telegram_id,
        actor_person_id=who.person.id,
        list="suggestion_report",
        format="xlsx",
        rows=sum(len(t.rows) for t in report.tables),
        query=request.query_string[:200],
    )
    subject = re.sub(r"[^A-Za-z0-9_-]", "", query["unit"] or query["committee"])[:32]
    filename = f"liaison-suggestions-{report.year}{'-' + subject if subject else ''}.xlsx"
    return web.Response(
        body=body,
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
