"""The 归口 table's lead unit per category (a unit row's `leads`): refused rows named with nothing
written, one lead per category (in the file and against stored units), a lead category being part of
the unit's 归口, the proposal lead-first then by code, moving and dropping a lead, the round trip
through YAML, CSV and XLSX, and the example network proposing 交通运输局 for transport."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import NetworkFileError, dump_yaml, export_network, import_network, units_for_category
from bot.suggestions.assign import AssignmentService
from storage.models import Person, Suggestion, Unit, UnitCategory
from storage.unit_of_work import UnitOfWork
from tests.test_network import EXAMPLE, SMALL, load, write_csv_folder, write_workbook

Maker = async_sessionmaker[AsyncSession]
Uow = Callable[[], UnitOfWork]

# SMALL's units: JT (transport), GL (transport, agriculture; under JT), FY (disputes); no leads.


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def with_leads(**leads: list[str]) -> dict[str, Any]:
    data = load(SMALL)
    for row in data["units"]:
        if row["code"] in leads:
            row["leads"] = leads[row["code"]]
    return data


async def proposed(uow: Uow, category: str) -> list[str]:
    async with uow() as u:
        return [unit.code for unit in await units_for_category(u, category)]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            lambda d: d["units"][0].update(leads=["roads"]),
            "units[0] (JT): unknown lead category 'roads' (expected one of urban_construction",
        ),
        (
            lambda d: d["units"][0].update(leads=["transport", "transport"]),
            "units[0] (JT): lead category 'transport' listed twice",
        ),
        (
            lambda d: (d["units"][0].update(leads=["transport"]), d["units"][1].update(leads=["transport"])),
            "units[1] (GL): 'transport' already has a lead unit, JT (units[0] (JT)); one lead unit per category",
        ),
    ],
)
async def test_a_bad_lead_is_named_and_nothing_is_written(
    sessionmaker: Maker, tmp_path: Path, damage: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    data = load(SMALL)
    damage(data)
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(data, tmp_path / "bad.yaml"))
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Unit)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0


async def test_the_lead_comes_first_and_the_rest_by_code(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    await import_network(sessionmaker, SMALL)
    assert await proposed(uow, "transport") == ["GL", "JT"]  # no lead: by code
    await import_network(sessionmaker, write(with_leads(JT=["transport"]), tmp_path / "jt.yaml"))
    assert await proposed(uow, "transport") == ["JT", "GL"]
    assert await proposed(uow, "agriculture") == ["GL"]


async def test_a_lead_category_is_part_of_the_units_guikou(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    """FY leads `other` without listing it in `categories`: it handles it, first; an export lists it in
    both columns, and importing that export changes nothing."""
    await import_network(sessionmaker, write(with_leads(FY=["other"]), tmp_path / "fy.yaml"))
    assert await proposed(uow, "other") == ["FY"]
    exported = await export_network(sessionmaker)
    fy = next(row for row in exported["units"] if row["code"] == "FY")
    assert fy["categories"] == ["disputes", "other"] and fy["leads"] == ["other"]
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert not again.changed, str(again)


async def test_a_lead_moves_or_goes_with_the_file(sessionmaker: Maker, uow: Uow, tmp_path: Path) -> None:
    await import_network(sessionmaker, write(with_leads(JT=["transport"]), tmp_path / "jt.yaml"))
    assert await proposed(uow, "transport") == ["JT", "GL"]
    # Both units in one file: the lead moves from JT to GL.
    moved = await import_network(sessionmaker, write(with_leads(GL=["transport"]), tmp_path / "gl.yaml"))
    assert moved.updated["units"] == 2 and moved.unchanged["units"] == 1
    assert await proposed(uow, "transport") == ["GL", "JT"]
    # A file naming only JT cannot take the lead from GL, who is in the database and not in the file.
    only_jt = {"units": [{"code": "JT", "name": "交通运输局", "kind": "government", "leads": ["transport"]}]}
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(only_jt, tmp_path / "only_jt.yaml"))
    assert refused.value.problems == [
        "units[0] (JT): 'transport' already has a lead unit, GL (in the database; list GL in this file "
        "without that lead to move it); one lead unit per category"
    ]
    # Without leads the file's units lead nothing: back to the code order; no 归口 row is duplicated.
    await import_network(sessionmaker, SMALL)
    assert await proposed(uow, "transport") == ["GL", "JT"]
    async with uow() as u:
        assert await u.session.scalar(select(func.count()).select_from(UnitCategory)) == 4
        assert await u.units.leads() == {}


@pytest.mark.parametrize("shape", ["yaml", "csv", "xlsx"])
async def test_leads_survive_the_round_trip(
    sessionmaker: Maker, uow: Uow, tmp_path: Path, shape: str
) -> None:
    data = with_leads(JT=["transport"], GL=["agriculture"])
    source = {
        "yaml": lambda: write(data, tmp_path / "n.yaml"),
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),
    }[shape]()
    await import_network(sessionmaker, source)
    exported = await export_network(sessionmaker)
    assert exported["units"] == data["units"]
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert again.unchanged["units"] == 3 and not again.changed
    assert await proposed(uow, "transport") == ["JT", "GL"]


async def test_the_example_proposes_the_transport_bureau_for_transport(sessionmaker: Maker, uow: Uow) -> None:
    """The example network marks 交通运输局 (JTJ) the lead of transport, so the proposal is JTJ with 公安局
    (GAJ) and 公路管理局 (GLJ) co-handling, though GAJ comes first by code; disputes has no lead."""
    await import_network(sessionmaker, EXAMPLE)
    async with uow() as u:
        filer = await u.people.by_code("D0039")
        assert filer is not None
        suggestion = Suggestion(
            title="客运班线", text="增开班次", category="transport", filer_person_id=filer.id
        )
        u.session.add(suggestion)
        await u.flush()
        proposal = await AssignmentService(u).propose(suggestion)
        assert proposal.lead is not None and proposal.lead.code == "JTJ"
        assert [x.code for x in proposal.co_units] == ["GAJ", "GLJ"]
        await u.session.rollback()
    assert await proposed(uow, "urban_construction") == ["ZJJ", "GDJ", "ZRJ"]
    assert await proposed(uow, "agriculture") == ["NYJ", "GDJ"]
    assert await proposed(uow, "disputes") == ["GAJ", "JCY", "ZYFY"]
    leads = {row["code"]: row.get("leads", []) for row in load(EXAMPLE)["units"]}
    assert leads["JTJ"] == ["transport"] and leads["GAJ"] == []
