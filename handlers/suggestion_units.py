"""办理 in chat: the officers' task card, the deputy's verdicts and ratings, staff's decisions.

```mermaid
stateDiagram-v2
    [*] --> card: the task card (交办), or 📋 from /suggestions or a notice
    card --> handling: ✍️ Sign for (the lead unit's officer)
    handling --> stage: 🤝 Record contact
    stage --> form: before / during / after
    form --> day: phone / visit / meeting / other
    day --> summary: 📅 Today, or a typed day
    summary --> [*]: typed → the deputy gets ✅ Confirm / ❌ Dispute (a typed reason)
    handling --> class: 📝 Answer
    class --> text: A / B / C
    text --> attach: A
    text --> planned: B (a typed day)
    text --> reason: C (a typed reason)
    planned --> attach
    reason --> attach
    attach --> [*]: photos / documents, then ✅ Send → the deputy rates: 😊 / 🙂 / 😞 (a typed reason)
```
A co-unit's officer sends its opinion the same way (💬: text → attachments → ✅ Send). Staff's notices
of a unit's request carry the decisions: ✅ Grant more time (the new term, then a typed reason), ✋ Deny
(a typed reason), 🔁 Reassign (the assignment picker). Every press is checked by the service against
the presser's relation and the state (`lifecycle.decide`); a refusal is answered with an alert and
audited. The dialogs live in the chat session (bot/suggestions/handling_forms.py); the rules in
bot/suggestions/handling.py, the look in bot/suggestions/handling_views.py.
"""

from __future__ import annotations

from typing import Any

from telegram import Message

from bot.kit.dialogs import Dialog
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from bot.suggestions import handling_forms, handling_notices, handling_views, notices
from bot.suggestions.assign import Pick
from bot.suggestions.buttons import (
    DecisionAction,
    DecisionPress,
    RateAction,
    RatePress,
    StepAction,
    StepPress,
    TaskAction,
    TaskPress,
    VerdictAction,
    VerdictPress,
)
from bot.suggestions.handling import HandlingService, Rating
from bot.suggestions.handling_forms import HandlingDialog, Kind, Step, Work
from bot.suggestions.lifecycle import Action
from bot.suggestions.service import Outcome, Suggestion
from handlers import suggestions
from handlers.buttons import Press, button
from handlers.common import Actor
from handlers.dialogs import Step as DialogStep

__all__ = [
    "DIALOG",
    "decision_pressed",
    "rate_pressed",
    "step_pressed",
    "task_pressed",
    "verdict_pressed",
]

AUDIT = "suggestion.refused"
WORK = {
    TaskAction.CONTACT: (Kind.CONTACT, Action.RECORD_CONTACT),
    TaskAction.ANSWER: (Kind.ANSWER, Action.ANSWER),
    TaskAction.OPINION: (Kind.OPINION, Action.CO_OPINION),
}
CHOICES = {StepAction.STAGE: Step.STAGE, StepAction.FORM: Step.FORM, StepAction.CLASS: Step.CLASS}
DECISIONS = {
    DecisionAction.GRANT: Action.GRANT_EXTENSION,
    DecisionAction.MONTHS: Action.GRANT_EXTENSION,
    DecisionAction.DENY_EXTENSION: Action.DENY_EXTENSION,
    DecisionAction.DENY_REASSIGN: Action.DENY_REASSIGN,
    DecisionAction.REASSIGN: Action.REASSIGN,
}
RATINGS = {RateAction.SATISFIED: Rating.SATISFIED, RateAction.BASIC: Rating.BASIC}


def service(context: LiaisonContext) -> HandlingService:
    return HandlingService.of(context.uow, context.services.policy)


async def tell(context: LiaisonContext, outcome: Outcome) -> None:
    """Queue the outcome's notices in each recipient's language, then the files an answer carries."""
    services = context.services
    if outcome.suggestion is not None and outcome.notices:
        now = services.clock.now()
        await notices.deliver(
            context.uow, outcome.notices, outcome.suggestion, services.settings, services.policy, now
        )
        await handling_notices.deliver_files(context.uow, outcome.notices, services.policy, now)


async def refuse(press: Press[Any], outcome: Outcome) -> None:
    """The service refused (and audited): the presser is told why."""
    await press.refuse(handling_views.refused(press.who.tr, outcome.refusal), audited=True)


# -- the officers' task card ------------------------------------------------------------------------


@button(TaskPress, audit=AUDIT)
async def task_pressed(press: Press[TaskPress]) -> None:
    """📋 the card, ✍️ Sign for, or open a dialog: 🤝 a contact, 📝 the answer, 💬 a co-unit's opinion."""
    if press.data.action is TaskAction.CARD:
        await show_card(press)
    elif press.data.action is TaskAction.SIGN:
        await sign(press)
    else:
        await open_work(press)


async def show_card(press: Press[TaskPress]) -> None:
    """The card as it is now: for an officer of its lead unit or a co-unit only."""
    sid, now = press.data.suggestion_id, press.context.services.clock.now()
    card = await service(press.context).card(sid, press.who.person.id, now)
    if card is None:
        await press.refuse(handling_views.refused(press.who.tr, None), reason="not_unit", suggestion=sid)
        return
    await press.answer()
    text, markup = handling_views.task_card(press.who.tr, card)
    await press.say(text, markup=markup)


async def sign(press: Press[TaskPress]) -> None:
    """✍️ 签收: the card turns into the handling card in place (its buttons now the handling ones)."""
    now = press.context.services.clock.now()
    outcome = await service(press.context).sign_for(press.data.suggestion_id, press.who.person.id, now)
    if not outcome.ok or outcome.suggestion is None:
        await refuse(press, outcome)
        return
    await press.answer(handling_views.signed(press.who.tr))
    card = await service(press.context).card(outcome.suggestion.id, press.who.person.id, now)
    if card is not None and press.message_id is not None:
        text, markup = handling_views.task_card(press.who.tr, card)
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)
    await tell(press.context, outcome)


async def open_work(press: Press[TaskPress]) -> None:
    """A contact, an answer or an opinion: the relation and the state first, then the first question."""
    kind, action = WORK[press.data.action]
    now = press.context.services.clock.now()
    checked = await service(press.context).check(press.data.suggestion_id, press.who.person.id, action, now)
    if isinstance(checked, Outcome):
        await refuse(press, checked)
        return
    await press.answer()
    await ask(press.context, press.who, Work.start(kind, checked.id, now), checked)


async def ask(context: LiaisonContext, who: Actor[Any], work: Work, suggestion: Suggestion) -> None:
    """Keep the dialog and ask its current step."""
    await handling_forms.keep(context.uow, who.chat_id, work)
    text, markup = handling_views.prompt(who.tr, work, suggestion)
    await send_text(context.uow, who.chat_id, text, markup=markup)


async def next_step(context: LiaisonContext, who: Actor[Any], work: Work) -> None:
    """Ask the next question, or record the contact once its summary is typed."""
    if work.step is Step.DONE:
        await record_contact(context, who, work)
        return
    suggestion = await service(context).get(work.suggestion_id)
    if suggestion is None:
        await handling_forms.end(context.uow, who.chat_id)
        return
    await ask(context, who, work, suggestion)


async def record_contact(context: LiaisonContext, who: Actor[Any], work: Work) -> None:
    """三见面 recorded: the service checks the unit, the state and the record; the deputy is asked."""
    await handling_forms.end(context.uow, who.chat_id)
    now = context.services.clock.now()
    outcome = await service(context).record_contact(work.suggestion_id, who.person.id, work.contact(), now)
    if not outcome.ok or outcome.suggestion is None:
        await send_text(context.uow, who.chat_id, handling_views.refused(who.tr, outcome.refusal))
        return
    text = handling_views.contact_recorded(who.tr, outcome.suggestion)
    await send_text(
        context.uow, who.chat_id, text, markup=handling_views.card_button(who.tr, outcome.suggestion)
    )
    await tell(context, outcome)


@button(StepPress, audit=AUDIT)
async def step_pressed(press: Press[StepPress]) -> None:
    """A dialog's buttons: only for the dialog this chat holds for this suggestion (else stale)."""
    now = press.context.services.clock.now()
    work = await handling_forms.held(press.uow, press.who.chat_id, press.data.suggestion_id)
    if work is None or work.expired(now):
        await press.refuse(reason="stale_dialog", suggestion=press.data.suggestion_id)
        return
    action = press.data.action
    if action is StepAction.CANCEL:
        await handling_forms.end(press.uow, press.who.chat_id)
        await press.answer()
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
        await press.say(handling_views.cancelled(press.who.tr))
        return
    if action is StepAction.SEND:
        await send_work(press, work)
        return
    today = service(press.context).today(now)
    choice = CHOICES.get(action)
    problem = work.held_today(today, now) if choice is None else work.choose(choice, press.data.value, now)
    if problem is not None:
        await press.refuse(handling_views.problem(press.who.tr, problem), reason=problem)
        return
    await press.answer()
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    await next_step(press.context, press.who, work)


async def send_work(press: Press[StepPress], work: Work) -> None:
    """✅ Send the answer or the opinion: the service checks everything again."""
    if work.step is not Step.ATTACH:
        await press.refuse(handling_views.problem(press.who.tr, "wrong_step"), reason="wrong_step")
        return
    now, person = press.context.services.clock.now(), press.who.person.id
    if work.kind is Kind.ANSWER:
        outcome = await service(press.context).answer(work.suggestion_id, person, work.answer(), now)
    else:
        outcome = await service(press.context).co_opinion(
            work.suggestion_id, person, work.text, now, work.attachments
        )
    await handling_forms.end(press.uow, press.who.chat_id)
    if not outcome.ok or outcome.suggestion is None:
        await refuse(press, outcome)
        return
    await press.answer()
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    sent = handling_views.answer_sent if work.kind is Kind.ANSWER else handling_views.opinion_sent
    await press.say(sent(press.who.tr, outcome.suggestion))
    await tell(press.context, outcome)


async def work_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """A message in an officer's dialog: a typed day, summary, text or reason; or a file to attach."""
    now = context.services.clock.now()
    work = await handling_forms.held(context.uow, who.chat_id)
    if work is None or work.expired(now):
        await handling_forms.end(context.uow, who.chat_id)
        if work is not None:
            await send_text(context.uow, who.chat_id, handling_views.expired(who.tr))
        return False
    if await attach(context, who, work, message):
        return True
    if not message.text:
        await send_text(context.uow, who.chat_id, handling_views.type_text(who.tr))
        return True
    problem = work.type(message.text, service(context).today(now), now)
    if problem is not None:
        await send_text(context.uow, who.chat_id, handling_views.problem(who.tr, problem))
        return True
    await next_step(context, who, work)
    return True


async def attach(context: LiaisonContext, who: Actor[Any], work: Work, message: Message) -> bool:
    """A photo or document at the attachments step; False for anything else."""
    kind, file_id = ("photo", message.photo[-1].file_id) if message.photo else ("document", None)
    if message.document is not None:
        file_id = message.document.file_id
    if work.step is not Step.ATTACH or file_id is None:
        return False
    problem = work.attach(kind, file_id, context.services.clock.now())
    if problem is not None:
        await send_text(context.uow, who.chat_id, handling_views.problem(who.tr, problem))
        return True
    await handling_forms.keep(context.uow, who.chat_id, work)
    await send_text(context.uow, who.chat_id, handling_views.attached(who.tr, len(work.attachments)))
    return True


# -- the deputy: 三见面 verdicts and the rating --------------------------------------------------------


@button(VerdictPress, audit=AUDIT)
async def verdict_pressed(press: Press[VerdictPress]) -> None:
    """✅ Confirm a contact, or ❌ Dispute it (asks the reason): the filer, once."""
    cid, now = press.data.contact_id, press.context.services.clock.now()
    if press.data.action is VerdictAction.DISPUTE:
        checked = await service(press.context).check_contact(cid, press.who.person.id, now)
        if isinstance(checked, Outcome):
            await refuse(press, checked)
            return
        await press.answer()
        await handling_forms.open_reason(
            press.uow, press.who.chat_id, HandlingDialog.DISPUTE, cid, press.message_id or 0
        )
        await press.say(handling_views.ask_dispute(press.who.tr))
        return
    outcome = await service(press.context).judge_contact(cid, press.who.person.id, True, now)
    if not outcome.ok:
        await refuse(press, outcome)
        return
    await press.answer()
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    await press.say(handling_views.verdict_given(press.who.tr, True))
    await tell(press.context, outcome)


async def dispute_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The typed reason a contact is disputed: the service checks the filer, the state, once."""
    if not message.text:
        await send_text(context.uow, who.chat_id, handling_views.type_text(who.tr))
        return True
    await handling_forms.end(context.uow, who.chat_id)
    now = context.services.clock.now()
    outcome = await service(context).judge_contact(
        dialog.int_arg() or 0, who.person.id, False, now, message.text
    )
    await said(context, who, dialog, outcome, handling_views.verdict_given(who.tr, False))
    return True


async def said(context: LiaisonContext, who: Actor[Any], dialog: Dialog, outcome: Outcome, done: str) -> None:
    """After a typed reason: the refusal, or the card's buttons off (its message id is the dialog's
    second argument), what was done, and the notices."""
    if not outcome.ok or outcome.suggestion is None:
        await send_text(context.uow, who.chat_id, handling_views.refused(who.tr, outcome.refusal))
        return
    if dialog.int_arg(1):
        await remove_keyboard(context.uow, who.chat_id, dialog.int_arg(1) or 0)
    await send_text(context.uow, who.chat_id, done)
    await tell(context, outcome)


@button(RatePress, audit=AUDIT)
async def rate_pressed(press: Press[RatePress]) -> None:
    """😊 / 🙂 close it (销号); 😞 asks the reason. The filer, the latest answer, once."""
    aid, now = press.data.answer_id, press.context.services.clock.now()
    if press.data.action is RateAction.DISSATISFIED:
        checked = await service(press.context).check_rating(aid, press.who.person.id, now)
        if isinstance(checked, Outcome):
            await refuse(press, checked)
            return
        await press.answer()
        await handling_forms.open_reason(
            press.uow, press.who.chat_id, HandlingDialog.RATE, aid, press.message_id or 0
        )
        await press.say(handling_views.ask_dissatisfied(press.who.tr))
        return
    rating = RATINGS[press.data.action]
    outcome = await service(press.context).rate(aid, press.who.person.id, rating, now)
    if not outcome.ok or outcome.suggestion is None:
        await refuse(press, outcome)
        return
    await press.answer()
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    await press.say(handling_views.rated(press.who.tr, outcome.suggestion, rating))
    await tell(press.context, outcome)


async def rate_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """The typed reason for 😞 Dissatisfied: re-handled once (new term), then the congress office."""
    if not message.text:
        await send_text(context.uow, who.chat_id, handling_views.type_text(who.tr))
        return True
    await handling_forms.end(context.uow, who.chat_id)
    now = context.services.clock.now()
    outcome = await service(context).rate(
        dialog.int_arg() or 0, who.person.id, Rating.DISSATISFIED, now, message.text
    )
    done = handling_views.rated(who.tr, outcome.suggestion, Rating.DISSATISFIED) if outcome.suggestion else ""
    await said(context, who, dialog, outcome, done)
    return True


# -- staff: decisions on a unit's request ------------------------------------------------------------


@button(DecisionPress, audit=AUDIT)
async def decision_pressed(press: Press[DecisionPress]) -> None:
    """✅ Grant (a new term, then the reason), ✋ Deny (the reason), 🔁 Reassign (the picker): staff only."""
    action, sid = press.data.action, press.data.suggestion_id
    now = press.context.services.clock.now()
    checked = await service(press.context).check(sid, press.who.person.id, DECISIONS[action], now)
    if isinstance(checked, Outcome):
        await refuse(press, checked)
        return
    await press.answer()
    if action is DecisionAction.REASSIGN:
        await open_reassign(press, checked)
    elif action is DecisionAction.GRANT:
        text, markup = handling_views.ask_months(press.who.tr, checked)
        await press.say(text, markup=markup)
    else:
        months = press.data.value if action is DecisionAction.MONTHS else 0
        dialog = (HandlingDialog.DECIDE, sid, DECISIONS[action].value, months)
        await handling_forms.open_reason(press.uow, press.who.chat_id, *dialog)
        await press.say(handling_views.ask_decision_reason(press.who.tr, checked))


async def open_reassign(press: Press[DecisionPress], suggestion: Suggestion) -> None:
    """The assignment picker, for a new lead unit: the 归口 proposal without the unit that leads now."""
    proposal = await service(press.context).propose(suggestion)
    pick = Pick.proposed_for(suggestion.id, proposal)
    pick.reassign = True
    others = [u for u in pick.proposed if u != suggestion.lead_unit_id]
    pick.lead = others[0] if others else None
    pick.co = [u for u in pick.co if u not in (pick.lead, suggestion.lead_unit_id)]
    await suggestions.show_pick(press.context, press.who, pick)


async def decide_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """Staff's typed reason: more time granted (the chosen term) or a request denied."""
    if not message.text:
        await send_text(context.uow, who.chat_id, handling_views.type_text(who.tr))
        return True
    await handling_forms.end(context.uow, who.chat_id)
    sid, months, now = dialog.int_arg() or 0, dialog.int_arg(2) or 0, context.services.clock.now()
    action = Action(dialog.args[1]) if dialog.args[1:2] and dialog.args[1] in set(Action) else None
    if action is Action.GRANT_EXTENSION:
        outcome = await service(context).grant_extension(sid, who.person.id, months, message.text, now)
    elif action in (Action.DENY_EXTENSION, Action.DENY_REASSIGN):
        outcome = await service(context).deny(sid, who.person.id, action, message.text, now)
    else:
        return True
    done = handling_views.decided(who.tr, outcome.suggestion) if outcome.suggestion else ""
    await said(context, who, Dialog(dialog.state), outcome, done)
    return True


DIALOG = {
    HandlingDialog.CONTACT: DialogStep(work_message),
    HandlingDialog.ANSWER: DialogStep(work_message),
    HandlingDialog.OPINION: DialogStep(work_message),
    HandlingDialog.DISPUTE: DialogStep(dispute_message),
    HandlingDialog.RATE: DialogStep(rate_message),
    HandlingDialog.DECIDE: DialogStep(decide_message),
}
