"""Broadcasts (通知): audiences, the broadcast and its outbox rows in one transaction, progress, report.

```mermaid
flowchart LR
    compose["/broadcast → text, photo or document"] --> audience{audience} --> preview[count + preview]
    preview -- Send now --> rows[broadcast row + one outbox row per recipient, one commit]
    preview -- Schedule --> scheduled[broadcast row, status scheduled, no rows yet]
    scheduled -- send_due_broadcasts, time has come --> rows
    scheduled -- Cancel --> cancelled
    rows --> sender[outbox sender, paced] --> refresh[refresh_progress: edit the progress message]
    refresh -- nothing pending --> done[done + report: sent, blocked, failed + CSV of the undelivered]
    rows -- Cancel --> cancelled[pending rows cancelled + report]
```
A crash mid-way loses nothing and repeats nothing the bot knows it sent: the rows are durable before
any is sent, and the sender never sends a row it marked sent. A scheduled notice lives in the
database, so a restart keeps it. No Telegram types here; texts come from the caller's locale.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.kit.callbacks import pack
from bot.kit.csv_safe import safe_writer
from bot.kit.i18n import N_, Translator, translator
from bot.people.identity import locale_of
from bot.runtime.outbox import EDIT_REF, PAID, UPLOAD, Pacing
from bot.runtime.replies import PARSE_MODE, esc
from bot.runtime.settings import Settings
from storage.models import (
    Broadcast,
    BroadcastStatus,
    DeputyGroup,
    DeputyLevel,
    OutboxStatus,
    Person,
    Role,
    SpecialCommittee,
    Station,
    utcnow,
)
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.context import Services

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "Audience",
    "Progress",
    "When",
    "announce",
    "cancel",
    "create",
    "describe",
    "parse_audience",
    "parse_when",
    "preset_time",
    "progress",
    "progress_ref",
    "recipients",
    "refresh_progress",
    "render_progress",
    "render_report",
    "schedule",
    "send_due_broadcasts",
    "tick",
    "undelivered_csv",
    "unschedule",
    "with_paid_tier",
]

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Below the default: a person's own dialog goes first while a big notice drains.
PRIORITY = -1
BAR = 10
# Callback data of the feature's buttons: "bc:<action>[:<field>]".
CALLBACK = "bc"
CANCEL = "x"
# The live rate is measured over the rows finished in this window.
RATE_WINDOW = timedelta(seconds=10)
# Progress edits at most this often: each one spends a message of the overall budget of ~30/s.
PROGRESS_EVERY = timedelta(seconds=5)
# How far ahead a notice may be scheduled.
MAX_AHEAD = timedelta(days=90)

ALL = "all"
DEPUTIES = "deputies"
LEVEL = "level"
COMMITTEE = "committee"
PRESIDIUM = "presidium"
STATION = "station"  # constituents of a station and its child stations
STATION_DEPUTIES = "sdep"  # deputies of a station and its child stations
GROUP = "group"  # members of a deputy group
SPECIAL = "scom"  # deputies a special committee contacts
NAMED = (STATION, STATION_DEPUTIES, GROUP, SPECIAL)

LEVEL_LABELS: dict[str, str] = {
    DeputyLevel.NATIONAL: N_("National"),
    DeputyLevel.PROVINCIAL: N_("Provincial"),
    DeputyLevel.PREFECTURE: N_("Prefecture"),
    DeputyLevel.COUNTY: N_("County"),
    DeputyLevel.TOWNSHIP: N_("Township"),
}


@dataclass(frozen=True)
class Audience:
    kind: str
    arg: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


def parse_audience(key: str | None) -> Audience | None:
    """An audience key from a button or the chat session; None for anything else (never trusted)."""
    if not key:
        return None
    kind, _, arg = key.partition(":")
    if kind in (ALL, DEPUTIES, COMMITTEE, PRESIDIUM) and not arg:
        return Audience(kind)
    if kind == LEVEL and arg in LEVEL_LABELS:
        return Audience(kind, arg)
    if kind in NAMED and arg and len(arg) <= 32:
        return Audience(kind, arg)
    return None


def describe(audience: Audience, tr: Translator, name: str | None = None) -> str:
    """The audience in words (HTML-safe); `name` is the station's, group's or committee's name."""
    named = esc(name or audience.arg)
    if audience.kind == DEPUTIES:
        return tr("All deputies")
    if audience.kind == LEVEL:
        return tr("{level} deputies", level=tr(LEVEL_LABELS[audience.arg]))
    if audience.kind == COMMITTEE:
        return tr("Standing-committee members")
    if audience.kind == PRESIDIUM:
        return tr("Presidium")
    if audience.kind == STATION:
        return tr("Constituents of {station}", station=named)
    if audience.kind == STATION_DEPUTIES:
        return tr("Deputies of {station} and its stations below", station=named)
    if audience.kind == GROUP:
        return tr("Deputy group {group}", group=named)
    if audience.kind == SPECIAL:
        return tr("Deputies in contact with {committee}", committee=named)
    return tr("Everyone with a Telegram account")


async def station_by_code(uow: UnitOfWork, code: str) -> Station | None:
    """A station by its code as typed (codes are often typed in lower case)."""
    station = await uow.network.station_by_code(code)
    if station is None and code != code.upper():
        station = await uow.network.station_by_code(code.upper())
    return station


async def audience_name(uow: UnitOfWork, audience: Audience) -> str | None:
    """The name of the station, group or committee an audience names; None if it is gone."""
    if audience.kind in (STATION, STATION_DEPUTIES):
        station = await uow.network.station_by_code(audience.arg)
        return station.name if station else None
    if audience.kind == GROUP:
        return await uow.network.group_name(audience.arg)
    if audience.kind == SPECIAL:
        return await uow.network.committee_name(audience.arg)
    return None


async def groups(uow: UnitOfWork) -> list[DeputyGroup]:
    return await uow.network.groups()


async def special_committees(uow: UnitOfWork) -> list[SpecialCommittee]:
    return await uow.network.special_committees()


async def recipients(uow: UnitOfWork, audience: Audience) -> list[int]:
    """The Telegram ids of the audience (people without one cannot be reached), each once, in order.

    Empty when the station, group or committee it names is gone.
    """
    reach = uow.broadcasts
    if audience.kind == DEPUTIES:
        return await reach.reach_deputies()
    if audience.kind == LEVEL:
        return await reach.reach_deputies(audience.arg)
    if audience.kind in (COMMITTEE, PRESIDIUM):
        return await reach.reach_role(Role.COMMITTEE_MEMBER if audience.kind == COMMITTEE else Role.PRESIDIUM)
    if audience.kind in (STATION, STATION_DEPUTIES):
        station = await uow.network.station_by_code(audience.arg)
        if station is None:
            return []
        stations = await uow.network.station_subtree(station.id)  # a township's villages included
        if audience.kind == STATION_DEPUTIES:
            return await reach.reach_deputies_at(stations)
        return await reach.reach_constituents_at(stations)
    if audience.kind == GROUP:
        group_id = await uow.network.group_id(audience.arg)
        return [] if group_id is None else await reach.reach_group(group_id)
    if audience.kind == SPECIAL:
        committee_id = await uow.network.committee_id(audience.arg)
        return [] if committee_id is None else await reach.reach_contacted_by_committee(committee_id)
    return await reach.reach_everyone()


def _payload(
    chat_id: int, text: str, photo: str | None, document: str | None = None, paid: bool = False
) -> tuple[str, dict[str, Any]]:
    method, payload = (
        "sendMessage",
        {
            "chat_id": chat_id,
            "text": esc(text),
            "parse_mode": PARSE_MODE,
            "link_preview_options": {"is_disabled": True},
        },
    )
    if photo or document:
        method = "sendPhoto" if photo else "sendDocument"
        payload = {"chat_id": chat_id, "parse_mode": PARSE_MODE}
        payload["photo" if photo else "document"] = photo or document
        if text:
            payload["caption"] = esc(text)
    if paid:
        payload[PAID] = True
    return method, payload


def preview_call(
    chat_id: int, text: str, photo: str | None, document: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The Bot API call that shows the notice exactly as recipients will see it."""
    return _payload(chat_id, text, photo, document)


def with_paid_tier(pacing: Pacing, settings: Settings) -> Pacing:
    """The outbox pacing with the paid tier at its cap when the office enabled it (else off)."""
    rate = settings.paid_broadcast_rate if settings.allow_paid_broadcast else 0.0
    # Enough calls under way for the cap at ~0.3 s a round trip to Telegram.
    in_flight = max(pacing.max_in_flight, math.ceil(rate * 0.3))
    return dataclasses.replace(pacing, paid_rate=rate, max_in_flight=in_flight)


def paid_offered(settings: Settings, count: int) -> bool:
    """Telegram's paid tier is offered only when the office enabled it and the audience is large."""
    return settings.allow_paid_broadcast and count >= settings.paid_broadcast_min_audience


def _new(
    *,
    person: Person,
    chat_id: int,
    text: str,
    photo: str | None,
    document: str | None,
    audience: Audience,
    paid: bool,
    now: datetime,
) -> Broadcast:
    return Broadcast(
        created_by_person_id=person.id,
        chat_id=chat_id,
        text=text,
        photo_file_id=photo,
        document_file_id=None if photo else document,
        audience=audience.key,
        paid=paid,
        created_at=now,
    )


async def _start(uow: UnitOfWork, broadcast: Broadcast, now: datetime, settings: Settings | None) -> None:
    """Resolve the audience and write one outbox row per recipient (flushed, not committed).

    The paid tier is kept only if the office still allows it and the audience is large enough.
    """
    audience = parse_audience(broadcast.audience)
    ids = await recipients(uow, audience) if audience is not None else []
    broadcast.paid = bool(broadcast.paid and settings is not None and paid_offered(settings, len(ids)))
    broadcast.status = BroadcastStatus.SENDING
    broadcast.started_at = now
    broadcast.total = len(ids)
    await uow.flush()
    stamp = utcnow()
    rows: list[dict[str, Any]] = []
    for tg in ids:
        method, payload = _payload(
            tg, broadcast.text, broadcast.photo_file_id, broadcast.document_file_id, broadcast.paid
        )
        rows.append(
            {
                "chat_id": tg,
                "method": method,
                "payload": payload,
                "status": OutboxStatus.PENDING,
                "priority": PRIORITY,
                "created_at": stamp,
                "not_before": stamp,
                "attempts": 0,
                "broadcast_id": broadcast.id,
            }
        )
    # One multi-row INSERT: thousands of ORM objects would hold the confirming update up.
    await uow.outbox.add_bulk(rows)


async def create(
    uow: UnitOfWork,
    *,
    person: Person,
    chat_id: int,
    text: str,
    photo: str | None,
    audience: Audience,
    document: str | None = None,
    paid: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Broadcast:
    """The broadcast row and one outbox row per recipient, flushed (the caller commits them together)."""
    now = now or utcnow()
    broadcast = _new(
        person=person,
        chat_id=chat_id,
        text=text,
        photo=photo,
        document=document,
        audience=audience,
        paid=paid,
        now=now,
    )
    await uow.broadcasts.add(broadcast)
    await _start(uow, broadcast, now, settings)
    return broadcast


async def schedule(
    uow: UnitOfWork,
    *,
    person: Person,
    chat_id: int,
    text: str,
    photo: str | None,
    audience: Audience,
    at: datetime,
    document: str | None = None,
    paid: bool = False,
    now: datetime | None = None,
) -> Broadcast:
    """A notice to start at `at`; its recipients are counted and its rows written when it starts."""
    broadcast = _new(
        person=person,
        chat_id=chat_id,
        text=text,
        photo=photo,
        document=document,
        audience=audience,
        paid=paid,
        now=now or utcnow(),
    )
    broadcast.status = BroadcastStatus.SCHEDULED
    broadcast.scheduled_for = at
    return await uow.broadcasts.add(broadcast)


async def get_for_change(uow: UnitOfWork, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked against a concurrent start, refresh or cancel (PostgreSQL)."""
    return await uow.broadcasts.get_for_change(broadcast_id)


async def scheduled(uow: UnitOfWork) -> list[Broadcast]:
    """Notices waiting for their time, soonest first."""
    return await uow.broadcasts.scheduled()


async def start_due(uow: UnitOfWork, now: datetime, settings: Settings | None = None) -> list[Broadcast]:
    """Start every scheduled notice whose time has come: rows and progress message, flushed."""
    started = await uow.broadcasts.due(now)
    for broadcast in started:
        await _start(uow, broadcast, now, settings)
        await announce(uow, broadcast, await _sender_tr(uow, broadcast, settings))
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


async def tick(services: Services, progress_every: timedelta = PROGRESS_EVERY) -> int:
    """Start due notices and refresh the progress messages: what a short periodic job calls."""
    started = await send_due_broadcasts(services)
    async with services.uow() as uow:
        queued = await refresh_progress(
            uow, services.settings, now=services.clock.now(), every=progress_every
        )
        await uow.commit()
    if queued:
        services.outbox_wakeup.set()
    return started + queued


# ------------------------------------------------------------------------------ scheduling

PRESETS = ("h1", "t20", "m0830")


def preset_time(key: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """In 1 hour, tonight 20:00, tomorrow 08:30 (in the congress's zone); None if unknown or passed."""
    local = now.astimezone(zone)
    if key == "h1":
        return (now + timedelta(hours=1, seconds=59)).replace(second=0, microsecond=0)
    if key == "t20":
        tonight = datetime.combine(local.date(), time(20, 0), tzinfo=zone)
        return tonight if tonight > now + timedelta(minutes=1) else None
    if key == "m0830":
        return datetime.combine(local.date() + timedelta(days=1), time(8, 30), tzinfo=zone)
    return None


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


# ------------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sent: int
    blocked: int
    failed: int
    cancelled: int

    @property
    def processed(self) -> int:
        return self.total - self.pending


async def progress(uow: UnitOfWork, broadcast_id: int) -> Progress:
    """The broadcast's outbox rows counted by status."""
    by = await uow.broadcasts.counts_by_status(broadcast_id)
    return Progress(
        total=sum(by.values()),
        pending=by.get(OutboxStatus.PENDING, 0),
        sent=by.get(OutboxStatus.SENT, 0),
        blocked=by.get(OutboxStatus.BLOCKED, 0),
        failed=by.get(OutboxStatus.FAILED, 0),
        cancelled=by.get(OutboxStatus.CANCELLED, 0),
    )


async def recent_rate(uow: UnitOfWork, broadcast: Broadcast) -> float | None:
    """Recipients handled per second over the last few seconds of sending (sender's timestamps)."""
    last = await uow.broadcasts.last_finished(broadcast.id)
    if last is None:
        return None
    since = last - RATE_WINDOW
    if broadcast.started_at is not None and broadcast.started_at > since:
        since = broadcast.started_at
    count = await uow.broadcasts.finished_since(broadcast.id, since)
    span = (last - since).total_seconds()
    if span < 1.0:
        return None
    return float(count) / span


def progress_ref(broadcast_id: int) -> str:
    return f"bcast:{broadcast_id}:progress"


def num(n: int) -> str:
    """1,200: thousands grouped, as in the progress line."""
    return f"{n:,}"


def bar(done: int, total: int, width: int = BAR) -> str:
    filled = width if total <= 0 else min(width, done * width // total)
    return "▓" * filled + "░" * (width - filled)


def render_progress(tr: Translator, broadcast: Broadcast, p: Progress, rate: float | None = None) -> str:
    """`▓▓▓▓░░░░ 1,200 / 3,000 · 28/s · 2 failed` under a heading (the rate only while sending)."""
    line = f"{bar(p.processed, p.total)} {p.processed:,} / {p.total:,}"
    if rate is not None and broadcast.status == BroadcastStatus.SENDING:
        line += " · " + tr("{rate}/s", rate=num(round(rate)))
    undelivered = p.blocked + p.failed
    if undelivered:
        line += " · " + tr("{n} failed", n=num(undelivered))
    head = tr("Notice #{id}: sending…", id=broadcast.id)
    if broadcast.status == BroadcastStatus.DONE:
        head = tr("Notice #{id}: finished.", id=broadcast.id)
    elif broadcast.status == BroadcastStatus.CANCELLED:
        head = tr("Notice #{id}: cancelled.", id=broadcast.id)
    if broadcast.paid:
        head = tr("{head} (paid tier)", head=head)
    return f"{head}\n{line}"


def duration(seconds: float, tr: Translator) -> str:
    minutes, secs = divmod(round(seconds), 60)
    if minutes:
        return tr("{m} min {s} s", m=minutes, s=secs)
    return tr("{s} s", s=secs)


def render_report(
    tr: Translator,
    broadcast: Broadcast,
    p: Progress,
    audience: str,
    took: float | None = None,
) -> str:
    """Sent, blocked, failed (and cancelled), with the time it took and the average rate."""
    lines = [
        tr("Report on notice #{id} ({audience}):", id=broadcast.id, audience=audience),
        tr("Sent: {n}", n=num(p.sent)),
        tr("Blocked (never started the bot, or blocked it): {n}", n=num(p.blocked)),
        tr("Failed: {n}", n=num(p.failed)),
    ]
    if p.cancelled:
        lines.append(tr("Cancelled before sending: {n}", n=num(p.cancelled)))
    if took is not None and took >= 1.0 and p.processed:
        lines.append(
            tr(
                "Took {time}, {rate}/s on average.",
                time=duration(took, tr),
                rate=num(round(p.processed / took)),
            )
        )
    if p.blocked + p.failed:
        lines.append(tr("The undelivered recipients are listed in the file below."))
    return "\n".join(lines)


def cancel_markup(tr: Translator, broadcast_id: int) -> dict[str, Any]:
    """The progress message's Cancel button, as Bot API JSON."""
    data = pack(CALLBACK, CANCEL, broadcast_id)
    return {"inline_keyboard": [[{"text": tr("Cancel the notice"), "callback_data": data}]]}


async def _sender_tr(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None) -> Translator:
    person = await uow.people.get(broadcast.created_by_person_id) if broadcast.created_by_person_id else None
    if settings is None:
        return translator(person.language if person and person.language else "zh_Hans")
    return translator(locale_of(person, None, settings))


async def audience_words(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> str:
    audience = parse_audience(broadcast.audience) or Audience(ALL)
    return describe(audience, tr, await audience_name(uow, audience))


async def _show(
    uow: UnitOfWork,
    broadcast: Broadcast,
    p: Progress,
    tr: Translator,
    markup: dict[str, Any] | None,
    rate: float | None = None,
) -> None:
    payload: dict[str, Any] = {
        "chat_id": broadcast.chat_id,
        "text": render_progress(tr, broadcast, p, rate),
        "parse_mode": PARSE_MODE,
        EDIT_REF: progress_ref(broadcast.id),
    }
    if markup is not None:
        payload["reply_markup"] = markup
    await uow.outbox.add(broadcast.chat_id, "editMessageText", payload, ref=progress_ref(broadcast.id))


async def _may_edit(uow: UnitOfWork, broadcast: Broadcast, every: timedelta) -> bool:
    """No edit of the progress message is still queued, and the last one was queued `every` ago."""
    pending, last = await uow.broadcasts.edits_of(progress_ref(broadcast.id))
    # created_at is stamped with the real time when a row is written, so it is compared with that.
    return not pending and (last is None or utcnow() - last >= every)


async def announce(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> None:
    """The sender's progress message (with a ref, so refresh_progress can edit it) and Cancel button."""
    p = Progress(broadcast.total, broadcast.total, 0, 0, 0, 0)
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {
            "chat_id": broadcast.chat_id,
            "text": render_progress(tr, broadcast, p),
            "parse_mode": PARSE_MODE,
            "reply_markup": cancel_markup(tr, broadcast.id),
        },
        ref=progress_ref(broadcast.id),
    )


async def undelivered_csv(uow: UnitOfWork, broadcast_id: int) -> tuple[int, str]:
    """The blocked and failed recipients as CSV (Telegram id, name, code, status, error)."""
    rows = await uow.broadcasts.undelivered(broadcast_id)
    people = await uow.people.names_by_telegram_id([int(r[0]) for r in rows])
    out = io.StringIO()
    writer = safe_writer(out)  # names are user text: no cell may become a formula
    writer.writerow(["telegram_id", "name", "code", "status", "error"])
    for chat_id, status, error in rows:
        name, code = people.get(int(chat_id), ("", None))
        writer.writerow([chat_id, name, code or "", status, (error or "")[:300]])
    return len(rows), out.getvalue()


async def _took(uow: UnitOfWork, broadcast: Broadcast) -> float | None:
    last = await uow.broadcasts.last_finished(broadcast.id)
    if last is None or broadcast.started_at is None:
        return None
    return max(0.0, (last - broadcast.started_at).total_seconds())


async def _finish(
    uow: UnitOfWork, broadcast: Broadcast, p: Progress, tr: Translator, now: datetime | None = None
) -> None:
    broadcast.finished_at = now or utcnow()
    _remember(broadcast, p)
    await _show(uow, broadcast, p, tr, None)
    words = await audience_words(uow, broadcast, tr)
    report = render_report(tr, broadcast, p, words, await _took(uow, broadcast))
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {"chat_id": broadcast.chat_id, "text": report, "parse_mode": PARSE_MODE},
    )
    count, text = await undelivered_csv(uow, broadcast.id)
    if count:
        await uow.outbox.add(
            broadcast.chat_id,
            "sendDocument",
            {
                "chat_id": broadcast.chat_id,
                "caption": tr("Undelivered recipients of notice #{id}: {n}", id=broadcast.id, n=num(count)),
                "parse_mode": PARSE_MODE,
                UPLOAD: {
                    "field": "document",
                    "filename": f"notice-{broadcast.id}-undelivered.csv",
                    "text": text,
                },
            },
        )


def _remember(broadcast: Broadcast, p: Progress) -> None:
    broadcast.sent, broadcast.blocked, broadcast.failed = p.sent, p.blocked, p.failed
    broadcast.cancelled = p.cancelled


def _changed(broadcast: Broadcast, p: Progress) -> bool:
    return (broadcast.sent, broadcast.blocked, broadcast.failed, broadcast.cancelled) != (
        p.sent,
        p.blocked,
        p.failed,
        p.cancelled,
    )


async def refresh_progress(
    uow: UnitOfWork,
    settings: Settings | None = None,
    *,
    broadcast_id: int | None = None,
    now: datetime | None = None,
    every: timedelta = PROGRESS_EVERY,
) -> int:
    """Edit the progress message of each sending broadcast (when its counts moved, no earlier edit is
    still queued and the last is `every` old); a broadcast with no pending row is marked done and its
    report sent. Returns how many messages it queued; the caller commits (and wakes the outbox).
    """
    queued = 0
    for broadcast in await uow.broadcasts.sending(broadcast_id):
        p = await progress(uow, broadcast.id)
        if p.pending == 0:
            broadcast.status = BroadcastStatus.DONE
            await _finish(uow, broadcast, p, await _sender_tr(uow, broadcast, settings), now)
            queued += 2
        elif _changed(broadcast, p) and await _may_edit(uow, broadcast, every):
            tr = await _sender_tr(uow, broadcast, settings)
            _remember(broadcast, p)
            rate = await recent_rate(uow, broadcast)
            await _show(uow, broadcast, p, tr, cancel_markup(tr, broadcast.id), rate)
            queued += 1
    await uow.flush()
    return queued


async def cancel(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None = None) -> int:
    """Cancel the pending rows (a call already under way may still land); report at once."""
    cancelled = await uow.broadcasts.cancel_pending(broadcast.id)
    broadcast.status = BroadcastStatus.CANCELLED
    await uow.flush()
    p = await progress(uow, broadcast.id)
    await _finish(uow, broadcast, p, await _sender_tr(uow, broadcast, settings))
    return cancelled


async def unschedule(uow: UnitOfWork, broadcast: Broadcast) -> None:
    """Cancel a notice that has not started: nothing was written for its recipients yet."""
    broadcast.status = BroadcastStatus.CANCELLED
    broadcast.finished_at = utcnow()
    await uow.flush()
