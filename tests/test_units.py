"""Handling units (承办单位) in the network file: refused rows named by section and row, nothing
written; re-import in place by code; the round trip through YAML, CSV and XLSX; the 归口 lookup;
the counts; an officer's membership; the greeting that names their unit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kit.i18n import translator
from bot.network import NetworkFileError, dump_yaml, export_network, import_network, network_counts
from bot.network.categories import CATEGORIES
from bot.network.units import UNIT_KIND_LABELS, unit_names_of, units_for_category
from bot.people.invitations import Accepted, InvitationService, Issued, payload_of
from bot.people.views import role_welcome_text, welcome_text
from bot.runtime.clock import ManualClock
from storage.models import Person, Role, Unit, UnitCategory, UnitKind
from storage.unit_of_work import UnitOfWork
from tests.test_network import EXAMPLE, SMALL, load, write_csv_folder, write_workbook

Maker = async_sessionmaker[AsyncSession]
Uow = Callable[[], UnitOfWork]


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


async def unit_rows(sessionmaker: Maker) -> dict[str, tuple[int, str, str, str | None, list[str]]]:
    """Code → (id, name, kind, parent code, categories) as stored."""
    async with UnitOfWork(sessionmaker) as uow:
        units = (await uow.session.scalars(select(Unit))).all()
        code = {u.id: u.code for u in units}
        categories = await uow.units.categories()
        return {
            u.code: (u.id, u.name, u.kind, code.get(u.parent_id or 0), categories.get(u.id, []))
            for u in units
        }


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            lambda d: d["units"][0].update(categories=["transport", "roads"]),
            "units[0] (JT): unknown category 'roads' (expected one of urban_construction",
        ),
        (lambda d: d["units"][2].update(kind="ministry"), "units[2] (FY): kind: Input should be"),
        (lambda d: d["units"][1].update(parent="NOPE"), "units[1] (GL): unknown parent unit 'NOPE'"),
        (lambda d: d["units"][0].update(parent="GL"), "units[0] (JT): unit parent cycle JT → GL → JT"),
        (lambda d: d["units"][2].update(parent="FY"), "units[2] (FY): unit parent cycle FY → FY"),
        (
            lambda d: d["units"][2].update(code="JT"),
            "units[2] (JT): code 'JT' is already used by units[0] (JT)",
        ),
        (
            lambda d: d["units"][0].update(categories=["transport", "transport"]),
            "units[0] (JT): category 'transport' listed twice",
        ),
        (lambda d: d["units"][0].pop("name"), "units[0] (JT): missing name"),
        (lambda d: d["units"][0].update(head="D1"), "units[0] (JT): unknown field 'head'"),
        (lambda d: d["units"][0].update(officers=["C1", "NOPE"]), "units[0] (JT): unknown officer 'NOPE'"),
        (lambda d: d["units"][0].update(officers=["C1", "C1"]), "units[0] (JT): officer 'C1' listed twice"),
    ],
)
async def test_a_bad_unit_row_is_named_and_nothing_is_written(
    sessionmaker: Maker, tmp_path: Path, damage: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    data = load(SMALL)
    damage(data)
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(data, tmp_path / "bad.yaml"))
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
    async with UnitOfWork(sessionmaker) as uow:  # all or nothing: not even the good sections
        assert await uow.session.scalar(select(func.count()).select_from(Unit)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 0


async def test_a_cycle_through_a_stored_parent_is_refused(sessionmaker: Maker, tmp_path: Path) -> None:
    """GL's parent JT is in the database; a file making JT a child of GL closes a loop."""
    await import_network(sessionmaker, SMALL)
    only_jt = {"units": [{"code": "JT", "name": "交通运输局", "kind": "government", "parent": "GL"}]}
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(only_jt, tmp_path / "jt.yaml"))
    assert refused.value.problems == ["units[0] (JT): unit parent cycle JT → GL → JT"]


async def test_a_sheet_row_names_its_line(sessionmaker: Maker, tmp_path: Path) -> None:
    data = {
        "units": [{"code": "JT", "name": "交通运输局", "kind": "government", "categories": "transport;roads"}]
    }
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write_csv_folder(data, tmp_path / "sheets"))
    assert refused.value.problems[0].startswith("units[0] (JT, sheet row 2): unknown category 'roads'")


# --- writing, re-import, export -----------------------------------------------------------------


async def test_units_are_written_with_their_categories_and_parents(sessionmaker: Maker) -> None:
    summary = await import_network(sessionmaker, SMALL)
    assert summary.created["units"] == 3 and "units: 3 new" in str(summary)
    rows = await unit_rows(sessionmaker)
    assert {code: row[1:] for code, row in rows.items()} == {
        "JT": ("交通运输局", "government", None, ["transport"]),
        "GL": ("公路管理段", "government", "JT", ["transport", "agriculture"]),
        "FY": ("人民法院", "court", None, ["disputes"]),
    }


async def test_reimport_updates_units_in_place(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, SMALL)
    before = await unit_rows(sessionmaker)
    again = await import_network(sessionmaker, SMALL)
    assert again.unchanged["units"] == 3 and not again.changed
    data = load(SMALL)
    data["units"][0].update(name="州交通运输局", categories=["transport", "urban_construction"])
    data["units"][1].pop("parent")  # GL no longer under JT
    data["units"] = data["units"][:2]  # FY not in the file: kept, not deleted
    summary = await import_network(sessionmaker, write(data, tmp_path / "changed.yaml"))
    assert summary.updated["units"] == 2 and summary.created["units"] == 0
    after = await unit_rows(sessionmaker)
    assert {code: row[0] for code, row in after.items()} == {code: row[0] for code, row in before.items()}
    assert after["JT"][1:] == ("州交通运输局", "government", None, ["transport", "urban_construction"])
    assert after["GL"][3] is None and after["FY"] == before["FY"]
    async with UnitOfWork(sessionmaker) as uow:  # the removed category's row is gone, none duplicated
        assert await uow.session.scalar(select(func.count()).select_from(UnitCategory)) == 5


@pytest.mark.parametrize("shape", ["yaml", "csv", "xlsx"])
async def test_import_export_import_gives_the_same_rows(
    sessionmaker: Maker, tmp_path: Path, shape: str
) -> None:
    data = load(SMALL)
    source = {
        "yaml": lambda: SMALL,
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),
    }[shape]()
    await import_network(sessionmaker, source)
    first = await unit_rows(sessionmaker)
    exported = await export_network(sessionmaker)
    assert exported["units"] == data["units"]
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert again.unchanged["units"] == 3 and not again.changed
    assert await unit_rows(sessionmaker) == first


@pytest.mark.parametrize("shape", ["yaml", "csv", "xlsx"])
async def test_officers_named_by_the_file_are_imported_and_exported_back(
    sessionmaker: Maker, uow: Uow, tmp_path: Path, shape: str
) -> None:
    data = load(SMALL)
    data["units"][0]["officers"] = ["C2", "C1"]  # C2 first: the head
    source = {
        "yaml": lambda: write(data, tmp_path / "n.yaml"),
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),
    }[shape]()
    await import_network(sessionmaker, source)
    async with uow() as u:
        jt = await u.units.by_code("JT")
        assert jt is not None
        officers = await u.units.officers(jt.id)
        people = [await u.people.get(o.person_id) for o in officers]
        assert [(p.code if p else None, o.head) for p, o in zip(people, officers, strict=True)] == [
            ("C2", True),
            ("C1", False),
        ]
        assert all(p is not None and Role.UNIT_OFFICER in p.role_set for p in people)
        c1 = people[1]
        assert c1 is not None and await unit_names_of(u, c1) == ["交通运输局"]
        # An officer who joined by invitation (no code) is kept by a re-import that does not name them.
        invited = await u.people.add(Person(name="受邀科员", telegram_id=777))
        await u.units.add_officer(jt.id, invited.id)
        await u.commit()
    exported = await export_network(sessionmaker)
    assert exported["units"][0]["officers"] == ["C2", "C1"]
    assert "officers" not in exported["units"][1]
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert again.unchanged["units"] == 3 and not again.changed
    async with uow() as u:
        assert jt is not None and len(await u.units.officers(jt.id)) == 3


async def test_the_example_has_a_dozen_units_covering_every_category(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, EXAMPLE)
    units = load(EXAMPLE)["units"]
    names = {u["name"] for u in units}
    for wanted in (
        "住房和城乡建设局",
        "交通运输局",
        "教育",
        "卫生健康委员会",
        "公安局",
        "法院",
        "检察院",
        "供电",
    ):
        assert any(wanted in name for name in names), wanted
    assert {c for u in units for c in u["categories"]} == set(CATEGORIES)
    assert {u["kind"] for u in units} >= {"government", "court", "procuratorate", "state_enterprise"}
    counts = await network_counts(sessionmaker)
    assert counts["units"] == len(units) >= 12 and counts["unit_officers"] == 2


# --- the 归口 lookup, officers, counts ----------------------------------------------------------


async def test_units_for_category_is_the_guikou_table(sessionmaker: Maker, uow: Uow) -> None:
    await import_network(sessionmaker, SMALL)
    async with uow() as u:
        assert [x.code for x in await units_for_category(u, "transport")] == ["GL", "JT"]
        assert [x.code for x in await units_for_category(u, "agriculture")] == ["GL"]
        assert [x.code for x in await units_for_category(u, "disputes")] == ["FY"]
        assert list(await units_for_category(u, "education")) == []
        assert list(await units_for_category(u, "no_such_code")) == []


async def test_officers_are_counted_once_and_named_in_the_greeting(sessionmaker: Maker, uow: Uow) -> None:
    await import_network(sessionmaker, SMALL)
    async with uow() as u:
        jt, fy = await u.units.by_code("JT"), await u.units.by_code("FY")
        assert jt is not None and fy is not None
        officer = await u.people.add(Person(name="王科长", telegram_id=77))
        await u.people.grant(officer, Role.UNIT_OFFICER)
        head = await u.people.add(Person(name="李局长", telegram_id=78))
        await u.people.grant(head, Role.UNIT_OFFICER)
        assert await u.units.add_officer(jt.id, officer.id)
        assert not await u.units.add_officer(jt.id, officer.id)  # once per unit
        assert await u.units.add_officer(fy.id, officer.id)  # a second unit
        assert await u.units.add_officer(jt.id, head.id, head=True)
        assert [(o.person_id, o.head) for o in await u.units.officers(jt.id)] == [
            (head.id, True),
            (officer.id, False),
        ]
        names = await unit_names_of(u, officer)
        assert names == ["人民法院", "交通运输局"]  # by code: FY, JT
        outsider = await u.people.add(Person(name="群众"))
        await u.people.grant(outsider, Role.CONSTITUENT)
        assert await unit_names_of(u, outsider) == []
        await u.session.refresh(officer, ["roles", "deputy"])
        zh = welcome_text(translator("zh_Hans"), officer, linked=False, bound=None, units=names)
        assert "您所在的承办单位：人民法院、交通运输局。" in zh
        en = welcome_text(translator("en"), officer, linked=False, bound=None, units=names[1:])
        assert "Your unit: 交通运输局." in en
        await u.commit()
    counts = await network_counts(sessionmaker)
    assert counts["units"] == 3 and counts["unit_officers"] == 2


def test_every_unit_kind_has_a_label_in_both_languages() -> None:
    assert set(UNIT_KIND_LABELS) == set(UnitKind)
    for locale, expected in (("zh_Hans", "人民检察院"), ("en", "Procuratorate")):
        tr = translator(locale)
        labels = {tr(label) for label in UNIT_KIND_LABELS.values()}
        assert len(labels) == len(UnitKind) and expected in labels


async def test_a_head_invitation_makes_the_opener_the_units_head(sessionmaker: Maker, uow: Uow) -> None:
    """`/invite unit JT head 7d`: the opener is recorded as head; an officer already there is promoted."""
    await import_network(sessionmaker, SMALL)
    clock = ManualClock()
    async with uow() as u:
        staff = await u.people.add(Person(name="小刘", telegram_id=10))
        await u.people.grant(staff, Role.STAFF)
        officer = await u.people.add(Person(name="王科长", telegram_id=11))
        await u.people.grant(officer, Role.CONSTITUENT)
        service = InvitationService(u, clock)
        plain = await service.issue_from_words(staff, ["unit", "JT"])
        head = await service.issue_from_words(staff, ["unit", "JT", "head", "7d"])
        assert isinstance(plain, Issued) and isinstance(head, Issued)
        assert (plain.invitation.unit_head, head.invitation.unit_head) == (False, True)
        assert plain.target_name == "交通运输局"
        joined = await service.accept(officer, payload_of(plain.token), telegram_id=11)
        assert isinstance(joined, Accepted) and joined.unit_name == "交通运输局" and not joined.head
        promoted = await service.accept(officer, payload_of(head.token), telegram_id=11)
        assert isinstance(promoted, Accepted) and promoted.head and not promoted.already
        jt = await u.units.by_code("JT")
        assert jt is not None
        assert [(o.person_id, o.head) for o in await u.units.officers(jt.id)] == [(officer.id, True)]
        again = await service.issue_from_words(staff, ["unit", "JT", "head"])
        assert isinstance(again, Issued)
        already = await service.accept(officer, payload_of(again.token), telegram_id=11)
        assert isinstance(already, Accepted) and already.already
        assert "您已是交通运输局的工作人员" in role_welcome_text(translator("zh_Hans"), already)
        assert "您是本单位的负责人" in role_welcome_text(translator("zh_Hans"), promoted)
