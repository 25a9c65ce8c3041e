"""/station in chat: a station's profile for its deputies, inspectors and staff (address, opening hours,
map point, rules, the "六有" with their evidence, the rectification list), and evidence sent in chat.

```mermaid
stateDiagram-v2
    [*] --> card: /station (a deputy's or inspector's own stations; staff: /station CODE)
    card --> rules: 📜 Rules
    card --> map: 📍 Map (sendLocation)
    card --> item: 📎 Add evidence (a deputy of the station, staff) → one of the 六有
    item --> item: a photo or document (kept, counted)
    item --> [*]: ✅ Done (or /cancel)
```
Every press is checked against the presser's relation to the station (the service looks it up again);
a refusal is answered with an alert and audited. The rules are in bot/stations/service.py, the look in
bot/stations/views.py; the rectification buttons on the card are handlers/inspections.py's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog, at
from bot.people.entities import Person, Role
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import send_raw, send_text
from bot.stations import views
from bot.stations.buttons import EvidenceDone, EvidencePress, StationAction, StationPress
from bot.stations.entities import FileKind, StandardItem
from bot.stations.forms import StationDialog
from bot.stations.service import FileDraft, ProfileView, Relation, StationService, local_today
from bot.stations.upkeep import StationUpkeep
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.dialogs import Step as DialogStep

__all__ = ["DIALOG", "done_pressed", "evidence_pressed", "file_of", "station_command", "station_pressed"]

AUDIT = "station.refused"
MAX_CARDS = 5  # a person on more stations than this names one: /station CODE


def service(context: LiaisonContext) -> StationService:
    return StationService(context.uow, zone=context.services.settings.timezone)


def today_of(context: LiaisonContext) -> date:
    return local_today(context.services.clock.now(), context.services.settings.timezone)


def file_of(message: Message) -> FileDraft | None:
    """The photo (its largest size) or document of a message, as a file to keep; None for anything else."""
    caption = message.caption or None
    if message.photo:
        photo = message.photo[-1]
        return FileDraft(
            FileKind.PHOTO, photo.file_id, photo.file_unique_id, size=photo.file_size, caption=caption
        )
    document = message.document
    if document is not None:
        return FileDraft(
            FileKind.DOCUMENT,
            document.file_id,
            document.file_unique_id,
            document.file_name,
            document.mime_type,
            document.file_size,
            caption=caption,
        )
    return None


async def station_command(update: Update, context: LiaisonContext) -> None:
    """/station: the cards of the person's stations; `/station CODE`: that one (if they relate to it)."""
    who = await actor(update, context)
    if who is None:
        return
    svc, code = service(context), " ".join(context.args or []).strip()
    if code:
        station = await svc.by_code(code)
        stations = [station] if station is not None else []
        if station is None:
            await send_text(context.uow, who.chat_id, views.unknown_station(who.tr, code))
            return
    else:
        stations = await svc.stations_for(who.person)
    shown = [
        v for v in [await svc.view(s.id, who.person, today_of(context)) for s in stations[:MAX_CARDS]] if v
    ]
    if not shown:
        official = who.person.deputy is not None or bool(who.person.role_set - {Role.CONSTITUENT})
        text = views.no_stations(who.tr) if official and not code else views.not_related(who.tr)
        await send_text(context.uow, who.chat_id, text)
        return
    for view in shown:
        text, markup = views.station_card(who.tr, view)
        await send_text(context.uow, who.chat_id, text, markup=markup)


async def related(press: Press[Any], station_id: int, stage: str) -> ProfileView | None:
    """The station as the presser sees it; anyone without a relation to it is refused."""
    view = await service(press.context).view(station_id, press.who.person, today_of(press.context))
    if view is None:
        await press.refuse(
            views.not_related(press.who.tr), reason="no_relation", stage=stage, station=station_id
        )
    return view


@button(StationPress, audit=AUDIT)
async def station_pressed(press: Press[StationPress]) -> None:
    """📜 the rules' texts, 📍 the map point, 📎 which "六有" item to add evidence to."""
    action, tr = press.data.action, press.who.tr
    view = await related(press, press.data.station_id, f"button:{action.value}")
    if view is None:
        return
    station = view.station
    if action is StationAction.EVIDENCE and not view.relations & {Relation.DEPUTY, Relation.STAFF}:
        await press.refuse(views.not_related(tr), reason="not_deputy", stage="button:ev", station=station.id)
        return
    if action is StationAction.MAP and (station.latitude is None or station.longitude is None):
        await press.refuse(tr("This station has no map point yet."), reason="no_point", station=station.id)
        return
    await press.answer()
    if action is StationAction.RULES:
        for text in views.rules_texts(tr, view):
            await press.say(text)
    elif action is StationAction.MAP:
        point = {"latitude": station.latitude, "longitude": station.longitude}
        await send_raw(press.context.uow, press.who.chat_id, "sendLocation", point)
    else:
        text, markup = views.evidence_picker(tr, station)
        await press.say(text, markup=markup)


@button(EvidencePress, audit=AUDIT)
async def evidence_pressed(press: Press[EvidencePress]) -> None:
    """One of the 六有: the chat now awaits photos or documents for it."""
    view = await related(press, press.data.station_id, "button:evi")
    if view is None:
        return
    if not view.relations & {Relation.DEPUTY, Relation.STAFF}:
        await press.refuse(views.not_related(press.who.tr), reason="not_deputy", stage="button:evi")
        return
    item = press.data.item
    state = at(StationDialog.EVIDENCE, view.station.id, item.value)
    await press.context.uow.chats.set(press.who.chat_id, state, {"count": 0})
    await press.answer()
    text, markup = views.evidence_prompt(press.who.tr, view.station, item)
    await press.say(text, markup=markup)


@button(EvidenceDone, audit=AUDIT)
async def done_pressed(press: Press[EvidenceDone]) -> None:
    """✅ Done: the evidence upload this chat has open for this station ends."""
    uow, chat_id = press.context.uow, press.who.chat_id
    session = await uow.chats.get(chat_id)
    dialog = Dialog.parse(session.state, session.data, {StationDialog.EVIDENCE.value: StationDialog.EVIDENCE})
    if dialog.state is not StationDialog.EVIDENCE or dialog.int_arg(0) != press.data.station_id:
        text = press.who.tr("This upload is no longer open.")
        await press.refuse(text, reason="stale", stage="button:ed", station=press.data.station_id)
        return
    await uow.chats.set(chat_id, None)
    await press.answer()
    await press.say(views.evidence_done(press.who.tr, int(dialog.data.get("count") or 0)))


async def evidence_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """A photo or document while evidence is awaited: kept for the station's item (checked again)."""
    station_id, item = dialog.int_arg(0), dialog.args[1] if len(dialog.args) > 1 else ""
    if station_id is None or item not in tuple(StandardItem):
        await context.uow.chats.set(who.chat_id, None)
        return False
    file = file_of(message)
    if file is None:
        await send_text(context.uow, who.chat_id, views.evidence_wants_file(who.tr))
        return True
    now = context.services.clock.now()
    kept = await StationUpkeep(context.uow, zone=context.services.settings.timezone).add_evidence(
        station_id, StandardItem(item), who.person, file, now
    )
    if kept is None:
        await context.uow.chats.set(who.chat_id, None)
        await send_text(context.uow, who.chat_id, views.not_related(who.tr))
        return True
    count = int(dialog.data.get("count") or 0) + 1
    await context.uow.chats.set(who.chat_id, at(StationDialog.EVIDENCE, station_id, item), {"count": count})
    text, markup = views.evidence_saved(who.tr, count, station_id)
    await send_text(context.uow, who.chat_id, text, markup=markup)
    return True


DIALOG = {StationDialog.EVIDENCE: DialogStep(evidence_message)}
