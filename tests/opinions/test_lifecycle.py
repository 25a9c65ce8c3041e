"""The declared transition table: every allowed move, every refusal, the generated diagram."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from bot.opinions.lifecycle import (
    TRANSITIONS,
    Action,
    ActorKind,
    Refusal,
    RefusalReason,
    Transition,
    allowed_actions,
    decide,
    mermaid,
    rule_for,
)
from storage.models.opinions import FINAL_STATES, OpinionState

S, A, K = OpinionState, Action, ActorKind
ALLOWED = [
    (rule, src, who) for rule in TRANSITIONS for src in sorted(rule.sources) for who in sorted(rule.who)
]


class TestAllowed:
    @pytest.mark.parametrize(
        ("rule", "source", "who"), ALLOWED, ids=[f"{r.action}-{s}-{w}" for r, s, w in ALLOWED]
    )
    def test_every_declared_transition(self, rule, source, who) -> None:
        result = decide(source, rule.action, who)
        assert isinstance(result, Transition)
        assert (result.source, result.target, result.actor) == (source, rule.target, who)
        assert result.notifies == rule.notifies

    @pytest.mark.parametrize(
        ("state", "action", "actor", "target"),
        [
            (S.SUBMITTED, A.ROUTE, K.SYSTEM, S.ROUTED),
            (S.ROUTED, A.ACCEPT, K.HOLDER, S.ACCEPTED),
            (S.TRANSFERRED, A.ACCEPT, K.HOLDER, S.ACCEPTED),
            (S.ACCEPTED, A.ASK, K.HOLDER, S.AWAITING_INFO),
            (S.AWAITING_INFO, A.INFO_RECEIVED, K.SENDER, S.ACCEPTED),
            (S.ACCEPTED, A.TRANSFER, K.HOLDER, S.TRANSFERRED),
            (S.ROUTED, A.TRANSFER, K.STAFF, S.TRANSFERRED),
            (S.ACCEPTED, A.ESCALATE, K.HOLDER, S.ESCALATED),
            (S.ESCALATED, A.ANSWER, K.HOLDER, S.ANSWERED),
            (S.ANSWERED, A.CONFIRM_SATISFIED, K.SENDER, S.CLOSED),
            (S.ANSWERED, A.CONFIRM_BASIC, K.SENDER, S.CLOSED),
            (S.ANSWERED, A.CONFIRM_DISSATISFIED, K.SENDER, S.REOPENED),
            (S.REOPENED, A.ANSWER, K.HOLDER, S.ANSWERED),
            (S.ANSWERED, A.AUTO_CLOSE, K.SYSTEM, S.CLOSED),
            (S.ACCEPTED, A.REJECT, K.STAFF, S.REJECTED),
            (S.ROUTED, A.MARK_DUPLICATE, K.SYSTEM, S.DUPLICATE),
            (S.ROUTED, A.MARK_DUPLICATE, K.STAFF, S.DUPLICATE),
        ],
    )
    def test_the_loop(self, state, action, actor, target) -> None:
        result = decide(state, action, actor)
        assert isinstance(result, Transition) and result.target is target

    def test_strings_from_storage_and_callbacks_are_accepted(self) -> None:
        assert isinstance(decide("routed", "accept", ["holder"]), Transition)


class TestRefused:
    @pytest.mark.parametrize(
        ("state", "action", "actor", "reason"),
        [
            # forged: the wrong kind of presser
            (S.ROUTED, A.ACCEPT, K.SENDER, RefusalReason.NOT_PERMITTED),
            (S.ROUTED, A.ACCEPT, K.STAFF, RefusalReason.NOT_PERMITTED),
            (S.ANSWERED, A.CONFIRM_SATISFIED, K.HOLDER, RefusalReason.NOT_PERMITTED),
            (S.ANSWERED, A.CONFIRM_DISSATISFIED, K.STAFF, RefusalReason.NOT_PERMITTED),
            (S.ANSWERED, A.AUTO_CLOSE, K.STAFF, RefusalReason.NOT_PERMITTED),
            (S.ACCEPTED, A.REJECT, K.HOLDER, RefusalReason.NOT_PERMITTED),
            (S.ACCEPTED, A.MARK_DUPLICATE, K.SENDER, RefusalReason.NOT_PERMITTED),
            (S.SUBMITTED, A.ROUTE, K.SENDER, RefusalReason.NOT_PERMITTED),
            (S.AWAITING_INFO, A.INFO_RECEIVED, K.HOLDER, RefusalReason.NOT_PERMITTED),
            (S.ACCEPTED, A.ANSWER, K.SYSTEM, RefusalReason.NOT_PERMITTED),
            # stale: a card pressed after the opinion moved on
            (S.ACCEPTED, A.ACCEPT, K.HOLDER, RefusalReason.STALE_STATE),
            (S.ROUTED, A.ANSWER, K.HOLDER, RefusalReason.STALE_STATE),
            (S.ACCEPTED, A.CONFIRM_SATISFIED, K.SENDER, RefusalReason.STALE_STATE),
            (S.REOPENED, A.CONFIRM_DISSATISFIED, K.SENDER, RefusalReason.STALE_STATE),
            (S.ESCALATED, A.ESCALATE, K.HOLDER, RefusalReason.STALE_STATE),
            (S.ANSWERED, A.REJECT, K.STAFF, RefusalReason.STALE_STATE),
            (S.CLOSED, A.CONFIRM_SATISFIED, K.SENDER, RefusalReason.FINAL),
            (S.REJECTED, A.ACCEPT, K.HOLDER, RefusalReason.FINAL),
            (S.DUPLICATE, A.TRANSFER, K.STAFF, RefusalReason.FINAL),
            (S.CLOSED, A.AUTO_CLOSE, K.SYSTEM, RefusalReason.FINAL),
        ],
    )
    def test_sample(self, state, action, actor, reason) -> None:
        result = decide(state, action, actor)
        assert isinstance(result, Refusal) and result.reason is reason

    def test_no_relation(self) -> None:
        result = decide(S.ROUTED, A.ACCEPT, [])
        assert isinstance(result, Refusal) and result.reason is RefusalReason.NO_RELATION

    def test_unknown_action(self) -> None:
        result = decide(S.ROUTED, "drop_table", K.STAFF)
        assert isinstance(result, Refusal) and result.reason is RefusalReason.UNKNOWN_ACTION

    @pytest.mark.parametrize("state", list(OpinionState))
    @pytest.mark.parametrize("action", list(Action))
    def test_exhaustive_against_the_table(self, state, action) -> None:
        """Every (state, action, set of relations) agrees with the declared rows."""
        rule = rule_for(state, action)
        kinds = list(ActorKind)
        for n in range(1, len(kinds) + 1):
            for combo in combinations(kinds, n):
                result = decide(state, action, combo)
                if rule is not None and rule.who & set(combo):
                    assert isinstance(result, Transition) and result.target is rule.target
                else:
                    assert isinstance(result, Refusal)
                    if state in FINAL_STATES and isinstance(result, Refusal):
                        assert result.reason in {RefusalReason.FINAL, RefusalReason.NOT_PERMITTED}

    def test_several_relations_pick_the_allowed_one(self) -> None:
        result = decide(S.ACCEPTED, A.REJECT, [K.SENDER, K.STAFF])
        assert isinstance(result, Transition) and result.actor is K.STAFF


class TestTable:
    def test_final_states_have_no_way_out(self) -> None:
        for rule in TRANSITIONS:
            assert not rule.sources & FINAL_STATES

    def test_every_state_is_reachable(self) -> None:
        reached = {S.SUBMITTED}
        for _ in range(len(OpinionState)):
            reached |= {r.target for r in TRANSITIONS if r.sources & reached}
        assert reached == set(OpinionState)

    def test_every_rule_notifies_someone(self) -> None:
        assert all(rule.notifies for rule in TRANSITIONS)

    def test_allowed_actions_for_keyboards(self) -> None:
        assert allowed_actions(S.ROUTED, K.HOLDER) == [A.ACCEPT, A.TRANSFER]
        assert allowed_actions(S.ANSWERED, K.SENDER) == [
            A.CONFIRM_SATISFIED,
            A.CONFIRM_BASIC,
            A.CONFIRM_DISSATISFIED,
        ]
        assert allowed_actions(S.CLOSED, list(ActorKind)) == []


class TestDiagram:
    def test_every_edge_is_drawn(self) -> None:
        text = mermaid()
        assert text.startswith("stateDiagram-v2\n")
        for rule in TRANSITIONS:
            for source in rule.sources:
                assert f"{source} --> {rule.target}: {rule.action} (" in text

    def test_readme_holds_the_generated_diagram(self) -> None:
        readme = Path(__file__).resolve().parents[2] / "bot" / "opinions" / "README.md"
        assert mermaid() in readme.read_text(encoding="utf-8"), "regenerate: python -m bot.opinions.lifecycle"
