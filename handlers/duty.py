"""Duty rosters in chat (进站值班): /roster for a station's head (and staff), /duty for deputies and
constituents, ✅ Check in, and swaps.

```mermaid
flowchart LR
    roster["/roster [CODE] (head, staff)"] --> month[month roster: ◀️ ▶️, a deputy, 📥 Import]
    month -- ✏️ deputy --> grid[the deputy's days: tap on / off, 🔁 a weekday] --> month
    month -- 📥 --> sheet[next document: CSV / XLSX, all or nothing]
    duty["/duty"] -- deputy --> days[coming days: ✅ Check in today, 🔁 Swap] --> place[📍 location, optional]
    days -- 🔁 --> partner[another deputy of the station] --> accept{partner: ✅ / ✖️} --> approve{head or staff: ✅ / ✖️}
    duty -- anyone else --> week[who is on duty today and this week at their station]
```
The rules (who may, which day, the swap's machine) are bot/duty/service.py's and lifecycle.py's; the
texts and button kinds bot/duty/views.py's. Every refusal is answered and audited by the service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardRemove, Update

from bot.duty import views
from bot.duty.notices import deliver
from bot.duty.service import DutyService, Outcome
from bot.duty.sheets import MAX_SHEET_BYTES
from bot.duty.views import (
    CheckInPress,
    DayPress,
    GridPress,
    ImportPress,
    MonthPress,
    NopPress,
    SwapAskPress,
    SwapPress,
    SwapStartPress,
    WeeklyPress,
)
from bot.kit.dialogs import Dialog, at
from bot.network.entities import Station
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.dialogs import Step

__all__ = ["DIALOG", "DutyDialog", "duty_command", "roster_command"]

AUDIT = "duty.refused"


class DutyDialog(StrEnum):
    IMPORT = "dt_import"  # the next document is a roster sheet (the station's id follows)
    LOCATION = "dt_loc"  # the next location is the check-in's place (the duty day's id follows)


def service(context: LiaisonContext) -> DutyService:
    return DutyService(context.uow, context.services.settings.zone)


async def tell(context: LiaisonContext, outcome: Outcome) -> None:
    """Queue the notices an outcome carries (quiet hours for the non-urgent ones)."""
    services = context.services
    await deliver(context.uow, outcome.notices, services.settings, services.policy, services.clock.now())


async def show(press: Press[Any], text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """In place of the pressed message (a new one when Telegram did not say which it was)."""
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)
    else:
        await press.say(text, markup=markup)


# -- /roster ------------------------------------------------------------------------------------------------


async def show_month(
    context: LiaisonContext, who: Actor[Person], station: Station, ym: tuple[int, int]
) -> None:
    view = await service(context).month(station, *ym, service(context).today(context.services.clock.now()))
    await send_text(
        context.uow, who.chat_id, views.month_text(who.tr, view), markup=views.month_keyboard(who.tr, view)
    )


async def roster_command(update: Update, context: LiaisonContext) -> None:
    """/roster [CODE]: a station's roster this month (a head's own station without a code)."""
    who = await actor(update, context)
    if who is None:
        return
    duty, args = service(context), list(context.args or [])
    today = duty.today(context.services.clock.now())
    if args:
        station = await duty.station_by_code(args[0])
        if station is None:
            await send_text(context.uow, who.chat_id, views.unknown_station(who.tr, args[0]))
            return
        stations = [station]
    else:
        stations = list(await duty.headed(who.person))
    if not stations and duty.manager_kinds_staff(who.person):
        await send_text(context.uow, who.chat_id, views.roster_help(who.tr))
        return
    if len(stations) == 1 and (await duty.check_manager(who.person, stations[0].id, "roster")).ok:
        await show_month(context, who, stations[0], (today.year, today.month))
    elif len(stations) > 1:
        text, markup = views.station_choice(who.tr, stations, today)
        await send_text(context.uow, who.chat_id, text, markup=markup)
    else:
        if not stations:
            await duty.refuse_command(who.person, "roster")
        await send_text(context.uow, who.chat_id, views.not_manager(who.tr))


async def managing(press: Press[Any], station_id: int, stage: str) -> bool:
    """Staff or the station's head may go on; anyone else is refused (answered and audited)."""
    outcome = await service(press.context).check_manager(press.who.person, station_id, stage)
    if not outcome.ok:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
    return outcome.ok


@button(MonthPress, audit=AUDIT)
async def month_pressed(press: Press[MonthPress]) -> None:
    """A month of the station's roster (◀️ ▶️, Back)."""
    ym = views.month_from(press.data.ym)
    if ym is None:
        await press.refuse(reason="malformed", stage="month")
        return
    if not await managing(press, press.data.station_id, "month"):
        return
    duty = service(press.context)
    station = await duty.station(press.data.station_id)
    assert station is not None  # checked by managing
    view = await duty.month(station, *ym, duty.today(press.context.services.clock.now()))
    await press.answer()
    await show(press, views.month_text(press.who.tr, view), views.month_keyboard(press.who.tr, view))


async def show_grid(press: Press[Any], station_id: int, deputy_id: int, ym: tuple[int, int]) -> bool:
    """The deputy's days of the month in place of the pressed message; False (refused) for a deputy who
    does not serve at the station."""
    duty = service(press.context)
    station = await duty.station(station_id)
    view = await duty.month(station, *ym, duty.today(press.context.services.clock.now())) if station else None
    names = {did: name for did, name, _ in view.members} if view else {}
    if view is None or deputy_id not in names:
        await press.refuse(views.refusal_text(press.who.tr, "not_member"), reason="not_member", stage="grid")
        return False
    on = {day for day, entries in view.days.items() if any(d.deputy_id == deputy_id for d, _ in entries)}
    text = views.grid_text(press.who.tr, view.station, names[deputy_id], *ym)
    await show(press, text, views.grid_keyboard(press.who.tr, station_id, deputy_id, *ym, on, view.today))
    return True


@button(GridPress, audit=AUDIT)
async def grid_pressed(press: Press[GridPress]) -> None:
    """✏️ A deputy: their days of the month, to tap on and off."""
    ym = views.month_from(press.data.ym)
    if ym is None:
        await press.refuse(reason="malformed", stage="grid")
        return
    if await managing(press, press.data.station_id, "grid") and await show_grid(
        press, press.data.station_id, press.data.deputy_id, ym
    ):
        await press.answer()


@button(DayPress, audit=AUDIT)
async def day_pressed(press: Press[DayPress]) -> None:
    """A day of the grid: on the roster, or off it (the service checks who, which deputy, which day)."""
    day = views.day_from(press.data.day)
    if day is None:
        await press.refuse(reason="malformed", stage="day")
        return
    data, now = press.data, press.context.services.clock.now()
    outcome = await service(press.context).toggle(press.who.person, data.station_id, data.deputy_id, day, now)
    if not outcome.ok:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    await tell(press.context, outcome)
    if await show_grid(press, data.station_id, data.deputy_id, (day.year, day.month)):
        await press.answer(views.toggled(press.who.tr, outcome.added, outcome.count))


@button(WeeklyPress, audit=AUDIT)
async def weekly_pressed(press: Press[WeeklyPress]) -> None:
    """🔁 A weekday for the rest of the month."""
    ym = views.month_from(press.data.ym)
    if ym is None or not 0 <= press.data.weekday <= 6:
        await press.refuse(reason="malformed", stage="weekly")
        return
    data, now = press.data, press.context.services.clock.now()
    first, last = views.month_bounds(*ym)
    outcome = await service(press.context).add_weekly(
        press.who.person, data.station_id, data.deputy_id, data.weekday, first, last, now, source="chat"
    )
    if not outcome.ok:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    if await show_grid(press, data.station_id, data.deputy_id, ym):
        await press.answer(views.weekly_added(press.who.tr, outcome.count))


@button(ImportPress, audit=AUDIT)
async def import_pressed(press: Press[ImportPress]) -> None:
    """📥 Import a sheet: the chat waits for the file."""
    if not await managing(press, press.data.station_id, "import"):
        return
    station = await service(press.context).station(press.data.station_id)
    assert station is not None
    await press.uow.chats.set(press.who.chat_id, at(DutyDialog.IMPORT, station.id))
    await press.answer()
    await press.say(views.import_prompt(press.who.tr, station))


@button(NopPress, audit=AUDIT)
async def nop_pressed(press: Press[NopPress]) -> None:
    """A grid's heading or a past day."""
    await press.answer()


async def sheet_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The roster sheet, as a document: all or nothing."""
    document = message.document
    if document is None:
        await send_text(context.uow, who.chat_id, views.import_needs_file(who.tr))
        return True
    await context.uow.chats.set(who.chat_id, None)
    if document.file_size is not None and document.file_size > MAX_SHEET_BYTES:
        data = b"x" * (MAX_SHEET_BYTES + 1)  # refused by size, named in the problems, without downloading
    else:
        data = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    now = context.services.clock.now()
    result = await service(context).import_sheet(who.person, data, document.file_name or "roster.csv", now)
    await send_text(context.uow, who.chat_id, views.import_done(who.tr, result))
    return True


# -- a deputy's days, check-in ------------------------------------------------------------------------------


async def duty_command(update: Update, context: LiaisonContext) -> None:
    """/duty: a deputy's coming duty days; anyone else, who is on duty at their station."""
    who = await actor(update, context)
    if who is None:
        return
    duty = service(context)
    today = duty.today(context.services.clock.now())
    deputy = who.person.deputy
    if deputy is not None:
        days = await duty.coming(deputy.id, today)
        names = await duty.partner_names(days)
        text, markup = views.deputy_days(who.tr, days, today, context.services.settings.zone, names)
        await send_text(context.uow, who.chat_id, text, markup=markup)
        return
    station = await duty.home_station(who.person)
    if station is None:
        await send_text(context.uow, who.chat_id, views.no_station(who.tr))
        return
    entries = await duty.station_week(station.id, today)
    await send_text(context.uow, who.chat_id, views.station_week(who.tr, station, entries, today))


@button(CheckInPress, audit=AUDIT)
async def check_in_pressed(press: Press[CheckInPress]) -> None:
    """✅ Check in: on the day, by the deputy on duty, once; then the place may be shared."""
    now = press.context.services.clock.now()
    outcome = await service(press.context).check_in(press.who.person, press.data.duty_id, now)
    if not outcome.ok or outcome.duty is None:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    station = await service(press.context).station(outcome.duty.station_id)
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    await press.uow.chats.set(press.who.chat_id, at(DutyDialog.LOCATION, outcome.duty.id))
    text = views.checked_in(press.who.tr, station, now, press.context.services.settings.zone)
    await press.say(text, markup=views.location_keyboard(press.who.tr))


async def location_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The place of the check-in (optional): a location, or Skip; anything else goes on as usual."""
    await context.uow.chats.set(who.chat_id, None)
    duty_id = dialog.int_arg()
    if message.location is not None and duty_id is not None:
        loc, now = message.location, context.services.clock.now()
        outcome = await service(context).share_location(who.person, duty_id, loc.latitude, loc.longitude, now)
        text = views.located(who.tr) if outcome.ok else views.refusal_text(who.tr, outcome.refusal)
        await send_text(context.uow, who.chat_id, text, markup=ReplyKeyboardRemove())
        return True
    if message.text is not None and message.text.strip() == who.tr(views.SKIP_LOCATION):
        await send_text(context.uow, who.chat_id, views.not_located(who.tr), markup=ReplyKeyboardRemove())
        return True
    return False


DIALOG = {DutyDialog.IMPORT: Step(sheet_message), DutyDialog.LOCATION: Step(location_message)}


# -- swaps --------------------------------------------------------------------------------------------------


@button(SwapStartPress, audit=AUDIT)
async def swap_start_pressed(press: Press[SwapStartPress]) -> None:
    """🔁 Swap: the station's other deputies to ask."""
    now = press.context.services.clock.now()
    outcome, partners = await service(press.context).swap_partners(press.who.person, press.data.duty_id, now)
    if not outcome.ok or outcome.duty is None:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    await press.answer()
    text, markup = views.partner_choice(press.who.tr, outcome.duty, partners)
    await press.say(text, markup=markup)


@button(SwapAskPress, audit=AUDIT)
async def swap_ask_pressed(press: Press[SwapAskPress]) -> None:
    """A partner: the request is made and they are told."""
    data, now = press.data, press.context.services.clock.now()
    outcome = await service(press.context).ask_swap(press.who.person, data.duty_id, data.partner_id, now)
    if not outcome.ok or outcome.swap is None:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    await tell(press.context, outcome)
    await press.answer()
    partner = await service(press.context).deputy_name(outcome.swap.partner_deputy_id)
    text = views.swap_asked(press.who.tr, partner, outcome.swap.day)
    await show(press, text, views.swap_cancel_keyboard(press.who.tr, outcome.swap.id))


@button(SwapPress, audit=AUDIT)
async def swap_pressed(press: Press[SwapPress]) -> None:
    """Accept, decline, approve, reject or withdraw a swap (the machine says who may, and when)."""
    data, now = press.data, press.context.services.clock.now()
    outcome = await service(press.context).act_on_swap(press.who.person, data.swap_id, data.action, now)
    if not outcome.ok:
        await press.refuse(views.refusal_text(press.who.tr, outcome.refusal), audited=True)
        return
    await tell(press.context, outcome)
    await press.answer()
    await show(press, views.acted(press.who.tr, data.action))
