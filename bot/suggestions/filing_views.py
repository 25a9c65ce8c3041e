"""How filing after the first File looks: merging in staff chat, the filer's revise / withdraw / file
without the silent co-signers, a paper suggestion's deputy, and the notices of all of these.

User text (titles, names, numbers typed) is escaped for HTML and cut in UTF-16 units; every string goes
through the recipient's translator. `refiling_notice` is one of `bot.suggestions.notices.RENDERERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import Translator
from bot.kit.text_limits import cut
from bot.runtime.replies import esc
from bot.suggestions.buttons import CosignAction, CosignPress
from bot.suggestions.filing_buttons import (
    DeputyPress,
    MergeAction,
    MergePress,
    filer_keyboard,
    withdraw_confirm,
)
from bot.suggestions.forms import Form
from bot.suggestions.lifecycle import Audience, Refusal, RefusalReason
from bot.suggestions.service import Notice, Suggestion
from bot.suggestions.views import NoticeContext, Rendered, category_label, filed

__all__ = [
    "Said",
    "ask_withdraw",
    "deputy_choices",
    "filed_answer",
    "filed_without",
    "merge_confirm",
    "merge_prompt",
    "merge_refused",
    "merged",
    "paper_filed",
    "refiled",
    "refiling_notice",
    "revising",
    "too_early",
    "withdrawn",
]

TITLE_UNITS = 60
Said = Callable[[Translator, Suggestion], str]  # an answer to the presser about one suggestion


def _head(s: Suggestion) -> tuple[str, str]:
    return esc(s.number or "—"), esc(cut(s.title, TITLE_UNITS))


# -- merging (staff) -------------------------------------------------------------------------------


def merge_prompt(
    tr: Translator, s: Suggestion, candidates: Sequence[Suggestion]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Which suggestion does `s` join? Typed number, or one of the same category."""
    number, title = _head(s)
    text = tr(
        "🔗 Merge <b>{number}</b> «{title}» into which suggestion? Type its number (e.g. S-2026-0003), or "
        "pick one of the same category below; /cancel to stop.",
        number=number,
        title=title,
    )
    rows = [
        [
            InlineKeyboardButton(
                f"{c.number} · {cut(c.title, 30)}",
                callback_data=MergePress(MergeAction.CHOOSE, s.id, c.id).pack(),
            )
        ]
        for c in candidates
    ]
    return text, InlineKeyboardMarkup(rows) if rows else None


def merge_confirm(tr: Translator, s: Suggestion, target: Suggestion) -> tuple[str, InlineKeyboardMarkup]:
    number, title = _head(s)
    into, into_title = _head(target)
    text = tr(
        "Merge <b>{number}</b> «{title}» into <b>{into}</b> «{into_title}»? Its filer and co-signers will "
        "co-sign {into}, the senders of its opinions will follow it, and both filers are told.",
        number=number,
        title=title,
        into=into,
        into_title=into_title,
    )
    button = InlineKeyboardButton(
        tr("🔗 Yes, merge"), callback_data=MergePress(MergeAction.CONFIRM, s.id, target.id).pack()
    )
    return text, InlineKeyboardMarkup([[button]])


def merged(tr: Translator, s: Suggestion, into: str) -> str:
    number, _ = _head(s)
    return tr("🔗 Suggestion <b>{number}</b> is merged into <b>{into}</b>.", number=number, into=esc(into))


def merge_refused(tr: Translator, refusal: Refusal | None) -> str:
    """Why a merge cannot be done, said plainly (the refusal is audited by the service)."""
    if refusal is not None and refusal.reason is RefusalReason.MERGE_TARGET_INVALID:
        if refusal.detail == "itself":
            return tr("A suggestion cannot be merged into itself.")
        if refusal.detail == "unknown":
            return tr("No suggestion has that number. Type it again (e.g. S-2026-0003), or /cancel.")
        return tr(
            "It can only join a suggestion that is filed and still open: not one merged, withdrawn or returned."
        )
    if refusal is not None and refusal.reason is RefusalReason.MERGE_TARGET_REQUIRED:
        return tr("Type the number of the suggestion it joins (e.g. S-2026-0003), or /cancel.")
    return tr("This cannot be done now: the suggestion has changed, or it is not yours to merge.")


# -- the filer -------------------------------------------------------------------------------------


def filed_answer(tr: Translator, form: Form, s: Suggestion) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to the form's File: a revision filed again, a paper suggestion filed for its deputy,
    one waiting for its co-signers (the filer's status card), or the number (with 🗑 Withdraw)."""
    if form.refile_id is not None:
        return refiled(tr, s), None
    if form.paper:
        return paper_filed(tr, s, form.on_behalf_name), None
    text = filed(tr, s, form.cosigner_names)
    return text, filer_keyboard(tr, s, without=s.number is None)


def revising(tr: Translator, s: Suggestion) -> str:
    number, title = _head(s)
    return tr(
        "✏️ <b>Revising {number}</b> «{title}»: each step shows what it holds; press Keep or type anew. "
        "Your co-signers stay.",
        number=number,
        title=title,
    )


def refiled(tr: Translator, s: Suggestion) -> str:
    number, title = _head(s)
    return tr(
        "✅ Suggestion <b>{number}</b> «{title}» is filed again; the congress office reviews it next.",
        number=number,
        title=title,
    )


def ask_withdraw(tr: Translator, s: Suggestion) -> tuple[str, InlineKeyboardMarkup]:
    number, title = _head(s)
    text = tr(
        "Withdraw suggestion <b>{number}</b> «{title}»? This cannot be undone; your co-signers, the congress "
        "office and the senders of its opinions are told.",
        number=number,
        title=title,
    )
    return text, withdraw_confirm(tr, s)


def withdrawn(tr: Translator, s: Suggestion) -> str:
    number, title = _head(s)
    return tr("🗑 Suggestion <b>{number}</b> «{title}» is withdrawn.", number=number, title=title)


def too_early(tr: Translator, day: str) -> str:
    return tr("You can file without those who did not answer from {day}.", day=esc(day))


def filed_without(tr: Translator, s: Suggestion) -> str:
    number, title = _head(s)
    return tr(
        "✅ Suggestion <b>{number}</b> «{title}» is filed without those who did not answer; the congress "
        "office reviews it next.",
        number=number,
        title=title,
    )


# -- staff filing a paper suggestion ---------------------------------------------------------------


def deputy_choices(
    tr: Translator, key: str, query: str, found: Sequence[tuple[int, str, str]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The deputies a typed code or name found: buttons to choose one, or that none was found."""
    if not found:
        return tr("No deputy has the code or name «{query}». Type it again.", query=esc(cut(query, 40))), None
    rows = [
        [InlineKeyboardButton(f"{cut(name, 30)} ({code})", callback_data=DeputyPress(key, pid).pack())]
        for pid, name, code in found
    ]
    return tr("Which deputy is it?"), InlineKeyboardMarkup(rows)


def paper_filed(tr: Translator, s: Suggestion, deputy: str) -> str:
    number, title = _head(s)
    return tr(
        "📄 Suggestion <b>{number}</b> «{title}» is filed from paper on behalf of deputy {deputy}; they are "
        "told.",
        number=number,
        title=title,
        deputy=esc(deputy),
    )


# -- the notices -----------------------------------------------------------------------------------


def refiling_notice(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """Merge, refile, withdraw, the co-signers' reminder and lapse (a renderer of `notices`)."""
    s, key = ctx.suggestion, notice.key
    number, title = _head(s)
    into = esc(str(notice.params.get("into") or "—"))
    mine = ctx.recipient == s.filer_person_id
    audience = notice.params.get("audience")
    tracking = esc(str(notice.params.get("tracking_no") or "")) if audience == Audience.FOLLOWERS else ""
    if key == "suggestion.merged":
        if mine:
            text = tr(
                "🔗 Your suggestion <b>{number}</b> «{title}» was merged into <b>{into}</b>, about the same "
                "matter: you co-sign {into} now and will hear how it goes.",
                number=number,
                title=title,
                into=into,
            )
        elif tracking:
            text = tr(
                "🔗 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, was merged into "
                "<b>{into}</b>; you will hear how {into} goes.",
                number=number,
                tracking_no=tracking,
                into=into,
            )
        else:
            text = tr(
                "🔗 Suggestion <b>{number}</b> «{title}», which you co-signed, was merged into <b>{into}</b>; "
                "you co-sign {into} now.",
                number=number,
                title=title,
                into=into,
            )
        return text, None
    if key == "suggestion.merged_into_yours":
        return tr(
            "🔗 Suggestion <b>{number}</b> «{title}» by deputy {filer} was merged into yours, <b>{into}</b>: "
            "they co-sign yours now, and the senders of its opinions follow it.",
            number=number,
            title=title,
            filer=ctx.filer,
            into=into,
        ), None
    if key == "suggestion.refiled":
        return tr(
            "✏️ Deputy {filer} revised suggestion <b>{number}</b> «{title}» ({category}) and filed it again; "
            "it is back in the queue.",
            filer=ctx.filer,
            number=number,
            title=title,
            category=category_label(tr, s.category),
        ), None
    if key == "suggestion.withdrawn":
        return _withdrawn(tr, ctx, tracking, audience == Audience.STAFF)
    return _cosigners_clock(tr, notice, ctx)


def _withdrawn(tr: Translator, ctx: NoticeContext, tracking: str, staff: bool) -> Rendered | None:
    s = ctx.suggestion
    number, title = _head(s)
    if tracking:
        return tr(
            "🗑 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, was withdrawn by the deputy; "
            "your opinion stays with them.",
            number=number,
            tracking_no=tracking,
        ), None
    if s.number is None and not staff:  # withdrawn while co-signers were asked (never in the queue)
        return tr(
            "🗑 Deputy {filer} withdrew the suggestion «{title}» you were asked to co-sign.",
            filer=ctx.filer,
            title=title,
        ), None
    return tr(
        "🗑 Deputy {filer} withdrew suggestion <b>{number}</b> «{title}».",
        filer=ctx.filer,
        number=number,
        title=title,
    ), None


def _cosigners_clock(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    s, key = ctx.suggestion, notice.key
    _, title = _head(s)
    if key == "suggestion.cosign_reminder":
        text = tr(
            "⏰ Reminder: deputy {filer} asked you to co-sign (附议) the suggestion «{title}» ({category}). "
            "Please answer.",
            filer=ctx.filer,
            title=title,
            category=category_label(tr, s.category),
        )
        return text, _cosign_buttons(tr, s)
    if key == "suggestion.cosign_reminded":
        silent = notice.params.get("silent") or []
        names = ", ".join(esc(n) for n in silent) if isinstance(silent, list) else "—"
        text = tr(
            "⏰ Your suggestion «{title}» still waits for: {names}. They were reminded. From {day} you can "
            "file without those who did not answer.",
            title=title,
            names=names,
            day=esc(str(notice.params.get("lapse_on") or "")),
        )
        return text, filer_keyboard(tr, s, without=True)
    if key == "suggestion.cosign_lapsed":
        return tr(
            "Deputy {filer} filed the suggestion «{title}» without your answer: the invitation to co-sign it "
            "has lapsed.",
            filer=ctx.filer,
            title=title,
        ), None
    return None


def _cosign_buttons(tr: Translator, s: Suggestion) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
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
