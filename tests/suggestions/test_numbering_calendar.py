"""Numbering by the stored sessions calendar, on both backends: the network file's `sessions` are what
filing numbers by. A suggestion filed while a session sits (on the congress's local day) is in its
series; the next, filed after the session closed, is in the recess year's; both count on under the
year's `S-YYYY-`. A co-signed suggestion is numbered on the day its last co-signer answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import dump_yaml, import_network
from bot.suggestions.service import SuggestionService
from storage.unit_of_work import UnitOfWork
from tests.suggestions.test_service import draft, people

Maker = async_sessionmaker[AsyncSession]
Uow = Callable[[], UnitOfWork]
# The 3rd session sits 10–13 March 2026 (local days); the 4th a year later; a winter session across New Year.
CALENDAR = {
    "sessions": [
        {
            "code": "17-3",
            "name": "第十七届人民代表大会第三次会议",
            "opens": date(2026, 3, 10),
            "closes": date(2026, 3, 13),
        },
        {
            "code": "17-4",
            "name": "第十七届人民代表大会第四次会议",
            "opens": date(2027, 3, 9),
            "closes": date(2027, 3, 12),
        },
        {"code": "W", "name": "跨年临时会议", "opens": date(2027, 12, 30), "closes": date(2028, 1, 2)},
    ]
}


async def stored_calendar(sessionmaker: Maker, tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(dump_yaml(CALENDAR), encoding="utf-8")
    await import_network(sessionmaker, path)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware UTC moment; Shanghai is 8 hours ahead."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def test_a_filing_during_a_session_is_in_its_series_the_next_after_it_in_the_recess_year(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    await stored_calendar(sessionmaker, tmp_path)
    async with uow() as u:
        ids = await people(u.session)
        await u.commit()
    filings = [
        at(date(2026, 3, 1), 2),  # recess
        at(date(2026, 3, 9), 16, 30),  # 00:30 on 10 March in Shanghai: the session's first day
        at(date(2026, 3, 13), 15, 59),  # 23:59 on 13 March: its last day
        at(date(2026, 3, 13), 16, 0),  # 00:00 on 14 March: closed, recess again
    ]
    numbered = []
    for moment in filings:
        async with uow() as u:  # one unit of work each, as the chat files them
            out = await SuggestionService(u).file(ids["a"], draft(), moment)
            await u.commit()
        assert out.suggestion is not None
        numbered.append((out.suggestion.number, out.suggestion.series_session))
    assert numbered == [
        ("S-2026-0001", None),
        ("S-2026-0002", "17-3"),
        ("S-2026-0003", "17-3"),
        ("S-2026-0004", None),
    ]


async def test_a_session_across_new_year_keeps_its_opening_year(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    await stored_calendar(sessionmaker, tmp_path)
    async with uow() as u:
        ids = await people(u.session)
        during = await SuggestionService(u).file(ids["a"], draft(), at(date(2028, 1, 1), 2))
        after = await SuggestionService(u).file(ids["a"], draft(), at(date(2028, 1, 3), 2))
        await u.commit()
    assert during.suggestion is not None and after.suggestion is not None
    assert (during.suggestion.number, during.suggestion.series_session) == ("S-2027-0001", "W")
    assert (after.suggestion.number, after.suggestion.series_session) == ("S-2028-0001", None)


async def test_a_co_signed_suggestion_is_numbered_when_filed(
    sessionmaker: Maker, uow: Uow, tmp_path: Path
) -> None:
    """Invited before the session, filed by the last co-signer's answer during it: the session's series."""
    await stored_calendar(sessionmaker, tmp_path)
    async with uow() as u:
        ids = await people(u.session)
        out = await SuggestionService(u).file(
            ids["a"], draft(cosigner_person_ids=(ids["b"],)), at(date(2026, 3, 8), 2)
        )
        await u.commit()
    assert out.suggestion is not None and out.suggestion.number is None
    async with uow() as u:
        answered = await SuggestionService(u).answer_cosign(
            out.suggestion.id, ids["b"], True, at(date(2026, 3, 8), 2) + timedelta(days=3)
        )
        await u.commit()
    assert answered.suggestion is not None
    assert (answered.suggestion.number, answered.suggestion.series_session) == ("S-2026-0001", "17-3")
