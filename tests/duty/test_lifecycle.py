"""The duty day's and the swap's declared machines: every row walked, every refusal named."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.duty import lifecycle
from bot.duty.lifecycle import (
    DAY_RULES,
    SWAP_FINAL,
    SWAP_RULES,
    ActorKind,
    Audience,
    DayAction,
    DayState,
    Facts,
    Refusal,
    RefusalReason,
    SwapAction,
    SwapState,
    Transition,
    decide_day,
    decide_swap,
    mermaid,
)

TODAY = date(2026, 3, 10)
K = ActorKind
S = SwapState
R = RefusalReason


def facts(**kw: object) -> Facts:
    return Facts(today=kw.pop("today", TODAY), day=kw.pop("day", TODAY + timedelta(days=2)), **kw)  # type: ignore[arg-type]


def test_the_docstring_shows_the_generated_diagrams() -> None:
    doc = lifecycle.__doc__ or ""
    for diagram in mermaid():
        assert diagram.strip() in doc


@pytest.mark.parametrize("rule", SWAP_RULES, ids=lambda r: str(r.action))
def test_every_swap_row_moves_for_its_actors_from_each_source(rule: lifecycle.Rule) -> None:
    for source in rule.sources:
        for who in rule.who:
            result = decide_swap(source, rule.action, who, facts())
            assert isinstance(result, Transition), (source, who, result)
            assert result.target == rule.target and result.actor is who


@pytest.mark.parametrize("rule", SWAP_RULES, ids=lambda r: str(r.action))
def test_every_swap_row_refuses_everyone_else(rule: lifecycle.Rule) -> None:
    for other in set(ActorKind) - rule.who:
        for source in rule.sources:
            result = decide_swap(source, rule.action, other, facts())
            assert isinstance(result, Refusal) and result.reason is R.NOT_PERMITTED, (other, result)


def test_final_states_refuse_everything_as_final() -> None:
    for state in SWAP_FINAL:
        for action in SwapAction:
            for who in ActorKind:
                result = decide_swap(state, action, who, facts())
                assert isinstance(result, Refusal)
                assert result.reason in (R.FINAL, R.NOT_PERMITTED), (state, action, who, result)
    # The second approve of an approved swap: stale (final), not a forgery.
    assert decide_swap(S.APPROVED, SwapAction.APPROVE, K.HEAD, facts()) == Refusal(
        R.FINAL, "approve not from approved"
    )


def test_the_swap_walks_request_accept_approve() -> None:
    made = decide_swap(None, SwapAction.REQUEST, K.REQUESTER, facts())
    assert isinstance(made, Transition) and made.target is S.REQUESTED
    assert [n.audience for n in made.notifies] == [Audience.PARTNER]
    accepted = decide_swap(S.REQUESTED, SwapAction.ACCEPT, K.PARTNER, facts())
    assert isinstance(accepted, Transition) and accepted.target is S.ACCEPTED
    assert {n.audience for n in accepted.notifies} == {Audience.REQUESTER, Audience.APPROVERS}
    approved = decide_swap(S.ACCEPTED, SwapAction.APPROVE, [K.HEAD, K.STAFF], facts())
    assert isinstance(approved, Transition) and approved.target is S.APPROVED and approved.actor is K.HEAD
    assert {n.audience for n in approved.notifies} == {Audience.REQUESTER, Audience.PARTNER}


def test_out_of_order_and_guards() -> None:
    # The head cannot approve before the partner agreed: stale, not forbidden.
    early = decide_swap(S.REQUESTED, SwapAction.APPROVE, K.HEAD, facts())
    assert isinstance(early, Refusal) and early.reason is R.STALE_STATE
    # The partner may not approve; the requester may not accept their own request.
    assert decide_swap(S.ACCEPTED, SwapAction.APPROVE, K.PARTNER, facts()).reason is R.NOT_PERMITTED  # type: ignore[union-attr]
    assert decide_swap(S.REQUESTED, SwapAction.ACCEPT, K.REQUESTER, facts()).reason is R.NOT_PERMITTED  # type: ignore[union-attr]
    past = facts(day=TODAY - timedelta(days=1))
    assert decide_swap(S.REQUESTED, SwapAction.ACCEPT, K.PARTNER, past) == Refusal(R.DAY_PASSED)
    assert decide_swap(S.ACCEPTED, SwapAction.APPROVE, K.HEAD, facts(checked_in=True)) == Refusal(
        R.DAY_PASSED
    )
    assert decide_swap(S.ACCEPTED, SwapAction.APPROVE, K.HEAD, facts(partner_busy=True)) == Refusal(
        R.PARTNER_BUSY
    )
    # Declining or rejecting needs no guard: a day gone by may still be declined.
    assert isinstance(decide_swap(S.REQUESTED, SwapAction.DECLINE, K.PARTNER, past), Transition)
    assert decide_swap(S.ACCEPTED, "steal", K.HEAD, facts()) == Refusal(R.UNKNOWN_ACTION, "steal")
    assert decide_swap(S.ACCEPTED, SwapAction.APPROVE, [], facts()) == Refusal(R.NO_RELATION)


def test_the_day_machine() -> None:
    today = facts(day=TODAY)
    checked = decide_day(DayState.ROSTERED, DayAction.CHECK_IN, K.DEPUTY, today)
    assert isinstance(checked, Transition) and checked.target is DayState.CHECKED_IN
    # Twice: stale.
    assert decide_day(DayState.CHECKED_IN, DayAction.CHECK_IN, K.DEPUTY, today).reason is R.STALE_STATE  # type: ignore[union-attr]
    # Not on the day: before or after.
    assert decide_day(DayState.ROSTERED, DayAction.CHECK_IN, K.DEPUTY, facts()) == Refusal(
        R.NOT_TODAY, "2026-03-12"
    )
    # Only the deputy on duty checks in; a head does not check in for them.
    assert decide_day(DayState.ROSTERED, DayAction.CHECK_IN, K.HEAD, today).reason is R.NOT_PERMITTED  # type: ignore[union-attr]
    # The place once, after the check-in.
    assert isinstance(decide_day(DayState.CHECKED_IN, DayAction.SHARE_LOCATION, K.DEPUTY, today), Transition)
    located = facts(day=TODAY, located=True)
    assert decide_day(DayState.CHECKED_IN, DayAction.SHARE_LOCATION, K.DEPUTY, located) == Refusal(
        R.ALREADY_LOCATED
    )
    assert decide_day(DayState.ROSTERED, DayAction.SHARE_LOCATION, K.DEPUTY, today).reason is R.STALE_STATE  # type: ignore[union-attr]
    # Adding and removing: head or staff, from today on; a checked-in day stays.
    assert isinstance(decide_day(None, DayAction.ADD, K.HEAD, today), Transition)
    assert decide_day(None, DayAction.ADD, K.STAFF, facts(day=TODAY - timedelta(days=1))) == Refusal(
        R.DAY_PASSED
    )
    assert decide_day(None, DayAction.ADD, K.DEPUTY, today).reason is R.NOT_PERMITTED  # type: ignore[union-attr]
    assert decide_day(DayState.CHECKED_IN, DayAction.REMOVE, K.HEAD, today).reason is R.STALE_STATE  # type: ignore[union-attr]
    # One swap at a time.
    assert decide_day(DayState.ROSTERED, DayAction.ASK_SWAP, K.DEPUTY, facts(open_swap=True)) == Refusal(
        R.SWAP_OPEN
    )


def test_tables_are_indexed_once_per_state_and_action() -> None:
    pairs = [(s, r.action) for r in (*DAY_RULES, *SWAP_RULES) for s in r.sources]
    assert len(pairs) == len(set(pairs))
