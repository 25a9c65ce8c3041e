"""How the suggestion chat looks: the /suggest form's prompts, the co-signer's card, the notices, the list.

User text (titles, texts, names) is escaped for HTML and cut to fit in UTF-16 units; every string goes
through the recipient's translator. `filing_notice` and `assignment_notice` render the notices of
提出 and 交办 (`bot.suggestions.notices` asks them in turn and queues what they render).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import cut
from bot.opinions.drafts import CATEGORIES
from bot.runtime.replies import esc
from bot.suggestions.buttons import (
    CategoryPress,
    CosignAction,
    CosignPress,
    DecisionAction,
    DecisionPress,
    FormAction,
    FormPress,
    TaskAction,
    TaskPress,
    UnitAction,
    UnitPress,
)
from bot.suggestions.filing_buttons import GroupPress, filer_keyboard
from bot.suggestions.forms import Form, GroupChoice, Problem, Step
from bot.suggestions.lifecycle import STATE_LABELS, Action, ActorKind, allowed_actions
from bot.suggestions.service import MAX_TEXT, MAX_TITLE, Notice, Suggestion
from storage.models.suggestions import SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = [
    "NoticeContext",
    "Rendered",
    "assignment_notice",
    "attached",
    "cancelled",
    "category_label",
    "cosign_answered",
    "expired",
    "filed",
    "filing_notice",
    "not_deputy",
    "problem_text",
    "prompt",
    "suggestion_list",
    "unit_names",
    "unknown_codes",
    "waiting",
    "with_draft_back",
]

TEXT_UNITS = 1500  # the text quoted on a card or preview: the rest is the filer's
_PROMPTS = {
    Step.DEPUTY: N_(
        "📄 <b>Filing a deputy's paper suggestion</b>: on behalf of which deputy? Type their code (e.g. D2) "
        "or part of their name."
    ),
    Step.TITLE: N_("Type the suggestion's title (at most {max} characters)."),
    Step.TEXT: N_(
        "Type the suggestion's text: the problem, its causes and what you suggest (at most {max} characters)."
    ),
    Step.CATEGORY: N_("Choose the suggestion's category:"),
    Step.COSIGNERS: N_(
        "Co-signers (附议/联名): type the codes of other deputies, separated by spaces (e.g. D2 D3), "
        "or press Skip."
    ),
    Step.ATTACH: N_(
        "Attachments (photos, documents, research notes): send them now, then press Next; or press Next "
        "to file without any."
    ),
}
_PROBLEMS = {
    Problem.EMPTY: N_("Please type some text."),
    Problem.TOO_LONG: N_("That is too long: at most {max} characters."),
    Problem.CATEGORY: N_("Please choose one of the categories shown."),
    Problem.WRONG_STEP: N_("This button is no longer valid."),
    Problem.TOO_MANY: N_("That is more than this suggestion can take."),
}


def category_label(tr: Translator, code: str | None) -> str:
    return tr(CATEGORIES[code]) if code in CATEGORIES else esc(code or "—")


def state_label(tr: Translator, state: str) -> str:
    return tr(STATE_LABELS[SuggestionState(state)])


def _cancel_row(tr: Translator, key: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(tr("✖️ Cancel"), callback_data=FormPress(FormAction.CANCEL, key).pack())]


def prompt(
    tr: Translator, form: Form, intro: str = "", groups: Sequence[GroupChoice] = ()
) -> tuple[str, InlineKeyboardMarkup]:
    """What the form asks at its current step, with that step's buttons (at the co-signer step, one
    per deputy group the filer may file jointly with)."""
    rows: list[list[InlineKeyboardButton]] = []
    if form.step is Step.PREVIEW:
        return preview(tr, form)
    limit = MAX_TITLE if form.step is Step.TITLE else MAX_TEXT
    text = tr(_PROMPTS[form.step], max=limit)
    if form.step is Step.CATEGORY:
        buttons = [
            InlineKeyboardButton(
                ("✓ " if code == form.category and form.refile_id is not None else "") + tr(label),
                callback_data=CategoryPress(form.key, code).pack(),
            )
            for code, label in CATEGORIES.items()
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if form.step is Step.COSIGNERS and groups:
        text += "\n" + tr(
            "Or file jointly with one of your deputy groups (专业小组联名): all its members are asked."
        )
        rows = [[_group_button(tr, form, group)] for group in groups]
    if form.step in (Step.COSIGNERS, Step.ATTACH) or form.keeps():
        labels = {Step.COSIGNERS: tr("⏭ Skip"), Step.ATTACH: tr("➡️ Next"), Step.TEXT: tr("✔️ Keep this text")}
        label = labels.get(form.step, tr("✔️ Keep it"))
        rows.append([InlineKeyboardButton(label, callback_data=FormPress(FormAction.SKIP, form.key).pack())])
        text += _kept(tr, form)
    rows.append(_cancel_row(tr, form.key))
    return (f"{intro}\n\n{text}" if intro else text), InlineKeyboardMarkup(rows)


def _group_button(tr: Translator, form: Form, group: GroupChoice) -> InlineKeyboardButton:
    label = tr(
        "👥 Jointly with {group} ({n} members)", group=cut(group.name, 30), n=len(group.person_ids) + 1
    )
    return InlineKeyboardButton(label, callback_data=GroupPress(form.key, group.group_id).pack())


def _kept(tr: Translator, form: Form) -> str:
    """What Keep carries on, shown under the prompt."""
    if form.step is Step.TEXT and form.refile_id is not None:
        return "\n\n" + tr("The current text:\n\n{text}", text=esc(cut(form.text, TEXT_UNITS)))
    if form.step is Step.TEXT and form.text:
        return "\n\n" + tr(
            "The opinion's text, as it would be filed:\n\n{text}", text=esc(cut(form.text, TEXT_UNITS))
        )
    if form.step is Step.TITLE and form.keeps():
        return "\n\n" + tr("The current title: {title}", title=esc(form.title))
    if form.step is Step.CATEGORY and form.keeps():
        return "\n\n" + tr("The current category: {category}", category=category_label(tr, form.category))
    return ""


def opening(tr: Translator, tracking_no: str | None = None) -> str:
    if tracking_no is None:
        return tr("📝 <b>New suggestion</b> (代表建议)")
    return tr(
        "📝 <b>New suggestion</b> from opinion <b>{tracking_no}</b>: its text and category are filled in, "
        "and its sender will be told the suggestion's number.",
        tracking_no=esc(tracking_no),
    )


def preview(tr: Translator, form: Form) -> tuple[str, InlineKeyboardMarkup]:
    names = ", ".join(esc(n) for n in form.cosigner_names) or tr("none")
    text = _preview_head(tr, form) + tr(
        "Please check your suggestion:\n\n<b>{title}</b>\nCategory: {category}\nCo-signers: {cosigners}\n"
        "Attachments: {attachments}\n\n{text}",
        title=esc(form.title),
        category=category_label(tr, form.category),
        cosigners=names,
        attachments=len(form.attachments),
        text=esc(cut(form.text, TEXT_UNITS)),
    )
    label = tr("✅ File again") if form.refile_id is not None else tr("✅ File")
    file_button = InlineKeyboardButton(label, callback_data=FormPress(FormAction.FILE, form.key).pack())
    return text, InlineKeyboardMarkup([[file_button], _cancel_row(tr, form.key)])


def _preview_head(tr: Translator, form: Form) -> str:
    """Above the preview: whose paper suggestion, which group files jointly, which number is revised."""
    lines = []
    if form.paper:
        lines.append(tr("📄 From paper, on behalf of deputy {name}.", name=esc(form.on_behalf_name)))
    if form.group_id is not None:
        lines.append(tr("👥 Filed jointly by the group {group}.", group=esc(form.group_name)))
    if form.refile_id is not None:
        lines.append(
            tr(
                "✏️ Revising {number}: it is filed again under the same number.",
                number=esc(form.refile_number),
            )
        )
    return "".join(line + "\n" for line in lines)


def problem_text(tr: Translator, problem: Problem | str) -> str:
    """A form problem, or a service refusal's detail code."""
    if isinstance(problem, Problem):
        limit = MAX_TEXT
        return tr(_PROBLEMS[problem], max=limit)
    if problem == "cosigner_is_filer":
        return tr("You cannot co-sign your own suggestion; type other deputies' codes.")
    if problem == "not_deputy":
        return not_deputy(tr)
    if problem == "opinion_already_suggested":
        return tr("This opinion has already become one of your suggestions.")
    if problem in ("not_group_member", "cosigner_not_in_group"):
        return tr("Only a group's members file jointly for it; send /suggest to start again.")
    return tr("This suggestion cannot be filed as it is; send /suggest to start again.")


def already_suggested(tr: Translator, suggestion: Suggestion) -> str:
    """Escalate pressed on an opinion that is already one of the deputy's suggestions."""
    number = suggestion.number or "—"
    return tr(
        "This opinion is already your suggestion {number} «{title}».",
        number=esc(number),
        title=esc(suggestion.title),
    )


def unknown_codes(tr: Translator, codes: Iterable[str]) -> str:
    return tr(
        "No deputy has the code {codes}. Type the codes again, or press Skip.", codes=esc(" ".join(codes))
    )


def not_deputy(tr: Translator) -> str:
    return tr("Only deputies file suggestions.")


def waiting(tr: Translator) -> str:
    return tr("The suggestion form is waiting for a typed answer. Type it, or press Cancel.")


def attached(tr: Translator, count: int) -> str:
    return tr("📎 Attached ({n}). Send more, or press Next.", n=count)


def cancelled(tr: Translator) -> str:
    return tr("Cancelled; nothing was filed.")


def with_draft_back(tr: Translator, text: str, back: bool) -> str:
    """`text`, and the news that the opinion draft the form kept is open again when it is."""
    return text + (
        "\n" + tr("Your unsent opinion draft is open again: what you write now joins it.") if back else ""
    )


def expired(tr: Translator) -> str:
    return tr("Your suggestion form has expired; send /suggest to start again.")


def filed(tr: Translator, suggestion: Suggestion, names: Sequence[str]) -> str:
    """The filer's answer to File: the number, or whom it waits for."""
    if suggestion.number is not None:
        return tr(
            "✅ Suggestion <b>{number}</b> filed: {title}. The congress office reviews it next.",
            number=esc(suggestion.number),
            title=esc(suggestion.title),
        )
    return tr(
        "📨 Suggestion «{title}» waits for its co-signers: {names}. It is filed and numbered when each "
        "has answered.",
        title=esc(suggestion.title),
        names=", ".join(esc(n) for n in names),
    )


def cosign_answered(tr: Translator, suggestion: Suggestion, confirmed: bool) -> str:
    """The co-signer's card after their answer (its buttons gone)."""
    if confirmed:
        return tr("✅ You co-signed the suggestion «{title}».", title=esc(suggestion.title))
    return tr("You declined to co-sign the suggestion «{title}».", title=esc(suggestion.title))


def suggestion_list(tr: Translator, suggestions: Sequence[Suggestion]) -> str:
    if not suggestions:
        return tr("You have filed no suggestions yet. Send /suggest to file one.")
    lines = [tr("📋 <b>Your suggestions</b>")]
    for s in suggestions:
        number = esc(s.number) if s.number else "—"
        lines.append(f"{number} · {esc(cut(s.title, 60))} · {state_label(tr, s.state)}")
    return "\n".join(lines)  # at most `LIST` lines of ≤ 60 characters each


# -- notices ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeContext:
    """What every notice of one outcome may show, read once: names are escaped already."""

    suggestion: Suggestion
    filer: str
    by: str  # who acted, "—" for the system
    units: tuple[str, list[str]]  # (lead unit's name, co-units' names)
    recipient: int  # the person the notice is rendered for
    group: str = ""  # the deputy group that filed it jointly, escaped; "" when none


Rendered = tuple[str, InlineKeyboardMarkup | None]


def filing_notice(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """提出: co-signing, filing, the staff queue (a renderer of `bot.suggestions.notices`)."""
    text, markup = _notice(tr, notice, ctx.suggestion, ctx.filer, ctx.by, ctx.recipient)
    if text is not None and ctx.group and notice.key in _GROUP_SHOWN:
        text = jointly(tr, ctx.group) + "\n" + text
    return None if text is None else (text, markup)


_GROUP_SHOWN = frozenset({"suggestion.cosign_invited", "suggestion.queued", "suggestion.assigned_lead"})


def jointly(tr: Translator, group: str) -> str:
    """The line that says a deputy group filed it jointly (专业小组联名); `group` is escaped."""
    return tr("👥 Filed jointly by the group {group}", group=group)


def assignment_notice(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """交办: returns, the units' task cards, the unit's requests to staff."""
    text = _assign_notice(tr, notice, ctx.suggestion, ctx.filer, ctx.units, ctx.recipient)
    if text is None:
        return None
    if ctx.group and notice.key in _GROUP_SHOWN:
        text = jointly(tr, ctx.group) + "\n" + text
    markup: InlineKeyboardMarkup | None = None
    if notice.key == "suggestion.assigned_lead":
        markup = task_keyboard(tr, ctx.suggestion, {ActorKind.LEAD_OFFICER})
    elif notice.key == "suggestion.assigned_co":
        markup = co_keyboard(tr, ctx.suggestion)
    elif notice.key in _DECISIONS:
        markup = decision_keyboard(tr, ctx.suggestion, _DECISIONS[notice.key])
    elif notice.key == "suggestion.returned" and ctx.recipient == ctx.suggestion.filer_person_id:
        markup = filer_keyboard(tr, ctx.suggestion, revise=True)  # revise and file again, or withdraw
    elif notice.key == "suggestion.prepared":  # the filer may still withdraw it before the 交办会
        markup = filer_keyboard(tr, ctx.suggestion)
    return text, markup


def _notice(
    tr: Translator, notice: Notice, s: Suggestion, filer: str, by: str, recipient: int
) -> tuple[str | None, InlineKeyboardMarkup | None]:
    title, number = esc(s.title), esc(s.number or "—")
    key = notice.key
    if key == "suggestion.cosign_invited":
        text = tr(
            "✍️ Deputy {filer} invites you to co-sign (附议) the suggestion «{title}» ({category}):\n\n{text}",
            filer=filer,
            title=title,
            category=category_label(tr, s.category),
            text=esc(cut(s.text, TEXT_UNITS)),
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr("✅ Co-sign"), callback_data=CosignPress(CosignAction.CONFIRM, s.id).pack()
                    ),
                    InlineKeyboardButton(
                        tr("❌ Decline"), callback_data=CosignPress(CosignAction.DECLINE, s.id).pack()
                    ),
                ]
            ]
        )
        return text, markup
    if key == "suggestion.cosigned":
        return tr("✅ {name} co-signed your suggestion «{title}».", name=by, title=title), None
    if key == "suggestion.cosign_declined":
        return tr("{name} declined to co-sign your suggestion «{title}».", name=by, title=title), None
    if key == "suggestion.filed" and recipient == s.filer_person_id and s.on_behalf_of_paper:
        return tr(
            "📄 The congress office filed your paper suggestion «{title}» for you as <b>{number}</b>.",
            title=title,
            number=number,
        ), filer_keyboard(tr, s)
    if key == "suggestion.filed" and recipient == s.filer_person_id:
        return tr(
            "✅ Your suggestion «{title}» is filed as <b>{number}</b>.", title=title, number=number
        ), filer_keyboard(tr, s)
    if key == "suggestion.filed":
        return tr(
            "Suggestion <b>{number}</b> «{title}», which you co-signed, is filed.", number=number, title=title
        ), None
    if key == "suggestion.queued":
        return tr(
            "📥 New suggestion <b>{number}</b> «{title}» ({category}) from deputy {filer} awaits review.",
            number=number,
            title=title,
            category=category_label(tr, s.category),
            filer=filer,
        ), None
    if key == "suggestion.filed_from_opinion":
        return tr(
            "Your opinion {tracking_no} became suggestion <b>{number}</b>; you will hear how it goes.",
            tracking_no=esc(str(notice.params.get("tracking_no") or "")),
            number=number,
        ), None
    return None, None


async def unit_names(uow: UnitOfWork, s: Suggestion) -> tuple[str, list[str]]:
    """(lead unit's name, co-units' names), escaped; read once for all of one outcome's notices."""
    lead = await uow.units.get(s.lead_unit_id) if s.lead_unit_id is not None else None
    co = [await uow.units.get(u) for u in s.co_unit_ids or ()]
    return (esc(lead.name) if lead else "—"), [esc(u.name) for u in co if u is not None]


def _assign_notice(
    tr: Translator, notice: Notice, s: Suggestion, filer: str, units: tuple[str, list[str]], recipient: int
) -> str | None:
    """交办: the filer told of a return or the assignment, the units' task cards, the followers."""
    title, number, key = esc(s.title), esc(s.number or "—"), notice.key
    lead, co = units[0], ", ".join(units[1]) or tr("none")
    due = s.due_on.isoformat() if s.due_on is not None else "—"
    if key == "suggestion.returned":
        mine = recipient == s.filer_person_id
        text = (
            tr(
                "↩️ Your suggestion <b>{number}</b> «{title}» was returned by the congress office.",
                number=number,
                title=title,
            )
            if mine
            else tr(
                "↩️ Suggestion <b>{number}</b> «{title}», which you co-signed, was returned.",
                number=number,
                title=title,
            )
        )
        return text + "\n" + tr("Reason: {reason}", reason=esc(str(notice.params.get("reason") or "")))
    if key == "suggestion.prepared":
        return tr(
            "📌 Your suggestion <b>{number}</b> «{title}» is prepared for assignment to {lead}; it is sent at "
            "the next 交办会.",
            number=number,
            title=title,
            lead=lead,
        )
    if key == "suggestion.assigned_lead":
        return tr(
            "📋 <b>New task: suggestion {number}</b> (lead unit, 主办)\n«{title}» ({category})\nDeputy: {filer}\n"
            "Due: {due}\nCo-units: {co}\n\n{text}",
            number=number,
            title=title,
            category=category_label(tr, s.category),
            filer=filer,
            due=due,
            co=co,
            text=esc(cut(s.text, TEXT_UNITS)),
        )
    if key == "suggestion.assigned_co":
        return tr(
            "📋 <b>Suggestion {number}</b>: your unit co-handles it (协办); send your opinion to the lead unit "
            "{lead}.\n«{title}» ({category})\nDeputy: {filer}\nDue: {due}\n\n{text}",
            number=number,
            lead=lead,
            title=title,
            category=category_label(tr, s.category),
            filer=filer,
            due=due,
            text=esc(cut(s.text, TEXT_UNITS)),
        )
    if key in ("suggestion.reassign_requested", "suggestion.extension_requested"):
        ask = (
            tr(
                "🙅 The lead unit {lead} says suggestion <b>{number}</b> «{title}» is not theirs.",
                lead=lead,
                number=number,
                title=title,
            )
            if key == "suggestion.reassign_requested"
            else tr(
                "⏳ The lead unit {lead} asks for more time on suggestion <b>{number}</b> «{title}».",
                lead=lead,
                number=number,
                title=title,
            )
        )
        return ask + "\n" + tr("Reason: {reason}", reason=esc(str(notice.params.get("reason") or "")))
    if key == "suggestion.assigned" and recipient == s.filer_person_id:
        return tr(
            "📌 Your suggestion <b>{number}</b> «{title}» is assigned to {lead}, due {due}.",
            number=number,
            title=title,
            lead=lead,
            due=due,
        )
    if key == "suggestion.assigned":
        return tr(
            "📌 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, is assigned to {lead}, due {due}.",
            number=number,
            tracking_no=esc(str(notice.params.get("tracking_no") or "")),
            lead=lead,
            due=due,
        )
    return None


# The lead unit's task card: a button for each action the lifecycle allows now (签收 first; then "not
# ours", more time, 三见面 and the answer; the service checks each press again).
_TASK_BUTTONS: dict[Action, tuple[str, str | None]] = {
    Action.SIGN_FOR: (N_("✍️ Sign for"), TaskAction.SIGN),
    Action.REQUEST_REASSIGN: (N_("🙅 Not ours"), None),
    Action.REQUEST_EXTENSION: (N_("⏳ More time"), None),
    Action.RECORD_CONTACT: (N_("🤝 Record contact"), TaskAction.CONTACT),
    Action.ANSWER: (N_("📝 Answer"), TaskAction.ANSWER),
    Action.CO_OPINION: (N_("💬 Send our opinion"), TaskAction.OPINION),
}
_UNIT_REQUESTS = {
    Action.REQUEST_REASSIGN: UnitAction.NOT_OURS,
    Action.REQUEST_EXTENSION: UnitAction.MORE_TIME,
}
# Staff's notices of a unit's request, with the decisions they take.
_DECISIONS: dict[str, tuple[DecisionAction, ...]] = {
    "suggestion.reassign_requested": (DecisionAction.REASSIGN, DecisionAction.DENY_REASSIGN),
    "suggestion.extension_requested": (DecisionAction.GRANT, DecisionAction.DENY_EXTENSION),
}
_DECISION_LABELS = {
    DecisionAction.REASSIGN: N_("🔁 Reassign"),
    DecisionAction.DENY_REASSIGN: N_("✋ Deny"),
    DecisionAction.GRANT: N_("✅ Grant more time"),
    DecisionAction.DENY_EXTENSION: N_("✋ Deny"),
}


def task_keyboard(tr: Translator, s: Suggestion, kinds: Iterable[ActorKind]) -> InlineKeyboardMarkup | None:
    """An officer's task card: the actions `allowed_actions` gives their relation in this state."""
    buttons: list[InlineKeyboardButton] = []
    for action in dict.fromkeys(allowed_actions(s.state, set(kinds))):
        if action not in _TASK_BUTTONS:
            continue
        label, task = _TASK_BUTTONS[action]
        data = (
            TaskPress(TaskAction(task), s.id).pack()
            if task
            else UnitPress(_UNIT_REQUESTS[action], s.id).pack()
        )
        buttons.append(InlineKeyboardButton(tr(label), callback_data=data))
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def co_keyboard(tr: Translator, s: Suggestion) -> InlineKeyboardMarkup:
    """A co-unit's card: its opinion to the lead unit (taken once the lead unit has signed for it)."""
    data = TaskPress(TaskAction.OPINION, s.id).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr("💬 Send our opinion"), callback_data=data)]])


def decision_keyboard(
    tr: Translator, s: Suggestion, actions: Iterable[DecisionAction]
) -> InlineKeyboardMarkup:
    """Staff's decisions on a unit's request (or on a staff review)."""
    row = [
        InlineKeyboardButton(tr(_DECISION_LABELS[a]), callback_data=DecisionPress(a, s.id).pack())
        for a in actions
    ]
    return InlineKeyboardMarkup([row])
