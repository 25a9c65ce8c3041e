"""How stations look in chat: the /station card, the rules, the evidence prompts, the /inspect form's
prompts, a rectification item's card, the notices, and refusals said plainly. Rendering only; user text
is escaped for HTML and cut to Telegram's limits (UTF-16 units)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, cut, utf16_len
from bot.runtime.replies import esc
from bot.stations.buttons import (
    DayPress,
    DuePress,
    EvidenceDone,
    EvidencePress,
    FormAction,
    FormPress,
    ItemAction,
    ItemPress,
    KindPress,
    StationAction,
    StationPick,
    StationPress,
    WhoPress,
)
from bot.stations.forms import InspectionForm, Step
from bot.stations.lifecycle import STATE_LABELS, Action, RectificationState, Refusal, RefusalReason
from bot.stations.service import InspectionOutcome, InspectionProblem, ItemView, ProfileView, Relation
from bot.stations.standards import (
    DUE_CHOICES,
    KIND_LABELS,
    MAX_FINDINGS,
    MAX_ITEM_TEXT,
    STANDARD_LABELS,
    WEEKDAY_LABELS,
    InspectionKind,
    Invalid,
    Problem,
    StandardItem,
)
from storage.models import Person, Station

Rows = list[list[InlineKeyboardButton]]
BUTTON_CHARS = 40
ITEMS_ON_CARD = 10  # rectification items the /station card lists (the console lists them all)
ITEM_BUTTONS = {
    Action.REPORT: (N_("✅ #{id} Done"), ItemAction.REPORT),
    Action.CONFIRM: (N_("✅ #{id} Confirm"), ItemAction.CONFIRM),
    Action.REOPEN: (N_("↩️ #{id} Reopen"), ItemAction.REOPEN),
}


def short(text: str, limit: int = BUTTON_CHARS) -> str:
    return cut(text, limit)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


# -- the /station card -------------------------------------------------------------------------------


def not_related(tr: Translator) -> str:
    return tr(
        "Only the deputies of a station, its inspectors and the congress office can see a station's "
        "profile here."
    )


def no_stations(tr: Translator) -> str:
    return tr(
        "You are not a deputy or an inspector of any station. Staff can send /station followed by a code."
    )


def unknown_station(tr: Translator, code: str) -> str:
    return tr("There is no station with the code {code}.", code=esc(cut(code.strip(), 32)))


def item_line(tr: Translator, view: ItemView) -> str:
    item = view.item
    mark = "🔴" if view.overdue else ("✅" if item.state == RectificationState.CONFIRMED else "🛠")
    return tr(
        "{mark} #{id} {text} — due {day} · {state} · {who}",
        mark=mark,
        id=item.id,
        text=esc(cut(item.text, 120)),
        day=item.due_on.isoformat(),
        state=tr(STATE_LABELS[RectificationState(item.state)]),
        who=esc(view.responsible),
    )


def _profile_lines(tr: Translator, view: ProfileView) -> list[str]:
    station, profile = view.station, view.profile
    lines = [tr("🏠 <b>{name}</b> ({code})", name=esc(station.name), code=esc(station.code))]
    if profile is not None and profile.address:
        lines.append(tr("Address: {address}", address=esc(profile.address)))
    if station.latitude is not None and station.longitude is not None:
        point = f"{station.latitude:.5f}, {station.longitude:.5f}"
        lines.append(tr("Map point: {point}", point=point))
    hours = view.hours
    if hours or (profile is not None and profile.hours_note):
        lines.append(tr("Opening hours:"))
        lines += [f"  {tr(WEEKDAY_LABELS[day])} {esc(text)}" for day, text in hours.items()]
        if profile is not None and profile.hours_note:
            lines.append("  " + esc(profile.hours_note))
    lines.append(tr("Rules (制度): {n}", n=len(view.rules)))
    lines.append(tr("六有: {met} of 6 met", met=view.met))
    for s in view.standards:
        line = ("✅ " if s.met else "❌ ") + tr(STANDARD_LABELS[s.item])
        if s.files:
            line += " · " + tr("{n} file(s)", n=s.files)
        if s.note:
            line += " — " + esc(cut(s.note, 80))
        lines.append(line)
    lines.append(tr("Inspectors: {names}", names=esc("、".join(view.inspectors)) if view.inspectors else "—"))
    return lines


def station_card(tr: Translator, view: ProfileView) -> tuple[str, InlineKeyboardMarkup]:
    """A station's profile with its "六有", its inspectors and its rectification list (the items the
    viewer may act on carry their buttons)."""
    lines = _profile_lines(tr, view)
    pending = [v for v in view.items if v.item.state != RectificationState.CONFIRMED]
    lines.append("")
    lines.append(
        tr("Rectification list (整改清单): {n} to do", n=len(pending))
        if pending
        else tr("No open rectification items.")
    )
    shown = pending[:ITEMS_ON_CARD]
    lines += [item_line(tr, v) for v in shown]
    if len(pending) > len(shown):
        lines.append(tr("…and {n} more (see the web console).", n=len(pending) - len(shown)))
    sid = view.station.id
    rows: Rows = [[_button(tr("📜 Rules"), StationPress(StationAction.RULES, sid).pack())]]
    if view.station.latitude is not None:
        rows[0].append(_button(tr("📍 Map"), StationPress(StationAction.MAP, sid).pack()))
    if view.relations & {Relation.DEPUTY, Relation.STAFF}:
        rows[0].append(_button(tr("📎 Add evidence"), StationPress(StationAction.EVIDENCE, sid).pack()))
    for v in shown:
        row = [
            _button(tr(ITEM_BUTTONS[a][0], id=v.item.id), ItemPress(ITEM_BUTTONS[a][1], v.item.id).pack())
            for a in v.actions
            if a in ITEM_BUTTONS
        ]
        if row:
            rows.append(row)
    return _fit("\n".join(lines)), InlineKeyboardMarkup(rows)


def _fit(text: str) -> str:
    return text if utf16_len(text) <= MESSAGE_LIMIT else cut(text, MESSAGE_LIMIT)


def rules_texts(tr: Translator, view: ProfileView) -> list[str]:
    """The rules' texts, as many messages as they need."""
    if not view.rules:
        return [tr("{station} has no rules recorded yet.", station=esc(view.station.name))]
    head = tr("📜 Rules of {station}", station=esc(view.station.name))
    messages: list[str] = []
    current = head
    for number, rule in enumerate(view.rules, 1):
        block = f"<b>{number}. {esc(rule.title)}</b>" + (f"\n{esc(rule.body)}" if rule.body else "")
        block = (
            block
            if utf16_len(block) <= MESSAGE_LIMIT - 10
            else f"<b>{number}. {esc(rule.title)}</b>\n" + esc(cut(rule.body, 3000))
        )
        if utf16_len(current) + utf16_len(block) + 2 > MESSAGE_LIMIT:
            messages.append(current)
            current = block
        else:
            current += "\n\n" + block
    messages.append(current)
    return messages


# -- evidence in chat --------------------------------------------------------------------------------


def evidence_picker(tr: Translator, station: Station) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [_button(tr(STANDARD_LABELS[item]), EvidencePress(station.id, item).pack())] for item in StandardItem
    ]
    return tr(
        "Evidence for which of the 六有 of {station}?", station=esc(station.name)
    ), InlineKeyboardMarkup(rows)


def evidence_prompt(tr: Translator, station: Station, item: StandardItem) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "Send photos or documents as evidence of “{item}” at {station}; press ✅ Done when finished.",
        item=tr(STANDARD_LABELS[item]),
        station=esc(station.name),
    )
    return text, InlineKeyboardMarkup([[_button(tr("✅ Done"), EvidenceDone(station.id).pack())]])


def evidence_saved(tr: Translator, count: int, station_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = tr("Saved ({n} this time). Send more, or press ✅ Done.", n=count)
    return text, InlineKeyboardMarkup([[_button(tr("✅ Done"), EvidenceDone(station_id).pack())]])


def evidence_wants_file(tr: Translator) -> str:
    return tr("Send a photo or a document as evidence, or press ✅ Done.")


def evidence_done(tr: Translator, count: int) -> str:
    return tr("Evidence kept: {n} file(s). Send /station to see the station.", n=count)


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
    return [_button(tr("✖️ Cancel"), FormPress(FormAction.CANCEL, key).pack())]


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
    rows = [[_button(short(s.name), StationPick(form.key, s.id).pack())] for s in stations[:20]]
    return tr("🔍 New inspection (分片包抓). Which station?"), rows


def _kinds_prompt(tr: Translator, form: InspectionForm) -> tuple[str, Rows]:
    rows = [
        [
            _button(
                ("☑️ " if k.value in form.kinds else "⬜ ") + tr(KIND_LABELS[k]), KindPress(form.key, k).pack()
            )
        ]
        for k in InspectionKind
    ]
    rows.append([_button(tr("➡️ Next"), FormPress(FormAction.NEXT, form.key).pack())])
    return tr("What did the inspection do? Tick each that applies, then press ➡️ Next."), rows


def _day_prompt(tr: Translator, form: InspectionForm, today: date) -> tuple[str, Rows]:
    yesterday = today - timedelta(days=1)
    rows = [
        [
            _button(tr("Today ({day})", day=today.isoformat()), DayPress(form.key, today.isoformat()).pack()),
            _button(
                tr("Yesterday ({day})", day=yesterday.isoformat()),
                DayPress(form.key, yesterday.isoformat()).pack(),
            ),
        ]
    ]
    return tr("On which day was the inspection? Press a button, or type the date as YYYY-MM-DD."), rows


def _due_prompt(tr: Translator, form: InspectionForm, today: date) -> tuple[str, Rows]:
    rows = [
        [
            _button(
                tr("+{n} days ({day})", n=n, day=(today + timedelta(days=n)).isoformat()),
                DuePress(form.key, n).pack(),
            )
            for n in DUE_CHOICES
        ]
    ]
    return tr("By when must it be fixed? Press a button, or type the date as YYYY-MM-DD."), rows


def _who_prompt(tr: Translator, form: InspectionForm, people: Sequence[Person]) -> tuple[str, Rows]:
    rows = [[_button(short(p.name), WhoPress(form.key, p.id).pack())] for p in people[:20]]
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
    rows = [[_button(tr("🏁 No more items"), FormPress(FormAction.FINISH, form.key).pack())]]
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
    return _fit("\n".join(lines))


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
                _button(tr("➡️ Next"), FormPress(FormAction.NEXT, form.key).pack()),
                _button(tr("Skip"), FormPress(FormAction.SKIP, form.key).pack()),
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
        rows = [[_button(tr("✅ Save"), FormPress(FormAction.SAVE, form.key).pack())]]
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


# -- a rectification item ----------------------------------------------------------------------------


def item_card(
    tr: Translator, view: ItemView, station: Station | None, *, heading: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An item: what to fix, by when, by whom, its state and its last report or reopening; with the
    buttons the reader may press now."""
    item = view.item
    lines = [heading] if heading else []
    lines.append(
        tr("🛠 Rectification #{id} · {station}", id=item.id, station=esc(station.name if station else "—"))
    )
    lines.append(esc(cut(item.text, 1500)))
    due = tr("Due: {day}", day=item.due_on.isoformat()) + (" 🔴 " + tr("overdue") if view.overdue else "")
    lines += [due, tr("Responsible: {name}", name=esc(view.responsible))]
    lines.append(tr("State: {state}", state=tr(STATE_LABELS[RectificationState(item.state)])))
    if item.report_note and item.state != RectificationState.REOPENED:
        lines.append(tr("Report: {note}", note=esc(cut(item.report_note, 1000))))
    if item.reopen_reason and item.state == RectificationState.REOPENED:
        lines.append(tr("Reopened because: {reason}", reason=esc(cut(item.reopen_reason, 1000))))
    row = [
        _button(tr(ITEM_BUTTONS[a][0], id=item.id), ItemPress(ITEM_BUTTONS[a][1], item.id).pack())
        for a in view.actions
        if a in ITEM_BUTTONS
    ]
    return _fit("\n".join(lines)), (InlineKeyboardMarkup([row]) if row else None)


NOTICE_HEADINGS = {
    "rectification.assigned": N_("📋 An inspection of the station left you an item to fix:"),
    "rectification.reported": N_("📨 An item was reported done; please check it:"),
    "rectification.confirmed": N_("✅ This item is confirmed done:"),
    "rectification.reopened": N_("↩️ This item was reopened; please fix it again:"),
}


def notice_heading(tr: Translator, key: str, item_due: date, today: date) -> str | None:
    """The first line of a notice, or None for a key this module does not render."""
    if key == "rectification.due_tomorrow":
        if item_due <= today:
            return tr("⏰ Reminder: this item is due today ({day}).", day=item_due.isoformat())
        return tr("⏰ Reminder: this item is due tomorrow ({day}).", day=item_due.isoformat())
    heading = NOTICE_HEADINGS.get(key)
    return tr(heading) if heading is not None else None


def report_prompt(tr: Translator, item_id: int) -> str:
    return tr(
        "Item #{id}: send a note on what was done, or a photo (a caption is kept as the note).", id=item_id
    )


def reopen_prompt(tr: Translator, item_id: int) -> str:
    return tr(
        "Item #{id}: why is it not done? Type the reason; the responsible person is told it.", id=item_id
    )


def dialog_wants(tr: Translator, reopen: bool) -> str:
    if reopen:
        return tr("Type the reason as text, or send /cancel.")
    return tr("Send a note as text or a photo, or send /cancel.")


def item_refused(tr: Translator, refusal: Refusal | None, invalid: Invalid | None = None) -> str:
    """What a refused press or request says."""
    if invalid is not None:
        return tr(
            "That has {given} characters; please keep it to {limit}.",
            given=invalid.given,
            limit=invalid.limit,
        )
    R = RefusalReason
    reason = refusal.reason if refusal is not None else R.NOT_FOUND
    texts = {
        R.NOT_FOUND: tr("This rectification item does not exist."),
        R.NO_RELATION: tr(
            "Only the responsible person, the station's inspectors and staff can act on this item."
        ),
        R.NOT_PERMITTED: tr(
            "Only the responsible person, the station's inspectors and staff can act on this item."
        ),
        R.FINAL: tr("This item was confirmed done already."),
        R.STALE_STATE: tr("This item has moved on since; send /station to see it now."),
        R.EVIDENCE_REQUIRED: tr("Send a note or a photo of what was done."),
        R.REASON_REQUIRED: tr("Type the reason it is not done."),
    }
    return texts.get(reason, tr("This button is no longer valid."))


def acted(tr: Translator, action: Action) -> str:
    return {
        Action.REPORT: tr("Reported done; the inspector has been told."),
        Action.CONFIRM: tr("Confirmed."),
        Action.REOPEN: tr("Reopened; the responsible person has been told."),
    }.get(action, tr("Done."))
