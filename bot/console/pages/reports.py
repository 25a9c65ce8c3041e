"""The audit log and the statistics report: filtered, paged, and exportable (an export is audited)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from aiohttp import web

from bot.console.export import Cell, Table
from bot.console.labels import CATEGORIES, label
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
from bot.console.reads.base import clean_query, page_number
from bot.console.reads.dashboard import DashboardReads
from bot.kit.i18n import N_, Translator
from bot.stats.station_texts import row_name
from bot.stats.stations import FIELD_LABELS, FIELDS
from bot.suggestions.report import XLSX_TYPE, Pct, ReportTable, YearReport, figures_tables, to_xlsx

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


STAT_COLUMNS = (
    ("received", N_("Received")),
    ("handled", N_("Handled")),
    ("accepted_on_time", N_("Accepted on time")),
    ("answered_on_time", N_("Answered on time")),
    ("satisfied", N_("Satisfied")),
    ("basic", N_("Basically satisfied")),
    ("dissatisfied", N_("Dissatisfied")),
    ("reopened", N_("Reopenings")),
    ("resolved", N_("Resolved")),
)
ACTIVITY = (
    ("duty_days", N_("Duty days")),
    ("receptions", N_("Receptions")),
    ("people_received", N_("People received")),
    ("opinions_bot", N_("Opinions through the bot")),
    ("opinions_paper", N_("Opinions on paper")),
    ("home_visits", N_("Home visits")),
    ("matters_registered", N_("Matters registered at receptions")),
    ("resolved_at_reception", N_("Resolved at reception")),
    ("matters_routed", N_("Matters sent as opinions")),
)
DURATIONS = (
    ("to_accept", N_("Time to accept")),
    ("to_first_answer", N_("Time to first answer")),
    ("to_close", N_("Time to close")),
)


def _stats_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    t, d = stats["totals"], stats["durations"]
    totals = Table(
        tr("Totals"),
        [tr("Figure"), tr("Value")],
        [
            [tr("Period"), f"{stats['period']['from'] or '…'} – {stats['period']['to'] or '…'}"],
            *[[tr(name), t[key]] for key, name in STAT_COLUMNS],
            [tr("Accepted"), t["accepted"]],
            [tr("Answered"), t["answered"]],
            [tr("Closed without a verdict"), t["auto_closed"]],
            [tr("Rejected"), t["rejected"]],
            [tr("Duplicates"), t["duplicate"]],
            *[[tr(name), t[key]] for key, name in ACTIVITY if key in t and key != "opinions_bot"],
        ],
    )
    durations = Table(
        tr("Hours"),
        [tr("Measure"), tr("Count"), tr("Median (hours)"), tr("90% within (hours)")],
        [[tr(name), d[key]["count"], d[key]["median_h"], d[key]["p90_h"]] for key, name in DURATIONS],
    )
    return [totals, durations, *_breakdowns(tr, stats)]


def _breakdowns(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    """The figures by category, station, deputy and month, one table each."""
    heads = [tr(name) for _k, name in STAT_COLUMNS]
    out = []
    for key, title, names in (
        ("by_category", tr("By category"), lambda r: label(tr, CATEGORIES, r["key"])),
        ("by_station", tr("By station"), lambda r: r["name"] or tr("no station")),
        ("by_deputy", tr("By deputy"), lambda r: r["name"] or tr("staff queue")),
        ("by_month", tr("By month"), lambda r: r["key"]),
    ):
        # A deputy's and a station's work besides the opinions (whichever figures bot.stats.service gives).
        extra = [
            (k, n)
            for k, n in ACTIVITY
            if key in ("by_station", "by_deputy") and stats[key] and k in stats[key][0]
        ]
        rows: list[list[Cell]] = [
            [names(r), *(r[k] for k, _n in STAT_COLUMNS), *(r.get(k, 0) for k, _n in extra)]
            for r in stats[key]
        ]
        out.append(Table(title, [tr("Name"), *heads, *(tr(n) for _k, n in extra)], rows))
    return out


STATION_SECTIONS = (
    ("by_year", N_("Stations at work, by year")),
    ("by_township", N_("Stations at work, by township")),
    ("by_station", N_("Stations at work, by station")),
    ("by_deputy", N_("Stations at work, by deputy")),
)


def _station_tables(tr: Translator, stations: Mapping[str, Any]) -> list[Table]:
    """The stations' work (bot/stats/stations.py): the totals, then by year, township, station, deputy."""
    t = stations["totals"]
    totals = Table(
        tr("Stations at work"), [tr("Figure"), tr("Value")], [[tr(FIELD_LABELS[k]), t[k]] for k in FIELDS]
    )
    heads = [tr("Name"), tr("Code"), *(tr(FIELD_LABELS[k]) for k in FIELDS)]
    out = [totals]
    for section, title in STATION_SECTIONS:
        rows: list[list[Cell]] = [
            [row_name(section, r, tr), r["code"] or "", *(r[k] for k in FIELDS)] for r in stations[section]
        ]
        out.append(Table(tr(title), heads, rows))
    return out


async def statistics(request: web.Request) -> web.Response:
    tr = tr_of(request)
    start, end = _day(request.query.get("from")), _day(request.query.get("to"))
    error = None
    if start and end and start > end:
        error, start, end = tr("The period starts after it ends."), None, None
    found = reads(request, DashboardReads)
    stats = await off_loop(request, DashboardReads, lambda worker: worker.statistics(start, end))
    tables = _stats_tables(tr, stats)
    station_tables = _station_tables(tr, stats["stations"])
    suggestion_tables = figures_tables(stats["suggestions"], tr)
    kind = export_format(request)
    query = {"from": start.isoformat() if start else "", "to": end.isoformat() if end else ""}
    if kind is not None:
        exported = [_console_table(t, tr(SUGGESTION_SHEET, title=t.title)) for t in suggestion_tables]
        return await download(request, "statistics", kind, [*tables, *station_tables, *exported])
    years = await found.report_years()
    return staff_page(
        request,
        "stats.html",
        nav="stats",
        tables=tables,
        station_tables=station_tables,
        suggestions=stats["suggestions"],
        suggestion_tables=suggestion_tables,
        report_url=link("/stats/suggestions", {}, year=years[0]),
        start=query["from"],
        end=query["to"],
        error=error,
        xlsx_url=link("/stats", query, format="xlsx"),
        csv_url=link("/stats", query, format="csv"),
    )


SUGGESTION_SHEET = N_("Suggestions: {title}")
MIN_YEAR, MAX_YEAR = 2000, 2100


def _console_table(table: ReportTable, title: str | None = None) -> Table:
    """A report's table as the console's exports take it (a share as its shown percentage)."""
    rows = [[str(c) if isinstance(c, Pct) else c for c in row] for row in table.rows]
    return Table(title or table.title, table.headers, rows)


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
