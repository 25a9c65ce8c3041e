"""Warning colours counted in SQL (storage/repos/colours.py) against `colour_of`, opinion by opinion.

Opinions in every state, with each deadline missing or placed around every edge (a microsecond either
side of now and of the yellow edge, far ahead, far behind), in a category with its own windows and in
one with the defaults; then the clock moves and the counts are compared again. Both backends.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.opinions.digest import colour_of, committee_lines, staff_counts, warned
from bot.opinions.sla import SlaPolicy, colour_clock
from storage.models import Opinion, OpinionState, Person
from storage.repos.console import OpinionQuery
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICY = SlaPolicy(
    accept_overrides={"safety": timedelta(hours=4)},
    answer_overrides={"safety": timedelta(days=2), "transport": timedelta(days=10)},
    yellow_fraction=0.25,
)
TICK = timedelta(microseconds=1)


def _marks(policy: SlaPolicy) -> list[timedelta | None]:
    """Where a deadline may stand relative to NOW: None, around now, around each yellow edge, far off."""
    windows = {
        policy.accept_within,
        policy.answer_within,
        *policy.accept_overrides.values(),
        *policy.answer_overrides.values(),
    }
    edges = [w * policy.yellow_fraction for w in windows]
    marks: list[timedelta | None] = [None, -timedelta(days=30), timedelta(days=30)]
    for edge in [timedelta(0), *edges]:
        marks += [edge - TICK, edge, edge + TICK]
    return marks


async def _seed(uow: Callable[[], UnitOfWork]) -> list[Opinion]:
    """One opinion per state × category × accept mark × answer mark (a sample of the answer marks)."""
    marks = _marks(POLICY)
    async with uow() as u:
        sender = await u.people.add(Person(name="Sender", telegram_id=700001))
        await u.flush()
        number = itertools.count(1)
        made = []
        for state, category in itertools.product(OpinionState, ("safety", "transport", "other")):
            for accept in marks:
                for answer in (marks[0], marks[1], accept, marks[-1]):
                    made.append(
                        Opinion(
                            tracking_no=f"T-{next(number):06d}",
                            sender_person_id=sender.id,
                            category=category,
                            text="x",
                            state=state.value,
                            accept_deadline=None if accept is None else NOW + accept,
                            answer_deadline=None if answer is None else NOW + answer,
                        )
                    )
        u.session.add_all(made)
        await u.commit()
    return made


async def test_sql_colours_match_colour_of_at_every_edge(uow: Callable[[], UnitOfWork]) -> None:
    opinions = await _seed(uow)
    for shift in (timedelta(0), TICK, -TICK, timedelta(hours=3), timedelta(days=-3)):
        now = NOW + shift
        expected = Counter(shade.value for o in opinions if (shade := colour_of(o, now, POLICY)) is not None)
        async with uow() as u:
            counts = await u.colours.counts(colour_clock(POLICY, now))
            listed = await warned(u, now, POLICY, limit=len(opinions))
            office = await staff_counts(u, now, POLICY)
        assert counts == {c: expected.get(c, 0) for c in ("green", "yellow", "red")}, shift
        if abs(shift) <= TICK:
            assert expected["red"] and expected["yellow"] and expected["green"]  # every colour occurs
        want = [(o.id, colour_of(o, now, POLICY)) for o in opinions]
        assert [(o.id, shade) for o, shade in listed] == sorted(
            (i, c) for i, c in want if c is not None and c.value in ("yellow", "red")
        )
        assert (office.yellow, office.red) == (expected["yellow"], expected["red"])


async def test_warned_is_bounded_and_oldest_first(uow: Callable[[], UnitOfWork]) -> None:
    opinions = await _seed(uow)
    late = sorted(o.id for o in opinions if (c := colour_of(o, NOW, POLICY)) and c.value != "green")
    async with uow() as u:
        first = await warned(u, NOW, POLICY, limit=7)
    assert [o.id for o, _c in first] == late[:7]


async def test_console_colour_filter_and_committee_lines_use_the_same_colours(
    uow: Callable[[], UnitOfWork],
) -> None:
    opinions = await _seed(uow)
    async with uow() as u:
        for shade in ("green", "yellow", "red"):
            query = OpinionQuery(colour=shade, colour_clock=colour_clock(POLICY, NOW))
            found = {o.id for o in await u.console.find_opinions(query, limit=10_000)}
            assert found == {o.id for o in opinions if (c := colour_of(o, NOW, POLICY)) and c.value == shade}
            assert await u.console.count_opinions(query) == len(found)
        assert await committee_lines(u, 999_999, NOW, POLICY) == []  # contacts nobody
