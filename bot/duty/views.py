"""How duty rosters look in chat: the button kinds (`dt:…`), the month roster and a deputy's day grid
for the head, a deputy's coming days with ✅ Check in and 🔁 Swap, a constituent's "who is on duty",
the reminder and the swap notices, and every refusal said plainly. Rendering only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.duty import roster
from bot.duty.lifecycle import RefusalReason, SwapAction
from bot.duty.service import DayView, ImportResult, MonthView, Problem
from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, cut
from bot.runtime.replies import esc
from storage.models import Station
from storage.models.opinions import Duty

WEEKDAYS = (
    N_("weekday: Mon"),
    N_("weekday: Tue"),
    N_("weekday: Wed"),
    N_("weekday: Thu"),
    N_("weekday: Fri"),
    N_("weekday: Sat"),
    N_("weekday: Sun"),
)
SHOWN_SWAPS = 6  # swap buttons under /duty (the nearest days)
PROBLEM_TAIL = 20  # problems of a refused sheet shown in chat


# -- button kinds ---------------------------------------------------------------------------------------


def ym_of(year: int, month: int) -> int:
    return year * 100 + month


def month_from(ym: int) -> tuple[int, int] | None:
    """(year, month) of a button's `yyyymm`, or None for a forged one."""
    year, month = divmod(ym, 100)
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def day_from(value: int) -> date | None:
    """The date of a button's `yyyymmdd`, or None for a forged one."""
    ym, day = divmod(value, 100)
    found = month_from(ym)
    if found is None:
        return None
    try:
        return date(found[0], found[1], day)
    except ValueError:
        return None


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True)
class MonthPress(Button, prefix="dt:m"):
    """A station's roster for a month (◀️ ▶️, back from a grid, a head's station)."""

    station_id: int
    ym: int


@dataclass(frozen=True)
class GridPress(Button, prefix="dt:g"):
    """One deputy's days of the month, to tap on and off."""

    station_id: int
    deputy_id: int
    ym: int


@dataclass(frozen=True)
class DayPress(Button, prefix="dt:t"):
    """A day of the grid: on the roster, or off it."""

    station_id: int
    deputy_id: int
    day: int


@dataclass(frozen=True)
class WeeklyPress(Button, prefix="dt:w"):
    """🔁 This weekday for the rest of the month."""

    station_id: int
    deputy_id: int
    ym: int
    weekday: int


@dataclass(frozen=True)
class ImportPress(Button, prefix="dt:i"):
    """📥 Import a sheet: the next document is the roster sheet."""

    station_id: int


@dataclass(frozen=True)
class NopPress(Button, prefix="dt:n"):
    """A grid's heading or a past day: nothing to do."""


@dataclass(frozen=True)
class CheckInPress(Button, prefix="dt:ci"):
    duty_id: int


@dataclass(frozen=True)
class SwapStartPress(Button, prefix="dt:sw"):
    """🔁 Swap: whom to ask."""

    duty_id: int


@dataclass(frozen=True)
class SwapAskPress(Button, prefix="dt:sa"):
    duty_id: int
    partner_id: int


@dataclass(frozen=True)
class SwapPress(Button, prefix="dt:sx"):
    """Accept / decline (the partner), approve / reject (the head), cancel (the requester)."""

    action: SwapAction
    swap_id: int


# -- shared bits --------------------------------------------------------------------------------------------


def weekday_name(tr: Translator, day: date) -> str:
    return tr(WEEKDAYS[day.weekday()])


def day_text(tr: Translator, day: date) -> str:
    """`2026-03-10 (Tue)`."""
    return f"{day.isoformat()} ({weekday_name(tr, day)})"


REFUSALS: dict[str, str] = {
    RefusalReason.NO_RELATION: N_("This button is not for you."),
    RefusalReason.NOT_PERMITTED: N_("This button is not for you."),
    RefusalReason.UNKNOWN_ACTION: N_("This button is not for you."),
    RefusalReason.FINAL: N_("This swap has been decided already."),
    RefusalReason.STALE_STATE: N_("This was done already, or no longer applies."),
    RefusalReason.DAY_PASSED: N_("This duty day has gone by (or the deputy checked in)."),
    RefusalReason.NOT_TODAY: N_("You can check in only on the duty day itself."),
    RefusalReason.ALREADY_LOCATED: N_("The place of this check-in is recorded already."),
    RefusalReason.SWAP_OPEN: N_("A swap of this day has been asked already."),
    RefusalReason.PARTNER_BUSY: N_("That deputy is on duty at the station that day already."),
    Problem.NOT_FOUND: N_("This duty day, swap or station no longer exists."),
    Problem.NOT_MANAGER: N_("Only the station's head or congress staff may change its roster."),
    Problem.NOT_MEMBER: N_("That deputy does not serve at this station."),
    Problem.NOT_DEPUTY: N_("Only deputies have duty days."),
    Problem.SAME_DEPUTY: N_("Ask another deputy of the station."),
    Problem.BAD_SHEET: N_("The sheet was refused; nothing was added."),
    "bad_pattern": N_("This weekly pattern cannot be used."),
}


def refusal_text(tr: Translator, reason: str | None) -> str:
    return tr(REFUSALS.get(reason or "", N_("This button is not for you.")))


# -- the roster (head, staff) ---------------------------------------------------------------------------


def roster_help(tr: Translator) -> str:
    return tr(
        "Send /roster followed by a station's code (e.g. /roster V0001) to see and change its duty roster."
    )


def not_manager(tr: Translator) -> str:
    return tr("Only a station's head or congress staff publish duty rosters.")


def unknown_station(tr: Translator, code: str) -> str:
    return tr("There is no station with the code {code}.", code=esc(code[:32]))


def station_choice(
    tr: Translator, stations: Sequence[Station], today: date
) -> tuple[str, InlineKeyboardMarkup]:
    ym = ym_of(today.year, today.month)
    rows = [
        [InlineKeyboardButton(f"{s.name} ({s.code})", callback_data=MonthPress(s.id, ym).pack())]
        for s in stations
    ]
    return tr("Which station's roster?"), InlineKeyboardMarkup(rows)


def _names(tr: Translator, entries: Sequence[tuple[Duty, str]]) -> str:
    return "、".join(esc(name) + (" ✅" if duty.checked_in_at else "") for duty, name in entries)


def month_text(tr: Translator, view: MonthView) -> str:
    lines = [
        tr(
            "📅 Duty roster of {station}, {month}",
            station=esc(view.station.name),
            month=f"{view.year}-{view.month:02d}",
        ),
        "",
    ]
    for day in sorted(view.days):
        marker = "👉 " if day == view.today else ""
        lines.append(
            f"{marker}{day.strftime('%m-%d')} ({weekday_name(tr, day)}): {_names(tr, view.days[day])}"
        )
    if not view.days:
        lines.append(tr("No duty days this month yet."))
    lines += ["", tr("✅ = checked in. Tap a deputy to add or remove their days.")]
    if not view.members:
        lines.append(tr("This station has no deputies in the network file."))
    return cut("\n".join(lines), MESSAGE_LIMIT)


def month_keyboard(tr: Translator, view: MonthView) -> InlineKeyboardMarkup:
    prev, nxt = roster.shift_month(view.year, view.month, -1), roster.shift_month(view.year, view.month, 1)
    sid = view.station.id
    rows = [
        [
            InlineKeyboardButton(
                f"◀️ {prev[0]}-{prev[1]:02d}", callback_data=MonthPress(sid, ym_of(*prev)).pack()
            ),
            InlineKeyboardButton(
                f"{nxt[0]}-{nxt[1]:02d} ▶️", callback_data=MonthPress(sid, ym_of(*nxt)).pack()
            ),
        ]
    ]
    ym = ym_of(view.year, view.month)
    buttons = [
        InlineKeyboardButton(f"✏️ {name}", callback_data=GridPress(sid, did, ym).pack())
        for did, name, _ in view.members
    ]
    rows += [buttons[i : i + 2] for i in range(0, min(len(buttons), 60), 2)]
    rows.append([InlineKeyboardButton(tr("📥 Import a sheet"), callback_data=ImportPress(sid).pack())])
    return InlineKeyboardMarkup(rows)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last day of the month."""
    nxt = roster.shift_month(year, month, 1)
    return date(year, month, 1), date(nxt[0], nxt[1], 1) - timedelta(days=1)


def grid_text(tr: Translator, station: Station, name: str, year: int, month: int) -> str:
    return tr(
        "🗓 {name} at {station}, {month}: tap a day to put it on the roster or take it off (✓ = on duty). "
        "🔁 adds that weekday for the rest of the month.",
        name=esc(name),
        station=esc(station.name),
        month=f"{year}-{month:02d}",
    )


def grid_keyboard(
    tr: Translator, station_id: int, deputy_id: int, year: int, month: int, on: set[date], today: date
) -> InlineKeyboardMarkup:
    nop = NopPress().pack()
    rows = [[InlineKeyboardButton(tr(w), callback_data=nop) for w in WEEKDAYS]]
    for week in roster.month_grid(year, month):
        row = []
        for day in week:
            if day is None:
                row.append(InlineKeyboardButton("·", callback_data=nop))
            elif day < today:
                row.append(
                    InlineKeyboardButton(("✓" if day in on else "") + f"{day.day}·", callback_data=nop)
                )
            else:
                label = f"✓{day.day}" if day in on else str(day.day)
                row.append(
                    InlineKeyboardButton(
                        label, callback_data=DayPress(station_id, deputy_id, day_number(day)).pack()
                    )
                )
        rows.append(row)
    ym = ym_of(year, month)
    rows.append(
        [
            InlineKeyboardButton("🔁" + tr(w), callback_data=WeeklyPress(station_id, deputy_id, ym, i).pack())
            for i, w in enumerate(WEEKDAYS)
        ]
    )
    rows.append(
        [InlineKeyboardButton(tr("⬅️ Back to the month"), callback_data=MonthPress(station_id, ym).pack())]
    )
    return InlineKeyboardMarkup(rows)


def toggled(tr: Translator, added: bool, count: int) -> str:
    if not added:
        return tr("Taken off the roster.")
    return (
        tr("Nothing new: those days are on the roster already.") if count == 0 else tr("Put on the roster.")
    )


def weekly_added(tr: Translator, count: int) -> str:
    return tr("Duty days put on the roster: {n}.", n=count)


def import_prompt(tr: Translator, station: Station) -> str:
    return tr(
        "Send the roster sheet as a file (CSV or XLSX), one row per duty: columns station, deputy and date "
        "(2026-03-10) — or, for a weekly pattern, station, deputy, weekday (1-7 from Monday), from and to. "
        "For example: {example}. All rows are checked first: if one is wrong, nothing is added. /cancel stops.",
        example=esc(f"{station.code},D0001,2026-03-10"),
    )


def import_needs_file(tr: Translator) -> str:
    return tr("Please send the roster sheet as a file (CSV or XLSX), or /cancel.")


def import_done(tr: Translator, result: ImportResult) -> str:
    if result.ok:
        return tr(
            "📥 Roster imported: {added} duty days added, {kept} were on the roster already.",
            added=result.added,
            kept=result.kept,
        )
    shown = [esc(p) for p in result.problems[:PROBLEM_TAIL]]
    more = len(result.problems) - len(shown)
    lines = [tr("The sheet was refused; nothing was added. Problems:"), *(f"• {p}" for p in shown)]
    if more > 0:
        lines.append(tr("… and {n} more problems.", n=more))
    return cut("\n".join(lines), MESSAGE_LIMIT)


# -- a deputy's days ------------------------------------------------------------------------------------


def deputy_days(
    tr: Translator, days: Sequence[DayView], today: date, zone: ZoneInfo, names: dict[int, str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/duty for a deputy: the coming days; today's with ✅ Check in, later ones with 🔁 Swap."""
    if not days:
        return tr("You have no duty days in the coming two months."), None
    lines = [tr("🗓 Your coming duty days:")]
    rows: list[list[InlineKeyboardButton]] = []
    swaps = 0
    for view in days:
        duty, line = view.duty, f"• {day_text(tr, view.duty.date)} — {esc(view.station.name)}"
        if duty.checked_in_at is not None:
            line += " " + tr(
                "✅ checked in at {time}", time=duty.checked_in_at.astimezone(zone).strftime("%H:%M")
            )
        elif view.swap is not None:
            line += " " + tr("🔁 swap asked of {name}", name=esc(names.get(view.swap.partner_deputy_id, "—")))
        lines.append(line)
        if duty.checked_in_at is None and duty.date == today:
            rows.append([InlineKeyboardButton(tr("✅ Check in"), callback_data=CheckInPress(duty.id).pack())])
        if duty.checked_in_at is None and view.swap is None and swaps < SHOWN_SWAPS:
            label = tr("🔁 Swap {day}", day=duty.date.strftime("%m-%d"))
            rows.append([InlineKeyboardButton(label, callback_data=SwapStartPress(duty.id).pack())])
            swaps += 1
    return cut("\n".join(lines), MESSAGE_LIMIT), InlineKeyboardMarkup(rows) if rows else None


def day_buttons(tr: Translator, duty: Duty) -> InlineKeyboardMarkup:
    """Under a reminder: ✅ Check in (on the day) and 🔁 Swap."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr("✅ Check in"), callback_data=CheckInPress(duty.id).pack())],
            [
                InlineKeyboardButton(
                    tr("🔁 Ask another deputy to swap"), callback_data=SwapStartPress(duty.id).pack()
                )
            ],
        ]
    )


def checked_in(tr: Translator, station: Station | None, at: datetime, zone: ZoneInfo) -> str:
    return tr(
        "✅ Checked in at {station}, {time}: this counts as a duty visit. You may share your location now "
        "(optional).",
        station=esc(station.name if station else "—"),
        time=at.astimezone(zone).strftime("%H:%M"),
    )


SKIP_LOCATION = N_("Skip")


def location_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(tr("📍 Share my location"), request_location=True)],
            [KeyboardButton(tr(SKIP_LOCATION))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def located(tr: Translator) -> str:
    return tr("📍 The place of your check-in is recorded.")


def not_located(tr: Translator) -> str:
    return tr("Fine: the check-in stands without a place.")


def partner_choice(
    tr: Translator, duty: Duty, partners: Sequence[tuple[int, str]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not partners:
        return tr("No other deputy serves at this station to swap with."), None
    rows = [
        [InlineKeyboardButton(name, callback_data=SwapAskPress(duty.id, did).pack())]
        for did, name in partners[:40]
    ]
    return tr(
        "Whom do you ask to take your duty on {day}?", day=day_text(tr, duty.date)
    ), InlineKeyboardMarkup(rows)


def swap_asked(tr: Translator, partner: str, day: date) -> str:
    return tr(
        "🔁 You asked {partner} to take your duty on {day}. You will hear when they answer.",
        partner=esc(partner),
        day=day_text(tr, day),
    )


def swap_cancel_keyboard(tr: Translator, swap_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("↩️ Withdraw the request"), callback_data=SwapPress(SwapAction.CANCEL, swap_id).pack()
                )
            ]
        ]
    )


ACTED: dict[SwapAction, str] = {
    SwapAction.ACCEPT: N_("You agreed to take the duty; the station's head decides."),
    SwapAction.DECLINE: N_("You declined."),
    SwapAction.APPROVE: N_("Approved: the duty day has changed hands."),
    SwapAction.REJECT: N_("Not approved: the duty stays as it was."),
    SwapAction.CANCEL: N_("You withdrew the request."),
}


def acted(tr: Translator, action: SwapAction) -> str:
    return tr(ACTED[action]) if action in ACTED else tr(REFUSALS[RefusalReason.STALE_STATE])


# -- a constituent's station ------------------------------------------------------------------------------


def no_station(tr: Translator) -> str:
    return tr(
        "You are not connected with a station yet: open your station's link, or send /start and share "
        "your location."
    )


def station_week(tr: Translator, station: Station, entries: Sequence[tuple[Duty, str]], today: date) -> str:
    """Who is on duty at the station today and the coming week (deputies' names are public)."""
    by_day: dict[date, list[tuple[Duty, str]]] = {}
    for duty, name in entries:
        by_day.setdefault(duty.date, []).append((duty, name))
    today_names = "、".join(esc(n) for _, n in by_day.get(today, []))
    lines = [tr("🏠 {station}", station=esc(station.name))]
    if today_names:
        lines.append(tr("On duty today: {names}", names=today_names))
    else:
        lines.append(tr("No deputy is on duty today."))
    later = sorted(d for d in by_day if d > today)
    if later:
        lines.append(tr("The coming week:"))
        lines += [f"• {day_text(tr, d)}: {'、'.join(esc(n) for _, n in by_day[d])}" for d in later]
    else:
        lines.append(tr("Nobody is on the roster for the coming week yet."))
    lines.append(tr("You can write to me at any time: your opinion reaches the deputy responsible."))
    return cut("\n".join(lines), MESSAGE_LIMIT)
