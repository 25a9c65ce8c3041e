"""Filing after the first File through the services, on both backends: merging duplicates (合并), a returned
suggestion revised and filed again or withdrawn, staff filing from paper (the deputy found by code or
name), a deputy group's joint filing (专业小组联名), and the co-signers' clock (reminded once after three
days, lapsed after seven) — each with its refusals for the wrong person and the stale state, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.i18n import translator
from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import load_settings
from bot.suggestions import notices
from bot.suggestions.assign import AssignmentService
from bot.suggestions.filing import LAPSE_AFTER, REMIND_AFTER, FilingService, remind_cosigners
from bot.suggestions.lifecycle import TRANSITIONS, Action, Audience, RefusalReason
from bot.suggestions.merge import JOINED, MergeService, parse_number
from bot.suggestions.service import MAX_COSIGNERS, MAX_GROUP_COSIGNERS, Draft, Notice, Outcome
from bot.suggestions.views import NoticeContext
from storage.models import (
    AuditEntry,
    Deputy,
    DeputyGroup,
    GroupMembership,
    Opinion,
    OutboxMessage,
    Person,
    PersonRole,
    Role,
    Unit,
)
from storage.models.opinions import OpinionState
from storage.models.suggestions import CosignerState, Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
R = RefusalReason


async def people(session: AsyncSession) -> dict[str, int]:
    """Deputies a (files), b, c, d; staff; a constituent; group g1 = a, b, c; group g2 = b, d."""
    names = (("孙建国", "D1"), ("吴明", "D2"), ("李秀英", "D3"), ("张伟", "D4"))
    a, b, c, d = (Person(name=n, code=code) for n, code in names)
    staff, constituent, neighbour = Person(name="办公室小张"), Person(name="周小梅"), Person(name="吴大海")
    session.add_all([a, b, c, d, staff, constituent, neighbour])
    await session.flush()
    deputies = [Deputy(person_id=p.id, level="county") for p in (a, b, c, d)]
    session.add_all(deputies)
    session.add(PersonRole(person_id=staff.id, role=Role.STAFF.value))
    g1, g2 = DeputyGroup(code="g1", name="交通专业小组"), DeputyGroup(code="g2", name="农业代表小组")
    session.add_all([g1, g2])
    await session.flush()
    session.add_all(
        [GroupMembership(group_id=g1.id, deputy_id=deputies[i].id) for i in (0, 1, 2)]
        + [GroupMembership(group_id=g2.id, deputy_id=deputies[i].id) for i in (1, 3)]
    )
    await session.flush()
    ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "staff": staff.id, "constituent": constituent.id}
    ids["neighbour"] = neighbour.id
    return {**ids, "g1": g1.id, "g2": g2.id, "da": deputies[0].id, "db": deputies[1].id}


def draft(**kw: object) -> Draft:
    base: dict[str, object] = {"title": "修缮村道", "text": "村道破损，建议修缮。", "category": "transport"}
    base.update(kw)
    return Draft(**base)  # type: ignore[arg-type]


async def opinion(
    u: UnitOfWork, ids: dict[str, int], holder: str, no: int, sender: str = "constituent"
) -> int:
    deputy = await u.people.deputy_of(ids[holder])
    assert deputy is not None
    row = Opinion(
        tracking_no=f"LX-2026-{no:06d}",
        sender_person_id=ids[sender],
        category="transport",
        text="路坏了",
        holder_deputy_id=deputy.id,
        state=OpinionState.ACCEPTED.value,
    )
    u.session.add(row)
    await u.flush()
    return row.id


async def refusals(u: UnitOfWork, action: str) -> list[str]:
    rows = await u.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == f"suggestion.{action}", AuditEntry.allowed.is_(False))
        .order_by(AuditEntry.id)
    )
    return [str((e.detail or {}).get("reason")) for e in rows]


def told(outcome: Outcome) -> set[tuple[int, str]]:
    return {(n.recipient_person_id, n.key) for n in outcome.notices}


def refused(outcome: Outcome) -> RefusalReason | None:
    return outcome.refusal.reason if outcome.refusal is not None else None


# -- merging ---------------------------------------------------------------------------------------


async def test_merge_moves_filers_cosigners_and_followers_to_the_target(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        target_op, dup_op = await opinion(u, ids, "b", 1, "neighbour"), await opinion(u, ids, "a", 2)
        target = (
            await FilingService(u).file(ids["b"], draft(source_opinion_ids=(target_op,)), NOW)
        ).suggestion
        dup = (
            await FilingService(u).file(
                ids["a"], draft(cosigner_person_ids=(ids["c"], ids["d"]), source_opinion_ids=(dup_op,)), NOW
            )
        ).suggestion
        assert target is not None and dup is not None
        await FilingService(u).answer_cosign(dup.id, ids["c"], True, NOW)
        await FilingService(u).answer_cosign(dup.id, ids["d"], False, NOW)
        await u.commit()
    assert dup.number == "S-2026-0002" and target.number == "S-2026-0001"
    async with uow() as u:
        svc = MergeService(u)
        # Wrong role: a deputy (even the target's filer), a constituent.
        for who in ("b", "a", "constituent"):
            assert refused(await svc.merge(dup.id, ids[who], target.id, NOW)) is R.NO_RELATION
        assert refused(await svc.merge(dup.id, ids["staff"], dup.id, NOW)) is R.MERGE_TARGET_INVALID
        assert refused(await svc.merge(dup.id, ids["staff"], target.id + 99, NOW)) is R.MERGE_TARGET_INVALID
        done = await svc.merge(dup.id, ids["staff"], target.id, NOW)
        await u.commit()
    assert done.ok and done.suggestion is not None and done.suggestion.state == SuggestionState.MERGED
    assert told(done) == {
        (ids["a"], "suggestion.merged"),  # its filer
        (ids["c"], "suggestion.merged"),  # its co-signer who confirmed (d declined)
        (ids["constituent"], "suggestion.merged"),  # its opinion's sender
        (ids["b"], "suggestion.merged_into_yours"),  # the target's filer
    }
    assert {n.params["into"] for n in done.notices} == {"S-2026-0001"}
    async with uow() as u:
        merged = await u.suggestions.get(dup.id)
        joined = await u.suggestions.get(target.id)
        assert merged is not None and joined is not None
        assert merged.merged_into_id == target.id
        assert joined.source_opinion_ids == [target_op, dup_op]
        rows = {r.person_id: r.state for r in await u.suggestions.cosigners(target.id)}
        assert rows == {ids["a"]: CosignerState.CONFIRMED, ids["c"]: CosignerState.CONFIRMED}
        assert [(e.action, e.note) for e in await u.suggestions.events(dup.id)][-1] == (
            "merge",
            "S-2026-0001",
        )
        assert [(e.action, e.note) for e in await u.suggestions.events(target.id)][-1] == (
            JOINED,
            "S-2026-0002 (2 co-signers)",
        )
        # The target's followers now include the merged one's sender; its co-signers the merged filer.
        later = await FilingService(u)._audience(joined, Audience.FOLLOWERS)
        assert [p for p, _ in later] == [ids["neighbour"], ids["constituent"]]
        # Stale: merging the merged one again; merging into it.
        svc = MergeService(u)
        again = await svc.merge(dup.id, ids["staff"], target.id, NOW)
        assert refused(again) is R.FINAL
        other = (await svc.file(ids["d"], draft(title="另一件"), NOW)).suggestion
        assert other is not None
        into_merged = await svc.merge(other.id, ids["staff"], dup.id, NOW)
        assert into_merged.refusal is not None and into_merged.refusal.detail == "merged"
        assert await refusals(u, "merge") == [
            "no_relation",
            "no_relation",
            "no_relation",
            "merge_target_invalid",
            "merge_target_invalid",
            "final",
            "merge_target_invalid",
        ]


async def test_merge_into_an_assigned_suggestion_takes_the_opinions_off_their_clock(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        unit = Unit(code="U1", name="交通局", kind="government")
        u.session.add(unit)
        await u.flush()
        dup_op = await opinion(u, ids, "a", 3)
        target = (await AssignmentService(u).file(ids["b"], draft(), NOW)).suggestion
        dup = (await AssignmentService(u).file(ids["a"], draft(source_opinion_ids=(dup_op,)), NOW)).suggestion
        assert target is not None and dup is not None
        await AssignmentService(u).prepare(target.id, ids["staff"], unit.id, [], NOW)
        await AssignmentService(u).publish(ids["staff"], NOW)
        # The target went out at the 交办会; the duplicate was returned to its filer meanwhile.
        await AssignmentService(u).return_to_filer(dup.id, ids["staff"], "与 S-2026-0001 重复", NOW)
        checked = await MergeService(u).check(dup.id, ids["staff"], None, "s-2026-0001")
        assert isinstance(checked, tuple) and checked[1].id == target.id
        done = await MergeService(u).merge(dup.id, ids["staff"], target.id, NOW)
        await u.commit()
    assert done.ok
    async with uow() as u:
        row = await u.opinions.get(dup_op)
        assert row is not None and row.state == OpinionState.ESCALATED
        assert row.answer_deadline is None


def test_typed_numbers() -> None:
    assert parse_number(" s-2026-0003 ") == "S-2026-0003"
    assert parse_number("S - 2026 - 12345") == "S-2026-12345"
    assert parse_number("2026-0003") is None
    assert parse_number("S-2026-3") is None


# -- refile and withdraw ---------------------------------------------------------------------------


async def test_a_returned_suggestion_is_revised_and_filed_again_under_its_number(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        s = await FilingService(u).file(
            ids["a"], draft(attachments=({"kind": "photo", "file_id": "f1"},)), NOW
        )
        assert s.suggestion is not None
        sid = s.suggestion.id
        svc = FilingService(u)
        # Not returned yet: refile is stale.
        assert refused(await svc.refile(sid, ids["a"], draft(), NOW)) is R.STALE_STATE
        await svc.return_to_filer(sid, ids["staff"], "请补充调研材料", NOW)
        revised = draft(title="修缮丙村村道", text="补充：已调研三处破损。", attachments=())
        # Wrong person: another deputy, staff, a constituent; an empty text.
        for who in ("b", "staff", "constituent"):
            assert refused(await svc.refile(sid, ids[who], revised, NOW)) is R.NO_RELATION
        assert refused(await svc.refile(sid, ids["a"], draft(text="  "), NOW)) is R.DRAFT_INVALID
        done = await svc.refile(sid, ids["a"], revised, NOW + timedelta(days=1))
        twice = await svc.refile(sid, ids["a"], revised, NOW + timedelta(days=1))
        await u.commit()
    assert done.ok and done.suggestion is not None
    s2 = done.suggestion
    assert (s2.state, s2.number, s2.title, s2.attachments) == ("filed", "S-2026-0001", "修缮丙村村道", None)
    assert told(done) == {(ids["staff"], "suggestion.refiled")}
    assert refused(twice) is R.STALE_STATE
    async with uow() as u:
        events = [(e.action, e.actor_kind, e.note) for e in await u.suggestions.events(sid)][-2:]
        assert events == [
            ("return", "staff", "请补充调研材料"),
            ("refile", "filer", "title,text,attachments"),
        ]
        assert await refusals(u, "refile") == [
            "stale_state",
            *["no_relation"] * 3,
            "draft_invalid",
            "stale_state",
        ]
        assert [q.id for q in await AssignmentService(u).queue()] == [sid]


async def test_withdraw_tells_cosigners_followers_and_staff(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        op = await opinion(u, ids, "a", 4)
        svc = FilingService(u)
        waiting = (await svc.file(ids["a"], draft(cosigner_person_ids=(ids["b"],)), NOW)).suggestion
        filed = (
            await svc.file(ids["a"], draft(cosigner_person_ids=(ids["c"],), source_opinion_ids=(op,)), NOW)
        ).suggestion
        assert waiting is not None and filed is not None
        await svc.answer_cosign(filed.id, ids["c"], True, NOW)
        await svc.return_to_filer(filed.id, ids["staff"], "重复", NOW)
        for who in ("b", "staff", "constituent"):
            assert refused(await svc.withdraw(filed.id, ids[who], NOW)) is R.NO_RELATION
        early = await svc.withdraw(waiting.id, ids["a"], NOW)
        late = await svc.withdraw(filed.id, ids["a"], NOW)
        again = await svc.withdraw(filed.id, ids["a"], NOW)
        await u.commit()
    # Withdrawn while co-signers were asked: the one still asked hears it; staff never had it.
    assert early.ok and told(early) == {(ids["b"], "suggestion.withdrawn")}
    assert late.ok and told(late) == {
        (ids["c"], "suggestion.withdrawn"),
        (ids["constituent"], "suggestion.withdrawn"),
        (ids["staff"], "suggestion.withdrawn"),
    }
    assert refused(again) is R.FINAL
    async with uow() as u:
        assert await refusals(u, "withdraw") == ["no_relation"] * 3 + ["final"]
        assigned = (await FilingService(u).file(ids["a"], draft(title="已交办"), NOW)).suggestion
        assert assigned is not None
        assigned.state = SuggestionState.ASSIGNED.value
        assert refused(await FilingService(u).withdraw(assigned.id, ids["a"], NOW)) is R.STALE_STATE


# -- paper, groups --------------------------------------------------------------------------------


async def test_staff_find_the_paper_suggestion_s_deputy_by_code_or_name(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        svc = FilingService(u)
        assert await svc.find_deputies("d2") == [(ids["b"], "吴明", "D2")]
        assert [p for p, _, _ in await svc.find_deputies("秀")] == [ids["c"]]
        assert await svc.find_deputies("%") == []  # a wildcard is a character, not "everyone"
        assert await svc.find_deputies("周小梅") == []  # a constituent is no deputy
        assert await svc.deputy_named(ids["constituent"]) is None
        out = await svc.file_from_paper(ids["staff"], ids["b"], draft(), NOW)
        assert out.ok and (ids["b"], "suggestion.filed") in told(out)


async def test_a_group_files_jointly_its_members_each_confirm(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        svc = FilingService(u)
        groups = await svc.groups_for(ids["a"])
        assert [(g.name, g.person_ids) for g in groups] == [("交通专业小组", (ids["b"], ids["c"]))]
        assert await svc.group_choice(ids["a"], ids["g2"]) is None  # not a member of g2
        joint = draft(cosigner_person_ids=groups[0].person_ids, group_id=ids["g1"])
        outsider = draft(cosigner_person_ids=(ids["b"], ids["d"]), group_id=ids["g1"])
        assert (await svc.file(ids["a"], outsider, NOW)).refusal.detail == "cosigner_not_in_group"  # type: ignore[union-attr]
        not_member = draft(cosigner_person_ids=(ids["b"],), group_id=ids["g2"])
        assert (await svc.file(ids["a"], not_member, NOW)).refusal.detail == "not_group_member"  # type: ignore[union-attr]
        out = await svc.file(ids["a"], joint, NOW)
        assert out.suggestion is not None and out.suggestion.group_id == ids["g1"]
        assert told(out) == {(ids["b"], "suggestion.cosign_invited"), (ids["c"], "suggestion.cosign_invited")}
        await svc.answer_cosign(out.suggestion.id, ids["b"], True, NOW)
        last = await svc.answer_cosign(out.suggestion.id, ids["c"], False, NOW)
        assert last.suggestion is not None and last.suggestion.state == SuggestionState.FILED
        assert await svc.group_name(out.suggestion.group_id) == "交通专业小组"


def test_a_group_may_invite_more_than_one_deputy_picks() -> None:
    from bot.suggestions.service import draft_problem

    many = tuple(range(100, 100 + MAX_COSIGNERS + 5))
    assert draft_problem(draft(cosigner_person_ids=many), 1) == "cosigners"
    assert draft_problem(draft(cosigner_person_ids=many, group_id=7), 1) is None
    too_many = tuple(range(100, 100 + MAX_GROUP_COSIGNERS + 1))
    assert draft_problem(draft(cosigner_person_ids=too_many, group_id=7), 1) == "cosigners"


# -- the co-signers' clock -------------------------------------------------------------------------


async def test_silent_cosigners_are_reminded_once_then_may_be_filed_without(
    uow: Callable[[], UnitOfWork],
) -> None:
    async with uow() as u:
        ids = await people(u.session)
        out = await FilingService(u).file(
            ids["a"], draft(cosigner_person_ids=(ids["b"], ids["c"], ids["d"])), NOW
        )
        assert out.suggestion is not None
        sid = out.suggestion.id
        await FilingService(u).answer_cosign(sid, ids["b"], True, NOW + timedelta(days=1))
        await u.commit()
    async with uow() as u:
        assert await FilingService(u).remind_due(NOW + REMIND_AFTER - timedelta(minutes=1)) == []
        reminded = await FilingService(u).remind_due(NOW + REMIND_AFTER)
        await u.commit()
    [outcome] = reminded
    # The silent ones (not b, who confirmed) are reminded; the filer gets the status card.
    assert told(outcome) == {
        (ids["c"], "suggestion.cosign_reminder"),
        (ids["d"], "suggestion.cosign_reminder"),
        (ids["a"], "suggestion.cosign_reminded"),
    }
    card = next(n for n in outcome.notices if n.key == "suggestion.cosign_reminded")
    assert card.params["silent"] == ["李秀英", "张伟"] and card.params["lapse_on"] == "2026-03-08"
    async with uow() as u:
        assert await FilingService(u).remind_due(NOW + timedelta(days=5)) == []  # once only
        svc = FilingService(u)
        # Too early, the wrong person, and c answering in between.
        early = await svc.file_without_silent(sid, ids["a"], NOW + LAPSE_AFTER - timedelta(minutes=1))
        assert early.refusal is not None and early.refusal.reason is R.COSIGNERS_NOT_OVERDUE
        assert early.refusal.detail == "2026-03-08"
        for who in ("b", "c", "staff"):
            assert refused(await svc.file_without_silent(sid, ids[who], NOW + LAPSE_AFTER)) is R.NO_RELATION
        await svc.answer_cosign(sid, ids["c"], False, NOW + timedelta(days=6))
        done = await svc.file_without_silent(sid, ids["a"], NOW + LAPSE_AFTER)
        twice = await svc.file_without_silent(sid, ids["a"], NOW + LAPSE_AFTER)
        await u.commit()
    assert done.ok and done.suggestion is not None
    assert (done.suggestion.state, done.suggestion.number) == ("filed", "S-2026-0001")
    assert told(done) == {
        (ids["d"], "suggestion.cosign_lapsed"),  # lapsed, not declined
        (ids["b"], "suggestion.filed"),  # the co-signer who confirmed
        (ids["staff"], "suggestion.queued"),
    }
    assert refused(twice) is R.STALE_STATE
    async with uow() as u:
        rows = {r.person_id: r.state for r in await u.suggestions.cosigners(sid)}
        assert rows == {ids["b"]: "confirmed", ids["c"]: "declined", ids["d"]: "lapsed"}
        assert await u.suggestions.pending_cosigners(sid) == 0
        events = [(e.action, e.actor_kind, e.note) for e in await u.suggestions.events(sid)]
        assert ("remind_cosigners", "system", "2") in events
        assert events[-2:] == [("lapse_cosigners", "filer", "1"), ("file", "filer", None)]
        assert await refusals(u, "lapse_cosigners") == [
            "cosigners_not_overdue",
            *["no_relation"] * 3,
            "stale_state",
        ]
        # A lapsed co-signer's late press is stale.
        late = await FilingService(u).answer_cosign(sid, ids["d"], True, NOW + timedelta(days=8))
        assert refused(late) is R.STALE_STATE


# -- every notice of this part renders in both languages --------------------------------------------

KEYS = {
    "suggestion.merged",
    "suggestion.merged_into_yours",
    "suggestion.refiled",
    "suggestion.withdrawn",
    "suggestion.cosign_reminder",
    "suggestion.cosign_reminded",
    "suggestion.cosign_lapsed",
}


def test_this_part_s_keys_are_the_lifecycle_s() -> None:
    declared = {n.key for rule in TRANSITIONS for n in rule.notifies if rule.action in _ACTIONS}
    assert declared == KEYS | {"suggestion.filed"}


_ACTIONS = {Action.MERGE, Action.REFILE, Action.WITHDRAW, Action.REMIND_COSIGNERS, Action.LAPSE_COSIGNERS}


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize("audience", ["filer", "cosigners", "followers", "staff", "merge_target"])
def test_every_new_notice_renders_escaped(locale: str, audience: str) -> None:
    tr = translator(locale)
    s = Suggestion(
        id=7, number="S-2026-0007", title="<b>路</b>", text="x", category="transport", filer_person_id=1
    )
    s.state = SuggestionState.MERGED.value
    recipient = 1 if audience == "filer" else 2
    for key in sorted(KEYS):
        params = {"audience": audience, "into": "S-2026-0001", "tracking_no": "LX-2026-000001"}
        params |= {"silent": ["<i>吴</i>"], "lapse_on": "2026-03-08"}
        ctx = NoticeContext(s, "孙建国", "—", ("—", []), recipient)
        rendered = notices.render(tr, Notice(recipient, key, s.id, params), ctx)
        assert rendered is not None, key
        text, _ = rendered
        assert "<b>路</b>" not in text and "<i>" not in text, (key, text)
        assert "{" not in text, (key, text)


async def test_the_reminder_job_waits_for_the_end_of_quiet_hours(uow: Callable[[], UnitOfWork]) -> None:
    """Filed at 23:00 in Shanghai: three days later at 23:00 the reminders are queued for 08:00."""
    night = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    async with uow() as u:
        ids = await people(u.session)
        for key, telegram_id in (("a", 201), ("b", 202)):
            person = await u.people.get(ids[key])
            assert person is not None
            person.telegram_id = telegram_id
        await FilingService(u).file(ids["a"], draft(cosigner_person_ids=(ids["b"],)), night)
        await u.commit()
    async with uow() as u:
        count = await remind_cosigners(u, load_settings(), SlaPolicy(), night + REMIND_AFTER)
        await u.commit()
    assert count == 1
    async with uow() as u:
        rows = list(await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id)))
    assert [r.chat_id for r in rows] == [201, 202]  # the filer's status card, the co-signer's reminder
    assert {r.not_before for r in rows} == {datetime(2026, 3, 5, 0, 0, tzinfo=UTC)}  # 08:00 local
