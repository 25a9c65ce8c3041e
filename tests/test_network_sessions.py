"""The sessions calendar (届次/会议) in the network file: refused rows named by section and row with
nothing written (overlaps among the file's sessions and with stored ones), the days as staff write
them, re-import in place by code, the round trip through YAML, CSV and XLSX, and the calendar that
`liaison network show` prints."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import (
    NetworkFileError,
    dump_yaml,
    export_network,
    import_network,
    render_calendar,
    session_calendar,
)
from storage.models import CongressSession, Person, Unit
from storage.unit_of_work import UnitOfWork
from tests.test_network import SMALL, load, write_csv_folder, write_workbook

Maker = async_sessionmaker[AsyncSession]


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


async def calendar(sessionmaker: Maker) -> list[tuple[str, str, date, date]]:
    async with UnitOfWork(sessionmaker) as uow:
        return [(s.code, s.name, s.opens, s.closes) for s in await uow.calendar.sessions()]


# SMALL's sessions: 17-3 sits 2026-01-12..15, 17-4 sits 2027-01-11..14.


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            lambda d: d["sessions"][0].update(closes=date(2026, 1, 11)),
            "sessions[0] (17-3): closes 2026-01-11 before it opens 2026-01-12",
        ),
        (
            lambda d: d["sessions"][1].update(opens=date(2026, 1, 15)),
            "sessions[1] (17-4): overlaps session 17-3 (sessions[0] (17-3), 2026-01-12 – 2026-01-15); "
            "sessions must not share a day",
        ),
        (  # the later row opens first: the overlap is still named once, on the row that opens later
            lambda d: d["sessions"].insert(
                0, {"code": "17-2", "name": "第二次会议", "opens": "2026-01-14", "closes": "2026-01-20"}
            ),
            "sessions[0] (17-2): overlaps session 17-3 (sessions[1] (17-3), 2026-01-12 – 2026-01-15)",
        ),
        (
            lambda d: d["sessions"][1].update(code="17-3"),
            "sessions[1] (17-3): code '17-3' is already used by sessions[0] (17-3)",
        ),
        (
            lambda d: d["sessions"][0].update(opens="next Monday"),
            "sessions[0] (17-3): opens: not a date: 'next Monday' (write it as YYYY-MM-DD",
        ),
        (
            lambda d: d["sessions"][0].update(closes="2026-02-30"),
            "sessions[0] (17-3): closes: no such day: '2026-02-30'",
        ),
        (
            lambda d: d["sessions"][0].update(opens=datetime(2026, 1, 12, 9, 0)),
            "sessions[0] (17-3): opens: a day without a time is expected, got '2026-01-12 09:00:00'",
        ),
        (lambda d: d["sessions"][0].pop("name"), "sessions[0] (17-3): missing name"),
        (lambda d: d["sessions"][0].pop("closes"), "sessions[0] (17-3): missing closes"),
        (lambda d: d["sessions"][0].update(place="州府"), "sessions[0] (17-3): unknown field 'place'"),
    ],
)
async def test_a_bad_session_row_is_named_and_nothing_is_written(
    sessionmaker: Maker, tmp_path: Path, damage: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    data = load(SMALL)
    damage(data)
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(data, tmp_path / "bad.yaml"))
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
    assert len([p for p in refused.value.problems if p.startswith("sessions")]) == 1, refused.value.problems
    async with UnitOfWork(sessionmaker) as uow:  # all or nothing: not even the good sections
        for table in (CongressSession, Unit, Person):
            assert await uow.session.scalar(select(func.count()).select_from(table)) == 0


async def test_a_session_holding_two_others_is_named_for_each(sessionmaker: Maker, tmp_path: Path) -> None:
    data = load(SMALL)
    data["sessions"].append(
        {"code": "X", "name": "跨年", "opens": date(2025, 12, 1), "closes": date(2027, 2, 1)}
    )
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(data, tmp_path / "long.yaml"))
    assert refused.value.problems == [
        f"sessions[{i}] ({code}): overlaps session X (sessions[2] (X), 2025-12-01 – 2027-02-01); sessions must "
        "not share a day"
        for i, code in enumerate(["17-3", "17-4"])
    ]


async def test_a_session_overlapping_a_stored_one_is_refused(sessionmaker: Maker, tmp_path: Path) -> None:
    """17-3 is in the database; a file that does not name it cannot add a session sharing its days, but
    may move 17-3 itself (by code) and add the other in the same file."""
    await import_network(sessionmaker, SMALL)
    clash = {
        "sessions": [{"code": "临时", "name": "临时会议", "opens": "2026-01-15", "closes": "2026-01-16"}]
    }
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write(clash, tmp_path / "clash.yaml"))
    assert refused.value.problems == [
        "sessions[0] (临时): overlaps session 17-3 (in the database, 2026-01-12 – 2026-01-15); "
        "sessions must not share a day"
    ]
    holding = {"sessions": [{"code": "长会", "name": "长会", "opens": "2026-01-01", "closes": "2026-12-31"}]}
    with pytest.raises(NetworkFileError) as refused:  # a stored one opening inside the file's
        await import_network(sessionmaker, write(holding, tmp_path / "holding.yaml"))
    assert refused.value.problems == [
        "sessions[0] (长会): overlaps session 17-3 (in the database, 2026-01-12 – 2026-01-15); "
        "sessions must not share a day"
    ]
    assert [code for code, *_ in await calendar(sessionmaker)] == ["17-3", "17-4"]
    moved = {
        "sessions": [
            {
                "code": "17-3",
                "name": "第十七届人民代表大会第三次会议",
                "opens": "2026-01-12",
                "closes": "2026-01-14",
            },
            *clash["sessions"],
        ]
    }
    summary = await import_network(sessionmaker, write(moved, tmp_path / "moved.yaml"))
    assert (summary.updated["sessions"], summary.created["sessions"]) == (1, 1)
    assert "sessions: 1 new, 1 updated, 0 unchanged" in str(summary)
    assert await calendar(sessionmaker) == [
        ("17-3", "第十七届人民代表大会第三次会议", date(2026, 1, 12), date(2026, 1, 14)),
        ("临时", "临时会议", date(2026, 1, 15), date(2026, 1, 16)),
        (
            "17-4",
            "第十七届人民代表大会第四次会议",
            date(2027, 1, 11),
            date(2027, 1, 14),
        ),  # kept: not in the file
    ]


async def test_a_sheet_row_names_its_line(sessionmaker: Maker, tmp_path: Path) -> None:
    data = {
        "sessions": [
            {"code": "17-3", "name": "第三次会议", "opens": "2026-01-12", "closes": "2026-01-15"},
            {"code": "17-4", "name": "第四次会议", "opens": "2026-01-15", "closes": "2026-01-16"},
        ]
    }
    with pytest.raises(NetworkFileError) as refused:
        await import_network(sessionmaker, write_csv_folder(data, tmp_path / "sheets"))
    assert refused.value.problems == [
        "sessions[1] (17-4, sheet row 3): overlaps session 17-3 (sessions[0] (17-3, sheet row 2), "
        "2026-01-12 – 2026-01-15); sessions must not share a day"
    ]


async def test_days_are_read_as_staff_write_them(sessionmaker: Maker, tmp_path: Path) -> None:
    data = {
        "sessions": [
            {"code": "a", "name": "甲", "opens": "2026/1/5", "closes": "2026.1.6"},
            {"code": "b", "name": "乙", "opens": "2026年2月3日", "closes": " 2026-02-04 "},
            {"code": "c", "name": "丙", "opens": "2026-03-01T00:00:00", "closes": date(2026, 3, 2)},
        ]
    }
    await import_network(sessionmaker, write(data, tmp_path / "days.yaml"))
    assert [(code, opens, closes) for code, _, opens, closes in await calendar(sessionmaker)] == [
        ("a", date(2026, 1, 5), date(2026, 1, 6)),
        ("b", date(2026, 2, 3), date(2026, 2, 4)),
        ("c", date(2026, 3, 1), date(2026, 3, 2)),
    ]


@pytest.mark.parametrize("shape", ["yaml", "csv", "xlsx"])
async def test_import_export_import_gives_the_same_calendar(
    sessionmaker: Maker, tmp_path: Path, shape: str
) -> None:
    data = load(SMALL)
    source = {
        "yaml": lambda: SMALL,
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),  # dates as date cells
    }[shape]()
    summary = await import_network(sessionmaker, source)
    assert summary.created["sessions"] == 2
    first = await calendar(sessionmaker)
    assert first == [
        ("17-3", "第十七届人民代表大会第三次会议", date(2026, 1, 12), date(2026, 1, 15)),
        ("17-4", "第十七届人民代表大会第四次会议", date(2027, 1, 11), date(2027, 1, 14)),
    ]
    exported = await export_network(sessionmaker)
    assert exported["sessions"] == data["sessions"]
    again = await import_network(sessionmaker, write(exported, tmp_path / "export.yaml"))
    assert again.unchanged["sessions"] == 2 and not again.changed
    assert await calendar(sessionmaker) == first


async def test_a_renamed_session_is_updated_in_place(sessionmaker: Maker, tmp_path: Path) -> None:
    await import_network(sessionmaker, SMALL)
    async with UnitOfWork(sessionmaker) as uow:
        ids = {s.code: s.id for s in await uow.calendar.sessions()}
    data = copy.deepcopy(load(SMALL))
    data["sessions"][1]["name"] = "第十七届人民代表大会第四次会议（延期）"
    data["sessions"][1]["closes"] = date(2027, 1, 15)
    summary = await import_network(sessionmaker, write(data, tmp_path / "renamed.yaml"))
    assert (summary.updated["sessions"], summary.unchanged["sessions"]) == (1, 1)
    async with UnitOfWork(sessionmaker) as uow:
        stored = {s.code: s for s in await uow.calendar.sessions()}
        assert {code: s.id for code, s in stored.items()} == ids
        assert stored["17-4"].closes == date(2027, 1, 15) and "延期" in stored["17-4"].name


async def test_network_show_prints_the_calendar(sessionmaker: Maker) -> None:
    assert "empty" in render_calendar(await session_calendar(sessionmaker))
    await import_network(sessionmaker, SMALL)
    rows = await session_calendar(sessionmaker)
    assert rows == [
        {
            "code": "17-3",
            "name": "第十七届人民代表大会第三次会议",
            "opens": "2026-01-12",
            "closes": "2026-01-15",
        },
        {
            "code": "17-4",
            "name": "第十七届人民代表大会第四次会议",
            "opens": "2027-01-11",
            "closes": "2027-01-14",
        },
    ]
    lines = render_calendar(rows).splitlines()
    assert lines[2].split() == ["17-3", "2026-01-12", "2026-01-15", "4", "第十七届人民代表大会第三次会议"]
