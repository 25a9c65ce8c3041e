"""办理 and the deputy's rating through the service, on both backends: 签收, 三见面 confirmed or disputed,
co-unit opinions, answers of each class (round, due day, punctuality, the row's figures), ratings that
close (销号, the 回头看 day) or send it back once and then to staff, staff's decisions on the unit's
requests, and refusals of the wrong role, the wrong unit and stale state — each audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.suggestions.assign import AssignmentService
from bot.suggestions.deadlines import rung_starts
from bot.suggestions.handling import AnswerInput, ContactInput, HandlingService, Rating, term_of
from bot.suggestions.lifecycle import Action, RefusalReason
from bot.suggestions.service import Outcome
from storage.models import AuditEntry, Opinion, Person, SpecialCommittee, SpecialCommitteeMember
from storage.models.opinions import OpinionState
from storage.models.suggestions import SuggestionAnswer, SuggestionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions.test_assign import LATER, NOW, filed, units
from tests.suggestions.test_service import people

DAY = timedelta(days=1)
S = SuggestionState


@dataclass
class World:
    sid: int
    ids: dict[str, int]  # a files; b leads (U1), c co-handles (U2); staff; constituent (follower); member
    codes: dict[str, int]


async def world(u: UnitOfWork) -> World:
    """A suggestion of deputy a made from the constituent's opinion, published at LATER: U1 (officer b)
    leads, U2 (officer c) co-handles; the transport committee (member m) supervises it."""
    ids = await people(u.session)
    codes = await units(u, ids)
    member = Person(name="委员")
    committee = SpecialCommittee(code="TRAF", name="交通委员会", categories=["transport"])
    u.session.add_all([member, committee])
    await u.flush()
    u.session.add(SpecialCommitteeMember(committee_id=committee.id, person_id=member.id))
    ids["m"] = member.id
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
    sid = await filed(u, ids, source_opinion_ids=(opinion.id,))
    service = AssignmentService(u)
    assert (await service.prepare(sid, ids["staff"], codes["U1"], [codes["U2"]], LATER)).ok
    assert (await service.publish(ids["staff"], LATER))[0].ok
    return World(sid, ids, codes)


def refused(outcome: Outcome) -> RefusalReason | None:
    return outcome.refusal.reason if outcome.refusal is not None else None


def told(outcome: Outcome) -> set[tuple[int, str]]:
    return {(n.recipient_person_id, n.key.removeprefix("suggestion.")) for n in outcome.notices}


async def denied(u: UnitOfWork, action: Action) -> list[str]:
    rows = await u.session.scalars(
        select(AuditEntry).where(AuditEntry.action == f"suggestion.{action}", AuditEntry.allowed.is_(False))
    )
    return [str((e.detail or {}).get("reason")) for e in rows]


async def signed(u: UnitOfWork, w: World, at: datetime = LATER + DAY) -> HandlingService:
    service = HandlingService(u)
    assert (await service.sign_for(w.sid, w.ids["b"], at)).ok
    return service


def answer(klass: str = "A", **kw: object) -> AnswerInput:
    return AnswerInput(klass, "已修复村道并加装护栏。", **kw)  # type: ignore[arg-type]


async def test_sign_for_by_the_lead_units_officer_once(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        service = HandlingService(u)
        ids = w.ids
        assert refused(await service.sign_for(w.sid, ids["a"], LATER)) is RefusalReason.NOT_PERMITTED  # filer
        assert (
            refused(await service.sign_for(w.sid, ids["c"], LATER)) is RefusalReason.NOT_PERMITTED
        )  # co-unit
        assert refused(await service.sign_for(w.sid, ids["constituent"], LATER)) is RefusalReason.NO_RELATION
        assert refused(await service.sign_for(999, ids["b"], LATER)) is RefusalReason.NO_RELATION
        done = await service.sign_for(w.sid, ids["b"], LATER + DAY)
        assert done.ok and done.suggestion is not None
        assert done.suggestion.state == S.HANDLING and done.suggestion.signed_at == LATER + DAY
        assert told(done) == {(ids["a"], "signed_for")}
        assert refused(await service.sign_for(w.sid, ids["b"], LATER)) is RefusalReason.STALE_STATE
        events = await u.suggestions.events(w.sid)
        assert (events[-1].action, events[-1].from_state, events[-1].to_state) == (
            "sign_for",
            "assigned",
            "handling",
        )
        assert sorted(await denied(u, Action.SIGN_FOR)) == [
            "no_relation",
            "no_relation",
            "not_permitted",
            "not_permitted",
            "stale_state",
        ]


async def test_contacts_confirmed_or_disputed_by_the_filer_once(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        ids, today = w.ids, date(2026, 3, 12)
        early = await HandlingService(u).record_contact(
            w.sid, ids["b"], ContactInput("before", "phone", today, "电话沟通"), LATER
        )
        assert refused(early) is RefusalReason.STALE_STATE  # not signed for yet
        service = await signed(u, w)
        now = LATER + DAY  # 2026-03-12 10:00 in Shanghai
        future = ContactInput("before", "phone", today + DAY, "电话沟通")
        assert (
            refused(await service.record_contact(w.sid, ids["b"], future, now))
            is RefusalReason.INVALID_ARGUMENT
        )
        blank = ContactInput("during", "visit", today, "  ")
        assert (
            refused(await service.record_contact(w.sid, ids["b"], blank, now))
            is RefusalReason.INVALID_ARGUMENT
        )
        odd = ContactInput("later", "visit", today, "走访")
        assert (
            refused(await service.record_contact(w.sid, ids["b"], odd, now)) is RefusalReason.INVALID_ARGUMENT
        )
        co = ContactInput("before", "phone", today, "电话沟通")
        assert refused(await service.record_contact(w.sid, ids["c"], co, now)) is RefusalReason.NOT_PERMITTED
        first = await service.record_contact(w.sid, ids["b"], co, now)
        second = await service.record_contact(
            w.sid, ids["b"], ContactInput("during", "visit", today, "现场走访"), now
        )
        assert first.ok and second.ok
        [notice] = first.notices
        assert (notice.recipient_person_id, notice.key) == (ids["a"], "suggestion.contact_recorded")
        assert notice.params["stage"] == "before" and notice.params["summary"] == "电话沟通"
        one, two = (o.notices[0].params["contact_id"] for o in (first, second))

        assert refused(await service.judge_contact(one, ids["b"], True, now)) is RefusalReason.NOT_PERMITTED
        assert refused(await service.judge_contact(one, ids["c"], True, now)) is RefusalReason.NOT_PERMITTED
        nobody = await service.judge_contact(one, ids["constituent"], True, now)
        assert refused(nobody) is RefusalReason.NO_RELATION
        confirmed = await service.judge_contact(one, ids["a"], True, now)
        assert confirmed.ok and told(confirmed) == {(ids["b"], "contact_confirmed")}
        again = await service.judge_contact(one, ids["a"], False, now, "没有见过")
        assert refused(again) is RefusalReason.ALREADY_ANSWERED
        assert (
            refused(await service.judge_contact(two, ids["a"], False, now, " "))
            is RefusalReason.REASON_REQUIRED
        )
        disputed = await service.judge_contact(two, ids["a"], False, now, "并未走访")
        assert disputed.ok
        assert told(disputed) == {(ids["b"], "contact_disputed"), (ids["m"], "contact_disputed")}
        assert {n.params["reason"] for n in disputed.notices} == {"并未走访"}
        rows = await u.suggestions.contacts(w.sid)
        assert [(c.stage, c.verdict, c.verdict_reason) for c in rows] == [
            ("before", "confirmed", None),
            ("during", "disputed", "并未走访"),
        ]
        assert rows[0].unit_id == w.codes["U1"] and rows[0].recorded_by_person_id == ids["b"]
        assert [e.action for e in await u.suggestions.events(w.sid)][-4:] == [
            "record_contact",
            "record_contact",
            "confirm_contact",
            "dispute_contact",
        ]


async def test_a_co_units_opinion_reaches_the_lead_unit(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        early = await HandlingService(u).co_opinion(w.sid, ids["c"], "建议统筹养护资金", LATER)
        assert refused(early) is RefusalReason.STALE_STATE  # the lead unit has not signed for it
        service = await signed(u, w)
        now = LATER + 2 * DAY
        assert (
            refused(await service.co_opinion(w.sid, ids["b"], "主办自己", now)) is RefusalReason.NOT_PERMITTED
        )
        assert refused(await service.co_opinion(w.sid, ids["a"], "代表", now)) is RefusalReason.NOT_PERMITTED
        files = [{"kind": "photo", "file_id": "P1"}]
        bad = await service.co_opinion(w.sid, ids["c"], "x", now, [{"kind": "voice", "file_id": "V"}])
        assert refused(bad) is RefusalReason.INVALID_ARGUMENT
        done = await service.co_opinion(w.sid, ids["c"], "建议统筹养护资金", now, files)
        assert done.ok and told(done) == {(ids["b"], "co_opinion")}
        params = done.notices[0].params
        assert params["unit_name"] == "公路局" and params["text"] == "建议统筹养护资金"
        assert params["attachments"] == files
        card = await service.card(w.sid, ids["b"], now)
        assert card is not None and [(name, o.text) for name, o in card.opinions] == [
            ("公路局", "建议统筹养护资金")
        ]
        assert await service.card(w.sid, ids["a"], now) is None  # the deputy has no task card


async def test_an_a_answer_on_time_and_satisfied_closes_with_a_recheck_day(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = await signed(u, w)
        now = LATER + 20 * DAY
        assert refused(await service.answer(w.sid, ids["c"], answer(), now)) is RefusalReason.NOT_PERMITTED
        too_long = AnswerInput("A", "长" * 3001)
        assert refused(await service.answer(w.sid, ids["b"], too_long, now)) is RefusalReason.INVALID_ARGUMENT
        done = await service.answer(
            w.sid, ids["b"], answer(attachments=({"kind": "document", "file_id": "D"},)), now
        )
        assert done.ok and done.suggestion is not None
        s = done.suggestion
        assert s.state == S.ANSWERED and s.result_class == "A" and s.planned_on is None
        assert s.answered_at == s.first_answered_at == now and s.first_answer_on_time is True
        assert s.next_warning_at is None  # answered: the clock stops
        [row] = await u.suggestions.answers(w.sid)
        assert (row.round, row.result_class, row.due_on, row.on_time) == (1, "A", s.due_on, True)
        assert told(done) == {
            (ids["a"], "answered"),
            (ids["constituent"], "answered"),
            (ids["m"], "answered_committee"),
        }
        by = {n.recipient_person_id: n for n in done.notices}
        assert by[ids["a"]].params["text"] == "已修复村道并加装护栏。" and by[ids["a"]].urgent
        assert by[ids["a"]].params["attachments"] == [{"kind": "document", "file_id": "D"}]
        # The follower (a constituent) hears the class, never the deputy's words or the files.
        assert set(by[ids["constituent"]].params) == {
            "audience",
            "by",
            "tracking_no",
            "result_class",
            "planned_on",
        }

        assert (
            refused(await service.rate(row.id, ids["b"], Rating.SATISFIED, now))
            is RefusalReason.NOT_PERMITTED
        )
        assert (
            refused(await service.rate(row.id, ids["c"], Rating.SATISFIED, now))
            is RefusalReason.NOT_PERMITTED
        )
        nobody = await service.rate(row.id, ids["constituent"], Rating.SATISFIED, now)
        assert refused(nobody) is RefusalReason.NO_RELATION
        closed = await service.rate(row.id, ids["a"], Rating.SATISFIED, now + DAY)
        assert closed.ok and closed.suggestion is not None
        s = closed.suggestion
        assert s.state == S.CLOSED and s.closing_action == "rate_satisfied" and s.closed_at == now + DAY
        assert s.rating == "satisfied" and s.rated_at == now + DAY
        assert s.recheck_due_on == date(2026, 10, 1)  # A: six months after 2026-04-01
        assert told(closed) == {
            (ids["b"], "rated_satisfied"),
            (ids["constituent"], "closed"),
            (ids["m"], "closed"),
        }
        await u.session.refresh(row)
        assert (row.rating, row.rated_at) == ("satisfied", now + DAY)
        twice = await service.rate(row.id, ids["a"], Rating.BASIC, now + DAY)
        assert refused(twice) is RefusalReason.STALE_STATE
        after = await service.answer(w.sid, ids["b"], answer(), now + DAY)
        assert refused(after) is RefusalReason.STALE_STATE
        assert "stale_state" in await denied(u, Action.RATE_BASIC)


async def test_b_and_c_answers_carry_their_date_and_reason(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = await signed(u, w)
        now = LATER + 10 * DAY  # 2026-03-21 in Shanghai
        assert (
            refused(await service.answer(w.sid, ids["b"], answer("B"), now)) is RefusalReason.ANSWER_INVALID
        )
        past = answer("B", planned_on=date(2026, 3, 20))
        assert refused(await service.answer(w.sid, ids["b"], past, now)) is RefusalReason.ANSWER_INVALID
        assert (
            refused(await service.answer(w.sid, ids["b"], answer("C"), now)) is RefusalReason.ANSWER_INVALID
        )
        assert (
            refused(await service.answer(w.sid, ids["b"], answer("D"), now)) is RefusalReason.ANSWER_INVALID
        )
        done = await service.answer(w.sid, ids["b"], answer("B", planned_on=date(2026, 9, 30)), now)
        assert done.ok and done.suggestion is not None
        assert (done.suggestion.result_class, done.suggestion.planned_on) == ("B", date(2026, 9, 30))
        [row] = await u.suggestions.answers(w.sid)
        closed = await service.rate(row.id, ids["a"], Rating.BASIC, now)
        assert closed.ok and closed.suggestion is not None
        assert closed.suggestion.closing_action == "rate_basic"
        assert closed.suggestion.recheck_due_on == date(2026, 9, 30)  # B: re-visited on its planned day

        other = await world_again(u, w)
        c_done = await service.answer(other, ids["b"], answer("C", reason="资金不足，列入明年"), now)
        assert c_done.ok and c_done.suggestion is not None and c_done.suggestion.planned_on is None
        rows = await u.suggestions.answers(other)
        assert rows[0].reason == "资金不足，列入明年"
        assert {n.params.get("reason") for n in c_done.notices if "text" in n.params} == {
            "资金不足，列入明年"
        }
        closed = await service.rate(rows[0].id, ids["a"], Rating.SATISFIED, now)
        assert closed.suggestion is not None and closed.suggestion.recheck_due_on is None  # C: never


async def world_again(u: UnitOfWork, w: World) -> int:
    """A second suggestion of the same world, published and signed for."""
    sid = await filed(u, w.ids, title="第二件")
    service = AssignmentService(u)
    assert (await service.prepare(sid, w.ids["staff"], w.codes["U1"], [], LATER)).ok
    assert (await service.publish(w.ids["staff"], LATER))[0].ok
    assert (await HandlingService(u).sign_for(sid, w.ids["b"], LATER)).ok
    return sid


async def test_dissatisfied_once_rehandles_then_staff_review_then_reassign(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = await signed(u, w)
        late = LATER + 100 * DAY  # after the due day: late
        first = await service.answer(w.sid, ids["b"], answer(), late)
        assert first.ok and first.suggestion is not None and first.suggestion.first_answer_on_time is False
        [one] = await u.suggestions.answers(w.sid)
        assert one.on_time is False
        blank = await service.rate(one.id, ids["a"], Rating.DISSATISFIED, late)
        assert refused(blank) is RefusalReason.REASON_REQUIRED
        back = await service.rate(one.id, ids["a"], Rating.DISSATISFIED, late, "护栏没装")
        assert back.ok and back.suggestion is not None
        s = back.suggestion
        assert s.state == S.REHANDLING and s.rehandle_count == 1 and s.rating == "dissatisfied"
        assert s.due_on == date(2026, 7, 19)  # a month from the rating (2026-06-19)
        term = term_of(s, service.policy)
        assert term is not None and s.next_warning_at == rung_starts(term, service.policy)[0]
        assert s.warned_rung == 0
        assert told(back) == {
            (ids["b"], "rehandle"),
            (ids["m"], "rehandle_committee"),
            (ids["constituent"], "rehandle"),
        }
        by = {n.recipient_person_id: n.params for n in back.notices}
        assert by[ids["b"]]["reason"] == "护栏没装" and "reason" not in by[ids["constituent"]]
        stale = await service.rate(one.id, ids["a"], Rating.SATISFIED, late)
        assert refused(stale) is RefusalReason.STALE_STATE

        second = await service.answer(w.sid, ids["b"], answer("A"), late + DAY)
        assert second.ok and second.suggestion is not None
        assert second.suggestion.state == S.REANSWERED
        assert second.suggestion.first_answered_at == late  # the first answer's time stays
        one_again, two = await u.suggestions.answers(w.sid)
        assert (two.round, two.due_on, two.on_time) == (2, date(2026, 7, 19), True)
        old_card = await service.rate(one_again.id, ids["a"], Rating.SATISFIED, late + DAY)
        assert refused(old_card) is RefusalReason.STALE_STATE and old_card.refusal is not None
        assert old_card.refusal.detail == "old_answer"
        review = await service.rate(two.id, ids["a"], Rating.DISSATISFIED, late + DAY, "还是没装")
        assert review.ok and review.suggestion is not None and review.suggestion.state == S.STAFF_REVIEW
        assert told(review) == {
            (ids["staff"], "dissatisfied_again"),
            (ids["m"], "rehandle_committee"),
            (ids["b"], "dissatisfied_again"),
        }

        same = await service.reassign(w.sid, ids["staff"], w.codes["U1"], [], late + 2 * DAY)
        assert refused(same) is RefusalReason.INVALID_ARGUMENT
        assert (
            refused(await service.reassign(w.sid, ids["b"], w.codes["U3"], [], late))
            is RefusalReason.NOT_PERMITTED
        )
        moved = await service.reassign(w.sid, ids["staff"], w.codes["U3"], [w.codes["U2"]], late + 2 * DAY)
        assert moved.ok and moved.suggestion is not None
        s = moved.suggestion
        assert (s.state, s.lead_unit_id, s.co_unit_ids, s.signed_at) == (
            S.ASSIGNED,
            w.codes["U3"],
            [w.codes["U2"]],
            None,
        )
        assert s.assigned_at == late + 2 * DAY and s.due_on == date(2026, 9, 21)
        assert s.next_warning_at is not None and s.warned_rung == 0
        assert told(moved) == {
            (ids["c"], "assigned_co"),
            (ids["b"], "reassigned_away"),
            (ids["a"], "reassigned"),
            (ids["m"], "reassigned"),
        }  # U3 has no officer here; the new lead unit's card goes to its officers
        # The old lead unit's officer is no longer the lead's: refused.
        assert refused(await service.sign_for(w.sid, ids["b"], late)) is RefusalReason.NO_RELATION


async def test_extension_granted_or_denied_by_staff(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = await signed(u, w)
        now = LATER + 30 * DAY
        assert (await service.request_extension(w.sid, ids["b"], "需要调研", now)).ok
        assert (
            refused(await service.grant_extension(w.sid, ids["b"], 5, "可以", now))
            is RefusalReason.NOT_PERMITTED
        )
        assert (
            refused(await service.grant_extension(w.sid, ids["staff"], 3, "同意", now))
            is RefusalReason.TERM_INVALID
        )
        assert (
            refused(await service.grant_extension(w.sid, ids["staff"], 7, "同意", now))
            is RefusalReason.TERM_INVALID
        )
        assert (
            refused(await service.grant_extension(w.sid, ids["staff"], 5, " ", now))
            is RefusalReason.REASON_REQUIRED
        )
        done = await service.grant_extension(w.sid, ids["staff"], 5, "涉及跨年预算", now)
        assert done.ok and done.suggestion is not None
        s = done.suggestion
        assert (s.state, s.term_months, s.due_on) == (S.HANDLING, 5, date(2026, 8, 11))  # 5 months from 03-11
        assert s.term_reason == "涉及跨年预算" and s.warned_rung == 0 and s.next_warning_at is not None
        assert told(done) == {(ids["b"], "extension_granted"), (ids["a"], "extended"), (ids["m"], "extended")}
        assert {n.params["due"] for n in done.notices} == {"2026-08-11"}
        twice = await service.grant_extension(w.sid, ids["staff"], 6, "再延", now)
        assert refused(twice) is RefusalReason.STALE_STATE
        # Asked once already: the unit may not ask again.
        assert (
            refused(await service.request_extension(w.sid, ids["b"], "再延", now))
            is RefusalReason.ALREADY_ASKED
        )

        other = await world_again(u, w)
        assert (await service.request_extension(other, ids["b"], "需要调研", now)).ok
        no = await service.deny(other, ids["staff"], Action.DENY_EXTENSION, "期限充足", now)
        assert no.ok and no.suggestion is not None and no.suggestion.state == S.HANDLING
        assert told(no) == {(ids["b"], "extension_denied")}
        assert (await service.request_reassign(other, ids["b"], "属于公路局", now)).ok
        kept = await service.deny(other, ids["staff"], Action.DENY_REASSIGN, "属于交通局职责", now)
        assert kept.ok and told(kept) == {(ids["b"], "reassign_denied")}
        assert (
            refused(await service.deny(other, ids["staff"], Action.DENY_REASSIGN, "x", now))
            is RefusalReason.STALE_STATE
        )
        events = await u.suggestions.events(other)
        assert events[-1].note == "属于交通局职责"


async def test_the_card_shows_the_lead_units_buttons_by_state(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        service = HandlingService(u)
        card = await service.card(w.sid, w.ids["b"], LATER)
        assert card is not None and card.colour is not None and card.colour.value == "green"
        assert card.lead == "交通局" and card.co == ("公路局",)
        co_card = await service.card(w.sid, w.ids["c"], LATER)
        assert co_card is not None and co_card.kinds == {"co_officer"}
        assert [s.id for s in await service.unit_tasks(w.ids["c"])] == [w.sid]
        assert [s.id for s in await service.unit_tasks(w.ids["b"])] == [w.sid]
        assert await service.unit_tasks(w.ids["a"]) == []
        late = await service.card(w.sid, w.ids["b"], LATER + 95 * DAY)
        assert late is not None and late.colour is not None and late.colour.value == "red"


async def test_answer_rows_are_one_per_round(uow: Callable[[], UnitOfWork]) -> None:
    """The round is unique per suggestion: a third answer after a reassignment is round 3."""
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = await signed(u, w)
        t = LATER + 5 * DAY
        assert (await service.answer(w.sid, ids["b"], answer(), t)).ok
        [one] = await u.suggestions.answers(w.sid)
        assert (await service.rate(one.id, ids["a"], Rating.DISSATISFIED, t, "不行")).ok
        assert (await service.answer(w.sid, ids["b"], answer(), t)).ok
        two = (await u.suggestions.answers(w.sid))[-1]
        assert (await service.rate(two.id, ids["a"], Rating.DISSATISFIED, t, "还不行")).ok
        assert (await service.reassign(w.sid, ids["staff"], w.codes["U2"], [], t)).ok
        assert (await service.sign_for(w.sid, ids["c"], t)).ok
        assert (await service.answer(w.sid, ids["c"], answer(), t)).ok
        rows = await u.suggestions.answers(w.sid)
        assert [(r.round, r.unit_id) for r in rows] == [
            (1, w.codes["U1"]),
            (2, w.codes["U1"]),
            (3, w.codes["U2"]),
        ]
        assert all(isinstance(r, SuggestionAnswer) for r in rows)


async def test_not_ours_reassigned_gives_the_new_unit_its_own_requests(uow: Callable[[], UnitOfWork]) -> None:
    """From reassign_requested: a new term from now, the new lead unit signs for it and may ask once itself."""
    async with uow() as u:
        w = await world(u)
        ids = w.ids
        service = HandlingService(u)
        now = LATER + 3 * DAY
        assert (await service.request_reassign(w.sid, ids["b"], "属于公路局", now)).ok
        assert (
            refused(await service.deny(w.sid, ids["c"], Action.DENY_REASSIGN, "不", now))
            is RefusalReason.NOT_PERMITTED
        )
        too_long = await service.reassign(
            w.sid, ids["staff"], w.codes["U2"], [], now, months=4, reason="长" * 501
        )
        assert too_long.refusal is not None and too_long.refusal.detail == "too_long"
        moved = await service.reassign(w.sid, ids["staff"], w.codes["U2"], [], now, months=4, reason="跨年")
        assert moved.ok and moved.suggestion is not None
        s = moved.suggestion
        assert (s.state, s.lead_unit_id, s.co_unit_ids, s.term_months) == (S.ASSIGNED, w.codes["U2"], [], 4)
        assert s.due_on == date(2026, 7, 14)  # four months from 2026-03-14
        assert told(moved) == {
            (ids["c"], "assigned_lead"),
            (ids["b"], "reassigned_away"),
            (ids["a"], "reassigned"),
            (ids["m"], "reassigned"),
        }
        assert refused(await service.sign_for(w.sid, ids["b"], now)) is RefusalReason.NO_RELATION
        assert (await service.sign_for(w.sid, ids["c"], now)).ok
        assert (await service.request_reassign(w.sid, ids["c"], "也不属于我们", now)).ok  # its own once
