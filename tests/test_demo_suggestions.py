"""The demo starts with the suggestion loop under way, so a visitor can play each part of it: the picker
offers a unit officer and a special-committee member who supervises; five suggestions are filed,
prepared and published through the services; the officers hold their task cards, the transport
committee supervises the transport ones; and a second start adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.runtime.demo import DEMO_STAFF, Demo
from bot.suggestions.demo_seed import DEMO_SUGGESTIONS, seed_demo_suggestions
from storage.models import SpecialCommittee, Unit
from storage.models.suggestions import Suggestion, SuggestionEvent
from tests.kit import assert_no_violations, runtime_probe, wait_idle, watching

TRANSPORT_OFFICER, HOUSING_OFFICER = 4000001, 4000002  # 和建平 (州交通运输局), 李春梅 (州住房和城乡建设局)
TRANS_MEMBER = 1000007  # 王青, on 交通运输工作委员会


def daytime() -> ManualClock:
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


async def test_the_demo_seeds_a_playable_suggestion_loop(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    # The seeded year beside the handful has its own test (tests/test_demo_seeded_year.py).
    async with Demo(port=0, database=database, clock=daytime(), seed_year=False) as demo:
        assert demo.sandbox is not None
        with watching(demo.sandbox, runtime_probe(demo.runtime)):
            roles = {p.id: p for p in demo.people}
            assert roles[TRANSPORT_OFFICER].role == "unit_officer"
            assert roles[TRANS_MEMBER].role == "special_committee"
            assert roles[TRANS_MEMBER].affiliation == "交通运输工作委员会"

            services = demo.runtime.services
            async with services.uow() as uow:
                rows = list((await uow.session.scalars(select(Suggestion).order_by(Suggestion.id))).all())
                units = {u.id: u.code for u in (await uow.session.scalars(select(Unit))).all()}
                trans = await uow.session.scalar(
                    select(SpecialCommittee).where(SpecialCommittee.code == "TRANS")
                )
                members = await uow.network.committee_members([trans.id]) if trans else []
                staff = await uow.people.by_telegram_id(DEMO_STAFF.id)
                publish = await uow.session.scalars(
                    select(SuggestionEvent).where(SuggestionEvent.action == "publish")
                )
                publishers = {e.actor_person_id for e in publish.all()}
            assert [(r.title, r.state) for r in rows] == [(d.title, d.goal.value) for d in DEMO_SUGGESTIONS]
            assert all(r.number and r.number.startswith("S-") for r in rows)
            by_title = {r.title: r for r in rows}
            bus = by_title["关于增开州城至乡镇客运班线的建议"]
            # Prepared to the 归口 proposal: 交通运输局 leads transport (the example's `leads`), though 公安局
            # (GAJ) comes first by code; the category's other units co-handle.
            assert units[bus.lead_unit_id or 0] == "JTJ" and [units[u] for u in bus.co_unit_ids or []] == [
                "GAJ",
                "GLJ",
            ]
            lift = by_title["关于老旧小区加装电梯的建议"]
            assert units[lift.lead_unit_id or 0] == "ZJJ"  # GDJ comes first by code
            assert bus.due_on is not None and bus.assigned_at is not None
            # The member the picker offers supervises it: their committee's field is its category.
            assert trans is not None and "transport" in trans.categories and bus.committee_id == trans.id
            member = await person_id(demo, TRANS_MEMBER)
            assert (trans.id, member) in members
            guard = by_title["关于修复国道沿线破损护栏的建议"]
            assert (
                units[guard.lead_unit_id or 0] == "JTJ" and guard.assigned_at is None
            )  # waits for the 交办会
            assert staff is not None and publishers == {staff.id}

            await wait_idle(demo.sandbox)
            cards = [
                m["text"] or "" for m in demo.sandbox.transcript(TRANSPORT_OFFICER) if m["sender"] == "bot"
            ]
            card = next(t for t in cards if bus.number and bus.number in t)
            assert "新交办任务" in card and "主办" in card and "张建" in card
            assert not any(guard.number and guard.number in t for t in cards)  # prepared: not sent yet
            housing = [m["text"] or "" for m in demo.sandbox.transcript(HOUSING_OFFICER)]
            assert any("关于老旧小区加装电梯的建议" in t for t in housing)

            async with services.uow() as uow:  # a second start: the database has suggestions already
                assert (
                    await seed_demo_suggestions(uow, services.settings, services.policy, services.clock.now())
                    == []
                )
        assert_no_violations(demo.sandbox)


async def person_id(demo: Demo, telegram_id: int) -> int:
    async with demo.runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(telegram_id)
    assert person is not None
    return person.id
