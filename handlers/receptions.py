"""/reception: a deputy records a reception of constituents (接待群众) in the reception diary (民情日记).

```mermaid
stateDiagram-v2
    [*] --> station: /reception (deputies only)
    station --> day: one of their stations (button) or any station's code (typed)
    day --> people: Today / Yesterday, or a typed YYYY-MM-DD (not in the future)
    people --> paper: a typed number 1..500
    paper --> note: a typed number 0..1000, or Skip
    note --> confirm: a typed note (≤ 300 characters), or Skip
    confirm --> note: Change the note
    confirm --> [*]: Save (stored and audited)
    station --> [*]: Cancel (at every step)
```
`/reception list` (or the 📋 button) lists the deputy's recent receptions with a 🗑 button each; deleting
asks once more.

The form lives in the chat session (bot/receptions/forms.py); its rules in bot/receptions/service.py,
its look and button kinds in bot/receptions/views.py. An opinion draft the chat held is kept and comes
back when the form ends. A form left alone for two hours is dropped when the next message comes, and
that message goes where it would have gone without the form (a constituent's message is never
swallowed). A stale or forged press, or one by someone who is not that deputy, is refused, answered and
audited ("reception.refused").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog
from bot.people.entities import Person
from bot.receptions import service as svc
from bot.receptions import views
from bot.receptions.forms import FormChat, Held, ReceptionDialog, Stale
from bot.receptions.service import Form, Invalid, Problem, Step
from bot.receptions.views import (
    DayPress,
    DeleteConfirm,
    DeletePress,
    FormAction,
    FormPress,
    KeepPress,
    ListPress,
    StationPress,
)
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.constituent import ConstituentDialog
from handlers.dialogs import Step as DialogStep

__all__ = ["DIALOG", "ReceptionDialog", "reception_command"]

AUDIT = "reception.refused"


def today_of(context: LiaisonContext) -> date:
    services = context.services
    return svc.local_today(services.clock.now(), services.settings.zone)


def chat_of(context: LiaisonContext, chat_id: int) -> FormChat:
    return FormChat(context.uow, chat_id, ConstituentDialog.DRAFT)


async def prompt(context: LiaisonContext, who: Actor[Any], form: Form, intro: str = "") -> None:
    """Ask for what the form's current step needs."""
    uow = context.uow
    stations = await svc.own_stations(uow, form.deputy_id) if form.step == Step.STATION else ()
    station = await svc.station(uow, form.station_id) if form.step == Step.CONFIRM else None
    text, markup = views.prompt(
        who.tr, form, today=today_of(context), stations=stations, station=station, intro=intro
    )
    await send_text(uow, who.chat_id, text, markup=markup)


async def advance(context: LiaisonContext, who: Actor[Any], held: Held, problem: Invalid | None) -> None:
    """After a typed answer: what was wrong with it, or the next question."""
    if problem is not None:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, problem, today_of(context)))
        return
    assert held.form is not None
    await chat_of(context, who.chat_id).keep(held)
    await prompt(context, who, held.form)


async def reception_command(update: Update, context: LiaisonContext) -> None:
    """/reception: open a new form; `/reception list`: the recent receptions."""
    who = await actor(update, context)
    if who is None:
        return
    deputy = who.person.deputy
    if deputy is None:
        await svc.refuse_non_deputy(context.uow, person_id=who.person.id, telegram_id=who.account.telegram_id)
        await send_text(context.uow, who.chat_id, views.not_deputy(who.tr))
        return
    if (context.args or [""])[0].lower() in views.LIST_ARGS:
        text, markup = views.recent_list(who.tr, await svc.recent(context.uow, deputy.id))
        await send_text(context.uow, who.chat_id, text, markup=markup)
        return
    form = Form(deputy_id=deputy.id, touched=context.services.clock.now())
    held = await chat_of(context, who.chat_id).open(form)
    await prompt(context, who, form, views.opening(who.tr, held.saved is not None))


# -- typed answers --------------------------------------------------------------------------------


async def typed_station(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    assert held.form is not None
    station = await svc.find_station(context.uow, text)
    if station is None:
        await send_text(context.uow, who.chat_id, views.unknown_code(who.tr, text))
        return
    await advance(context, who, held, held.form.choose_station(station.id, context.services.clock.now()))


async def typed_day(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    assert held.form is not None
    now = context.services.clock.now()
    await advance(context, who, held, held.form.type_day(text, today_of(context), now))


async def typed_people(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    assert held.form is not None
    await advance(context, who, held, held.form.type_people(text, context.services.clock.now()))


async def typed_paper(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    assert held.form is not None
    await advance(context, who, held, held.form.type_paper(text, context.services.clock.now()))


async def typed_note(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    assert held.form is not None
    await advance(context, who, held, held.form.type_note(text, context.services.clock.now()))


async def typed_at_confirm(context: LiaisonContext, who: Actor[Any], held: Held, text: str) -> None:
    hint = who.tr("Press Save, Change the note or Cancel under the record above.")
    await send_text(context.uow, who.chat_id, hint)


TYPED: dict[Step, Callable[[LiaisonContext, Actor[Any], Held, str], Awaitable[None]]] = {
    Step.STATION: typed_station,
    Step.DAY: typed_day,
    Step.PEOPLE: typed_people,
    Step.PAPER: typed_paper,
    Step.NOTE: typed_note,
    Step.CONFIRM: typed_at_confirm,
}


async def form_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """A message while the chat is in a reception form; False when the form does not take it (the form is
    gone, expired or not this person's), so the message goes on to the constituent's side."""
    chat = chat_of(context, who.chat_id)
    held = await chat.held()
    deputy = who.person.deputy
    if not held.takes_message_of(deputy.id if deputy is not None else None):
        await chat.end(held)
        return False
    assert held.form is not None
    if held.form.expired(context.services.clock.now()):
        back = await chat.end(held)
        await send_text(context.uow, who.chat_id, views.expired(who.tr, back))
        return False
    if message.text is None:
        text = who.tr("The reception form is waiting for a typed answer. Type it, or press Cancel.")
        await send_text(context.uow, who.chat_id, text, markup=views.cancel_markup(who.tr, held.form.key))
        return True
    await TYPED[held.form.step](context, who, held, message.text)
    return True


DIALOG = {ReceptionDialog.FORM: DialogStep(form_message)}


# -- the form's buttons ---------------------------------------------------------------------------


async def deputy_of(press: Press[Any], stage: str) -> int | None:
    """The presser's deputy id; anyone else is refused (a constituent has no diary)."""
    deputy = press.who.person.deputy
    if deputy is None:
        await press.refuse(views.not_deputy(press.who.tr), reason="not_deputy", stage=stage)
        return None
    return int(deputy.id)


async def open_form(press: Press[Any], key: str, stage: str) -> Held | None:
    """The chat's open form when this press belongs to it; else refused (an expired one is closed)."""
    deputy_id = await deputy_of(press, stage)
    if deputy_id is None:
        return None
    chat = chat_of(press.context, press.who.chat_id)
    held = await chat.held()
    found = held.for_press(key, deputy_id, press.context.services.clock.now())
    tr = press.who.tr
    if found is Stale.STALE:
        await press.refuse(tr("This reception form is no longer open."), reason=found.value, stage=stage)
        return None
    if found is Stale.EXPIRED:
        back = await chat.end(held)
        text = tr("This reception form has expired; send /reception to start again.")
        await press.refuse(text, reason=found.value, stage=stage)
        if back:
            await press.say(views.draft_back(tr))
        return None
    return held


async def moved_on(press: Press[Any], held: Held, problem: Invalid | None, stage: str) -> None:
    """After a form button: refused with what was wrong, or the keyboard taken off and the next question."""
    if problem is not None:
        text = views.problem_text(press.who.tr, problem, today_of(press.context))
        await press.refuse(text, reason=problem.problem.value, stage=stage)
        return
    assert held.form is not None
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.context.uow, press.who.chat_id, press.message_id)
    await chat_of(press.context, press.who.chat_id).keep(held)
    await prompt(press.context, press.who, held.form)


@button(StationPress, audit=AUDIT)
async def station_pressed(press: Press[StationPress]) -> None:
    """One of the deputy's own stations (another is typed by its code)."""
    held = await open_form(press, press.data.key, "button:st")
    if held is None or held.form is None:
        return
    station_id = press.data.station_id
    own = {s.id for s in await svc.own_stations(press.context.uow, held.form.deputy_id)}
    if station_id not in own:
        text = press.who.tr("Only your own stations are offered here; type the code of another station.")
        await press.refuse(text, reason="not_own_station", stage="button:st", station_id=station_id)
        return
    problem = held.form.choose_station(station_id, press.context.services.clock.now())
    await moved_on(press, held, problem, "button:st")


@button(DayPress, audit=AUDIT)
async def day_pressed(press: Press[DayPress]) -> None:
    """Today or Yesterday (the day is checked again: the form may have waited past midnight)."""
    held = await open_form(press, press.data.key, "button:day")
    if held is None or held.form is None:
        return
    try:
        day = date.fromisoformat(press.data.day)
    except ValueError:
        await moved_on(press, held, Invalid(Problem.NOT_A_DATE), "button:day")
        return
    problem = held.form.choose_day(day, today_of(press.context), press.context.services.clock.now())
    await moved_on(press, held, problem, "button:day")


@button(FormPress, audit=AUDIT)
async def form_pressed(press: Press[FormPress]) -> None:
    """Cancel, Save, Another station…, Skip, Change the note."""
    stage = f"button:{press.data.action.value}"
    held = await open_form(press, press.data.key, stage)
    if held is None or held.form is None:
        return
    action, now = press.data.action, press.context.services.clock.now()
    if action is FormAction.CANCEL:
        await cancel(press, held)
    elif action is FormAction.SAVE:
        await save(press, held)
    elif action is FormAction.CODE:
        await press.answer()
        await press.say(press.who.tr("Type the station's code (it is on the station's list)."))
    elif action is FormAction.SKIP_PAPER:
        await moved_on(press, held, held.form.type_paper(None, now), stage)
    elif action is FormAction.SKIP_NOTE:
        await moved_on(press, held, held.form.type_note(None, now), stage)
    else:
        await moved_on(press, held, held.form.change_note(now), stage)


async def cancel(press: Press[FormPress], held: Held) -> None:
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.context.uow, press.who.chat_id, press.message_id)
    back = await chat_of(press.context, press.who.chat_id).end(held)
    await press.say(views.with_draft_back(press.who.tr, press.who.tr("Cancelled; nothing was saved."), back))


async def save(press: Press[FormPress], held: Held) -> None:
    """✅ Save: store the reception (the service checks everything again and audits it)."""
    form, who, uow = held.form, press.who, press.context.uow
    assert form is not None
    if form.step != Step.CONFIRM:
        await press.refuse(reason="wrong_step", stage="button:ok")
        return
    today = today_of(press.context)
    result = await svc.record(
        uow, form, person_id=who.person.id, telegram_id=who.account.telegram_id, today=today
    )
    if isinstance(result, Invalid):
        await press.refuse(
            views.problem_text(who.tr, result, today), reason=result.problem.value, stage="button:ok"
        )
        if result.step is not None and result.step != form.step:
            form.step, form.touched = result.step, press.context.services.clock.now()
            if press.message_id is not None:
                await remove_keyboard(uow, who.chat_id, press.message_id)
            await chat_of(press.context, who.chat_id).keep(held)
            await prompt(press.context, who, form)
        return
    await press.answer(who.tr("Saved."))
    back = await chat_of(press.context, who.chat_id).end(held)
    await show(press, views.saved_card(who.tr, result, await svc.station(uow, result.station_id)))
    await press.say(views.after_saving(who.tr, back))


# -- the list and deleting ------------------------------------------------------------------------


async def show(press: Press[Any], text: str, markup: Any = None) -> None:
    """In place of the pressed message (a new message when Telegram did not say which it was)."""
    uow, chat_id = press.context.uow, press.who.chat_id
    if press.message_id is not None:
        await edit_message(uow, chat_id, press.message_id, text, markup=markup)
    else:
        await send_text(uow, chat_id, text, markup=markup)


@button(ListPress, audit=AUDIT)
async def list_pressed(press: Press[ListPress]) -> None:
    """📋 My recent receptions: as a new message (the form above stays open)."""
    deputy_id = await deputy_of(press, "button:ls")
    if deputy_id is None:
        return
    await press.answer()
    text, markup = views.recent_list(press.who.tr, await svc.recent(press.context.uow, deputy_id))
    await press.say(text, markup=markup)


@button(KeepPress, audit=AUDIT)
async def keep_pressed(press: Press[KeepPress]) -> None:
    """↩️ Keep it: the list again, in place."""
    deputy_id = await deputy_of(press, "button:dn")
    if deputy_id is None:
        return
    await press.answer()
    await show(press, *views.recent_list(press.who.tr, await svc.recent(press.context.uow, deputy_id)))


@button(DeletePress, audit=AUDIT)
async def delete_pressed(press: Press[DeletePress]) -> None:
    """🗑 n: asks once more; the reception must be this deputy's own."""
    deputy_id = await deputy_of(press, "button:del")
    if deputy_id is None:
        return
    uow, reception_id = press.context.uow, press.data.reception_id
    found = await svc.deletable(uow, reception_id, deputy_id)
    if isinstance(found, svc.DeleteRefusal):
        text = press.who.tr("You cannot delete this reception.")
        await press.refuse(text, reason=found.value, stage="button:del", reception_id=reception_id)
        return
    await press.answer()
    await show(press, *views.delete_question(press.who.tr, found, await svc.station(uow, found.station_id)))


@button(DeleteConfirm, audit=AUDIT)
async def delete_confirmed(press: Press[DeleteConfirm]) -> None:
    """🗑 Delete: stamped as deleted (the service checks the owner again and audits either way)."""
    deputy_id = await deputy_of(press, "button:dy")
    if deputy_id is None:
        return
    who, uow = press.who, press.context.uow
    result = await svc.delete(
        uow,
        press.data.reception_id,
        deputy_id=deputy_id,
        person_id=who.person.id,
        telegram_id=who.account.telegram_id,
        now=press.context.services.clock.now(),
    )
    if isinstance(result, svc.DeleteRefusal):
        await press.refuse(who.tr("You cannot delete this reception."), audited=True)
        return
    await press.answer(who.tr("Deleted."))
    await show(press, views.deleted(who.tr, result, await svc.station(uow, result.station_id)))
