"""/suggest and /suggestions: a deputy files a formal suggestion (代表建议); co-signers confirm or decline.

```mermaid
stateDiagram-v2
    [*] --> title: /suggest (a deputy)
    [*] --> dep: /suggest (staff: a deputy's paper suggestion)
    [*] --> title: ✏️ Revise on a returned suggestion (filled from it)
    dep --> title: a deputy code or name typed, or one of those found pressed
    title --> text: typed (≤ 100 characters), or Keep (a revision)
    text --> cat: typed (≤ 3000 characters), or Keep (an opinion's, a revision's)
    cat --> cos: a category button
    cat --> att: a category button (paper, revision: no co-signer step)
    cos --> att: deputy codes typed (D2 D3), one of the filer's deputy groups, or Skip
    att --> pre: photos / documents sent, then Next
    pre --> [*]: File (numbered S-YYYY-NNNN, or sent to the co-signers first; a revision filed again)
    title --> [*]: Cancel (at every step), /cancel
```
A form opened from an opinion (⬆️ Escalate on its card) starts with its text and category filled in.
Staff's /suggest files a deputy's paper suggestion: it asks first on whose behalf (a code, or part of a
name: one found is taken, several are offered as buttons), then the same form without co-signers. At
the co-signer step a deputy may press one of their deputy groups to invite all its other members (专业
小组联名). A returned suggestion's ✏️ Revise opens the form filled from it; its File files it again under
the same number (handlers/suggestion_filing.py has those buttons, 🗑 Withdraw and 🔗 Merge).
Co-signers get a card with ✅ Co-sign / ❌ Decline: only an invited co-signer, once, while it waits for
them; anything else is refused, answered and audited by the service. `/suggestions` lists the
deputy's own; for staff it is the 交办 queue: each filed or prepared suggestion with ↩️ Return (the next
message is the reason, the filer is told it) and 📌 Assign (a picker with the 归口 proposal: ⭐ lead, ➕
co-units, unit codes typed, a term of 3–6 months, over three with a typed reason → `prepared`), then
📣 Publish (or `/suggestions publish`): every prepared one goes out at once — the lead unit's task card
(🙅 Not ours / ⏳ More time, each asking a reason), the co-units' cards, the filer and the opinions'
senders told. Every press is checked (staff; the lead unit's officer; the picker this chat holds; the
state) and a refusal is answered and audited. The form lives in the chat session (bot/suggestions/forms.py); its rules in
bot/suggestions/service.py, its look in bot/suggestions/views.py.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from bot.suggestions import assign, assign_views, filing_views, forms, handling_views, notices, views
from bot.suggestions.assign import AssignmentService, Pick
from bot.suggestions.buttons import (
    CategoryPress,
    CosignAction,
    CosignPress,
    FormAction,
    FormPress,
    PickAction,
    PickPress,
    PublishPress,
    QueueAction,
    QueuePress,
    UnitAction,
    UnitPress,
)
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS
from bot.suggestions.filing import FilingService
from bot.suggestions.forms import Form, Problem, Step, SuggestDialog
from bot.suggestions.handling import HandlingService
from bot.suggestions.lifecycle import Action
from bot.suggestions.service import Outcome, SuggestionService
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.constituent import ConstituentDialog
from handlers.dialogs import Step as DialogStep

__all__ = [
    "DIALOG",
    "open_form",
    "pick_pressed",
    "publish_pressed",
    "queue_pressed",
    "suggest_command",
    "suggestions_command",
    "unit_pressed",
]

AUDIT = "suggestion.refused"


def service(context: LiaisonContext) -> SuggestionService:
    return SuggestionService(context.uow, zone=context.services.policy.zone)


def assigner(context: LiaisonContext) -> AssignmentService:
    return AssignmentService(context.uow, zone=context.services.policy.zone)


def filer(context: LiaisonContext) -> FilingService:
    return FilingService(context.uow, zone=context.services.policy.zone)


async def ask(context: LiaisonContext, who: Actor[Any], form: Form, intro: str = "") -> None:
    """Keep the form and ask what its current step needs (the co-signer step offers the filer's groups)."""
    await forms.keep(context.uow, who.chat_id, form)
    groups = await filer(context).groups_for(form.person_id) if form.step is Step.COSIGNERS else []
    text, markup = views.prompt(who.tr, form, intro, groups)
    await send_text(context.uow, who.chat_id, text, markup=markup)


async def open_form(context: LiaisonContext, who: Actor[Any], form: Form, intro: str) -> None:
    """Start a form (a new /suggest, or one from an opinion); an unsent opinion draft is kept for after."""
    await forms.open_in(context.uow, who.chat_id, form, ConstituentDialog.DRAFT)
    await ask(context, who, form, intro)


async def suggest_command(update: Update, context: LiaisonContext) -> None:
    """/suggest: a new form for a deputy; for staff, a deputy's paper suggestion (anyone else is refused
    and audited)."""
    who = await actor(update, context)
    if who is None:
        return
    if await assigner(context).is_staff(who.person.id):
        form = Form.for_paper(who.person.id, context.services.clock.now())
        await open_form(context, who, form, views.opening(who.tr))
        return
    if who.person.deputy is None:
        await context.uow.audit.record(
            AUDIT, actor_person_id=who.person.id, allowed=False, reason="not_deputy"
        )
        await send_text(context.uow, who.chat_id, views.not_deputy(who.tr))
        return
    form = Form(person_id=who.person.id, touched=context.services.clock.now())
    await open_form(context, who, form, views.opening(who.tr))


async def suggestions_command(update: Update, context: LiaisonContext) -> None:
    """/suggestions: the deputy's own suggestions with their numbers and states."""
    who = await actor(update, context)
    if who is None:
        return
    if await assigner(context).is_staff(who.person.id):
        await (publish(context, who) if context.args == ["publish"] else staff_queue(context, who))
        return
    if context.args == ["publish"]:  # only staff publish: anyone else is refused and audited
        await assigner(context).publish(who.person.id, context.services.clock.now())
        await send_text(context.uow, who.chat_id, assign_views.refused(who.tr, ""))
        return
    if who.person.deputy is None and await unit_list(context, who):
        return
    if who.person.deputy is None:
        await send_text(context.uow, who.chat_id, views.not_deputy(who.tr))
        return
    mine = await service(context).mine(who.person.id)
    await send_text(context.uow, who.chat_id, views.suggestion_list(who.tr, mine))


async def unit_list(context: LiaisonContext, who: Actor[Any]) -> bool:
    """/suggestions for a unit officer (办理): the unit's suggestions, each card a button away."""
    handling = HandlingService.of(context.uow, context.services.policy)
    if not await handling.is_officer(who.person.id):
        return False
    text, markup = handling_views.unit_task_list(who.tr, await handling.unit_tasks(who.person.id))
    await send_text(context.uow, who.chat_id, text, markup=markup)
    return True


# -- typed answers --------------------------------------------------------------------------------


async def typed_cosigners(context: LiaisonContext, who: Actor[Person], form: Form, text: str) -> None:
    ids, names, unknown = await service(context).deputies_by_codes(forms.split_codes(text))
    if unknown:
        await send_text(context.uow, who.chat_id, views.unknown_codes(who.tr, unknown))
    elif who.person.id in ids:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, "cosigner_is_filer"))
    else:
        await answered(context, who, form, form.set_cosigners(ids, names, context.services.clock.now()))


async def typed_deputy(context: LiaisonContext, who: Actor[Person], form: Form, text: str) -> None:
    """Staff filing from paper typed a code or part of a name: one deputy found is taken, several are
    offered as buttons."""
    found = await filer(context).find_deputies(text)
    if len(found) == 1:
        person_id, name, _code = found[0]
        await answered(context, who, form, form.choose_deputy(person_id, name, context.services.clock.now()))
        return
    reply, markup = filing_views.deputy_choices(who.tr, form.key, text, found)
    await send_text(context.uow, who.chat_id, reply, markup=markup)


async def answered(context: LiaisonContext, who: Actor[Any], form: Form, problem: Problem | None) -> None:
    if problem is not None:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, problem))
        return
    await ask(context, who, form)


async def attachment(context: LiaisonContext, who: Actor[Any], form: Form, message: Message) -> bool:
    """A photo or document at the attachments step; False for anything else."""
    kind, file_id = ("photo", message.photo[-1].file_id) if message.photo else ("document", None)
    if message.document is not None:
        file_id = message.document.file_id
    if form.step is not Step.ATTACH or file_id is None:
        return False
    problem = form.attach(kind, file_id, context.services.clock.now())
    if problem is not None:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, problem))
        return True
    await forms.keep(context.uow, who.chat_id, form)
    await send_text(context.uow, who.chat_id, views.attached(who.tr, len(form.attachments)))
    return True


async def form_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """A message while the chat is in a /suggest form; False (it goes on) when the form is gone."""
    form, now = await forms.held(context.uow, who.chat_id), context.services.clock.now()
    if form is None or form.person_id != who.person.id or form.expired(now):
        back = await forms.end(context.uow, who.chat_id)
        if form is not None and form.expired(now):
            await send_text(
                context.uow, who.chat_id, views.with_draft_back(who.tr, views.expired(who.tr), back)
            )
        return False
    if await attachment(context, who, form, message):
        return True
    text = message.text
    if text is None or form.step not in (Step.DEPUTY, Step.TITLE, Step.TEXT, Step.COSIGNERS):
        await send_text(context.uow, who.chat_id, views.waiting(who.tr))
    elif form.step is Step.COSIGNERS:
        await typed_cosigners(context, who, form, text)
    elif form.step is Step.DEPUTY:
        await typed_deputy(context, who, form, text)
    else:
        typed = form.type_title if form.step is Step.TITLE else form.type_text
        await answered(context, who, form, typed(text, now))
    return True


# -- 交办: the staff queue, Return, the unit picker, publishing at the 交办会 ----------------------------


async def staff_queue(context: LiaisonContext, who: Actor[Any]) -> None:
    """/suggestions for staff: each filed or prepared suggestion with Return, Assign and Merge, those
    returned to their filers with Merge, then Publish."""
    rows = await assigner(context).queue()
    returned = await filer(context).returned()
    if not rows and not returned:
        await send_text(context.uow, who.chat_id, assign_views.empty_queue(who.tr))
        return
    for row in [*rows, *returned]:
        name = await assigner(context).person_name(row.filer_person_id)
        group = await filer(context).group_name(row.group_id)
        text, markup = assign_views.queue_card(who.tr, row, name, group)
        await send_text(context.uow, who.chat_id, text, markup=markup)
    text, footer = assign_views.queue_footer(who.tr, assign.prepared_count(rows))
    await send_text(context.uow, who.chat_id, text, markup=footer)


async def publish(context: LiaisonContext, who: Actor[Any]) -> None:
    """The 交办会: every prepared suggestion sent at once; units, filers and followers told."""
    services = context.services
    outcomes = await assigner(context).publish(
        who.person.id, services.clock.now(), services.settings.tracking_prefix
    )
    done = [o for o in outcomes if o.ok and o.suggestion is not None]
    numbers = [o.suggestion.number or "—" for o in done if o.suggestion is not None]
    await send_text(context.uow, who.chat_id, assign_views.published(who.tr, numbers))
    for outcome in done:
        await tell_all(context, outcome)


async def tell_all(context: LiaisonContext, outcome: Outcome) -> None:
    services = context.services
    if outcome.suggestion is not None and outcome.notices:
        now = services.clock.now()
        await notices.deliver(
            context.uow, outcome.notices, outcome.suggestion, services.settings, services.policy, now
        )


@button(PublishPress, audit=AUDIT)
async def publish_pressed(press: Press[PublishPress]) -> None:
    """📣 Publish under the queue: staff only (checked again by the service, which audits a refusal)."""
    if not await assigner(press.context).is_staff(press.who.person.id):
        await assigner(press.context).publish(press.who.person.id, press.context.services.clock.now())
        await press.refuse(audited=True)
        return
    if not assign.prepared_count(await assigner(press.context).queue()):
        await press.refuse(reason="nothing_prepared")  # stale: published already
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    await publish(press.context, press.who)


@button(QueuePress, audit=AUDIT)
async def queue_pressed(press: Press[QueuePress]) -> None:
    """↩️ Return asks the reason; 📌 Assign opens the picker with the 归口 proposal. Staff, right state."""
    action = Action.RETURN if press.data.action is QueueAction.RETURN else Action.PREPARE
    checked = await assign.check_press(
        assigner(press.context), press.data.suggestion_id, press.who.person.id, action
    )
    if isinstance(checked, Outcome):
        await press.refuse(audited=True)
        return
    await press.answer()
    if action is Action.RETURN:
        await assign.open_return(press.uow, press.who.chat_id, checked.id)
        await press.say(assign_views.ask_reason(press.who.tr, checked))
        return
    pick = Pick.proposed_for(checked.id, await assigner(press.context).propose(checked))
    await show_pick(press.context, press.who, pick)


async def show_pick(
    context: LiaisonContext, who: Actor[Any], pick: Pick, message_id: int | None = None
) -> None:
    """Keep the picker and show it (edited in place after a button, new after typed codes)."""
    await assign.keep_pick(context.uow, who.chat_id, pick)
    suggestion = await assigner(context).get(pick.suggestion_id)
    names = await assigner(context).unit_names(
        [*pick.proposed, *pick.co, *([pick.lead] if pick.lead else [])]
    )
    assert suggestion is not None
    text, markup = assign_views.picker(who.tr, suggestion, pick, names)
    if message_id is None:
        await send_text(context.uow, who.chat_id, text, markup=markup)
    else:
        await edit_message(context.uow, who.chat_id, message_id, text, markup=markup)


async def return_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The typed reason for ↩️ Return: the service checks staff, the state and the reason again."""
    if not message.text:
        await send_text(context.uow, who.chat_id, assign_views.type_reason(who.tr))
        return True
    await assign.end_dialog(context.uow, who.chat_id)
    now = context.services.clock.now()
    outcome = await assigner(context).return_to_filer(dialog.int_arg() or 0, who.person.id, message.text, now)
    if outcome.refusal is not None or outcome.suggestion is None:
        detail = outcome.refusal.detail if outcome.refusal is not None else ""
        await send_text(context.uow, who.chat_id, assign_views.refused(who.tr, detail))
        return True
    await send_text(context.uow, who.chat_id, assign_views.returned(who.tr, outcome.suggestion))
    await tell_all(context, outcome)
    return True


async def assign_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """Typed unit codes (the first leads) or the reason for a term over three months."""
    pick = await assign.held_pick(context.uow, who.chat_id)
    if pick is None or not message.text:
        return pick is not None
    if pick.awaiting == "reason":
        pick.reason, pick.awaiting = message.text.strip(), ""
    else:
        found, unknown = await assigner(context).units_by_codes(forms.split_codes(message.text))
        if unknown or not found:
            await send_text(context.uow, who.chat_id, assign_views.unknown_units(who.tr, unknown))
            return True
        pick.typed_units([unit.id for unit in found])
        pick.awaiting = ""
    await show_pick(context, who, pick)
    return True


@button(PickPress, audit=AUDIT)
async def pick_pressed(press: Press[PickPress]) -> None:
    """The picker's buttons: staff only, and only for the picker this chat holds now (else stale)."""
    if not await assigner(press.context).is_staff(press.who.person.id):
        await press.refuse(reason="not_staff", suggestion=press.data.suggestion_id)
        return
    pick = await assign.held_pick(press.uow, press.who.chat_id, press.data.suggestion_id)
    if pick is None:
        await press.refuse(reason="stale_picker", suggestion=press.data.suggestion_id)
        return
    action, value = press.data.action, press.data.value
    if action is PickAction.OK:
        await (reassign(press, pick) if pick.reassign else prepare(press, pick))
        return
    await press.answer()
    if action is PickAction.CANCEL:
        await assign.end_dialog(press.uow, press.who.chat_id)
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
        return
    await picked(press, pick, action, value)


async def picked(press: Press[PickPress], pick: Pick, action: PickAction, value: int) -> None:
    """Lead, co-unit, term or codes: the choice changes and the picker is shown again (when it changed:
    Telegram refuses an edit to the same content)."""
    shown = pick.shown()
    if action is PickAction.LEAD and value in pick.proposed:
        pick.choose_lead(value)
    elif action is PickAction.CO and value in pick.proposed:
        pick.toggle_co(value)
    elif action is PickAction.TERM:
        pick.months = value
        pick.awaiting = "reason" if value > DEFAULT_TERM_MONTHS else ""
        if pick.awaiting:
            await press.say(assign_views.ask_term_reason(press.who.tr, value))
    elif action is PickAction.CODES:
        pick.awaiting = "codes"
        await press.say(assign_views.ask_codes(press.who.tr))
    if pick.shown() == shown:
        await assign.keep_pick(press.uow, press.who.chat_id, pick)
    else:
        await show_pick(press.context, press.who, pick, press.message_id)


async def prepare(press: Press[PickPress], pick: Pick) -> None:
    """✅ Prepare: the service checks staff, state, units and term (the lifecycle's guards)."""
    now = press.context.services.clock.now()
    outcome = await assigner(press.context).prepare(
        pick.suggestion_id,
        press.who.person.id,
        pick.lead,
        pick.co,
        now,
        months=pick.months,
        reason=pick.reason,
    )
    if outcome.refusal is not None or outcome.suggestion is None:
        detail = outcome.refusal.detail if outcome.refusal is not None else ""
        await press.refuse(assign_views.refused(press.who.tr, detail), audited=True)
        return
    await press.answer()
    await assign.end_dialog(press.uow, press.who.chat_id)
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    lead = (await assigner(press.context).unit_names([pick.lead] if pick.lead else [])).get(
        pick.lead or 0, "—"
    )
    await press.say(assign_views.prepared(press.who.tr, outcome.suggestion, lead))
    await tell(press, outcome)


async def reassign(press: Press[PickPress], pick: Pick) -> None:
    """🔁 Reassign (办理: "not ours", or a staff review): the service checks staff, state, units, term."""
    now = press.context.services.clock.now()
    outcome = await HandlingService.of(press.uow, press.context.services.policy).reassign(
        pick.suggestion_id,
        press.who.person.id,
        pick.lead,
        pick.co,
        now,
        months=pick.months,
        reason=pick.reason,
    )
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(handling_views.refused(press.who.tr, outcome.refusal), audited=True)
        return
    await press.answer()
    await assign.end_dialog(press.uow, press.who.chat_id)
    await remove_keyboard(press.uow, press.who.chat_id, press.message_id or 0)
    await press.say(handling_views.decided(press.who.tr, outcome.suggestion))
    await tell(press, outcome)


@button(UnitPress, audit=AUDIT)
async def unit_pressed(press: Press[UnitPress]) -> None:
    """🙅 Not ours / ⏳ More time on the task card: the lead unit's officer, the right state; asks a reason."""
    action = Action.REQUEST_REASSIGN if press.data.action is UnitAction.NOT_OURS else Action.REQUEST_EXTENSION
    checked = await assign.check_press(
        assigner(press.context), press.data.suggestion_id, press.who.person.id, action
    )
    if isinstance(checked, Outcome):
        await press.refuse(audited=True)
        return
    await press.answer()
    await assign.open_unit_request(press.uow, press.who.chat_id, checked.id, action)
    await press.say(assign_views.ask_unit_reason(press.who.tr, checked, action is Action.REQUEST_REASSIGN))


async def unit_request_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The officer's typed reason: the service checks the unit, the state and "once" again."""
    if not message.text:
        await send_text(context.uow, who.chat_id, assign_views.type_reason(who.tr))
        return True
    await assign.end_dialog(context.uow, who.chat_id)
    not_ours = dialog.args[1:2] == (Action.REQUEST_REASSIGN.value,)
    ask = assigner(context).request_reassign if not_ours else assigner(context).request_extension
    outcome = await ask(dialog.int_arg() or 0, who.person.id, message.text, context.services.clock.now())
    if outcome.refusal is not None or outcome.suggestion is None:
        detail = outcome.refusal.reason.value if outcome.refusal is not None else ""
        await send_text(context.uow, who.chat_id, assign_views.refused(who.tr, detail))
        return True
    await send_text(context.uow, who.chat_id, assign_views.unit_asked(who.tr, outcome.suggestion))
    await tell_all(context, outcome)
    return True


DIALOG = {
    SuggestDialog.FORM: DialogStep(form_message),
    SuggestDialog.RETURN: DialogStep(return_message),
    SuggestDialog.ASSIGN: DialogStep(assign_message),
    SuggestDialog.UNIT_REQUEST: DialogStep(unit_request_message),
}


# -- the form's buttons ---------------------------------------------------------------------------


async def pressed_form(press: Press[Any], key: str) -> Form | None:
    """The chat's open form when this press belongs to it (its key, its deputy); else refused."""
    form = await forms.held(press.uow, press.who.chat_id)
    if form is None or form.key != key or form.person_id != press.who.person.id:
        await press.refuse(reason="stale_form", key=key)
        return None
    if form.expired(press.context.services.clock.now()):
        back = await forms.end(press.uow, press.who.chat_id)
        await press.refuse(views.expired(press.who.tr), reason="expired", key=key)
        if back:
            await press.say(views.with_draft_back(press.who.tr, "", back).strip())
        return None
    return form


async def moved_on(press: Press[Any], form: Form, problem: Problem | None) -> None:
    """After a form button: refused with what was wrong, or the keyboard off and the next question."""
    if problem is not None:
        await press.refuse(views.problem_text(press.who.tr, problem), reason=problem.value)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    await ask(press.context, press.who, form)


@button(CategoryPress, audit=AUDIT)
async def category_pressed(press: Press[CategoryPress]) -> None:
    form = await pressed_form(press, press.data.key)
    if form is not None:
        await moved_on(
            press, form, form.choose_category(press.data.category, press.context.services.clock.now())
        )


@button(FormPress, audit=AUDIT)
async def form_pressed(press: Press[FormPress]) -> None:
    """Cancel, Skip / Next, File."""
    form = await pressed_form(press, press.data.key)
    if form is None:
        return
    if press.data.action is FormAction.SKIP:
        await moved_on(press, form, form.skip(press.context.services.clock.now()))
        return
    if press.data.action is FormAction.FILE and form.step is not Step.PREVIEW:
        await press.refuse(reason="wrong_step")
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    back = await forms.end(press.uow, press.who.chat_id)
    if press.data.action is FormAction.CANCEL:
        await press.say(views.with_draft_back(press.who.tr, views.cancelled(press.who.tr), back))
    else:
        await file(press, form, back)


async def file(press: Press[FormPress], form: Form, back: bool) -> None:
    """✅ File: the service checks everything again, numbers it or invites the co-signers; a revision is
    filed again (same number), a paper suggestion on the deputy's behalf."""
    now, person, draft = press.context.services.clock.now(), press.who.person.id, form.draft()
    if form.refile_id is not None:
        outcome = await filer(press.context).refile(form.refile_id, person, draft, now)
    elif form.paper and form.on_behalf_of is not None:
        outcome = await service(press.context).file_from_paper(person, form.on_behalf_of, draft, now)
    else:
        outcome = await service(press.context).file(person, draft, now)
    if outcome.refusal is not None or outcome.suggestion is None:
        detail = outcome.refusal.detail if outcome.refusal is not None else ""
        await press.say(views.with_draft_back(press.who.tr, views.problem_text(press.who.tr, detail), back))
        return
    text, markup = filing_views.filed_answer(press.who.tr, form, outcome.suggestion)
    await press.say(views.with_draft_back(press.who.tr, text, back), markup=markup)
    await tell(press, outcome)


async def tell(press: Press[Any], outcome: Outcome) -> None:
    """Queue the outcome's notices, each in its recipient's language."""
    services, suggestion = press.context.services, outcome.suggestion
    if suggestion is not None and outcome.notices:
        now = services.clock.now()
        await notices.deliver(press.uow, outcome.notices, suggestion, services.settings, services.policy, now)


# -- the co-signer's card -------------------------------------------------------------------------


@button(CosignPress, audit=AUDIT)
async def cosign_pressed(press: Press[CosignPress]) -> None:
    """✅ Co-sign / ❌ Decline: the service checks the presser was invited, answers once, and the state."""
    confirm = press.data.action is CosignAction.CONFIRM
    now = press.context.services.clock.now()
    outcome = await service(press.context).answer_cosign(
        press.data.suggestion_id, press.who.person.id, confirm, now
    )
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(audited=True)
        return
    await press.answer()
    text = views.cosign_answered(press.who.tr, outcome.suggestion, confirm)
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text)
    else:
        await press.say(text)
    await tell(press, outcome)
