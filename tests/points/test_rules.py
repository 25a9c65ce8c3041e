"""The points rules, pure: pricing with caps (filled by day whatever order the sources come in), inactive
rules, deductions, the checks on an edited rule, a local year's bounds, and `/points`' arguments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.points.rules import PointKind, Price, Source, price, rule_problem, year_span
from bot.points.service import parse_codes
from bot.points.views import parse_args

V, M = PointKind.VISITOR, PointKind.DUTY_MISSED


def visit(deputy: int, source_id: int, day: int, people: int) -> Source:
    return Source(V, deputy, "reception", source_id, date(2025, 1, day), people)


def test_a_cap_is_filled_by_day_and_the_rest_is_marked_capped() -> None:
    sources = [visit(1, 30, 9, 4), visit(1, 10, 3, 5), visit(1, 20, 5, 3), visit(2, 40, 1, 20)]
    prices = {V: Price(rule_id=7, revision=2, points=1, cap=10)}
    lines = price(sources, prices)
    assert [(line.source.source_id, line.points, line.capped) for line in lines] == [
        (10, 5, False),
        (20, 3, False),
        (30, 2, True),  # 4 people, 2 points left under the cap
        (40, 10, True),  # another deputy's own cap
    ]
    assert {(line.rule_id, line.rule_revision) for line in lines} == {(7, 2)}


@given(
    st.lists(st.tuples(st.integers(1, 3), st.integers(1, 28), st.integers(1, 9)), max_size=30), st.randoms()
)
def test_pricing_does_not_depend_on_the_order_of_the_sources(
    rows: list[tuple[int, int, int]], rng: random.Random
) -> None:
    sources = [visit(d, i, day, n) for i, (d, day, n) in enumerate(rows)]
    prices = {V: Price(1, 1, 2, 25)}
    shuffled = list(sources)
    rng.shuffle(shuffled)
    assert price(sources, prices) == price(shuffled, prices)
    for deputy in {d for d, _, _ in rows}:
        people = sum(n for d, _, n in rows if d == deputy)
        assert sum(line.points for line in price(sources, prices) if line.source.deputy_id == deputy) == min(
            2 * people, 25
        )


def test_inactive_rules_give_no_lines_and_deductions_are_capped_by_size() -> None:
    missed = [Source(M, 1, "duty", i, date(2025, 2, i)) for i in range(1, 6)]
    assert price(missed, {M: Price(1, 1, -3, None, active=False)}) == []
    lines = price(missed, {M: Price(1, 1, -3, 10)})
    assert [line.points for line in lines] == [-3, -3, -3, -1, 0]
    assert [line.capped for line in lines] == [False, False, False, True, True]
    assert price(missed, {}) == []  # a kind without a rule counts nothing


@pytest.mark.parametrize(
    ("kind", "points", "cap", "problem"),
    [
        (PointKind.DUTY_MISSED, 1, None, "deduction_positive"),
        (PointKind.DUTY_MISSED, 0, None, None),
        (PointKind.MEETING, -1, None, "award_negative"),
        (PointKind.MEETING, 101, None, "points_range"),
        (PointKind.OPINION_RED, -101, None, "points_range"),
        (PointKind.VISITOR, 1, 0, "cap_range"),
        (PointKind.VISITOR, 1, 10_001, "cap_range"),
        (PointKind.VISITOR, 1, 10_000, None),
    ],
)
def test_an_edited_rule_is_checked(
    kind: PointKind, points: int, cap: int | None, problem: str | None
) -> None:
    assert rule_problem(kind, points, cap) == problem


def test_a_year_is_its_local_days() -> None:
    span = year_span(2026, ZoneInfo("Asia/Shanghai"))
    assert (span.first, span.last) == (date(2026, 1, 1), date(2026, 12, 31))
    assert span.start == datetime(2025, 12, 31, 16, tzinfo=UTC) and span.end == datetime(
        2026, 12, 31, 16, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        ([], (None, None)),
        (["2025"], (None, 2025)),
        (["D12"], ("D12", None)),
        (["D12", "2025"], ("D12", 2025)),
        (["2025", "D12"], ("D12", 2025)),
        (["D1", "D2"], None),
        (["2025", "2024"], None),
        (["D1", "2025", "x"], None),
        (["x" * 33], None),
    ],
)
def test_points_arguments(args: list[str], parsed: tuple[str | None, int | None] | None) -> None:
    assert parse_args(args) == parsed


def test_codes_from_a_form() -> None:
    assert parse_codes("D1, D2，D3、D4\nD5;D1  ") == ["D1", "D2", "D3", "D4", "D5"]
