"""A station's head (站长) and liaison officers (联络员) in the network file: imported (YAML, CSV, XLSX),
refused with the row named when they name nobody, exported back, and a re-import a no-op."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import NetworkFileError, export_network, import_network
from storage.models import Role
from storage.models.duty import StationRole
from storage.unit_of_work import UnitOfWork
from tests.test_network import SMALL, load, write_csv_folder, write_workbook
from tests.test_units import write

Maker = async_sessionmaker[AsyncSession]
Uow = Callable[[], UnitOfWork]


async def officers(uow: Uow, station: str) -> list[tuple[str, str | None]]:
    async with uow() as u:
        found = await u.network.station_by_code(station)
        assert found is not None
        return [(role, p.code) for role, p in await u.station_officers.officers(found.id)]


@pytest.mark.parametrize("shape", ["yaml", "csv", "xlsx"])
async def test_heads_and_liaisons_are_imported_and_exported_back(
    sessionmaker: Maker, uow: Uow, tmp_path: Path, shape: str
) -> None:
    data = load(SMALL)
    v1 = next(s for s in data["stations"] if s["code"] == "V1")
    v1.update(head="D1", liaisons=["C1", "C2"])
    source = {
        "yaml": lambda: write(data, tmp_path / "n.yaml"),
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),
    }[shape]()
    await import_network(sessionmaker, source)
    assert await officers(uow, "V1") == [("head", "D1"), ("liaison", "C1"), ("liaison", "C2")]
    async with uow() as u:
        d1, c1 = await u.people.by_code("D1"), await u.people.by_code("C1")
        assert d1 is not None and Role.STATION_HEAD in d1.role_set and Role.DEPUTY in d1.role_set
        assert c1 is not None and Role.LIAISON in c1.role_set
    exported = await export_network(sessionmaker)
    row = next(s for s in exported["stations"] if s["code"] == "V1")
    assert (row["head"], row["liaisons"]) == ("D1", ["C1", "C2"])
    assert "head" not in next(s for s in exported["stations"] if s["code"] == "T1")
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert not again.changed


async def test_a_new_head_replaces_the_old_one_who_loses_the_role(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    data = load(SMALL)
    v1 = next(s for s in data["stations"] if s["code"] == "V1")
    v1["head"] = "D1"
    await import_network(sessionmaker, write(data, tmp_path / "a.yaml"))
    v1["head"] = "D2"
    summary = await import_network(sessionmaker, write(data, tmp_path / "b.yaml"))
    assert summary.updated["stations"] == 1
    assert await officers(uow, "V1") == [("head", "D2")]
    async with uow() as u:
        d1 = await u.people.by_code("D1")
        assert d1 is not None and Role.STATION_HEAD not in d1.role_set
        assert await u.station_officers.stations_of(d1.id, StationRole.HEAD) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda v: v.update(head="NOPE"), "stations[2] (V1): unknown head 'NOPE'"),
        (lambda v: v.update(liaisons=["C1", "GHOST"]), "stations[2] (V1): unknown liaison 'GHOST'"),
        (lambda v: v.update(liaisons=["C1", "C1"]), "stations[2] (V1): liaison 'C1' listed twice"),
    ],
)
async def test_bad_officers_refuse_the_whole_file(
    sessionmaker: Maker, uow: Uow, tmp_path: Path, change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    data = load(SMALL)
    change(next(s for s in data["stations"] if s["code"] == "V1"))
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(data, tmp_path / "bad.yaml"))
    assert problem in refused.value.problems
    async with uow() as u:
        assert await u.network.station_by_code("V1") is None  # nothing written
