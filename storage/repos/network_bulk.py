"""The network import's people, deputies, roles, deputy stations, group memberships and contact links,
written in bulk: the file's rows go into temporary staging tables (COPY on PostgreSQL, executemany on
SQLite) and every difference is computed and applied in SQL, a statement per step whatever the size.

Why: a province's file (1,000,000 constituents, 100,000 deputies, 500,000 links) took 459 s and
11 GB through ORM objects, one per stored row and one per file row (issue #25). Here the stored rows are
never loaded as objects; the summary's counts come from flags set on the staging rows before each step
writes (`fresh`: no stored person had the code; `changed`: a field, role, station or group differs).
The rules are the import's (examples/README.md, "How an import behaves"): the relations of the people
the file names are set to what it says, roles an import owns only, nothing else deleted, telegram ids
moving between people of the file, accounts that wrote first adopted by their telegram id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import UTCDateTime

Progress = Callable[[str, int, int], None]
"""(what, done, total): called as a step advances, for a terminal's progress bar."""

# Roles an import owns for the people it names (the SQL below lists them too).
_MANAGED = "('constituent', 'deputy', 'committee_member', 'presidium')"

_TABLES = {
    "imp_person": (
        "pos INTEGER, code VARCHAR(32), name VARCHAR(200), phone VARCHAR(32), telegram_id BIGINT, "
        "station_code VARCHAR(32), is_deputy BOOLEAN, level VARCHAR(16), fields TEXT"
    ),
    # Person codes the file names outside its people's rows (leaders, members, officers, links) that
    # are not the code of one of those rows.
    "imp_code": "code VARCHAR(32)",
    "imp_role": "pos INTEGER, code VARCHAR(32), role VARCHAR(32)",  # pos: the person's in imp_person
    "imp_station": "pos INTEGER, code VARCHAR(32), ref_code VARCHAR(32)",
    "imp_group": "pos INTEGER, code VARCHAR(32), ref_code VARCHAR(32)",
    "imp_link": "pos INTEGER, source VARCHAR(32), committee BOOLEAN, target VARCHAR(32), tier VARCHAR(32)",
    # Link sources besides the file's people: its committees and the `from` of each contacts row that
    # is not one of the file's people (those are in `imp_person` already).
    "imp_source": "code VARCHAR(32), committee BOOLEAN",
}
_INDEXES = {
    "imp_person": ["code", "pos"],
    "imp_code": ["code"],
    "imp_role": [],
    "imp_station": [],
    "imp_group": [],
    "imp_link": [],
    "imp_source": [],
}
PERSON_COLUMNS = (
    "pos",
    "code",
    "name",
    "phone",
    "telegram_id",
    "station_code",
    "is_deputy",
    "level",
    "fields",
)
WORK_MEM = "128MB"
"""PostgreSQL's memory for each hash or sort of the import's statements (SET LOCAL)."""
BATCH = 50_000
"""Rows per COPY or executemany call: bounds the memory of one batch, and the progress steps."""

# Tables the import writes: their planner statistics are refreshed afterwards (ANALYZE).
TOUCHED = (
    "person",
    "person_role",
    "deputy",
    "deputy_station",
    "group_membership",
    "contact_link",
    "station",
    "station_officer",
)


def _batches(rows: Iterable[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


class Staging:
    """The staging tables of one import, on the session's connection and inside its transaction."""

    def __init__(self, session: AsyncSession, progress: Progress | None = None) -> None:
        self.session = session
        self.progress = progress
        self.postgres = session.bind.dialect.name == "postgresql"
        self.made: list[str] = []  # tables made from queries along the way

    async def sql(self, statement: str, **params: Any) -> int:
        """Run one statement; the number of rows it changed."""
        result = await self.session.execute(text(statement), params)
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def create(self) -> None:
        if self.postgres:
            # The import's joins and groupings hash a million rows: with the default 4 MB each spilled
            # to disk in batches. For this transaction only.
            await self.sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        for name, columns in _TABLES.items():
            await self.sql(f"DROP TABLE IF EXISTS {name}")
            suffix = " ON COMMIT DROP" if self.postgres else ""
            await self.sql(f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}")

    async def drop(self) -> None:
        """SQLite keeps temporary tables for the connection's life: drop them (PostgreSQL's go at commit)."""
        if not self.postgres:
            for name in [*_TABLES, *self.made]:
                await self.sql(f"DROP TABLE IF EXISTS {name}")

    async def load(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[tuple[Any, ...]],
        total: int = 0,
        what: str = "",
    ) -> None:
        """Copy rows into a staging table in batches: COPY on PostgreSQL, executemany on SQLite."""
        raw = None
        if self.postgres:
            connection = await self.session.connection()
            raw = (await connection.get_raw_connection()).driver_connection
        statement = text(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        )
        done = 0
        for batch in _batches(rows):
            if raw is not None:
                await raw.copy_records_to_table(table, records=batch, columns=list(columns))
            else:
                await self.session.execute(statement, [dict(zip(columns, row, strict=True)) for row in batch])
            done += len(batch)
            if self.progress is not None and total and what:
                self.progress(f"loading {what}", done, total)
        # Indexed once loaded; PostgreSQL's autovacuum never analyses temporary tables.
        for number, indexed in enumerate(_INDEXES[table]):
            await self.sql(f"CREATE INDEX {table}_{number} ON {table} ({indexed})")
        if self.postgres:
            await self.sql(f"ANALYZE {table}")

    def json(self, column: str) -> str:
        """A JSON column's value for comparing: jsonb on PostgreSQL, minified text on SQLite."""
        return f"CAST({column} AS JSONB)" if self.postgres else f"json({column})"


async def known_roles(staging: Staging) -> AsyncIterator[tuple[str, bool, str | None]]:
    """(code, has a deputy record, a role held or None), a row per role, of the stored people the
    file names outside its people's rows (`imp_code`) and of those rows whose telegram id a person
    without a code holds (the checks ask whether such a row's code is stored). The other rows' roles
    are the file's own: reading a province's million of them cost a sixth of a re-import (#25).
    Fetched whole: through a cursor PostgreSQL plans for the first rows (nested loops)."""
    result = await staging.session.execute(
        text(
            "SELECT p.code, d.id IS NOT NULL, r.role FROM person p JOIN (SELECT code FROM imp_code "
            "UNION SELECT i.code FROM imp_person i JOIN person h ON h.telegram_id = i.telegram_id "
            "WHERE h.code IS NULL) c ON c.code = p.code "
            "LEFT JOIN deputy d ON d.person_id = p.id LEFT JOIN person_role r ON r.person_id = p.id"
        )
    )
    for code, deputy, role in result:
        yield str(code), bool(deputy), role


async def known_people(staging: Staging) -> tuple[list[tuple[int, int, str | None, str]], list[str]]:
    """(telegram id, person id, code, name) of the holders of the file's telegram ids, and the codes
    of the named people who sit on a special committee (from the few members, each code looked up)."""
    session = staging.session
    holders = await session.execute(
        text(
            "SELECT p.telegram_id, p.id, p.code, p.name FROM person p WHERE p.telegram_id IN "
            "(SELECT telegram_id FROM imp_person WHERE telegram_id IS NOT NULL)"
        )
    )
    members = await session.execute(
        text(
            "SELECT DISTINCT p.code FROM special_committee_member m JOIN person p ON p.id = m.person_id "
            "WHERE EXISTS (SELECT 1 FROM imp_person i WHERE i.code = p.code) "
            "OR EXISTS (SELECT 1 FROM imp_code c WHERE c.code = p.code)"
        )
    )
    return (
        [(int(t), int(i), c, str(n)) for t, i, c, n in holders],
        [str(c) for (c,) in members],
    )


class PeopleWriter:
    """Applies the staged people (`imp_person`, `imp_role`, `imp_station`, `imp_group`) and links."""

    def __init__(self, staging: Staging, now: datetime) -> None:
        self.staging = staging
        self.now = now

    async def _sql(self, statement: str) -> int:
        return await self.staging.sql(statement)

    def _step(self, what: str, done: int, total: int) -> None:
        if self.staging.progress is not None:
            self.staging.progress(what, done, total)

    async def table(self, name: str, query: str, indexes: Sequence[str] = ()) -> None:
        """A staging table made from a query (CREATE TABLE AS): the resolved ids of staged rows are
        written once this way; updating a million staged rows in place cost four times as much."""
        await self._sql(f"DROP TABLE IF EXISTS {name}")
        suffix = " ON COMMIT DROP" if self.staging.postgres else ""
        await self._sql(f"CREATE TEMPORARY TABLE {name}{suffix} AS {query}")
        self.staging.made.append(name)
        for number, columns in enumerate(indexes):
            await self._sql(f"CREATE INDEX {name}_{number} ON {name} ({columns})")
        if self.staging.postgres:
            await self._sql(f"ANALYZE {name}")

    async def people(self) -> None:
        """Adopt accounts that wrote first, free moving telegram ids, update what differs, insert the
        new people, then their owned roles and deputy records. `imp_old` holds the rows that were
        stored before, with `changed` set when anything of theirs differs."""
        sql, json = self._sql, self.staging.json
        steps = 6
        self._step("writing people", 0, steps)
        # Someone who wrote to the bot before the roster named them becomes the roster entry (the
        # checks refused a telegram id held by a person without a code when the code is stored).
        await sql(
            "UPDATE person SET code = (SELECT MIN(i.code) FROM imp_person i WHERE i.telegram_id = person.telegram_id) "
            "WHERE code IS NULL AND telegram_id IN (SELECT telegram_id FROM imp_person WHERE telegram_id IS NOT NULL)"
        )
        # What differs, before anything is written: the person's fields, the deputy record.
        await self.table(
            "imp_old",
            "SELECT i.pos, i.is_deputy, p.id AS person_id, d.id AS deputy_id, CASE WHEN "
            "p.name IS DISTINCT FROM i.name OR p.phone IS DISTINCT FROM i.phone "
            "OR p.telegram_id IS DISTINCT FROM i.telegram_id OR p.station_id IS DISTINCT FROM s.id "
            "OR (i.is_deputy AND (d.id IS NULL OR d.level IS DISTINCT FROM i.level "
            f"OR {json('d.fields')} IS DISTINCT FROM {json('i.fields')})) THEN 1 ELSE 0 END AS changed "
            "FROM imp_person i JOIN person p ON p.code = i.code LEFT JOIN deputy d ON d.person_id = p.id "
            "LEFT JOIN station s ON s.code = i.station_code",
            ["pos", "person_id", "deputy_id"],
        )
        self._step("writing people", 1, steps)
        # Telegram ids that move between people of the file are freed before any is given out again.
        await sql(
            "UPDATE person SET telegram_id = NULL WHERE telegram_id IS NOT NULL AND id IN ("
            "SELECT p.id FROM imp_old o JOIN imp_person i ON i.pos = o.pos JOIN person p ON p.id = o.person_id "
            "WHERE o.changed = 1 AND p.telegram_id IS DISTINCT FROM i.telegram_id)"
        )
        await sql(
            "UPDATE person SET name = x.name, phone = x.phone, telegram_id = x.telegram_id, "
            "station_id = x.station_id FROM (SELECT o.person_id, i.name, i.phone, i.telegram_id, "
            "s.id AS station_id FROM imp_old o JOIN imp_person i ON i.pos = o.pos "
            "LEFT JOIN station s ON s.code = i.station_code WHERE o.changed = 1) x WHERE x.person_id = person.id AND ("
            "person.name IS DISTINCT FROM x.name OR person.phone IS DISTINCT FROM x.phone "
            "OR person.telegram_id IS DISTINCT FROM x.telegram_id OR person.station_id IS DISTINCT FROM x.station_id)"
        )
        self._step("writing people", 2, steps)
        # A re-import stores no one new: the two counts cost a fraction of the insert's anti-join.
        if await self._count("imp_old") < await self._count("imp_person"):
            await self._insert_people()
        self._step("writing people", 3, steps)
        await self.table(
            "imp_ids",
            "SELECT i.pos, i.code, i.is_deputy, i.level, i.fields, p.id AS person_id FROM imp_person i "
            "JOIN person p ON p.code = i.code",
            ["code", "person_id"],
        )
        await self.table(
            "imp_role_ids",
            # A role's `pos` is its person's (an integer join; by code it took half as long again).
            "SELECT r.pos, r.role, i.person_id FROM imp_role r JOIN imp_ids i ON i.pos = r.pos",
            ["person_id, role"],
        )
        # Roles: those an import owns and the row does not give go; the row's missing ones are added.
        # Both differences are computed once (each took seconds over a province's million roles).
        await self.table(
            "imp_role_new",
            "SELECT r.pos, r.role, r.person_id FROM imp_role_ids r WHERE NOT EXISTS (SELECT 1 FROM person_role pr "
            "WHERE pr.person_id = r.person_id AND pr.role = r.role)",
        )
        await self.table(
            "imp_role_gone",
            f"SELECT pr.person_id, pr.role FROM person_role pr WHERE pr.role IN {_MANAGED} AND pr.person_id IN "
            "(SELECT person_id FROM imp_ids) AND NOT EXISTS (SELECT 1 FROM imp_role_ids r "
            "WHERE r.person_id = pr.person_id AND r.role = pr.role)",
        )
        await sql(
            "UPDATE imp_old SET changed = 1 WHERE person_id IN (SELECT person_id FROM imp_role_new) "
            "OR person_id IN (SELECT person_id FROM imp_role_gone)"
        )
        await sql(
            "DELETE FROM person_role WHERE EXISTS (SELECT 1 FROM imp_role_gone g "
            "WHERE g.person_id = person_role.person_id AND g.role = person_role.role)"
        )
        await self.staging.session.execute(
            text(
                "INSERT INTO person_role (person_id, role, granted_at) SELECT person_id, role, :now "
                "FROM imp_role_new ORDER BY pos, role"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": self.now},
        )
        self._step("writing people", 4, steps)
        # Deputy records: new ones for deputies without, level and fields where they differ.
        as_json = "CAST(i.fields AS JSON)" if self.staging.postgres else "i.fields"
        await sql(
            f"INSERT INTO deputy (person_id, level, fields) SELECT i.person_id, i.level, {as_json} "
            "FROM imp_ids i WHERE i.is_deputy AND NOT EXISTS (SELECT 1 FROM deputy d "
            "WHERE d.person_id = i.person_id) ORDER BY i.pos"
        )
        await sql(
            f"UPDATE deputy SET level = x.level, fields = x.fields FROM (SELECT o.deputy_id, i.level, "
            f"{as_json} AS fields, i.fields AS text FROM imp_old o JOIN imp_ids i ON i.pos = o.pos "
            "WHERE o.changed = 1 AND i.is_deputy) x WHERE x.deputy_id = deputy.id AND (deputy.level IS DISTINCT FROM "
            f"x.level OR {json('deputy.fields')} IS DISTINCT FROM {json('x.text')})"
        )
        self._step("writing people", 5, steps)
        await self.table(
            "imp_deputy",
            "SELECT i.code, d.id AS deputy_id FROM imp_ids i JOIN deputy d ON d.person_id = i.person_id "
            "WHERE i.is_deputy",
            ["code", "deputy_id"],
        )
        self._step("writing people", 6, steps)

    async def _count(self, table: str) -> int:
        return int((await self.staging.session.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one())

    async def _insert_people(self) -> None:
        """The staged people no stored person has the code of, in the file's order."""
        await self.staging.session.execute(
            text(
                "INSERT INTO person (code, name, phone, telegram_id, station_id, phone_shared, created_at) "
                "SELECT i.code, i.name, i.phone, i.telegram_id, s.id, FALSE, :now FROM imp_person i "
                "LEFT JOIN station s ON s.code = i.station_code "
                "WHERE NOT EXISTS (SELECT 1 FROM imp_old o WHERE o.pos = i.pos) ORDER BY i.pos"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": self.now},
        )

    async def pairs(self, staging: str, table: str, ref_table: str, column: str) -> None:
        """Make each file deputy's rows of a pair table (`deputy_station`, `group_membership`) exactly its
        staged ones, marking the deputies whose rows change; new rows in the file's order."""
        sql = self._sql
        resolved = f"{staging}_ids"
        await self.table(
            resolved,
            f"SELECT s.pos, d.deputy_id AS owner_id, t.id AS ref_id FROM {staging} s "
            f"JOIN imp_deputy d ON d.code = s.code JOIN {ref_table} t ON t.code = s.ref_code",
            ["owner_id, ref_id"],
        )
        missing = (
            f"SELECT s.owner_id FROM {resolved} s WHERE NOT EXISTS (SELECT 1 FROM {table} t "
            f"WHERE t.deputy_id = s.owner_id AND t.{column} = s.ref_id)"
        )
        gone = (
            f"SELECT t.deputy_id FROM {table} t WHERE t.deputy_id IN (SELECT deputy_id FROM imp_deputy) "
            f"AND NOT EXISTS (SELECT 1 FROM {resolved} s WHERE s.owner_id = t.deputy_id AND s.ref_id = t.{column})"
        )
        await sql(f"UPDATE imp_old SET changed = 1 WHERE deputy_id IN ({missing}) OR deputy_id IN ({gone})")
        await sql(
            f"DELETE FROM {table} WHERE deputy_id IN (SELECT deputy_id FROM imp_deputy) "
            f"AND NOT EXISTS (SELECT 1 FROM {resolved} s WHERE s.owner_id = {table}.deputy_id "
            f"AND s.ref_id = {table}.{column})"
        )
        await sql(
            f"INSERT INTO {table} (deputy_id, {column}) SELECT s.owner_id, s.ref_id FROM {resolved} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.deputy_id = s.owner_id AND t.{column} = s.ref_id) "
            "ORDER BY s.pos"
        )

    async def links(self) -> tuple[int, int, int]:
        """Make the links from every person and committee the file names exactly the staged ones.

        Returns:
            (added, removed, re-tiered) link counts.
        """
        sql = self._sql
        await self.table(
            "imp_link_ids",
            "SELECT l.pos, l.tier, p.id AS from_person_id, c.id AS from_committee_id, t.id AS to_person_id "
            "FROM imp_link l LEFT JOIN person p ON NOT l.committee AND p.code = l.source "
            "LEFT JOIN special_committee c ON l.committee AND c.code = l.source "
            "JOIN person t ON t.code = l.target",
            ["from_person_id, to_person_id", "from_committee_id, to_person_id"],
        )
        await self.table(
            "imp_source_people",
            "SELECT person_id AS id FROM imp_ids UNION ALL SELECT DISTINCT p.id FROM imp_source s "
            "JOIN person p ON p.code = s.code WHERE NOT s.committee",
            ["id"],
        )
        await self.table(
            "imp_source_committees",
            "SELECT c.id FROM imp_source s JOIN special_committee c ON c.code = s.code WHERE s.committee",
        )
        self._step("writing contact links", 1, 4)
        removed = retiered = 0
        fresh: list[str] = []
        # Person sources, then committee sources: each side an equality the indexes serve.
        for source, sources in (
            ("from_person_id", "imp_source_people"),
            ("from_committee_id", "imp_source_committees"),
        ):
            same = f"s.{source} = {{t}}.{source} AND s.to_person_id = {{t}}.to_person_id"
            removed += await sql(
                f"DELETE FROM contact_link WHERE id IN (SELECT l.id FROM contact_link l "
                f"WHERE l.{source} IN (SELECT id FROM {sources}) AND NOT EXISTS (SELECT 1 FROM imp_link_ids s "
                f"WHERE {same.format(t='l')}))"
            )
            self._step("writing contact links", 2, 4)
            retiered += await sql(
                f"UPDATE contact_link SET tier = s.tier FROM imp_link_ids s WHERE {same.format(t='contact_link')} "
                "AND contact_link.tier <> s.tier"
            )
            self._step("writing contact links", 3, 4)
            fresh.append(
                f"SELECT s.* FROM imp_link_ids s WHERE s.{source} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM contact_link l WHERE {same.format(t='l')})"
            )
        # The new links of both kinds in the file's order (the export lists them by id).
        await self.table("imp_link_new", " UNION ALL ".join(fresh))
        added = await sql(
            "INSERT INTO contact_link (tier, from_person_id, from_committee_id, to_person_id) "
            "SELECT tier, from_person_id, from_committee_id, to_person_id FROM imp_link_new ORDER BY pos"
        )
        self._step("writing contact links", 4, 4)
        return added, removed, retiered

    async def counts(self) -> list[tuple[bool, bool, bool, int]]:
        """(deputy, new, changed, how many) of the staged people, once every step has marked them: the
        stored ones grouped in `imp_old`, the new ones what the file has besides (no join of the two)."""
        session = self.staging.session
        old = await session.execute(
            text("SELECT is_deputy, changed, COUNT(*) FROM imp_old GROUP BY is_deputy, changed")
        )
        rows = [(bool(d), False, bool(c), int(n)) for d, c, n in old]
        staged = await session.execute(text("SELECT is_deputy, COUNT(*) FROM imp_person GROUP BY is_deputy"))
        for deputy, number in staged:
            fresh = int(number) - sum(n for d, _, _, n in rows if d == bool(deputy))
            if fresh:
                rows.append((bool(deputy), True, False, fresh))
        return rows


async def analyze(session: AsyncSession) -> None:
    """Refresh the planner's statistics of the tables an import wrote (PostgreSQL; SQLite's own)."""
    for table in TOUCHED:
        await session.execute(text(f"ANALYZE {table}"))
