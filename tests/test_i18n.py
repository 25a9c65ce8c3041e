"""Every user-visible text has both a zh_Hans and an en translation."""

from __future__ import annotations

import importlib.util

import pytest

from bot.kit.i18n import resolve_locale, translator
from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
assert _spec and _spec.loader
i18n_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n_tool)


def test_source_has_messages() -> None:
    assert len(i18n_tool.extracted()) > 5


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_message_is_translated(locale: str) -> None:
    gaps = i18n_tool.missing()[locale]
    assert gaps == [], f"{locale} lacks translations for: {gaps}"


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_one_message_has_one_translation(locale: str) -> None:
    """Two .po files translating one id differently: which one shows would depend on file order."""
    assert i18n_tool.conflicts(locale) == {}


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_placeholders_survive_translation(locale: str) -> None:
    """A translation must keep the {placeholders} of its message id, or .format() would break."""
    import string

    fmt = string.Formatter()
    table = i18n_tool.translated(locale)
    for msgid in i18n_tool.extracted():
        msgstr = table[msgid]
        strings = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        want = {f for _, f, _, _ in fmt.parse(msgid) if f}
        for s in strings:
            got = {f for _, f, _, _ in fmt.parse(s) if f}
            assert got <= want | {"n"}, f"{locale}: {msgid!r} -> {s!r}"


def test_translator_uses_catalogue() -> None:
    assert translator("zh_Hans")("Start") == "开始"
    assert translator("en")("Start") == "Start"


@pytest.mark.parametrize(
    ("saved", "code", "expected"),
    [
        ("en", "zh-hans", "en"),
        (None, "zh-hans", "zh_Hans"),
        (None, "en-GB", "en"),
        (None, "de", "zh_Hans"),
        (None, None, "zh_Hans"),
        ("xx", "en", "en"),
    ],
)
def test_resolve_locale(saved: str | None, code: str | None, expected: str) -> None:
    assert resolve_locale(saved, code, "zh_Hans") == expected
