"""/reception: the reception diary (民情日记) — each visitor registered at a station or on a home visit (走访).

```mermaid
stateDiagram-v2
    [*] --> hub: /reception (a deputy of one station: today's entry there)
    [*] --> choose: /reception (several stations, staff)
    choose --> hub: a station (button, or a typed code)
    choose --> place: 🏠 Home visit
    hub --> place: 🏠 Home visit
    place --> location: the place, typed
    location --> hub: a shared location, or Skip
    hub --> name: ➕ Visitor
    name --> consent: a typed name
    name --> matter: 🙈 Anonymous
    consent --> phone: 📞 they agree
    consent --> matter: ⏭ No phone
    phone --> matter: a valid number
    matter --> decide: the matter, typed (category guessed; buttons to change it)
    decide --> answer: ✅ Answered on the spot
    answer --> matter: the answer, typed
    decide --> matter: 📨 Send as opinion (the holder's task card; the visitor's card or link card)
    matter --> name: 👤 Next visitor
    hub --> [*]: 🏁 Close the day (the summary) / ✖️ Leave
    matter --> [*]: 🏁 Close the day
```
`/reception list` (or 📋) lists the recent entries, each opened with 📖. `/start vis_<token>`: a
visitor's one-time link; its opener follows the opinions filed for them.

The dialog's cursor lives in the chat session (bot/receptions/forms.py); the rules in
bot/receptions/service.py (every diary press through its lifecycle's `decide`); the look in
bot/receptions/views.py. An opinion draft the chat held is kept and comes back when the dialog ends; a
dialog left alone for two hours lets the next message go where it would have gone without it. A
refused press is answered and audited ("reception.refused").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import filters

from bot.kit.dialogs import Dialog
from bot.kit.i18n import N_
from bot.people.entities import Person
from bot.people.roles import is_staff
from bot.receptions import links
from bot.receptions import views as v
from bot.receptions.buttons import (
    CategoryPick,
    DiaryAction,
    DiaryPress,
    ListPress,
    StationPick,
    StepAction,
    StepPress,
)
from bot.receptions.cursor import Cursor, Step
from bot.receptions.forms import DiaryChat, DiaryDialog, Held, Stale
from bot.receptions.lifecycle import Action, Refusal
from bot.receptions.rules import Invalid, Problem
from bot.receptions.service import DiaryService, Opened, Routed
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor, opinion_service, opinion_views
from handlers.constituent import ConstituentDialog
from handlers.dialogs import Step as DialogStep

__all__ = ["DIALOG", "START_FILTER", "reception_command", "start_visitor_link"]

AUDIT = "reception.refused"
STEP_OVER = N_("This step of the diary is over.")
# "/start vis_…": a visitor's link, seen before the generic /start.
START_FILTER = filters.Regex(rf"^/start(@\w+)?\s+{links.PAYLOAD_PREFIX}")


def service(context: LiaisonContext) -> DiaryService:
    return DiaryService(context.uow, opinion_service(context))


def chat_of(context: LiaisonContext, chat_id: int) -> DiaryChat:
    return DiaryChat(context.uow, chat_id, ConstituentDialog.DRAFT)


def now_of(context: LiaisonContext) -> datetime:
    return context.services.clock.now()


async def say(context: LiaisonContext, who: Actor[Any], shown: tuple[str, Any]) -> None:
    await send_text(context.uow, who.chat_id, shown[0], markup=shown[1])


async def keep(context: LiaisonContext, who: Actor[Any], held: Held) -> None:
    await chat_of(context, who.chat_id).keep(held)


# -- opening ----------------------------------------------------------------------------------------


async def reception_command(update: Update, context: LiaisonContext) -> None:
    """/reception: today's entry (or where to keep it); `/reception list`: the recent entries."""
    who = await actor(update, context)
    if who is None:
        return
    svc = service(context)
    if await svc.not_a_receiver(who.person, "command") is not None:
        await send_text(context.uow, who.chat_id, v.not_receiver(who.tr))
        return
    if (context.args or [""])[0].lower() in v.LIST_ARGS:
        await say(context, who, v.recent_list(who.tr, await svc.recent(who.person)))
        return
    held = await chat_of(context, who.chat_id).open(Cursor(person_id=who.person.id, touched=now_of(context)))
    intro = (
        who.tr("Your unsent opinion draft is kept; it comes back when you leave the diary.")
        if held.saved
        else ""
    )
    stations = await svc.own_stations(who.person)
    if len(stations) == 1:
        opened = await svc.open_station(who.person, stations[0].id, "command")
        if not isinstance(opened, Refusal):
            await show_hub(context, who, held, opened, intro)
            return
    assert held.cursor is not None
    shown = v.choose(who.tr, held.cursor.key, [(s.id, s.name) for s in stations], is_staff(who.person))
    await say(context, who, ((f"{intro}\n\n" if intro else "") + shown[0], shown[1]))


async def show_hub(
    context: LiaisonContext, who: Actor[Any], held: Held, opened: Opened, intro: str = ""
) -> None:
    """In the entry, between visitors."""
    assert held.cursor is not None
    held.cursor.in_diary(opened.diary.id, now_of(context))
    await keep(context, who, held)
    counts = await service(context).counts(opened.diary)
    if opened.closed_earlier:
        note = who.tr("Your diary left open on an earlier day was closed.")
        intro = f"{intro}\n{note}".strip()
    await say(context, who, v.hub(who.tr, opened.diary, opened.place, counts, held.cursor.key, intro=intro))


async def open_home(context: LiaisonContext, who: Actor[Person], held: Held, location: Any) -> None:
    """A home visit's place (and location) given: the visit's entry is opened."""
    assert held.cursor is not None and held.cursor.place is not None
    opened = await service(context).open_home_visit(who.person, held.cursor.place, location, "home_visit")
    if isinstance(opened, Refusal):
        await chat_of(context, who.chat_id).end(held)
        await send_text(context.uow, who.chat_id, v.refusal_text(who.tr, opened))
        return
    await show_hub(context, who, held, opened)


# -- typed answers ----------------------------------------------------------------------------------


async def typed_code(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    station = await service(context).find_station(text)
    if station is None:
        await send_text(context.uow, who.chat_id, v.unknown_code(who.tr, text))
        return
    opened = await service(context).open_station(who.person, station.id, "typed_code")
    if isinstance(opened, Refusal):
        await send_text(context.uow, who.chat_id, v.refusal_text(who.tr, opened))
        return
    await show_hub(context, who, held, opened)


async def moved(
    context: LiaisonContext, who: Actor[Any], held: Held, problem: Invalid | None, shown: Any
) -> None:
    """After a typed answer: what was wrong with it, or the next question."""
    if problem is not None:
        await send_text(context.uow, who.chat_id, v.problem_text(who.tr, problem))
        return
    await keep(context, who, held)
    await say(context, who, shown())


async def typed_place(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.type_place(text, now_of(context))
    await moved(
        context, who, held, problem, lambda: v.location_prompt(who.tr, cursor.key, cursor.place or "")
    )


async def typed_name(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.type_name(text, now_of(context))
    await moved(context, who, held, problem, lambda: v.consent_prompt(who.tr, cursor.key, cursor.name or ""))


async def typed_phone(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    assert held.cursor is not None
    phone = held.cursor.type_phone(text)
    if isinstance(phone, Invalid):
        await send_text(context.uow, who.chat_id, v.problem_text(who.tr, phone))
        return
    await register(context, who, held, held.cursor.name, phone)


async def typed_matter(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.type_matter(text, now_of(context))
    await moved(
        context,
        who,
        held,
        problem,
        lambda: v.decide_card(
            who.tr, cursor.key, cursor.matter or "", cursor.category or "other", cursor.guessed
        ),
    )


async def typed_answer(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    cursor = held.cursor
    assert cursor is not None and cursor.diary_id is not None and cursor.visitor_id is not None
    answer = cursor.type_answer(text)
    if isinstance(answer, Invalid):
        await send_text(context.uow, who.chat_id, v.problem_text(who.tr, answer))
        return
    category = cursor.category or "other"
    done = await service(context).resolve(
        cursor.diary_id, cursor.visitor_id, who.person, text=cursor.matter or "", category=category,
        answer=answer, stage="typed_answer",
    )  # fmt: skip
    if await stopped(context, who, held, done):
        return
    await next_matter(context, who, held, v.resolved_text(who.tr, category))


async def typed_elsewhere(context: LiaisonContext, who: Actor[Person], held: Held, text: str) -> None:
    await send_text(context.uow, who.chat_id, v.waiting_hint(who.tr))


TYPED: dict[Step, Callable[[LiaisonContext, Actor[Person], Held, str], Awaitable[None]]] = {
    Step.CHOOSE: typed_code,
    Step.PLACE: typed_place,
    Step.NAME: typed_name,
    Step.PHONE: typed_phone,
    Step.MATTER: typed_matter,
    Step.ANSWER: typed_answer,
}


async def dialog_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """A message while the chat is in the diary dialog; False when the dialog does not take it (gone,
    expired or not this person's), so the message goes on to the constituent's side."""
    chat = chat_of(context, who.chat_id)
    held = await chat.held()
    if held.cursor is None or not held.takes_message_of(who.person.id):
        await chat.end(held)
        return False
    if held.cursor.expired(now_of(context)):
        await send_text(context.uow, who.chat_id, v.expired(who.tr, await chat.end(held)))
        return False
    if message.location is not None and held.cursor.step == Step.LOCATION:
        await open_home(context, who, held, (message.location.latitude, message.location.longitude))
        return True
    if message.text is None:
        await send_text(context.uow, who.chat_id, v.problem_text(who.tr, Invalid(Problem.NOT_TEXT)))
        return True
    await TYPED.get(held.cursor.step, typed_elsewhere)(context, who, held, message.text)
    return True


DIALOG = {DiaryDialog.STEP: DialogStep(dialog_message)}


# -- registering ------------------------------------------------------------------------------------


async def stopped(context: LiaisonContext, who: Actor[Any], held: Held, result: object) -> bool:
    """A refusal from the service (the day closed meanwhile, say) ends the dialog; a bad input is said."""
    if isinstance(result, Refusal):
        await chat_of(context, who.chat_id).end(held)
        await send_text(context.uow, who.chat_id, v.refusal_text(who.tr, result))
        return True
    if isinstance(result, Invalid):
        await send_text(context.uow, who.chat_id, v.problem_text(who.tr, result))
        return True
    return False


async def register(
    context: LiaisonContext, who: Actor[Person], held: Held, name: str | None, phone: str | None
) -> None:
    """The visitor is stored (anonymous when `name` is None): now what they raised."""
    cursor = held.cursor
    assert cursor is not None and cursor.diary_id is not None
    visitor = await service(context).register_visitor(
        cursor.diary_id, who.person, name=name, phone=phone, stage="register"
    )
    if await stopped(context, who, held, visitor) or isinstance(visitor, Refusal | Invalid):
        return
    cursor.registered(visitor.id, now_of(context))
    await keep(context, who, held)
    intro = v.registered_line(who.tr, visitor.number, name, phone, visitor.person_id is not None)
    await say(context, who, v.matter_prompt(who.tr, cursor.key, cursor.diary_id, first=True, intro=intro))


async def next_matter(context: LiaisonContext, who: Actor[Any], held: Held, intro: str) -> None:
    cursor = held.cursor
    assert cursor is not None and cursor.diary_id is not None
    cursor.matter_done(now_of(context))
    await keep(context, who, held)
    await say(context, who, v.matter_prompt(who.tr, cursor.key, cursor.diary_id, first=False, intro=intro))


async def route(press: Press[StepPress], held: Held) -> None:
    """📨 Send as opinion: filed and routed; the holder's task card, and the visitor's card or link."""
    cursor, context, who = held.cursor, press.context, press.who
    assert cursor is not None and cursor.diary_id is not None and cursor.visitor_id is not None
    routed = await service(context).route(
        cursor.diary_id, cursor.visitor_id, who.person, text=cursor.matter or "",
        category=cursor.category or "other", stage="button:send",
    )  # fmt: skip
    if isinstance(routed, Refusal | Invalid):
        await refuse(press, routed)
        return
    await press.answer()
    await take_keyboard_off(press)
    views = opinion_views(context)
    await views.deliver(routed.notifications, now_of(context))
    holder = await views.holder_name(routed.opinion, who.tr)
    await press.say(
        v.routed_text(
            who.tr, routed.opinion.tracking_no, routed.matter.category, holder,
            bound=routed.bound_person_id is not None, covered=routed.covered,
        )
    )  # fmt: skip
    await tell_visitor(press, routed)
    await next_matter(context, who, held, "")


async def tell_visitor(press: Press[Any], routed: Routed) -> None:
    """A bound visitor gets the usual filed card; otherwise the deputy gets the link card to hand over."""
    context, tr = press.context, press.who.tr
    if routed.link is not None:
        link = links.link_of(context.bot.username, routed.link.token)
        await press.say(v.visitor_card(tr, link, routed.link.expires_at, context.services.settings.zone))
    if routed.bound_person_id is None:
        return
    views = opinion_views(context)
    visitor = await views.brief(routed.bound_person_id)
    if visitor is None or visitor.telegram_id is None:
        return
    theirs = views.translator_for(visitor)
    header = v.bound_header(theirs, routed.place, routed.day.isoformat())
    card = await views.timeline_fitted(routed.opinion, theirs, now_of(context), extra=[header])
    await send_text(context.uow, visitor.telegram_id, card.text)


# -- buttons ----------------------------------------------------------------------------------------


async def refuse(press: Press[Any], result: Refusal | Invalid) -> None:
    """A refusal the service audited, or an input problem (audited here)."""
    if isinstance(result, Refusal):
        await press.refuse(v.refusal_text(press.who.tr, result), audited=True)
    else:
        await press.refuse(v.problem_text(press.who.tr, result), reason=result.problem.value)


async def take_keyboard_off(press: Press[Any]) -> None:
    if press.message_id is not None:
        await remove_keyboard(press.context.uow, press.who.chat_id, press.message_id)


async def in_dialog(press: Press[Any], key: str) -> Held | None:
    """The chat's dialog when this press belongs to it (this person's, this key, not expired)."""
    if await service(press.context).not_a_receiver(press.who.person, "button") is not None:
        await press.refuse(v.not_receiver(press.who.tr), audited=True)
        return None
    chat = chat_of(press.context, press.who.chat_id)
    held = await chat.held()
    found = held.for_press(key, press.who.person.id, now_of(press.context))
    if found is Stale.STALE:
        await press.refuse(press.who.tr(STEP_OVER), reason=found.value)
        return None
    if found is Stale.EXPIRED:
        back = await chat.end(held)
        await press.refuse(v.expired(press.who.tr, False), reason=found.value)
        if back:
            await press.say(v.draft_back(press.who.tr))
        return None
    return held


async def went_on(press: Press[Any], held: Held, problem: Invalid | None, shown: Any) -> None:
    """After a dialog button: refused with what was wrong, or the keyboard off and the next question."""
    if problem is not None:
        await refuse(press, problem)
        return
    await press.answer()
    await take_keyboard_off(press)
    await keep(press.context, press.who, held)
    text, markup = shown()
    await press.say(text, markup=markup)


@button(StationPick, audit=AUDIT)
async def station_picked(press: Press[StationPick]) -> None:
    """A station to keep today's entry at (the service checks it is the presser's, or they are staff)."""
    held = await in_dialog(press, press.data.key)
    if held is None or held.cursor is None:
        return
    if held.cursor.step != Step.CHOOSE:
        await press.refuse(press.who.tr(STEP_OVER), reason="wrong_step")
        return
    opened = await service(press.context).open_station(press.who.person, press.data.station_id, "button:st")
    if isinstance(opened, Refusal):
        await refuse(press, opened)
        return
    await press.answer()
    await take_keyboard_off(press)
    await show_hub(press.context, press.who, held, opened)


async def step_home(press: Press[StepPress], held: Held) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.home_visit(now_of(press.context))
    await went_on(press, held, problem, lambda: v.place_prompt(press.who.tr, cursor.key))


async def step_leave(press: Press[StepPress], held: Held) -> None:
    await press.answer()
    await take_keyboard_off(press)
    back = await chat_of(press.context, press.who.chat_id).end(held)
    await press.say(v.left(press.who.tr, back))


async def step_register(press: Press[StepPress], held: Held) -> None:
    """🙈 Anonymous or ⏭ No phone: the visitor is registered as they are."""
    cursor = held.cursor
    assert cursor is not None
    anonymous = press.data.action is StepAction.ANONYMOUS
    problem = cursor.anonymous() if anonymous else cursor.no_phone()
    if problem is not None:
        await refuse(press, problem)
        return
    await press.answer()
    await take_keyboard_off(press)
    await register(press.context, press.who, held, None if anonymous else cursor.name, None)


async def step_consent(press: Press[StepPress], held: Held) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.agree_phone(now_of(press.context))
    await went_on(press, held, problem, lambda: v.phone_prompt(press.who.tr, cursor.key))


async def step_resolve(press: Press[StepPress], held: Held) -> None:
    cursor = held.cursor
    assert cursor is not None
    problem = cursor.to_answer(now_of(press.context))
    await went_on(press, held, problem, lambda: v.answer_prompt(press.who.tr, cursor.key))


async def step_route(press: Press[StepPress], held: Held) -> None:
    assert held.cursor is not None
    problem = held.cursor.ready_to_route()
    if problem is not None:
        await refuse(press, problem)
        return
    await route(press, held)


async def step_next(press: Press[StepPress], held: Held) -> None:
    """👤 Next visitor: the lifecycle decides on the entry as it is now (it may have been closed)."""
    cursor = held.cursor
    assert cursor is not None and cursor.diary_id is not None
    if cursor.step not in (Step.MATTER, Step.HUB):
        await press.refuse(press.who.tr(STEP_OVER), reason="wrong_step")
        return
    await begin_visitor(press, cursor.diary_id, held)


async def step_no_location(press: Press[StepPress], held: Held) -> None:
    assert held.cursor is not None
    problem = held.cursor.at_location()
    if problem is not None:
        await refuse(press, problem)
        return
    await press.answer()
    await take_keyboard_off(press)
    await open_home(press.context, press.who, held, None)


STEPS: dict[StepAction, Callable[[Press[StepPress], Held], Awaitable[None]]] = {
    StepAction.HOME: step_home,
    StepAction.LEAVE: step_leave,
    StepAction.ANONYMOUS: step_register,
    StepAction.NO_PHONE: step_register,
    StepAction.CONSENT: step_consent,
    StepAction.RESOLVE: step_resolve,
    StepAction.ROUTE: step_route,
    StepAction.NEXT: step_next,
    StepAction.NO_LOCATION: step_no_location,
}


@button(StepPress, audit=AUDIT)
async def step_pressed(press: Press[StepPress]) -> None:
    """A button of the registration: only in the dialog it belongs to (its key)."""
    held = await in_dialog(press, press.data.key)
    if held is None or held.cursor is None:
        return
    await STEPS[press.data.action](press, held)


@button(CategoryPick, audit=AUDIT)
async def category_picked(press: Press[CategoryPick]) -> None:
    """Another category for the matter: the card is redrawn in place."""
    held = await in_dialog(press, press.data.key)
    if held is None or held.cursor is None:
        return
    cursor = held.cursor
    problem = cursor.pick_category(press.data.category, now_of(press.context))
    if problem is not None:
        await refuse(press, problem)
        return
    await press.answer()
    await keep(press.context, press.who, held)
    text, markup = v.decide_card(
        press.who.tr, cursor.key, cursor.matter or "", cursor.category or "other", False
    )
    await show(press, text, markup)


async def show(press: Press[Any], text: str, markup: Any = None) -> None:
    """In place of the pressed message (a new message when Telegram did not say which it was)."""
    if press.message_id is not None:
        await edit_message(press.context.uow, press.who.chat_id, press.message_id, text, markup=markup)
    else:
        await press.say(text, markup=markup)


# -- the entry's own buttons ------------------------------------------------------------------------


async def begin_visitor(press: Press[Any], diary_id: int, held: Held | None) -> None:
    """➕ Visitor / 👤 Next visitor: checked against the entry; the chat's dialog moves to this entry."""
    svc = service(press.context)
    checked = await svc.check(diary_id, Action.REGISTER, press.who.person, "button:visitor")
    if isinstance(checked, Refusal):
        await refuse(press, checked)
        return
    await press.answer()  # the entry's card keeps its buttons (🏁 stays at hand)
    now = now_of(press.context)
    if held is None or held.cursor is None:
        held = await chat_of(press.context, press.who.chat_id).open(
            Cursor(person_id=press.who.person.id, touched=now)
        )
    assert held.cursor is not None
    held.cursor.begin_visitor(diary_id, now)
    await keep(press.context, press.who, held)
    text, markup = v.name_prompt(press.who.tr, held.cursor.key, await svc.next_number(diary_id))
    await press.say(text, markup=markup)


async def close_day(press: Press[DiaryPress]) -> None:
    """🏁 Close the day: the summary in place; the presser's dialog on this entry ends."""
    svc, who = service(press.context), press.who
    closed = await svc.close(press.data.diary_id, who.person, "button:close")
    if isinstance(closed, Refusal):
        await refuse(press, closed)
        return
    await press.answer(who.tr("The day is closed."))
    chat = chat_of(press.context, who.chat_id)
    held = await chat.held()
    back = False
    if held.cursor is not None and held.cursor.diary_id == closed.id and held.takes_message_of(who.person.id):
        back = await chat.end(held)
    view = await svc.view(closed.id, who.person, "button:close")
    if not isinstance(view, Refusal):
        text, markup = v.summary(who.tr, view, intro=who.tr("🏁 The day is closed. The diary entry:"))
        await press.say(text, markup=markup)
    if back:
        await press.say(v.draft_back(who.tr))


async def view_entry(press: Press[DiaryPress]) -> None:
    """📖 An entry from the list, as this reader may see it."""
    found = await service(press.context).view(press.data.diary_id, press.who.person, "button:view")
    if isinstance(found, Refusal):
        await refuse(press, found)
        return
    await press.answer()
    text, markup = v.summary(press.who.tr, found)
    await press.say(text, markup=markup)


@button(DiaryPress, audit=AUDIT)
async def diary_pressed(press: Press[DiaryPress]) -> None:
    """➕ Visitor, 🏁 Close the day, 📖: each decided on the entry as it is now."""
    action = press.data.action
    if action is DiaryAction.VISITOR:
        held = await chat_of(press.context, press.who.chat_id).held()
        mine = held if held.takes_message_of(press.who.person.id) else None
        await begin_visitor(press, press.data.diary_id, mine)
    elif action is DiaryAction.CLOSE:
        await close_day(press)
    else:
        await view_entry(press)


@button(ListPress, audit=AUDIT)
async def list_pressed(press: Press[ListPress]) -> None:
    """📋 Recent entries, as a new message (the dialog above stays)."""
    svc = service(press.context)
    if await svc.not_a_receiver(press.who.person, "button:list") is not None:
        await press.refuse(v.not_receiver(press.who.tr), audited=True)
        return
    await press.answer()
    text, markup = v.recent_list(press.who.tr, await svc.recent(press.who.person))
    await press.say(text, markup=markup)


# -- the visitor's link -----------------------------------------------------------------------------


async def start_visitor_link(update: Update, context: LiaisonContext) -> None:
    """/start vis_<token>: the opener follows the opinions registered for them (refused when unknown,
    used, expired or opened by the registering deputy)."""
    who = await actor(update, context)
    if who is None:
        return
    payload = context.args[0] if context.args else ""
    result = await links.open_link(context.uow, who.person, payload, now_of(context))
    if isinstance(result, links.LinkRefusal):
        await send_text(context.uow, who.chat_id, v.link_refused(who.tr, result))
        return
    place = await service(context).place(result.diary)
    day = result.diary.day.isoformat()
    await send_text(context.uow, who.chat_id, v.followed_text(who.tr, place, day, len(result.opinions)))
    views = opinion_views(context)
    for opinion in result.opinions:
        await send_text(context.uow, who.chat_id, await views.timeline_text(opinion, who.tr, now_of(context)))
