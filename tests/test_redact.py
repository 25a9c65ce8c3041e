"""bot.runtime.redact: the bot token and one-time links masked in log records and stored payloads."""

from __future__ import annotations

import logging

import pytest

from bot.runtime import redact
from bot.runtime.redact import MASK, blank, blank_links

TOKEN = "7412589630:AAHk3vQ9xZpL2mW8rT5yU1oI4eE6nB0cDfG"
INVITE = "https://t.me/liaison_bot?start=inv_Qk3vQ9xZpL2mW8rT5yU1oI"
LOGIN = "http://127.0.0.1:8081/console/login/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Lines:
    logger = logging.getLogger("tests.redact")
    handler = Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    redact.install("123456789:SANDBOX-token")  # a short token only known by its value
    yield handler  # type: ignore[misc]
    logger.removeHandler(handler)


def test_messages_arguments_and_tracebacks_are_masked(lines: Lines) -> None:
    log = logging.getLogger("tests.redact")
    log.info("calling %s/bot%s/getMe", "https://api.telegram.org", TOKEN)
    log.warning("opened %s and %s", INVITE, LOGIN)
    log.info("known token 123456789:SANDBOX-token here")
    try:
        raise RuntimeError(f"TooManyRedirects: https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("call failed")
    text = "\n".join(lines.lines)
    for secret in (TOKEN, "SANDBOX-token", "Qk3vQ9xZpL2mW8rT5yU1oI", "AbCdEfGhIjKlMnOpQrStUvWxYz"):
        assert secret not in text
    assert f"/bot{MASK}/getMe" in text and "start=inv_…" in text and "/console/login/…" in text
    assert "Traceback" in text and "TooManyRedirects" in text  # the traceback stays, masked


def test_payloads_keep_their_shape_and_lose_only_the_secret() -> None:
    payload = {"chat_id": 1, "text": f"link:\n{INVITE}", "entities": [{"url": LOGIN}], "n": 3}
    out = blank(payload)
    assert out == {
        "chat_id": 1,
        "text": "link:\nhttps://t.me/liaison_bot?start=inv_…",
        "entities": [{"url": "http://127.0.0.1:8081/console/login/…"}],
        "n": 3,
    }
    plain = {"text": "no links here", "list": [1, "a"]}
    assert blank(plain) is plain  # nothing to mask: the same object, nothing rewritten
    assert blank_links("/start inv_short") == "/start inv_short"  # too short to be a token


def test_an_update_is_blanked_only_where_it_carries_a_one_time_link() -> None:
    from bot.runtime.inbox import blank_update

    start = {"update_id": 1, "message": {"text": "/start inv_Qk3vQ9xZpL2mW8rT5yU1oI", "chat": {"id": 5}}}
    assert blank_update(start) == {"update_id": 1, "message": {"text": "/start inv_…", "chat": {"id": 5}}}
    press = {"update_id": 2, "callback_query": {"data": "x", "message": {"text": f"link {INVITE}"}}}
    blanked = blank_update(press)
    assert blanked is not None and "Qk3vQ9xZ" not in str(blanked) and blanked["callback_query"]["data"] == "x"
    assert blank_update({"update_id": 3, "message": {"text": "/start d_D1"}}) is None
