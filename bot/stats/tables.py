"""The report as tables in the reader's words: the console's statistics page and its downloads, and
`liaison stats --xlsx` (every deputy and station), from one `compute_stats` dict — so they agree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.kit.i18n import N_, Translator
from bot.kit.sheets import Cell, Table
from bot.stats.service import category_name
from bot.stats.station_texts import row_name
from bot.stats.stations import FIELD_LABELS, FIELDS
from bot.suggestions.report import Pct, ReportTable, figures_tables

__all__ = [
    "AREA_TITLE",
    "BREAKDOWNS",
    "STATION_SECTIONS",
    "SUGGESTION_SHEET",
    "area_table",
    "breakdown_tables",
    "console_table",
    "report_tables",
    "station_tables",
    "stats_tables",
    "suggestion_tables",
]

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
# The breakdowns' sections, in order, with their titles.
BREAKDOWNS = (
    ("by_category", N_("By category")),
    ("by_station", N_("By station")),
    ("by_deputy", N_("By deputy")),
    ("by_month", N_("By month")),
)
AREA_TITLE = N_("By area")
AREA_COLUMNS = (
    ("received", N_("Received")),
    ("handled", N_("Handled")),
    ("resolved", N_("Resolved")),
    ("accepted", N_("Accepted")),
    ("accepted_on_time", N_("Accepted on time")),
    ("answered", N_("Answered")),
    ("answered_on_time", N_("Answered on time")),
)
STATION_SECTIONS = (
    ("by_year", N_("Stations at work, by year")),
    ("by_township", N_("Stations at work, by township")),
    ("by_station", N_("Stations at work, by station")),
    ("by_deputy", N_("Stations at work, by deputy")),
)
SUGGESTION_SHEET = N_("Suggestions: {title}")


def stats_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    """The totals, the durations and the breakdowns by category, station, deputy and month."""
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
    return [totals, durations, *breakdown_tables(tr, stats)]


def breakdown_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    """The figures by category, station, deputy and month, one table each (the rows `stats` lists)."""
    heads = [tr(name) for _k, name in STAT_COLUMNS]
    names: dict[str, Callable[[Mapping[str, Any]], str]] = {
        "by_category": lambda r: category_name(tr, r["key"]),
        "by_station": lambda r: r["name"] or tr("no station"),
        "by_deputy": lambda r: r["name"] or tr("staff queue"),
        "by_month": lambda r: r["key"],
    }
    out = []
    for key, title in BREAKDOWNS:
        # A deputy's and a station's work besides the opinions (whichever figures bot.stats.service gives).
        extra = [
            (k, n)
            for k, n in ACTIVITY
            if key in ("by_station", "by_deputy") and stats[key] and k in stats[key][0]
        ]
        rows: list[list[Cell]] = [
            [names[key](r), *(r[k] for k, _n in STAT_COLUMNS), *(r.get(k, 0) for k, _n in extra)]
            for r in stats[key]
        ]
        out.append(Table(tr(title), [tr("Name"), *heads, *(tr(n) for _k, n in extra)], rows))
    return out


def area_table(tr: Translator, stats: Mapping[str, Any]) -> Table:
    """By area: each top-level home, then the homes beneath it (bot/stats/areas.py), with their level."""
    rows: list[list[Cell]] = [
        [
            (r["name"] or tr("no station")) if r["level"] == 1 else f"· {r['name']}",
            r["code"],
            r["level"],
            *(r[k] for k, _n in AREA_COLUMNS),
        ]
        for r in stats["by_area"]["rows"]
    ]
    heads = [tr("Name"), tr("Code"), tr("Level"), *(tr(n) for _k, n in AREA_COLUMNS)]
    return Table(tr(AREA_TITLE), heads, rows)


def station_tables(tr: Translator, stations: Mapping[str, Any]) -> list[Table]:
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


def console_table(table: ReportTable, title: str | None = None) -> Table:
    """A report's table as a sheet takes it (a share as its shown percentage)."""
    rows = [[str(c) if isinstance(c, Pct) else c for c in row] for row in table.rows]
    return Table(title or table.title, table.headers, rows)


def suggestion_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    """The deputies' suggestions of the period, one sheet each, titled as theirs."""
    return [
        console_table(t, tr(SUGGESTION_SHEET, title=t.title))
        for t in figures_tables(stats["suggestions"], tr)
    ]


def report_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    """Every table of the report, in the page's order: the sheets of a workbook."""
    return [
        *stats_tables(tr, stats),
        area_table(tr, stats),
        *station_tables(tr, stats["stations"]),
        *suggestion_tables(tr, stats),
    ]
