"""The serving process's garbage-collector setting: fewer scans, but reference cycles are still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.runtime.app import SERVING_GC_THRESHOLD, tune_gc_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        if enabled:
            gc.enable()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_a_cycle_made_while_serving_is_freed_without_an_explicit_collect(restored_gc: None) -> None:
    tune_gc_for_serving()
    assert gc.get_threshold() == SERVING_GC_THRESHOLD
    assert gc.get_freeze_count() > 0  # start-up's objects are out of the scans
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    assert gone() is not None  # reference counting alone cannot free a cycle
    keep = []
    for i in range(SERVING_GC_THRESHOLD[0] * 3):  # what handling updates allocates meanwhile
        keep.append([i])
        if gone() is None:
            break
    assert gone() is None
