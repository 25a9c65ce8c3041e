"""The deputy's and supervision's button kinds and the deputy's dialog table.

The task card's data must stay byte-identical to what cards already sent carry ("op:acc:42"); the
supervision kinds keep the list's holder in the data; forged data parses to nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kit.callbacks import Button
from bot.kit.dialogs import Dialog, at
from bot.opinions.card_buttons import (
    CancelAnswer,
    CardAction,
    CardPress,
    OpenCard,
    RewriteAnswer,
    SendAnswer,
    TransferTo,
)
from bot.opinions.lifecycle import Action
from bot.opinions.supervision_buttons import AssignPress, OtherPress, PickPress, RemindPress
from bot.runtime import wiring
from handlers import deputy, messages

DATA: list[tuple[Button, str]] = [
    (CardPress(CardAction.ACCEPT, 42), "op:acc:42"),
    (CardPress(CardAction.ASK, 42), "op:ask:42"),
    (CardPress(CardAction.REPLY, 42), "op:rep:42"),
    (CardPress(CardAction.TRANSFER, 42), "op:tr:42"),
    (CardPress(CardAction.ESCALATE, 42), "op:esc:42"),
    (TransferTo(42, 7), "op:to:42:7"),
    (TransferTo(42, 0), "op:to:42:0"),
    (SendAnswer(42), "op:send:42"),
    (RewriteAnswer(42), "op:rew:42"),
    (CancelAnswer(42), "op:cancel:42"),
    (OpenCard(42), "op:card:42"),
    (AssignPress(42, 0), "sv:as:42:0"),
    (RemindPress(42, 7), "sv:rm:42:7"),
    (PickPress(42, 9, 7), "sv:to:42:9:7"),
]
KINDS = [type(kind) for kind, _ in DATA] + [OtherPress]


@pytest.mark.parametrize(("button", "data"), DATA)
def test_data_is_what_sent_buttons_carry(button: Button, data: str) -> None:
    assert button.pack() == data
    assert type(button).parse(data) == button


def test_card_actions_name_their_lifecycle_action() -> None:
    assert [a.action for a in CardAction] == [
        Action.ACCEPT,
        Action.ASK,
        Action.ANSWER,
        Action.TRANSFER,
        Action.ESCALATE,
    ]


@pytest.mark.parametrize(
    "data",
    ["op:acc:abc", "op:zz:42", "op:acc:-1", "op:acc", "op:acc:42:1", "op:to:42", "op:to:x:1", "op:card:"],
)
def test_forged_card_data_parses_to_nothing(data: str) -> None:
    assert all(kind.parse(data) is None for kind in KINDS if kind.prefix.startswith("op"))


def test_other_supervision_data_keeps_only_its_code() -> None:
    assert OtherPress.parse("sv:zz:abc") == OtherPress("zz", "abc")
    assert AssignPress.parse("sv:as:abc") is None and PickPress.parse("sv:to:1:2") is None


def test_the_wiring_tries_longer_prefixes_first() -> None:
    """ "op" and "sv" match every kind of their family: each press reaches its own kind's handler."""
    patterns = [getattr(h, "pattern", None) for h in wiring.handlers()]
    for button, data in DATA:
        first = next(p for p in patterns if p is not None and re.match(p, data))
        assert first.pattern == type(button).pattern(), data


@given(st.text(max_size=80))
def test_parse_never_raises(data: str) -> None:
    for kind in KINDS:
        kind.parse(data)


def test_every_deputy_state_has_a_step_and_a_unique_value() -> None:
    assert set(deputy.DIALOG) == set(deputy.DeputyDialog)
    assert all(messages.KNOWN[state.value] is state for state in deputy.DeputyDialog)
    stored = at(deputy.DeputyDialog.TRANSFER, 42, 0)
    parsed = Dialog.parse(stored, None, messages.KNOWN)
    assert parsed.state is deputy.DeputyDialog.TRANSFER and parsed.int_arg(0) == 42 and parsed.int_arg(1) == 0
