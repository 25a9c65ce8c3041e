"""How the constituent's draft looks in chat: the draft card, its keyboards, the similar-opinion offer.

Rendering only: what the buttons do is decided in handlers/constituent.py and bot/opinions/submission.py.
The buttons' data strings are the ones sent before ("dr:anon", "dr:cat:transport", "dr:join:42"), so a
card still on screen keeps working after a deploy. The kinds share the family "dr": in the handler
table the longer prefixes ("dr:cat", "dr:cs", "dr:join") come before `DraftPress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import Translator
from bot.kit.text_limits import MAX_INPUT, MESSAGE_LIMIT, cut, fit, utf16_len
from bot.opinions.drafts import CATEGORIES, Draft
from bot.opinions.entities import Opinion
from bot.opinions.views import category_label
from bot.runtime.replies import esc, reused

# Kept free on the draft card for what is appended to it (the receipt, a similar-opinion offer).
DRAFT_CARD_ROOM = 600


class DraftAction(StrEnum):
    CATEGORIES = "cats"  # show the category keyboard
    ANONYMOUS = "anon"  # toggle
    PUBLIC = "pub"  # toggle
    SUBMIT = "submit"
    DISCARD = "discard"
    BACK = "back"  # from the category keyboard to the card's own
    SUBMIT_ANYWAY = "new"  # offered a similar opinion, submit mine all the same


@dataclass(frozen=True)
class DraftPress(Button, prefix="dr"):
    """A button of the draft card (after the longer "dr:…" kinds in the handler table)."""

    action: DraftAction


@dataclass(frozen=True)
class CategoryPress(Button, prefix="dr:cat"):
    """Choose the draft's category (one of `CATEGORIES`, checked by the handler)."""

    category: str


@dataclass(frozen=True)
class CategorySubmitPress(Button, prefix="dr:cs"):
    """Choose the category asked for by Submit, and submit."""

    category: str


@dataclass(frozen=True)
class JoinPress(Button, prefix="dr:join"):
    """Follow the similar opinion offered on the card instead of submitting the draft."""

    opinion_id: int


def draft_ref(chat_id: int, card: str) -> str:
    """The outbox ref of one draft card: edits of a card find its message through it."""
    return f"draft:{chat_id}:{card}"


def draft_text(tr: Translator, draft: Draft, *, hint: bool = True) -> str:
    """The card's text: the draft as it will be sent, and its settings."""
    lines = [tr("📝 <b>Your opinion (draft)</b>"), ""]
    lines.append("{text}" if draft.text else tr("(no text yet)"))
    lines.append("")
    lines.append(
        tr(
            "Category: {category}",
            category=category_label(tr, draft.category) if draft.category else tr("not chosen"),
        )
    )
    extras = []
    if draft.attachments:
        extras.append(tr("📎 {count} attachment(s)", count=len(draft.attachments)))
    if draft.location:
        extras.append(tr("📍 location"))
    if extras:
        lines.append(" · ".join(extras))
    lines.append(tr("Anonymous: {value}", value=tr("yes") if draft.anonymous else tr("no")))
    lines.append(
        tr("Public (others may see and follow it): {value}", value=tr("yes") if draft.public else tr("no"))
    )
    if hint:
        lines += ["", tr("Send more messages to add to it, or press Submit.")]
    if not draft.text:
        return "\n".join(lines)
    # The draft is capped below the limit; the cut guards what the cap cannot (an offer beside it).
    index = lines.index("{text}")

    def render(text: str) -> str:
        return "\n".join([*lines[:index], text, *lines[index + 1 :]])

    return fit(render, MESSAGE_LIMIT - DRAFT_CARD_ROOM, "…", text=draft.text).text


def draft_keyboard(tr: Translator, draft: Draft) -> InlineKeyboardMarkup:
    return _draft_keyboard(tr, draft.anonymous, draft.public)


@cache
def _draft_keyboard(tr: Translator, anonymous: bool, public: bool) -> InlineKeyboardMarkup:
    """One per language, anonymity and publicity: the same buttons for every draft."""
    return reused(
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr("📂 Category"), callback_data=DraftPress(DraftAction.CATEGORIES).pack()
                    ),
                    InlineKeyboardButton(
                        tr("🕶 Anonymous: on") if anonymous else tr("👤 Anonymous: off"),
                        callback_data=DraftPress(DraftAction.ANONYMOUS).pack(),
                    ),
                ],
                [
                    InlineKeyboardButton(
                        tr("👥 Public: on") if public else tr("🔒 Public: off"),
                        callback_data=DraftPress(DraftAction.PUBLIC).pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        tr("📤 Submit"), callback_data=DraftPress(DraftAction.SUBMIT).pack()
                    ),
                    InlineKeyboardButton(
                        tr("🗑 Discard"), callback_data=DraftPress(DraftAction.DISCARD).pack()
                    ),
                ],
            ]
        )
    )


@cache
def category_keyboard(tr: Translator, then_submit: bool) -> InlineKeyboardMarkup:
    """One per language and variant: the categories are fixed while the bot runs."""
    kind = CategorySubmitPress if then_submit else CategoryPress
    buttons = [
        InlineKeyboardButton(tr(label), callback_data=kind(code).pack()) for code, label in CATEGORIES.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(tr("⬅️ Back"), callback_data=DraftPress(DraftAction.BACK).pack())])
    return reused(InlineKeyboardMarkup(rows))


def similar_offer(tr: Translator, similar: Opinion, zone: ZoneInfo) -> str:
    """Only a public opinion is quoted; of a private one the neighbour learns its category and date."""
    if similar.public and not similar.anonymous:
        return tr(
            "A similar opinion is already open at your station: <b>{tracking_no}</b> "
            "“{snippet}”. Join it instead? You will hear how it goes.",
            tracking_no=esc(similar.tracking_no),
            snippet=esc(cut(similar.text, 200)),
        )
    return tr(
        "A similar matter ({category}, {date}) is already being handled at your station. Follow it? "
        "You will hear when its state changes.",
        category=category_label(tr, similar.category),
        date=similar.created_at.astimezone(zone).strftime("%Y-%m-%d"),
    )


def similar_keyboard(tr: Translator, similar: Opinion) -> InlineKeyboardMarkup:
    """Join the similar opinion, or submit the draft all the same."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr("🤝 Join it"), callback_data=JoinPress(similar.id).pack())],
            [
                InlineKeyboardButton(
                    tr("📤 Submit mine"), callback_data=DraftPress(DraftAction.SUBMIT_ANYWAY).pack()
                )
            ],
        ]
    )


def not_added(tr: Translator, draft: Draft, added: str) -> str:
    """Why a message did not join the draft, counted as Telegram counts (UTF-16 units)."""
    grown = utf16_len(draft.text) + utf16_len(added) + bool(draft.parts)
    if grown > MAX_INPUT:
        return tr(
            "That message was not added: the draft would have {length} characters, and at most "
            "{limit} fit. Shorten it and send it again, or submit the draft as it is.",
            length=grown,
            limit=MAX_INPUT,
        )
    return tr("The draft is full (3,000 characters, 10 attachments). Submit it, or start a new one after it.")
