"""A roster sheet (CSV or XLSX) as rows of cells by column name, for `roster.parse_rows`.

One sheet, row 1 the column names: `station, deputy, date` for one-off days, `station, deputy, weekday,
from, to` for weekly patterns (both kinds may share a sheet). Chinese headers are read too (联络站 代表
日期 星期 开始 结束). Blank rows are skipped; each row keeps its line in the sheet for the problems.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

__all__ = ["MAX_SHEET_BYTES", "SheetError", "read_sheet"]

MAX_SHEET_BYTES = 2 * 1024 * 1024  # a year's roster of every station is far smaller
MAX_ROWS = 20_000
_ALIASES = {
    "station": "station",
    "站点": "station",
    "联络站": "station",
    "站点编号": "station",
    "deputy": "deputy",
    "代表": "deputy",
    "代表编号": "deputy",
    "date": "date",
    "日期": "date",
    "weekday": "weekday",
    "星期": "weekday",
    "from": "from",
    "开始": "from",
    "起": "from",
    "to": "to",
    "结束": "to",
    "止": "to",
}


class SheetError(ValueError):
    """The file could not be read as a sheet at all (its rows are checked later, one by one)."""


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date | int | float):
        return value
    return None if value is None else str(value).strip() or None


def _header(value: Any) -> str:
    text = str(_cell(value) or "").strip()
    return _ALIASES.get(text.lower(), _ALIASES.get(text, text.lower()))


def _rows(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[tuple[int, dict[str, Any]]]:
    names = [_header(h) for h in header]
    out: list[tuple[int, dict[str, Any]]] = []
    for line, values in enumerate(rows, start=2):
        cells = {names[i] if i < len(names) else f"column {i + 1}": _cell(v) for i, v in enumerate(values)}
        cells = {k: v for k, v in cells.items() if v is not None and k}
        if cells:
            out.append((line, cells))
    if len(out) > MAX_ROWS:
        raise SheetError(f"over {MAX_ROWS} rows")
    return out


def read_sheet(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's rows (line number, cells by column); CSV unless the name or the bytes say XLSX.

    Raises:
        SheetError: too large, empty, not UTF-8 text, or a damaged workbook.
    """
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError(f"the file is over {MAX_SHEET_BYTES // (1024 * 1024)} MB")
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _workbook(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError("not UTF-8 text (save the sheet as CSV UTF-8, or as .xlsx)") from exc
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise SheetError("the sheet is empty")
    return _rows(lines[0], lines[1:])


def _workbook(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            if sum(info.file_size for info in book.infolist()) > 10 * MAX_SHEET_BYTES:
                raise SheetError("the workbook unpacks to too much")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors... for a damaged file
        raise SheetError("not a readable .xlsx workbook") from exc
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True)) if workbook.worksheets else []
    finally:
        workbook.close()
    if not rows:
        raise SheetError("the sheet is empty")
    return _rows(rows[0], rows[1:])
