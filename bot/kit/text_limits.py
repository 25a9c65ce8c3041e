"""Telegram's length limits, counted as Telegram counts them, and cutting user text to fit them.

Telegram counts a message's length in UTF-16 code units of its *visible* text (after the HTML is
parsed into entities): an emoji outside the BMP is two units, "&lt;" is one, "<b>" is none. Python's
``len`` counts code points, so 2,999 emoji pass ``len(text) <= 3000`` and are 5,998 units, which
no card can carry. Everything here is pure: cut the plain text first, then escape it, so a cut
never lands inside a surrogate pair, an HTML entity or a tag.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

MESSAGE_LIMIT = 4096  # sendMessage / editMessageText text, after entity parsing
CAPTION_LIMIT = 1024  # captions of photos, documents, voice messages
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery text
CALLBACK_DATA_BYTES = 64  # callback_data, in UTF-8 bytes
# What a person may write in one go (an opinion, a question, an answer, a reply to a question):
# leaves room on the card for its header and, on the deputy's card, the answer beside it.
MAX_INPUT = 3000
# How far back from the hard cut a space is looked for (at least; up to half the room), before
# cutting mid-word; and how near the cut a clause's end must be to be preferred to the limit itself.
_WORD_WINDOW = 40
_CLAUSE_WINDOW = 8
_TAG = re.compile(r"<[^>]*>")
_BREAK_AFTER = frozenset("，。！？；：、,.!?;:)）」』】》")
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every Telegram text limit and entity offset."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(html_text: str) -> int:
    """UTF-16 length of what Telegram shows for an HTML-mode text (tags dropped, entities decoded)."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def escape(text: str) -> str:
    """The escaping `bot.runtime.replies.esc` applies (kept here so this module needs nothing of the bot)."""
    return html.escape(text, quote=False)


def _splits_cluster(text: str, i: int) -> bool:
    """Whether a cut before text[i] would tear a combining mark or a joined emoji off its base."""
    if i <= 0 or i >= len(text):
        return False
    nxt, prev = text[i], text[i - 1]
    if unicodedata.combining(nxt) or nxt in _JOINERS or prev == "\u200d":
        return True
    # Regional indicators come in pairs (flags): do not split a pair.
    return 0x1F1E6 <= ord(nxt) <= 0x1F1FF and 0x1F1E6 <= ord(prev) <= 0x1F1FF


def _boundary(text: str, j: int) -> bool:
    """A cut before text[j] falls between words: at a space, or after punctuation."""
    return text[j].isspace() or text[j - 1].isspace() or text[j - 1] in _BREAK_AFTER


def _wide(ch: str) -> bool:
    """A CJK (wide or full-width) character: Chinese has no spaces, so any one ends a "word"."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def prefix_within(text: str, units: int) -> int:
    """The largest index i such that text[:i] is at most `units` UTF-16 units (a code-point index)."""
    if units <= 0:
        return 0
    # Decoding drops a surrogate pair torn in half ("ignore"), so the prefix ends between code points.
    return len(text.encode("utf-16-le")[: 2 * units].decode("utf-16-le", "ignore"))


def cut(text: str, limit: int, tail: str = "…") -> str:
    """`text` if it fits in `limit` UTF-16 units; else a prefix ending at a word boundary, then `tail`.

    The result never exceeds `limit` units. Where to cut: after a clause's punctuation when one ends
    within the last few characters; else, between CJK characters, right at the limit (any character
    is a boundary there); else, in Latin text, at the last space (looked for back to half the
    room, so one long token does not leave an empty preview); else between characters. Never inside
    a surrogate pair, a combining sequence or a joined emoji. A tail longer than the limit is itself
    cut (without a tail).
    """
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(tail)
    if room < 0:
        return cut(tail, limit, "")
    i = prefix_within(text, room)
    hard = i
    while i > 0 and _splits_cluster(text, i):
        i -= 1
    if i == 0:  # one cluster longer than the room: a hard cut, still between code points
        return text[:hard].rstrip() + tail
    j = next((j for j in range(i, max(0, i - _CLAUSE_WINDOW), -1) if text[j - 1] in _BREAK_AFTER), 0)
    if j == 0 and not (_wide(text[i - 1]) or _wide(text[i])):
        floor = max(0, i - max(_WORD_WINDOW, i // 2))
        j = next((j for j in range(i, floor, -1) if _boundary(text, j)), i)
    return text[: j or i].rstrip() + tail


def share(budget: int, lengths: Sequence[int]) -> list[int]:
    """Split `budget` among fields of these lengths: short ones keep all, long ones share the rest."""
    shares = [0] * len(lengths)
    pending = sorted(range(len(lengths)), key=lambda k: lengths[k])
    left = max(budget, 0)
    while pending:
        fair = left // len(pending)
        k = pending.pop(0)
        shares[k] = min(lengths[k], fair)
        left -= shares[k]
    return shares


def in_order_shares(budget: int, lengths: Sequence[int]) -> list[int]:
    """Split `budget` among fields by rank: each takes what it needs of what the earlier ones left."""
    shares = []
    left = max(budget, 0)
    for length in lengths:
        shares.append(min(length, left))
        left -= shares[-1]
    return shares


class Fitted(NamedTuple):
    text: str
    cut: bool


def fit(
    render: Callable[..., str],
    limit: int,
    tail: str | Mapping[str, str],
    *,
    in_order: bool = False,
    **fields: str,
) -> Fitted:
    """Render an HTML template whose `fields` are user text, cutting the fields so the result fits.

    Args:
        render: builds the message from escaped field values (e.g. a translated template).
        limit: Telegram's limit for this text (MESSAGE_LIMIT, CAPTION_LIMIT).
        tail: plain text ending a cut field, e.g. "… full text: /my LX-2026-000001"; or one per field.
        in_order: the first field keeps all it can, then the next (else they share fairly).
        fields: the user's plain (unescaped) texts, by the template's placeholder names.
    """
    chrome = visible_len(render(**dict.fromkeys(fields, "")))
    budget = limit - chrome
    lengths = [utf16_len(v) for v in fields.values()]
    if sum(lengths) <= budget:
        return Fitted(render(**{k: escape(v) for k, v in fields.items()}), False)
    shares = in_order_shares(budget, lengths) if in_order else share(budget, lengths)
    tails = {k: tail for k in fields} if isinstance(tail, str) else tail
    out = {
        k: escape(v if utf16_len(v) <= s else cut(v, s, tails.get(k, "…")))
        for (k, v), s in zip(fields.items(), shares, strict=True)
    }
    return Fitted(render(**out), True)


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text in pieces of at most `limit` (≥ 2) units each, split at word boundaries where possible."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        head = cut(rest, limit, "")
        if not head:  # one cluster longer than the limit: split it hard
            head = rest[: max(prefix_within(rest, limit), 1)]
        pieces.append(head)
        rest = rest[len(head) :].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces
