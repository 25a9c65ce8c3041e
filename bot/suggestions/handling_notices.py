"""How 办理 is told in chat: the notices of handling and rating, and the files an answer or a co-unit's
opinion carries.

`handling_notice` renders every notice key of the handling and rating rules (and the committee's
`assigned_committee`, the sweep's `deadline_warning`) for `bot.suggestions.notices`. Who reads decides
what they see: the deputy gets the answer with its class, meaning and rating buttons; co-signers and
the committee its text; the senders of linked opinions (followers, constituents) only the class and
the planned day — no text, no names. User text is escaped and cut in UTF-16 units.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import cut
from bot.opinions.sla import SlaPolicy, deliver_at
from bot.runtime.replies import esc, send_raw
from bot.suggestions.buttons import (
    DecisionAction,
    RateAction,
    SuperviseAction,
    SupervisePress,
)
from bot.suggestions.deadlines import WarningColour
from bot.suggestions.handling import (
    MAX_SUMMARY,
)
from bot.suggestions.handling_views import (
    COLOUR_LABELS,
    FORM_LABELS,
    STAGE_LABELS,
    TEXT_UNITS,
    card_button,
    class_line,
    param,
    rating_keyboard,
    reason_line,
    verdict_keyboard,
)
from bot.suggestions.results import RATING_LABELS, Rating
from bot.suggestions.service import MAX_TEXT, Notice
from bot.suggestions.views import (
    NoticeContext,
    Rendered,
    category_label,
    decision_keyboard,
)
from storage.unit_of_work import UnitOfWork

__all__ = ["RATING_OF", "deliver_files", "handling_notice"]

RATING_OF = {
    RateAction.SATISFIED: Rating.SATISFIED,
    RateAction.BASIC: Rating.BASIC,
    RateAction.DISSATISFIED: Rating.DISSATISFIED,
}


def handling_notice(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """办理 and rating (a renderer of `bot.suggestions.notices`): None for a key it does not know."""
    key = notice.key.removeprefix("suggestion.")
    for table in (_unit_notice, _deputy_notice, _overseer_notice):
        rendered = table(tr, key, notice, ctx)
        if rendered is not None:
            return rendered
    return None


def _head(ctx: NoticeContext) -> dict[str, str]:
    s = ctx.suggestion
    return {"number": esc(s.number or "—"), "title": esc(s.title), "lead": ctx.units[0], "filer": ctx.filer}


def _unit_notice(tr: Translator, key: str, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """What the lead unit's officers (and the previous lead unit) are told; each with its card."""
    s, h = ctx.suggestion, _head(ctx)
    due = esc(param(notice, "due") or (s.due_on.isoformat() if s.due_on else "—"))
    to_unit = "unit_id" in notice.params
    if key == "co_opinion":
        text = tr(
            "💬 The co-unit {unit} sent its opinion on suggestion <b>{number}</b> «{title}»:\n\n{text}",
            unit=esc(param(notice, "unit_name")),
            number=h["number"],
            title=h["title"],
            text=esc(cut(param(notice, "text"), TEXT_UNITS)),
        )
        return text + _files(tr, notice), card_button(tr, s)
    if key in ("contact_confirmed", "contact_disputed") and to_unit:
        template = (
            N_("✅ Deputy {filer} confirmed the contact of {day} ({stage}) on suggestion <b>{number}</b>.")
            if key == "contact_confirmed"
            else N_(
                "❌ Deputy {filer} disputes the contact of {day} ({stage}) on suggestion <b>{number}</b>."
            )
        )
        text = tr(
            template,
            filer=h["filer"],
            day=esc(param(notice, "held_on")),
            stage=_stage(tr, notice),
            number=h["number"],
        )
        return text + reason_line(tr, notice), card_button(tr, s)
    if key in ("rated_satisfied", "rated_basic"):
        rating = Rating.SATISFIED if key == "rated_satisfied" else Rating.BASIC
        text = tr(
            "🏁 Deputy {filer} rated your answer to suggestion <b>{number}</b> «{title}»: {rating}. It is closed (销号).",
            rating=tr(RATING_LABELS[rating]),
            **h,
        )
        return text, None
    if key == "rehandle" and to_unit:
        text = tr(
            "🔁 Deputy {filer} is dissatisfied with your answer to suggestion <b>{number}</b> «{title}»: it comes "
            "back to your unit to be handled again, due {due}.",
            due=due,
            **h,
        )
        return text + reason_line(tr, notice), card_button(tr, s)
    if key == "dissatisfied_again" and to_unit:
        text = tr(
            "⚠️ Deputy {filer} is dissatisfied again with your answer to suggestion <b>{number}</b> «{title}»; "
            "the congress office reviews it now.",
            **h,
        )
        return text + reason_line(tr, notice), None
    return _decision_notice(tr, key, notice, ctx, due)


def _decision_notice(
    tr: Translator, key: str, notice: Notice, ctx: NoticeContext, due: str
) -> Rendered | None:
    """Staff's decisions, as the lead unit (and the previous lead unit) hear them."""
    s, h = ctx.suggestion, _head(ctx)
    if key == "extension_granted":
        text = tr(
            "⏳ More time granted on suggestion <b>{number}</b> «{title}»: now due {due} ({months} months from "
            "assignment).",
            due=due,
            months=esc(param(notice, "months")),
            number=h["number"],
            title=h["title"],
        )
        return text + reason_line(tr, notice), card_button(tr, s)
    if key == "extension_denied":
        text = tr(
            "✋ The congress office did not grant more time on suggestion <b>{number}</b> «{title}»; it stays due "
            "{due}.",
            due=due,
            number=h["number"],
            title=h["title"],
        )
        return text + reason_line(tr, notice), card_button(tr, s)
    if key == "reassign_denied":
        text = tr(
            "✋ The congress office keeps suggestion <b>{number}</b> «{title}» with your unit; it stays due {due}.",
            due=due,
            number=h["number"],
            title=h["title"],
        )
        return text + reason_line(tr, notice), card_button(tr, s)
    if key == "reassigned_away":
        text = tr(
            "🔁 Suggestion <b>{number}</b> «{title}» was reassigned to {lead}; your unit no longer leads it.",
            number=h["number"],
            title=h["title"],
            lead=h["lead"],
        )
        return text, None
    return None


def _deputy_notice(tr: Translator, key: str, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """What the filer, the co-signers and the followers are told."""
    s, h = ctx.suggestion, _head(ctx)
    mine = ctx.recipient == s.filer_person_id
    follower = "tracking_no" in notice.params
    if key == "signed_for":
        return tr(
            "✍️ {lead} signed for your suggestion <b>{number}</b> «{title}» and is handling it; due {due}.",
            due=esc(s.due_on.isoformat() if s.due_on else "—"),
            **h,
        ), None
    if key == "contact_recorded":
        text = tr(
            "🤝 {lead} recorded a contact with you on your suggestion <b>{number}</b> «{title}»:\n"
            "{stage} · {day} · {form}\n{summary}\n\nDid it take place as recorded?",
            stage=_stage(tr, notice),
            day=esc(param(notice, "held_on")),
            form=tr(FORM_LABELS.get(param(notice, "form"), N_("other"))),
            summary=esc(cut(param(notice, "summary"), MAX_SUMMARY)),
            **h,
        )
        contact_id = notice.params.get("contact_id")
        return text, verdict_keyboard(tr, contact_id) if isinstance(contact_id, int) else None
    if key == "answered":
        return _answered(tr, notice, ctx, mine, follower)
    if key in ("extended", "reassigned") and mine:
        template = (
            N_("⏳ {lead} was given more time on your suggestion <b>{number}</b> «{title}»: now due {due}.")
            if key == "extended"
            else N_("🔁 Your suggestion <b>{number}</b> «{title}» was reassigned to {lead}, due {due}.")
        )
        return tr(template, due=esc(param(notice, "due")), **h), None
    if key == "rehandle" and follower:
        return tr(
            "🔁 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, is being handled again, due {due}.",
            number=h["number"],
            tracking_no=esc(param(notice, "tracking_no")),
            due=esc(param(notice, "due")),
        ), None
    if key == "closed" and follower:
        return tr(
            "🏁 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, is closed (销号).",
            number=h["number"],
            tracking_no=esc(param(notice, "tracking_no")),
        ), None
    return None


def _answered(tr: Translator, notice: Notice, ctx: NoticeContext, mine: bool, follower: bool) -> Rendered:
    """The answer: the deputy's with rating buttons, a co-signer's with its text, a follower's class only."""
    h = _head(ctx)
    klass = class_line(
        tr, param(notice, "result_class"), param(notice, "planned_on"), param(notice, "reason")
    )
    if follower:
        return tr(
            "📨 Suggestion <b>{number}</b>, made from your opinion {tracking_no}, was answered by {lead}:\n{klass}",
            number=h["number"],
            tracking_no=esc(param(notice, "tracking_no")),
            lead=h["lead"],
            klass=klass,
        ), None
    body = esc(cut(param(notice, "text"), TEXT_UNITS if not mine else MAX_TEXT))
    if not mine:
        text = tr(
            "📨 Suggestion <b>{number}</b> «{title}», which you co-signed, was answered by {lead}:\n{klass}\n\n{text}",
            klass=klass,
            text=body,
            **h,
        )
        return text + _files(tr, notice), None
    again = int(notice.params.get("round") or 1) > 1
    template = (
        N_("📨 <b>New answer to your suggestion {number}</b> «{title}» from {lead}, after handling it again:")
        if again
        else N_("📨 <b>Answer to your suggestion {number}</b> «{title}» from {lead}:")
    )
    text = "\n".join(
        [tr(template, **h), klass, "", body, _files(tr, notice).strip(), "", tr("Please rate the answer:")]
    )
    answer_id = notice.params.get("answer_id")
    return text.replace("\n\n\n", "\n\n"), rating_keyboard(tr, answer_id) if isinstance(
        answer_id, int
    ) else None


def _overseer_notice(tr: Translator, key: str, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """What the supervising committee and staff are told (and the sweep's reminders)."""
    s, h = ctx.suggestion, _head(ctx)
    due = esc(param(notice, "due") or (s.due_on.isoformat() if s.due_on else "—"))
    if key == "assigned_committee":
        return tr(
            "📌 Suggestion <b>{number}</b> «{title}» ({category}) by deputy {filer} is assigned to {lead}, due "
            "{due}; your committee supervises it (对口督办).",
            category=category_label(tr, s.category),
            due=due,
            **h,
        ), None
    if key == "contact_disputed":
        text = tr(
            "❌ Deputy {filer} disputes a contact {lead} recorded on suggestion <b>{number}</b> «{title}» "
            "({stage}, {day}).",
            stage=_stage(tr, notice),
            day=esc(param(notice, "held_on")),
            **h,
        )
        return text + reason_line(tr, notice), None
    if key == "answered_committee":
        klass = class_line(
            tr, param(notice, "result_class"), param(notice, "planned_on"), param(notice, "reason")
        )
        text = tr(
            "📨 {lead} answered suggestion <b>{number}</b> «{title}» of deputy {filer}:\n{klass}\n\n{text}",
            klass=klass,
            text=esc(cut(param(notice, "text"), TEXT_UNITS)),
            **h,
        )
        return text + _files(tr, notice), None
    if key in ("extended", "reassigned"):
        template = (
            N_("⏳ {lead} was given more time on suggestion <b>{number}</b> «{title}»: now due {due}.")
            if key == "extended"
            else N_("🔁 Suggestion <b>{number}</b> «{title}» was reassigned to {lead}, due {due}.")
        )
        return tr(template, due=due, **h), None
    if key == "closed":
        rating = param(notice, "rating")
        if rating in set(Rating):
            return tr(
                "🏁 Suggestion <b>{number}</b> «{title}» is closed (销号): deputy {filer} rated the answer of {lead}: "
                "{rating}.",
                rating=tr(RATING_LABELS[Rating(rating)]),
                **h,
            ), None
        return tr(
            "🏁 Suggestion <b>{number}</b> «{title}» is closed (销号).", number=h["number"], title=h["title"]
        ) + reason_line(tr, notice), None
    if key == "rehandle_committee":
        again = s.state != "rehandling"
        template = (
            N_(
                "⚠️ Deputy {filer} is dissatisfied again with the answer of {lead} to suggestion <b>{number}</b> "
                "«{title}»: the congress office reviews it."
            )
            if again
            else N_(
                "🔁 Deputy {filer} is dissatisfied with the answer of {lead} to suggestion <b>{number}</b> "
                "«{title}»: it is handled again, due {due}."
            )
        )
        return tr(template, due=due, **h) + reason_line(tr, notice), None
    if key == "dissatisfied_again":
        text = tr(
            "⚠️ Deputy {filer} is dissatisfied with the second answer of {lead} to suggestion <b>{number}</b> "
            "«{title}»: it needs the congress office's decision (reassign it, or close it with a reason).",
            **h,
        )
        keyboard = decision_keyboard(tr, s, (DecisionAction.REASSIGN,))
        close = InlineKeyboardButton(
            tr("🏁 Close (销号)"), callback_data=SupervisePress(SuperviseAction.CLOSE, s.id).pack()
        )  # asks the reason (handlers/supervise_suggestions.py)
        return text + reason_line(tr, notice), InlineKeyboardMarkup([*keyboard.inline_keyboard, [close]])
    if key == "deadline_warning":
        return _warning(tr, notice, ctx, due)
    return None


def _warning(tr: Translator, notice: Notice, ctx: NoticeContext, due: str) -> Rendered:
    s, h = ctx.suggestion, _head(ctx)
    colour = tr(COLOUR_LABELS.get(param(notice, "colour"), COLOUR_LABELS[WarningColour.RED]))
    if notice.params.get("unit"):
        text = tr(
            "⏰ Suggestion <b>{number}</b> «{title}», your unit's task: {colour}, due {due}. Please answer in time.",
            colour=colour,
            due=due,
            number=h["number"],
            title=h["title"],
        )
        return text, card_button(tr, s)
    return tr(
        "⏰ Suggestion <b>{number}</b> «{title}», assigned to {lead}: {colour}, due {due}.",
        colour=colour,
        due=due,
        number=h["number"],
        title=h["title"],
        lead=h["lead"],
    ), None


def _stage(tr: Translator, notice: Notice) -> str:
    return tr(STAGE_LABELS.get(param(notice, "stage"), N_("other")))


def _files(tr: Translator, notice: Notice) -> str:
    files = notice.params.get("attachments") or []
    return "\n" + tr("📎 Attachments follow: {n}.", n=len(files)) if files else ""


async def deliver_files(uow: UnitOfWork, notices: Iterable[Notice], policy: SlaPolicy, now: datetime) -> None:
    """The files of an answer or a co-unit's opinion, after its notice, to whoever was told its text
    (a follower's notice carries none), at the notice's time."""
    for notice in notices:
        files = notice.params.get("attachments") or []
        person = await uow.people.get(notice.recipient_person_id) if files else None
        if person is None or person.telegram_id is None:
            continue
        when = deliver_at(now, policy, urgent=notice.urgent)
        for item in files:
            kind = "photo" if item.get("kind") == "photo" else "document"
            method = "sendPhoto" if kind == "photo" else "sendDocument"
            await send_raw(uow, person.telegram_id, method, {kind: item["file_id"]}, not_before=when)
