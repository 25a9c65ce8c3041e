"""How the constituent's draft looks in chat: the draft card, its keyboards, the similar-opinion offer.

Rendering only: what the buttons do is decided in handlers/constituent.py and bot/opinions/submission.py.
The buttons' data strings are the ones sent before ("dr:anon", "dr:cat:transport", "dr:join:42"), so a
card still on screen keeps working after a deploy. The kinds share the family "dr": in the handler
table the longer prefixes ("dr:cat", "dr:cs", "dr:join") come before `DraftPress`.
"""

from __future__ import annotations

import unicodedata
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
from bot.opinions.views import STATE_LABELS, category_label
from bot.runtime.replies import esc, reused

# Kept free on the draft card for what is appended to it (the receipt, a similar-opinion offer).
DRAFT_CARD_ROOM = 600


class DraftAction(StrEnum):
    CATEGORIES = "cats"  # (cards from before the categories were on the card) show the card again
    ANONYMOUS = "anon"  # toggle
    PUBLIC = "pub"  # toggle
    SUBMIT = "submit"
    DISCARD = "discard"
    BACK = "back"  # (cards from before) from the category keyboard to the card's own
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
    """Choose the category asked for by Submit, and submit (on cards from before one-tap filing)."""

    category: str


@dataclass(frozen=True)
class JoinPress(Button, prefix="dr:join"):
    """Follow the similar opinion offered on the card instead of submitting the draft."""

    opinion_id: int


def draft_ref(chat_id: int, card: str) -> str:
    """The outbox ref of one draft card: edits of a card find its message through it."""
    return f"draft:{chat_id}:{card}"


def draft_text(tr: Translator, draft: Draft, *, hint: bool = True, title: str | None = None) -> str:
    """The card's text: the draft as it will be sent, and its settings.

    `title` replaces the draft's heading once it is filed (its tracking number and state).
    """
    lines = [title or tr("📝 <b>Your opinion (draft)</b>"), ""]
    lines.append("{text}" if draft.text else tr("(no text yet)"))
    lines.append("")
    lines.append(category_line(tr, draft, filed=title is not None))
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


def category_line(tr: Translator, draft: Draft, *, filed: bool = False) -> str:
    """The category as Submit will file it: chosen, guessed from the text, or "other" by default."""
    if draft.category is None:
        if filed:
            return tr("Category: {category}", category=category_label(tr, "other"))
        return tr("Category: not chosen (Submit files it under “Other”; choose one below)")
    label = category_label(tr, draft.category)
    if draft.category_guessed and not filed:
        return tr("Category: {category} (guessed from your text; change it below)", category=label)
    return tr("Category: {category}", category=label)


def filed_title(tr: Translator, opinion: Opinion) -> str:
    """The heading of a filed opinion's card: its tracking number and its state at filing."""
    return f"📨 <b>{esc(opinion.tracking_no)}</b> · {tr(STATE_LABELS[opinion.state])}"


def draft_keyboard(tr: Translator, draft: Draft) -> InlineKeyboardMarkup:
    return _draft_keyboard(tr, draft.category, draft.anonymous, draft.public)


# How wide a row of category buttons may be (characters of its labels; a CJK character counts two),
# so that a phone shows each label whole: three short zh labels, one or two of the longer en ones.
CATEGORY_ROW_WIDTH = 32


def _width(label: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)


def category_rows(tr: Translator, current: str | None) -> list[list[InlineKeyboardButton]]:
    """Every category as a button on the card itself (the chosen or guessed one ticked), packed
    into rows of at most three that fit a phone's width."""
    rows: list[list[InlineKeyboardButton]] = []
    width = 0
    for code, label in CATEGORIES.items():
        text = ("✓ " if code == current else "") + tr(label)
        if rows and len(rows[-1]) < 3 and width + _width(text) <= CATEGORY_ROW_WIDTH:
            rows[-1].append(InlineKeyboardButton(text, callback_data=CategoryPress(code).pack()))
            width += _width(text)
        else:
            rows.append([InlineKeyboardButton(text, callback_data=CategoryPress(code).pack())])
            width = _width(text)
    return rows


@cache
def _draft_keyboard(
    tr: Translator, category: str | None, anonymous: bool, public: bool
) -> InlineKeyboardMarkup:
    """One per language, category, anonymity and publicity: the same buttons for every draft."""
    return reused(
        InlineKeyboardMarkup(
            [
                *category_rows(tr, category),
                [
                    InlineKeyboardButton(
                        tr("🕶 Anonymous: on") if anonymous else tr("👤 Anonymous: off"),
                        callback_data=DraftPress(DraftAction.ANONYMOUS).pack(),
                    ),
                    InlineKeyboardButton(
                        tr("👥 Public: on") if public else tr("🔒 Public: off"),
                        callback_data=DraftPress(DraftAction.PUBLIC).pack(),
                    ),
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
