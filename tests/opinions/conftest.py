"""Fixtures shared by the opinion service tests: the small world of test_service and a fixed clock."""

from __future__ import annotations

import pytest

from bot.opinions.sla import FixedClock
from tests.opinions.test_service import T0, World, make_world


@pytest.fixture
async def world(uow) -> World:  # type: ignore[no-untyped-def]
    return await make_world(uow)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)
