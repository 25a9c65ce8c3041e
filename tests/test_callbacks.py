"""Callback data packing: ≤ 64 bytes, safe fields, forged data parsed to nothing dangerous."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kit.callbacks import CallbackDataError, pack, pattern, unpack


def test_round_trip() -> None:
    data = pack("op", "acc", 123)
    parsed = unpack(data)
    assert parsed is not None and parsed.prefix == "op" and parsed.fields == ("acc", "123")
    assert parsed.int(1) == 123 and parsed.int(0) is None and parsed.int(5) is None


def test_refuses_oversize_and_unsafe() -> None:
    with pytest.raises(CallbackDataError):
        pack("x", "a" * 70)
    with pytest.raises(CallbackDataError):
        pack("x", "a:b")


def test_pattern_is_anchored() -> None:
    assert re.match(pattern("op"), "op:1")
    assert re.match(pattern("op"), "op")
    assert not re.match(pattern("op"), "opx:1")
    assert not re.match(pattern("op"), "xop:1")


@given(st.text(max_size=100))
def test_unpack_never_raises(data: str) -> None:
    parsed = unpack(data)
    if parsed is not None:
        for i in range(3):
            value = parsed.int(i)
            assert value is None or value >= 0
