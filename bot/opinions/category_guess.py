"""Guess a draft's category from its text, so that Submit files it in one tap.

The keyword table lives in the locales: one message id per category whose translation, in each
language, is that language's comma-separated keyword list (`locales/*/LC_MESSAGES/opinions.po`), so
the office can tune it like any other text. A draft is matched against every language's table (a
zh user may write in English). The guess is only made when it is confident: at least one keyword
hit, and strictly more hits than any other category; otherwise the sender chooses, or Submit files
the draft under "other".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from bot.kit.i18n import N_, SUPPORTED_LOCALES, translator

# category code -> the message id whose translation is that category's keyword list
KEYWORDS: dict[str, str] = {
    "urban_construction": N_("category keywords: urban_construction"),
    "transport": N_("category keywords: transport"),
    "education": N_("category keywords: education"),
    "health": N_("category keywords: health"),
    "social_security": N_("category keywords: social_security"),
    "environment": N_("category keywords: environment"),
    "agriculture": N_("category keywords: agriculture"),
    "disputes": N_("category keywords: disputes"),
}


def _matcher(keyword: str) -> re.Pattern[str]:
    """Latin keywords match whole words or their plural ("bus" is not in "business"); CJK ones
    match anywhere (Chinese has no spaces)."""
    escaped = re.escape(keyword)
    if keyword.isascii():
        return re.compile(rf"\b{escaped}(?:s|es)?\b", re.IGNORECASE)
    return re.compile(escaped)


@cache
def keyword_table() -> Mapping[str, tuple[re.Pattern[str], ...]]:
    """Every language's keywords per category (read once from the catalogues)."""
    table: dict[str, list[re.Pattern[str]]] = {code: [] for code in KEYWORDS}
    for locale in SUPPORTED_LOCALES:
        tr = translator(locale)
        for code, msgid in KEYWORDS.items():
            listed = tr(msgid)
            if listed == msgid:  # untranslated: no keywords in this language
                continue
            words = {w.strip() for w in re.split(r"[,，、]", listed) if w.strip()}
            table[code] += [_matcher(w) for w in sorted(words)]
    return {code: tuple(patterns) for code, patterns in table.items()}


def scores(text: str) -> dict[str, int]:
    """How many distinct keywords of each category the text contains."""
    return {code: sum(1 for p in patterns if p.search(text)) for code, patterns in keyword_table().items()}


def guess_category(text: str) -> str | None:
    """The category the text is clearly about, or None when no category clearly leads."""
    if not text.strip():
        return None
    ranked = sorted(scores(text).items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top >= 1 and top > second else None
