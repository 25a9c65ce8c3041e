"""Filing (提出) and co-signing (附议/联名) through the service, on both backends: numbers, the ledger,
the audit, refusals, and whom each step tells."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.suggestions.lifecycle import Action, RefusalReason
from bot.suggestions.numbering import Session
from bot.suggestions.service import Draft, SuggestionService
from storage.models import AuditEntry, Deputy, Opinion, Person, PersonRole, Role
from storage.models.suggestions import CosignerState, Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


async def people(session: AsyncSession) -> dict[str, int]:
    """Three deputies (a files, b and c co-sign), a staff member, a constituent."""
    a, b, c = (Person(name=n, code=code) for n, code in (("孙建国", "D1"), ("吴明", "D2"), ("周小梅", "D3")))
    staff, constituent = Person(name="办公室"), Person(name="群众")
    session.add_all([a, b, c, staff, constituent])
    await session.flush()
    session.add_all([Deputy(person_id=p.id, level="county") for p in (a, b, c)])
    session.add(PersonRole(person_id=staff.id, role=Role.STAFF.value))
    await session.flush()
    return {"a": a.id, "b": b.id, "c": c.id, "staff": staff.id, "constituent": constituent.id}


def draft(**kw: object) -> Draft:
    base: dict[str, object] = {"title": "修缮村道", "text": "村道破损，建议修缮。", "category": "transport"}
    base.update(kw)
    return Draft(**base)  # type: ignore[arg-type]


async def audits(u: UnitOfWork, action: str) -> list[AuditEntry]:
    rows = await u.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return list(rows.all())


async def test_filing_alone_numbers_it_at_once_and_keeps_the_ledger(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        first = await SuggestionService(u).file(ids["a"], draft(), NOW)
        second = await SuggestionService(u).file(ids["a"], draft(title="第二件"), NOW)
        await u.commit()
    assert first.ok and second.ok
    assert first.suggestion is not None and second.suggestion is not None
    assert first.suggestion.number == "S-2026-0001"
    assert second.suggestion.number == "S-2026-0002"
    assert first.suggestion.state == SuggestionState.FILED
    assert first.suggestion.filed_at == NOW
    # The filer pressed File and is answered directly; staff get the queue notice.
    keys = {(n.recipient_person_id, n.key) for n in first.notices}
    assert keys == {(ids["staff"], "suggestion.queued")}
    async with uow() as u:
        events = await u.suggestions.events(first.suggestion.id)
        assert [(e.action, e.from_state, e.to_state) for e in events] == [
            ("create", None, "draft"),
            ("file", "draft", "filed"),
        ]
        assert [e.actor_person_id for e in events] == [ids["a"], ids["a"]]
        assert len(await audits(u, "suggestion.file")) == 2
        assert [s.title for s in await SuggestionService(u).mine(ids["a"])] == ["第二件", "修缮村道"]


async def test_numbers_follow_the_local_year_and_a_sitting_session(uow: Callable[[], UnitOfWork]) -> None:
    """23:30 UTC on 31 Dec is 1 Jan in Shanghai: the new year's series; a sitting session's filings
    carry its code."""
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    sitting = [Session("17-3", NOW.date(), NOW.date() + timedelta(days=3))]
    async with uow() as u:
        ids = await people(u.session)
        late = await SuggestionService(u).file(ids["a"], draft(), new_year)
        during = await SuggestionService(u, sessions=sitting).file(ids["a"], draft(), NOW)
        await u.commit()
    assert late.suggestion is not None and late.suggestion.number == "S-2027-0001"
    assert during.suggestion is not None and during.suggestion.number == "S-2026-0001"
    assert during.suggestion.series_session == "17-3"


async def test_co_signers_confirm_or_decline_once_and_the_last_answer_files_it(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        out = await SuggestionService(u).file(ids["a"], draft(cosigner_person_ids=(ids["b"], ids["c"])), NOW)
        await u.commit()
    assert out.suggestion is not None
    sid = out.suggestion.id
    assert out.suggestion.state == SuggestionState.COSIGNING and out.suggestion.number is None
    assert {(n.recipient_person_id, n.key) for n in out.notices} == {
        (ids["b"], "suggestion.cosign_invited"),
        (ids["c"], "suggestion.cosign_invited"),
    }
    async with uow() as u:
        svc = SuggestionService(u)
        # Someone not invited (the constituent, the filer) cannot co-sign.
        stranger = await svc.answer_cosign(sid, ids["constituent"], True, NOW)
        assert stranger.refusal is not None and stranger.refusal.reason is RefusalReason.NO_RELATION
        filer = await svc.answer_cosign(sid, ids["a"], True, NOW)
        assert filer.refusal is not None
        yes = await svc.answer_cosign(sid, ids["b"], True, NOW)
        assert yes.ok and [n.key for n in yes.notices] == ["suggestion.cosigned"]
        assert yes.suggestion is not None and yes.suggestion.state == SuggestionState.COSIGNING
        again = await svc.answer_cosign(sid, ids["b"], False, NOW)
        assert again.refusal is not None and again.refusal.reason is RefusalReason.ALREADY_ANSWERED
        no = await svc.answer_cosign(sid, ids["c"], False, NOW)
        await u.commit()
    assert no.ok and no.suggestion is not None
    assert no.suggestion.state == SuggestionState.FILED and no.suggestion.number == "S-2026-0001"
    # The filer hears of the decline and of the number; the co-signer who confirmed hears it was filed.
    assert {(n.recipient_person_id, n.key) for n in no.notices} == {
        (ids["a"], "suggestion.cosign_declined"),
        (ids["a"], "suggestion.filed"),
        (ids["b"], "suggestion.filed"),
        (ids["staff"], "suggestion.queued"),
    }
    async with uow() as u:
        rows = {r.person_id: r.state for r in await u.suggestions.cosigners(sid)}
        assert rows == {ids["b"]: CosignerState.CONFIRMED, ids["c"]: CosignerState.DECLINED}
        events = [(e.action, e.actor_kind) for e in await u.suggestions.events(sid)]
        assert events == [
            ("create", "filer"),
            ("invite_cosigners", "filer"),
            ("cosign", "cosigner"),
            ("decline_cosign", "cosigner"),
            ("file", "filer"),
        ]
        refused = [e for e in await audits(u, "suggestion.cosign") if not e.allowed]
        assert len(refused) == 2  # the constituent and the filer
        assert [
            e.detail["reason"] for e in await audits(u, "suggestion.decline_cosign") if not e.allowed
        ] == ["already_answered"]
        # Stale: once filed, a late press is refused by the state.
        late = await SuggestionService(u).answer_cosign(sid, ids["c"], True, NOW)
        assert late.refusal is not None and late.refusal.reason is RefusalReason.STALE_STATE
        missing = await SuggestionService(u).answer_cosign(sid + 99, ids["b"], True, NOW)
        assert missing.refusal is not None


async def test_filing_refuses_what_is_not_right(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        svc = SuggestionService(u)
        cases = {
            "not_deputy": (ids["constituent"], draft()),
            "empty": (ids["a"], draft(title="  ")),
            "too_long": (ids["a"], draft(text="长" * 3001)),
            "category": (ids["a"], draft(category="nope")),
            "cosigner_is_filer": (ids["a"], draft(cosigner_person_ids=(ids["a"],))),
            "cosigners": (ids["a"], draft(cosigner_person_ids=(ids["b"], ids["b"]))),
            "cosigner_not_deputy": (ids["a"], draft(cosigner_person_ids=(ids["staff"],))),
        }
        for problem, (person, d) in cases.items():
            out = await svc.file(person, d, NOW)
            assert out.refusal is not None and out.refusal.detail == problem, problem
        assert await u.session.scalar(select(Suggestion.id)) is None
        assert len([e for e in await audits(u, "suggestion.file") if not e.allowed]) == len(cases)


async def test_a_dialog_files_once_and_an_opinion_s_sender_follows(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        holder = await u.people.deputy_of(ids["a"])
        assert holder is not None
        opinion = Opinion(
            tracking_no="LX-2026-000001",
            sender_person_id=ids["constituent"],
            category="transport",
            text="路坏了",
            holder_deputy_id=holder.id,
        )
        u.session.add(opinion)
        await u.flush()
        # Only the deputy who holds the opinion makes it a suggestion.
        other = await SuggestionService(u).file(ids["b"], draft(source_opinion_ids=(opinion.id,)), NOW)
        assert other.refusal is not None and other.refusal.detail == "opinion_not_held"
        d = draft(dialog_key="k1", source_opinion_ids=(opinion.id,))
        first = await SuggestionService(u).file(ids["a"], d, NOW)
        twice = await SuggestionService(u).file(ids["a"], d, NOW)
        await u.commit()
    assert first.suggestion is not None and twice.suggestion is not None
    assert twice.suggestion.id == first.suggestion.id and twice.notices == []
    assert (ids["constituent"], "suggestion.filed_from_opinion") in {
        (n.recipient_person_id, n.key) for n in first.notices
    }
    assert first.suggestion.source_opinion_ids == [opinion.id]
    async with uow() as u:  # the same opinion once more: refused
        again = await SuggestionService(u).file(ids["a"], draft(source_opinion_ids=(opinion.id,)), NOW)
        assert again.refusal is not None and again.refusal.detail == "opinion_already_suggested"
        made = await SuggestionService(u).made_from(ids["a"], opinion.id)
        assert made is not None and made.id == first.suggestion.id
    assert Action.FILE in [t.action for t in first.transitions]


async def test_staff_file_a_paper_suggestion_on_a_deputy_s_behalf(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        svc = SuggestionService(u)
        out = await svc.file_from_paper(ids["staff"], ids["a"], draft(cosigner_person_ids=(ids["b"],)), NOW)
        # Only staff, and only for a deputy.
        deputy = await svc.file_from_paper(ids["b"], ids["a"], draft(), NOW)
        nobody = await svc.file_from_paper(ids["staff"], ids["constituent"], draft(), NOW)
        await u.commit()
    assert out.ok and out.suggestion is not None
    s = out.suggestion
    assert s.state == SuggestionState.FILED and s.number == "S-2026-0001"
    assert s.on_behalf_of_paper and s.recorded_by_person_id == ids["staff"] and s.filer_person_id == ids["a"]
    # The deputy is told the number (the staff member pressed, not them).
    assert (ids["a"], "suggestion.filed") in {(n.recipient_person_id, n.key) for n in out.notices}
    assert deputy.refusal is not None and deputy.refusal.detail == "not_staff"
    assert nobody.refusal is not None and nobody.refusal.detail == "not_deputy"
    async with uow() as u:
        assert await u.suggestions.cosigners(s.id) == []
        events = [(e.action, e.actor_kind, e.actor_person_id) for e in await u.suggestions.events(s.id)]
        assert events == [("create", "staff", ids["staff"]), ("file", "staff", ids["staff"])]


async def test_two_filings_at_once_never_share_a_number(
    uow: Callable[[], UnitOfWork], engine: AsyncEngine
) -> None:
    """PostgreSQL: two deputies file at the same moment; the series counter makes the second wait for
    the first's commit, so it reads the number just issued. (SQLite has one writer: nothing to race.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("one writer on SQLite")
    async with uow() as u:
        ids = await people(u.session)
        await u.commit()

    async def one(person: int, hold: float) -> str | None:
        async with uow() as u:
            out = await SuggestionService(u).file(person, draft(), NOW)
            await asyncio.sleep(hold)  # the first keeps its transaction open a while
            await u.commit()
            return out.suggestion.number if out.suggestion is not None else None

    numbers = await asyncio.gather(one(ids["a"], 0.3), one(ids["b"], 0.0))
    assert sorted(n or "" for n in numbers) == ["S-2026-0001", "S-2026-0002"]
