"""Entity parsing and UTF-16 length: the rules the sandbox refuses calls by."""

from __future__ import annotations

import pytest

from bot.sandbox.formatting import EntityParseError, find_bot_commands, parse_text, utf16_len


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("中文") == 2


def test_html_to_plain_text_and_entities() -> None:
    ft = parse_text('<b>Hi</b> &lt;you&gt; <a href="https://x.org">link</a> 😀<i>it</i>', "HTML")
    assert ft.text == "Hi <you> link 😀it"
    assert {"type": "bold", "offset": 0, "length": 2} in ft.entities
    assert {"type": "text_link", "offset": 9, "length": 4, "url": "https://x.org"} in ft.entities
    assert {"type": "italic", "offset": 16, "length": 2} in ft.entities  # emoji counts 2


def test_html_pre_with_language_and_spoiler() -> None:
    ft = parse_text(
        '<pre><code class="language-python">x = 1</code></pre><span class="tg-spoiler">s</span>', "html"
    )
    assert ft.entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 5, "length": 1},
    ]


@pytest.mark.parametrize(
    "html",
    ["a < b", "fish & chips", "<b>open", "<b><i>x</b></i>", "<script>x</script>", "x</b>", "<span>x</span>"],
)
def test_html_refused(html: str) -> None:
    with pytest.raises(EntityParseError):
        parse_text(html, "HTML")


def test_markdown_v2_entities_and_escapes() -> None:
    ft = parse_text(r"*bold* _it_ __u__ ~s~ ||sp|| `c.d` [l](https://e.org/a\)b) 1\.5\!", "MarkdownV2")
    assert ft.text == "bold it u s sp c.d l 1.5!"
    types = [e["type"] for e in ft.entities]
    assert types == ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"]
    assert ft.entities[-1]["url"] == "https://e.org/a)b"


@pytest.mark.parametrize("md", ["1.5", "a-b", "*unclosed", "_x*", "wow!", "(x)", "[x](y"])
def test_markdown_v2_refused(md: str) -> None:
    with pytest.raises(EntityParseError):
        parse_text(md, "MarkdownV2")


def test_markdown_v2_reserved_message_matches_telegram() -> None:
    with pytest.raises(
        EntityParseError, match=r"Character '\.' is reserved and must be escaped with the preceding '\\'"
    ):
        parse_text("end.", "MarkdownV2")


def test_legacy_markdown() -> None:
    ft = parse_text("*b* _i_ `c` [t](https://x.org) a.b-c!", "Markdown")
    assert ft.text == "b i c t a.b-c!"
    with pytest.raises(EntityParseError):
        parse_text("*open", "Markdown")


def test_whitespace_is_trimmed_and_entities_shift() -> None:
    ft = parse_text("  <b>x</b>  ", "HTML")
    assert ft.text == "x"
    assert ft.entities == [{"type": "bold", "offset": 0, "length": 1}]


def test_bot_commands_found() -> None:
    assert find_bot_commands("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert find_bot_commands("see /help@liaison_bot now") == [
        {"type": "bot_command", "offset": 4, "length": 17}
    ]
    assert find_bot_commands("a/b and http://x/y") == []
