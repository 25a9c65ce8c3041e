"""The yearly report of suggestions (年度代表建议办理情况): the year's figures by lead unit and by supervising
committee, and one unit's or one committee's own report with its suggestions listed.

One builder for every surface: the console shows a report as a printable page and offers it as an XLSX
workbook, `liaison stats --suggestions-report YEAR --xlsx PATH` writes the same workbook. A report is
tables of plain cells in the reader's language; shares are `Pct` (shown "65.21%", written to a
spreadsheet as a number formatted as a percentage). Nothing in it names a person.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from bot.kit.i18n import N_, Translator
from bot.suggestions.figures import year_figures
from bot.suggestions.figures_views import category_label, row_name
from bot.suggestions.lifecycle import STATE_LABELS
from bot.suggestions.results import Share
from storage.models.suggestions import SuggestionState
from storage.repos.suggestion_figures import SuggestionFiguresRepo, UnitSuggestionRow

__all__ = [
    "Pct",
    "ReportTable",
    "YearReport",
    "figures_tables",
    "to_xlsx",
    "year_report",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = N_("Suggestions handled in {year}")
TITLE_OF = N_("Suggestions handled in {year}: {name}")
_STATES = frozenset(s.value for s in SuggestionState)
ALL_BREAKDOWNS = ("by_series", "by_unit", "by_committee", "by_category")
UNIT_BREAKDOWNS = ("by_series", "by_committee", "by_category")
COMMITTEE_BREAKDOWNS = ("by_series", "by_unit", "by_category")
YES, NO = N_("yes"), N_("no")
RATING_WORDS = {
    "satisfied": N_("Satisfied"),
    "basic": N_("Basically satisfied"),
    "dissatisfied": N_("Dissatisfied"),
}


@dataclass(frozen=True)
class Pct:
    """A share in a table: shown "65.21%" (half up, two places), "-" when there is nothing to share."""

    count: int
    total: int

    @property
    def value(self) -> float | None:
        """The shown percentage as a fraction (0.6521), for a spreadsheet's percent format."""
        return float(Share(self.count, self.total).percent / 100) if self.total else None

    def __str__(self) -> str:
        return str(Share(self.count, self.total)) if self.total else "-"


Cell = str | int | Pct | None


@dataclass(frozen=True)
class ReportTable:
    """One table of a report (a sheet of its workbook); `key` names it for the page (data-testid)."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


@dataclass(frozen=True)
class YearReport:
    year: int
    title: str
    tables: list[ReportTable]
    figures: dict[str, Any] = field(repr=False)
    breakdowns: tuple[str, ...] = ALL_BREAKDOWNS
    unit_code: str | None = None
    committee_code: str | None = None


def _pct(share: Mapping[str, Any]) -> Pct:
    return Pct(share["count"], share["total"])


# The breakdowns' columns: (header, how the cell is taken from a figures row).
COLUMNS: tuple[tuple[str, Any], ...] = (
    (N_("Filed"), lambda r: r["filed"]),
    (N_("Answered"), lambda r: r["answered"]),
    (N_("Class A"), lambda r: r["class_a"]),
    (N_("Class B"), lambda r: r["class_b"]),
    (N_("Class C"), lambda r: r["class_c"]),
    (N_("A-share"), lambda r: _pct(r["a_share"])),
    (N_("On time"), lambda r: r["on_time"]),
    (N_("On-time rate"), lambda r: _pct(r["on_time_rate"])),
    (N_("Rated"), lambda r: r["rated"]),
    (N_("Satisfied"), lambda r: r["satisfied"]),
    (N_("Basically satisfied"), lambda r: r["basic"]),
    (N_("Dissatisfied"), lambda r: r["dissatisfied"]),
    (N_("Satisfied or basically"), lambda r: _pct(r["satisfaction"]["satisfied_or_basic"])),
    (N_("Dissatisfied at least once"), lambda r: r["ever_dissatisfied"]),
    (N_("Re-handled"), lambda r: r["rehandled"]),
    (N_("Closed"), lambda r: r["closed"]),
    (N_("Contact before"), lambda r: _pct(r["contacts"]["before"])),
    (N_("Contact during"), lambda r: _pct(r["contacts"]["during"])),
    (N_("Contact after"), lambda r: _pct(r["contacts"]["after"])),
    (N_("All three contacts"), lambda r: _pct(r["contacts"]["all"])),
)
BREAKDOWN_TITLES = {
    "by_series": N_("By series"),
    "by_unit": N_("By lead unit"),
    "by_committee": N_("By supervising committee"),
    "by_category": N_("By category"),
}


def _totals(t: Mapping[str, Any], tr: Translator) -> ReportTable:
    s, c = t["satisfaction"], t["contacts"]
    rows: list[list[Cell]] = [
        [tr("Filed"), t["filed"], None],
        [tr("Assigned"), t["assigned"], None],
        [tr("Answered"), t["answered"], None],
        [tr("Class A"), t["class_a"], _pct(t["a_share"])],
        [tr("Class B"), t["class_b"], Pct(t["class_b"], t["answered"])],
        [tr("Class C"), t["class_c"], Pct(t["class_c"], t["answered"])],
        [tr("First answer on time"), t["on_time"], _pct(t["on_time_rate"])],
        [tr("Rated"), t["rated"], None],
        [tr("Satisfied"), t["satisfied"], _pct(s["satisfied"])],
        [tr("Basically satisfied"), t["basic"], _pct(s["basic"])],
        [tr("Dissatisfied"), t["dissatisfied"], _pct(s["dissatisfied"])],
        [tr("Dissatisfied at least once"), t["ever_dissatisfied"], None],
        [tr("Re-handled"), t["rehandled"], None],
        [tr("Closed"), t["closed"], None],
        [tr("Contact before"), t["contact_before"], _pct(c["before"])],
        [tr("Contact during"), t["contact_during"], _pct(c["during"])],
        [tr("Contact after"), t["contact_after"], _pct(c["after"])],
        [tr("All three contacts"), t["contact_all"], _pct(c["all"])],
        [tr("Merged"), t["merged"], None],
        [tr("Withdrawn"), t["withdrawn"], None],
    ]
    return ReportTable("totals", tr("Totals"), [tr("Figure"), tr("Count"), tr("Share")], rows)


def figures_tables(
    figures: Mapping[str, Any], tr: Translator, breakdowns: Iterable[str] = ALL_BREAKDOWNS
) -> list[ReportTable]:
    """The totals, then one table per breakdown (a row per series, unit, committee or category)."""
    tables = [_totals(figures["totals"], tr)]
    for key in breakdowns:
        rows = [[row_name(key, r, tr), *(take(r) for _h, take in COLUMNS)] for r in figures[key]]
        headers = [tr("Name"), *(tr(h) for h, _t in COLUMNS)]
        tables.append(ReportTable(key, tr(BREAKDOWN_TITLES[key]), headers, rows))
    return tables


def _list(rows: Sequence[UnitSuggestionRow], tr: Translator, zone: ZoneInfo) -> ReportTable:
    def day(value: datetime | date | None) -> str | None:
        if value is None:
            return None
        return (value.astimezone(zone).date() if isinstance(value, datetime) else value).isoformat()

    def mark(done: bool) -> str:
        return "✓" if done else "—"

    out: list[list[Cell]] = []
    for r in rows:
        state = SuggestionState(r.state) if r.state in _STATES else None
        on_time = None if r.first_answer_on_time is None else tr(YES if r.first_answer_on_time else NO)
        out.append(
            [
                r.number,
                r.title,
                category_label(r.category, tr),
                tr(STATE_LABELS[state]) if state is not None else r.state,
                r.unit_name,
                r.committee_name,
                day(r.assigned_at),
                day(r.due_on),
                day(r.first_answered_at),
                on_time,
                r.result_class,
                tr(RATING_WORDS[r.rating]) if r.rating in RATING_WORDS else r.rating,
                r.rehandle_count,
                day(r.closed_at),
                *(mark(done) for done in r.contacts),
            ]
        )
    headers = [
        tr("Number"),
        tr("Title"),
        tr("Category"),
        tr("State"),
        tr("Lead unit"),
        tr("Supervising committee"),
        tr("Assigned"),
        tr("Due"),
        tr("First answer"),
        tr("On time"),
        tr("Result class"),
        tr("Rating"),
        tr("Re-handled"),
        tr("Closed"),
        tr("Contact before"),
        tr("Contact during"),
        tr("Contact after"),
    ]
    return ReportTable("suggestions", tr("Suggestions"), headers, out)


async def year_report(
    repo: SuggestionFiguresRepo,
    tr: Translator,
    year: int,
    zone: ZoneInfo,
    *,
    unit_code: str | None = None,
    committee_code: str | None = None,
) -> YearReport | None:
    """The year's report, or one unit's or committee's (None when no such unit or committee)."""
    if unit_code is not None:
        unit = await repo.unit(unit_code)
        if unit is None:
            return None
        figures = await year_figures(repo, year, unit_id=unit.id)
        tables = figures_tables(figures, tr, UNIT_BREAKDOWNS)
        listed = await repo.of_year(year, unit_id=unit.id)
        title = tr(TITLE_OF, year=year, name=unit.name)
        return YearReport(
            year, title, [*tables, _list(listed, tr, zone)], figures, UNIT_BREAKDOWNS, unit_code=unit.code
        )
    if committee_code is not None:
        committee = await repo.committee(committee_code)
        if committee is None:
            return None
        figures = await year_figures(repo, year, committee_id=committee.id)
        tables = figures_tables(figures, tr, COMMITTEE_BREAKDOWNS)
        listed = await repo.of_year(year, committee_id=committee.id)
        title = tr(TITLE_OF, year=year, name=committee.name)
        tables = [*tables, _list(listed, tr, zone)]
        return YearReport(year, title, tables, figures, COMMITTEE_BREAKDOWNS, committee_code=committee.code)
    figures = await year_figures(repo, year)
    return YearReport(year, tr(TITLE, year=year), figures_tables(figures, tr), figures)


# -- the workbook -----------------------------------------------------------------------------------

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def to_xlsx(report: YearReport) -> bytes:
    """The report as a workbook: a sheet per table under the report's title; shares as percentages.

    Text cells are typed as strings, so a title starting with "=" never becomes a formula."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold, head_fill = Font(bold=True), PatternFill("solid", start_color="EEF1F5", end_color="EEF1F5")
    taken: set[str] = set()
    for table in report.tables:
        name, n = _SHEET_BAD.sub(" ", table.title).strip()[:28] or "Sheet", 2
        while name.lower() in taken:
            name, n = f"{name[:25]} {n}", n + 1
        taken.add(name.lower())
        sheet = book.create_sheet(name)
        sheet.append([_text(report.title)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([_text(table.title)])
        sheet["A2"].font = bold
        sheet.append([])
        sheet.append([_text(h) for h in table.headers])
        for cell in sheet[4]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [_width(h) for h in table.headers]
        for values in table.rows:
            sheet.append([None] * len(values))
            row = sheet.max_row
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=col)
                if isinstance(value, Pct):
                    cell.value = value.value
                    cell.number_format = "0.00%"
                    shown = str(value)
                elif isinstance(value, str):
                    cell.value = _text(value)
                    cell.data_type = "s"
                    shown = value
                else:
                    cell.value = value
                    shown = "" if value is None else str(value)
                widths[col - 1] = max(widths[col - 1], _width(shown))
        for col, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(row=4, column=col).column_letter].width = min(60, width + 2)
        sheet.freeze_panes = "B5"
    if not report.tables:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
