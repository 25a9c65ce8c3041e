"""One glossary in both catalogues (DESIGN.md): the words a user reads mean one thing each."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"

# zh word that must not appear -> the glossary word that replaces it, and why.
RETIRED_ZH = {
    "选民": "群众: a constituent is anyone who writes, not only a registered voter",
    "主席团": "主任会议成员: the top tier of the network; 主席团 exists only during a session",
    "意见建议": "意见: a constituent's opinion; 建议 is a deputy's formal suggestion",
}


def zh_messages() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((LOCALES / "zh_Hans" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    texts = message.string if isinstance(message.string, tuple) else (message.string,)
                    for text in texts:
                        found.append((path.name, str(message.id), text))
    return found


@pytest.mark.parametrize("word", sorted(RETIRED_ZH))
def test_no_zh_text_uses_a_retired_word(word: str) -> None:
    offenders = [f"{name}: {msgid!r} -> {text!r}" for name, msgid, text in zh_messages() if word in text]
    assert not offenders, f"{word} is retired ({RETIRED_ZH[word]}):\n" + "\n".join(offenders)


def test_en_says_constituent_and_opinion_not_voter() -> None:
    offenders = []
    for path in sorted((LOCALES / "en" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                text = message.string if isinstance(message.string, str) else " ".join(message.string)
                if "voter" in text.lower():
                    offenders.append(f"{path.name}: {message.id!r}")
    assert not offenders, offenders
