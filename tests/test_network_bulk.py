"""The bulk import at a size past every batch and parameter limit (more than 32,767 people), on both
backends: the generated province at 3.5% (35,002 constituents, 3,500 deputies), written, re-imported
without a write, then changed in a few rows and re-imported: each change counted and applied exactly,
telegram ids moving between two deputies, an account that wrote first adopted."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.province import generate
from bot.network import import_network, network_counts
from storage.models import ContactLink, Deputy, DeputyGroup, DeputyStation, GroupMembership, Person, Station
from storage.unit_of_work import UnitOfWork
from tests.test_network import Maker

SCALE = 0.035


def read_sheet(folder: Path, section: str) -> list[dict[str, str]]:
    with (folder / f"{section}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_sheet(folder: Path, section: str, rows: list[dict[str, str]]) -> None:
    with (folder / f"{section}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@contextmanager
def counting_writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements that changed a stored row (staging tables aside)."""
    writes: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb not in {"INSERT", "UPDATE", "DELETE"}:
            return
        target = words[2] if verb in {"INSERT", "DELETE"} else words[1]
        if not target.startswith("imp_") and (cursor.rowcount or 0) > 0:
            writes.append(statement)

    event.listen(engine.sync_engine, "after_cursor_execute", after)
    try:
        yield writes
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", after)


async def scalar(sessionmaker: Maker, query: Any) -> Any:
    async with UnitOfWork(sessionmaker) as uow:
        return await uow.session.scalar(query)


async def person(sessionmaker: Maker, code: str) -> Person:
    async with UnitOfWork(sessionmaker) as uow:
        found = await uow.session.scalar(select(Person).where(Person.code == code))
        assert found is not None
        return found


async def codes_of(sessionmaker: Maker, code: str, table: Any, ref: Any, column: Any) -> list[str]:
    """A deputy's stations or groups, by code, in the order their rows were written."""
    async with UnitOfWork(sessionmaker) as uow:
        rows = await uow.session.scalars(
            select(ref.code)
            .join(table, column == ref.id)
            .join(Deputy, Deputy.id == table.deputy_id)
            .join(Person, Person.id == Deputy.person_id)
            .where(Person.code == code)
            .order_by(table.id)
        )
        return list(rows)


async def test_a_province_imports_in_bulk_and_reimports_exactly(
    sessionmaker: Maker, engine: AsyncEngine, tmp_path: Path
) -> None:
    folder = tmp_path / "province"
    province = generate(folder, SCALE)
    assert province.constituents + sum(province.deputies.values()) > 32_767

    first = await import_network(sessionmaker, folder, max_bytes=None)
    assert first.created["constituents"] == province.constituents
    assert first.created["deputies"] == sum(province.deputies.values())
    assert first.created["stations"] == sum(province.stations.values())
    assert first.links_added == province.links
    counts = await network_counts(sessionmaker)
    assert counts["constituents"] == province.constituents
    assert counts["contact_links"]["total"] == province.links
    assert counts["standing_committee_members"] == province.committee_members
    assert (
        await scalar(sessionmaker, select(func.count()).select_from(DeputyStation))
        == province.deputy_stations
    )
    assert (
        await scalar(sessionmaker, select(func.count()).select_from(GroupMembership)) == province.memberships
    )

    # The same file again: every row unchanged, and not one stored row written.
    with counting_writes(engine) as writes:
        again = await import_network(sessionmaker, folder, max_bytes=None)
    assert not again.changed, str(again)
    assert again.unchanged["constituents"] == province.constituents
    assert writes == []

    # A few rows changed, among thirty-eight thousand.
    deputies = read_sheet(folder, "deputies")
    constituents = read_sheet(folder, "constituents")
    contacts = read_sheet(folder, "contacts")
    plain = [row for row in deputies if not row["roles"]]
    swap_a, swap_b = [row for row in plain if row["telegram_id"]][-2:]
    moved, promoted = [row for row in plain if not row["telegram_id"]][-2:]
    regrouped = next(row for row in plain if row["groups"] and row not in (swap_a, swap_b, moved, promoted))
    swap_a["telegram_id"], swap_b["telegram_id"] = swap_b["telegram_id"], swap_a["telegram_id"]
    other_station = next(s for s in read_sheet(folder, "stations") if s["kind"] == "village")["code"]
    assert other_station not in moved["stations"].split(";")
    moved["stations"] = f"{other_station};{moved['stations']}"
    regrouped["groups"] = ""
    promoted["roles"] = "committee_member"
    renamed, rephoned = constituents[0], constituents[1]
    renamed["name"] = "改名"
    rephoned["phone"] = "+8613700000002"
    cut = next(row for row in contacts if len(row["to"].split(";")) > 1)
    dropped = cut["to"].split(";")[-1]
    cut["to"] = ";".join(cut["to"].split(";")[:-1])
    constituents.append(
        {"code": "C9999999", "name": "先来者", "phone": "", "telegram_id": "777000777", "station": ""}
    )
    write_sheet(folder, "deputies", deputies)
    write_sheet(folder, "constituents", constituents)
    write_sheet(folder, "contacts", contacts)
    # Someone who wrote to the bot before the roster named them.
    async with UnitOfWork(sessionmaker) as uow:
        uow.session.add(Person(name="Telegram name", telegram_id=777000777))
        await uow.commit()
    people_before = await scalar(sessionmaker, select(func.count()).select_from(Person))

    with counting_writes(engine) as writes:
        changed = await import_network(sessionmaker, folder, max_bytes=None)
    assert len(writes) >= 5  # the listener sees writes: its silence above means none were made
    assert changed.created["constituents"] == 0
    assert changed.updated["constituents"] == 3  # renamed, new phone, adopted
    assert changed.unchanged["constituents"] == province.constituents - 2
    assert changed.updated["deputies"] == 5
    assert changed.created["deputies"] == 0
    assert (changed.links_added, changed.links_removed, changed.links_retiered) == (0, 1, 0)
    assert await scalar(sessionmaker, select(func.count()).select_from(Person)) == people_before

    assert (await person(sessionmaker, swap_a["code"])).telegram_id == int(swap_a["telegram_id"])
    assert (await person(sessionmaker, swap_b["code"])).telegram_id == int(swap_b["telegram_id"])
    adopted = await person(sessionmaker, "C9999999")
    assert (adopted.name, adopted.telegram_id) == ("先来者", 777000777)
    assert (await person(sessionmaker, renamed["code"])).name == "改名"
    assert (await person(sessionmaker, rephoned["code"])).phone == "+8613700000002"
    assert "committee_member" in {r.role for r in (await person(sessionmaker, promoted["code"])).roles}
    stations = await codes_of(sessionmaker, moved["code"], DeputyStation, Station, DeputyStation.station_id)
    assert sorted(stations) == sorted(moved["stations"].split(";"))
    first_station = await scalar(
        sessionmaker,
        select(Station.code)
        .join(Person, Person.station_id == Station.id)
        .where(Person.code == moved["code"]),
    )
    assert first_station == other_station
    assert (
        await codes_of(
            sessionmaker, regrouped["code"], GroupMembership, DeputyGroup, GroupMembership.group_id
        )
        == []
    )
    source = await person(sessionmaker, cut["from"])
    target = await person(sessionmaker, dropped)
    link = select(func.count()).where(
        ContactLink.from_person_id == source.id, ContactLink.to_person_id == target.id
    )
    assert await scalar(sessionmaker, link) == 0

    with counting_writes(engine) as writes:
        last = await import_network(sessionmaker, folder, max_bytes=None)
    assert not last.changed, str(last)
    assert writes == []
