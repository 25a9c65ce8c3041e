"""A unit's requests after 交办: "not ours" (reassign, with a reason) and more time (extension), each
once per lead unit, only by that unit's officer, reaching staff with the reason."""

from __future__ import annotations

from collections.abc import Callable

from bot.suggestions.assign import AssignmentService, Pick, Proposal
from bot.suggestions.lifecycle import RefusalReason
from storage.models import Unit
from storage.models.suggestions import SuggestionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions.test_assign import LATER, filed, units
from tests.suggestions.test_service import people


async def published(u: UnitOfWork, ids: dict[str, int]) -> tuple[int, dict[str, int]]:
    codes = await units(u, ids)
    sid = await filed(u, ids)
    service = AssignmentService(u)
    assert (await service.prepare(sid, ids["staff"], codes["U1"], [codes["U2"]], LATER)).ok
    assert (await service.publish(ids["staff"], LATER))[0].ok
    return sid, codes


async def test_not_ours_once_by_the_lead_units_officer(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        sid, _ = await published(u, ids)
        service = AssignmentService(u)
        co = await service.request_reassign(sid, ids["c"], "不归我们管", LATER)  # the co-unit's officer
        assert co.refusal is not None and co.refusal.reason is RefusalReason.NO_RELATION
        blank = await service.request_reassign(sid, ids["b"], " ", LATER)
        assert blank.refusal is not None and blank.refusal.reason is RefusalReason.REASON_REQUIRED
        done = await service.request_reassign(sid, ids["b"], "属于公路局职责", LATER)
        assert done.ok and done.suggestion is not None
        assert done.suggestion.state == SuggestionState.REASSIGN_REQUESTED
        assert [(n.recipient_person_id, n.key, n.params["reason"]) for n in done.notices] == [
            (ids["staff"], "suggestion.reassign_requested", "属于公路局职责")
        ]
        # Staff deny it (handling goes on): the same unit may not ask again.
        done.suggestion.state = SuggestionState.HANDLING.value
        again = await service.request_reassign(sid, ids["b"], "再次申请", LATER)
        assert again.refusal is not None and again.refusal.reason is RefusalReason.ALREADY_ASKED


async def test_extension_once_while_handling(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        ids = await people(u.session)
        sid, _ = await published(u, ids)
        service = AssignmentService(u)
        early = await service.request_extension(sid, ids["b"], "需要调研", LATER)
        assert (
            early.refusal is not None and early.refusal.reason is RefusalReason.STALE_STATE
        )  # not signed for
        suggestion = await service.get(sid)
        assert suggestion is not None
        suggestion.state = SuggestionState.HANDLING.value  # signed for (办理, not built here)
        done = await service.request_extension(sid, ids["b"], "需要调研", LATER)
        assert done.ok and [n.key for n in done.notices] == ["suggestion.extension_requested"]
        done.suggestion.state = SuggestionState.HANDLING.value  # type: ignore[union-attr]
        again = await service.request_extension(sid, ids["b"], "还要时间", LATER)
        assert again.refusal is not None and again.refusal.reason is RefusalReason.ALREADY_ASKED


def test_the_picker_keeps_the_lead_out_of_the_co_units() -> None:
    u1, u2 = (Unit(id=i, code=f"U{i}", name=f"单位{i}", kind="government") for i in (1, 2))
    pick = Pick.proposed_for(7, Proposal(u1, (u2,), (u1, u2)))
    assert (pick.lead, pick.co, pick.proposed) == (1, [2], [1, 2])
    pick.toggle_co(1)  # the lead cannot also co-handle
    assert pick.co == [2]
    pick.choose_lead(2)
    assert (pick.lead, pick.co) == (2, [])
    pick.toggle_co(1)
    pick.toggle_co(1)
    assert pick.co == []
    pick.typed_units([3, 1])
    assert (pick.lead, pick.co, pick.proposed) == (3, [1], [1, 2, 3])
    assert Pick.from_dict(pick.to_dict()) == pick
    assert Pick.from_dict({"nonsense": 1}) is None
