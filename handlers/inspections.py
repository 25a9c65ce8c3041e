"""/inspect (分片包抓) in chat, and a rectification item's buttons.

The form's steps are drawn in bot/stations/forms.py (station → kinds → day → findings → files → items,
each with a deadline and a responsible person → Save). Saved, each responsible person gets the item's
card with ✅ Done: a note or a photo follows, and the inspectors get it with ✅ Confirm and ↩️ Reopen (a
typed reason follows, and the responsible person reports again). Every press goes through the item's
lifecycle (bot/stations/lifecycle.py) with the presser's relation looked up again; a refusal is answered
with an alert and audited, a stale one (confirmed already) too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog, at
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from bot.stations import form_views, notices, views
from bot.stations.buttons import (
    DayPress,
    DuePress,
    FormAction,
    FormPress,
    ItemAction,
    ItemPress,
    KindPress,
    StationPick,
    WhoPress,
)
from bot.stations.forms import InspectionForm, StationDialog, Step
from bot.stations.lifecycle import Action
from bot.stations.service import ItemOutcome, Notice, StationService, local_today
from bot.stations.standards import Invalid, Problem, parse_day
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.dialogs import Step as DialogStep
from handlers.stations import file_of

__all__ = [
    "DIALOG",
    "day_pressed",
    "due_pressed",
    "form_pressed",
    "inspect_command",
    "item_pressed",
    "kind_pressed",
    "station_picked",
    "who_pressed",
]

AUDIT = "station.refused"
ACTIONS = {
    ItemAction.REPORT: Action.REPORT,
    ItemAction.CONFIRM: Action.CONFIRM,
    ItemAction.REOPEN: Action.REOPEN,
}


def service(context: LiaisonContext) -> StationService:
    return StationService(context.uow, zone=context.services.settings.timezone)


def today_of(context: LiaisonContext) -> date:
    return local_today(context.services.clock.now(), context.services.settings.timezone)


async def tell(context: LiaisonContext, sent: list[Notice]) -> None:
    services = context.services
    await notices.deliver(context.uow, sent, services.settings, services.policy, services.clock.now())


# -- the form in the chat session ----------------------------------------------------------------------


async def held(context: LiaisonContext, chat_id: int) -> InspectionForm | None:
    session = await context.uow.chats.get(chat_id)
    if (session.state or "").partition(":")[0] != StationDialog.INSPECTION:
        return None
    return InspectionForm.from_dict((session.data or {}).get("form"))


async def keep(context: LiaisonContext, chat_id: int, form: InspectionForm) -> None:
    await context.uow.chats.set(
        chat_id, at(StationDialog.INSPECTION, form.step.value), {"form": form.to_dict()}
    )


async def prompt(context: LiaisonContext, who: Actor[Any], form: InspectionForm) -> None:
    """Ask for what the form's current step needs."""
    svc, uow = service(context), context.uow
    stations = await svc.inspected_by(form.inspector_person_id) if form.step is Step.STATION else ()
    station = await svc.station(form.station_id) if form.station_id is not None else None
    people = (
        await svc.responsible_choices(form.station_id, who.person)
        if form.step is Step.WHO and station
        else []
    )
    names = await svc.names(i["who"] for i in form.items)
    text, markup = form_views.prompt(
        who.tr, form, today=today_of(context), stations=stations, station=station, people=people, names=names
    )
    await send_text(uow, who.chat_id, text, markup=markup)


async def inspect_command(update: Update, context: LiaisonContext) -> None:
    """/inspect: a new inspection form, for an inspector with assigned stations."""
    who = await actor(update, context)
    if who is None:
        return
    if not await service(context).inspected_by(who.person.id):
        await send_text(context.uow, who.chat_id, form_views.not_inspector(who.tr))
        return
    form = InspectionForm(who.person.id, context.services.clock.now())
    await keep(context, who.chat_id, form)
    await prompt(context, who, form)


# -- typed answers ---------------------------------------------------------------------------------


async def advance(
    context: LiaisonContext, who: Actor[Any], form: InspectionForm, problem: Invalid | None
) -> None:
    if problem is not None:
        await send_text(context.uow, who.chat_id, form_views.problem_text(who.tr, problem, today_of(context)))
        return
    await keep(context, who.chat_id, form)
    await prompt(context, who, form)


async def typed(context: LiaisonContext, who: Actor[Any], form: InspectionForm, message: Message) -> None:
    """A typed answer (or a file at the files step) for the form's current step."""
    now, today, text = context.services.clock.now(), today_of(context), message.text
    if form.step is Step.FILES:
        file = file_of(message)
        if file is None:
            await send_text(context.uow, who.chat_id, form_views.wants_file(who.tr))
            return
        problem = form.add_file(file, now)
        if problem is None:
            await keep(context, who.chat_id, form)
        reply = (
            form_views.file_kept(who.tr, len(form.files))
            if problem is None
            else form_views.problem_text(who.tr, problem, today)
        )
        await send_text(context.uow, who.chat_id, reply)
        return
    steps: dict[Step, Callable[[str], Invalid | None]] = {
        Step.DAY: lambda t: form.type_day(t, today, now),
        Step.FINDINGS: lambda t: form.type_findings(t, now),
        Step.ITEM: lambda t: form.type_item(t, now),
        Step.DUE: lambda t: form.type_due(t, today, now),
    }
    step = steps.get(form.step)
    if step is None or text is None:
        await send_text(
            context.uow,
            who.chat_id,
            form_views.wants_press(who.tr) if step is None else form_views.wants_text(who.tr),
        )
        return
    await advance(context, who, form, step(text))


async def form_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """A message while the chat is in an inspection form; False when the form is gone or not this
    person's, so the message goes on to the constituent's side."""
    form = await held(context, who.chat_id)
    if form is None or form.inspector_person_id != who.person.id:
        await context.uow.chats.set(who.chat_id, None)
        return False
    if form.expired(context.services.clock.now()):
        await context.uow.chats.set(who.chat_id, None)
        await send_text(context.uow, who.chat_id, form_views.form_expired(who.tr))
        return False
    await typed(context, who, form, message)
    return True


# -- the form's buttons ------------------------------------------------------------------------------


async def open_form(press: Press[Any], key: str, stage: str) -> InspectionForm | None:
    """The chat's open form when this press belongs to it; else refused (an expired one is closed)."""
    form = await held(press.context, press.who.chat_id)
    tr = press.who.tr
    if form is None or form.key != key or form.inspector_person_id != press.who.person.id:
        await press.refuse(form_views.form_gone(tr), reason="stale", stage=stage)
        return None
    if form.expired(press.context.services.clock.now()):
        await press.context.uow.chats.set(press.who.chat_id, None)
        await press.refuse(form_views.form_expired(tr), reason="expired", stage=stage)
        return None
    return form


async def moved_on(press: Press[Any], form: InspectionForm, problem: Invalid | None, stage: str) -> None:
    """After a form button: refused with what was wrong, or the keyboard taken off and the next question."""
    if problem is not None:
        text = form_views.problem_text(press.who.tr, problem, today_of(press.context))
        await press.refuse(text, reason=problem.problem.value, stage=stage)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.context.uow, press.who.chat_id, press.message_id)
    await keep(press.context, press.who.chat_id, form)
    await prompt(press.context, press.who, form)


@button(StationPick, audit=AUDIT)
async def station_picked(press: Press[StationPick]) -> None:
    """One of the inspector's stations (checked against their assignments again)."""
    form = await open_form(press, press.data.key, "button:fs")
    if form is None:
        return
    offered = {s.id for s in await service(press.context).inspected_by(press.who.person.id)}
    problem = form.choose_station(press.data.station_id, offered, press.context.services.clock.now())
    await moved_on(press, form, problem, "button:fs")


@button(KindPress, audit=AUDIT)
async def kind_pressed(press: Press[KindPress]) -> None:
    """Tick or untick a kind: the same message shows the ticks."""
    form = await open_form(press, press.data.key, "button:fk")
    if form is None:
        return
    problem = form.toggle_kind(press.data.kind, press.context.services.clock.now())
    if problem is not None:
        await moved_on(press, form, problem, "button:fk")
        return
    await press.answer()
    await keep(press.context, press.who.chat_id, form)
    text, markup = form_views.prompt(press.who.tr, form, today=today_of(press.context))
    if press.message_id is not None:
        await edit_message(press.context.uow, press.who.chat_id, press.message_id, text, markup=markup)


@button(DayPress, audit=AUDIT)
async def day_pressed(press: Press[DayPress]) -> None:
    """Today or Yesterday (checked again: the form may have waited past midnight)."""
    form = await open_form(press, press.data.key, "button:fd")
    if form is None:
        return
    day = parse_day(press.data.day)
    now = press.context.services.clock.now()
    problem = day if isinstance(day, Invalid) else form.choose_day(day, today_of(press.context), now)
    await moved_on(press, form, problem, "button:fd")


@button(DuePress, audit=AUDIT)
async def due_pressed(press: Press[DuePress]) -> None:
    """+7, +14 or +30 days from today."""
    form = await open_form(press, press.data.key, "button:fu")
    if form is None:
        return
    today = today_of(press.context)
    due = today + timedelta(days=min(press.data.days, 10_000))
    problem = form.choose_due(due, today, press.context.services.clock.now())
    await moved_on(press, form, problem, "button:fu")


@button(WhoPress, audit=AUDIT)
async def who_pressed(press: Press[WhoPress]) -> None:
    """The responsible person: one of those offered for the form's station."""
    form = await open_form(press, press.data.key, "button:fw")
    if form is None:
        return
    if form.station_id is None:  # a damaged form: the step is refused like any wrong one
        await moved_on(press, form, Invalid(Problem.WRONG_STEP), "button:fw")
        return
    people = await service(press.context).responsible_choices(form.station_id, press.who.person)
    now = press.context.services.clock.now()
    problem = form.choose_who(press.data.person_id, {p.id for p in people}, now)
    await moved_on(press, form, problem, "button:fw")


@button(FormPress, audit=AUDIT)
async def form_pressed(press: Press[FormPress]) -> None:
    """➡️ Next, Skip, 🏁 No more items, ✅ Save, ✖️ Cancel."""
    action = press.data.action
    form = await open_form(press, press.data.key, f"button:{action.value}")
    if form is None:
        return
    now = press.context.services.clock.now()
    if action is FormAction.CANCEL:
        await press.context.uow.chats.set(press.who.chat_id, None)
        await press.answer()
        await press.say(press.who.tr("Cancelled; nothing was saved."))
    elif action is FormAction.SAVE:
        await save(press, form)
    elif action is FormAction.FINISH:
        await moved_on(press, form, form.items_done(now), "button:fin")
    elif action is FormAction.NEXT and form.step is Step.KINDS:
        await moved_on(press, form, form.kinds_done(now), "button:next")
    else:
        await moved_on(press, form, form.files_done(now), f"button:{action.value}")


async def save(press: Press[FormPress], form: InspectionForm) -> None:
    """✅ Save: the service checks everything again, stores it, and the responsible people are told."""
    draft, tr = form.draft(), press.who.tr
    if isinstance(draft, Invalid):
        await press.refuse(form_views.problem_text(tr, draft, today_of(press.context)), reason="wrong_step")
        return
    outcome = await service(press.context).record_inspection(
        draft, press.who.person, press.context.services.clock.now()
    )
    if not outcome.ok:
        await press.refuse(form_views.inspection_refused(tr, outcome, today_of(press.context)), audited=True)
        return
    await press.context.uow.chats.set(press.who.chat_id, None)
    await tell(press.context, outcome.notices)
    await press.answer(tr("Saved."))
    if press.message_id is not None:
        await remove_keyboard(press.context.uow, press.who.chat_id, press.message_id)
    station = await service(press.context).station(draft.station_id)
    await press.say(form_views.inspection_saved(tr, station, len(outcome.items)))


# -- a rectification item's buttons and dialogs -----------------------------------------------------


@button(ItemPress, audit=AUDIT)
async def item_pressed(press: Press[ItemPress]) -> None:
    """✅ Done and ↩️ Reopen open a one-message dialog (checked first); ✅ Confirm acts at once."""
    action, item_id, tr = ACTIONS[press.data.action], press.data.item_id, press.who.tr
    svc = service(press.context)
    if action is Action.CONFIRM:
        outcome = await svc.act(item_id, action, press.who.person, press.context.services.clock.now())
        await finish(press, outcome)
        return
    refusal = await svc.check(item_id, action, press.who.person)
    if refusal is not None:
        await press.refuse(views.item_refused(tr, refusal), audited=True)
        return
    state = StationDialog.REPORT if action is Action.REPORT else StationDialog.REOPEN
    await press.context.uow.chats.set(press.who.chat_id, at(state, item_id))
    await press.answer()
    prompt_text = views.report_prompt if action is Action.REPORT else views.reopen_prompt
    await press.say(prompt_text(tr, item_id))


async def finish(press: Press[ItemPress], outcome: ItemOutcome) -> None:
    """After ✅ Confirm: refused with why, or the card shown as it is now and the others told."""
    tr = press.who.tr
    if not outcome.ok or outcome.item is None or outcome.transition is None:
        await press.refuse(views.item_refused(tr, outcome.refusal, outcome.invalid), audited=True)
        return
    await tell(press.context, outcome.notices)
    await press.answer(views.acted(tr, outcome.transition.action))
    await show_item(press.context, press.who, outcome.item.id, press.message_id)


async def show_item(context: LiaisonContext, who: Actor[Any], item_id: int, message_id: int | None) -> None:
    """The item's card for `who` (in place of the pressed message when there is one)."""
    view = await service(context).item_view(item_id, who.person, today_of(context))
    if view is None:
        return
    station = await service(context).station(view.item.station_id)
    text, markup = views.item_card(who.tr, view, station)
    if message_id is not None:
        await edit_message(context.uow, who.chat_id, message_id, text, markup=markup)
    else:
        await send_text(context.uow, who.chat_id, text, markup=markup)


async def item_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """The note or photo of a report, or the reason of a reopening: one message completes it."""
    item_id, reopen = dialog.int_arg(0), dialog.state is StationDialog.REOPEN
    if item_id is None:
        await context.uow.chats.set(who.chat_id, None)
        return False
    file = None if reopen else file_of(message)
    note = message.text or message.caption or ""
    if (reopen and message.text is None) or (not reopen and file is None and message.text is None):
        await send_text(context.uow, who.chat_id, views.dialog_wants(who.tr, reopen))
        return True
    action = Action.REOPEN if reopen else Action.REPORT
    now = context.services.clock.now()
    outcome = await service(context).act(
        item_id, action, who.person, now, note=note, files=[file] if file else []
    )
    await context.uow.chats.set(who.chat_id, None)
    if not outcome.ok or outcome.item is None:
        await send_text(
            context.uow, who.chat_id, views.item_refused(who.tr, outcome.refusal, outcome.invalid)
        )
        return True
    await tell(context, outcome.notices)
    await send_text(context.uow, who.chat_id, views.acted(who.tr, action))
    await show_item(context, who, outcome.item.id, None)
    return True


DIALOG: dict[StationDialog, DialogStep] = {
    StationDialog.INSPECTION: DialogStep(form_message),
    StationDialog.REPORT: DialogStep(item_message),
    StationDialog.REOPEN: DialogStep(item_message),
}
