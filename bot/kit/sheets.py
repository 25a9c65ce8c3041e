"""Tables as spreadsheets: XLSX (openpyxl, written row by row) and CSV — the console's downloads and
`liaison stats --xlsx` write through these.

Cells hold user text, so nothing in them may become a formula: XLSX cells are typed as strings
explicitly, and CSV cells go through `bot.kit.csv_safe` (a leading apostrophe on what a spreadsheet would
read as a formula, the OWASP advice for CSV injection). Control characters XLSX cannot hold are dropped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from bot.kit.csv_safe import safe_writer

__all__ = ["FORMATS", "Cell", "Table", "to_csv", "to_xlsx"]

Cell = str | int | float | None
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Table:
    """One sheet: a title, column headers and rows of plain values (already in the reader's words)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title).strip()[:28] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base[:25]} {n}", n + 1
    taken.add(name.lower())
    return name


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table; header row bold and frozen."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        sheet.freeze_panes = "A2"
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                cells.append(cell)
            sheet.append(cells)
    if not tables:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(tables: Sequence[Table]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel on a Chinese Windows reads it right); several tables
    follow one another, each under its title, separated by an empty line."""
    buf = io.StringIO()
    writer = safe_writer(buf, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if len(tables) > 1:
            if i:
                writer.writerow([])
            writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
