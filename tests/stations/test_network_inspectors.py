"""The network file's `stations[].inspectors` column (分片包抓), on SQLite and PostgreSQL: who may be named,
all or nothing with each problem naming its row, export → import a no-op, and inspectors staff assigned
in the console (people without a code) kept by a re-import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import NetworkFileError, export_network, import_network
from storage.models import Person, Role
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

NETWORK = ROOT / "tests" / "data" / "network_e2e.yaml"
Uow = Callable[[], UnitOfWork]
Maker = async_sessionmaker[AsyncSession]


def network(**inspectors: list[str]) -> dict[str, Any]:
    data = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    for row in data["stations"]:
        if row["code"] in inspectors:
            row["inspectors"] = inspectors[row["code"]]
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str = "net.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def inspectors(uow: Uow, code: str) -> list[str]:
    async with uow() as u:
        station = await u.network.station_by_code(code)
        assert station is not None
        return [p.code or p.name for p in await u.stations.inspectors(station.id)]


async def test_the_column_assigns_inspectors_and_round_trips(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    data = network(V1=["M1"], V2=["P1", "D1"])
    data["committees"][0]["members"] = ["D1"]  # D1 sits on the agriculture committee: may inspect
    summary = await import_network(sessionmaker, write(tmp_path, data))
    assert summary.created["stations"] == 5
    assert await inspectors(uow, "V1") == ["M1"] and await inspectors(uow, "V2") == ["P1", "D1"]
    exported = await export_network(sessionmaker)
    rows = {r["code"]: r for r in exported["stations"]}
    assert rows["V1"]["inspectors"] == ["M1"] and "inspectors" not in rows["H1"]
    again = await import_network(sessionmaker, write(tmp_path, exported, "export.yaml"))
    assert not again.changed, str(again)
    # Staff assign someone without a code in the console; a re-import keeps them, and changes what it names.
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=900001))
        await u.people.grant(staff, Role.STAFF)
        v1 = await u.network.station_by_code("V1")
        assert v1 is not None
        await u.stations.assign(v1.id, staff.id, None)
        await u.commit()
    moved = await import_network(
        sessionmaker, write(tmp_path, {**data, "stations": network(V1=["P1"])["stations"]})
    )
    assert moved.updated["stations"] == 1 and moved.unchanged["stations"] == 4
    assert await inspectors(uow, "V1") == ["办公室小张", "P1"]
    assert await inspectors(uow, "V2") == ["P1", "D1"]  # V2's row names no inspectors: kept
    untouched = network()
    untouched["stations"] = [{k: v for k, v in r.items() if k != "inspectors"} for r in untouched["stations"]]
    assert not (await import_network(sessionmaker, write(tmp_path, untouched))).changed


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (
            ["D2"],
            "stations[2] (V1): inspector 'D2' is neither staff, a committee member nor on a special committee",
        ),
        (["C1"], "stations[2] (V1): inspector 'C1' is neither staff"),
        (["X9"], "stations[2] (V1): unknown inspector 'X9'"),
        (["M1", "M1"], "stations[2] (V1): inspector 'M1' listed twice"),
    ],
)
async def test_a_bad_inspector_refuses_the_whole_file(
    sessionmaker: Maker, uow: Uow, tmp_path: Path, names: list[str], problem: str
) -> None:
    await import_network(sessionmaker, write(tmp_path, network(V2=["P1"])))
    bad = network(V1=names, V2=[])
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(tmp_path, bad, "bad.yaml"))
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert await inspectors(uow, "V2") == ["P1"]  # nothing written
    assert await inspectors(uow, "V1") == []


async def test_a_member_of_a_stored_committee_may_be_named(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    data = network()
    data["committees"][1]["members"] = ["D2"]
    await import_network(sessionmaker, write(tmp_path, data))
    later = {
        "stations": network(V1=["D2"])["stations"]
    }  # no committees section: D2's seat is in the database
    await import_network(sessionmaker, write(tmp_path, later, "later.yaml"))
    assert await inspectors(uow, "V1") == ["D2"]
