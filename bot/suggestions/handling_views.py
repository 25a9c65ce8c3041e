"""How 办理 looks in chat: the officers' task card and list, the dialogs' prompts, the answers to presses,
and the labels and keyboards the notices share (`handling_notices` renders the notices themselves).
User text is escaped and cut in UTF-16 units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import cut
from bot.runtime.replies import esc
from bot.suggestions.buttons import (
    DecisionAction,
    DecisionPress,
    RateAction,
    RatePress,
    StepAction,
    StepPress,
    TaskAction,
    TaskPress,
    VerdictAction,
    VerdictPress,
)
from bot.suggestions.deadlines import MAX_TERM_MONTHS, WarningColour
from bot.suggestions.handling import (
    MAX_REASON,
    MAX_SUMMARY,
    ContactForm,
    ContactStage,
    ContactVerdict,
    TaskCard,
)
from bot.suggestions.handling_forms import Step, Work
from bot.suggestions.lifecycle import Refusal, RefusalReason
from bot.suggestions.results import RATING_LABELS, RESULT_LABELS, RESULT_MEANINGS, Rating, ResultClass
from bot.suggestions.service import MAX_TEXT, Notice, Suggestion
from bot.suggestions.views import (
    category_label,
    state_label,
    task_keyboard,
)
from storage.models.suggestions import SuggestionContact

__all__ = [
    "COLOUR_LABELS",
    "FORM_LABELS",
    "STAGE_LABELS",
    "card_button",
    "class_line",
    "param",
    "prompt",
    "rating_keyboard",
    "reason_line",
    "refused",
    "task_card",
    "unit_task_list",
    "verdict_keyboard",
]

TEXT_UNITS = 1500  # a suggestion's or an answer's text quoted in a notice
CARD_TEXT = 600  # the suggestion's text on the task card
CARD_CONTACTS = 5  # the newest contacts shown on the card
CARD_OPINIONS = 3  # and co-unit opinions: with the rest of the card, within one message

STAGE_LABELS: dict[str, str] = {
    ContactStage.BEFORE: N_("before handling (办前沟通)"),
    ContactStage.DURING: N_("during handling (办中协商)"),
    ContactStage.AFTER: N_("after handling (办后回访)"),
}
FORM_LABELS: dict[str, str] = {
    ContactForm.PHONE: N_("phone"),
    ContactForm.VISIT: N_("visit"),
    ContactForm.MEETING: N_("meeting"),
    ContactForm.OTHER: N_("other"),
}
VERDICT_LABELS: dict[str, str] = {
    ContactVerdict.PENDING: N_("⏳ awaiting the deputy"),
    ContactVerdict.CONFIRMED: N_("✅ confirmed"),
    ContactVerdict.DISPUTED: N_("❌ disputed"),
}
COLOUR_LABELS: dict[str, str] = {
    WarningColour.GREEN: N_("🟢 on time"),
    WarningColour.YELLOW: N_("🟡 due soon"),
    WarningColour.RED: N_("🔴 overdue"),
}
RATE_BUTTONS: tuple[tuple[RateAction, str], ...] = (
    (RateAction.SATISFIED, N_("😊 Satisfied")),
    (RateAction.BASIC, N_("🙂 Basically satisfied")),
    (RateAction.DISSATISFIED, N_("😞 Dissatisfied")),
)


def param(notice: Notice, key: str) -> str:
    """A notice parameter as plain text ("" when absent)."""
    value = notice.params.get(key)
    return "" if value is None else str(value)


def reason_line(tr: Translator, notice: Notice) -> str:
    reason = param(notice, "reason")
    return "\n" + tr("Reason: {reason}", reason=esc(cut(reason, MAX_REASON))) if reason else ""


def class_line(tr: Translator, klass: str, planned: str, reason: str = "") -> str:
    """«Result B: in plan — meaning», then B's planned day or C's reason."""
    if klass not in set(ResultClass):
        return ""
    k = ResultClass(klass)
    line = f"<b>{tr(RESULT_LABELS[k])}</b> — {tr(RESULT_MEANINGS[k])}"
    if k is ResultClass.B and planned:
        line += "\n" + tr("Planned by: {day}", day=esc(planned))
    if k is ResultClass.C and reason:
        line += "\n" + tr("Reason: {reason}", reason=esc(cut(reason, MAX_REASON)))
    return line


def card_button(tr: Translator, s: Suggestion) -> InlineKeyboardMarkup:
    """📋 the task card as it is now, under a notice to an officer."""
    data = TaskPress(TaskAction.CARD, s.id).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr("📋 Task card"), callback_data=data)]])


def rating_keyboard(tr: Translator, answer_id: int) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(tr(label), callback_data=RatePress(a, answer_id).pack())
        for a, label in RATE_BUTTONS
    ]
    return InlineKeyboardMarkup([row[:2], row[2:]])


def verdict_keyboard(tr: Translator, contact_id: int) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            tr("✅ Confirm"), callback_data=VerdictPress(VerdictAction.CONFIRM, contact_id).pack()
        ),
        InlineKeyboardButton(
            tr("❌ Dispute"), callback_data=VerdictPress(VerdictAction.DISPUTE, contact_id).pack()
        ),
    ]
    return InlineKeyboardMarkup([row])


# -- the officers' task card and list ---------------------------------------------------------------


def task_card(tr: Translator, card: TaskCard) -> tuple[str, InlineKeyboardMarkup | None]:
    """An officer's card: state, due day and colour, 三见面 with the deputy's verdicts, the co-units'
    opinions, the answers; the buttons the lifecycle allows the reader now."""
    s = card.suggestion
    colour = f" · {tr(COLOUR_LABELS[card.colour])}" if card.colour is not None else ""
    lines = [
        tr(
            "📋 <b>Suggestion {number}</b> «{title}» ({category})\nDeputy: {filer}\nLead unit: {lead} · Co-units: "
            "{co}\nState: {state}\nDue: {due}{colour}",
            number=esc(s.number or "—"),
            title=esc(s.title),
            category=category_label(tr, s.category),
            filer=esc(cut(card.filer, 30)),
            lead=esc(cut(card.lead, 30)),
            co=esc(cut(", ".join(card.co), 150)) or tr("none"),
            state=state_label(tr, s.state),
            due=esc(s.due_on.isoformat() if s.due_on else "—"),
            colour=colour,
        ),
        "",
        esc(cut(s.text, CARD_TEXT)),
        "",
        tr("🤝 Contacts (三见面):"),
    ]
    lines += [_contact_line(tr, c) for c in card.contacts[-CARD_CONTACTS:]] or [tr("none yet")]
    if card.opinions:
        lines += ["", tr("💬 Co-unit opinions:")]
        lines += [
            f"• {esc(cut(unit, 20))}: {esc(cut(o.text, 200))}" for unit, o in card.opinions[-CARD_OPINIONS:]
        ]
    for answer in card.answers[-3:]:
        rating = (
            tr(RATING_LABELS[Rating(answer.rating)]) if answer.rating in set(Rating) else tr("not rated yet")
        )
        lines.append(
            tr(
                "📨 Answer {round}: {klass} · {rating}",
                round=answer.round,
                klass=tr(RESULT_LABELS[ResultClass(answer.result_class)]),
                rating=rating,
            )
        )
    return "\n".join(lines), task_keyboard(tr, s, card.kinds)


def _contact_line(tr: Translator, c: SuggestionContact) -> str:
    """• stage · day · form: summary — the deputy's verdict (and a dispute's reason)."""
    line = "• {stage} · {day} · {form}: {summary} — {verdict}".format(
        stage=tr(STAGE_LABELS.get(c.stage, N_("other"))),
        day=esc(c.held_on.isoformat()),
        form=tr(FORM_LABELS.get(c.form, N_("other"))),
        summary=esc(cut(c.summary, 100)),
        verdict=tr(VERDICT_LABELS.get(c.verdict, VERDICT_LABELS[ContactVerdict.PENDING])),
    )
    return line + (f" ({esc(cut(c.verdict_reason, 60))})" if c.verdict_reason else "")


def unit_task_list(tr: Translator, rows: Sequence[Suggestion]) -> tuple[str, InlineKeyboardMarkup | None]:
    """/suggestions for an officer: the unit's suggestions with a button to open each card."""
    if not rows:
        return tr("Your unit has no suggestion to handle now."), None
    lines = [tr("📋 <b>Your unit's suggestions</b>")]
    buttons = []
    for s in rows:
        due = s.due_on.isoformat() if s.due_on else "—"
        lines.append(f"{esc(s.number or '—')} · {esc(cut(s.title, 50))} · {state_label(tr, s.state)} · {due}")
        data = TaskPress(TaskAction.CARD, s.id).pack()
        buttons.append(InlineKeyboardButton(f"📋 {s.number or s.id}", callback_data=data))
    return "\n".join(lines), InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


# -- the dialogs' prompts ----------------------------------------------------------------------------

_PROMPTS: dict[Step, str] = {
    Step.STAGE: N_(
        "🤝 Record a contact with the deputy (三见面) on suggestion <b>{number}</b>: which stage?"
    ),
    Step.FORM: N_("How did it take place?"),
    Step.DAY: N_("On which day? Type it as 2026-03-05, or press Today."),
    Step.SUMMARY: N_(
        "Type a short summary of the contact (at most {max} characters); the deputy is asked to confirm it."
    ),
    Step.CLASS: N_("📝 Answer suggestion <b>{number}</b>: choose the result class."),
    Step.TEXT: N_("Type the answer's text (at most {max} characters)."),
    Step.PLANNED: N_("A B answer names the planned day the matter will be solved by: type it as 2026-12-31."),
    Step.REASON: N_(
        "A C answer gives the reason it cannot be solved now: type it (at most {max} characters)."
    ),
}


def _step_button(
    tr: Translator, action: StepAction, sid: int, label: str, value: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=StepPress(action, sid, value).pack())


def prompt(tr: Translator, work: Work, s: Suggestion) -> tuple[str, InlineKeyboardMarkup]:
    """What the officer's dialog asks now, with the step's buttons and Cancel."""
    sid = work.suggestion_id
    cancel = [_step_button(tr, StepAction.CANCEL, sid, tr("✖️ Cancel"))]
    rows: list[list[InlineKeyboardButton]] = []
    if work.step is Step.ATTACH:
        return _preview(tr, work, s), InlineKeyboardMarkup(
            [[_step_button(tr, StepAction.SEND, sid, tr("✅ Send"))], cancel]
        )
    if work.step is Step.TEXT and work.kind == "opinion":
        text = tr(
            "💬 Type your unit's opinion on suggestion <b>{number}</b> for the lead unit (at most {max} characters).",
            number=esc(s.number or "—"),
            max=MAX_TEXT,
        )
        return text, InlineKeyboardMarkup([cancel])
    limits = {Step.SUMMARY: MAX_SUMMARY, Step.TEXT: MAX_TEXT, Step.REASON: MAX_REASON}
    text = tr(_PROMPTS[work.step], number=esc(s.number or "—"), max=limits.get(work.step, 0))
    if work.step is Step.STAGE:
        rows = [[_step_button(tr, StepAction.STAGE, sid, tr(label), v)] for v, label in STAGE_LABELS.items()]
    elif work.step is Step.FORM:
        row = [_step_button(tr, StepAction.FORM, sid, tr(label), v) for v, label in FORM_LABELS.items()]
        rows = [row[:2], row[2:]]
    elif work.step is Step.DAY:
        rows = [[_step_button(tr, StepAction.TODAY, sid, tr("📅 Today"))]]
    elif work.step is Step.CLASS:
        rows = [[_step_button(tr, StepAction.CLASS, sid, tr(RESULT_LABELS[k]), k.value)] for k in ResultClass]
        text += "\n" + "\n".join(f"• {tr(RESULT_LABELS[k])} — {tr(RESULT_MEANINGS[k])}" for k in ResultClass)
    return text, InlineKeyboardMarkup([*rows, cancel])


def _preview(tr: Translator, work: Work, s: Suggestion) -> str:
    """Before Send: the answer (or opinion) as it will go, and how to attach files."""
    head = tr("Your answer to suggestion <b>{number}</b>:", number=esc(s.number or "—"))
    if work.kind == "opinion":
        head = tr("Your unit's opinion on suggestion <b>{number}</b>:", number=esc(s.number or "—"))
    klass = class_line(tr, work.result_class, work.planned_on, work.reason) if work.kind == "answer" else ""
    parts = [head, klass, esc(cut(work.text, TEXT_UNITS)), ""]
    parts.append(
        tr(
            "📎 Attached: {n}. Send photos or documents to attach them, then press Send.",
            n=len(work.attachments),
        )
    )
    return "\n".join(p for p in parts if p is not None)


def ask_dispute(tr: Translator) -> str:
    return tr(
        "Type why you dispute this contact (the unit and the supervising committee see it), or /cancel."
    )


def ask_dissatisfied(tr: Translator) -> str:
    return tr("Type why the answer does not satisfy you (the unit and the committee see it), or /cancel.")


def ask_months(tr: Translator, s: Suggestion) -> tuple[str, InlineKeyboardMarkup]:
    """Staff grant more time: the new term, counted from assignment (longer, six months at most)."""
    current = s.term_months or 3
    row = [
        InlineKeyboardButton(
            tr("{n} mo.", n=m), callback_data=DecisionPress(DecisionAction.MONTHS, s.id, m).pack()
        )
        for m in range(current + 1, MAX_TERM_MONTHS + 1)
    ]
    text = tr(
        "⏳ Suggestion <b>{number}</b> has a term of {n} months from assignment (due {due}). Choose the new term:",
        number=esc(s.number or "—"),
        n=current,
        due=esc(s.due_on.isoformat() if s.due_on else "—"),
    )
    return text, InlineKeyboardMarkup([row] if row else [])


def ask_decision_reason(tr: Translator, s: Suggestion) -> str:
    return tr(
        "Type the reason for your decision on suggestion <b>{number}</b> (the unit is told it), or /cancel.",
        number=esc(s.number or "—"),
    )


def type_text(tr: Translator) -> str:
    return tr("Please type it as text, or /cancel.")


def attached(tr: Translator, count: int) -> str:
    return tr("📎 Attached ({n}). Send more, or press Send.", n=count)


def cancelled(tr: Translator) -> str:
    return tr("Cancelled; nothing was sent.")


def expired(tr: Translator) -> str:
    return tr("That dialog has expired; open the task card to start again.")


# -- answers to the presser -------------------------------------------------------------------------


def signed(tr: Translator) -> str:
    return tr("✍️ Signed for: your unit is handling it.")


def contact_recorded(tr: Translator, s: Suggestion) -> str:
    return tr(
        "🤝 Contact recorded on suggestion <b>{number}</b>; the deputy is asked to confirm it.",
        number=esc(s.number or "—"),
    )


def answer_sent(tr: Translator, s: Suggestion) -> str:
    return tr("📨 Answer to suggestion <b>{number}</b> sent to the deputy.", number=esc(s.number or "—"))


def opinion_sent(tr: Translator, s: Suggestion) -> str:
    return tr(
        "💬 Your unit's opinion on suggestion <b>{number}</b> went to the lead unit.",
        number=esc(s.number or "—"),
    )


def verdict_given(tr: Translator, confirmed: bool) -> str:
    return tr("✅ You confirmed this contact.") if confirmed else tr("❌ You disputed this contact.")


def rated(tr: Translator, s: Suggestion, rating: Rating) -> str:
    text = tr(
        "Your rating of the answer to suggestion <b>{number}</b>: {rating}.",
        number=esc(s.number or "—"),
        rating=tr(RATING_LABELS[rating]),
    )
    if rating is Rating.DISSATISFIED:
        if s.state == "rehandling":
            return (
                text
                + "\n"
                + tr("It goes back to the unit to be handled again, due {due}.", due=esc(str(s.due_on)))
            )
        return text + "\n" + tr("The congress office reviews it now.")
    return text + "\n" + tr("The suggestion is closed (销号). Thank you.")


def decided(tr: Translator, s: Suggestion) -> str:
    return tr(
        "✅ Done: suggestion <b>{number}</b> is now «{state}», due {due}.",
        number=esc(s.number or "—"),
        state=state_label(tr, s.state),
        due=esc(s.due_on.isoformat() if s.due_on else "—"),
    )


_REFUSALS: Mapping[RefusalReason, str] = {
    RefusalReason.NO_RELATION: N_("This is not yours to do."),
    RefusalReason.NOT_PERMITTED: N_("This is not yours to do."),
    RefusalReason.UNKNOWN_ACTION: N_("This cannot be done now: the suggestion has moved on."),
    RefusalReason.FINAL: N_("This cannot be done now: the suggestion has moved on."),
    RefusalReason.STALE_STATE: N_("This cannot be done now: the suggestion has moved on."),
    RefusalReason.ALREADY_ANSWERED: N_("This has been answered already."),
    RefusalReason.ALREADY_ASKED: N_("Your unit has asked this once already."),
    RefusalReason.REASON_REQUIRED: N_("Please give a reason."),
    RefusalReason.ANSWER_INVALID: N_(
        "The answer is incomplete: a B answer needs a planned day from today on, a C answer a reason."
    ),
    RefusalReason.TERM_INVALID: N_(
        "The new term must be longer than the current one and at most six months."
    ),
    RefusalReason.UNITS_INVALID: N_("Choose a lead unit that is not also a co-unit."),
}
_INVALID: Mapping[str, str] = {
    "date": N_("That day is not possible: not in the future, nor before the suggestion was filed."),
    "date_format": N_("Please type the day as 2026-03-05."),
    "empty": N_("Please type some text."),
    "too_long": N_("That is too long."),
    "attachments": N_("That is more than can be attached."),
    "same_lead": N_("That unit leads it already; choose another lead unit."),
    "unknown_unit": N_("No such unit: choose the units again."),
    "wrong_step": N_("This button is no longer valid."),
}


def refused(tr: Translator, refusal: Refusal | None) -> str:
    """A refusal said plainly (the alert of a refused press, or the reply to a typed step)."""
    if refusal is None:
        return tr(_REFUSALS[RefusalReason.STALE_STATE])
    if refusal.reason is RefusalReason.INVALID_ARGUMENT:
        return tr(_INVALID.get(refusal.detail, _INVALID["wrong_step"]))
    if refusal.reason is RefusalReason.STALE_STATE and refusal.detail.startswith(
        "co_opinion not from assigned"
    ):
        return tr("The lead unit has not signed for it yet; send your opinion once it has.")
    if refusal.detail == "old_answer":
        return tr("A newer answer has come; rate that one.")
    return tr(_REFUSALS.get(refusal.reason, _REFUSALS[RefusalReason.STALE_STATE]))


def problem(tr: Translator, code: str) -> str:
    """A dialog step's problem code (`date`, `empty`, …) said plainly."""
    return tr(_INVALID.get(code, _INVALID["wrong_step"]))
