"""How the reception diary looks in chat: the form's prompts and keyboards, the check card, the list of
recent receptions and the delete question, and the button kinds they carry.

Form buttons carry the form's key (a press from another or an older form is stale); list buttons the
reception's id. All of them are ephemeral: their format may change between releases.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import Translator
from bot.network.entities import Station
from bot.receptions import service as svc
from bot.receptions.entities import Reception
from bot.receptions.service import Form, Invalid, Problem, Step
from bot.runtime.replies import esc

MAX_STATION_BUTTONS = 8
BUTTON_CHARS = 40
NOTE_PREVIEW = 60
LIST_ARGS = frozenset({"list", "ls", "列表"})


class FormAction(enum.StrEnum):
    """The form's buttons that carry nothing but the form's key."""

    CODE = "code"  # another station: type its code
    SAVE = "ok"
    NOTE = "note"  # change the note
    CANCEL = "x"
    SKIP_PAPER = "sp"
    SKIP_NOTE = "sn"


@dataclass(frozen=True)
class FormPress(Button, prefix="rc"):
    """A form button; also the family's catch-all (its pattern matches every "rc…" data), so it is
    wired after the other kinds."""

    action: FormAction
    key: str


@dataclass(frozen=True)
class StationPress(Button, prefix="rc:st"):
    key: str
    station_id: int


@dataclass(frozen=True)
class DayPress(Button, prefix="rc:day"):
    key: str
    day: str  # YYYY-MM-DD


@dataclass(frozen=True)
class ListPress(Button, prefix="rc:ls"):
    """📋: the deputy's recent receptions."""


@dataclass(frozen=True)
class DeletePress(Button, prefix="rc:del"):
    """🗑 n: asks once more."""

    reception_id: int


@dataclass(frozen=True)
class DeleteConfirm(Button, prefix="rc:dy"):
    reception_id: int


@dataclass(frozen=True)
class KeepPress(Button, prefix="rc:dn"):
    """↩️ Keep it: the list again."""


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cancel_markup(tr: Translator, key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([cancel_row(tr, key)])


def cancel_row(tr: Translator, key: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(tr("✖️ Cancel"), callback_data=FormPress(FormAction.CANCEL, key).pack())]


def not_deputy(tr: Translator) -> str:
    return tr("Sorry, only deputies keep a reception diary.")


def draft_back(tr: Translator) -> str:
    return tr("Your unsent opinion draft is open again: what you write now joins it.")


def with_draft_back(tr: Translator, text: str, back: bool) -> str:
    """`text`, and the news that the kept opinion draft is open again when it is."""
    return text + ("\n" + draft_back(tr) if back else "")


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


# -- the form's prompts ---------------------------------------------------------------------------

Rows = list[list[InlineKeyboardButton]]


def station_prompt(tr: Translator, form: Form, stations: Sequence[Station]) -> tuple[str, Rows]:
    rows = [
        [InlineKeyboardButton(short(s.name, BUTTON_CHARS), callback_data=StationPress(form.key, s.id).pack())]
        for s in stations[:MAX_STATION_BUTTONS]
    ]
    rows.append(
        [
            InlineKeyboardButton(
                tr("Another station…"), callback_data=FormPress(FormAction.CODE, form.key).pack()
            ),
            InlineKeyboardButton(tr("📋 My recent receptions"), callback_data=ListPress().pack()),
        ]
    )
    text = (
        tr("At which station did you receive constituents? Press it, or type the station's code.")
        if stations
        else tr("At which station did you receive constituents? Type the station's code.")
    )
    return text, rows


def day_prompt(tr: Translator, form: Form, today: date) -> tuple[str, Rows]:
    yesterday = today - timedelta(days=1)
    rows = [
        [
            InlineKeyboardButton(
                tr("Today ({day})", day=today.isoformat()),
                callback_data=DayPress(form.key, today.isoformat()).pack(),
            ),
            InlineKeyboardButton(
                tr("Yesterday ({day})", day=yesterday.isoformat()),
                callback_data=DayPress(form.key, yesterday.isoformat()).pack(),
            ),
        ]
    ]
    return tr("On which day? Press a button, or type the date as YYYY-MM-DD."), rows


def skip_row(tr: Translator, form: Form, action: FormAction) -> Rows:
    return [[InlineKeyboardButton(tr("Skip"), callback_data=FormPress(action, form.key).pack())]]


def confirm_prompt(tr: Translator, form: Form, station: Station | None) -> tuple[str, Rows]:
    rows = [
        [
            InlineKeyboardButton(tr("✅ Save"), callback_data=FormPress(FormAction.SAVE, form.key).pack()),
            InlineKeyboardButton(
                tr("✏️ Change the note"), callback_data=FormPress(FormAction.NOTE, form.key).pack()
            ),
        ]
    ]
    text = (
        tr("Please check the reception record:")
        + "\n\n"
        + summary(tr, station, form.day, form.people, form.paper, form.note)
    )
    return text, rows


def prompt(
    tr: Translator,
    form: Form,
    *,
    today: date,
    stations: Sequence[Station] = (),
    station: Station | None = None,
    intro: str = "",
) -> tuple[str, InlineKeyboardMarkup]:
    """What the form asks at its current step (`stations`: the deputy's own, for the station step;
    `station`: the chosen one, for the check card), always with Cancel."""
    rows: Rows = []
    if form.step == Step.STATION:
        text, rows = station_prompt(tr, form, stations)
    elif form.step == Step.DAY:
        text, rows = day_prompt(tr, form, today)
    elif form.step == Step.PEOPLE:
        text = tr(
            "How many people did you receive? Type a number from {low} to {high}.",
            low=svc.MIN_PEOPLE,
            high=svc.MAX_PEOPLE,
        )
    elif form.step == Step.PAPER:
        rows = skip_row(tr, form, FormAction.SKIP_PAPER)
        text = tr(
            "How many opinions did you collect on paper? Type a number from 0 to {high}, or press Skip. "
            "(Opinions people send through this bot are counted on their own.)",
            high=svc.MAX_PAPER,
        )
    elif form.step == Step.NOTE:
        rows = skip_row(tr, form, FormAction.SKIP_NOTE)
        text = tr("Add a short note (up to {limit} characters), or press Skip.", limit=svc.MAX_NOTE)
    else:
        text, rows = confirm_prompt(tr, form, station)
    rows.append(cancel_row(tr, form.key))
    return (f"{intro}\n\n{text}" if intro else text), InlineKeyboardMarkup(rows)


def opening(tr: Translator, draft_kept: bool) -> str:
    """The first line of a new form."""
    intro = tr("📒 New reception record.")
    if draft_kept:
        intro += "\n" + tr("Your unsent opinion draft is kept; it comes back when you save or cancel this.")
    return intro


def expired(tr: Translator, back: bool) -> str:
    text = tr(
        "The reception form you started was closed after two hours without an answer; nothing was "
        "saved. Send /reception to start again."
    )
    return with_draft_back(tr, text, back)


def unknown_code(tr: Translator, typed: str) -> str:
    return tr(
        "There is no station with the code {code}. Press a station above, or type another code.",
        code=esc(short(typed.strip(), 32)),
    )


def saved_card(tr: Translator, reception: Reception, station: Station | None) -> str:
    return tr("✅ Reception saved.") + "\n\n" + row_summary(tr, reception, station)


def after_saving(tr: Translator, back: bool) -> str:
    follow = tr("Send /reception to record another one, or /reception list to see your recent ones.")
    return with_draft_back(tr, follow, back)


# -- the list and deleting ------------------------------------------------------------------------


def recent_list(
    tr: Translator, rows: Sequence[tuple[Reception, Station]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The deputy's recent receptions, numbered, with a 🗑 button each."""
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
        buttons.append(InlineKeyboardButton(f"🗑 {number}", callback_data=DeletePress(reception.id).pack()))
    lines += ["", tr("Press 🗑 with a record's number to delete it.")]
    markup = InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])
    return "\n".join(lines), markup


def delete_question(
    tr: Translator, reception: Reception, station: Station | None
) -> tuple[str, InlineKeyboardMarkup]:
    text = tr("Delete this reception?") + "\n\n" + row_summary(tr, reception, station)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr("🗑 Delete"), callback_data=DeleteConfirm(reception.id).pack()),
                InlineKeyboardButton(tr("↩️ Keep it"), callback_data=KeepPress().pack()),
            ]
        ]
    )
    return text, markup


def deleted(tr: Translator, reception: Reception, station: Station | None) -> str:
    return tr("🗑 Deleted:") + "\n\n" + row_summary(tr, reception, station)
