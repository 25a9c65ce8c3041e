"""交办 through the service, on both backends: the queue, return with a reason, the 归口 proposal, prepare
(the lifecycle's unit and term guards), publish at the 交办会 (term, cards, filer, opinions off the clock),
and refusals of the wrong role and stale state, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.suggestions.assign import AssignmentService
from bot.suggestions.lifecycle import RefusalReason
from bot.suggestions.service import Draft
from storage.models import AuditEntry, Opinion, Unit, UnitCategory
from storage.models.opinions import OpinionState
from storage.models.suggestions import SuggestionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions.test_service import people

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=10)


async def units(u: UnitOfWork, ids: dict[str, int]) -> dict[str, int]:
    """Two transport units (交通局 leads by code order, 公路局 co-handles), one other; an officer each."""
    rows = {
        code: Unit(code=code, name=name, kind="government")
        for code, name in (("U1", "交通局"), ("U2", "公路局"), ("U3", "水利局"))
    }
    u.session.add_all(rows.values())
    await u.flush()
    u.session.add_all(
        [UnitCategory(unit_id=rows[c].id, category="transport") for c in ("U1", "U2")]
        + [UnitCategory(unit_id=rows["U3"].id, category="water")]
    )
    await u.units.add_officer(rows["U1"].id, ids["b"])
    await u.units.add_officer(rows["U2"].id, ids["c"])
    return {code: unit.id for code, unit in rows.items()}


async def filed(u: UnitOfWork, ids: dict[str, int], **kw: object) -> int:
    base: dict[str, object] = {"title": "修缮村道", "text": "村道破损", "category": "transport"}
    base.update(kw)
    outcome = await AssignmentService(u).file(ids["a"], Draft(**base), NOW)  # type: ignore[arg-type]
    assert outcome.suggestion is not None
    return outcome.suggestion.id


async def audited(u: UnitOfWork, action: str) -> list[AuditEntry]:
    rows = await u.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
    return list(rows.all())


async def test_return_needs_staff_and_a_reason_and_tells_the_filer(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        sid = await filed(u, ids)
        service = AssignmentService(u)
        assert [s.id for s in await service.queue()] == [sid]
        forged = await service.return_to_filer(sid, ids["b"], "重复", LATER)
        assert forged.refusal is not None and forged.refusal.reason is RefusalReason.NO_RELATION
        blank = await service.return_to_filer(sid, ids["staff"], "  ", LATER)
        assert blank.refusal is not None and blank.refusal.reason is RefusalReason.REASON_REQUIRED
        done = await service.return_to_filer(sid, ids["staff"], "请补充调研材料", LATER)
        assert done.ok and done.suggestion is not None
        assert done.suggestion.state == SuggestionState.RETURNED
        assert [(n.recipient_person_id, n.key, n.params["reason"]) for n in done.notices] == [
            (ids["a"], "suggestion.returned", "请补充调研材料")
        ]
        stale = await service.return_to_filer(sid, ids["staff"], "again", LATER)
        assert stale.refusal is not None and stale.refusal.reason is RefusalReason.STALE_STATE
        events = await u.suggestions.events(sid)
        assert events[-1].note == "请补充调研材料"
        refused = [a for a in await audited(u, "suggestion.return") if not a.allowed]
        assert len(refused) == 3
        assert await service.queue() == []


async def test_proposal_comes_from_the_category(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        codes = await units(u, ids)
        sid = await filed(u, ids)
        service = AssignmentService(u)
        suggestion = await service.get(sid)
        assert suggestion is not None
        proposal = await service.propose(suggestion)
        assert proposal.lead is not None and proposal.lead.id == codes["U1"]
        assert [unit.id for unit in proposal.co_units] == [codes["U2"]]
        found, unknown = await service.units_by_codes(["U3", "U9"])
        assert [unit.id for unit in found] == [codes["U3"]] and unknown == ["U9"]


async def test_prepare_checks_units_and_term(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        codes = await units(u, ids)
        sid = await filed(u, ids)
        service = AssignmentService(u)
        lead, co = codes["U1"], [codes["U2"]]
        same = await service.prepare(sid, ids["staff"], lead, [lead], LATER)
        assert same.refusal is not None and same.refusal.reason is RefusalReason.UNITS_INVALID
        none = await service.prepare(sid, ids["staff"], None, co, LATER)
        assert none.refusal is not None and none.refusal.reason is RefusalReason.UNITS_INVALID
        unknown = await service.prepare(sid, ids["staff"], 9999, [], LATER)
        assert unknown.refusal is not None and unknown.refusal.reason is RefusalReason.UNITS_INVALID
        long = await service.prepare(sid, ids["staff"], lead, co, LATER, months=6)
        assert long.refusal is not None and long.refusal.reason is RefusalReason.TERM_INVALID
        seven = await service.prepare(sid, ids["staff"], lead, co, LATER, months=7, reason="难")
        assert seven.refusal is not None and seven.refusal.reason is RefusalReason.TERM_INVALID
        officer = await service.prepare(sid, ids["b"], lead, co, LATER)
        assert officer.refusal is not None and officer.refusal.reason is RefusalReason.NO_RELATION
        ok = await service.prepare(sid, ids["staff"], lead, co, LATER, months=6, reason="跨部门协调")
        assert ok.ok and ok.suggestion is not None
        s = ok.suggestion
        assert (s.state, s.lead_unit_id, s.co_unit_ids, s.term_months, s.term_reason) == (
            SuggestionState.PREPARED,
            lead,
            co,
            6,
            "跨部门协调",
        )
        assert s.assigned_at is None and s.due_on is None  # not sent until the 交办会
        assert [n.key for n in ok.notices] == ["suggestion.prepared"]


async def test_publish_sends_every_prepared_one_and_stops_the_opinions_clock(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        codes = await units(u, ids)
        holder = await u.people.deputy_of(ids["a"])
        assert holder is not None
        opinion = Opinion(
            tracking_no="LX-2026-000001",
            sender_person_id=ids["constituent"],
            category="transport",
            text="路坏了",
            holder_deputy_id=holder.id,
            state=OpinionState.ACCEPTED.value,
            answer_deadline=NOW + timedelta(days=5),
        )
        u.session.add(opinion)
        await u.flush()
        first = await filed(u, ids, source_opinion_ids=(opinion.id,))
        second = await filed(u, ids, title="第二件")
        untouched = await filed(u, ids, title="第三件")
        service = AssignmentService(u)
        assert (await service.prepare(first, ids["staff"], codes["U1"], [codes["U2"]], LATER)).ok
        assert (await service.prepare(second, ids["staff"], codes["U2"], [], LATER, months=4, reason="难")).ok
        assert (await service.publish(ids["b"], LATER))[0].refusal is not None  # not staff
        outcomes = await service.publish(ids["staff"], LATER)
        assert [o.suggestion.id for o in outcomes if o.suggestion] == [first, second]
        one, two = (o.suggestion for o in outcomes)
        assert one is not None and two is not None
        assert one.state == two.state == SuggestionState.ASSIGNED
        assert one.assigned_at == LATER and one.due_on == date(2026, 6, 11)
        assert two.due_on == date(2026, 7, 11)
        told = {(n.recipient_person_id, n.key) for n in outcomes[0].notices}
        assert told == {
            (ids["b"], "suggestion.assigned_lead"),
            (ids["c"], "suggestion.assigned_co"),
            (ids["a"], "suggestion.assigned"),
            (ids["constituent"], "suggestion.assigned"),
        }
        await u.session.refresh(opinion)
        assert opinion.state == OpinionState.ESCALATED and opinion.answer_deadline is None
        third = await service.get(untouched)
        assert third is not None and third.state == SuggestionState.FILED
        assert await service.publish(ids["staff"], LATER) == []  # nothing prepared is left
        assert [a for a in await audited(u, "suggestion.publish") if not a.allowed]
