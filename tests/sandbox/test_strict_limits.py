"""The sandbox's strict flood model: rolling windows with no burst on top of the rate.

A token bucket with a burst on top of its rate lets 40+ calls into one second; Telegram's limit is
"≤ 30 in any second". The strict model (``Sandbox(strict_limits=True)``) counts sends (messages,
edits, media) in rolling windows: 30 in any 1 s overall, 3 in any 3 s per private chat, 20 in any
60 s per group. answerCallbackQuery is not counted.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from telegram.error import RetryAfter

from bot.sandbox.limits import FloodLimiter, RollingWindow, RollingWindowLimiter
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox


def test_a_rolling_window_admits_no_burst_on_top_of_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    at = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: at[0])
    strict, bucket = RollingWindowLimiter(), FloodLimiter()
    # 30 at once, then one more every 1/30 s for just under a second: a bucket refills and takes
    # them all; in the rolling second after the first call there is no room for any of them.
    accepted_strict = accepted_bucket = 0
    for i in range(59):
        at[0] = 100.0 + max(0, i - 29) / 30
        accepted_strict += strict.check(1000 + i, private=True) is None
        accepted_bucket += bucket.check(1000 + i, private=True) is None
    assert accepted_bucket > 30 + 25  # what the old model let through within ~1 s
    assert accepted_strict == 30
    assert strict.refused == 29
    at[0] = 101.0  # the first 30 leave the window exactly one second later
    assert strict.check(5000, private=True) is None


def test_retry_after_is_when_the_oldest_call_leaves_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    at = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: at[0])
    limiter = RollingWindowLimiter()
    for t in (0.0, 0.5, 1.0):
        at[0] = t
        assert limiter.check(7, private=True) is None
    at[0] = 2.9  # 3 in the last 3 s
    assert limiter.check(7, private=True) == 1
    at[0] = 3.0  # the first left the window: one more fits, not a burst
    assert limiter.check(7, private=True) is None
    assert limiter.check(7, private=True) == 1
    window = RollingWindow(2, 10.0)
    window.take(0.0)
    window.take(1.0)
    assert window.wait_time(4.0) == pytest.approx(6.0)


def test_groups_get_20_in_any_minute_and_scale_shortens_every_window(monkeypatch: pytest.MonkeyPatch) -> None:
    at = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: at[0])
    limiter = RollingWindowLimiter(scale=10)
    for i in range(20):
        at[0] = i * 0.1
        assert limiter.check(-100, private=False) is None
    at[0] = 5.9
    assert limiter.check(-100, private=False) is not None
    at[0] = 6.0  # 60 s / 10
    assert limiter.check(-100, private=False) is None
    at[0] = 10.0
    assert all(limiter.check(2000 + i, private=True) is None for i in range(30))
    assert limiter.check(3000, private=True) is not None
    at[0] = 10.1  # 1 s / 10
    assert limiter.check(3000, private=True) is None


async def test_edits_count_and_callback_answers_do_not() -> None:
    async with running_sandbox(strict_limits=True) as sandbox, make_bot(sandbox) as bot:
        user = SandboxUser.create(sandbox)
        await user.start()
        sent = await bot.send_message(user.id, "card", reply_markup=None)
        await bot.edit_message_text("card, edited", chat_id=user.id, message_id=sent.message_id)
        await bot.edit_message_text("card, again", chat_id=user.id, message_id=sent.message_id)
        with sandbox.expect_error(code=429), pytest.raises(RetryAfter):
            await bot.edit_message_text("card, a third time", chat_id=user.id, message_id=sent.message_id)
        with sandbox.expect_error(code=429), pytest.raises(RetryAfter):
            await bot.send_message(user.id, "one too many")
        # Answers to button presses are not messages: none of them is refused.
        for i in range(40):
            query_id = sandbox.press_button(user.id, callback_data=f"x{i}", forge=True)
            assert await bot.answer_callback_query(query_id)
        assert_no_violations(sandbox)


def test_the_standalone_sandbox_takes_the_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.sandbox", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--strict-limits" in out
