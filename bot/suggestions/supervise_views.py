"""How 监督 looks in chat: the /supervise view (paged within Telegram's 4096), the prompts and answers of
its buttons, the 回头看 card, the ledger's caption, the line an opinion's /my shows for its suggestion, and
the notices of supervision (`supervision_notice`, one of `bot.suggestions.notices.RENDERERS`).

User text (titles, comments, reasons, names) is escaped for HTML and cut in UTF-16 units; every string
goes through the reader's translator. Buttons are offered from the lifecycle (`allowed_actions`), so a
view never shows what the reader may not ask for; the service checks each press again.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, cut, visible_len
from bot.opinions.views import COLOUR_MARKS
from bot.runtime.replies import esc
from bot.suggestions.buttons import (
    RecheckAction,
    RecheckPress,
    SuperviseAction,
    SupervisePagePress,
    SupervisePress,
)
from bot.suggestions.lifecycle import Action, ActorKind, Refusal, RefusalReason, allowed_actions
from bot.suggestions.results import RESULT_LABELS, ResultClass
from bot.suggestions.service import Notice, Suggestion
from bot.suggestions.supervise import (
    BOARD_ACTIONS,
    MAX_NOTE,
    REMIND_GAP,
    Board,
    RecheckOutcome,
    Supervised,
)
from bot.suggestions.views import NoticeContext, Rendered, category_label, state_label
from storage.models.suggestions import SuggestionState

__all__ = [
    "ACTION_OF",
    "PAGE_ITEMS",
    "ask_text",
    "board_page",
    "done",
    "ledger_caption",
    "ledger_empty",
    "ledger_staff_only",
    "not_supervising",
    "opinion_progress",
    "recheck_answered",
    "refused",
    "supervision_notice",
    "type_text",
]

PAGE_ITEMS = 8  # suggestions per page: three buttons each stay well inside a keyboard
TITLE_UNITS = 40
UNIT_UNITS = 60
ACTION_OF: dict[SuperviseAction, Action] = {
    SuperviseAction.COMMENT: Action.COMMENT,
    SuperviseAction.REMIND: Action.REMIND,
    SuperviseAction.ASK: Action.ASK_ESCALATION,
    SuperviseAction.CLOSE: Action.CLOSE,
    SuperviseAction.CONCLUDE: Action.CONCLUDE_RECHECK,
}
_PRESS_OF = {action: press for press, action in ACTION_OF.items()}
_MARKS = {
    Action.COMMENT: "💬",
    Action.REMIND: "🔔",
    Action.ASK_ESCALATION: "⬆️",
    Action.CLOSE: "🏁",
    Action.CONCLUDE_RECHECK: "☑️",
}
_LEGEND = {
    Action.COMMENT: N_("💬 comment"),
    Action.REMIND: N_("🔔 remind"),
    Action.ASK_ESCALATION: N_("⬆️ ask the office"),
    Action.CLOSE: N_("🏁 close (销号)"),
    Action.CONCLUDE_RECHECK: N_("☑️ conclude the re-check"),
}
_LABELS = {
    Action.COMMENT: N_("💬 Comment"),
    Action.REMIND: N_("🔔 Remind"),
    Action.ASK_ESCALATION: N_("⬆️ Ask the office"),
    Action.CLOSE: N_("🏁 Close (销号)"),
    Action.CONCLUDE_RECHECK: N_("☑️ Conclude the re-check"),
}


# -- the /supervise view ---------------------------------------------------------------------------------


def not_supervising(tr: Translator) -> str:
    return tr("Sorry, /supervise is for members of a special committee and congress office staff.")


def _mark(item: Supervised) -> str:
    if item.colour is not None:
        return COLOUR_MARKS[item.colour.value]
    state = item.suggestion.state
    if state == SuggestionState.RECHECK_REOPENED:
        return "🔁"
    return "🔍" if state == SuggestionState.RECHECK else "🏁"


def _block(tr: Translator, item: Supervised, zone: ZoneInfo) -> str:
    """One suggestion of the view: colour, number, title; lead unit, due day, state (and answer class)."""
    s = item.suggestion
    head = f"{_mark(item)} <b>{esc(s.number or '—')}</b> «{esc(cut(s.title, TITLE_UNITS))}»"
    parts = [esc(cut(item.lead_unit, UNIT_UNITS))]
    if s.due_on is not None and item.colour is not None:
        parts.append(tr("due {due}", due=s.due_on.isoformat()))
    parts.append(state_label(tr, s.state))
    if s.result_class in {c.value for c in ResultClass}:
        parts.append(tr(RESULT_LABELS[ResultClass(s.result_class)]))
    return head + "\n    " + " · ".join(parts)


def _header(
    tr: Translator, board: Board, page: int, pages: int, actions: Iterable[Action] = BOARD_ACTIONS
) -> str:
    """The head of a page: the count, what its buttons' marks mean, the page."""
    lines = [tr("🛡 <b>Supervision (督办)</b>: {n} suggestion(s), the most overdue first", n=len(board.items))]
    legend = [tr(_LEGEND[a]) for a in BOARD_ACTIONS if a in set(actions)]
    if legend:
        lines.append(" · ".join(legend))
    if board.cut:
        lines.append(tr("(only the earliest due are listed; the ledger has every one: /ledger)"))
    if pages > 1:
        lines.append(tr("Page {page} of {pages}", page=page + 1, pages=pages))
    return "\n".join(lines)


def _pages(tr: Translator, board: Board, zone: ZoneInfo) -> list[list[int]]:
    """Indexes of the items on each page: at most `PAGE_ITEMS`, and the page's text within 4096."""
    budget = MESSAGE_LIMIT - visible_len(_header(tr, board, 999, 999)) - 2
    pages: list[list[int]] = [[]]
    used = 0
    for i, item in enumerate(board.items):
        size = visible_len(_block(tr, item, zone)) + 2
        if pages[-1] and (len(pages[-1]) >= PAGE_ITEMS or used + size > budget):
            pages.append([])
            used = 0
        pages[-1].append(i)
        used += size
    return pages


def board_page(
    tr: Translator, board: Board, page: int, zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `page` of the view (clamped), with each item's buttons and ◀️ ▶️ between pages."""
    if not board.items:
        return tr("Nothing to supervise now: no suggestion of your committee is with the units. 🎉"), None
    pages = _pages(tr, board, zone)
    page = min(max(page, 0), len(pages) - 1)
    shown = [board.items[i] for i in pages[page]]
    offered = {a for item in shown for a in item.actions}
    head = _header(tr, board, page, len(pages), offered)
    text = "\n\n".join([head, *(_block(tr, item, zone) for item in shown)])
    rows = [_row(item) for item in shown if item.actions]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀️", callback_data=SupervisePagePress(page - 1).pack()))
    if page < len(pages) - 1:
        nav.append(InlineKeyboardButton("▶️", callback_data=SupervisePagePress(page + 1).pack()))
    if nav:
        rows.append(nav)
    return text, InlineKeyboardMarkup(rows) if rows else None


def _row(item: Supervised) -> list[InlineKeyboardButton]:
    number = item.suggestion.number or "—"
    return [
        InlineKeyboardButton(
            f"{_MARKS[action]} {number}",
            callback_data=SupervisePress(_PRESS_OF[action], item.suggestion.id).pack(),
        )
        for action in item.actions
    ]


def _buttons(tr: Translator, s: Suggestion, actions: Iterable[Action]) -> InlineKeyboardMarkup | None:
    """Labelled buttons under one notice, for the actions given (those the board offers)."""
    row = [
        InlineKeyboardButton(tr(_LABELS[a]), callback_data=SupervisePress(_PRESS_OF[a], s.id).pack())
        for a in actions
        if a in _PRESS_OF
    ]
    return InlineKeyboardMarkup([row]) if row else None


def _offered(s: Suggestion, kind: ActorKind) -> list[Action]:
    """The board's actions this relation may ask for in the suggestion's state now."""
    return [a for a in allowed_actions(s.state, kind) if a in BOARD_ACTIONS]


# -- the buttons' prompts and answers --------------------------------------------------------------------


def ask_text(tr: Translator, s: Suggestion, action: Action) -> str:
    """What the next message should be, after 💬 ⬆️ 🏁 ☑️ or 🔁."""
    number = esc(s.number or "—")
    prompts = {
        Action.COMMENT: N_(
            "Type your comment to the lead unit on suggestion <b>{number}</b> (it is recorded in the ledger), "
            "or /cancel."
        ),
        Action.ASK_ESCALATION: N_(
            "Type why the congress office should step in on suggestion <b>{number}</b>, or /cancel."
        ),
        Action.CLOSE: N_(
            "Type the reason for closing (销号) suggestion <b>{number}</b> without the deputy's rating "
            "(the deputy and the unit are told it), or /cancel."
        ),
        Action.CONCLUDE_RECHECK: N_(
            "Type the conclusion of the re-check (回头看) of suggestion <b>{number}</b> (the deputy and the unit "
            "are told it), or /cancel."
        ),
        Action.RECHECK_REOPEN: N_(
            "Type what is wrong again with the matter of suggestion <b>{number}</b>: the supervising "
            "committee, the congress office and the unit are told it. Or /cancel."
        ),
    }
    return tr(prompts[action], number=number)


def type_text(tr: Translator) -> str:
    return tr("Please type it as text (at most {max} characters), or /cancel.", max=MAX_NOTE)


def done(tr: Translator, s: Suggestion, action: Action) -> str:
    """The presser's answer once the step is recorded."""
    number = esc(s.number or "—")
    answers = {
        Action.COMMENT: N_("💬 Your comment on suggestion <b>{number}</b> was sent to the lead unit."),
        Action.REMIND: N_("🔔 The lead unit was reminded of suggestion <b>{number}</b>."),
        Action.ASK_ESCALATION: N_(
            "⬆️ The congress office was asked to step in on suggestion <b>{number}</b>."
        ),
        Action.CLOSE: N_("🏁 Suggestion <b>{number}</b> is closed (销号)."),
        Action.CONCLUDE_RECHECK: N_("☑️ The re-check of suggestion <b>{number}</b> is concluded."),
        Action.RECHECK_REOPEN: N_(
            "🔁 Suggestion <b>{number}</b> is reopened for its re-check; the supervising committee follows it up."
        ),
    }
    return tr(answers[action], number=number)


def refused(tr: Translator, refusal: Refusal | None, *, filer_only: bool = False) -> str:
    """A refusal said plainly (the answer to a press, at most 200 characters)."""
    R = RefusalReason
    if refusal is None or refusal.reason in (R.NO_RELATION, R.NOT_PERMITTED):
        if filer_only:
            return tr("Only the deputy who filed this suggestion answers its re-check.")
        return tr("This suggestion is not yours to supervise.")
    if refusal.reason is R.REASON_REQUIRED and refusal.detail == "too_long":
        return tr("That is too long: at most {max} characters.", max=MAX_NOTE)
    if refusal.reason is R.REASON_REQUIRED:
        return tr("Please type some text.")
    if refusal.reason is R.ALREADY_ASKED and refusal.detail == "reminded_recently":
        return tr(
            "The lead unit was reminded less than {hours} hours ago.",
            hours=int(REMIND_GAP.total_seconds()) // 3600,
        )
    return tr("This cannot be done now: the suggestion has moved on.")


# -- 回头看: the filer's card ------------------------------------------------------------------------------


def recheck_answered(tr: Translator, s: Suggestion) -> str:
    """The filer's card once they answered (its buttons gone)."""
    number = esc(s.number or "—")
    if s.recheck_outcome == RecheckOutcome.CONFIRMED:
        return tr(
            "✅ Thank you: suggestion <b>{number}</b> stayed solved. Its re-check is over.", number=number
        )
    return tr(
        "🔁 Suggestion <b>{number}</b> is reopened for its re-check; the supervising committee follows it up.",
        number=number,
    )


def _recheck_card(tr: Translator, s: Suggestion, ctx: NoticeContext) -> Rendered:
    klass = ResultClass(s.result_class) if s.result_class in {c.value for c in ResultClass} else None
    lines = [
        tr(
            "🔍 <b>Re-check (回头看)</b> of your suggestion <b>{number}</b> «{title}»",
            number=esc(s.number or "—"),
            title=esc(s.title),
        ),
        tr("Lead unit: {lead}", lead=ctx.units[0]),
    ]
    if klass is not None:
        lines.append(tr(RESULT_LABELS[klass]))
    if klass is ResultClass.B and s.planned_on is not None:
        lines.append(tr("Planned for {day}.", day=s.planned_on.isoformat()))
    lines.append(tr("Has the matter stayed solved (or been done as planned)?"))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("✅ Still solved"), callback_data=RecheckPress(RecheckAction.CONFIRM, s.id).pack()
                ),
                InlineKeyboardButton(
                    tr("🔁 Reopen"), callback_data=RecheckPress(RecheckAction.REOPEN, s.id).pack()
                ),
            ]
        ]
    )
    return "\n".join(lines), markup


# -- the ledger and the opinion's /my ----------------------------------------------------------------------


def ledger_caption(tr: Translator, count: int, series: str | None) -> str:
    if series:
        return tr(
            "📒 Ledger (立项—督办—销号) of series {series}: {n} suggestion(s).", series=esc(series), n=count
        )
    return tr("📒 Ledger (立项—督办—销号): {n} suggestion(s).", n=count)


def ledger_empty(tr: Translator) -> str:
    return tr("No suggestion has been filed yet, so the ledger is empty.")


def ledger_staff_only(tr: Translator) -> str:
    return tr("Sorry, the ledger is only for congress office staff.")


def opinion_progress(tr: Translator, s: Suggestion) -> str:
    """The line an opinion's timeline shows for the suggestion it became: number, state, class."""
    line = tr(
        "📌 It became suggestion <b>{number}</b>: {state}",
        number=esc(s.number or "—"),
        state=state_label(tr, s.state),
    )
    if s.result_class in {c.value for c in ResultClass}:
        line += " · " + tr(RESULT_LABELS[ResultClass(s.result_class)])
    return line


# -- the notices of supervision ----------------------------------------------------------------------------


def supervision_notice(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """督办, 销号 by staff and 回头看 (a renderer of `bot.suggestions.notices`)."""
    s, key, params = ctx.suggestion, notice.key, notice.params
    number, title = esc(s.number or "—"), esc(s.title)
    text = esc(cut(str(params.get("text") or ""), MAX_NOTE))
    reason = esc(cut(str(params.get("reason") or ""), MAX_NOTE))
    due = s.due_on.isoformat() if s.due_on is not None else "—"
    committee = "committee_id" in params  # the notice goes to a member of the supervising committee
    if key == "suggestion.comment":
        return tr(
            "💬 <b>Supervision (督办)</b> of suggestion <b>{number}</b> «{title}» (due {due}): {by} comments:\n{text}",
            number=number,
            title=title,
            due=due,
            by=ctx.by,
            text=text,
        ), None
    if key == "suggestion.reminded":
        return tr(
            "🔔 <b>Reminder (督办)</b>: suggestion <b>{number}</b> «{title}» is due {due} ({state}). {by} asks your "
            "unit to answer it in time.",
            number=number,
            title=title,
            due=due,
            state=state_label(tr, s.state),
            by=ctx.by,
        ), None
    if key == "suggestion.escalation_asked":
        body = tr(
            "⬆️ {by} of the supervising committee asks the congress office to step in on suggestion "
            "<b>{number}</b> «{title}» ({category}; lead unit {lead}, due {due}; {state}).\nReason: {reason}",
            by=ctx.by,
            number=number,
            title=title,
            category=category_label(tr, s.category),
            lead=ctx.units[0],
            due=due,
            state=state_label(tr, s.state),
            reason=reason,
        )
        return body, _buttons(tr, s, _offered(s, ActorKind.STAFF))
    if key == "suggestion.closed_by_staff":
        return _closed(tr, s, reason, mine=ctx.recipient == s.filer_person_id), None
    if key == "suggestion.closed" and s.closing_action == Action.CLOSE.value:
        # 销号 by staff; a close by the deputy's rating is handling's notice.
        if "tracking_no" in params:
            return tr(
                "🏁 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, is closed (销号) by the "
                "congress office.",
                number=number,
                tracking_no=esc(str(params["tracking_no"])),
            ), None
        return _closed(tr, s, reason, mine=False), None
    if key == "suggestion.recheck":
        return _recheck_card(tr, s, ctx)
    return _recheck_notice(tr, notice, ctx, committee)


def _closed(tr: Translator, s: Suggestion, reason: str, *, mine: bool) -> str:
    number, title = esc(s.number or "—"), esc(s.title)
    head = (
        tr(
            "🏁 Your suggestion <b>{number}</b> «{title}» is closed (销号) by the congress office.",
            number=number,
            title=title,
        )
        if mine
        else tr(
            "🏁 Suggestion <b>{number}</b> «{title}» is closed (销号) by the congress office.",
            number=number,
            title=title,
        )
    )
    return head + "\n" + tr("Reason: {reason}", reason=reason)


def _recheck_notice(tr: Translator, notice: Notice, ctx: NoticeContext, committee: bool) -> Rendered | None:
    s, key, params = ctx.suggestion, notice.key, notice.params
    number, title = esc(s.number or "—"), esc(s.title)
    reason = esc(cut(str(params.get("reason") or ""), MAX_NOTE))
    if key == "suggestion.recheck_confirmed":
        return tr(
            "✅ Re-check (回头看): deputy {filer} confirms that the matter of suggestion <b>{number}</b> «{title}» "
            "stayed solved.",
            filer=ctx.filer,
            number=number,
            title=title,
        ), None
    if key == "suggestion.recheck_reopened":
        body = tr(
            "🔁 Re-check (回头看): deputy {filer} reopens suggestion <b>{number}</b> «{title}» (lead unit {lead}).\n"
            "Reason: {reason}",
            filer=ctx.filer,
            number=number,
            title=title,
            lead=ctx.units[0],
            reason=reason,
        )
        if committee:
            return body, _buttons(tr, s, _offered(s, ActorKind.COMMITTEE))
        if "unit_id" in params:
            return body, None
        return body, _buttons(tr, s, _offered(s, ActorKind.STAFF))
    if key == "suggestion.recheck_concluded":
        return tr(
            "☑️ The re-check (回头看) of suggestion <b>{number}</b> «{title}» is concluded by {by}.\nConclusion: {reason}",
            number=number,
            title=title,
            by=ctx.by,
            reason=reason,
        ), None
    return None
