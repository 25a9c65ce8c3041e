"""The report's opinion figures counted in SQL, from the `opinion` table alone (no timeline).

Each breakdown is one GROUP BY over the opinions received in [lo, hi) with conditional counts (`COUNT(*)
FILTER (WHERE …)`, which PostgreSQL and SQLite ≥ 3.30 both run), reading the milestones the service keeps
on the row (`first_accepted_at`, `first_answered_at`, `reopen_count`, `closing_action`; see
bot/opinions/milestones.py); names are joined. The local months of receipt are a small relation of
[lo, hi) bounds the caller computes for its zone, joined on `created_at` (an index range per month). The
durations' median and p90 are nearest-rank percentiles of exact microsecond differences: on PostgreSQL
`percentile_disc` (rank ceil(p·n)), elsewhere `ROW_NUMBER()` over the sorted values.

What the counts mean is the caller's, given as `Counting`: the definitions live once, in bot/stats/service.py.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Interval,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.models import Deputy, Opinion, Person, Station
from storage.models.core import UTCDateTime
from storage.models.opinions import Duty
from storage.models.receptions import Reception
from storage.repos.base import Repo

__all__ = [
    "COUNT_FIELDS",
    "DURATIONS",
    "Counting",
    "Grouping",
    "OpinionFigureRow",
    "OpinionFiguresRepo",
    "StationNode",
]

COUNT_FIELDS = (
    "received",
    "handled",
    "accepted",
    "accepted_on_time",
    "answered",
    "answered_on_time",
    "satisfied",
    "basic",
    "auto_closed",
    "dissatisfied",
    "reopened",
    "resolved",
    "rejected",
    "duplicate",
)
DURATIONS = ("to_accept", "to_first_answer", "to_close")
# A report's room for sorts and hashes on PostgreSQL (`report_memory`).
REPORT_WORK_MEM = "64MB"
# The station tree is a few levels deep; a cycle in an imported tree stops here.
MAX_DEPTH = 8


class Grouping(enum.StrEnum):
    CATEGORY = "category"
    STATION = "station"
    DEPUTY = "deputy"  # the current holder (None: the staff triage queue), name joined
    MONTH = "month"  # the caller's months of receipt


@dataclass(frozen=True)
class Counting:
    """The definitions the counts follow, given by the statistics (bot/stats/service.py)."""

    handled_states: tuple[str, ...]  # handled: now in one of these
    closed_state: str  # satisfied / basic / auto-closed: now in this state …
    auto_close_action: str  # … closed by this action (without a verdict) …
    satisfied: str  # … or else with this verdict
    basic: str
    rejected_state: str
    duplicate_state: str


@dataclass(frozen=True)
class OpinionFigureRow:
    key: Any  # a category code, station id, deputy id or month key; None: no station / the staff queue
    name: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class StationNode:
    """A station with its place in the tree: its top-level ancestor and the home beneath that on its path."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    top_id: int
    second_id: int | None  # the home right under the top-level station on the path (itself when it is one)


class _Micros(FunctionElement[int]):
    """Exact microseconds from `since` to `until` (NULL when either is)."""

    type = BigInteger()
    inherit_cache = True
    name = "micros_between"


@compiles(_Micros, "postgresql")
def _micros_postgresql(element: _Micros, compiler: SQLCompiler, **kw: Any) -> str:
    since, until = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({until} - {since})) * 1000000 AS BIGINT)"


@compiles(_Micros)
def _micros_sqlite(element: _Micros, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff": whole seconds by strftime, the microseconds by position.
    since, until = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"((CAST(strftime('%s', {until}) AS INTEGER) - CAST(strftime('%s', {since}) AS INTEGER)) * 1000000"
        f" + CAST(substr({until}, 21, 6) AS INTEGER) - CAST(substr({since}, 21, 6) AS INTEGER))"
    )


def _period(lo: datetime | None, hi: datetime | None) -> list[ColumnElement[bool]]:
    out = []
    if lo is not None:
        out.append(Opinion.created_at >= lo)
    if hi is not None:
        out.append(Opinion.created_at < hi)
    return out


def _counts(c: Counting, o: Any = Opinion) -> list[Any]:
    """One labelled aggregate per field of `COUNT_FIELDS`, over the opinion's columns (or a subquery's)."""
    closed = o.state == c.closed_state
    by_verdict = and_(closed, or_(o.closing_action.is_(None), o.closing_action != c.auto_close_action))

    def n(*where: ColumnElement[bool]) -> Any:
        return func.count().filter(and_(*where))

    return [
        func.count().label("received"),
        n(o.state.in_(c.handled_states)).label("handled"),
        n(o.accepted_at.is_not(None)).label("accepted"),
        n(o.accepted_at.is_not(None), o.accepted_at <= o.accept_deadline).label("accepted_on_time"),
        n(o.answered_at.is_not(None)).label("answered"),
        n(o.answered_at.is_not(None), o.answered_at <= o.answer_deadline).label("answered_on_time"),
        n(by_verdict, o.satisfaction == c.satisfied).label("satisfied"),
        n(by_verdict, o.satisfaction == c.basic).label("basic"),
        n(closed, o.closing_action == c.auto_close_action).label("auto_closed"),
        n(o.reopen_count > 0).label("dissatisfied"),
        func.coalesce(func.sum(o.reopen_count), 0).label("reopened"),
        n(by_verdict, o.satisfaction.in_((c.satisfied, c.basic))).label("resolved"),
        n(o.state == c.rejected_state).label("rejected"),
        n(o.state == c.duplicate_state).label("duplicate"),
    ]


def _rows(result: Any) -> list[OpinionFigureRow]:
    """Rows of (key, name, *COUNT_FIELDS) — read as plain tuples: a province's 100,000 deputies."""
    return [
        OpinionFigureRow(key, name, dict(zip(COUNT_FIELDS, map(int, counts), strict=True)))
        for key, name, *counts in result
    ]


class OpinionFiguresRepo(Repo):
    async def span(self, lo: datetime | None, hi: datetime | None) -> tuple[datetime | None, datetime | None]:
        """The first and last moment of receipt in [lo, hi) (None, None when there is none)."""
        first, last = (
            await self.session.execute(
                select(func.min(Opinion.created_at), func.max(Opinion.created_at)).where(*_period(lo, hi))
            )
        ).one()
        coerce = UTCDateTime().process_result_value
        return coerce(first, None), coerce(last, None)

    async def counts(
        self,
        grouping: Grouping,
        counting: Counting,
        lo: datetime | None,
        hi: datetime | None,
        *,
        months: Sequence[tuple[str, datetime, datetime]] = (),
    ) -> list[OpinionFigureRow]:
        """One row per group of the opinions received in [lo, hi); `months` are the (key, lo, hi) of the
        local months for `Grouping.MONTH`."""
        aggregates = _counts(counting)
        where = _period(lo, hi)
        query: Select[Any]
        if grouping is Grouping.CATEGORY:
            query = select(Opinion.category.label("key"), null().label("name"), *aggregates).group_by(
                Opinion.category
            )
        elif grouping in (Grouping.STATION, Grouping.DEPUTY):
            # Counted first, named after: the names join the groups (100,000 deputies), not the opinions.
            column = Opinion.station_id if grouping is Grouping.STATION else Opinion.holder_deputy_id
            counted = (
                select(column.label("key"), *aggregates).where(*where).group_by(column).subquery("counted")
            )
            fields = [counted.c[f] for f in COUNT_FIELDS]
            if grouping is Grouping.STATION:
                named = select(counted.c.key, Station.name.label("name"), *fields).outerjoin(
                    Station, Station.id == counted.c.key
                )
            else:
                named = (
                    select(counted.c.key, Person.name.label("name"), *fields)
                    .outerjoin(Deputy, Deputy.id == counted.c.key)
                    .outerjoin(Person, Person.id == Deputy.person_id)
                )
            return _rows(await self.session.execute(named))
        else:
            if not months:
                return []
            month = union_all(
                *(
                    select(
                        literal(key, String()).label("key"),
                        literal(start, UTCDateTime()).label("lo"),
                        literal(end, UTCDateTime()).label("hi"),
                    )
                    for key, start, end in months
                )
            ).subquery("month")
            query = (
                select(month.c.key.label("key"), null().label("name"), *aggregates)
                .select_from(month)
                .join(Opinion, and_(Opinion.created_at >= month.c.lo, Opinion.created_at < month.c.hi))
                .group_by(month.c.key)
            )
        return _rows(await self.session.execute(query.where(*where)))

    async def breakdowns(
        self,
        counting: Counting,
        lo: datetime | None,
        hi: datetime | None,
        *,
        months: Sequence[tuple[str, datetime, datetime]] = (),
    ) -> dict[Grouping, list[OpinionFigureRow]]:
        """The rows of every grouping (`counts` of each): one GROUP BY each, which PostgreSQL may run in
        parallel (measured at a million opinions, one GROUPING SETS pass was slower: it sorts instead)."""
        return {g: await self.counts(g, counting, lo, hi, months=months) for g in Grouping}

    async def report_memory(self) -> None:
        """Give this transaction's sorts and hashes room (PostgreSQL): a report groups a million opinions
        by 100,000 deputies and sorts them three times for the durations; at the default 4 MB each spills
        to disk. SET LOCAL: it ends with the transaction."""
        if self._dialect() == "postgresql":
            await self.session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))

    async def overview(
        self, months: Sequence[tuple[str, datetime, datetime]]
    ) -> list[tuple[str, str, bool, str | None, int]]:
        """Every opinion counted by (category, state, held by nobody, month of receipt among `months`, else
        None), in one pass over the table: the console's dashboard derives its figures from these few
        hundred rows instead of the whole report. `months` are (key, UTC lo, UTC hi), not overlapping."""
        o = Opinion
        month: ColumnElement[Any] = cast(null(), String())
        if months:
            month = case(
                *(
                    (and_(o.created_at >= start, o.created_at < end), literal(key, String()))
                    for key, start, end in months
                ),
                else_=cast(null(), String()),
            )
        unheld = o.holder_deputy_id.is_(None)
        query = select(o.category, o.state, unheld, month, func.count()).group_by(
            o.category, o.state, unheld, month
        )
        return [(c, s, bool(u), m, int(n)) for c, s, u, m, n in (await self.session.execute(query)).all()]

    async def durations(
        self, counting: Counting, lo: datetime | None, hi: datetime | None
    ) -> dict[str, tuple[int, timedelta | None, timedelta | None]]:
        """Per measure of `DURATIONS`: how many opinions have it, and the nearest-rank median and p90 (rank
        ceil(p/100·n), 1-based) of the time from receipt to the first accept (else `accepted_at`), to the
        first answer (else `answered_at`), and to `closed_at` of opinions now closed."""
        o = Opinion
        closed = o.state == counting.closed_state
        values = {
            "to_accept": _Micros(o.created_at, func.coalesce(o.first_accepted_at, o.accepted_at)),
            "to_first_answer": _Micros(o.created_at, func.coalesce(o.first_answered_at, o.answered_at)),
            "to_close": case((closed, _Micros(o.created_at, o.closed_at)), else_=null()),
        }
        out: dict[str, tuple[int, timedelta | None, timedelta | None]] = {}
        if self._dialect() == "postgresql":
            # Sorted as intervals (exact microseconds, compared as integers), not as EXTRACT's numerics.
            values = {
                "to_accept": func.coalesce(o.first_accepted_at, o.accepted_at) - o.created_at,
                "to_first_answer": func.coalesce(o.first_answered_at, o.answered_at) - o.created_at,
                "to_close": case((closed, o.closed_at - o.created_at), else_=null()),
            }
            values = {k: type_coerce(v, Interval()) for k, v in values.items()}
            inner = select(*(values[k].label(k) for k in DURATIONS)).where(*_period(lo, hi)).subquery("d")
            aggregates = []
            for k in DURATIONS:
                col = inner.c[k]
                aggregates += [
                    func.count(col),
                    func.percentile_disc(0.5).within_group(col),
                    func.percentile_disc(0.9).within_group(col),
                ]
            row = (await self.session.execute(select(*aggregates))).one()
            for i, k in enumerate(DURATIONS):
                n, median, p90 = row[3 * i : 3 * i + 3]
                out[k] = (int(n), _delta(median), _delta(p90))
            return out
        for k in DURATIONS:
            value = values[k].label("v")
            inner = select(value).where(*_period(lo, hi), values[k].is_not(None)).subquery("v")
            ranked = select(
                inner.c.v,
                func.row_number().over(order_by=inner.c.v).label("rn"),
                func.count().over().label("n"),
            ).subquery("ranked")
            rows = (
                await self.session.execute(
                    select(ranked.c.v, ranked.c.rn, ranked.c.n).where(
                        or_(
                            ranked.c.rn == (ranked.c.n * 50 + 99) // 100,
                            ranked.c.rn == (ranked.c.n * 90 + 99) // 100,
                        )
                    )
                )
            ).all()
            if not rows:
                out[k] = (0, None, None)
                continue
            n = int(rows[0].n)
            at = {int(r.rn): int(r.v) for r in rows}
            out[k] = (n, _delta(at[(n * 50 + 99) // 100]), _delta(at[(n * 90 + 99) // 100]))
        return out

    async def stations(self, home_kind: str) -> list[StationNode]:
        """Every station with its top-level ancestor and the home right under it on its path, in one
        recursive query over the tree (a station in a cycle has no top and is left out)."""
        s = Station
        tree = (
            select(
                s.id.label("id"),
                s.id.label("top_id"),
                cast(null(), Integer).label("second_id"),
                literal(0, Integer).label("depth"),
            )
            .where(s.parent_id.is_(None))
            .cte("area_tree", recursive=True)
        )
        child = Station.__table__.alias("child")
        tree = tree.union_all(
            select(
                child.c.id,
                tree.c.top_id,
                func.coalesce(
                    tree.c.second_id,
                    case((and_(tree.c.depth == 0, child.c.kind == home_kind), child.c.id), else_=null()),
                ),
                tree.c.depth + 1,
            )
            .join(tree, child.c.parent_id == tree.c.id)
            .where(tree.c.depth < MAX_DEPTH)
        )
        rows = await self.session.execute(
            select(s.id, s.code, s.name, s.kind, s.parent_id, tree.c.top_id, tree.c.second_id)
            .join(tree, tree.c.id == s.id)
            .order_by(s.code)
        )
        return [
            StationNode(
                int(i), code, name, kind, parent_id, int(top), None if second is None else int(second)
            )
            for i, code, name, kind, parent_id, top, second in rows.all()
        ]

    async def deputy_names_at_work(self, start: date | None, end: date | None) -> dict[int, str]:
        """The names of the deputies with a duty day or a diary entry on days start..end (None: open), the
        rows the report lists besides the holders of opinions (whose names come with their counts)."""
        duty = select(Duty.deputy_id).where(Duty.checked_in_at.is_not(None))
        diary = select(Reception.deputy_id).where(Reception.deputy_id.is_not(None))
        if start is not None:
            duty, diary = duty.where(Duty.date >= start), diary.where(Reception.day >= start)
        if end is not None:
            duty, diary = duty.where(Duty.date <= end), diary.where(Reception.day <= end)
        # One IN over the union: an OR of two IN subqueries is planned as a probe per deputy (100,000).
        rows = await self.session.execute(
            select(Deputy.id, Person.name)
            .join(Person, Person.id == Deputy.person_id)
            .where(Deputy.id.in_(union(duty, diary)))
        )
        return {int(i): name for i, name in rows.all()}


def _delta(micros: Any) -> timedelta | None:
    """A duration from microseconds (SQLite) or an interval (PostgreSQL)."""
    if micros is None or isinstance(micros, timedelta):
        return micros
    return timedelta(microseconds=int(micros))
