"""Every kind of call Telegram refuses is refused the same way when made by python-telegram-bot."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter

from bot.sandbox import Sandbox
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox

NOT_MODIFIED = "message is not modified"

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")


async def test_unknown_method_is_404(sandbox: Sandbox, bot: Bot) -> None:
    with sandbox.expect_error("Not Found", code=404), pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert sandbox.calls()[-1]["error_code"] == 404
    assert_no_violations(sandbox)


async def test_method_names_are_case_insensitive(sandbox: Sandbox, bot: Bot) -> None:
    me = await bot.do_api_request("GETME")
    assert me["username"] == "liaison_sandbox_bot"


async def test_unknown_token_is_401(sandbox: Sandbox) -> None:
    bad = Bot("999:WRONG", base_url=sandbox.base_url)
    with pytest.raises(InvalidToken):
        await bad.get_me()


async def test_missing_required_parameter(sandbox: Sandbox, bot: Bot) -> None:
    with sandbox.expect_error("chat_id is empty"), pytest.raises(BadRequest, match=r"(?i)chat_id is empty"):
        await bot.do_api_request("sendMessage", api_kwargs={"text": "hello"})
    assert_no_violations(sandbox)


async def test_empty_text(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    with (
        sandbox.expect_error("message text is empty"),
        pytest.raises(BadRequest, match=r"(?i)Message text is empty"),
    ):
        await bot.send_message(user.id, "")
    with (
        sandbox.expect_error("message text is empty"),
        pytest.raises(BadRequest, match=r"(?i)Message text is empty"),
    ):
        await bot.send_message(user.id, "<b></b>", parse_mode="HTML")
    assert_no_violations(sandbox)


async def test_text_over_4096_utf16_units(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    with (
        sandbox.expect_error("message is too long"),
        pytest.raises(BadRequest, match=r"(?i)Message is too long"),
    ):
        await bot.send_message(user.id, "😀" * 2049)  # 4098 UTF-16 units, only 2049 characters
    cjk = "中" * 4096
    sent = await bot.send_message(user.id, cjk)
    assert sent.text == cjk
    # Markup does not count: the limit applies after entity parsing.
    await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert_no_violations(sandbox)


async def test_caption_over_1024(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    with (
        sandbox.expect_error("caption is too long"),
        pytest.raises(BadRequest, match=r"(?i)caption is too long"),
    ):
        await bot.send_photo(user.id, b"\x89PNG fake", caption="c" * 1025)
    await bot.send_photo(user.id, b"\x89PNG fake", caption="c" * 1024)
    assert_no_violations(sandbox)


async def test_callback_data_over_64_bytes(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="中" * 22)]])  # 66 bytes
    with (
        sandbox.expect_error("BUTTON_DATA_INVALID"),
        pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"),
    ):
        await bot.send_message(user.id, "pick", reply_markup=markup)
    assert_no_violations(sandbox)


async def test_button_without_action(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = '{"inline_keyboard": [[{"text": "Nothing"}]]}'
    with (
        sandbox.expect_error("Text buttons are unallowed"),
        pytest.raises(BadRequest, match=r"(?i)unallowed"),
    ):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": user.id, "text": "x", "reply_markup": markup}
        )
    assert_no_violations(sandbox)


async def test_button_with_two_actions(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = {"inline_keyboard": [[{"text": "Both", "callback_data": "a", "url": "https://example.org"}]]}
    with sandbox.expect_error("exactly one"), pytest.raises(BadRequest, match=r"(?i)exactly one"):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": user.id, "text": "x", "reply_markup": markup}
        )
    assert_no_violations(sandbox)


async def test_bad_html(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    for html in ("<b>unclosed", "1 < 2", "Q&A", "<b><i>x</b></i>", "<div>x</div>"):
        with (
            sandbox.expect_error("can't parse entities"),
            pytest.raises(BadRequest, match=r"(?i)Can't parse entities"),
        ):
            await bot.send_message(user.id, html, parse_mode="HTML")
    assert_no_violations(sandbox)


async def test_bad_markdown_v2(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    with (
        sandbox.expect_error("is reserved"),
        pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"),
    ):
        await bot.send_message(user.id, "Done.", parse_mode="MarkdownV2")
    with sandbox.expect_error("can't find end"), pytest.raises(BadRequest, match=r"(?i)Can't find end"):
        await bot.send_message(user.id, "*bold", parse_mode="MarkdownV2")
    sent = await bot.send_message(user.id, r"*Done*\.", parse_mode="MarkdownV2")
    assert sent.text == "Done."
    assert_no_violations(sandbox)


async def test_edit_not_modified(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(user.id, "<b>same</b>", parse_mode="HTML", reply_markup=markup)
    with sandbox.expect_error(NOT_MODIFIED), pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_text(
            "<b>same</b>", user.id, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    # Dropping the keyboard is a change.
    await bot.edit_message_text("<b>same</b>", user.id, sent.message_id, parse_mode="HTML")
    with sandbox.expect_error(NOT_MODIFIED), pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id)
    assert_no_violations(sandbox)


async def test_double_answer_callback_query(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    await bot.send_message(user.id, "Sure?", reply_markup=markup)
    pressed = await user.press("Yes")
    assert await bot.answer_callback_query(pressed.query_id, "Noted")
    with (
        sandbox.expect_error("query is too old", count=2),
        pytest.raises(BadRequest, match=r"(?i)Query is too old"),
    ):
        await bot.answer_callback_query(pressed.query_id, "again")
    with sandbox.expect_error("query is too old"), pytest.raises(BadRequest, match=r"(?i)Query is too old"):
        await bot.answer_callback_query("123456", "unknown")
    assert (await pressed.answer())["text"] == "Noted"
    assert_no_violations(sandbox)


async def test_user_who_never_started_is_403(sandbox: Sandbox, bot: Bot) -> None:
    stranger = SandboxUser.create(sandbox, first_name="Bob")
    with (
        sandbox.expect_error("can't initiate", code=403),
        pytest.raises(Forbidden, match=r"(?i)can't initiate"),
    ):
        await bot.send_message(stranger.id, "hello")
    with sandbox.expect_error("chat not found"), pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(777, "nobody")
    assert_no_violations(sandbox)


async def test_blocked_user_is_403(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    await user.block()
    with (
        sandbox.expect_error("blocked", code=403),
        pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"),
    ):
        await bot.send_message(user.id, "still there?")
    await user.send("/start")  # writing again restarts the bot
    await bot.send_message(user.id, "welcome back")
    kinds = [next(k for k in u if k != "update_id") for u in sandbox.state.updates]
    assert kinds.count("my_chat_member") == 2
    assert_no_violations(sandbox)


async def test_flood_limit_gives_429_with_retry_after() -> None:
    async with running_sandbox(flood_limits=True) as sandbox, make_bot(sandbox) as bot:
        user = SandboxUser.create(sandbox)
        await user.start()
        for i in range(3):  # the burst allowance for a private chat
            await bot.send_message(user.id, f"m{i}")
        with sandbox.expect_error(code=429), pytest.raises(RetryAfter) as err:
            await bot.send_message(user.id, "one too many")
        retry = err.value.retry_after
        assert (retry if isinstance(retry, int) else retry.total_seconds()) >= 1
        raw = [c for c in sandbox.calls("sendMessage") if not c["ok"]]
        assert raw[-1]["description"].startswith("Too Many Requests: retry after")
        assert_no_violations(sandbox)


async def test_unexpected_refusals_are_recorded_as_violations(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(user.id, "oops.", parse_mode="MarkdownV2")
    [violation] = sandbox.violations()
    assert violation.method == "sendMessage"
    assert violation.params["text"] == "oops."
    assert "can't parse entities" in violation.description
    with pytest.raises(AssertionError, match=r"(?i)Telegram would refuse"):
        assert_no_violations(sandbox)
    sandbox.clear_violations()
    assert_no_violations(sandbox)


async def test_type_checks(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    with sandbox.expect_error(code=400), pytest.raises(BadRequest, match=r"(?i)invalid latitude"):
        await bot.do_api_request(
            "sendLocation", api_kwargs={"chat_id": user.id, "latitude": "north", "longitude": 1}
        )
    with sandbox.expect_error(code=400), pytest.raises(BadRequest, match=r"(?i)reply keyboard markup"):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": user.id, "text": "x", "reply_markup": "{oops"}
        )
    with sandbox.expect_error(code=400), pytest.raises(BadRequest, match=r"(?i)there is no photo"):
        await bot.do_api_request("sendPhoto", api_kwargs={"chat_id": user.id})
    # Unknown parameters are ignored, as Telegram does.
    await bot.do_api_request("sendMessage", api_kwargs={"chat_id": user.id, "text": "x", "frobnicate": 1})
    assert_no_violations(sandbox)
