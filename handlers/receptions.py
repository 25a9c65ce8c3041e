"""/reception: a deputy records a reception of constituents (接待选民) in the reception diary (民情日记).

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

Dialog state lives in chat_session ("rcp:<step>", data {"form": ..., "saved": ...}); the rules and the
form's steps are in bot/receptions/service.py. An opinion draft the chat held is kept in "saved" and comes back
when the form ends. A form left alone for two hours is dropped when the next message comes, and that
message goes where it would have gone without the form (a constituent's message is never swallowed).
Form buttons carry the form's key, list buttons the reception id: a stale or forged press, or one by
someone who is not that deputy, is refused, answered and audited ("reception.refused").
`register(app)` adds the handlers in group -1, ahead of the fallbacks of group 0.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler

from bot.kit.callbacks import Parsed, pack, pattern, unpack
from bot.kit.dialogs import Dialog, at
from bot.kit.i18n import Translator
from bot.receptions import service as svc
from bot.receptions.service import Form, Invalid, Problem, Step
from bot.runtime.context import LiaisonApp, LiaisonContext
from bot.runtime.replies import answer_query, edit_message, esc, remove_keyboard, send_text
from handlers.common import Actor, actor
from handlers.constituent import STATE_DRAFT
from handlers.dialogs import Step as DialogStep
from storage.models import Reception, Station

__all__ = ["CB", "GROUP", "STATE", "dialog_message", "register"]

GROUP = -1


class ReceptionDialog(StrEnum):
    FORM = "rcp"


STATE = ReceptionDialog.FORM
CB = "rc"  # rc:<op>:<form key>[:<arg>] for the form, rc:<op>[:<reception id>] for the list
ST, CODE, DAY, SKIP, OK, NOTE, CANCEL = "st", "code", "day", "skip", "ok", "note", "x"
LIST, DEL, DEL_YES, DEL_NO = "ls", "del", "dy", "dn"
LIST_ARGS = frozenset({"list", "ls", "列表"})
MAX_STATION_BUTTONS = 8
BUTTON_CHARS = 40
NOTE_PREVIEW = 60


# -- small helpers --------------------------------------------------------------------------------


def today_of(context: LiaisonContext) -> date:
    services = context.services
    return svc.local_today(services.clock.now(), services.settings.zone)


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cancel_row(tr: Translator, key: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(tr("✖️ Cancel"), callback_data=pack(CB, CANCEL, key))]


def kept_draft(state: str | None, data: dict[str, Any]) -> dict[str, Any] | None:
    """What the chat held that must survive the form: an unsent opinion draft (other dialogs are prompts
    that a new command replaces, as everywhere in the bot)."""
    if (state or "").partition(":")[0] == STATE:
        saved = data.get("saved")
        return saved if isinstance(saved, dict) else None
    if state == STATE_DRAFT:
        return {"state": STATE_DRAFT, "data": dict(data)}
    return None


async def keep_form(context: LiaisonContext, who: Actor, form: Form, saved: dict[str, Any] | None) -> None:
    await context.uow.chats.set(
        who.chat_id, f"{STATE}:{form.step.value}", {"form": form.to_dict(), "saved": saved}
    )


async def end_form(context: LiaisonContext, who: Actor, saved: Any) -> bool:
    """Close the form; an opinion draft it kept comes back (True when one did)."""
    if isinstance(saved, dict) and saved.get("state") == STATE_DRAFT and isinstance(saved.get("data"), dict):
        await context.uow.chats.set(who.chat_id, STATE_DRAFT, saved["data"])
        return True
    await context.uow.chats.set(who.chat_id, None)
    return False


def draft_back(tr: Translator) -> str:
    return tr("Your unsent opinion draft is open again: what you write now joins it.")


async def refuse(
    context: LiaisonContext,
    who: Actor,
    stage: str,
    reason: str,
    text: str,
    *,
    query_id: str | None = None,
    **detail: object,
) -> None:
    """Answer a refusal (an alert for a press) and audit it."""
    await context.uow.audit.record(
        "reception.refused",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        stage=stage[:40],
        reason=reason,
        **detail,
    )
    if query_id is None:
        await send_text(context.uow, who.chat_id, text)
    else:
        await answer_query(context.uow, who.chat_id, query_id, text, alert=True)


def not_deputy(tr: Translator) -> str:
    return tr("Sorry, only deputies keep a reception diary.")


def problem_text(tr: Translator, invalid: Invalid, today: date) -> str:
    """What to tell the deputy about a refused input."""
    match invalid.problem:
        case Problem.NOT_A_NUMBER:
            return tr(
                "That is not a number. Please type a whole number from {low} to {high}.",
                low=invalid.low,
                high=invalid.high,
            )
        case Problem.OUT_OF_RANGE:
            return tr("Please type a number from {low} to {high}.", low=invalid.low, high=invalid.high)
        case Problem.NOT_A_DATE:
            return tr("Please type the date as YYYY-MM-DD, for example {example}.", example=today.isoformat())
        case Problem.FUTURE:
            return tr("The day cannot be in the future (today is {today}).", today=today.isoformat())
        case Problem.TOO_OLD:
            return tr("That is more than {days} days ago; please check the date.", days=invalid.high)
        case Problem.EMPTY:
            return tr("The note is empty. Type a note, or press Skip.")
        case Problem.TOO_LONG:
            return tr(
                "The note has {given} characters; please keep it to {limit}.",
                given=invalid.given,
                limit=invalid.high,
            )
        case Problem.NO_STATION:
            return tr("This station no longer exists; please choose the station again.")
        case _:
            return tr("This button is no longer valid.")


def summary(
    tr: Translator,
    station: Station | None,
    day: date | None,
    people: int | None,
    paper: int,
    note: str | None,
) -> str:
    """The record as the deputy checks it (user text escaped)."""
    lines = [
        tr("Station: {name}", name=esc(station.name if station else "—")),
        tr("Day: {day}", day=day.isoformat() if day else "—"),
        tr("People received: {count}", count=people if people is not None else "—"),
        tr("Opinions collected on paper: {count}", count=paper),
    ]
    if note:
        lines.append(tr("Note: {note}", note=esc(note)))
    return "\n".join(lines)


def row_summary(tr: Translator, reception: Reception, station: Station | None) -> str:
    return summary(tr, station, reception.day, reception.people, reception.opinions_paper, reception.note)


# -- the form -------------------------------------------------------------------------------------


async def prompt(context: LiaisonContext, who: Actor, form: Form, intro: str = "") -> None:
    """Ask for what the form's current step needs."""
    uow, tr, key = context.uow, who.tr, form.key
    rows: list[list[InlineKeyboardButton]] = []
    if form.step == Step.STATION:
        stations = list(await svc.own_stations(uow, form.deputy_id))
        rows = [
            [InlineKeyboardButton(short(s.name, BUTTON_CHARS), callback_data=pack(CB, ST, key, s.id))]
            for s in stations[:MAX_STATION_BUTTONS]
        ]
        rows.append(
            [
                InlineKeyboardButton(tr("Another station…"), callback_data=pack(CB, CODE, key)),
                InlineKeyboardButton(tr("📋 My recent receptions"), callback_data=pack(CB, LIST)),
            ]
        )
        text = (
            tr("At which station did you receive constituents? Press it, or type the station's code.")
            if stations
            else tr("At which station did you receive constituents? Type the station's code.")
        )
    elif form.step == Step.DAY:
        today = today_of(context)
        yesterday = today - timedelta(days=1)
        rows = [
            [
                InlineKeyboardButton(
                    tr("Today ({day})", day=today.isoformat()),
                    callback_data=pack(CB, DAY, key, today.isoformat()),
                ),
                InlineKeyboardButton(
                    tr("Yesterday ({day})", day=yesterday.isoformat()),
                    callback_data=pack(CB, DAY, key, yesterday.isoformat()),
                ),
            ]
        ]
        text = tr("On which day? Press a button, or type the date as YYYY-MM-DD.")
    elif form.step == Step.PEOPLE:
        text = tr(
            "How many people did you receive? Type a number from {low} to {high}.",
            low=svc.MIN_PEOPLE,
            high=svc.MAX_PEOPLE,
        )
    elif form.step == Step.PAPER:
        rows = [[InlineKeyboardButton(tr("Skip"), callback_data=pack(CB, SKIP, key, Step.PAPER.value))]]
        text = tr(
            "How many opinions did you collect on paper? Type a number from 0 to {high}, or press Skip. "
            "(Opinions people send through this bot are counted on their own.)",
            high=svc.MAX_PAPER,
        )
    elif form.step == Step.NOTE:
        rows = [[InlineKeyboardButton(tr("Skip"), callback_data=pack(CB, SKIP, key, Step.NOTE.value))]]
        text = tr("Add a short note (up to {limit} characters), or press Skip.", limit=svc.MAX_NOTE)
    else:
        station = await svc.station(uow, form.station_id)
        rows = [
            [
                InlineKeyboardButton(tr("✅ Save"), callback_data=pack(CB, OK, key)),
                InlineKeyboardButton(tr("✏️ Change the note"), callback_data=pack(CB, NOTE, key)),
            ]
        ]
        text = (
            tr("Please check the reception record:")
            + "\n\n"
            + summary(tr, station, form.day, form.people, form.paper, form.note)
        )
    rows.append(cancel_row(tr, key))
    body = f"{intro}\n\n{text}" if intro else text
    await send_text(uow, who.chat_id, body, markup=InlineKeyboardMarkup(rows))


async def reception_command(update: Update, context: LiaisonContext) -> None:
    """/reception: open a new form; `/reception list`: the recent receptions."""
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    deputy = who.person.deputy
    if deputy is None:
        await refuse(context, who, "command", "not_deputy", not_deputy(who.tr))
        raise ApplicationHandlerStop
    args = [a.lower() for a in context.args or []]
    if args and args[0] in LIST_ARGS:
        await send_list(context, who, deputy.id)
        raise ApplicationHandlerStop
    session = await context.uow.chats.get(who.chat_id)
    saved = kept_draft(session.state, dict(session.data or {}))
    form = Form(deputy_id=deputy.id, touched=context.services.clock.now())
    await keep_form(context, who, form, saved)
    intro = who.tr("📒 New reception record.")
    if saved is not None:
        intro += "\n" + who.tr(
            "Your unsent opinion draft is kept; it comes back when you save or cancel this."
        )
    await prompt(context, who, form, intro)
    raise ApplicationHandlerStop


async def dialog_message(context: LiaisonContext, who: Actor, state: str, message: Message) -> bool:
    """A message while the chat is in a reception form; False when the form does not take it (the form is
    gone, expired or not this person's), so the message goes on to the constituent's side."""
    uow, tr = context.uow, who.tr
    session = await uow.chats.get(who.chat_id)
    data = dict(session.data or {})
    form, saved = Form.from_dict(data.get("form")), data.get("saved")
    deputy = who.person.deputy
    now = context.services.clock.now()
    if form is None or deputy is None or deputy.id != form.deputy_id:
        await end_form(context, who, saved)
        return False
    if form.expired(now):
        back = await end_form(context, who, saved)
        text = tr(
            "The reception form you started was closed after two hours without an answer; nothing was "
            "saved. Send /reception to start again."
        )
        await send_text(uow, who.chat_id, text + ("\n" + draft_back(tr) if back else ""))
        return False
    text = message.text
    if text is None:
        await send_text(
            uow,
            who.chat_id,
            tr("The reception form is waiting for a typed answer. Type it, or press Cancel."),
            markup=InlineKeyboardMarkup([cancel_row(tr, form.key)]),
        )
        return True
    today = today_of(context)
    problem: Invalid | None
    if form.step == Step.STATION:
        station = await svc.find_station(uow, text)
        if station is None:
            await send_text(
                uow,
                who.chat_id,
                tr(
                    "There is no station with the code {code}. Press a station above, or type another code.",
                    code=esc(short(text.strip(), 32)),
                ),
            )
            return True
        problem = form.choose_station(station.id, now)
    elif form.step == Step.DAY:
        problem = form.type_day(text, today, now)
    elif form.step == Step.PEOPLE:
        problem = form.type_people(text, now)
    elif form.step == Step.PAPER:
        problem = form.type_paper(text, now)
    elif form.step == Step.NOTE:
        problem = form.type_note(text, now)
    else:
        await send_text(uow, who.chat_id, tr("Press Save, Change the note or Cancel under the record above."))
        return True
    if problem is not None:
        await send_text(uow, who.chat_id, problem_text(tr, problem, today))
        return True
    await keep_form(context, who, form, saved)
    await prompt(context, who, form)
    return True


async def pressed(update: Update, context: LiaisonContext) -> None:
    """Every button of the feature: the form's and the list's. Each press is checked before it acts."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        raise ApplicationHandlerStop
    uow, tr = context.uow, who.tr
    parsed = unpack(query.data)
    op = parsed.fields[0] if parsed and parsed.fields else ""
    deputy = who.person.deputy
    if parsed is None:
        await refuse(
            context, who, "button", "forged", tr("This button is no longer valid."), query_id=query.id
        )
        raise ApplicationHandlerStop
    if deputy is None:
        await refuse(context, who, f"button:{op}", "not_deputy", not_deputy(tr), query_id=query.id)
        raise ApplicationHandlerStop
    message_id = query.message.message_id if query.message is not None else None
    if op in (LIST, DEL, DEL_YES, DEL_NO):
        await list_pressed(context, who, deputy.id, query.id, op, parsed, message_id)
        raise ApplicationHandlerStop
    session = await uow.chats.get(who.chat_id)
    data = dict(session.data or {})
    in_form = (session.state or "").partition(":")[0] == STATE
    form = Form.from_dict(data.get("form")) if in_form else None
    key = parsed.fields[1] if len(parsed.fields) > 1 else ""
    now = context.services.clock.now()
    if form is None or form.key != key or form.deputy_id != deputy.id:
        await refuse(
            context,
            who,
            f"button:{op}",
            "stale",
            tr("This reception form is no longer open."),
            query_id=query.id,
        )
        raise ApplicationHandlerStop
    saved = data.get("saved")
    if form.expired(now):
        back = await end_form(context, who, saved)
        await refuse(
            context,
            who,
            f"button:{op}",
            "expired",
            tr("This reception form has expired; send /reception to start again."),
            query_id=query.id,
        )
        if back:
            await send_text(uow, who.chat_id, draft_back(tr))
        raise ApplicationHandlerStop
    await form_pressed(context, who, form, saved, query.id, op, parsed, message_id)
    raise ApplicationHandlerStop


async def form_pressed(
    context: LiaisonContext,
    who: Actor,
    form: Form,
    saved: dict[str, Any] | None,
    query_id: str,
    op: str,
    parsed: Parsed,
    message_id: int | None,
) -> None:
    """A button of this chat's open form (its key already checked)."""
    uow, tr = context.uow, who.tr
    now, today = context.services.clock.now(), today_of(context)
    if op == CANCEL:
        await answer_query(uow, who.chat_id, query_id)
        if message_id is not None:
            await remove_keyboard(uow, who.chat_id, message_id)
        back = await end_form(context, who, saved)
        await send_text(
            uow, who.chat_id, tr("Cancelled; nothing was saved.") + ("\n" + draft_back(tr) if back else "")
        )
        return
    if op == OK:
        await save(context, who, form, saved, query_id, message_id)
        return
    if op == CODE:
        await answer_query(uow, who.chat_id, query_id)
        await send_text(uow, who.chat_id, tr("Type the station's code (it is on the station's list)."))
        return
    problem: Invalid | None
    if op == ST:
        station_id = parsed.int(2)
        own = {s.id for s in await svc.own_stations(uow, form.deputy_id)}
        if station_id is None or station_id not in own:
            await refuse(
                context,
                who,
                "button:st",
                "not_own_station",
                tr("Only your own stations are offered here; type the code of another station."),
                query_id=query_id,
                station_id=station_id,
            )
            return
        problem = form.choose_station(station_id, now)
    elif op == DAY:
        try:
            day = date.fromisoformat(parsed.fields[2]) if len(parsed.fields) > 2 else None
        except ValueError:
            day = None
        problem = Invalid(Problem.NOT_A_DATE) if day is None else form.choose_day(day, today, now)
    elif op == SKIP:
        step = parsed.fields[2] if len(parsed.fields) > 2 else ""
        if step == Step.PAPER.value:
            problem = form.type_paper(None, now)
        elif step == Step.NOTE.value:
            problem = form.type_note(None, now)
        else:
            problem = Invalid(Problem.WRONG_STEP)
    elif op == NOTE:
        problem = form.change_note(now)
    else:
        problem = Invalid(Problem.WRONG_STEP)
    if problem is not None:
        await refuse(
            context,
            who,
            f"button:{op}",
            problem.problem.value,
            problem_text(tr, problem, today),
            query_id=query_id,
        )
        return
    await answer_query(uow, who.chat_id, query_id)
    if message_id is not None:
        await remove_keyboard(uow, who.chat_id, message_id)
    await keep_form(context, who, form, saved)
    await prompt(context, who, form)


async def save(
    context: LiaisonContext,
    who: Actor,
    form: Form,
    saved: dict[str, Any] | None,
    query_id: str,
    message_id: int | None,
) -> None:
    """✅ Save: store the reception (the service checks everything again and audits it)."""
    uow, tr = context.uow, who.tr
    today = today_of(context)
    if form.step != Step.CONFIRM:
        await refuse(
            context, who, "button:ok", "wrong_step", tr("This button is no longer valid."), query_id=query_id
        )
        return
    result = await svc.record(
        uow, form, person_id=who.person.id, telegram_id=who.account.telegram_id, today=today
    )
    if isinstance(result, Invalid):
        await refuse(
            context,
            who,
            "button:ok",
            result.problem.value,
            problem_text(tr, result, today),
            query_id=query_id,
        )
        if result.step is not None and result.step != form.step:
            form.step, form.touched = result.step, context.services.clock.now()
            if message_id is not None:
                await remove_keyboard(uow, who.chat_id, message_id)
            await keep_form(context, who, form, saved)
            await prompt(context, who, form)
        return
    await answer_query(uow, who.chat_id, query_id, tr("Saved."))
    back = await end_form(context, who, saved)
    body = (
        tr("✅ Reception saved.")
        + "\n\n"
        + row_summary(tr, result, await svc.station(uow, result.station_id))
    )
    if message_id is not None:
        await edit_message(uow, who.chat_id, message_id, body)
    else:
        await send_text(uow, who.chat_id, body)
    follow = tr("Send /reception to record another one, or /reception list to see your recent ones.")
    await send_text(uow, who.chat_id, follow + ("\n" + draft_back(tr) if back else ""))


# -- the list and deleting ------------------------------------------------------------------------


async def list_view(
    context: LiaisonContext, who: Actor, deputy_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = who.tr
    rows = await svc.recent(context.uow, deputy_id)
    if not rows:
        return tr("You have recorded no receptions yet. Send /reception to record one."), None
    lines = [tr("Your recent receptions:")]
    buttons: list[InlineKeyboardButton] = []
    for number, (reception, station) in enumerate(rows, 1):
        line = tr(
            "{number}. {day} · {station} · {people} people · {paper} opinions on paper",
            number=number,
            day=reception.day.isoformat(),
            station=esc(station.name),
            people=reception.people,
            paper=reception.opinions_paper,
        )
        if reception.note:
            line += "\n    " + esc(short(reception.note, NOTE_PREVIEW))
        lines.append(line)
        buttons.append(InlineKeyboardButton(f"🗑 {number}", callback_data=pack(CB, DEL, reception.id)))
    lines += ["", tr("Press 🗑 with a record's number to delete it.")]
    markup = InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])
    return "\n".join(lines), markup


async def send_list(context: LiaisonContext, who: Actor, deputy_id: int) -> None:
    text, markup = await list_view(context, who, deputy_id)
    await send_text(context.uow, who.chat_id, text, markup=markup)


async def list_pressed(
    context: LiaisonContext,
    who: Actor,
    deputy_id: int,
    query_id: str,
    op: str,
    parsed: Parsed,
    message_id: int | None,
) -> None:
    """📋, 🗑 n, then Delete / Keep. The reception must be this deputy's own."""
    uow, tr = context.uow, who.tr
    if op == LIST:
        await answer_query(uow, who.chat_id, query_id)
        await send_list(context, who, deputy_id)
        return
    if op == DEL_NO:
        await answer_query(uow, who.chat_id, query_id)
        text, markup = await list_view(context, who, deputy_id)
        if message_id is not None:
            await edit_message(uow, who.chat_id, message_id, text, markup=markup)
        else:
            await send_text(uow, who.chat_id, text, markup=markup)
        return
    reception_id = parsed.int(1)
    refused = tr("You cannot delete this reception.")
    if reception_id is None:
        await refuse(context, who, f"button:{op}", "forged", refused, query_id=query_id)
        return
    if op == DEL:
        found = await svc.deletable(uow, reception_id, deputy_id)
        if isinstance(found, svc.DeleteRefusal):
            await refuse(
                context, who, "button:del", found.value, refused, query_id=query_id, reception_id=reception_id
            )
            return
        await answer_query(uow, who.chat_id, query_id)
        text = (
            tr("Delete this reception?")
            + "\n\n"
            + row_summary(tr, found, await svc.station(uow, found.station_id))
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr("🗑 Delete"), callback_data=pack(CB, DEL_YES, found.id)),
                    InlineKeyboardButton(tr("↩️ Keep it"), callback_data=pack(CB, DEL_NO)),
                ]
            ]
        )
        if message_id is not None:
            await edit_message(uow, who.chat_id, message_id, text, markup=markup)
        else:
            await send_text(uow, who.chat_id, text, markup=markup)
        return
    result = await svc.delete(
        uow,
        reception_id,
        deputy_id=deputy_id,
        person_id=who.person.id,
        telegram_id=who.account.telegram_id,
        now=context.services.clock.now(),
    )
    if isinstance(result, svc.DeleteRefusal):
        await answer_query(uow, who.chat_id, query_id, refused, alert=True)  # the service audited it
        return
    await answer_query(uow, who.chat_id, query_id, tr("Deleted."))
    text = tr("🗑 Deleted:") + "\n\n" + row_summary(tr, result, await svc.station(uow, result.station_id))
    if message_id is not None:
        await edit_message(uow, who.chat_id, message_id, text)
    else:
        await send_text(uow, who.chat_id, text)


def register(app: LiaisonApp) -> None:
    """Add /reception and its buttons in group -1 (call once, from bot/runtime/app.py's register_handlers)."""
    app.add_handler(CommandHandler("reception", reception_command), group=GROUP)
    app.add_handler(CallbackQueryHandler(pressed, pattern=pattern(CB)), group=GROUP)


async def _step(context: LiaisonContext, who: Actor, dialog: Dialog, message: Message) -> bool:
    assert dialog.state is not None
    return await dialog_message(context, who, at(dialog.state, *dialog.args), message)


DIALOG = {ReceptionDialog.FORM: DialogStep(_step)}
