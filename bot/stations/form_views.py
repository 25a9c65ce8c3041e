"""How the /inspect form looks in chat: its prompts and keyboards at each step, the check card, the
problems said plainly. Rendering only; user text is escaped for HTML, the check card cut to Telegram's
limit (UTF-16 units)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import Translator
from bot.kit.text_limits import cut
from bot.runtime.replies import esc
from bot.stations.buttons import DayPress, DuePress, FormAction, FormPress, KindPress, StationPick, WhoPress
from bot.stations.forms import InspectionForm, Step
from bot.stations.records import InspectionOutcome, InspectionProblem
from bot.stations.standards import (
    DUE_CHOICES,
    KIND_LABELS,
    MAX_FINDINGS,
    MAX_ITEM_TEXT,
    InspectionKind,
    Invalid,
    Problem,
)
from bot.stations.views import Rows, fit_message, inline, short
from storage.models import Person, Station

# -- the /inspect form -------------------------------------------------------------------------------


def not_inspector(tr: Translator) -> str:
    return tr(
        "No station is assigned to you for inspection (分片包抓). The congress office assigns inspectors."
    )


def form_gone(tr: Translator) -> str:
    return tr("This inspection form is no longer open.")


def form_expired(tr: Translator) -> str:
    return tr("This inspection form has expired; send /inspect to start again.")


def cancel_row(tr: Translator, key: str) -> list[InlineKeyboardButton]:
    return [inline(tr("✖️ Cancel"), FormPress(FormAction.CANCEL, key).pack())]


def problem_text(tr: Translator, invalid: Invalid, today: date) -> str:
    match invalid.problem:
        case Problem.EMPTY:
            return tr("Please type some text.")
        case Problem.TOO_LONG:
            return tr(
                "That has {given} characters; please keep it to {limit}.",
                given=invalid.given,
                limit=invalid.limit,
            )
        case Problem.NOT_A_DATE:
            return tr("Please type the date as YYYY-MM-DD, for example {example}.", example=today.isoformat())
        case Problem.FUTURE:
            return tr("The day cannot be in the future (today is {today}).", today=today.isoformat())
        case Problem.TOO_OLD:
            return tr("That is more than {days} days ago; please check the date.", days=invalid.limit)
        case Problem.NOT_AFTER_TODAY:
            return tr("The deadline must be after today ({today}).", today=today.isoformat())
        case Problem.TOO_FAR:
            return tr("The deadline must be within {days} days.", days=invalid.limit)
        case Problem.NO_KIND:
            return tr("Tick at least one kind of inspection.")
        case Problem.TOO_MANY:
            return tr("That is the most this form takes ({limit}).", limit=invalid.limit)
        case Problem.NOT_OFFERED:
            return tr("Choose one of the buttons offered.")
        case _:
            return tr("This button is no longer valid.")


def _station_prompt(tr: Translator, form: InspectionForm, stations: Sequence[Station]) -> tuple[str, Rows]:
    rows = [[inline(short(s.name), StationPick(form.key, s.id).pack())] for s in stations[:20]]
    return tr("🔍 New inspection (分片包抓). Which station?"), rows


def _kinds_prompt(tr: Translator, form: InspectionForm) -> tuple[str, Rows]:
    rows = [
        [
            inline(
                ("☑️ " if k.value in form.kinds else "⬜ ") + tr(KIND_LABELS[k]), KindPress(form.key, k).pack()
            )
        ]
        for k in InspectionKind
    ]
    rows.append([inline(tr("➡️ Next"), FormPress(FormAction.NEXT, form.key).pack())])
    return tr("What did the inspection do? Tick each that applies, then press ➡️ Next."), rows


def _day_prompt(tr: Translator, form: InspectionForm, today: date) -> tuple[str, Rows]:
    yesterday = today - timedelta(days=1)
    rows = [
        [
            inline(tr("Today ({day})", day=today.isoformat()), DayPress(form.key, today.isoformat()).pack()),
            inline(
                tr("Yesterday ({day})", day=yesterday.isoformat()),
                DayPress(form.key, yesterday.isoformat()).pack(),
            ),
        ]
    ]
    return tr("On which day was the inspection? Press a button, or type the date as YYYY-MM-DD."), rows


def _due_prompt(tr: Translator, form: InspectionForm, today: date) -> tuple[str, Rows]:
    rows = [
        [
            inline(
                tr("+{n} days ({day})", n=n, day=(today + timedelta(days=n)).isoformat()),
                DuePress(form.key, n).pack(),
            )
            for n in DUE_CHOICES
        ]
    ]
    return tr("By when must it be fixed? Press a button, or type the date as YYYY-MM-DD."), rows


def _who_prompt(tr: Translator, form: InspectionForm, people: Sequence[Person]) -> tuple[str, Rows]:
    rows = [[inline(short(p.name), WhoPress(form.key, p.id).pack())] for p in people[:20]]
    if not people:
        return tr(
            "The station has no deputies to make responsible; press Cancel and ask the congress office."
        ), rows
    return tr("Who is responsible for fixing it?"), rows


def _items_prompt(tr: Translator, form: InspectionForm, names: dict[int, str]) -> tuple[str, Rows]:
    lines = [
        tr(
            "{n}. {text} — due {day} · {who}",
            n=n,
            text=esc(i["text"]),
            day=i["due_on"],
            who=esc(names.get(i["who"], "—")),
        )
        for n, i in enumerate(form.items, 1)
    ]
    head = tr(
        "Rectification list (整改清单): type one thing that must be fixed (up to {limit} characters), or "
        "press 🏁 No more items.",
        limit=MAX_ITEM_TEXT,
    )
    rows = [[inline(tr("🏁 No more items"), FormPress(FormAction.FINISH, form.key).pack())]]
    return "\n".join([head, *lines]), rows


def summary(tr: Translator, form: InspectionForm, station: Station | None, names: dict[int, str]) -> str:
    lines = [
        tr("Station: {name}", name=esc(station.name if station else "—")),
        tr("Day: {day}", day=form.held_on.isoformat() if form.held_on else "—"),
        tr("Inspection: {kinds}", kinds="、".join(tr(KIND_LABELS[InspectionKind(k)]) for k in form.kinds)),
        tr("Findings: {text}", text=esc(cut(form.findings or "", 1500))),
        tr("Files: {n}", n=len(form.files)),
        tr("Rectification items: {n}", n=len(form.items)),
    ]
    lines += [
        tr(
            "{n}. {text} — due {day} · {who}",
            n=n,
            text=esc(cut(i["text"], 200)),
            day=i["due_on"],
            who=esc(names.get(i["who"], "—")),
        )
        for n, i in enumerate(form.items, 1)
    ]
    return fit_message("\n".join(lines))


def prompt(
    tr: Translator,
    form: InspectionForm,
    *,
    today: date,
    stations: Sequence[Station] = (),
    station: Station | None = None,
    people: Sequence[Person] = (),
    names: dict[int, str] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """What the form asks at its current step, always with Cancel."""
    rows: Rows = []
    names = names or {}
    if form.step is Step.STATION:
        text, rows = _station_prompt(tr, form, stations)
    elif form.step is Step.KINDS:
        text, rows = _kinds_prompt(tr, form)
    elif form.step is Step.DAY:
        text, rows = _day_prompt(tr, form, today)
    elif form.step is Step.FINDINGS:
        text = tr("What did you find? Type the findings (up to {limit} characters).", limit=MAX_FINDINGS)
    elif form.step is Step.FILES:
        rows = [
            [
                inline(tr("➡️ Next"), FormPress(FormAction.NEXT, form.key).pack()),
                inline(tr("Skip"), FormPress(FormAction.SKIP, form.key).pack()),
            ]
        ]
        text = tr(
            "Send photos or documents taken at the inspection ({n} so far), then press ➡️ Next; or Skip.",
            n=len(form.files),
        )
    elif form.step is Step.ITEM:
        text, rows = _items_prompt(tr, form, names)
    elif form.step is Step.DUE:
        text, rows = _due_prompt(tr, form, today)
    elif form.step is Step.WHO:
        text, rows = _who_prompt(tr, form, people)
    else:
        text = tr("Please check the inspection:") + "\n\n" + summary(tr, form, station, names)
        rows = [[inline(tr("✅ Save"), FormPress(FormAction.SAVE, form.key).pack())]]
    rows.append(cancel_row(tr, form.key))
    return text, InlineKeyboardMarkup(rows)


def file_kept(tr: Translator, count: int) -> str:
    return tr("File kept ({n}). Send more, or press ➡️ Next.", n=count)


def wants_text(tr: Translator) -> str:
    return tr("The inspection form is waiting for a typed answer here. Type it, or press Cancel.")


def wants_press(tr: Translator) -> str:
    return tr("Press one of the buttons above, or Cancel.")


def wants_file(tr: Translator) -> str:
    return tr("Send a photo or a document, or press ➡️ Next.")


def inspection_refused(tr: Translator, outcome: InspectionOutcome, today: date) -> str:
    P = InspectionProblem
    if outcome.invalid is not None:
        return problem_text(tr, outcome.invalid, today)
    texts = {
        P.NOT_FOUND: tr("This station no longer exists."),
        P.NOT_INSPECTOR: tr("You are no longer an inspector of this station."),
        P.NO_KIND: tr("Tick at least one kind of inspection."),
        P.RESPONSIBLE: tr(
            "Item {n}: the responsible person must be a deputy of the station or staff.", n=outcome.index
        ),
        P.TOO_MANY: tr("Too many items or files for one inspection."),
    }
    return texts.get(outcome.problem or P.NOT_FOUND, tr("This button is no longer valid."))


def inspection_saved(tr: Translator, station: Station | None, items: int) -> str:
    return tr(
        "✅ Inspection of {station} saved, with {n} rectification item(s); the responsible people have been told.",
        station=esc(station.name if station else "—"),
        n=items,
    )
