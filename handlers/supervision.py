"""Supervision in chat for congress office staff: /queue (the triage queue) and /overdue (三色预警).

Every button carries the opinion and the holder the list showed (0 for none). A press is re-checked:
the presser must be staff now, the opinion must still be held by that holder and the lifecycle must
allow the action in its current state — a forged or stale press is refused, answered and audited.

```mermaid
stateDiagram-v2
    [*] --> list: /queue or /overdue
    list --> picker: Assign / Reassign
    picker --> [*]: a deputy (transfer, cards and notices rendered)
    list --> [*]: Remind (the holder is pinged)
```
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot.kit.callbacks import pack, pattern, unpack
from bot.kit.i18n import Translator
from bot.kit.text_limits import cut
from bot.opinions.candidates import CandidateService
from bot.opinions.digest import warned
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.sla import deliver_at, running_clock
from bot.opinions.views import COLOUR_MARKS, OP, OpinionViews, category_label, when
from bot.people.roles import is_staff
from bot.runtime.context import LiaisonApp, LiaisonContext
from bot.runtime.replies import answer_query, edit_message, esc, send_text
from handlers.common import Actor, actor, opinion_service, opinion_views, refusal_text
from storage.models import FINAL_STATES, Opinion, Person

__all__ = ["GROUP", "SV", "overdue", "pressed", "queue", "register"]

SV = "sv"  # supervision buttons: sv:as|rm|to:<opinion>[:<deputy>]:<holder shown, 0 = none>
# Before the fallbacks of group 0 (which would take any command or press): handlers stop the update.
GROUP = -1
MAX_ITEMS = 25
MAX_CANDIDATES = 12


def register(app: LiaisonApp) -> None:
    """Add /queue, /overdue and their buttons to the application."""
    app.add_handler(CommandHandler("queue", queue), group=GROUP)
    app.add_handler(CommandHandler("overdue", overdue), group=GROUP)
    app.add_handler(CallbackQueryHandler(pressed, pattern=pattern(SV)), group=GROUP)


async def _not_staff(context: LiaisonContext, who: Actor, what: str, query_id: str | None = None) -> None:
    """Refuse politely and audit."""
    await context.uow.audit.record(
        f"supervision.{what}",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        reason="not_staff",
    )
    text = who.tr("Sorry, this is only for congress office staff.")
    if query_id is None:
        await send_text(context.uow, who.chat_id, text)
    else:
        await answer_query(context.uow, who.chat_id, query_id, text, alert=True)


def age(since: datetime | None, now: datetime, tr: Translator) -> str:
    """How long ago, coarse: minutes, hours or days."""
    if since is None:
        return "—"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return tr("{n} min", n=seconds // 60)
    if seconds < 86400:
        return tr("{n} h", n=seconds // 3600)
    return tr("{n} d", n=seconds // 86400)


# -- /queue -----------------------------------------------------------------------------------


async def queue(update: Update, context: LiaisonContext) -> None:
    """/queue: opinions no rule could route, each with an Assign button."""
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    if not is_staff(who.person):
        await _not_staff(context, who, "queue")
        raise ApplicationHandlerStop
    opinions = await context.uow.opinions.triage_queue(limit=MAX_ITEMS)
    undelivered = await undelivered_cards(context)
    if not opinions and not undelivered:
        await send_text(context.uow, who.chat_id, who.tr("The triage queue is empty. 🎉"))
        raise ApplicationHandlerStop
    views = opinion_views(context)
    now = context.services.clock.now()
    lines: list[str] = []
    buttons = []
    if undelivered:
        lines.append(who.tr("⚠️ <b>Cards Telegram refused</b>: the deputy may not have seen these opinions"))
        for opinion, error in undelivered:
            lines.append(
                f"• <b>{esc(opinion.tracking_no)}</b> · {await views.holder_name(opinion, who.tr)} · "
                f"{esc(cut(error, 120))}"
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        who.tr("↪️ Reassign {tracking_no}", tracking_no=opinion.tracking_no),
                        callback_data=pack(SV, "as", opinion.id, opinion.holder_deputy_id or 0),
                    )
                ]
            )
        lines.append("")
    if not opinions:
        lines.append(who.tr("The triage queue is empty. 🎉"))
    else:
        lines.append(who.tr("📥 <b>Triage queue</b>: opinions no routing rule could place"))
    for opinion in opinions:
        lines.append(
            f"• <b>{esc(opinion.tracking_no)}</b> · {category_label(who.tr, opinion.category)} · "
            f"{await views.station_name(opinion, who.tr)} · {age(opinion.created_at, now, who.tr)}"
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    who.tr("👤 Assign {tracking_no}", tracking_no=opinion.tracking_no),
                    callback_data=pack(SV, "as", opinion.id, 0),
                )
            ]
        )
    await send_text(context.uow, who.chat_id, "\n".join(lines), markup=InlineKeyboardMarkup(buttons))
    raise ApplicationHandlerStop


async def undelivered_cards(context: LiaisonContext) -> list[tuple[Opinion, str]]:
    """Open opinions whose holder's task card failed for good (a permanent 400): never swallowed.

    A card's ref is `card:<opinion>:<person>`; it counts while that person still holds the opinion
    and no later card with the same ref was delivered.
    """
    found: list[tuple[Opinion, str]] = []
    seen: set[int] = set()
    for row in await context.uow.outbox.failed_for_good("card:", limit=MAX_ITEMS * 2):
        _card, opinion_id, person_id = [*str(row.ref).split(":"), "", ""][:3]
        if not (opinion_id.isdigit() and person_id.isdigit()) or int(opinion_id) in seen:
            continue
        opinion = await context.uow.opinions.get(int(opinion_id))
        if opinion is None or opinion.state in FINAL_STATES or opinion.holder_deputy_id is None:
            continue
        holder = await context.uow.people.of_deputy(opinion.holder_deputy_id)
        if holder is None or holder.id != int(person_id):
            continue
        seen.add(opinion.id)
        found.append((opinion, row.last_error or ""))
    return found[:MAX_ITEMS]


# -- /overdue ---------------------------------------------------------------------------------


async def overdue(update: Update, context: LiaisonContext) -> None:
    """/overdue: yellow and red opinions grouped by station and holder, with Remind and Reassign."""
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    if not is_staff(who.person):
        await _not_staff(context, who, "overdue")
        raise ApplicationHandlerStop
    now = context.services.clock.now()
    items = await warned(context.uow, now, context.services.policy)
    if not items:
        await send_text(context.uow, who.chat_id, who.tr("Nothing is near or past its deadline. 🎉"))
        raise ApplicationHandlerStop
    views = opinion_views(context)
    groups: dict[tuple[str, str], list[tuple[Opinion, str]]] = {}
    for opinion, shade in items[:MAX_ITEMS]:
        key = (await views.station_name(opinion, who.tr), await views.holder_name(opinion, who.tr))
        groups.setdefault(key, []).append((opinion, COLOUR_MARKS[shade.value]))
    lines = [who.tr("⏰ <b>Near or past the deadline</b>")]
    if len(items) > MAX_ITEMS:
        lines.append(who.tr("(the oldest {n} of {total})", n=MAX_ITEMS, total=len(items)))
    buttons: list[list[InlineKeyboardButton]] = []
    for (station, holder), rows in sorted(groups.items()):
        lines += ["", f"🏠 <b>{station}</b> · 👤 {holder}"]
        for opinion, mark in rows:
            running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
            deadline = when(running[1] if running else None, views.zone)
            lines.append(
                f"{mark} <b>{esc(opinion.tracking_no)}</b> · {category_label(who.tr, opinion.category)} · "
                + who.tr("deadline {deadline}", deadline=deadline)
            )
            held = opinion.holder_deputy_id or 0
            row = [
                InlineKeyboardButton(
                    who.tr("↪️ Reassign {tracking_no}", tracking_no=opinion.tracking_no),
                    callback_data=pack(SV, "as", opinion.id, held),
                )
            ]
            if held:
                row.insert(
                    0,
                    InlineKeyboardButton(
                        who.tr("⏰ Remind {tracking_no}", tracking_no=opinion.tracking_no),
                        callback_data=pack(SV, "rm", opinion.id, held),
                    ),
                )
            buttons.append(row)
    await send_text(context.uow, who.chat_id, "\n".join(lines), markup=InlineKeyboardMarkup(buttons))
    raise ApplicationHandlerStop


# -- presses ----------------------------------------------------------------------------------


async def pressed(update: Update, context: LiaisonContext) -> None:
    """Assign/Reassign (picker), a picked deputy, or Remind: staff only, against the current state."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        raise ApplicationHandlerStop
    parsed = unpack(query.data)
    code = parsed.fields[0] if parsed and parsed.fields else ""
    opinion_id = parsed.int(1) if parsed else None
    if not is_staff(who.person):
        await _not_staff(context, who, f"press.{code[:8]}", query.id)
        raise ApplicationHandlerStop
    shown = parsed.int(3 if code == "to" else 2) if parsed else None
    if opinion_id is None or shown is None or code not in ("as", "rm", "to"):
        await _refuse(context, who, query.id, code, opinion_id, Refusal(RefusalReason.UNKNOWN_ACTION))
        raise ApplicationHandlerStop
    opinion = await context.uow.opinions.get(opinion_id)
    refusal = _stale(opinion, shown)
    if refusal is not None:
        await _refuse(context, who, query.id, code, opinion_id, refusal, shown=shown)
        raise ApplicationHandlerStop
    assert opinion is not None
    if code == "rm":
        await remind(context, who, query.id, opinion)
    elif code == "as":
        checked = await opinion_service(context).may(opinion_id, Action.TRANSFER, who.person.id)
        if isinstance(checked, Refusal):
            await _refuse(context, who, query.id, code, opinion_id, checked, audited=True)
        else:
            await answer_query(context.uow, who.chat_id, query.id)
            await offer(context, who, opinion)
    else:
        target = parsed.int(2) if parsed else None
        await assign(context, who, query.id, opinion, target or 0, query.message)
    raise ApplicationHandlerStop


def _stale(opinion: Opinion | None, shown: int) -> Refusal | None:
    """The list showed this opinion with holder `shown`; refuse when that is no longer so."""
    if opinion is None:
        return Refusal(RefusalReason.NOT_FOUND)
    if opinion.state in FINAL_STATES:
        return Refusal(RefusalReason.FINAL, f"state {opinion.state}")
    if (opinion.holder_deputy_id or 0) != shown:
        return Refusal(RefusalReason.STALE_STATE, f"holder {opinion.holder_deputy_id} not {shown}")
    return None


async def _refuse(
    context: LiaisonContext,
    who: Actor,
    query_id: str,
    code: str,
    opinion_id: int | None,
    refusal: Refusal,
    *,
    audited: bool = False,
    **detail: object,
) -> None:
    """Answer a press that may not act; audit it unless the service already did."""
    if not audited:
        await context.uow.audit.record(
            f"supervision.press.{code[:8]}",
            actor_telegram_id=who.account.telegram_id,
            actor_person_id=who.person.id,
            object_type="opinion" if opinion_id is not None else None,
            object_id=opinion_id,
            allowed=False,
            reason=refusal.reason.value,
            detail=refusal.detail,
            **detail,
        )
    await answer_query(context.uow, who.chat_id, query_id, refusal_text(who.tr, refusal), alert=True)


# -- the picker -------------------------------------------------------------------------------


async def offer(context: LiaisonContext, who: Actor, opinion: Opinion) -> None:
    """The deputy picker for one opinion."""
    found = await CandidateService(context.uow).for_staff(opinion, MAX_CANDIDATES)
    if not found:
        await send_text(
            context.uow,
            who.chat_id,
            who.tr("No deputy could be found for {tracking_no}.", tracking_no=esc(opinion.tracking_no)),
        )
        return
    held = opinion.holder_deputy_id or 0
    buttons = [
        [
            InlineKeyboardButton(
                ("🎯 " if c.field_match else "") + who.tr("{name} · {count} open", name=c.name, count=c.load),
                callback_data=pack(SV, "to", opinion.id, c.deputy_id, held),
            )
        ]
        for c in found
    ]
    await send_text(
        context.uow,
        who.chat_id,
        who.tr(
            "Give {tracking_no} ({category}) to which deputy? 🎯 marks a matching field; "
            "the number is each one's open load.",
            tracking_no=esc(opinion.tracking_no),
            category=category_label(who.tr, opinion.category),
        ),
        markup=InlineKeyboardMarkup(buttons),
    )


async def assign(
    context: LiaisonContext, who: Actor, query_id: str, opinion: Opinion, deputy_id: int, message: object
) -> None:
    """Transfer the opinion to the picked deputy and render: cards, notices, the picker's outcome."""
    views = opinion_views(context)
    previous = await views.holder_person(opinion)
    outcome = await opinion_service(context).apply(
        opinion.id, Action.TRANSFER, who.person.id, to_deputy_id=deputy_id
    )
    if outcome.refusal is not None or outcome.opinion is None:
        await _refuse(
            context,
            who,
            query_id,
            "to",
            opinion.id,
            outcome.refusal or Refusal(RefusalReason.NOT_FOUND),
            audited=True,
        )
        return
    now = context.services.clock.now()
    opinion = outcome.opinion
    name = await views.holder_name(opinion, who.tr)
    done = who.tr("{tracking_no} is now with {holder}.", tracking_no=esc(opinion.tracking_no), holder=name)
    await answer_query(context.uow, who.chat_id, query_id, done)
    message_id = getattr(message, "message_id", None)
    if message_id is not None:
        await edit_message(context.uow, who.chat_id, message_id, "✅ " + done)
    await context.uow.audit.record(
        "supervision.assign",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="opinion",
        object_id=opinion.id,
        to_deputy_id=deputy_id,
    )
    await views.deliver(outcome.notifications, now)
    if previous is not None:  # the previous holder's card loses its buttons
        await context.uow.session.refresh(previous, ["deputy"])  # loaded now: no lazy IO in the view
        await views.refresh_card(opinion, previous, now)


# -- remind -----------------------------------------------------------------------------------


async def remind(context: LiaisonContext, who: Actor, query_id: str, opinion: Opinion) -> None:
    """Ping the holder about one opinion in their language, with a button to open the card."""
    views = opinion_views(context)
    holder = await views.holder_person(opinion)
    running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
    if holder is None or holder.telegram_id is None or running is None:
        await _refuse(
            context, who, query_id, "rm", opinion.id, Refusal(RefusalReason.STALE_STATE, "no running clock")
        )
        return
    now = context.services.clock.now()
    await send_text(
        context.uow,
        holder.telegram_id,
        reminder_text(views, holder, opinion, now, running[1]),
        markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        views.translator_for(holder)("📝 Open the card"),
                        callback_data=pack(OP, "card", opinion.id),
                    )
                ]
            ]
        ),
        not_before=deliver_at(now, context.services.policy),
    )
    await context.uow.audit.record(
        "supervision.remind",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        object_type="opinion",
        object_id=opinion.id,
        to_person_id=holder.id,
    )
    await answer_query(
        context.uow,
        who.chat_id,
        query_id,
        who.tr("Reminder sent to {holder}.", holder=holder.name),
    )


def reminder_text(
    views: OpinionViews, holder: Person, opinion: Opinion, now: datetime, deadline: datetime
) -> str:
    """The reminder in the holder's language: overdue, or due soon."""
    tr = views.translator_for(holder)
    params = {
        "tracking_no": esc(opinion.tracking_no),
        "category": category_label(tr, opinion.category),
        "deadline": when(deadline, views.zone),
    }
    if now > deadline:
        text = tr(
            "The congress office reminds you: opinion <b>{tracking_no}</b> ({category}) is overdue; "
            "the deadline was {deadline}. Please handle it now.",
            **params,
        )
    else:
        text = tr(
            "The congress office reminds you: opinion <b>{tracking_no}</b> ({category}) is due by "
            "{deadline}. Please handle it in time.",
            **params,
        )
    return f"{views.colour_mark(opinion, now)} {text}"
