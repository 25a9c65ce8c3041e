"""One A4 page per station for its notice board: the station's QR code under its name, then a grid
of its deputies' codes, each with the deputy's name and code, so a visitor scans the deputy they want.

The PDF is written with fpdf2 (pure Python, embeds a subset of the TrueType font, so names stay text:
searchable, copyable, and extractable by a test). A station with more deputies than one page holds
at a readable size (over 8 × 7) continues on a second page; the example's largest has 8.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from bot.people.qr_cards import CjkFont, qr_image

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0  # A4, mm
STATION_QR_MM = 55.0
LONE_STATION_QR_MM = 90.0  # a station without deputies gets a bigger code
MIN_COLUMNS, MAX_COLUMNS = 3, 8
FONT = "cjk"


@dataclass(frozen=True)
class Entry:
    """A code on a sheet: whose it is and where it leads."""

    code: str
    name: str
    url: str


@dataclass(frozen=True)
class StationSheet:
    station: Entry
    deputies: Sequence[Entry]


def _layout(count: int, height: float) -> tuple[int, float, int]:
    """Columns, cell width and rows per page: the fewest columns (largest codes) that fit `count`
    cells in `height`; at most MAX_COLUMNS, when the rest flows onto further pages."""
    width = PAGE_W - 2 * MARGIN
    for columns in range(MIN_COLUMNS, MAX_COLUMNS + 1):
        cell = width / columns
        rows = max(1, int(height // _cell_height(cell)))
        if rows * columns >= count:
            return columns, cell, rows
    cell = width / MAX_COLUMNS
    return MAX_COLUMNS, cell, max(1, int(height // _cell_height(cell)))


def _cell_height(cell_width: float) -> float:
    return cell_width + 14.0  # the code (a square) and two lines of name and one of code under it


def _heading(pdf: FPDF, sheet: StationSheet, qr_mm: float, continued: bool) -> float:
    pdf.set_xy(MARGIN, MARGIN)
    pdf.set_font(FONT, size=20)
    title = sheet.station.name + (" (…)" if continued else "")
    pdf.multi_cell(
        PAGE_W - 2 * MARGIN,
        9,
        title,
        align=Align.C,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, size=11)
    pdf.cell(PAGE_W - 2 * MARGIN, 6, sheet.station.code, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 2
    if continued:
        return y
    pdf.image(qr_image(sheet.station.url), x=(PAGE_W - qr_mm) / 2, y=y, w=qr_mm, h=qr_mm)
    return y + qr_mm + 4


def _deputy_cell(pdf: FPDF, entry: Entry, x: float, y: float, cell: float) -> None:
    side = cell - 6
    pdf.image(qr_image(entry.url), x=x + 3, y=y, w=side, h=side)
    size = 11 if cell > 40 else 9
    pdf.set_font(FONT, size=size)
    pdf.set_xy(x + 1, y + side)
    pdf.multi_cell(
        cell - 2,
        size * 0.42,
        entry.name,
        align=Align.C,
        wrapmode=WrapMode.CHAR,
        max_line_height=size * 0.42,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, size=size - 2)
    pdf.set_x(x + 1)
    pdf.cell(cell - 2, (size - 2) * 0.42, entry.code, align=Align.C)


def _station_pages(pdf: FPDF, sheet: StationSheet) -> None:
    pdf.add_page()
    qr_mm = STATION_QR_MM if sheet.deputies else LONE_STATION_QR_MM
    top = _heading(pdf, sheet, qr_mm, continued=False)
    remaining = list(sheet.deputies)
    columns, cell, rows = _layout(len(remaining), PAGE_H - MARGIN - top)
    while remaining:
        page, remaining = remaining[: rows * columns], remaining[rows * columns :]
        for index, entry in enumerate(page):
            row, column = divmod(index, columns)
            # A short last row is centred, like the rest of the page.
            in_row = min(columns, len(page) - row * columns)
            left = (PAGE_W - in_row * cell) / 2
            _deputy_cell(pdf, entry, left + column * cell, top + row * _cell_height(cell), cell)
        if remaining:
            pdf.add_page()
            top = _heading(pdf, sheet, qr_mm, continued=True)
            rows = max(1, int((PAGE_H - MARGIN - top) // _cell_height(cell)))


def write_station_sheets(sheets: Sequence[StationSheet], path: Path, font: CjkFont) -> int:
    """Write the PDF; returns its page count (one per station unless a station overflows a page).

    Raises:
        ValueError: the font cannot be embedded in a PDF (fpdf2 reads TrueType and OpenType faces).
    """
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every subset glyph at INFO
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_creator("liaison links")
    try:
        pdf.add_font(FONT, "", str(font.path), collection_font_number=font.index)
    except Exception as exc:  # fontTools and fpdf2 raise many kinds for a face they cannot use
        raise ValueError(f"{font.path}: cannot embed this font in a PDF ({exc})") from exc
    for sheet in sheets:
        _station_pages(pdf, sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return pdf.pages_count
