"""The seeded year and the suggestion figures, on SQLite and PostgreSQL.

- `plan_year` is deterministic, walks every suggestion through the declared lifecycle, and leaves rows
  whose summary columns agree with their answers, contacts and ledger;
- the figures counted in SQL (`storage/repos/suggestion_figures.py` through `bot/suggestions/figures.py`)
  equal a count made here in Python over the rows, for all time, a period of local days, a year's series,
  one unit and one committee — with a suggestion not yet assigned and a withdrawn one beside the year;
- the chat section stays within one Telegram message however many units there are; the report's
  workbook never turns a name into a formula.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kit.i18n import translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.network import EXAMPLE_NETWORK, import_network
from bot.network.categories import CATEGORIES
from bot.stats.service import compute_stats, main_stats, render_chat
from bot.suggestions.figures import suggestion_figures, year_figures
from bot.suggestions.figures_views import chat_section
from bot.suggestions.lifecycle import rule_for
from bot.suggestions.report import Pct, ReportTable, YearReport, to_xlsx, year_report
from bot.suggestions.seed_year import (
    CATEGORY_WEIGHTS,
    CREATE,
    default_session,
    plan_year,
    replay,
    seed_if_fresh,
    seed_year,
    seed_year_for,
)
from bot.suggestions.service import Draft, SuggestionService
from storage.models import Suggestion, SuggestionAnswer, SuggestionContact
from storage.repos.suggestion_seed import SeedNetwork, SuggestionSeedRepo
from storage.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NETWORK = SeedNetwork(
    deputies=tuple(range(1, 41)),
    units=(101, 102, 103),
    units_by_category={"transport": (101, 102), "agriculture": (103,)},
    committees_by_category={"transport": (201,), "agriculture": (202,)},
    committee_members={201: (7, 8)},
    officers={101: (9,), 103: (10,)},
)


# -- the plan --------------------------------------------------------------------------------------------


def test_the_plan_is_deterministic_and_at_the_notes_scale() -> None:
    first = plan_year(NETWORK, 2025, AS_OF)
    again = plan_year(NETWORK, 2025, AS_OF)
    assert [p.row for p in first] == [p.row for p in again]
    assert [p.events for p in first] == [p.events for p in again]
    assert len(first) == 549
    assert Counter(p.row["result_class"] for p in first)["A"] == 358
    assert all(p.row["first_answered_at"] is not None for p in first)
    other = plan_year(NETWORK, 2025, AS_OF, seed=24)
    assert [p.row for p in other] != [p.row for p in first]
    assert Counter(p.row["result_class"] for p in other)["A"] == 358  # the share is the plan's, not luck's
    # A later `as_of` only lets more happen: the same year up to each suggestion's last step.
    later = plan_year(NETWORK, 2025, AS_OF + timedelta(days=300))
    for early, late in zip(first, later, strict=True):
        assert late.events[: len(early.events)] == early.events
        assert late.answers[0]["answered_at"] == early.answers[0]["answered_at"]
    assert sum(len(p.events) for p in later) > sum(len(p.events) for p in first)


def test_every_suggestion_walks_the_lifecycle_and_its_columns_agree() -> None:
    planned = plan_year(NETWORK, 2025, AS_OF)
    session = default_session(2025)
    numbers = [p.row["number"] for p in planned]
    assert numbers == [f"S-2025-{n:04d}" for n in range(1, 550)]
    assert [p.row["filed_at"] for p in planned] == sorted(p.row["filed_at"] for p in planned)
    seen = Counter()
    for p in planned:
        row, events = p.row, p.events
        assert events[0]["action"] == CREATE
        assert replay(events).value == row["state"]
        times = [e["at"] for e in events]
        assert times == sorted(times) and times[-1] <= AS_OF
        for e in events[1:]:
            assert rule_for(e["from_state"], e["action"]) is not None, e
        filed_day = row["filed_at"].astimezone(SHANGHAI).date()
        assert (row["series_session"] == session.code) == session.sits_on(filed_day)
        first, last = p.answers[0], p.answers[-1]
        assert row["first_answered_at"] == first["answered_at"]
        assert row["first_answer_on_time"] == (
            first["answered_at"].astimezone(SHANGHAI).date() <= first["due_on"]
        )
        assert row["result_class"] == last["result_class"] and row["answered_at"] == last["answered_at"]
        assert row["rehandle_count"] == len(p.answers) - 1
        ratings = [a["rating"] for a in p.answers if a["rating"]]
        assert row["rating"] == (ratings[-1] if ratings else None)
        closing = [e for e in events if e["action"] in ("rate_satisfied", "rate_basic", "close")]
        assert (row["closed_at"] is not None) == bool(closing)
        if closing:
            assert row["closed_at"] == closing[0]["at"] and row["closing_action"] == closing[0]["action"]
        if last["result_class"] == "B":
            assert last["planned_on"] >= last["answered_at"].astimezone(SHANGHAI).date()
        if last["result_class"] == "C":
            assert last["reason"]
        recorded = [e for e in events if e["action"] == "record_contact"]
        assert len(recorded) == len(p.contacts)
        for contact in p.contacts:
            assert contact["recorded_at"] < first["answered_at"]
        assert row["lead_unit_id"] not in (row["co_unit_ids"] or [])
        seen[row["state"]] += 1
        seen["late"] += not row["first_answer_on_time"]
        seen["cosigned"] += bool(p.cosigners)
        seen["extended"] += any(e["action"] == "grant_extension" for e in events)
        seen["returned"] += any(e["action"] == "return" for e in events)
    # A realistic mix: most re-checked or closed, some late, extended, returned, co-signed, re-handled.
    assert seen["rechecked"] > 200 and seen["closed"] > 50
    assert 30 < seen["late"] < 100 and seen["cosigned"] > 40 and seen["extended"] > 3 and seen["returned"] > 3
    assert sum(1 for p in planned if p.row["rehandle_count"]) == 14


def test_the_plan_refuses_what_it_cannot_make() -> None:
    with pytest.raises(ValueError, match="as_of"):
        plan_year(NETWORK, 2025, datetime(2026, 1, 15, tzinfo=UTC))
    with pytest.raises(ValueError, match="deputies"):
        plan_year(replace(NETWORK, deputies=()), 2025, AS_OF)
    with pytest.raises(ValueError, match="units"):
        plan_year(replace(NETWORK, units=()), 2025, AS_OF)
    assert seed_year_for(date(2026, 3, 1)) == 2025 and seed_year_for(date(2026, 1, 20)) == 2024
    assert set(CATEGORY_WEIGHTS) == set(CATEGORIES)


# -- the figures against a count made here -----------------------------------------------------------------


def pct(count: int, total: int) -> float | None:
    if not total:
        return None
    return float((Decimal(count) * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def count_here(u: UnitOfWork, where: Callable[[Suggestion], bool]) -> dict[str, Any]:
    rows = [s for s in (await u.session.scalars(select(Suggestion))).all() if s.number and where(s)]
    ids = {s.id for s in rows}
    answers = [a for a in (await u.session.scalars(select(SuggestionAnswer))).all() if a.suggestion_id in ids]
    contacts = [
        c for c in (await u.session.scalars(select(SuggestionContact))).all() if c.suggestion_id in ids
    ]
    answered = {a.suggestion_id for a in answers}
    last = {a.suggestion_id: a for a in sorted(answers, key=lambda a: a.round)}
    first = {a.suggestion_id: a for a in sorted(answers, key=lambda a: -a.round)}
    confirmed: dict[int, set[str]] = {}
    for c in contacts:
        if c.verdict == "confirmed":
            confirmed.setdefault(c.suggestion_id, set()).add(c.stage)
    on_time = sum(1 for a in first.values() if a.answered_at.astimezone(SHANGHAI).date() <= a.due_on)
    classes = Counter(a.result_class for a in last.values())
    everything = {"before", "during", "after"}
    return {
        "filed": len(rows),
        "answered": len(answered),
        "class_a": classes["A"],
        "class_b": classes["B"],
        "class_c": classes["C"],
        "on_time": on_time,
        "a_share": pct(classes["A"], len(answered)),
        "rehandled": sum(1 for a in answers if a.round == 2),
        "contact_all": sum(1 for i in answered if confirmed.get(i, set()) >= everything),
        "withdrawn": sum(1 for s in rows if s.state == "withdrawn"),
        "unassigned": sum(1 for s in rows if s.lead_unit_id is None),
    }


def picked(totals: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "filed",
        "answered",
        "class_a",
        "class_b",
        "class_c",
        "on_time",
        "rehandled",
        "contact_all",
        "withdrawn",
    )
    return {**{k: totals[k] for k in keys}, "a_share": totals["a_share"]["percent"]}


@pytest.fixture
async def seeded(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> dict[str, int]:
    """The example network, the year 2025 seeded, and beside it this year's: one filed (no unit yet) and
    one withdrawn; both filed at the turn of a local month (31 Jan 16:30 UTC = 1 Feb in Shanghai)."""
    await import_network(sessionmaker, EXAMPLE_NETWORK)
    async with uow() as u:
        summary = await seed_year(u, 2025, AS_OF)
        await u.commit()
    assert (summary.suggestions, summary.class_a) == (549, 358)
    moment = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
    async with uow() as u:
        deputies = (await SuggestionSeedRepo(u.session).network()).deputies
        service = SuggestionService(u)
        waiting = await service.file(deputies[0], Draft("关于村道的建议", "村道破损。", "transport"), moment)
        gone = await service.file(deputies[1], Draft("关于路灯的建议", "路灯不亮。", "transport"), moment)
        assert waiting.suggestion is not None and gone.suggestion is not None
        await u.session.execute(
            update(Suggestion).where(Suggestion.id == gone.suggestion.id).values(state="withdrawn")
        )
        await u.commit()
        return {"waiting": waiting.suggestion.id, "gone": gone.suggestion.id}


async def test_sql_figures_equal_a_count_made_here(uow: Uow, seeded: dict[str, int]) -> None:
    async with uow() as u:
        repo = u.suggestion_figures
        everything = await suggestion_figures(repo, None, None)
        here = await count_here(u, lambda s: True)
        assert picked(everything["totals"]) == {k: here[k] for k in picked(everything["totals"])}
        assert everything["totals"]["filed"] == 551 and everything["totals"]["withdrawn"] == 1
        # The one not yet assigned is its own row, without a unit or committee, listed last.
        assert (
            everything["by_unit"][-1]["key"] is None
            and everything["by_unit"][-1]["filed"] == here["unassigned"]
        )
        assert everything["by_committee"][-1]["key"] is None
        assert sum(r["filed"] for r in everything["by_unit"]) == 551
        assert [r["key"] for r in everything["by_series"]] == ["16-4", "2025", "2026"]

        year = await year_figures(repo, 2025)
        in_year = await count_here(u, lambda s: s.number.startswith("S-2025-"))
        assert year["totals"]["a_share"] == {
            "count": 358,
            "total": 549,
            "fraction": "358/549",
            "percent": 65.21,
        }
        assert picked(year["totals"]) == {k: in_year[k] for k in picked(year["totals"])}

        for row in year["by_unit"]:
            one = await year_figures(repo, 2025, unit_id=row["key"])
            mine = await count_here(
                u, lambda s, k=row["key"]: s.number.startswith("S-2025-") and s.lead_unit_id == k
            )
            assert picked(one["totals"]) == {k: mine[k] for k in picked(one["totals"])} == picked(row)
        for row in year["by_committee"]:
            mine = await count_here(
                u, lambda s, k=row["key"]: s.number.startswith("S-2025-") and s.committee_id == k
            )
            assert picked(row) == {k: mine[k] for k in picked(row)}

        # A period of local days: February 2026 in Shanghai holds the two filed at 00:30 on the 1st.
        lo, hi = datetime(2026, 1, 31, 16, tzinfo=UTC), datetime(2026, 2, 28, 16, tzinfo=UTC)
        february = await suggestion_figures(repo, lo, hi)
        assert february["totals"]["filed"] == 2 and february["totals"]["answered"] == 0
        assert february["totals"]["a_share"]["percent"] is None
        stats = await compute_stats(u.session, date(2026, 2, 1), date(2026, 2, 28), "Asia/Shanghai")
        assert stats["suggestions"]["totals"] == february["totals"]
        year_stats = await compute_stats(u.session, date(2025, 1, 1), date(2025, 12, 31), "Asia/Shanghai")
        zh = render_chat(year_stats, translator("zh_Hans"))
        assert "<b>代表建议</b>" in zh and "A类占比 65.21%（358 / 549）" in zh
        assert "会议期间（16-4）：提出" in zh and "2025年闭会期间：提出" in zh
        assert "<b>按主办单位：</b>" in zh and "<b>按督办专委会：</b>" in zh
        january = await compute_stats(u.session, date(2026, 1, 1), date(2026, 1, 31), "Asia/Shanghai")
        assert january["suggestions"]["totals"]["filed"] == 0
        assert "Deputies' suggestions" not in render_chat(
            january, translator("en")
        )  # nothing filed: no section


async def test_the_demo_seeds_a_fresh_database_once(
    uow: Uow, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with uow() as u:
        assert await seed_if_fresh(u, AS_OF) is None  # no network yet: nothing to draw on
    await import_network(sessionmaker, EXAMPLE_NETWORK)
    async with uow() as u:  # one filed this year (the demo's handful) leaves the database fresh
        deputy = (await SuggestionSeedRepo(u.session).network()).deputies[0]
        await SuggestionService(u).file(deputy, Draft("关于村道的建议", "村道破损。", "transport"), AS_OF)
        await u.commit()
    async with uow() as u:
        done = await seed_if_fresh(u, AS_OF)
        await u.commit()
    assert done is not None and done.year == 2025 and done.suggestions == 549
    async with uow() as u:
        assert await seed_if_fresh(u, AS_OF) is None
        with pytest.raises(ValueError, match="exist already"):
            await seed_year(u, 2025, AS_OF)


async def test_reports_of_a_unit_and_a_committee(uow: Uow, seeded: dict[str, int]) -> None:
    tr = translator("zh_Hans")
    async with uow() as u:
        repo = u.suggestion_figures
        whole = await year_report(repo, tr, 2025, SHANGHAI)
        assert whole is not None and whole.title == "2025年度代表建议办理情况"
        assert [t.key for t in whole.tables] == [
            "totals",
            "by_series",
            "by_unit",
            "by_committee",
            "by_category",
        ]
        unit = await year_report(repo, tr, 2025, SHANGHAI, unit_code="JTJ")
        committee = await year_report(repo, tr, 2025, SHANGHAI, committee_code="TRANS")
        assert await year_report(repo, tr, 2025, SHANGHAI, unit_code="NOPE") is None
        assert await year_report(repo, tr, 2025, SHANGHAI, committee_code="NOPE") is None
    assert unit is not None and unit.title == "2025年度代表建议办理情况：州交通运输局"
    listed = unit.tables[-1]
    assert listed.key == "suggestions" and len(listed.rows) == unit.figures["totals"]["filed"] > 0
    assert all(row[4] == "州交通运输局" for row in listed.rows)
    assert committee is not None and {row[5] for row in committee.tables[-1].rows} == {"交通运输工作委员会"}
    totals = {row[0]: row for row in whole.tables[0].rows}
    assert totals["A类"][1:] == [358, Pct(358, 549)] and str(totals["A类"][2]) == "65.21%"


def test_the_workbook_writes_shares_as_percentages_and_names_as_text() -> None:
    table = ReportTable(
        "by_unit", "按主办单位", ["名称", "A类占比"], [['=HYPERLINK("x")', Pct(358, 549)], ["无", Pct(0, 0)]]
    )
    report = YearReport(2025, "2025年度", [table], {})
    sheet = load_workbook(io.BytesIO(to_xlsx(report))).worksheets[0]
    assert sheet["A1"].value == "2025年度" and sheet["A4"].value == "名称"
    assert sheet["A5"].data_type == "s" and sheet["A5"].value == '=HYPERLINK("x")'  # text, not a formula
    assert sheet["B5"].value == 0.6521 and sheet["B5"].number_format == "0.00%"
    assert sheet["B6"].value is None


async def test_the_chat_section_fits_one_message_with_many_units(uow: Uow) -> None:
    def row(n: int) -> dict[str, Any]:
        share = {"count": n, "total": 100, "fraction": f"{n}/100", "percent": float(n)}
        return {
            "key": n,
            "code": f"U{n}",
            # As long as a unit's name may be (200), in characters Telegram counts twice (UTF-16).
            "name": "🏛" * 198 + f"{n:02d}",
            "filed": 100 - n,
            "answered": 100,
            "a_share": share,
            "on_time_rate": share,
            "satisfaction": {"satisfied_or_basic": share},
        }

    totals = {
        k: 1 for k in ("filed", "assigned", "answered", "closed", "class_a", "class_b", "class_c", "on_time")
    }
    share = {"count": 1, "total": 1, "fraction": "1", "percent": 100.0}
    totals.update(
        rated=1,
        satisfied=1,
        basic=0,
        dissatisfied=0,
        ever_dissatisfied=0,
        rehandled=0,
        contact_before=1,
        contact_during=1,
        contact_after=1,
        contact_all=1,
        a_share=share,
        on_time_rate=share,
        satisfaction={k: share for k in ("satisfied", "basic", "dissatisfied", "satisfied_or_basic")},
        contacts={k: share for k in ("before", "during", "after", "all")},
    )
    figures = {
        "totals": totals,
        "by_series": [],
        "by_unit": [row(n) for n in range(40)],
        "by_committee": [row(n) for n in range(40)],
    }
    tr = translator("zh_Hans")
    assert visible_len(chat_section(figures, tr, top=5)) > MESSAGE_LIMIT  # five of each would not fit
    async with uow() as u:
        stats = await compute_stats(u.session, None, None, "Asia/Shanghai")
    text = render_chat({**stats, "suggestions": figures}, tr)
    assert visible_len(text) <= MESSAGE_LIMIT
    shown = text.count("🏛" * 198)
    assert 0 < shown < 10  # as many of the busiest as fit, fewer than five each
    assert "🏛" * 198 + "00：" in text and "另有" in text


def test_the_command_line_refuses_report_options_out_of_place(capsys: pytest.CaptureFixture[str]) -> None:
    # --xlsx alone writes the statistics' workbook (tests/test_stats_sql.py); a unit's report needs its year.
    assert main_stats(["--unit", "JTJ"]) == 2
    assert "go with --suggestions-report" in capsys.readouterr().err
    assert main_stats(["--lang", "en"]) == 2
    assert "--lang goes with --xlsx or --suggestions-report" in capsys.readouterr().err
    assert main_stats(["--xlsx", "report.xlsx", "--json"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main_stats(["--suggestions-report", "2025", "--unit", "JTJ", "--committee", "TRANS"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main_stats(["--suggestions-report", "2025", "--from", "2025-01-01"]) == 2
    assert "no --from or --to" in capsys.readouterr().err
    assert main_stats(["--suggestions-report", "25"]) == 2
    assert "takes a year" in capsys.readouterr().err
