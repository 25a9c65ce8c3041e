"""Special committee members in the network file: YAML, CSV and XLSX, replace-when-given, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.network import NetworkFileError, dump_yaml, export_network, import_network, network_counts
from storage.models import Person, SpecialCommittee, SpecialCommitteeMember
from storage.unit_of_work import UnitOfWork
from tests.test_network import EXAMPLE, SMALL, Maker, load, snapshot, write_csv_folder, write_workbook


async def members(sessionmaker: Maker) -> dict[str, list[str]]:
    """Committee code → member codes, in the order they were written."""
    async with UnitOfWork(sessionmaker) as uow:
        rows = await uow.session.execute(
            select(SpecialCommittee.code, Person.code)
            .join(SpecialCommitteeMember, SpecialCommitteeMember.committee_id == SpecialCommittee.id)
            .join(Person, Person.id == SpecialCommitteeMember.person_id)
            .order_by(SpecialCommitteeMember.id)
        )
        out: dict[str, list[str]] = {}
        for committee, person in rows:
            out.setdefault(committee, []).append(person)
    return out


def write(tmp_path: Path, data: dict[str, Any], name: str = "n.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def with_members(codes: list[str]) -> dict[str, Any]:
    data = load(SMALL)
    data["committees"][0]["members"] = codes
    return data


async def test_example_seats_committee_members_of_each_field(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, EXAMPLE)
    seated = await members(sessionmaker)
    assert (await network_counts(sessionmaker))["special_committee_members"] == 27
    assert set(seated) == {c["code"] for c in load(EXAMPLE)["committees"]}
    assert seated["AGRI"] == ["D0016", "D0025", "D0034"]
    async with UnitOfWork(sessionmaker) as uow:
        committees = {c.code: c for c in (await uow.session.scalars(select(SpecialCommittee))).all()}
        for code, people in seated.items():
            assert 2 <= len(people) <= 3
            for person_code in people:
                assert 8 <= int(person_code.removeprefix("D")) <= 37  # committee members D0008–D0037
                person = await uow.people.by_code(person_code)
                assert person is not None and person.deputy is not None
                assert person.deputy.fields[0] in committees[code].categories


async def test_yaml_members_are_written_and_reimport_is_a_no_op(sessionmaker: Maker, tmp_path: Path) -> None:
    path = write(tmp_path, with_members(["M1", "D1"]))
    summary = await import_network(sessionmaker, path)
    assert summary.created["committees"] == 1
    assert await members(sessionmaker) == {"AGRI": ["M1", "D1"]}
    exported = await export_network(sessionmaker)
    assert exported["committees"][0]["members"] == ["M1", "D1"]

    before = await snapshot(sessionmaker)
    again = await import_network(sessionmaker, path)
    assert not again.changed, str(again)
    assert await snapshot(sessionmaker) == before


async def test_given_members_replace_absent_members_stay(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, write(tmp_path, with_members(["M1", "D1"])))

    summary = await import_network(sessionmaker, write(tmp_path, with_members(["P2", "M1"]), "b.yaml"))
    assert summary.updated["committees"] == 1 and summary.unchanged["deputies"] == 5
    assert await members(sessionmaker) == {"AGRI": ["M1", "P2"]}  # M1 kept its row, P2 added

    summary = await import_network(sessionmaker, write(tmp_path, load(SMALL), "c.yaml"))  # no field
    assert not summary.changed, str(summary)
    assert await members(sessionmaker) == {"AGRI": ["M1", "P2"]}

    summary = await import_network(sessionmaker, write(tmp_path, with_members([]), "d.yaml"))
    assert summary.updated["committees"] == 1
    assert await members(sessionmaker) == {}


async def test_members_may_be_deputies_already_in_the_database(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, SMALL)
    committees_only = {
        "committees": [
            {"code": "AGRI", "name": "农业农村委员会", "categories": ["agriculture"], "members": ["M1"]},
            {"code": "EDU", "name": "教育委员会", "categories": ["education"], "members": ["P1", "D2"]},
        ],
        "contacts": [{"from": "AGRI", "to": ["D1"]}],  # a committee's links are what the file says
    }
    summary = await import_network(sessionmaker, write(tmp_path, committees_only))
    assert (summary.created["committees"], summary.updated["committees"]) == (1, 1)
    assert await members(sessionmaker) == {"AGRI": ["M1"], "EDU": ["P1", "D2"]}


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
async def test_sheet_members_use_the_list_separator(sessionmaker: Maker, tmp_path: Path, shape: str) -> None:
    data = with_members(["M1", "D1"])
    data["committees"].append(
        {"code": "EDU", "name": "教育委员会", "categories": ["education", "other"], "members": ["P1"]}
    )
    source = (
        write_csv_folder(data, tmp_path / "sheets")
        if shape == "csv"
        else write_workbook(data, tmp_path / "n.xlsx")
    )
    if shape == "csv":
        sheet = (source / "committees.csv").read_text(encoding="utf-8-sig")
        assert "M1;D1" in sheet and "education;other" in sheet  # the separator of `categories`
    await import_network(sessionmaker, source)
    assert await members(sessionmaker) == {"AGRI": ["M1", "D1"], "EDU": ["P1"]}
    assert not (await import_network(sessionmaker, write(tmp_path, data))).changed


async def test_a_deleted_person_leaves_the_committee(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, write(tmp_path, with_members(["M1", "D1"])))
    async with UnitOfWork(sessionmaker) as uow:
        await uow.session.execute(delete(Person).where(Person.code == "D1"))  # the database cascades
        await uow.commit()
    assert await members(sessionmaker) == {"AGRI": ["M1"]}


def _damage(codes: list[str]) -> Callable[[], dict[str, Any]]:
    return lambda: with_members(codes)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_damage(["M1", "X9"]), ["committees[0] (AGRI): member unknown 'X9'"]),
        (_damage(["C1"]), ["committees[0] (AGRI): member not a deputy 'C1'"]),
        (_damage(["M1", "M1"]), ["committees[0] (AGRI): member 'M1' listed twice"]),
        (_damage(["M 1"]), ["committees[0] (AGRI): members[0]: String should match pattern"]),
    ],
    ids=["unknown", "constituent", "twice", "bad code"],
)
async def test_bad_members_are_refused_and_nothing_written(
    sessionmaker: Maker, tmp_path: Path, make: Callable[[], dict[str, Any]], expected: list[str]
) -> None:
    await import_network(sessionmaker, write(tmp_path, with_members(["P1"]), "good.yaml"))
    before = await snapshot(sessionmaker)
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, write(tmp_path, make()))
    assert [p[: len(e)] for p, e in zip(caught.value.problems, expected, strict=True)] == expected
    assert await snapshot(sessionmaker) == before
    assert await members(sessionmaker) == {"AGRI": ["P1"]}


async def test_a_member_refused_by_its_own_row_is_not_reported_again(
    sessionmaker: Maker, tmp_path: Path
) -> None:
    data = with_members(["D2"])
    data["deputies"][4]["level"] = "village"
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, write(tmp_path, data))
    assert [p for p in caught.value.problems if "AGRI" in p] == []
