"""How 交办 looks in staff chat: the queue cards, the unit picker, and the answers to staff.

User text (titles, names, reasons) is escaped for HTML and cut; every string goes through the
presser's translator. The notices the units, the filer and the followers get are in views.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import Translator
from bot.kit.text_limits import cut
from bot.runtime.replies import esc
from bot.suggestions.assign import Pick
from bot.suggestions.buttons import PickAction, PickPress, PublishPress, QueueAction, QueuePress
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS, MAX_TERM_MONTHS
from bot.suggestions.filing_buttons import merge_button
from bot.suggestions.service import Suggestion
from bot.suggestions.views import category_label, jointly, state_label
from storage.models.suggestions import SuggestionState

__all__ = [
    "ask_codes",
    "ask_reason",
    "ask_term_reason",
    "ask_unit_reason",
    "empty_queue",
    "picker",
    "prepared",
    "published",
    "queue_card",
    "queue_footer",
    "refused",
    "returned",
    "type_reason",
    "unit_asked",
    "unknown_units",
]

TITLE_UNITS = 80


def empty_queue(tr: Translator) -> str:
    return tr("No suggestion awaits assignment (交办).")


def queue_card(
    tr: Translator, s: Suggestion, filer: str, group: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """One suggestion of the staff queue with Return, Assign and Merge (a returned one: Merge only);
    `group` is the deputy group that filed it jointly, if any."""
    text = tr(
        "<b>{number}</b> «{title}»\nDeputy: {filer} · {category}\n{state}",
        number=esc(s.number or "—"),
        title=esc(cut(s.title, TITLE_UNITS)),
        filer=esc(filer),
        category=category_label(tr, s.category),
        state=state_label(tr, s.state),
    )
    if group:
        text += "\n" + jointly(tr, esc(group))
    row = [
        InlineKeyboardButton(tr("↩️ Return"), callback_data=QueuePress(QueueAction.RETURN, s.id).pack()),
        InlineKeyboardButton(tr("📌 Assign"), callback_data=QueuePress(QueueAction.ASSIGN, s.id).pack()),
    ]
    if s.state == SuggestionState.RETURNED:  # back with its filer: only merging is left to staff
        row = []
    return text, InlineKeyboardMarkup([[*row, merge_button(tr, s)]])


def queue_footer(tr: Translator, prepared_count: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Below the cards: how many wait for the 交办会, and the button that publishes them."""
    if not prepared_count:
        return tr("Assign suggestions first; prepared ones are published together at the 交办会."), None
    button = InlineKeyboardButton(
        tr("📣 Publish {n} prepared", n=prepared_count), callback_data=PublishPress(prepared_count).pack()
    )
    text = tr(
        "{n} prepared suggestion(s) wait for the 交办会: publish them (or send /suggestions publish).",
        n=prepared_count,
    )
    return text, InlineKeyboardMarkup([[button]])


def ask_reason(tr: Translator, s: Suggestion) -> str:
    return tr(
        "Type why suggestion <b>{number}</b> goes back to its filer (they are told this reason), or /cancel.",
        number=esc(s.number or "—"),
    )


def type_reason(tr: Translator) -> str:
    return tr("Please type the reason as text, or /cancel.")


def returned(tr: Translator, s: Suggestion) -> str:
    return tr("↩️ Suggestion <b>{number}</b> was returned to its filer.", number=esc(s.number or "—"))


def picker(
    tr: Translator, s: Suggestion, pick: Pick, names: Mapping[int, str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The unit picker: ⭐ lead, ➕ co-unit toggles for each candidate, the term, codes, OK."""
    lead = esc(names.get(pick.lead, "—")) if pick.lead is not None else "—"
    co = ", ".join(esc(names.get(u, "?")) for u in pick.co) or tr("none")
    text = tr(
        "📌 Assign <b>{number}</b> «{title}» ({category})\nLead unit: {lead}\nCo-units: {co}\nTerm: {months} "
        "months{reason}\n\nThe 归口 table proposes the units below: ⭐ makes one the lead, ➕ adds or removes a "
        "co-unit. Any unit can be chosen by its code.",
        number=esc(s.number or "—"),
        title=esc(cut(s.title, TITLE_UNITS)),
        category=category_label(tr, s.category),
        lead=lead,
        co=co,
        months=pick.months,
        reason=f" ({esc(cut(pick.reason, 200))})" if pick.reason else "",
    )

    def press(action: PickAction, value: int) -> str:
        return PickPress(action, s.id, value).pack()

    rows: list[list[InlineKeyboardButton]] = []
    for unit_id in pick.proposed:
        name = cut(names.get(unit_id, "?"), 20)
        lead_mark = "⭐" if unit_id == pick.lead else "☆"
        co_mark = "✅" if unit_id in pick.co else "➕"
        rows.append(
            [
                InlineKeyboardButton(f"{lead_mark} {name}", callback_data=press(PickAction.LEAD, unit_id)),
                InlineKeyboardButton(f"{co_mark} {name}", callback_data=press(PickAction.CO, unit_id)),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                ("• " if m == pick.months else "") + tr("{n} mo.", n=m),
                callback_data=press(PickAction.TERM, m),
            )
            for m in range(DEFAULT_TERM_MONTHS, MAX_TERM_MONTHS + 1)
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(tr("⌨️ Unit codes"), callback_data=press(PickAction.CODES, 1)),
            InlineKeyboardButton(
                tr("🔁 Reassign") if pick.reassign else tr("✅ Prepare"),
                callback_data=press(PickAction.OK, 1),
            ),
            InlineKeyboardButton(tr("✖️ Cancel"), callback_data=press(PickAction.CANCEL, 1)),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


def ask_codes(tr: Translator) -> str:
    return tr("Type unit codes: the first leads, any others co-handle (e.g. U3 U1).")


def unknown_units(tr: Translator, codes: Sequence[str]) -> str:
    return tr("No unit has the code {codes}. Type the codes again.", codes=esc(" ".join(codes)))


def ask_term_reason(tr: Translator, months: int) -> str:
    return tr("A term of {n} months needs a reason: type it (it is recorded).", n=months)


def prepared(tr: Translator, s: Suggestion, lead: str) -> str:
    return tr(
        "✅ Suggestion <b>{number}</b> is prepared for {lead}; it is sent at the 交办会 (/suggestions publish).",
        number=esc(s.number or "—"),
        lead=esc(lead),
    )


def published(tr: Translator, numbers: Sequence[str]) -> str:
    if not numbers:
        return tr("No prepared suggestion to publish.")
    return tr(
        "📣 Published at the 交办会: {numbers}. The units have their cards.",
        numbers=", ".join(esc(n) for n in numbers),
    )


def ask_unit_reason(tr: Translator, s: Suggestion, not_ours: bool) -> str:
    if not_ours:
        return tr(
            "Type why suggestion <b>{number}</b> is not your unit's (staff decide; this can be asked once), "
            "or /cancel.",
            number=esc(s.number or "—"),
        )
    return tr(
        "Type why your unit needs more time on suggestion <b>{number}</b> (this can be asked once), or /cancel.",
        number=esc(s.number or "—"),
    )


def unit_asked(tr: Translator, s: Suggestion) -> str:
    return tr("📨 Sent to the congress office: suggestion <b>{number}</b>.", number=esc(s.number or "—"))


def refused(tr: Translator, detail: str) -> str:
    """A service refusal of an assignment request, said plainly."""
    if detail == "already_asked":
        return tr("Your unit has asked this once already.")
    if "three months" in detail:
        return tr("A term over three months needs a reason.")
    if detail.startswith("term"):
        return tr("The term must be 1–6 months.")
    return tr("This cannot be done now: the suggestion has changed, or it is not yours to assign.")
