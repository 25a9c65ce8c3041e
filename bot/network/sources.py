"""Readers for the three shapes staff keep the network in: one YAML file, a folder of `<section>.csv`
sheets, an .xlsx workbook. Each gives the same raw sections (lists of row mappings) to `schema`."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.network.schema import SECTIONS, SHEET_ROW, NetworkFileError, row_label

# Larger files are refused before parsing. The prefecture's network is about 2 MB as YAML; a province's
# (1,000,000 constituents) is 53 MB of CSV sheets and needs NETWORK_IMPORT_MAX_MB=64: sheets are parsed
# as they are read, but a YAML file or a workbook is held whole, so the default stays low.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A workbook is a zip: its sheets may unpack to far more than the file's size (a zip bomb).
XLSX_UNPACKED_RATIO = 10
_MB = 1024 * 1024


def check_size(source: Path, max_bytes: int) -> None:
    """Refuse a file (or a folder's CSV sheets) larger than `max_bytes`, before anything is parsed.

    Raises:
        NetworkFileError: one line naming the size and the limit.
    """
    limit = f"the import limit of {max_bytes / _MB:g} MB (setting NETWORK_IMPORT_MAX_MB)"
    if source.is_dir():
        size = sum(path.stat().st_size for path in source.glob("*.csv"))
    elif source.is_file():
        size = source.stat().st_size
    else:
        return
    if size > max_bytes:
        raise NetworkFileError([f"{source.name}: {size / _MB:.1f} MB is over {limit}; nothing was read"])
    if source.is_file() and source.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            with zipfile.ZipFile(source) as book:
                unpacked = sum(info.file_size for info in book.infolist())
        except (zipfile.BadZipFile, OSError):
            return  # the reader says what is wrong with it
        if unpacked > max_bytes * XLSX_UNPACKED_RATIO:
            size_text = f"{unpacked / _MB:.0f} MB"
            raise NetworkFileError(
                [f"{source.name}: unpacks to {size_text}, over {XLSX_UNPACKED_RATIO} times {limit}"]
            )


def read_source(source: Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The raw sections of a YAML file, a folder of CSV sheets or an .xlsx workbook.

    Args:
        source: the file or folder.
        max_bytes: larger input is refused before it is parsed (None: no limit).

    Raises:
        NetworkFileError: the file cannot be read, is too large or is not shaped as sections of rows.
    """
    if max_bytes is not None:
        check_size(source, max_bytes)
    if source.is_dir():
        return _read_csv_folder(source)
    if not source.is_file():
        raise NetworkFileError([f"{source}: no such file or folder"])
    if source.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_workbook(source)
    return _read_yaml(source)


def _read_yaml(source: Path) -> dict[str, Any]:
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NetworkFileError([f"{source.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise NetworkFileError([f"{source.name}: bad YAML syntax{where}: {exc.problem}"]) from exc
    except yaml.YAMLError as exc:
        raise NetworkFileError([f"{source.name}: bad YAML syntax: {exc}"]) from exc
    if data is None:
        raise NetworkFileError([f"{source.name}: the file is empty"])
    if not isinstance(data, dict):
        raise NetworkFileError(
            [
                f"{source.name}: top level: expected a mapping of sections ({', '.join(SECTIONS)}), "
                f"got {type(data).__name__}"
            ]
        )
    return {str(key): value for key, value in data.items()}


def _cell(value: Any) -> Any:
    """A spreadsheet cell as the YAML loader would give it; blanks become absent."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _table(
    section: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], problems: list[str]
) -> list[Any]:
    return list(_rows(section, header, rows, problems))


def _rows(
    section: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], problems: list[str]
) -> Iterator[dict[str, Any]]:
    """A sheet's rows as mappings by header, blank lines skipped, each with its line (`SHEET_ROW`)."""
    names = [str(_cell(h)) if _cell(h) is not None else None for h in header]
    count = 0
    for line, values in enumerate(rows, start=2):  # line 1 holds the headers
        cells = [_cell(v) for v in values]
        if all(c is None for c in cells):
            continue
        row: dict[str, Any] = {SHEET_ROW: line}
        for index, value in enumerate(cells):
            if value is None:
                continue
            name = names[index] if index < len(names) else None
            if name is None:
                problems.append(
                    f"{row_label(section, count, row)}: a value in column {index + 1} has no header"
                )
                continue
            row[name] = value
        count += 1
        yield row


def _read_csv_folder(folder: Path) -> dict[str, Any]:
    problems: list[str] = []
    data: dict[str, Any] = {}
    sheets = sorted(folder.glob("*.csv"))
    if not sheets:
        raise NetworkFileError([f"{folder}: no <section>.csv sheets (expected {', '.join(SECTIONS)})"])
    for path in sheets:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                lines = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(f"{path.name}: cannot read the sheet: {exc}")
            continue
        data[path.stem] = _table(path.stem, lines[0], lines[1:], problems) if lines else []
    if problems:
        raise NetworkFileError(problems)
    return data


def read_sections(
    source: Path, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> tuple[Iterable[tuple[str, Any]], list[str]]:
    """Like `read_source`, but a folder's CSV sheets are read as they are iterated, a row at a time,
    so a province's million rows are never all held as raw mappings. The reader's own problems (a
    sheet that cannot be decoded, a value without a header) fill the returned list meanwhile: once
    the sections are consumed, a non-empty list refuses the file as `read_source` would have.

    Raises:
        NetworkFileError: as `read_source`, for what is found before the first row is read.
    """
    if max_bytes is not None:
        check_size(source, max_bytes)
    if not source.is_dir():
        return read_source(source, None).items(), []
    sheets = sorted(source.glob("*.csv"))
    if not sheets:
        raise NetworkFileError([f"{source}: no <section>.csv sheets (expected {', '.join(SECTIONS)})"])
    problems: list[str] = []
    return _stream_sheets(sheets, problems), problems


def _stream_sheets(sheets: list[Path], problems: list[str]) -> Iterator[tuple[str, Any]]:
    for path in sheets:
        yield path.stem, _stream_sheet(path, problems)


def _stream_sheet(path: Path, problems: list[str]) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = csv.reader(handle)
            header = next(lines, None)
            if header is not None:
                yield from _csv_rows(path.stem, header, lines, problems)
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{path.name}: cannot read the sheet: {exc}")


def _csv_rows(
    section: str, header: Sequence[str], lines: Iterable[list[str]], problems: list[str]
) -> Iterator[dict[str, Any]]:
    """`_rows` for a CSV sheet, whose cells are all text: the same rows, a cell at a time less work
    (a province's sheets have five million cells)."""
    names = [h.strip() or None for h in header]
    width = len(names)
    count = 0
    for line, values in enumerate(lines, start=2):  # line 1 holds the headers
        row: dict[str, Any] = {SHEET_ROW: line}
        for index, value in enumerate(values):
            value = value.strip()
            if not value:
                continue
            name = names[index] if index < width else None
            if name is None:
                problems.append(
                    f"{row_label(section, count, row)}: a value in column {index + 1} has no header"
                )
                continue
            row[name] = value
        if len(row) > 1 or any(value.strip() for value in values):
            count += 1
            yield row


def _read_workbook(source: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors... for a damaged file
        raise NetworkFileError([f"{source.name}: not a readable .xlsx workbook: {exc}"]) from exc
    problems: list[str] = []
    data: dict[str, Any] = {}
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            data[sheet.title.strip()] = (
                _table(sheet.title.strip(), rows[0], rows[1:], problems) if rows else []
            )
    finally:
        book.close()
    if problems:
        raise NetworkFileError(problems)
    return data
