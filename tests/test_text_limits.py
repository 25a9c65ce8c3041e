"""The one place lengths are counted as Telegram counts them (UTF-16 units) and user text is cut."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.kit.text_limits import (
    MESSAGE_LIMIT,
    chunks,
    cut,
    escape,
    fit,
    prefix_within,
    share,
    utf16_len,
    visible_len,
)
from bot.sandbox.formatting import parse_text

EMOJI = "😀"  # outside the BMP: one code point, two UTF-16 units


def test_utf16_len_counts_surrogate_pairs_not_code_points() -> None:
    assert utf16_len(EMOJI * 2999) == 5998
    assert utf16_len("中" * 10) == 10
    assert prefix_within(EMOJI * 3, 5) == 2  # a third emoji would need units 5 and 6


def test_cut_of_emoji_keeps_whole_pairs_and_the_tail() -> None:
    out = cut(EMOJI * 2999, 100, "… full text: /my LX-2026-000001")
    assert utf16_len(out) <= 100
    assert out.endswith("… full text: /my LX-2026-000001")
    assert set(out.removesuffix("… full text: /my LX-2026-000001")) == {EMOJI}
    out.encode("utf-8")  # no lone surrogate: it would not encode


def test_cut_prefers_a_word_boundary() -> None:
    text = "the street lamp at the east gate has been broken for three months"
    out = cut(text, 30, "…")
    assert out == "the street lamp at the east…"


def test_cut_of_chinese_prefers_the_end_of_a_clause() -> None:
    text = "村口的路灯坏了三个月，晚上很危险，老人孩子经常摔倒"
    assert cut(text, 16, "…") == "村口的路灯坏了三个月，…"


def test_cut_of_chinese_far_from_a_clause_end_keeps_every_character_that_fits() -> None:
    """Any CJK character is a boundary: a comma far back is not a reason to drop 30 characters."""
    text = "路灯坏了，" + "村口的路灯坏了三个月晚上很危险" * 3
    assert cut(text, 40, "…") == text[:39] + "…"


def test_cut_of_mixed_text_at_cjk_does_not_go_back_to_the_last_space() -> None:
    text = "Road 7 " + "村口的路灯坏了三个月晚上很危险" * 3
    assert cut(text, 20, "…") == text[:19] + "…"


def test_cut_of_latin_goes_back_to_the_last_space_beyond_the_window() -> None:
    word = "x" * 60
    text = "see " + "a " * 40 + word + " end"
    out = cut(text, 130, "…")
    assert out == ("see " + "a " * 40).rstrip() + "…"  # never "…xxxxx" mid-token


def test_cut_does_not_tear_a_joined_emoji_or_a_combining_mark() -> None:
    family = "👨\u200d👩\u200d👧"
    out = cut("x" + family, 4, "")
    assert out == "x"
    assert cut("abe\u0301", 3, "") == "ab"


def test_visible_len_is_what_telegram_counts_after_parsing_html() -> None:
    rendered = f"<b>{escape('<a & b>')}</b> {EMOJI}"
    assert visible_len(rendered) == utf16_len(parse_text(rendered, "HTML").text) == 10


def test_fit_leaves_short_text_alone_and_escapes_it() -> None:
    out = fit(lambda text: f"<b>Card</b>\n\n{text}", MESSAGE_LIMIT, "…", text="a < b")
    assert out.text == "<b>Card</b>\n\na &lt; b" and not out.cut


def test_fit_cuts_two_fields_to_one_message() -> None:
    render = lambda text, answer: f"<b>LX</b>\n{text}\n<i>Answer:</i>\n{answer}"  # noqa: E731
    out = fit(render, MESSAGE_LIMIT, "… /my LX", text=EMOJI * 2999, answer="<&>" * 1400)
    assert out.cut
    parsed = parse_text(out.text, "HTML").text  # still valid HTML: no entity or tag was cut
    assert utf16_len(parsed) <= MESSAGE_LIMIT
    assert parsed.count("… /my LX") == 2


def test_share_gives_short_fields_all_they_need() -> None:
    assert share(100, [10, 500, 500]) == [10, 45, 45]
    assert share(100, [10, 20]) == [10, 20]
    assert share(-5, [3]) == [0]


@given(st.text(), st.integers(min_value=0, max_value=300), st.sampled_from(["", "…", "… full text: /my X"]))
def test_any_cut_fits_and_is_a_prefix(text: str, limit: int, tail: str) -> None:
    out = cut(text, limit, tail)
    assert utf16_len(out) <= limit
    if utf16_len(text) <= limit:
        assert out == text
    elif utf16_len(tail) <= limit:
        assert out.endswith(tail)
        assert text.startswith(out[: len(out) - len(tail)])


@given(st.text(), st.integers(min_value=2, max_value=200))  # 2: one emoji must fit
def test_chunks_fit_and_lose_only_whitespace_at_the_joins(text: str, limit: int) -> None:
    pieces = chunks(text, limit)
    assert all(utf16_len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


@given(st.text(), st.text(), st.integers(min_value=0, max_value=400))
def test_fit_never_exceeds_the_limit_whatever_the_text(text: str, answer: str, limit: int) -> None:
    render = lambda text, answer: f"<b>#</b> {text}\n{answer}"  # noqa: E731
    out = fit(render, limit, "…", text=text, answer=answer)
    assert visible_len(out.text) <= max(limit, visible_len(render(text="", answer="")))
    assert html.unescape(out.text)  # well-formed enough to unescape


def test_in_order_fit_keeps_the_first_field_whole() -> None:
    render = lambda text, answer: f"{text}\n{answer}"  # noqa: E731
    out = fit(render, 100, "…", in_order=True, text="a" * 80, answer="b" * 80)
    assert out.text.startswith("a" * 80 + "\n") and out.text.endswith("…")
    assert visible_len(out.text) <= 100


def test_every_naughty_string_cut_into_a_card_stays_valid_html_within_the_limit() -> None:
    """BLNS strings, each repeated past any limit, cut into a two-field card: Telegram parses it."""
    from tests.e2e.test_blns import naughty_strings

    def render(text: str, answer: str) -> str:
        return f"📝 <b>LX-2026-000001</b>\n\n{text}\n\n<i>Answer:</i>\n{answer}"

    for s in naughty_strings():
        long = (s + " ") * (MESSAGE_LIMIT // max(utf16_len(s), 1) + 1)
        for in_order in (False, True):
            out = fit(
                render,
                MESSAGE_LIMIT,
                "… full text: /my LX-2026-000001",
                in_order=in_order,
                text=long,
                answer=s,
            )
            parsed = parse_text(out.text, "HTML").text  # raises on a cut entity or tag
            assert utf16_len(parsed) <= MESSAGE_LIMIT, s
            assert out.cut
