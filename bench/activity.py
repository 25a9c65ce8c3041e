"""Two years of a province's activity written in bulk onto an imported network (bench/scale.py): opinions
with their whole timelines, duty days with their check-ins, and the reception diary.

Each opinion is planned as a course (submit, route, accept, maybe a question, a transfer or an escalation,
answer, the sender's verdict or the sweep's auto-close, sometimes a reopening), then replayed up to `now`:
a step after `now` has not happened yet, so recent opinions are still new, accepted or answered, and a few
whose holder never acts are overdue. Every step is checked against the declared lifecycle
(`bot.opinions.lifecycle.rule_for`) and sets the columns as the service sets them (deadlines, holder,
`accepted_at` the latest accept, the verdict), the reminder sweep's warnings are written where the sweep
would have written them (each rung of the running clock's ladder as it begins, `last_warning`,
`next_warning_at`), and the milestone columns (`first_accepted_at`, `first_answered_at`, `reopen_count`,
`closing_action`) are filled when the table has them.

Rows go straight to the database: COPY through asyncpg on PostgreSQL, executemany through sqlite3 on
SQLite, in chunks (a million opinions do not fit in memory as objects). `fill` returns its own `Tallies`,
counted from the rows it generated, never read back, so a test can hold the statistics against them.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.province import CATEGORIES
from bot.kit.reminders import colour_rung_starts
from bot.opinions import sla
from bot.opinions.lifecycle import TRANSITIONS, Action, rule_for
from bot.stats.service import BUCKET_FIELDS
from storage.models.opinions import FINAL_STATES, OpinionState

__all__ = ["BUCKETS", "Tallies", "fill", "month_of", "plain_url"]

S = OpinionState
DAYS = 730  # two years of activity before `now`
CHUNK = 20_000  # opinions generated and written at a time
ZONE = ZoneInfo("Asia/Shanghai")
POLICY = sla.SlaPolicy()
CLOSING = frozenset(r.action.value for r in TRANSITIONS if r.target in FINAL_STATES)
STAFF_TELEGRAM_ID = 990_000_001
SUBMIT, WARN = "submit", "warn"
# compute_stats's opinion figures, by name (the counting here is the filler's own, from the rows written).
BUCKETS = BUCKET_FIELDS
TEXTS = (
    "村口道路破损严重，雨天积水，群众出行不便。",
    "希望增加公交班次，方便老人进城看病。",
    "学校周边缺少交通安全设施。",
    "卫生院药品不全，慢性病患者取药困难。",
    "低保申请材料复杂，希望简化流程。",
    "河道垃圾堆积，影响环境卫生。",
    "灌溉水渠年久失修，影响春耕。",
    "邻里宅基地纠纷多年未解决。",
)
ANSWERS = (
    "已与有关部门联系，问题已协调解决。",
    "经实地查看，已督促村委会落实。",
    "已向乡镇反映，相关部门已安排处理。",
)
QUESTIONS = ("请补充具体位置和发生时间。", "请问涉及多少户群众？")
INFOS = ("在村委会东侧约200米处。", "涉及本组十余户群众。")


def plain_url(url: str) -> str:
    """A SQLAlchemy URL as its driver takes it: postgresql://… for asyncpg, a file path for sqlite3."""
    if url.startswith("sqlite"):
        return url.split("///", 1)[1]
    return "postgresql://" + url.split("://", 1)[1]


def month_of(moment: datetime | date) -> str:
    """The local month ("2026-03") a moment (or a local day) falls in, as the statistics key months."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZONE)
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass
class Tallies:
    """What `fill` wrote, counted from its own rows: the opinion figures by (month, category), states,
    timeline actions, duty check-ins and the diary's figures by month."""

    opinions: int = 0
    events: int = 0
    states: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    buckets: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    duty_rows: int = 0
    checked_in: Counter[str] = field(default_factory=Counter)  # by month of the duty day
    diary: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # by month
    receptions_rows: int = 0
    visitors: int = 0
    matters: int = 0
    staff_person_id: int = 0

    def opinion_figures(self, months: set[str] | None = None, category: str | None = None) -> Counter[str]:
        """The bucket figures of the opinions received in `months` (None: all), of one category or all."""
        out: Counter[str] = Counter()
        for (month, cat), counts in self.buckets.items():
            if (months is None or month in months) and (category is None or cat == category):
                out.update(counts)
        return out

    def diary_figures(self, months: set[str] | None = None) -> Counter[str]:
        out: Counter[str] = Counter()
        for month, counts in self.diary.items():
            if months is None or month in months:
                out.update(counts)
        return out

    def summary(self) -> str:
        closed = self.states[S.CLOSED]
        return (
            f"{self.opinions:,} opinions ({closed:,} closed, {self.states[S.ANSWERED]:,} answered, "
            f"{self.states[S.ACCEPTED] + self.states[S.AWAITING_INFO]:,} accepted, "
            f"{self.states[S.ROUTED] + self.states[S.TRANSFERRED]:,} waiting to be accepted, "
            f"{self.states[S.REOPENED]:,} reopened, {self.states[S.ESCALATED]:,} escalated, "
            f"{self.states[S.REJECTED] + self.states[S.DUPLICATE]:,} rejected or duplicate), "
            f"{self.events:,} events; {self.duty_rows:,} duty days ({sum(self.checked_in.values()):,} "
            f"checked in); {self.receptions_rows:,} diary entries ({self.visitors:,} visitors, "
            f"{self.matters:,} matters)"
        )


# -- the database, without the ORM: asyncpg's COPY, or sqlite3's executemany ---------------------------


class _Db:
    """Reads and bulk writes on either backend; the SQLite values are formatted as SQLAlchemy stores them."""

    def __init__(self, url: str) -> None:
        self.pg = url.startswith("postgresql")
        self.url = plain_url(url)
        self.conn: Any = None
        self.columns: dict[str, list[str]] = {}

    async def open(self) -> None:
        if self.pg:
            import asyncpg

            self.conn = await asyncpg.connect(self.url)
        else:
            self.conn = sqlite3.connect(self.url)
            self.conn.execute("PRAGMA foreign_keys=ON")
        for table in (
            "opinion",
            "opinion_event",
            "duty",
            "reception",
            "reception_visitor",
            "reception_matter",
        ):
            self.columns[table] = await self._columns(table)

    async def close(self) -> None:
        if self.pg:
            await self.conn.close()
        else:
            self.conn.commit()
            self.conn.close()

    async def _columns(self, table: str) -> list[str]:
        if self.pg:
            rows = await self.conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                "AND table_schema = current_schema()",
                table,
            )
            return [r[0] for r in rows]
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg:
            return [tuple(r) for r in await self.conn.fetch(sql)]
        return list(self.conn.execute(sql).fetchall())

    async def execute(self, sql: str, *args: Any) -> None:
        if self.pg:
            parts = sql.split("?")
            numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
            await self.conn.execute(numbered, *args)
        else:
            self.conn.execute(sql, tuple(_sqlite(a) for a in args))

    async def write(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` (dicts); the columns the table lacks are left out (code older or newer than this)."""
        if not rows:
            return
        present = set(self.columns[table])
        columns = [c for c in rows[0] if c in present]
        if self.pg:
            records = [tuple(r[c] for c in columns) for r in rows]
            await self.conn.copy_records_to_table(table, records=records, columns=columns)
            return
        records = [tuple(_sqlite(r[c]) for c in columns) for r in rows]
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)
        await asyncio.sleep(0)

    async def next_id(self, table: str) -> int:
        found = await self.fetch(f"SELECT MAX(id) FROM {table}")
        return int(found[0][0] or 0) + 1

    async def reset_sequences(self, tables: Sequence[str]) -> None:
        """PostgreSQL's id sequences past the ids written here (SQLite needs nothing)."""
        if not self.pg:
            return
        for table in tables:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )

    async def commit(self) -> None:
        if not self.pg:
            self.conn.commit()


def _sqlite(value: Any) -> Any:
    """A value as SQLAlchemy's SQLite dialect stores it (UTC datetimes as text without the zone)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


# -- the network, read as tuples ----------------------------------------------------------------------


@dataclass
class _Network:
    deputy_person: dict[int, int]  # deputy id → person id
    deputy_stations: dict[int, list[int]]
    station_deputies: dict[int, list[int]]
    station_parent: dict[int, int | None]
    station_where: dict[int, tuple[float | None, float | None]]
    linked: dict[int, int]  # constituent person id → a deputy linked to them (the lowest id)
    supervisor: dict[int, int]  # deputy id → the committee member contacting them (lowest person id)
    constituents: list[tuple[int, int]]  # (person id, station id) of every constituent with a station


async def _read_network(db: _Db) -> _Network:
    deputy_person = {d: p for d, p in await db.fetch("SELECT id, person_id FROM deputy")}
    deputy_stations: dict[int, list[int]] = defaultdict(list)
    station_deputies: dict[int, list[int]] = defaultdict(list)
    for d, s in await db.fetch("SELECT deputy_id, station_id FROM deputy_station ORDER BY id"):
        deputy_stations[d].append(s)
        station_deputies[s].append(d)
    stations = await db.fetch("SELECT id, parent_id, latitude, longitude FROM station")
    linked: dict[int, int] = {}
    for person, deputy in await db.fetch(
        "SELECT l.to_person_id, d.id FROM contact_link l JOIN deputy d ON d.person_id = l.from_person_id "
        "WHERE l.tier = 'deputy_constituent' ORDER BY d.id DESC"
    ):
        linked[person] = deputy
    supervisor: dict[int, int] = {}
    person_deputy = {p: d for d, p in deputy_person.items()}
    for to_person, from_person in await db.fetch(
        "SELECT to_person_id, MIN(from_person_id) FROM contact_link WHERE tier = 'committee_deputy' "
        "GROUP BY to_person_id"
    ):
        if to_person in person_deputy:
            supervisor[person_deputy[to_person]] = from_person
    constituents = await db.fetch(
        "SELECT p.id, p.station_id FROM person p WHERE p.station_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM deputy d WHERE d.person_id = p.id) ORDER BY p.id"
    )
    return _Network(
        deputy_person,
        dict(deputy_stations),
        dict(station_deputies),
        {s: p for s, p, _, _ in stations},
        {s: (lat, lon) for s, _, lat, lon in stations},
        linked,
        supervisor,
        [(int(p), int(s)) for p, s in constituents],
    )


async def _staff(db: _Db, now: datetime) -> int:
    """The office's staff member the diary and the rejections name (and the bench logs in as)."""
    found = await db.fetch(f"SELECT id FROM person WHERE telegram_id = {STAFF_TELEGRAM_ID}")
    if found:
        return int(found[0][0])
    person_id = await db.next_id("person")
    await db.execute(
        "INSERT INTO person (id, name, telegram_id, telegram_language, phone_shared, created_at) "
        "VALUES (?, ?, ?, 'zh-hans', ?, ?)",
        person_id,
        "基准工作人员",
        STAFF_TELEGRAM_ID,
        False,
        now,
    )
    await db.execute(
        "INSERT INTO person_role (person_id, role, granted_at) VALUES (?, 'staff', ?)", person_id, now
    )
    await db.reset_sequences(["person", "person_role"])
    return person_id


# -- opinions: a course planned, then replayed up to now -------------------------------------------------

Step = tuple[str, datetime, dict[str, Any]]


def _h(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _office(moment: datetime, rng: random.Random) -> datetime:
    """The moment moved into office hours (08:30–18:00 local) of its day, or of the next day."""
    local = moment.astimezone(ZONE)
    if time(8, 30) <= local.time() <= time(18, 0):
        return moment
    day = local.date() if local.time() < time(8, 30) else local.date() + timedelta(days=1)
    start = datetime.combine(day, time(8, 30), tzinfo=ZONE)
    return (start + timedelta(minutes=rng.randint(0, 180))).astimezone(UTC)


def _plan(rng: random.Random, created: datetime, category: str, others: list[int]) -> list[Step]:
    """One opinion's course from submission to its end (some never end: their holder does not act)."""
    steps: list[Step] = [(SUBMIT, created, {}), (Action.ROUTE, created, {})]
    roll = rng.random()
    if roll < 0.03:
        return [*steps, (Action.REJECT, _office(created + _h(rng, 2, 30), rng), {})]
    if roll < 0.05:
        return [*steps, (Action.MARK_DUPLICATE, _office(created + _h(rng, 1, 10), rng), {})]
    t = created
    if others and rng.random() < 0.03:
        t = t + _h(rng, 1, 6)
        steps.append((Action.TRANSFER, t, {"to": rng.choice(others)}))
    if rng.random() < 0.03:
        return steps  # never accepted: overdue while its holder is silent
    t = t + (_h(rng, 25, 40) if rng.random() < 0.05 else _h(rng, 0.5, 20))
    steps.append((Action.ACCEPT, t, {}))
    accepted = t
    if rng.random() < 0.06:
        t = t + _h(rng, 1, 24)
        steps.append((Action.ASK, t, {}))
        t = t + _h(rng, 2, 48)
        steps.append((Action.INFO_RECEIVED, t, {}))
    if rng.random() < 0.02:
        return steps  # accepted, never answered
    window = POLICY.answer_window(category).total_seconds() / 3600
    if rng.random() < 0.01:
        t = t + _h(rng, 24, 120)
        steps.append((Action.ESCALATE, t, {}))
        t = t + timedelta(days=rng.uniform(20, 90))  # the formal suggestion's answer
    else:
        late = rng.random() < 0.08
        t = max(
            t + _h(rng, 1, 8),
            accepted + (_h(rng, window + 6, window + 72) if late else _h(rng, 3, window - 2)),
        )
    steps.append((Action.ANSWER, t, {}))
    for reopenings in range(3):
        verdict = rng.random()
        if verdict < 0.55:
            return [*steps, (Action.CONFIRM_SATISFIED, t + _h(rng, 2, 120), {})]
        if verdict < 0.77:
            return [*steps, (Action.CONFIRM_BASIC, t + _h(rng, 2, 120), {})]
        if verdict < 0.93 or reopenings == 2:
            due = t + POLICY.auto_close_after + timedelta(minutes=rng.randint(1, 55))
            return [*steps, (Action.AUTO_CLOSE, due, {})]
        t = t + _h(rng, 4, 72)
        steps.append((Action.CONFIRM_DISSATISFIED, t, {}))
        if rng.random() < 0.1:
            return steps  # reopened, and its holder has not taken it up again
        t = t + _h(rng, 1, 20)
        steps.append((Action.ACCEPT, t, {}))
        t = t + _h(rng, 4, 96)
        steps.append((Action.ANSWER, t, {}))
    return steps


@dataclass
class _Replay:
    """One opinion's row and timeline as the service would have left them at `now`."""

    row: dict[str, Any]
    events: list[dict[str, Any]]
    rng: random.Random
    holder_person: dict[int, int]
    supervisor: dict[int, int]
    staff: int
    state: str | None = None
    last: datetime | None = None
    asked: datetime | None = None

    def event(
        self, action: str, at: datetime, source: str | None, target: str, actor: int | None, **kw: Any
    ) -> None:
        self.events.append(
            {
                "opinion_id": self.row["id"],
                "at": at,
                "action": action,
                "from_state": source,
                "to_state": target,
                "actor_person_id": actor,
                "from_holder_id": kw.get("from_holder"),
                "to_holder_id": kw.get("to_holder", self.row["holder_deputy_id"]),
                "reason": kw.get("reason"),
                "note": kw.get("note"),
            }
        )

    def warn_until(self, until: datetime) -> None:
        """The sweep's warnings (every minute, each rung once, the highest reached) before `until`."""
        row = self.row
        assert self.state is not None and self.last is not None
        running = sla.running_clock(self.state, row["accept_deadline"], row["answer_deadline"])
        if running is None:
            return
        kind, deadline = running
        category = row["category"]
        window = (
            POLICY.accept_window(category) if kind is sla.ClockKind.ACCEPT else POLICY.answer_window(category)
        )
        starts = colour_rung_starts(deadline, window, POLICY.yellow_fraction, POLICY.presidium_after)
        warned = sla.warned_rungs(row["last_warning"])
        while warned < len(starts):
            at = max(starts[warned], self.last) + timedelta(seconds=self.rng.uniform(1, 59))
            if at >= until:
                return
            rung = max(k for k, start in enumerate(starts) if start <= at)
            reason = ("yellow:0", "red:1", "red:2")[rung]
            row["last_warning"] = reason
            holder = row["holder_deputy_id"]
            self.event(WARN, at, self.state, self.state, None, from_holder=holder, reason=reason)
            warned = rung + 1

    def step(self, action: str, at: datetime, info: dict[str, Any]) -> None:
        row, rng = self.row, self.rng
        if action == SUBMIT:
            self.state, self.last = S.SUBMITTED.value, at
            # Not yet routed when it was submitted (bot/opinions/service.py writes no holder either).
            self.event(SUBMIT, at, None, S.SUBMITTED.value, row["sender_person_id"], to_holder=None)
            return
        self.warn_until(at)
        source = self.state
        assert source is not None
        rule = rule_for(source, action)
        if rule is None:  # the plan broke the declared lifecycle
            raise AssertionError(f"{action} from {source}")
        holder = row["holder_deputy_id"]
        actor: int | None = self.holder_person.get(holder) if holder is not None else None
        kw: dict[str, Any] = {"from_holder": holder}
        category = row["category"]
        if action in (Action.ROUTE, Action.TRANSFER):
            if action is Action.TRANSFER:
                row["holder_deputy_id"] = info["to"]
                kw["reason"], kw["note"] = "transfer", "该事项由本站其他代表联系更为合适。"
            else:
                kw["from_holder"], actor, kw["reason"] = None, None, row["route_reason"]
            new = row["holder_deputy_id"]
            row.update(
                accept_deadline=sla.accept_deadline(POLICY, category, at),
                answer_deadline=None,
                accepted_at=None,
                last_warning=None,
                supervisor_person_id=self.supervisor.get(new) if new is not None else None,
            )
        elif action is Action.ACCEPT:
            row["accepted_at"] = at
            if row["answer_deadline"] is None or source != S.REOPENED:
                row["answer_deadline"] = sla.answer_deadline(POLICY, category, at)
            row["last_warning"] = None
            if row.get("first_accepted_at") is None:
                row["first_accepted_at"] = at
        elif action is Action.ASK:
            self.asked, kw["note"] = at, rng.choice(QUESTIONS)
        elif action is Action.INFO_RECEIVED:
            actor, kw["note"] = row["sender_person_id"], rng.choice(INFOS)
            if self.asked is not None and row["answer_deadline"] is not None and at > self.asked:
                row["answer_deadline"] += at - self.asked
                row["last_warning"] = None
        elif action is Action.ESCALATE:
            row.update(answer_deadline=None, last_warning=None)
        elif action is Action.ANSWER:
            text = rng.choice(ANSWERS)
            row.update(answer_text=text, answered_at=at, last_warning=None)
            kw["note"] = text
            if row.get("first_answered_at") is None:
                row["first_answered_at"] = at
        elif action in (Action.CONFIRM_SATISFIED, Action.CONFIRM_BASIC):
            actor = row["sender_person_id"]
            row.update(
                closed_at=at, satisfaction="satisfied" if action is Action.CONFIRM_SATISFIED else "basic"
            )
        elif action is Action.CONFIRM_DISSATISFIED:
            actor = row["sender_person_id"]
            row.update(
                satisfaction="dissatisfied",
                answer_deadline=sla.answer_deadline(POLICY, category, at),
                last_warning=None,
                reopen_count=row["reopen_count"] + 1,
            )
            if row["supervisor_person_id"] is None and holder is not None:
                row["supervisor_person_id"] = self.supervisor.get(holder)
        elif action is Action.AUTO_CLOSE:
            actor = None
            row["closed_at"] = at
        elif action in (Action.REJECT, Action.MARK_DUPLICATE):
            actor = self.staff
            row["closed_at"] = at
            if action is Action.MARK_DUPLICATE:
                row["duplicate_of_id"] = info["of"]
                kw["reason"] = f"duplicate_of:{info['of']}"
            else:
                kw["note"] = "反映事项不属于人大代表联系群众工作范围，已告知向有关部门反映。"
        if action in CLOSING:
            row["closing_action"] = str(action)
        self.state, self.last = rule.target.value, at
        row["state"] = self.state
        self.event(str(action), at, source, self.state, actor, **kw)

    def finish(self, now: datetime) -> None:
        """The warnings up to now and the sweep's next look, as `sla.next_warning_at` says."""
        self.warn_until(now)
        row = self.row
        row["next_warning_at"] = sla.next_warning_at(
            POLICY,
            row["state"],
            row["accept_deadline"],
            row["answer_deadline"],
            row["category"],
            row["last_warning"],
        )


def _tally(tallies: Tallies, row: dict[str, Any], actions: list[str]) -> None:
    """compute_stats's definitions (bot/stats/service.py), applied to one generated row."""
    counts = tallies.buckets[(month_of(row["created_at"]), row["category"])]
    state = row["state"]
    counts["received"] += 1
    if state in (S.ANSWERED, S.CLOSED):
        counts["handled"] += 1
    if row["accepted_at"] is not None:
        counts["accepted"] += 1
        if row["accept_deadline"] is not None and row["accepted_at"] <= row["accept_deadline"]:
            counts["accepted_on_time"] += 1
    if row["answered_at"] is not None:
        counts["answered"] += 1
        if row["answer_deadline"] is not None and row["answered_at"] <= row["answer_deadline"]:
            counts["answered_on_time"] += 1
    if state == S.CLOSED:
        closing = next(a for a in reversed(actions) if a in CLOSING)
        if closing == Action.AUTO_CLOSE:
            counts["auto_closed"] += 1
        elif row["satisfaction"] in ("satisfied", "basic"):
            counts[row["satisfaction"]] += 1
            counts["resolved"] += 1
    reopened = actions.count(Action.CONFIRM_DISSATISFIED)
    if reopened:
        counts["dissatisfied"] += 1
        counts["reopened"] += reopened
    if state == S.REJECTED:
        counts["rejected"] += 1
    if state == S.DUPLICATE:
        counts["duplicate"] += 1


async def _opinions(
    db: _Db,
    net: _Network,
    rng: random.Random,
    count: int,
    now: datetime,
    staff: int,
    tallies: Tallies,
    say: Any,
) -> None:
    first_id = await db.next_id("opinion")
    event_id = await db.next_id("opinion_event")
    start = now - timedelta(days=DAYS)
    span = (now - start).total_seconds()
    linked = [p for p, _ in net.constituents if p in net.linked]
    unlinked = [(p, s) for p, s in net.constituents if p not in net.linked]
    station_of = dict(net.constituents)
    numbers: Counter[int] = Counter()
    eligible: list[int] = []  # earlier opinions a duplicate may join
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(count):
        opinion_id = first_id + i
        created = start + timedelta(seconds=span * (i + rng.random()) / count)
        category = rng.choice(CATEGORIES)
        if linked and (rng.random() < 0.55 or not unlinked):
            sender = rng.choice(linked)
            station: int | None = station_of[sender]
            holder: int | None = net.linked[sender]
            reason = "linked_contact"
        else:
            sender, station = rng.choice(unlinked)
            holder, reason = _station_holder(net, station, category, rng)
        year = created.astimezone(ZONE).year
        numbers[year] += 1
        lat, lon = net.station_where.get(station, (None, None)) if station is not None else (None, None)
        row: dict[str, Any] = {
            "id": opinion_id,
            "tracking_no": f"LX-{year:04d}-{numbers[year]:06d}",
            "sender_person_id": sender,
            "station_id": station,
            "category": category,
            "text": rng.choice(TEXTS),
            "anonymous": False,
            "public": rng.random() < 0.1,
            "latitude": lat,
            "longitude": lon,
            "state": S.SUBMITTED.value,
            "holder_deputy_id": holder,
            "route_reason": reason,
            "supervisor_person_id": None,
            "created_at": created,
            "accepted_at": None,
            "answered_at": None,
            "closed_at": None,
            "accept_deadline": None,
            "answer_deadline": None,
            "answer_text": None,
            "satisfaction": None,
            "duplicate_of_id": None,
            "last_warning": None,
            "next_warning_at": None,
            "source": None,
            "recorded_by_person_id": None,
            "first_accepted_at": None,
            "first_answered_at": None,
            "reopen_count": 0,
            "closing_action": None,
        }
        others = (
            [d for d in net.station_deputies.get(station, []) if d != holder] if station is not None else []
        )
        plan = _plan(rng, created, category, others)
        if plan[-1][0] is Action.MARK_DUPLICATE:
            if eligible:
                plan[-1][2]["of"] = rng.choice(eligible[-500:])
            else:
                plan.pop()
        replay = _Replay(row, [], rng, net.deputy_person, net.supervisor, staff)
        for action, at, info in plan:
            if at > now:
                break
            replay.step(action, at, info)
        replay.finish(now)
        if plan[-1][0] not in (Action.REJECT, Action.MARK_DUPLICATE):
            eligible.append(opinion_id)
        replay.events.sort(key=lambda e: e["at"])
        for event in replay.events:
            event["id"] = event_id
            event_id += 1
        actions = [e["action"] for e in replay.events]
        tallies.opinions += 1
        tallies.events += len(replay.events)
        tallies.states[row["state"]] += 1
        tallies.actions.update(actions)
        _tally(tallies, row, actions)
        rows.append(row)
        events.extend(replay.events)
        if len(rows) >= CHUNK or i == count - 1:
            await db.write("opinion", rows)
            await db.write("opinion_event", events)
            await db.commit()
            rows, events = [], []
            if say is not None and (i + 1) % (CHUNK * 10) == 0:
                say(f"    {i + 1:,} opinions")
    await db.reset_sequences(["opinion", "opinion_event"])
    for year, number in numbers.items():
        await db.execute(
            "INSERT INTO counter (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            f"opinion:{year}",
            number,
        )


def _station_holder(net: _Network, station: int, category: str, rng: random.Random) -> tuple[int | None, str]:
    """Routing's station side, roughly: a deputy of the station, else of the nearest ancestor with one."""
    hops, current = 0, station
    while current is not None and hops < 50:
        deputies = net.station_deputies.get(current)
        if deputies:
            rule = f"field_match:{category}" if rng.random() < 0.4 else "least_loaded"
            reason = rule if hops == 0 else f"parent_station:{rule}"
            return rng.choice(deputies), reason
        current, hops = net.station_parent.get(current), hops + 1
    return None, "no_station"


# -- duty days and the reception diary ------------------------------------------------------------------


def _local(day: date, hour: float) -> datetime:
    return (datetime.combine(day, time(0), tzinfo=ZONE) + timedelta(hours=hour)).astimezone(UTC)


async def _duty(
    db: _Db, net: _Network, rng: random.Random, count: int, now: datetime, staff: int, tallies: Tallies
) -> None:
    """Rosters over two years and the next two weeks; most past days checked in (one station a day)."""
    today = now.astimezone(ZONE).date()
    deputies = sorted(net.deputy_stations)
    seen: set[tuple[int, date]] = set()
    next_id = await db.next_id("duty")
    rows: list[dict[str, Any]] = []
    attempts = 0
    while len(seen) < count and attempts < count * 3:
        attempts += 1
        deputy = rng.choice(deputies)
        day = today - timedelta(days=rng.randint(-14, DAYS - 1))
        if (deputy, day) in seen:
            continue
        seen.add((deputy, day))
        station = rng.choice(net.deputy_stations[deputy])
        source = rng.choices(("chat", "sheet", "console"), (5, 3, 2))[0]
        added = _local(day - timedelta(days=rng.randint(3, 30)), rng.uniform(9, 17))
        reminded = _local(day - timedelta(days=1), 18 + rng.random() / 4)
        check = _local(day, rng.uniform(8.5, 11))
        checked = check <= now and rng.random() < 0.85
        lat, lon = net.station_where.get(station, (None, None))
        located = checked and lat is not None and rng.random() < 0.7
        rows.append(
            {
                "id": next_id,
                "deputy_id": deputy,
                "station_id": station,
                "date": day,
                "source": source,
                "added_by_person_id": net.deputy_person[deputy] if source == "chat" else staff,
                "added_at": min(added, now),
                "reminded_at": reminded if reminded <= now else None,
                "checked_in_at": check if checked else None,
                "check_in_latitude": lat if located else None,
                "check_in_longitude": lon if located else None,
                "located_at": check if located else None,
            }
        )
        next_id += 1
        if checked:
            tallies.checked_in[month_of(day)] += 1
        if len(rows) >= 50_000:
            await db.write("duty", rows)
            rows = []
    await db.write("duty", rows)
    tallies.duty_rows = len(seen)
    await db.reset_sequences(["duty"])
    await db.commit()


async def _diary(
    db: _Db, net: _Network, rng: random.Random, count: int, now: datetime, staff: int, tallies: Tallies
) -> None:
    """Diary entries: receptions at stations with their visitors and matters, home visits, staff's own
    entries, and legacy entries with typed counts; a few deleted (which count for nothing)."""
    today = now.astimezone(ZONE).date()
    deputies = sorted(net.deputy_stations)
    reception_id = await db.next_id("reception")
    visitor_id = await db.next_id("reception_visitor")
    matter_id = await db.next_id("reception_matter")
    entries: list[dict[str, Any]] = []
    visitors: list[dict[str, Any]] = []
    matters: list[dict[str, Any]] = []
    for n in range(count):
        day = today - timedelta(days=rng.randint(0, DAYS - 1))
        month = month_of(day)
        kind_roll = rng.random()
        deputy: int | None = rng.choice(deputies)
        assert deputy is not None
        station: int | None = rng.choice(net.deputy_stations[deputy])
        keeper = net.deputy_person[deputy]
        legacy, kind, place = False, "station", None
        if kind_roll < 0.07:
            legacy = True
        elif kind_roll < 0.15:
            kind, place, station = "home_visit", "村民家中", None
        elif kind_roll < 0.20:
            deputy, keeper = None, staff
        opened = _local(day, rng.uniform(9, 11))
        closed = day < today
        deleted = rng.random() < 0.01
        people = rng.randint(1, 30) if legacy else None
        paper = rng.randint(0, 5) if legacy else 0
        lat, lon = net.station_where.get(station, (None, None)) if station is not None else (None, None)
        entries.append(
            {
                "id": reception_id,
                "deputy_id": deputy,
                "kind": kind,
                "station_id": station,
                "place": place,
                "latitude": lat,
                "longitude": lon,
                "day": day,
                "people": people,
                "opinions_paper": paper,
                "legacy": legacy,
                "note": None,
                "state": "closed" if closed else "open",
                "recorded_by_person_id": keeper,
                "created_at": opened,
                "closed_at": _local(day, 17.5) if closed else None,
                "closed_by_person_id": keeper if closed else None,
                "deleted_at": _local(day, 18) if deleted and closed else None,
                "deleted_by_person_id": keeper if deleted and closed else None,
            }
        )
        counted = not (deleted and closed)
        figures = tallies.diary[month]
        if legacy:
            if counted:
                figures.update(receptions=1, people=people or 0, paper=paper)
        else:
            registered = rng.choices((0, 1, 2, 3, 4), (2, 40, 30, 18, 10))[0]
            resolved = 0
            for number in range(1, registered + 1):
                anonymous = rng.random() < 0.1
                consent = not anonymous and rng.random() < 0.4
                at = opened + timedelta(minutes=10 * number)
                visitors.append(
                    {
                        "id": visitor_id,
                        "reception_id": reception_id,
                        "number": number,
                        "anonymous": anonymous,
                        "name": None if anonymous else "来访群众",
                        "phone": f"+86137{visitor_id:08d}" if consent else None,
                        "phone_consent": consent,
                        "phone_consent_at": at if consent else None,
                        "person_id": None,
                        "stand_in": False,
                        "registered_by_person_id": keeper,
                        "created_at": at,
                    }
                )
                for _ in range(rng.choices((0, 1, 2), (3, 6, 1))[0]):
                    matters.append(
                        {
                            "id": matter_id,
                            "reception_id": reception_id,
                            "visitor_id": visitor_id,
                            "text": rng.choice(TEXTS),
                            "category": rng.choice(CATEGORIES),
                            "outcome": "resolved",
                            "answer": rng.choice(ANSWERS),
                            "opinion_id": None,
                            "registered_by_person_id": keeper,
                            "created_at": at + timedelta(minutes=2),
                        }
                    )
                    matter_id += 1
                    resolved += 1
                visitor_id += 1
            tallies.visitors += registered
            tallies.matters += resolved
            if counted and registered:
                which = "home_visits" if kind == "home_visit" else "receptions"
                figures.update({which: 1, "people": registered, "matters": resolved, "resolved": resolved})
        reception_id += 1
        if len(entries) >= 20_000 or n == count - 1:
            await db.write("reception", entries)
            await db.write("reception_visitor", visitors)
            await db.write("reception_matter", matters)
            await db.commit()
            entries, visitors, matters = [], [], []
    tallies.receptions_rows = count
    await db.reset_sequences(["reception", "reception_visitor", "reception_matter"])
    await db.commit()


async def fill(
    url: str,
    *,
    opinions: int,
    duty_days: int,
    receptions: int,
    now: datetime,
    seed: int = 1,
    say: Any = None,
) -> Tallies:
    """Write the activity onto the network at `url` (a SQLAlchemy URL) and return what was written.

    Args:
        now: the moment the two years end at; steps planned after it have not happened.
        say: a `print`-like callable for progress, or None.
    """
    rng = random.Random(seed)
    db = _Db(url)
    await db.open()
    try:
        tallies = Tallies()
        net = await _read_network(db)
        tallies.staff_person_id = await _staff(db, now)
        await db.commit()
        await _opinions(db, net, rng, opinions, now, tallies.staff_person_id, tallies, say)
        await _duty(db, net, rng, duty_days, now, tallies.staff_person_id, tallies)
        await _diary(db, net, rng, receptions, now, tallies.staff_person_id, tallies)
        await db.commit()
        return tallies
    finally:
        await db.close()
