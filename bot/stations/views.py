"""How stations look in chat: the /station card, the rules, the evidence prompts, the /inspect form's
prompts, a rectification item's card, the notices, and refusals said plainly. Rendering only; user text
is escaped for HTML and cut to Telegram's limits (UTF-16 units)."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, cut, utf16_len
from bot.runtime.replies import esc
from bot.stations.buttons import (
    EvidenceDone,
    EvidencePress,
    ItemAction,
    ItemPress,
    StationAction,
    StationPress,
)
from bot.stations.lifecycle import STATE_LABELS, Action, RectificationState, Refusal, RefusalReason
from bot.stations.records import ItemView, ProfileView, Relation
from bot.stations.standards import (
    STANDARD_LABELS,
    WEEKDAY_LABELS,
    Invalid,
    StandardItem,
)
from storage.models import Station

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


def inline(text: str, data: str) -> InlineKeyboardButton:
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
    rows: Rows = [[inline(tr("📜 Rules"), StationPress(StationAction.RULES, sid).pack())]]
    if view.station.latitude is not None:
        rows[0].append(inline(tr("📍 Map"), StationPress(StationAction.MAP, sid).pack()))
    if view.relations & {Relation.DEPUTY, Relation.STAFF}:
        rows[0].append(inline(tr("📎 Add evidence"), StationPress(StationAction.EVIDENCE, sid).pack()))
    for v in shown:
        row = [
            inline(tr(ITEM_BUTTONS[a][0], id=v.item.id), ItemPress(ITEM_BUTTONS[a][1], v.item.id).pack())
            for a in v.actions
            if a in ITEM_BUTTONS
        ]
        if row:
            rows.append(row)
    return fit_message("\n".join(lines)), InlineKeyboardMarkup(rows)


def fit_message(text: str) -> str:
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
        [inline(tr(STANDARD_LABELS[item]), EvidencePress(station.id, item).pack())] for item in StandardItem
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
    return text, InlineKeyboardMarkup([[inline(tr("✅ Done"), EvidenceDone(station.id).pack())]])


def evidence_saved(tr: Translator, count: int, station_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = tr("Saved ({n} this time). Send more, or press ✅ Done.", n=count)
    return text, InlineKeyboardMarkup([[inline(tr("✅ Done"), EvidenceDone(station_id).pack())]])


def evidence_wants_file(tr: Translator) -> str:
    return tr("Send a photo or a document as evidence, or press ✅ Done.")


def evidence_done(tr: Translator, count: int) -> str:
    return tr("Evidence kept: {n} file(s). Send /station to see the station.", n=count)


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
        inline(tr(ITEM_BUTTONS[a][0], id=item.id), ItemPress(ITEM_BUTTONS[a][1], item.id).pack())
        for a in view.actions
        if a in ITEM_BUTTONS
    ]
    return fit_message("\n".join(lines)), (InlineKeyboardMarkup([row]) if row else None)


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
