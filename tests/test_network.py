"""Contact network import/export/counts: the example's figures, idempotence, the three file shapes,
refusal of damaged files with nothing written, tier derivation and the graph queries."""

from __future__ import annotations

import copy
import csv
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import (
    EXAMPLE_NETWORK,
    NetworkFileError,
    derive_tier,
    dump_yaml,
    export_network,
    import_network,
    network_counts,
    normalise_phone,
)
from storage.models import ContactLink, ContactTier, Person, PersonRole, Role, Station
from storage.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "network.yaml"
SMALL = Path(__file__).parent / "data" / "network_small.yaml"

Maker = async_sessionmaker[AsyncSession]


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


async def ids(sessionmaker: Maker) -> dict[str, Any]:
    """Codes → ids of people and stations, to show a re-import updates rows in place."""
    async with UnitOfWork(sessionmaker) as uow:
        people = dict((await uow.session.execute(select(Person.code, Person.id))).all())
        stations = dict((await uow.session.execute(select(Station.code, Station.id))).all())
        links = (await uow.session.execute(select(func.count(), func.max(ContactLink.id)))).one()
    return {"people": people, "stations": stations, "links": tuple(links)}


async def snapshot(sessionmaker: Maker) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return await export_network(sessionmaker), await network_counts(sessionmaker), await ids(sessionmaker)


# --- the example network ------------------------------------------------------------------------


def test_packaged_copy_is_the_example() -> None:
    assert EXAMPLE_NETWORK.read_bytes() == EXAMPLE.read_bytes()


async def test_example_has_the_documented_shape(sessionmaker: Maker) -> None:
    started = time.perf_counter()
    summary = await import_network(sessionmaker, EXAMPLE)
    assert time.perf_counter() - started < 15  # ~1 s on SQLite; generous for slow CI machines
    assert summary.created["deputies"] == 291 and summary.links_added == 1329

    counts = await network_counts(sessionmaker)
    assert counts["stations"] == {"home": 5, "township": 31, "village": 292, "professional": 0, "total": 328}
    assert counts["presidium_members"] == 7
    assert counts["standing_committee_members"] == 37
    assert counts["deputies"]["contacting_constituents"] == 254
    assert counts["deputies"]["total"] == 291
    assert set(counts["deputies"]["by_level"]) == {
        "national",
        "provincial",
        "prefecture",
        "county",
        "township",
    }
    assert all(counts["deputies"]["by_level"].values())
    assert counts["special_committees"] == 9
    links = counts["contact_links"]
    assert links["presidium_committee"] == 30
    assert links["committee_deputy"] == 136 and links["special_committee_deputy"] == 136
    # Every constituent row has one deputy, but the two unit officers filed in that section (#23).
    assert links["deputy_constituent"] == counts["constituents"] - 2
    assert links["total"] == 30 + 136 + 136 + links["deputy_constituent"]

    async with UnitOfWork(sessionmaker) as uow:
        rows = (
            await uow.session.execute(
                select(
                    ContactLink.tier,
                    ContactLink.from_person_id,
                    ContactLink.from_committee_id,
                    ContactLink.to_person_id,
                )
            )
        ).all()
        presidium = {p.id for p in await uow.people.with_role(Role.PRESIDIUM)}
        members = {p.id for p in await uow.people.with_role(Role.COMMITTEE_MEMBER)}
    by_tier: dict[str, list[tuple[Any, ...]]] = {tier.value: [] for tier in ContactTier}
    for tier, *rest in rows:
        by_tier[tier].append(tuple(rest))

    pc = by_tier["presidium_committee"]
    assert {src for src, _, _ in pc} == presidium
    assert Counter(dst for _, _, dst in pc) == dict.fromkeys(members - presidium, 1)  # 30, once each

    cd = by_tier["committee_deputy"]
    assert {src for src, _, _ in cd} == members  # all 37 contact someone
    contacted = Counter(dst for _, _, dst in cd)
    assert len(contacted) == 136 and set(contacted.values()) == {1}
    sc = by_tier["special_committee_deputy"]
    assert len({committee for _, committee, _ in sc}) == 9
    assert Counter(dst for _, _, dst in sc) == contacted  # the same 136, once each by their field's committee

    per_deputy = Counter(src for src, _, _ in by_tier["deputy_constituent"])
    assert len(per_deputy) == 254
    assert set(per_deputy.values()) <= {3, 4, 5}


async def test_reimport_changes_nothing(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, EXAMPLE)
    before = await snapshot(sessionmaker)
    summary = await import_network(sessionmaker, EXAMPLE)
    assert not summary.changed, str(summary)
    assert summary.unchanged["constituents"] == before[1]["constituents"]
    assert await snapshot(sessionmaker) == before


async def test_export_reproduces_the_file_and_reimports_identically(
    sessionmaker: Maker, tmp_path: Path
) -> None:
    await import_network(sessionmaker, EXAMPLE)
    exported = await export_network(sessionmaker)
    assert exported == load(EXAMPLE)
    before = await snapshot(sessionmaker)

    out = tmp_path / "exported.yaml"
    out.write_text(dump_yaml(exported), encoding="utf-8")
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == exported
    summary = await import_network(sessionmaker, out)
    assert not summary.changed
    assert await snapshot(sessionmaker) == before


# --- CSV folder and XLSX workbook ----------------------------------------------------------------


def _flat(value: Any, sep: str) -> Any:
    if isinstance(value, list):
        return sep.join(value)
    return value


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def write_csv_folder(data: dict[str, Any], folder: Path) -> Path:
    folder.mkdir()
    for section, rows in data.items():
        columns = _columns(rows)
        sep = "|" if section == "deputies" else ";"  # both separators are accepted
        with (folder / f"{section}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if row.get(c) is None else _flat(row.get(c), sep) for c in columns])
    return folder


def write_workbook(data: dict[str, Any], path: Path) -> Path:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for section, rows in data.items():
        sheet = book.create_sheet(section)
        columns = _columns(rows)
        sheet.append(columns)
        for row in rows:
            sheet.append([_flat(row.get(c), ";") for c in columns])
    book.save(path)
    return path


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
async def test_sheet_variants_import_the_same_network(
    sessionmaker: Maker, tmp_path: Path, shape: str
) -> None:
    data = load(EXAMPLE)
    source = (
        write_csv_folder(data, tmp_path / "sheets")
        if shape == "csv"
        else write_workbook(data, tmp_path / "n.xlsx")
    )
    summary = await import_network(sessionmaker, source)
    assert summary.created["constituents"] == len(data["constituents"])
    assert await export_network(sessionmaker) == data
    again = await import_network(sessionmaker, EXAMPLE)  # the YAML says the same thing
    assert not again.changed, str(again)


async def test_sheet_cells_are_normalised(sessionmaker: Maker, tmp_path: Path) -> None:
    """Spreadsheets give numbers for ids and phones and pad cells; the import reads what staff mean."""
    data = load(SMALL)
    book_data = copy.deepcopy(data)
    book_data["constituents"][0]["phone"] = 13900000001  # a bare mobile number typed into Excel
    book_data["deputies"][3]["phone"] = " +86 138-0000-0001 "
    book_data["constituents"][1]["telegram_id"] = 555.0
    await import_network(sessionmaker, write_workbook(book_data, tmp_path / "small.xlsx"))
    assert await export_network(sessionmaker) == await _exported_small(tmp_path)


async def _exported_small(tmp_path: Path) -> dict[str, Any]:
    """What exporting the small network gives (its rows as written, compacted)."""
    data = load(SMALL)
    for row in data["deputies"]:
        row.setdefault("stations", [])
    return {
        section: [{k: v for k, v in row.items() if v != []} for row in rows] for section, rows in data.items()
    }


def test_phone_normalisation() -> None:
    assert normalise_phone("+86 138-0000-0001") == "+8613800000001"
    assert normalise_phone("138 0000 0001") == "+8613800000001"
    assert normalise_phone("0086 (138) 0000.0001") == "+8613800000001"
    assert normalise_phone("0886-3622222") == "+868863622222"  # a landline: E.164 too (was 08863622222)
    with pytest.raises(ValueError, match="not a phone number"):
        normalise_phone("call me")


# --- damaged files -----------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    """A damage that sets `section.index.field` to `value` (a `None` index appends the value as a row)."""

    def damage(data: dict[str, Any]) -> dict[str, Any]:
        section, index, *rest = path.split(".")
        if index == "+":
            data[section].append(value)
        elif rest:
            data[section][int(index)][rest[0]] = value
        else:
            data[section][int(index)] = value
        return data

    return damage


def _edit(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def damage(data: dict[str, Any]) -> dict[str, Any]:
        fn(data)
        return data

    return damage


def _text(text: str) -> Callable[[dict[str, Any]], str]:
    return lambda _data: text


def _del_name(data: dict[str, Any]) -> None:
    del data["deputies"][1]["name"]


def _drop_c2_and_reuse_its_telegram_id(data: dict[str, Any]) -> None:
    data["constituents"].pop()
    data["contacts"][3]["to"] = ["C1"]
    data["deputies"][4]["telegram_id"] = 555


DAMAGES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    (
        "yaml syntax",
        _text("stations:\n- {code: H1, name: [unclosed\n"),
        "network.yaml: bad YAML syntax at line",
    ),
    ("empty file", _text(""), "the file is empty"),
    ("top level list", _text("- {code: H1}\n"), "top level: expected a mapping of sections"),
    ("unknown section", _edit(lambda d: d.update(stationz=[])), "stationz: unknown section"),
    (
        "section not a list",
        _edit(lambda d: d.update(committees={"code": "X"})),
        "committees: expected a list",
    ),
    ("row not a mapping", _set("stations.1", "T1"), "stations[1]: expected a mapping"),
    ("unknown field", _set("deputies.3.nickname", "丁丁"), "deputies[3] (D1): unknown field 'nickname'"),
    ("missing name", _edit(_del_name), "deputies[1] (P2): missing name"),
    ("blank name", _set("constituents.0.name", "  "), "constituents[0] (C1): name:"),
    ("bad level", _set("deputies.3.level", "village"), "deputies[3] (D1): level: Input should be"),
    ("bad kind", _set("stations.2.kind", "hamlet"), "stations[2] (V1): kind: Input should be"),
    ("bad latitude", _set("stations.2.latitude", 125.8), "stations[2] (V1): latitude:"),
    (
        "half a position",
        _set("stations.1.latitude", 25.8),
        "stations[1] (T1): give both latitude and longitude",
    ),
    (
        "bad category",
        _set("committees.0.categories", ["Agri Culture"]),
        "committees[0] (AGRI): categories[0]:",
    ),
    ("bad role", _set("deputies.4.roles", ["mayor"]), "deputies[4] (D2): roles[0]:"),
    ("bad telegram id", _set("deputies.4.telegram_id", -5), "deputies[4] (D2): telegram_id:"),
    ("bad phone", _set("deputies.4.phone", "ask the office"), "deputies[4] (D2): phone: not a phone number"),
    (
        "duplicate station",
        _set("stations.+", {"code": "T1", "name": "重复", "kind": "township"}),
        "stations[3] (T1): code 'T1' is already used by stations[1] (T1)",
    ),
    (
        "duplicate committee",
        _set("committees.+", {"code": "AGRI", "name": "重复"}),
        "committees[1] (AGRI): code 'AGRI'",
    ),
    ("duplicate group", _set("groups.+", {"code": "g1", "name": "重复"}), "groups[1] (g1): code 'g1'"),
    (
        "duplicate person code",
        _set("constituents.1.code", "D1"),
        "constituents[1] (D1): code 'D1' is already used by deputies[3] (D1)",
    ),
    (
        "telegram id twice",
        _set("deputies.2.telegram_id", 111),
        "deputies[2] (M1): telegram_id 111 is already used by deputies[0] (P1)",
    ),
    (
        "phone twice",
        _set("deputies.4.phone", "138-0000-0001"),
        "deputies[4] (D2): phone '+8613800000001' is already used by deputies[3] (D1)",
    ),
    (
        "telegram id of someone not in the file",
        _edit(_drop_c2_and_reuse_its_telegram_id),
        "deputies[4] (D2): telegram_id 555 belongs to C2",
    ),
    (
        "unknown station",
        _set("deputies.3.stations", ["V1", "LS-999"]),
        "deputies[3] (D1): unknown station 'LS-999'",
    ),
    (
        "unknown constituent station",
        _set("constituents.0.station", "V9"),
        "constituents[0] (C1): unknown station 'V9'",
    ),
    ("unknown parent", _set("stations.1.parent", "H9"), "stations[1] (T1): unknown parent station 'H9'"),
    ("station parent cycle", _set("stations.0.parent", "V1"), "station parent cycle H1 → V1 → T1 → H1"),
    ("unknown group", _set("deputies.4.groups", ["g9"]), "deputies[4] (D2): unknown group 'g9'"),
    ("unknown group leader", _set("groups.0.leader", "D9"), "groups[0] (g1): group leader unknown 'D9'"),
    (
        "constituent as group leader",
        _set("groups.0.leader", "C1"),
        "groups[0] (g1): group leader not a deputy 'C1'",
    ),
    ("unknown contact target", _set("contacts.3.to", ["C1", "C9"]), "contacts[3] (D1): unknown person 'C9'"),
    (
        "unknown contact source",
        _set("contacts.+", {"from": "X1", "to": ["C1"]}),
        "contacts[4] (X1): unknown contact source",
    ),
    (
        "empty contact list",
        _set("contacts.0.to", []),
        "contacts[0] (P1): to: Value should have at least 1 item",
    ),
    (
        "duplicate contact",
        _set("contacts.+", {"from": "M1", "to": ["D2"]}),
        "contacts[4] (M1): duplicate contact M1 → D2 (also contacts[1] (M1))",
    ),
    (
        "deputy to deputy",
        _set("contacts.+", {"from": "D1", "to": ["D2"]}),
        "contacts[4] (D1): wrong tier: D1 (deputy) cannot contact D2 (deputy)",
    ),
    (
        "constituent as source",
        _set("contacts.+", {"from": "C1", "to": ["C2"]}),
        "contacts[4] (C1): wrong tier",
    ),
    (
        "committee to constituent",
        _set("contacts.+", {"from": "AGRI", "to": ["C1"]}),
        "contacts[4] (AGRI): wrong tier: AGRI (special committee) cannot contact C1 (constituent)",
    ),
    (
        "contact cycle",
        _set("contacts.+", {"from": "M1", "to": ["P1"]}),
        "contacts[4] (M1): contact cycle P1 → M1 → P1",
    ),
    (
        "self contact",
        _set("contacts.+", {"from": "P1", "to": ["P1"]}),
        "contacts[4] (P1): contact cycle P1 → P1",
    ),
]


async def test_a_file_over_the_size_limit_is_refused_before_parsing(
    sessionmaker: Maker, tmp_path: Path
) -> None:
    """21 MB of YAML (the default limit is 20 MB) is refused in one line, at once, nothing written."""
    import time
    import zipfile

    from bot.network import DEFAULT_MAX_BYTES, read_source

    big = tmp_path / "big.yaml"
    row = "  - {code: S%07d, name: 站, kind: village, parent: null}\n"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("stations:\n")
        fh.writelines(row % i for i in range(DEFAULT_MAX_BYTES // len(row.encode()) + 10_000))
    assert big.stat().st_size > DEFAULT_MAX_BYTES
    began = time.perf_counter()
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, big)
    assert time.perf_counter() - began < 2.0
    [problem] = caught.value.problems
    assert problem.startswith("big.yaml: 21.") and "over the import limit of 20 MB" in problem
    assert not any((await network_counts(sessionmaker))["stations"].values())
    # A workbook is a zip: one that unpacks to far more than the limit is refused too.
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    with pytest.raises(NetworkFileError) as caught:
        read_source(bomb, max_bytes=100_000)
    assert "unpacks to 5 MB" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("damage", "expected"), [(d, e) for _, d, e in DAMAGES], ids=[n for n, _, _ in DAMAGES]
)
async def test_damaged_file_is_refused_and_nothing_written(
    sessionmaker: Maker, tmp_path: Path, damage: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    await import_network(sessionmaker, SMALL)
    before = await snapshot(sessionmaker)
    broken = damage(load(SMALL))
    path = tmp_path / "network.yaml"
    path.write_text(broken if isinstance(broken, str) else dump_yaml(broken), encoding="utf-8")

    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert await snapshot(sessionmaker) == before


async def test_contact_cycle_through_committee_members_is_named(sessionmaker: Maker, tmp_path: Path) -> None:
    data = load(SMALL)
    data["contacts"] += [{"from": "P2", "to": ["P1"]}, {"from": "P1", "to": ["P2"]}]
    path = tmp_path / "cycle.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, path)
    assert caught.value.problems == ["contacts[4] (P2): contact cycle P1 → P2 → P1"]


async def test_every_problem_is_listed(sessionmaker: Maker, tmp_path: Path) -> None:
    data = load(SMALL)
    data["deputies"][3]["stations"] = ["LS-999"]
    data["deputies"][4]["level"] = "village"
    data["constituents"][0]["station"] = "V9"
    data["contacts"].append({"from": "D1", "to": ["D2", "M1", "C9"]})  # D2 is broken: not reported again
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, path)
    assert caught.value.problems == [
        "deputies[4] (D2): level: Input should be 'national', 'provincial', 'prefecture', 'county' or "
        "'township' (got 'village')",
        "deputies[3] (D1): unknown station 'LS-999'",
        "constituents[0] (C1): unknown station 'V9'",
        "contacts[4] (D1): wrong tier: D1 (deputy) cannot contact M1 (committee member); links go presidium → "
        "committee member → deputy → constituent, or special committee → deputy",
        "contacts[4] (D1): unknown person 'C9'",
    ]
    assert (await network_counts(sessionmaker))["stations"]["total"] == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing.yaml", "no such file or folder"),
        ("broken.xlsx", "broken.xlsx: not a readable .xlsx workbook"),
    ],
)
async def test_unreadable_sources(sessionmaker: Maker, tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    if name.endswith(".xlsx"):
        path.write_bytes(b"not a zip")
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, path)
    assert expected in caught.value.problems[0]


async def test_csv_row_problems_name_the_sheet_row(sessionmaker: Maker, tmp_path: Path) -> None:
    data = load(SMALL)
    data["deputies"][2]["level"] = "mayor"
    folder = write_csv_folder(data, tmp_path / "sheets")
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, folder)
    assert any(p.startswith("deputies[2] (M1, sheet row 4): level:") for p in caught.value.problems)
    assert any(p.startswith("notes: unknown section") for p in caught.value.problems)


# --- updates ----------------------------------------------------------------------------------


async def test_reimport_sets_relations_to_what_the_file_says(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, SMALL)
    before = await ids(sessionmaker)
    data = load(SMALL)
    data["deputies"][0]["telegram_id"] = 222  # P1 and M1 swap accounts: no unique clash on the way
    data["deputies"][2]["telegram_id"] = 111
    data["deputies"][3]["stations"] = ["V1", "T1"]
    data["deputies"][3]["groups"] = []
    data["deputies"][1]["roles"] = ["committee_member"]  # P2 leaves the presidium
    data["contacts"][1]["to"] = ["D1"]  # M1 no longer contacts D2
    data["contacts"].append({"from": "P2", "to": ["D2"]})
    path = tmp_path / "changed.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")

    summary = await import_network(sessionmaker, path)
    assert summary.updated["deputies"] == 4 and summary.created["deputies"] == 0
    assert (summary.links_added, summary.links_removed) == (1, 1)
    assert await ids(sessionmaker) == {**before, "links": (before["links"][0], before["links"][1] + 1)}
    exported = await export_network(sessionmaker)
    assert exported == await export_after(data)
    counts = await network_counts(sessionmaker)
    assert counts["presidium_members"] == 1
    assert counts["contact_links"]["committee_deputy"] == 2


async def export_after(data: dict[str, Any]) -> dict[str, Any]:
    """The export of a file whose contact rows each name a source once, in first-seen order."""
    merged: dict[str, list[str]] = {}
    for row in data["contacts"]:
        merged.setdefault(row["from"], []).extend(row["to"])
    out = {
        section: [{k: v for k, v in row.items() if v != []} for row in rows] for section, rows in data.items()
    }
    out["contacts"] = [{"from": k, "to": v} for k, v in merged.items()]
    return out


async def test_roster_adopts_an_account_that_wrote_first(sessionmaker: Maker, tmp_path: Path) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        walk_in = await uow.people.add(
            Person(name="walk-in", telegram_id=777, roles=[PersonRole(role=Role.CONSTITUENT.value)])
        )
        await uow.commit()
    data = load(SMALL)
    data["deputies"][4]["telegram_id"] = 777
    path = tmp_path / "adopt.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    await import_network(sessionmaker, path)
    async with UnitOfWork(sessionmaker) as uow:
        person = await uow.people.by_telegram_id(777)
        assert person is not None and person.id == walk_in.id and person.code == "D2"
        assert person.role_set == {Role.DEPUTY}


# --- tiers and graph queries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "tier"),
    [
        (
            {Role.PRESIDIUM, Role.COMMITTEE_MEMBER, Role.DEPUTY},
            {Role.COMMITTEE_MEMBER, Role.DEPUTY},
            ContactTier.PRESIDIUM_COMMITTEE,
        ),
        ({Role.PRESIDIUM, Role.COMMITTEE_MEMBER, Role.DEPUTY}, {Role.DEPUTY}, ContactTier.COMMITTEE_DEPUTY),
        (
            {Role.COMMITTEE_MEMBER, Role.DEPUTY},
            {Role.COMMITTEE_MEMBER, Role.DEPUTY},
            ContactTier.COMMITTEE_DEPUTY,
        ),
        (None, {Role.DEPUTY}, ContactTier.SPECIAL_COMMITTEE_DEPUTY),
        ({Role.DEPUTY}, {Role.CONSTITUENT}, ContactTier.DEPUTY_CONSTITUENT),
        ({Role.DEPUTY}, {Role.DEPUTY}, None),
        ({Role.CONSTITUENT}, {Role.CONSTITUENT}, None),
        (None, {Role.CONSTITUENT}, None),
        ({Role.PRESIDIUM}, {Role.CONSTITUENT}, None),
    ],
)
def test_tier_derivation(source: set[Role] | None, target: set[Role], tier: ContactTier | None) -> None:
    assert derive_tier(None if source is None else frozenset(source), frozenset(target)) == tier


async def test_graph_queries_on_the_example(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, EXAMPLE)
    data = load(EXAMPLE)
    first = next(row for row in data["contacts"] if row["from"] == "D0001")
    committee_row = next(row for row in data["contacts"] if row["from"] == "AGRI")
    async with UnitOfWork(sessionmaker) as uow:
        head = await uow.people.by_code("D0001")
        assert head is not None
        members = await uow.network.contacts_of(head.id, ContactTier.PRESIDIUM_COMMITTEE)
        deputies = await uow.network.contacts_of(head.id, ContactTier.COMMITTEE_DEPUTY)
        assert [p.code for p in members] + [p.code for p in deputies] == first["to"]
        assert all(Role.COMMITTEE_MEMBER in p.role_set for p in members)

        for person in members:
            assert [
                p.code for p in await uow.network.contacted_by(person.id, ContactTier.PRESIDIUM_COMMITTEE)
            ] == ["D0001"]
        grassroots = await uow.people.by_code(committee_row["to"][0])
        assert grassroots is not None
        assert len(await uow.network.contacted_by(grassroots.id, ContactTier.COMMITTEE_DEPUTY)) == 1
        constituents = await uow.network.contacts_of(grassroots.id, ContactTier.DEPUTY_CONSTITUENT)
        assert 3 <= len(constituents) <= 5
        assert all(Role.CONSTITUENT in p.role_set for p in constituents)
        back = await uow.network.contacted_by(constituents[0].id, ContactTier.DEPUTY_CONSTITUENT)
        assert [p.id for p in back] == [grassroots.id]
        # Demo logins: a few deputies and constituents have Telegram accounts.
        assert (await uow.people.by_telegram_id(1_000_001)) == head
        walker = await uow.people.by_telegram_id(2_000_001)
        assert walker is not None and walker.role_set == {Role.CONSTITUENT}


async def test_graph_queries_on_the_small_network(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, SMALL)
    async with UnitOfWork(sessionmaker) as uow:
        people = {p.code: p for p in (await uow.session.scalars(select(Person))).all()}
        net = uow.network
        assert [p.code for p in await net.contacts_of(people["P1"].id, ContactTier.PRESIDIUM_COMMITTEE)] == [
            "M1"
        ]
        assert [p.code for p in await net.contacts_of(people["M1"].id, ContactTier.COMMITTEE_DEPUTY)] == [
            "D1",
            "D2",
        ]
        assert [p.code for p in await net.contacted_by(people["D2"].id, ContactTier.COMMITTEE_DEPUTY)] == [
            "M1"
        ]
        assert [p.code for p in await net.contacts_of(people["D1"].id, ContactTier.DEPUTY_CONSTITUENT)] == [
            "C1",
            "C2",
        ]
        assert await net.contacts_of(people["M1"].id, ContactTier.PRESIDIUM_COMMITTEE) == []
        tiers = dict(
            (
                await uow.session.execute(select(ContactLink.tier, func.count()).group_by(ContactLink.tier))
            ).all()
        )
    assert tiers == {
        "presidium_committee": 1,
        "committee_deputy": 2,
        "special_committee_deputy": 1,
        "deputy_constituent": 2,
    }


def test_cli_import_takes_its_limit_from_the_setting(tmp_path: Path) -> None:
    """NETWORK_IMPORT_MAX_MB=1: a 1.2 MB file is refused with one line naming the setting, exit 1."""
    import os
    import subprocess
    import sys

    big = tmp_path / "big.yaml"
    big.write_text("stations:\n" + "# padding\n" * 130_000, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "NETWORK_IMPORT_MAX_MB": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "network", "import", str(big)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "big.yaml: 1.2 MB is over the import limit of 1 MB (setting NETWORK_IMPORT_MAX_MB)" in done.stderr


def test_links_csv_defuses_names_a_spreadsheet_would_run(tmp_path: Path) -> None:
    """A station or deputy named like a formula is written as text into links.csv."""
    import csv

    from bot.people.links import Link, write_links

    evil = '=HYPERLINK("http://evil.example","点击")'
    links = [Link("station", "V1", evil, "https://t.me/b?start=s_V1"), Link("deputy", "D1", "-1+2", "u")]
    write_links(links, tmp_path)
    with (tmp_path / "links.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ["'" + evil, "'-1+2"]


def test_links_cli_writes_a_qr_code_per_deputy_and_station(tmp_path: Path) -> None:
    """`liaison links` makes the deep links that bind a constituent, each with a scannable QR PNG."""
    import csv
    import os
    import subprocess
    import sys

    from PIL import Image

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'links.db'}"}
    small = Path(__file__).parent / "data" / "network_small.yaml"
    subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "network", "import", str(small)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    out = tmp_path / "qr"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.runtime.cli",
            "links",
            "--out",
            str(out),
            "--bot-username",
            "@liaison_bot",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with (out / "links.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["kind"], r["code"]) for r in rows} >= {("deputy", "D1"), ("station", "V1")}
    by_code = {r["code"]: r for r in rows}
    assert by_code["D1"]["url"] == "https://t.me/liaison_bot?start=d_D1"
    assert by_code["V1"]["url"] == "https://t.me/liaison_bot?start=s_V1"
    with Image.open(out / by_code["D1"]["qr"]) as image:
        assert (
            image.size[0] > 100 and image.size[1] > image.size[0]
        )  # a card: the code, then its name under it
