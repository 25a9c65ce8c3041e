"""Broadcasts (通知): a notice made from a draft, sent now or at a set time, cancelled, and its progress.

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
    done -- asks for received --> acks["✅ presses counted (receipts), live count, the silent listed, one reminder"]
```
The parts live beside this module: `audience` (who receives it, and who cannot: no Telegram
account), `lifecycle` (the declared status changes), `schedule` (send-at and due), `delivery` (the
rows, under the office's head), `progress` (the message staff watch), `receipts` ("received":
acknowledgements and the one reminder) and `views` (the dialog's texts and keyboards). This module is what callers import: it re-exports
the parts' public names and holds the acts that make, start and cancel a notice (each audited).
No Telegram types here; texts come from the caller's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.broadcasts import lifecycle
from bot.broadcasts.audience import (
    ALL,
    COMMITTEE,
    DEPUTIES,
    GROUP,
    LEVEL,
    LEVEL_LABELS,
    NAMED,
    PRESIDIUM,
    SPECIAL,
    STATION,
    STATION_DEPUTIES,
    Audience,
    Chosen,
    audience_name,
    audience_words,
    choose,
    describe,
    groups,
    parse_audience,
    pick_committee,
    pick_group,
    recipients,
    special_committees,
    station_by_code,
    unreachable,
)
from bot.broadcasts.delivery import (
    MAX_CAPTION,
    MAX_TEXT,
    PRIORITY,
    header_room,
    letterhead,
    paid_offered,
    preview_call,
    with_paid_tier,
    write_rows,
)
from bot.broadcasts.lifecycle import Action, ActorKind, Refusal
from bot.broadcasts.progress import (
    PROGRESS_EVERY,
    Progress,
    announce,
    finish,
    list_unreachable,
    num,
    progress,
    progress_ref,
    recent_rate,
    refresh_progress,
    render_progress,
    render_report,
    sender_tr,
    undelivered_csv,
    unreachable_csv,
)
from bot.broadcasts.receipts import (
    Acknowledged,
    Reminded,
    acknowledge,
    confirmed_label,
    remind,
    silent_list,
)
from bot.broadcasts.schedule import (
    MAX_AHEAD,
    PRESETS,
    When,
    local_time,
    parse_when,
    preset_time,
    presets_open,
    send_due_broadcasts,
    start_due,
)
from bot.kit.i18n import Translator
from bot.runtime.settings import Settings
from storage.models import Broadcast, Person, Receipt, utcnow
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.context import Services

__all__ = [
    "ALL",
    "COMMITTEE",
    "DEPUTIES",
    "GROUP",
    "LEVEL",
    "LEVEL_LABELS",
    "MAX_AHEAD",
    "MAX_CAPTION",
    "MAX_TEXT",
    "NAMED",
    "PRESETS",
    "PRESIDIUM",
    "PRIORITY",
    "PROGRESS_EVERY",
    "SPECIAL",
    "STATION",
    "STATION_DEPUTIES",
    "Acknowledged",
    "Audience",
    "Cancelled",
    "Chosen",
    "Draft",
    "Progress",
    "Refusal",
    "Reminded",
    "When",
    "acknowledge",
    "announce",
    "audience_name",
    "audience_words",
    "cancel",
    "cancel_by_staff",
    "choose",
    "confirmed_label",
    "create",
    "describe",
    "get_for_change",
    "groups",
    "header_room",
    "letterhead",
    "list_unreachable",
    "local_time",
    "num",
    "paid_offered",
    "parse_audience",
    "parse_when",
    "pick_committee",
    "pick_group",
    "preset_time",
    "presets_open",
    "preview_call",
    "progress",
    "progress_ref",
    "recent_rate",
    "recipients",
    "refresh_progress",
    "remind",
    "render_progress",
    "render_report",
    "schedule",
    "schedule_draft",
    "scheduled",
    "send_draft",
    "send_due_broadcasts",
    "silent_list",
    "special_committees",
    "start_due",
    "station_by_code",
    "tick",
    "undelivered_csv",
    "unreachable",
    "unreachable_csv",
    "unschedule",
    "waiting",
    "with_paid_tier",
]


@dataclass(frozen=True)
class Draft:
    """The notice being composed, as kept in the chat session (a restart resumes it)."""

    text: str = ""
    photo: str | None = None
    document: str | None = None
    audience: str | None = None  # the key, once picked
    count: int = 0  # recipients when the audience was picked
    paid: bool = False
    ack: bool = False  # ask recipients to confirm receipt ("收到")
    unreachable: int = 0  # of the audience, people without a Telegram account when it was picked

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Draft:
        """The draft in a session's data; anything unreadable reads as empty."""
        data = data or {}
        return cls(
            text=str(data.get("text") or ""),
            photo=data.get("photo") or None,
            document=data.get("document") or None,
            audience=data.get("audience") or None,
            count=int(data.get("count") or 0),
            paid=bool(data.get("paid")),
            ack=bool(data.get("ack")),
            unreachable=int(data.get("unreachable") or 0),
        )

    def data(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "photo": self.photo,
            "document": self.document,
            "audience": self.audience,
            "count": self.count,
            "paid": self.paid,
            "ack": self.ack,
            "unreachable": self.unreachable,
        }

    @property
    def has_content(self) -> bool:
        return bool(self.text or self.photo or self.document)

    @property
    def limit(self) -> int:
        """Telegram's limit for the notice: a caption is shorter than a message."""
        return MAX_CAPTION if self.photo or self.document else MAX_TEXT

    def room(self, settings: Settings | None) -> int:
        """What the notice's own text may hold: the limit less the official head above it."""
        return self.limit - header_room(settings)


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
    ack: bool = False,
) -> Broadcast:
    return Broadcast(
        receipt=Receipt.ASKED if ack else None,
        created_by_person_id=person.id,
        chat_id=chat_id,
        text=text,
        photo_file_id=photo,
        document_file_id=None if photo else document,
        audience=audience.key,
        paid=paid,
        created_at=now,
    )


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
    ack: bool = False,
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
        ack=ack,
    )
    lifecycle.move(broadcast, Action.SEND, ActorKind.STAFF, new=True)
    await uow.broadcasts.add(broadcast)
    await write_rows(uow, broadcast, now, settings)
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
    ack: bool = False,
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
        ack=ack,
    )
    lifecycle.move(broadcast, Action.SCHEDULE, ActorKind.STAFF, new=True)
    broadcast.scheduled_for = at
    return await uow.broadcasts.add(broadcast)


async def get_for_change(uow: UnitOfWork, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked against a concurrent start, refresh or cancel (PostgreSQL)."""
    return await uow.broadcasts.get_for_change(broadcast_id)


async def scheduled(uow: UnitOfWork) -> list[Broadcast]:
    """Notices waiting for their time, soonest first."""
    return await uow.broadcasts.scheduled()


async def waiting(uow: UnitOfWork, tr: Translator) -> list[tuple[Broadcast, str]]:
    """The notices waiting for their time, soonest first, each with its audience in words."""
    return [(b, await audience_words(uow, b, tr)) for b in await scheduled(uow)]


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


async def cancel(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None = None) -> int:
    """Cancel the pending rows (a call already under way may still land); report at once."""
    lifecycle.move(broadcast, Action.CANCEL, ActorKind.STAFF)
    cancelled = await uow.broadcasts.cancel_pending(broadcast.id)
    await uow.flush()
    p = await progress(uow, broadcast.id, receipts=bool(broadcast.receipt))
    await finish(uow, broadcast, p, await sender_tr(uow, broadcast, settings))
    return cancelled


async def unschedule(uow: UnitOfWork, broadcast: Broadcast) -> None:
    """Cancel a notice that has not started: nothing was written for its recipients yet."""
    lifecycle.move(broadcast, Action.CANCEL, ActorKind.STAFF)
    broadcast.finished_at = utcnow()
    await uow.flush()


# ------------------------------------------------------------------ the acts of the /broadcast dialog


def _actor(person: Person, telegram_id: int) -> dict[str, Any]:
    return {"actor_telegram_id": telegram_id, "actor_person_id": person.id}


async def send_draft(
    uow: UnitOfWork,
    draft: Draft,
    *,
    person: Person,
    telegram_id: int,
    chat_id: int,
    tr: Translator,
    settings: Settings,
    now: datetime,
) -> Broadcast | None:
    """Send now: the notice, its rows and its progress message, audited; None if the draft has no
    audience (a forged or stale session)."""
    audience = parse_audience(draft.audience)
    if audience is None:
        return None
    broadcast = await create(
        uow,
        person=person,
        chat_id=chat_id,
        text=draft.text,
        photo=draft.photo,
        document=draft.document,
        audience=audience,
        paid=draft.paid,
        settings=settings,
        now=now,
        ack=draft.ack,
    )
    detail: dict[str, Any] = {"audience": audience.key, "total": broadcast.total}
    if broadcast.paid:
        detail["paid"] = True
    if broadcast.receipt:
        detail["receipt"] = True
    await uow.audit.record(
        "broadcast.created",
        object_type="broadcast",
        object_id=broadcast.id,
        **_actor(person, telegram_id),
        **detail,
    )
    await announce(uow, broadcast, tr)
    return broadcast


async def schedule_draft(
    uow: UnitOfWork,
    draft: Draft,
    at: datetime,
    *,
    person: Person,
    telegram_id: int,
    chat_id: int,
    now: datetime,
) -> Broadcast | None:
    """Schedule the draft for `at`, audited; None if the draft has no audience."""
    audience = parse_audience(draft.audience)
    if audience is None:
        return None
    broadcast = await schedule(
        uow,
        person=person,
        chat_id=chat_id,
        text=draft.text,
        photo=draft.photo,
        document=draft.document,
        audience=audience,
        at=at,
        paid=draft.paid,
        now=now,
        ack=draft.ack,
    )
    await uow.audit.record(
        "broadcast.scheduled",
        object_type="broadcast",
        object_id=broadcast.id,
        **_actor(person, telegram_id),
        audience=audience.key,
        at=at.isoformat(),
        paid=broadcast.paid,
    )
    return broadcast


@dataclass(frozen=True)
class Cancelled:
    broadcast: Broadcast
    was_scheduled: bool


async def cancel_by_staff(
    uow: UnitOfWork, broadcast_id: int, *, person: Person, telegram_id: int, settings: Settings
) -> Cancelled | Refusal:
    """Cancel a scheduled notice, or the rest of one being sent, audited; a refusal when it is gone or
    already over (a second press of Cancel)."""
    broadcast = await get_for_change(uow, broadcast_id)
    if broadcast is None:
        return Refusal(lifecycle.RefusalReason.STALE_STATE, "no such notice")
    verdict = lifecycle.decide(broadcast.status, Action.CANCEL, ActorKind.STAFF)
    if isinstance(verdict, Refusal):
        return verdict
    detail: dict[str, Any]
    if verdict.source == lifecycle.S.SCHEDULED:
        await unschedule(uow, broadcast)
        detail = {"scheduled": True}
    else:
        detail = {"cancelled": await cancel(uow, broadcast, settings)}
    await uow.audit.record(
        "broadcast.cancelled",
        object_type="broadcast",
        object_id=broadcast.id,
        **_actor(person, telegram_id),
        **detail,
    )
    return Cancelled(broadcast, verdict.source == lifecycle.S.SCHEDULED)
