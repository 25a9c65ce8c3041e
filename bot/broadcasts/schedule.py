"""When a notice goes: the send-at presets, a typed time, and starting the scheduled notices that are due.

Times are read and shown in the congress's zone; a scheduled notice lives in the database, so a
restart keeps it, and `start_due` takes each one once (locked rows are skipped on PostgreSQL).
Notices have no quiet hours: staff choose the time, so a notice goes when they said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.broadcasts import delivery, lifecycle, progress
from bot.broadcasts.buttons import Preset
from bot.runtime.settings import Settings
from storage.models import Broadcast
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.context import Services

__all__ = [
    "MAX_AHEAD",
    "PRESETS",
    "When",
    "local_time",
    "parse_when",
    "preset_time",
    "send_due_broadcasts",
    "start_due",
]

# How far ahead a notice may be scheduled.
MAX_AHEAD = timedelta(days=90)
PRESETS = tuple(p.value for p in Preset)


def preset_time(key: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """In 1 hour, tonight 20:00, tomorrow 08:30 (in the congress's zone); None if unknown or passed."""
    local = now.astimezone(zone)
    if key == Preset.IN_AN_HOUR:
        return (now + timedelta(hours=1, seconds=59)).replace(second=0, microsecond=0)
    if key == Preset.TONIGHT:
        tonight = datetime.combine(local.date(), time(20, 0), tzinfo=zone)
        return tonight if tonight > now + timedelta(minutes=1) else None
    if key == Preset.TOMORROW_MORNING:
        return datetime.combine(local.date() + timedelta(days=1), time(8, 30), tzinfo=zone)
    return None


def presets_open(now: datetime, zone: ZoneInfo) -> list[Preset]:
    """The presets that still name a time ahead (tonight 20:00 passes)."""
    return [p for p in Preset if preset_time(p, now, zone) is not None]


@dataclass(frozen=True)
class When:
    """A typed time: `at` (aware) when it is usable, else `problem`: format, past or far."""

    at: datetime | None = None
    problem: str | None = None


_WHEN = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T)(\d{1,2}):(\d{2})\s*$")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９：－　", "0123456789:- ")


def parse_when(text: str | None, now: datetime, zone: ZoneInfo) -> When:
    """`YYYY-MM-DD HH:MM` in the congress's zone (full-width digits and colon accepted)."""
    match = _WHEN.match((text or "")[:64].translate(_FULL_WIDTH))
    if match is None:
        return When(problem="format")
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        at = datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return When(problem="format")
    if at <= now:
        return When(problem="past")
    if at > now + MAX_AHEAD:
        return When(problem="far")
    return When(at=at)


def local_time(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


async def start_due(uow: UnitOfWork, now: datetime, settings: Settings | None = None) -> list[Broadcast]:
    """Start every scheduled notice whose time has come: rows and progress message, flushed."""
    started = await uow.broadcasts.due(now)
    for broadcast in started:
        lifecycle.move(broadcast, lifecycle.Action.START, lifecycle.ActorKind.SYSTEM)
        await delivery.write_rows(uow, broadcast, now, settings)
        await progress.announce(uow, broadcast, await progress.sender_tr(uow, broadcast, settings))
        await uow.audit.record(
            "broadcast.started",
            object_type="broadcast",
            object_id=broadcast.id,
            audience=broadcast.audience,
            total=broadcast.total,
            scheduled_for=broadcast.scheduled_for.isoformat() if broadcast.scheduled_for else None,
        )
    return started


async def send_due_broadcasts(services: Services) -> int:
    """Start the scheduled notices that are due (one commit) and wake the sender; returns how many."""
    async with services.uow() as uow:
        started = await start_due(uow, services.clock.now(), services.settings)
        await uow.commit()
    if started:
        services.outbox_wakeup.set()
    return len(started)
