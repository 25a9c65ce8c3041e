"""Translations: gettext catalogues compiled from `locales/*/LC_MESSAGES/*.po` at start-up.

Message ids are English source strings; both `zh_Hans` and `en` catalogues must translate every one
(tests/test_i18n.py fails otherwise). Each feature keeps its own `.po` file; a locale is their union.
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

# The catalogues shipped in locales/; settings check DEFAULT_LOCALE against these.
SUPPORTED_LOCALES = ("zh_Hans", "en")
LOCALES_DIR = Path(os.environ.get("LIAISON_LOCALES_DIR", Path(__file__).resolve().parents[2] / "locales"))

# Telegram's language_code values that map to our locales.
_TELEGRAM_ALIASES = {
    "zh": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "en": "en",
}


def N_(message: str) -> str:
    """Mark a string for extraction where it is translated later."""
    return message


class Translator:
    """The texts of one locale."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self._t = translations

    def gettext(self, message: str, /, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    __call__ = gettext


def _compile(po_files: Iterable[Path]) -> gettext.GNUTranslations:
    """Compile one locale's .po files into an in-memory catalogue (never committed as .mo)."""
    merged = Catalog()
    for path in sorted(po_files):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, merged, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@cache
def translator(locale: str) -> Translator:
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    files = list((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po"))
    return Translator(locale, _compile(files))


def resolve_locale(saved: str | None, telegram_code: str | None, default: str) -> str:
    """The user's saved choice, else Telegram's language_code, else the configured default."""
    if saved in SUPPORTED_LOCALES:
        return saved
    if telegram_code:
        code = telegram_code.lower()
        if code in _TELEGRAM_ALIASES:
            return _TELEGRAM_ALIASES[code]
        base = code.split("-")[0]
        if base in _TELEGRAM_ALIASES:
            return _TELEGRAM_ALIASES[base]
    return default
