"""Lists as downloads: XLSX and CSV, from the same tables the pages show — the writer lives in
bot/kit/sheets.py, so `liaison stats --xlsx` (bot/stats) writes its workbook with the same one."""

from __future__ import annotations

from bot.kit.sheets import FORMATS, Cell, Table, to_csv, to_xlsx

__all__ = ["FORMATS", "Cell", "Table", "to_csv", "to_xlsx"]
