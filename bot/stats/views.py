"""How /stats looks in chat: the summary, the by-month table or the stations at work, under the period
buttons that carry `StatsPress` (this month, last month, this year, all time, and the switches between
the three views).

A press edits the message it sits on; the figures are bot/stats/service.py's, the periods
bot/stats/periods.py's. Button data is untrusted: the handler checks the presser is staff and that a
typed period's days are real before anything is computed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.stats.periods import Period, day_number
from bot.stats.service import esc, period_title, render_chat
from bot.stats.station_texts import render_stations

__all__ = ["MAX_MONTHS", "StatsPress", "View", "keyboard", "render", "render_months"]

MAX_MONTHS = 36  # newest months shown in chat; a longer span is for `liaison stats` and the console
PERIOD_LABELS = (
    (Period.THIS_MONTH, N_("This month")),
    (Period.LAST_MONTH, N_("Last month")),
    (Period.THIS_YEAR, N_("This year")),
    (Period.ALL_TIME, N_("All time")),
)


class View(enum.StrEnum):
    SUMMARY = "s"
    MONTHS = "m"
    STATIONS = "t"  # the stations at work: duty visits, visitors, matters, problems resolved


@dataclass(frozen=True)
class StatsPress(Button, prefix="stat"):
    """A period or view button under /stats; a typed period (CUSTOM) carries its days as 8-digit
    numbers (20260131), None for an open bound."""

    period: Period
    view: View = View.SUMMARY
    start: int | None = None
    end: int | None = None


VIEW_LABELS = (
    (View.SUMMARY, N_("📊 Summary")),
    (View.MONTHS, N_("📅 By month")),
    (View.STATIONS, N_("🏠 Stations")),
)


def press_for(period: Period, view: View, start: date | None = None, end: date | None = None) -> StatsPress:
    """The button data for a period and view (the days only for a typed period)."""
    if period is not Period.CUSTOM:
        return StatsPress(period, view)
    return StatsPress(period, view, day_number(start), day_number(end))


def keyboard(
    tr: Translator, shown: Period, view: View, start: date | None = None, end: date | None = None
) -> InlineKeyboardMarkup:
    """The four periods (the one shown marked •) in two rows, then the switches to the other views."""

    def period_button(period: Period, label: str) -> InlineKeyboardButton:
        text = f"• {tr(label)}" if period is shown else tr(label)
        return InlineKeyboardButton(text, callback_data=press_for(period, view).pack())

    buttons = [period_button(period, label) for period, label in PERIOD_LABELS]
    switches = [
        InlineKeyboardButton(tr(label), callback_data=press_for(shown, other, start, end).pack())
        for other, label in VIEW_LABELS
        if other is not view
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:], switches])


def render_months(stats: dict[str, Any], tr: Translator) -> str:
    """The period month by month (local months of receipt), newest `MAX_MONTHS` at most (HTML)."""
    title = tr("{period}, by month", period=period_title(stats, tr))
    lines = [f"<b>{esc(title)}</b>"]
    months = stats["by_month"]
    if not months:
        return "\n".join([*lines, tr("No opinions were received in this period.")])
    if len(months) > MAX_MONTHS:
        lines.append(
            tr(
                "… {n} earlier months: see liaison stats or the web console.",
                n=len(months) - MAX_MONTHS,
            )
        )
        months = months[-MAX_MONTHS:]
    for row in months:
        lines.append(
            tr(
                "{month}: received {received}, handled {handled}, answered on time {on_time} of "
                "{answered}, resolved {resolved}",
                month=esc(row["key"]),
                received=row["received"],
                handled=row["handled"],
                on_time=row["answered_on_time"],
                answered=row["answered"],
                resolved=row["resolved"],
            )
        )
    return "\n".join(lines)


def render(
    tr: Translator,
    stats: dict[str, Any],
    period: Period,
    view: View,
    start: date | None = None,
    end: date | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The message for /stats and for each press: the chosen view of the figures, and the buttons."""
    if view is View.MONTHS:
        text = render_months(stats, tr)
    elif view is View.STATIONS:
        title = tr("{period}: stations at work", period=period_title(stats, tr))
        text = render_stations(stats["stations"], title, tr)
    else:
        text = render_chat(stats, tr)
    return text, keyboard(tr, period, view, start, end)
