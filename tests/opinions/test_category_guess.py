"""Guessing a draft's category from its text: the keyword tables in the locales, and the draft's rules."""

from __future__ import annotations

import pytest

from bot.kit.i18n import translator
from bot.opinions.category_guess import KEYWORDS, guess_category, keyword_table
from bot.opinions.drafts import CATEGORIES, Draft


def test_every_category_but_other_has_keywords_in_both_languages() -> None:
    assert set(KEYWORDS) == set(CATEGORIES) - {"other"}
    for locale in ("zh_Hans", "en"):
        tr = translator(locale)
        for code, msgid in KEYWORDS.items():
            assert tr(msgid) != msgid and "," in tr(msgid), (locale, code)
    assert all(keyword_table()[code] for code in KEYWORDS)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("村口的路灯坏了三个月，晚上很危险", "urban_construction"),
        ("希望增加公交班次", "transport"),
        ("河道里有人倾倒垃圾", "environment"),
        ("幼儿园门口没有人行道", "education"),
        ("卫生院没有医生值班", "health"),
        ("养老金迟迟没有发放", "social_security"),
        ("今年灌溉用水不够，庄稼都旱了", "agriculture"),
        ("和邻居因为宅基地起了纠纷", "disputes"),
        ("The bus stop at the east gate has no shelter", "transport"),
        ("Rubbish has not been collected for two weeks", "environment"),
    ],
)
def test_a_clear_text_is_guessed(text: str, category: str) -> None:
    assert guess_category(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "反映村干部作风问题",  # no keyword
        "学校门口早上堵车",  # education and transport alike: no clear lead
        "The business is doing fine",  # "bus" is not in "business"
        "",
        "😀" * 10,
    ],
)
def test_no_guess_without_a_clear_lead(text: str) -> None:
    assert guess_category(text) is None


def test_a_chosen_category_is_never_replaced_by_a_guess() -> None:
    draft = Draft()
    draft.add_text("村口的路灯坏了")
    draft.guess_category()
    assert draft.category == "urban_construction" and draft.category_guessed
    draft.add_text("公交也停了")
    draft.guess_category()  # urban construction and transport now tie: no guess
    assert draft.category is None
    draft.pick_category("transport")
    draft.add_text("路灯 路面 井盖 下水道")
    draft.guess_category()
    assert draft.category == "transport" and not draft.category_guessed


def test_a_saved_draft_keeps_whether_its_category_was_chosen() -> None:
    guessed = Draft(category="health")
    assert Draft.from_dict(guessed.to_dict()).category_guessed
    chosen = Draft(category="health", category_picked=True)
    assert not Draft.from_dict(chosen.to_dict()).category_guessed
    older = {"parts": ["x"], "category": "health"}  # saved before guesses: the sender's choice
    assert not Draft.from_dict(older).category_guessed
