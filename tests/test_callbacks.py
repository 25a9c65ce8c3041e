"""Callback data: typed `Button` kinds packed into ≤ 64 safe bytes, forged data parsed to nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kit.callbacks import Button, CallbackDataError, pack, pattern


class Verb(StrEnum):
    ACCEPT = "acc"
    ASK = "ask"


@dataclass(frozen=True)
class Card(Button, prefix="op"):
    verb: Verb
    opinion_id: int
    page: int | None = None


@dataclass(frozen=True)
class Pick(Button, prefix="bc:a"):
    kind: str
    urgent: bool = False


def test_round_trip_keeps_the_data_strings() -> None:
    assert Card(Verb.ACCEPT, 123).pack() == "op:acc:123"
    assert Card(Verb.ASK, 7, 2).pack() == "op:ask:7:2"
    assert Card.parse("op:acc:123") == Card(Verb.ACCEPT, 123)
    assert Card.parse("op:ask:7:2") == Card(Verb.ASK, 7, 2)
    assert Pick("levels", True).pack() == "bc:a:levels:1"
    assert Pick.parse("bc:a:levels") == Pick("levels")


@pytest.mark.parametrize(
    "data",
    [
        "op:zz:1",
        "op:acc:x",
        "op:acc:-1",
        "op:acc",
        "op:acc:1:2:3",
        "op:acc:١٢",
        "opx:acc:1",
        "bc:a",
        None,
        "",
    ],
)
def test_forged_or_foreign_data_parses_to_none(data: str | None) -> None:
    assert Card.parse(data) is None


def test_a_bool_field_is_0_or_1() -> None:
    assert Pick.parse("bc:a:x:1") == Pick("x", True)
    assert Pick.parse("bc:a:x:2") is None


def test_refuses_oversize_and_unsafe() -> None:
    with pytest.raises(CallbackDataError):
        pack("x", "a" * 70)
    with pytest.raises(CallbackDataError):
        pack("x", "a:b")
    with pytest.raises(CallbackDataError):
        Pick("a b").pack()


def test_pattern_is_anchored_on_the_whole_prefix() -> None:
    assert re.match(pattern("op"), "op:1")
    assert re.match(pattern("op"), "op")
    assert not re.match(pattern("op"), "opx:1")
    assert not re.match(pattern("op"), "xop:1")
    assert re.match(Pick.pattern(), "bc:a:levels") and not re.match(Pick.pattern(), "bc:ab")


@given(st.text(max_size=100))
def test_parse_never_raises(data: str) -> None:
    for kind in (Card, Pick):
        parsed = kind.parse(data)
        assert parsed is None or parsed.pack() == data or kind.parse(parsed.pack()) == parsed
