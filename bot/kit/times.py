"""Times as people read them: in the congress's zone (`TIMEZONE`), to the minute."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def when(value: datetime | None, zone: ZoneInfo) -> str:
    """`2026-12-07 18:30` in `zone`, or a dash for no time."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"
