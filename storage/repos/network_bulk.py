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

from collections.abc import Callable, Iterable, Iterator, Sequence
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
        "station_code VARCHAR(32), is_deputy BOOLEAN, level VARCHAR(16), fields TEXT, person_id INTEGER, "
        "deputy_id INTEGER, station_id INTEGER, fresh BOOLEAN DEFAULT FALSE, changed BOOLEAN DEFAULT FALSE"
    ),
    # Person codes the file names outside its people's rows (leaders, members, officers, links).
    "imp_code": "code VARCHAR(32)",
    "imp_role": "pos INTEGER, code VARCHAR(32), role VARCHAR(32), person_id INTEGER",
    "imp_station": "pos INTEGER, code VARCHAR(32), ref_code VARCHAR(32), owner_id INTEGER, ref_id INTEGER",
    "imp_group": "pos INTEGER, code VARCHAR(32), ref_code VARCHAR(32), owner_id INTEGER, ref_id INTEGER",
    "imp_link": (
        "pos INTEGER, source VARCHAR(32), committee BOOLEAN, target VARCHAR(32), tier VARCHAR(32), "
        "from_person_id INTEGER, from_committee_id INTEGER, to_person_id INTEGER"
    ),
    # Link sources besides the file's people: its committees and the `from` of each contacts row.
    "imp_source": "code VARCHAR(32), committee BOOLEAN, id INTEGER",
}
_INDEXES = {
    "imp_person": ["code", "person_id", "deputy_id"],
    "imp_code": ["code"],
    "imp_role": ["person_id, role", "code"],
    "imp_station": ["owner_id, ref_id", "code"],
    "imp_group": ["owner_id, ref_id", "code"],
    "imp_link": ["to_person_id, from_person_id", "source"],
    "imp_source": ["code"],
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

    async def sql(self, statement: str, **params: Any) -> int:
        """Run one statement; the number of rows it changed."""
        result = await self.session.execute(text(statement), params)
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def create(self) -> None:
        for name, columns in _TABLES.items():
            await self.sql(f"DROP TABLE IF EXISTS {name}")
            suffix = " ON COMMIT DROP" if self.postgres else ""
            await self.sql(f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}")

    async def drop(self) -> None:
        """SQLite keeps temporary tables for the connection's life: drop them (PostgreSQL's go at commit)."""
        if not self.postgres:
            for name in _TABLES:
                await self.sql(f"DROP TABLE IF EXISTS {name}")

    async def load(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], total: int = 0
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
            if self.progress is not None and total:
                self.progress(f"staging {table.removeprefix('imp_')}", done, total)
        # Indexed once loaded; PostgreSQL's autovacuum never analyses temporary tables.
        for number, indexed in enumerate(_INDEXES[table]):
            await self.sql(f"CREATE INDEX {table}_{number} ON {table} ({indexed})")
        if self.postgres:
            await self.sql(f"ANALYZE {table}")

    def json(self, column: str) -> str:
        """A JSON column's value for comparing: jsonb on PostgreSQL, minified text on SQLite."""
        return f"CAST({column} AS JSONB)" if self.postgres else f"json({column})"


# Every person code the file names: its people's rows and the other references.
_NAMED = "(SELECT code FROM imp_person UNION SELECT code FROM imp_code)"


async def known_people(
    staging: Staging,
) -> tuple[list[tuple[str, bool]], list[tuple[str, str]], list[tuple[int, int, str | None, str]], list[str]]:
    """The stored people the file names, as tuples: (code, has a deputy record), (code, role),
    (telegram id, person id, code, name) of the holders of the file's telegram ids, and the codes
    of those among them who sit on a special committee."""
    session = staging.session
    people = await session.execute(
        text(
            f"SELECT p.code, d.id IS NOT NULL FROM person p JOIN {_NAMED} c ON c.code = p.code "
            "LEFT JOIN deputy d ON d.person_id = p.id"
        )
    )
    roles = await session.execute(
        text(
            f"SELECT p.code, r.role FROM person p JOIN {_NAMED} c ON c.code = p.code "
            "JOIN person_role r ON r.person_id = p.id"
        )
    )
    holders = await session.execute(
        text(
            "SELECT p.telegram_id, p.id, p.code, p.name FROM person p WHERE p.telegram_id IN "
            "(SELECT telegram_id FROM imp_person WHERE telegram_id IS NOT NULL)"
        )
    )
    members = await session.execute(
        text(
            "SELECT DISTINCT p.code FROM special_committee_member m JOIN person p ON p.id = m.person_id "
            f"JOIN {_NAMED} c ON c.code = p.code"
        )
    )
    return (
        [(str(c), bool(d)) for c, d in people],
        [(str(c), str(r)) for c, r in roles],
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

    async def people(self) -> None:
        """Adopt accounts that wrote first, free moving telegram ids, update what differs, insert the
        new people, then their owned roles and deputy records; sets `fresh` and `changed`."""
        sql = self._sql
        steps = 9
        self._step("writing people", 0, steps)
        # Someone who wrote to the bot before the roster named them becomes the roster entry (the
        # checks refused a telegram id held by a person without a code when the code is stored).
        await sql(
            "UPDATE person SET code = (SELECT MIN(i.code) FROM imp_person i WHERE i.telegram_id = person.telegram_id) "
            "WHERE code IS NULL AND telegram_id IN (SELECT telegram_id FROM imp_person WHERE telegram_id IS NOT NULL)"
        )
        await sql("UPDATE imp_person SET person_id = p.id FROM person p WHERE p.code = imp_person.code")
        await sql("UPDATE imp_person SET fresh = (person_id IS NULL)")
        await sql(
            "UPDATE imp_person SET station_id = s.id FROM station s WHERE s.code = imp_person.station_code"
        )
        await sql(
            "UPDATE imp_person SET deputy_id = d.id FROM deputy d WHERE d.person_id = imp_person.person_id"
        )
        await sql(
            "UPDATE imp_role SET person_id = i.person_id FROM imp_person i WHERE i.code = imp_role.code"
        )
        self._step("writing people", 1, steps)
        # What differs, before anything is written: the person's fields, roles, deputy record.
        await sql(
            "UPDATE imp_person SET changed = TRUE FROM person p WHERE p.id = imp_person.person_id AND ("
            "p.name IS DISTINCT FROM imp_person.name OR p.phone IS DISTINCT FROM imp_person.phone "
            "OR p.telegram_id IS DISTINCT FROM imp_person.telegram_id "
            "OR p.station_id IS DISTINCT FROM imp_person.station_id)"
        )
        stored, wanted = self.staging.json("d.fields"), self.staging.json("i.fields")
        await sql(
            "UPDATE imp_person SET changed = TRUE WHERE is_deputy AND person_id IS NOT NULL AND ("
            "deputy_id IS NULL OR deputy_id IN (SELECT d.id FROM deputy d JOIN imp_person i ON i.deputy_id = d.id "
            f"WHERE d.level IS DISTINCT FROM i.level OR {stored} IS DISTINCT FROM {wanted}))"
        )
        await sql(
            "UPDATE imp_person SET changed = TRUE WHERE person_id IN (SELECT r.person_id FROM imp_role r "
            "WHERE r.person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person_role pr "
            "WHERE pr.person_id = r.person_id AND pr.role = r.role)) "
            "OR person_id IN (SELECT pr.person_id FROM person_role pr JOIN imp_person i ON i.person_id = pr.person_id "
            f"WHERE pr.role IN {_MANAGED} AND NOT EXISTS (SELECT 1 FROM imp_role r "
            "WHERE r.person_id = pr.person_id AND r.role = pr.role))"
        )
        self._step("writing people", 2, steps)
        # Telegram ids that move between people of the file are freed before any is given out again.
        await sql(
            "UPDATE person SET telegram_id = NULL WHERE telegram_id IS NOT NULL AND id IN ("
            "SELECT p.id FROM person p JOIN imp_person i ON i.person_id = p.id "
            "WHERE p.telegram_id IS DISTINCT FROM i.telegram_id)"
        )
        await sql(
            "UPDATE person SET name = i.name, phone = i.phone, telegram_id = i.telegram_id, "
            "station_id = i.station_id FROM imp_person i WHERE i.person_id = person.id AND ("
            "person.name IS DISTINCT FROM i.name OR person.phone IS DISTINCT FROM i.phone "
            "OR person.telegram_id IS DISTINCT FROM i.telegram_id OR person.station_id IS DISTINCT FROM i.station_id)"
        )
        self._step("writing people", 3, steps)
        await self.staging.session.execute(
            text(
                "INSERT INTO person (code, name, phone, telegram_id, station_id, phone_shared, created_at) "
                "SELECT code, name, phone, telegram_id, station_id, FALSE, :now FROM imp_person WHERE fresh "
                "ORDER BY pos"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": self.now},
        )
        await sql(
            "UPDATE imp_person SET person_id = p.id FROM person p WHERE imp_person.fresh AND p.code = imp_person.code"
        )
        await sql(
            "UPDATE imp_role SET person_id = i.person_id FROM imp_person i "
            "WHERE imp_role.person_id IS NULL AND i.code = imp_role.code"
        )
        self._step("writing people", 4, steps)
        # Roles: those an import owns and the row does not give go; the row's missing ones are added.
        await sql(
            f"DELETE FROM person_role WHERE role IN {_MANAGED} AND person_id IN (SELECT person_id FROM imp_person) "
            "AND NOT EXISTS (SELECT 1 FROM imp_role r WHERE r.person_id = person_role.person_id "
            "AND r.role = person_role.role)"
        )
        await self.staging.session.execute(
            text(
                "INSERT INTO person_role (person_id, role, granted_at) SELECT r.person_id, r.role, :now "
                "FROM imp_role r WHERE NOT EXISTS (SELECT 1 FROM person_role pr "
                "WHERE pr.person_id = r.person_id AND pr.role = r.role) ORDER BY r.pos, r.role"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": self.now},
        )
        self._step("writing people", 5, steps)
        # Deputy records: new ones for deputies without, level and fields where they differ.
        json_value = "CAST(fields AS JSON)" if self.staging.postgres else "fields"
        await sql(
            f"INSERT INTO deputy (person_id, level, fields) SELECT person_id, level, {json_value} "
            "FROM imp_person WHERE is_deputy AND deputy_id IS NULL ORDER BY pos"
        )
        await sql(
            f"UPDATE deputy SET level = i.level, fields = {json_value.replace('fields', 'i.fields')} "
            f"FROM imp_person i WHERE i.deputy_id = deputy.id AND i.is_deputy AND (deputy.level IS DISTINCT FROM "
            f"i.level OR {self.staging.json('deputy.fields')} IS DISTINCT FROM {self.staging.json('i.fields')})"
        )
        await sql(
            "UPDATE imp_person SET deputy_id = d.id FROM deputy d "
            "WHERE imp_person.is_deputy AND imp_person.deputy_id IS NULL AND d.person_id = imp_person.person_id"
        )
        self._step("writing people", 6, steps)

    async def pairs(self, staging: str, table: str, ref_table: str, column: str) -> None:
        """Make each file deputy's rows of a pair table (`deputy_station`, `group_membership`) exactly its
        staged ones, marking the deputies whose rows change; new rows in the file's order."""
        sql = self._sql
        await sql(
            f"UPDATE {staging} SET owner_id = i.deputy_id FROM imp_person i WHERE i.code = {staging}.code"
        )
        await sql(f"UPDATE {staging} SET ref_id = t.id FROM {ref_table} t WHERE t.code = {staging}.ref_code")
        await sql(
            "UPDATE imp_person SET changed = TRUE WHERE NOT fresh AND is_deputy AND ("
            f"deputy_id IN (SELECT s.owner_id FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {table} t "
            f"WHERE t.deputy_id = s.owner_id AND t.{column} = s.ref_id)) "
            f"OR deputy_id IN (SELECT t.deputy_id FROM {table} t JOIN imp_person i ON i.deputy_id = t.deputy_id "
            f"WHERE i.is_deputy AND NOT EXISTS (SELECT 1 FROM {staging} s "
            f"WHERE s.owner_id = t.deputy_id AND s.ref_id = t.{column})))"
        )
        await sql(
            f"DELETE FROM {table} WHERE deputy_id IN (SELECT deputy_id FROM imp_person WHERE is_deputy) "
            f"AND NOT EXISTS (SELECT 1 FROM {staging} s WHERE s.owner_id = {table}.deputy_id "
            f"AND s.ref_id = {table}.{column})"
        )
        await sql(
            f"INSERT INTO {table} (deputy_id, {column}) SELECT s.owner_id, s.ref_id FROM {staging} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.deputy_id = s.owner_id AND t.{column} = s.ref_id) "
            "ORDER BY s.pos"
        )

    async def links(self) -> tuple[int, int, int]:
        """Make the links from every person and committee the file names exactly the staged ones.

        Returns:
            (added, removed, re-tiered) link counts.
        """
        sql = self._sql
        await sql(
            "UPDATE imp_source SET id = p.id FROM person p WHERE NOT imp_source.committee AND p.code = imp_source.code"
        )
        await sql(
            "UPDATE imp_source SET id = c.id FROM special_committee c WHERE imp_source.committee AND c.code = imp_source.code"
        )
        await sql(
            "UPDATE imp_link SET from_person_id = p.id FROM person p WHERE NOT imp_link.committee AND p.code = imp_link.source"
        )
        await sql(
            "UPDATE imp_link SET from_committee_id = c.id FROM special_committee c "
            "WHERE imp_link.committee AND c.code = imp_link.source"
        )
        await sql("UPDATE imp_link SET to_person_id = p.id FROM person p WHERE p.code = imp_link.target")
        self._step("writing contact links", 1, 4)
        same = (
            "COALESCE(s.from_person_id, 0) = COALESCE({t}.from_person_id, 0) "
            "AND COALESCE(s.from_committee_id, 0) = COALESCE({t}.from_committee_id, 0) "
            "AND s.to_person_id = {t}.to_person_id"
        )
        removed = await sql(
            "DELETE FROM contact_link WHERE (from_person_id IN (SELECT person_id FROM imp_person "
            "UNION SELECT id FROM imp_source WHERE NOT committee) "
            "OR from_committee_id IN (SELECT id FROM imp_source WHERE committee)) "
            f"AND NOT EXISTS (SELECT 1 FROM imp_link s WHERE {same.format(t='contact_link')})"
        )
        self._step("writing contact links", 2, 4)
        retiered = await sql(
            f"UPDATE contact_link SET tier = s.tier FROM imp_link s WHERE {same.format(t='contact_link')} "
            "AND contact_link.tier <> s.tier"
        )
        self._step("writing contact links", 3, 4)
        added = await sql(
            "INSERT INTO contact_link (tier, from_person_id, from_committee_id, to_person_id) "
            "SELECT s.tier, s.from_person_id, s.from_committee_id, s.to_person_id FROM imp_link s "
            f"WHERE NOT EXISTS (SELECT 1 FROM contact_link l WHERE {same.format(t='l')}) ORDER BY s.pos"
        )
        self._step("writing contact links", 4, 4)
        return added, removed, retiered

    async def counts(self) -> list[tuple[bool, bool, bool, int]]:
        """(deputy, new, changed, how many) of the staged people, once every step has marked them."""
        rows = await self.staging.session.execute(
            text(
                "SELECT is_deputy, fresh, changed, COUNT(*) FROM imp_person GROUP BY is_deputy, fresh, changed"
            )
        )
        return [(bool(d), bool(f), bool(c), int(n)) for d, f, c, n in rows]


async def analyze(session: AsyncSession) -> None:
    """Refresh the planner's statistics of the tables an import wrote (PostgreSQL; SQLite's own)."""
    for table in TOUCHED:
        await session.execute(text(f"ANALYZE {table}"))
