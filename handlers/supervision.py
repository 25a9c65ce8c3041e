"""Supervision in chat for congress office staff: /queue (the triage queue) and /overdue (三色预警).

Every button carries the opinion and the holder the list showed (0 for none). A press is re-checked:
the presser must be staff now, the opinion must still be held by that holder and the lifecycle must
allow the action in its current state — a forged or stale press is refused, answered and audited
(`supervision.press.<code>`).

```mermaid
stateDiagram-v2
    [*] --> list: /queue or /overdue
    list --> picker: Assign / Reassign
    picker --> [*]: a deputy (transfer, cards and notices rendered)
    list --> [*]: Remind (the holder is pinged)
```
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.opinions import supervision_views as show
from bot.opinions.candidates import CandidateService
from bot.opinions.entities import Opinion
from bot.opinions.lifecycle import Action, Refusal, RefusalReason
from bot.opinions.sla import deliver_at
from bot.opinions.supervision import MAX_CANDIDATES, SupervisionService
from bot.opinions.supervision_buttons import AssignPress, OtherPress, PickPress, RemindPress
from bot.people.roles import is_staff
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor, opinion_service, opinion_views, refusal_text

__all__ = ["assign_pressed", "other_pressed", "overdue", "pick_pressed", "queue", "remind_pressed"]


def supervision(context: LiaisonContext) -> SupervisionService:
    return SupervisionService(context.uow, opinion_service(context), context.services.policy)


async def staff_actor(update: Update, context: LiaisonContext, what: str) -> Actor[Any] | None:
    """The presser when they are staff now; anyone else is told so, and audited."""
    who = await actor(update, context)
    if who is None or is_staff(who.person):
        return who  # None: an update without a user
    await context.uow.audit.record(
        f"supervision.{what}",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        reason="not_staff",
    )
    await send_text(context.uow, who.chat_id, who.tr(show.STAFF_ONLY))
    return None


async def queue(update: Update, context: LiaisonContext) -> None:
    """/queue: cards Telegram refused, then opinions no rule could route, each with a button."""
    who = await staff_actor(update, context, "queue")
    if who is None:
        return
    listed = await supervision(context).queue()
    if listed.empty:
        await send_text(context.uow, who.chat_id, who.tr(show.QUEUE_EMPTY))
        return
    now = context.services.clock.now()
    text, markup = await show.queue_listing(opinion_views(context), listed, who.tr, now)
    await send_text(context.uow, who.chat_id, text, markup=markup)


async def overdue(update: Update, context: LiaisonContext) -> None:
    """/overdue: yellow and red opinions grouped by station and holder, with Remind and Reassign."""
    who = await staff_actor(update, context, "overdue")
    if who is None:
        return
    listed = await supervision(context).overdue(context.services.clock.now())
    if not listed.groups:
        await send_text(context.uow, who.chat_id, who.tr(show.NOTHING_OVERDUE))
        return
    text, markup = show.overdue_listing(opinion_views(context), listed, who.tr)
    await send_text(context.uow, who.chat_id, text, markup=markup)


# -- presses ----------------------------------------------------------------------------------


async def shown_opinion(press: Press[Any], opinion_id: int, shown: int) -> Opinion | None:
    """The opinion a press names, when the presser is staff and the list it came from still holds;
    otherwise the press is refused (answered and audited) and None returned."""
    if not is_staff(press.who.person):
        await press.refuse(press.who.tr(show.STAFF_ONLY), reason="not_staff")
        return None
    found = await supervision(press.context).shown(opinion_id, shown)
    if isinstance(found, Refusal):
        await refuse(press, found, opinion_id, shown=shown)
        return None
    return found


async def refuse(press: Press[Any], refusal: Refusal, opinion_id: int, **detail: object) -> None:
    """A refusal of the lifecycle or of a stale list, in the presser's words."""
    await press.refuse(
        refusal_text(press.who.tr, refusal),
        reason=refusal.reason.value,
        object_type="opinion",
        object_id=opinion_id,
        detail=refusal.detail,
        **detail,
    )


@button(AssignPress, audit="supervision.press.as")
async def assign_pressed(press: Press[AssignPress]) -> None:
    """Assign or Reassign: the deputy picker, when staff may transfer the opinion now."""
    opinion = await shown_opinion(press, press.data.opinion_id, press.data.shown)
    if opinion is None:
        return
    checked = await opinion_service(press.context).may(opinion.id, Action.TRANSFER, press.who.person.id)
    if isinstance(checked, Refusal):
        await press.refuse(refusal_text(press.who.tr, checked), audited=True)
        return
    await press.answer()
    found = await CandidateService(press.uow).for_staff(opinion, MAX_CANDIDATES)
    if not found:
        await press.say(show.no_candidates(opinion, press.who.tr))
        return
    text, markup = show.picker(opinion, found, press.who.tr)
    await press.say(text, markup=markup)


@button(PickPress, audit="supervision.press.to")
async def pick_pressed(press: Press[PickPress]) -> None:
    """A deputy picked: transfer, then render the picker's outcome, the notices and the old card."""
    opinion = await shown_opinion(press, press.data.opinion_id, press.data.shown)
    if opinion is None:
        return
    done = await supervision(press.context).assign(
        opinion, press.who.person, press.who.account.telegram_id, press.data.deputy_id
    )
    moved = done.outcome.opinion
    if done.outcome.refusal is not None or moved is None:
        await press.refuse(
            refusal_text(press.who.tr, done.outcome.refusal or Refusal(RefusalReason.NOT_FOUND)), audited=True
        )
        return
    views, now = opinion_views(press.context), press.context.services.clock.now()
    text = show.assigned(press.who.tr, moved.tracking_no, await views.holder_name(moved, press.who.tr))
    await press.answer(text)
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, "✅ " + text)
    await views.deliver(done.outcome.notifications, now)
    if done.previous is not None:  # the previous holder's card loses its buttons
        await views.refresh_card(moved, done.previous, now)


@button(RemindPress, audit="supervision.press.rm")
async def remind_pressed(press: Press[RemindPress]) -> None:
    """Ping the holder about one opinion in their language, with a button to open the card."""
    opinion = await shown_opinion(press, press.data.opinion_id, press.data.shown)
    if opinion is None:
        return
    service = supervision(press.context)
    found = await service.reminder(opinion)
    if isinstance(found, Refusal):
        await refuse(press, found, opinion.id)
        return
    policy, now = press.context.services.policy, press.context.services.clock.now()
    text, markup = show.reminder(opinion_views(press.context), found.holder, opinion, now, found.deadline)
    await send_text(press.uow, found.chat, text, markup=markup, not_before=deliver_at(now, policy))
    await service.reminded(opinion, press.who.person, press.who.account.telegram_id, found.holder)
    await press.answer(press.who.tr("Reminder sent to {holder}.", holder=found.holder.name))


@button(OtherPress, audit="supervision.press")
async def other_pressed(press: Press[OtherPress]) -> None:
    """Data under "sv" that names no kind: refused, audited under its code."""
    event = f"supervision.press.{press.data.code[:8]}"
    if not is_staff(press.who.person):
        await press.refuse(press.who.tr(show.STAFF_ONLY), reason="not_staff", event=event)
        return
    await press.refuse(reason="unknown_action", event=event)
