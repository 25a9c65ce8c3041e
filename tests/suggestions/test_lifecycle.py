"""The suggestion lifecycle: every declared move by role and state, every refusal, the guards, the diagram."""

from __future__ import annotations

from datetime import date
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.kit.i18n import translator
from bot.suggestions.lifecycle import (
    FINAL_STATES,
    STATE_LABELS,
    TRANSITIONS,
    Action,
    ActorKind,
    Audience,
    Details,
    Facts,
    Guard,
    Refusal,
    RefusalReason,
    Rule,
    SuggestionState,
    Transition,
    allowed_actions,
    decide,
    ledger_actions,
    mermaid,
    rule_for,
)
from bot.suggestions.results import ResultClass

S, A, K, R = SuggestionState, Action, ActorKind, RefusalReason

# Details and facts under which every guard holds, so a declared row is judged on state and actor alone.
GOOD = Details(
    reason="because",
    merge_into="S-2026-0001",
    lead_unit="U1",
    co_units=("U2",),
    term_months=4,
    result_class=ResultClass.A,
)
OPEN = Facts(result_class=ResultClass.A, merge_target_state=S.FILED, cosigners_overdue=True)
GOOD_EXT = Details(reason="hard case", term_months=5)


def passing(rule: Rule) -> Details:
    return GOOD_EXT if rule.action is A.GRANT_EXTENSION else GOOD


ALLOWED = [(r, s, w) for r in TRANSITIONS for s in sorted(r.sources) for w in sorted(r.who)]


class TestAllowed:
    @pytest.mark.parametrize(
        ("rule", "source", "who"), ALLOWED, ids=[f"{r.action}-{s}-{w}" for r, s, w in ALLOWED]
    )
    def test_every_declared_transition(self, rule: Rule, source: SuggestionState, who: ActorKind) -> None:
        result = decide(source, rule.action, who, facts=OPEN, details=passing(rule))
        assert isinstance(result, Transition), result
        assert (result.source, result.target, result.actor) == (source, rule.target or source, who)
        assert result.notifies == rule.notifies
        assert result.moves == (rule.target is not None and rule.target is not source)

    @pytest.mark.parametrize(
        ("state", "action", "actor", "target"),
        [
            (S.DRAFT, A.INVITE_COSIGNERS, K.FILER, S.COSIGNING),
            (S.COSIGNING, A.FILE, K.FILER, S.FILED),
            (S.DRAFT, A.FILE, K.STAFF, S.FILED),  # from paper, on the deputy's behalf
            (S.FILED, A.RETURN, K.STAFF, S.RETURNED),
            (S.RETURNED, A.REFILE, K.FILER, S.FILED),
            (S.FILED, A.MERGE, K.STAFF, S.MERGED),
            (S.FILED, A.PREPARE, K.STAFF, S.PREPARED),
            (S.PREPARED, A.PUBLISH, K.SYSTEM, S.ASSIGNED),  # the 交办会 date
            (S.FILED, A.ASSIGN, K.STAFF, S.ASSIGNED),
            (S.ASSIGNED, A.SIGN_FOR, K.LEAD_OFFICER, S.HANDLING),
            (S.HANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER, S.EXTENSION_REQUESTED),
            (S.EXTENSION_REQUESTED, A.ANSWER, K.LEAD_OFFICER, S.ANSWERED),
            (S.ASSIGNED, A.REQUEST_REASSIGN, K.LEAD_OFFICER, S.REASSIGN_REQUESTED),
            (S.REASSIGN_REQUESTED, A.REASSIGN, K.STAFF, S.ASSIGNED),
            (S.REASSIGN_REQUESTED, A.DENY_REASSIGN, K.STAFF, S.HANDLING),
            (S.HANDLING, A.ANSWER, K.LEAD_OFFICER, S.ANSWERED),
            (S.ANSWERED, A.RATE_SATISFIED, K.FILER, S.CLOSED),
            (S.ANSWERED, A.RATE_BASIC, K.FILER, S.CLOSED),
            (S.ANSWERED, A.RATE_DISSATISFIED, K.FILER, S.REHANDLING),
            (S.REHANDLING, A.ANSWER, K.LEAD_OFFICER, S.REANSWERED),
            (S.REANSWERED, A.RATE_DISSATISFIED, K.FILER, S.STAFF_REVIEW),
            (S.STAFF_REVIEW, A.CLOSE, K.STAFF, S.CLOSED),
            (S.STAFF_REVIEW, A.REASSIGN, K.STAFF, S.ASSIGNED),
            (S.CLOSED, A.START_RECHECK, K.SYSTEM, S.RECHECK),
            (S.RECHECK, A.RECHECK_CONFIRM, K.FILER, S.RECHECKED),
            (S.RECHECK, A.RECHECK_REOPEN, K.FILER, S.RECHECK_REOPENED),
            (S.RECHECK_REOPENED, A.CONCLUDE_RECHECK, K.COMMITTEE, S.RECHECKED),
            # ledger entries stay where they are
            (S.COSIGNING, A.COSIGN, K.COSIGNER, S.COSIGNING),
            (S.HANDLING, A.CO_OPINION, K.CO_OFFICER, S.HANDLING),
            (S.REHANDLING, A.RECORD_CONTACT, K.LEAD_OFFICER, S.REHANDLING),
            (S.HANDLING, A.CONFIRM_CONTACT, K.FILER, S.HANDLING),
            (S.HANDLING, A.COMMENT, K.COMMITTEE, S.HANDLING),
            (S.ASSIGNED, A.REMIND, K.STAFF, S.ASSIGNED),
        ],
    )
    def test_the_loop(self, state: S, action: A, actor: K, target: S) -> None:
        result = decide(state, action, actor, facts=OPEN, details=GOOD)
        assert isinstance(result, Transition) and result.target is target

    def test_strings_from_storage_and_callbacks_are_accepted(self) -> None:
        assert isinstance(decide("assigned", "sign_for", ["lead_officer"]), Transition)


class TestRefused:
    @pytest.mark.parametrize(
        ("state", "action", "actor", "reason"),
        [
            # forged: the wrong relation
            (S.DRAFT, A.FILE, K.COSIGNER, R.NOT_PERMITTED),
            (S.FILED, A.RETURN, K.FILER, R.NOT_PERMITTED),
            (S.FILED, A.ASSIGN, K.LEAD_OFFICER, R.NOT_PERMITTED),
            (S.PREPARED, A.PUBLISH, K.FILER, R.NOT_PERMITTED),
            (S.ASSIGNED, A.SIGN_FOR, K.CO_OFFICER, R.NOT_PERMITTED),
            (S.HANDLING, A.ANSWER, K.CO_OFFICER, R.NOT_PERMITTED),
            (S.HANDLING, A.ANSWER, K.STAFF, R.NOT_PERMITTED),
            (S.HANDLING, A.REQUEST_EXTENSION, K.CO_OFFICER, R.NOT_PERMITTED),
            (S.ANSWERED, A.RATE_SATISFIED, K.LEAD_OFFICER, R.NOT_PERMITTED),
            (S.ANSWERED, A.RATE_SATISFIED, K.COSIGNER, R.NOT_PERMITTED),
            (S.ANSWERED, A.RATE_SATISFIED, K.STAFF, R.NOT_PERMITTED),
            (S.ANSWERED, A.CLOSE, K.FILER, R.NOT_PERMITTED),
            (S.ANSWERED, A.CLOSE, K.SYSTEM, R.NOT_PERMITTED),  # nothing closes by itself
            (S.ANSWERED, A.CLOSE, K.COMMITTEE, R.NOT_PERMITTED),
            (S.HANDLING, A.COMMENT, K.LEAD_OFFICER, R.NOT_PERMITTED),
            (S.HANDLING, A.RECORD_CONTACT, K.CO_OFFICER, R.NOT_PERMITTED),
            (S.RECHECK, A.RECHECK_CONFIRM, K.STAFF, R.NOT_PERMITTED),
            (S.RECHECK_REOPENED, A.CONCLUDE_RECHECK, K.FILER, R.NOT_PERMITTED),
            (S.EXTENSION_REQUESTED, A.GRANT_EXTENSION, K.COMMITTEE, R.NOT_PERMITTED),
            # stale: the card was pressed after the suggestion moved on
            (S.HANDLING, A.SIGN_FOR, K.LEAD_OFFICER, R.STALE_STATE),
            (S.ASSIGNED, A.ANSWER, K.LEAD_OFFICER, R.STALE_STATE),
            (S.ANSWERED, A.ANSWER, K.LEAD_OFFICER, R.STALE_STATE),
            (S.CLOSED, A.RATE_SATISFIED, K.FILER, R.STALE_STATE),
            (S.FILED, A.PUBLISH, K.STAFF, R.STALE_STATE),
            (S.ASSIGNED, A.RETURN, K.STAFF, R.STALE_STATE),
            (S.HANDLING, A.WITHDRAW, K.FILER, R.STALE_STATE),
            (S.REHANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER, R.STALE_STATE),
            (S.STAFF_REVIEW, A.RATE_DISSATISFIED, K.FILER, R.STALE_STATE),
            (S.HANDLING, A.CLOSE, K.STAFF, R.STALE_STATE),
            (S.MERGED, A.REFILE, K.FILER, R.FINAL),
            (S.WITHDRAWN, A.FILE, K.STAFF, R.FINAL),
            (S.RECHECKED, A.START_RECHECK, K.SYSTEM, R.FINAL),
        ],
    )
    def test_sample(self, state: S, action: A, actor: K, reason: R) -> None:
        result = decide(state, action, actor, facts=OPEN, details=GOOD)
        assert isinstance(result, Refusal) and result.reason is reason

    def test_no_relation(self) -> None:
        result = decide(S.HANDLING, A.ANSWER, [])
        assert isinstance(result, Refusal) and result.reason is R.NO_RELATION

    def test_unknown_action(self) -> None:
        result = decide(S.HANDLING, "drop_table", K.STAFF)
        assert isinstance(result, Refusal) and result.reason is R.UNKNOWN_ACTION

    @pytest.mark.parametrize("state", list(SuggestionState))
    @pytest.mark.parametrize("action", list(Action))
    def test_exhaustive_against_the_table(self, state: S, action: A) -> None:
        """Every (state, action, set of relations) agrees with the declared rows when the guards hold."""
        rule = rule_for(state, action)
        kinds = list(ActorKind)
        for n in range(1, len(kinds) + 1):
            for combo in combinations(kinds, n):
                details = passing(rule) if rule else GOOD
                result = decide(state, action, combo, facts=OPEN, details=details)
                if rule is not None and rule.who & set(combo):
                    assert isinstance(result, Transition) and result.target is (rule.target or state)
                else:
                    assert isinstance(result, Refusal)
                    if state in FINAL_STATES:
                        assert result.reason in {R.FINAL, R.NOT_PERMITTED}

    def test_several_relations_pick_the_allowed_one(self) -> None:
        result = decide(S.ANSWERED, A.CLOSE, [K.FILER, K.STAFF], details=GOOD)
        assert isinstance(result, Transition) and result.actor is K.STAFF
        result = decide(S.ANSWERED, A.RATE_BASIC, [K.STAFF, K.FILER])
        assert isinstance(result, Transition) and result.actor is K.FILER


def refused(result: Transition | Refusal) -> RefusalReason | None:
    return result.reason if isinstance(result, Refusal) else None


class TestGuards:
    @pytest.mark.parametrize(
        ("state", "action", "actor"),
        [
            (S.FILED, A.RETURN, K.STAFF),
            (S.REASSIGN_REQUESTED, A.DENY_REASSIGN, K.STAFF),
            (S.HANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER),
            (S.HANDLING, A.REQUEST_REASSIGN, K.LEAD_OFFICER),
            (S.EXTENSION_REQUESTED, A.DENY_EXTENSION, K.STAFF),
            (S.ANSWERED, A.RATE_DISSATISFIED, K.FILER),
            (S.ANSWERED, A.CLOSE, K.STAFF),
            (S.STAFF_REVIEW, A.CLOSE, K.STAFF),
            (S.RECHECK, A.RECHECK_REOPEN, K.FILER),
            (S.RECHECK_REOPENED, A.CONCLUDE_RECHECK, K.STAFF),
            (S.HANDLING, A.DISPUTE_CONTACT, K.FILER),
            (S.HANDLING, A.ASK_ESCALATION, K.COMMITTEE),
        ],
    )
    @pytest.mark.parametrize("reason", ["", "   \n"])
    def test_a_reason_is_required(self, state: S, action: A, actor: K, reason: str) -> None:
        details = Details(reason=reason, term_months=5)
        assert refused(decide(state, action, actor, details=details)) is R.REASON_REQUIRED

    def test_closing_needs_a_rating_or_a_staff_decision_with_reason(self) -> None:
        """Only the filer's two closing ratings and staff's reasoned close lead to 销号."""
        into_closed = {r.action: r for r in TRANSITIONS if r.target is S.CLOSED}
        assert set(into_closed) == {A.RATE_SATISFIED, A.RATE_BASIC, A.CLOSE}
        assert into_closed[A.RATE_SATISFIED].who == into_closed[A.RATE_BASIC].who == {K.FILER}
        assert into_closed[A.CLOSE].who == {K.STAFF} and Guard.REASON in into_closed[A.CLOSE].guards
        assert refused(decide(S.ANSWERED, A.CLOSE, K.STAFF)) is R.REASON_REQUIRED
        assert isinstance(
            decide(S.ANSWERED, A.CLOSE, K.STAFF, details=Details(reason="no rating in 30 days")), Transition
        )

    def test_dissatisfied_rehandles_once_then_staff(self) -> None:
        why = Details(reason="the road is still broken")
        first = decide(S.ANSWERED, A.RATE_DISSATISFIED, K.FILER, details=why)
        assert isinstance(first, Transition) and first.target is S.REHANDLING
        assert {n.audience for n in first.notifies} >= {Audience.LEAD_UNIT, Audience.COMMITTEE}
        again = decide(first.target, A.ANSWER, K.LEAD_OFFICER, details=GOOD)
        assert isinstance(again, Transition) and again.target is S.REANSWERED
        second = decide(again.target, A.RATE_DISSATISFIED, K.FILER, details=why)
        assert isinstance(second, Transition) and second.target is S.STAFF_REVIEW
        assert Audience.STAFF in {n.audience for n in second.notifies}
        # staff, not the unit and not the filer, act next
        assert allowed_actions(S.STAFF_REVIEW, K.STAFF) == [A.REASSIGN, A.CLOSE]
        assert allowed_actions(S.STAFF_REVIEW, [K.FILER, K.LEAD_OFFICER]) == []

    def test_the_unit_asks_for_an_extension_once(self) -> None:
        why = Details(reason="needs the budget")
        assert isinstance(decide(S.HANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER, details=why), Transition)
        again = decide(
            S.HANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER, facts=Facts(extension_asked=True), details=why
        )
        assert isinstance(again, Refusal) and again.reason is R.ALREADY_ASKED and again.detail == "extension"

    def test_the_unit_says_not_ours_once(self) -> None:
        why = Details(reason="this is the county's road")
        assert isinstance(decide(S.ASSIGNED, A.REQUEST_REASSIGN, K.LEAD_OFFICER, details=why), Transition)
        again = decide(
            S.HANDLING, A.REQUEST_REASSIGN, K.LEAD_OFFICER, facts=Facts(reassign_asked=True), details=why
        )
        assert isinstance(again, Refusal) and again.reason is R.ALREADY_ASKED and again.detail == "reassign"
        # the other request is still open to it
        assert isinstance(
            decide(
                S.HANDLING, A.REQUEST_EXTENSION, K.LEAD_OFFICER, facts=Facts(reassign_asked=True), details=why
            ),
            Transition,
        )

    @pytest.mark.parametrize(
        ("current", "months", "ok"),
        [
            (3, 4, True),
            (3, 6, True),
            (3, 3, False),
            (3, 7, False),
            (5, 4, False),
            (6, 6, False),
            (3, None, False),
        ],
    )
    def test_an_extension_lengthens_the_term_within_six_months(
        self, current: int, months: int | None, ok: bool
    ) -> None:
        result = decide(
            S.EXTENSION_REQUESTED,
            A.GRANT_EXTENSION,
            K.STAFF,
            facts=Facts(term_months=current),
            details=Details(reason="hard case", term_months=months),
        )
        assert isinstance(result, Transition) if ok else refused(result) is R.TERM_INVALID

    @pytest.mark.parametrize("action", [A.PREPARE, A.ASSIGN])
    def test_assignment_needs_a_lead_unit_and_a_lawful_term(self, action: A) -> None:
        def ask(**kw: object) -> RefusalReason | None:
            return refused(decide(S.FILED, action, K.STAFF, details=Details(**kw)))  # type: ignore[arg-type]

        assert ask(lead_unit="U1") is None  # three months by default
        assert ask(lead_unit="U1", co_units=("U2", "U3"), term_months=3) is None
        assert ask() is R.UNITS_INVALID
        assert ask(lead_unit="U1", co_units=("U1",)) is R.UNITS_INVALID  # lead and co-unit at once
        assert ask(lead_unit="U1", co_units=("U2", "U2")) is R.UNITS_INVALID
        assert ask(lead_unit="U1", term_months=6) is R.TERM_INVALID  # a hard case needs its reason
        assert ask(lead_unit="U1", term_months=6, reason="three departments") is None
        assert ask(lead_unit="U1", term_months=7, reason="very hard") is R.TERM_INVALID
        assert ask(lead_unit="U1", term_months=0) is R.TERM_INVALID

    def test_merge_needs_its_target(self) -> None:
        assert refused(decide(S.FILED, A.MERGE, K.STAFF)) is R.MERGE_TARGET_REQUIRED
        into = Details(merge_into="S-2026-0007")
        result = decide(S.FILED, A.MERGE, K.STAFF, facts=Facts(merge_target_state=S.FILED), details=into)
        assert isinstance(result, Transition)
        assert Audience.MERGE_TARGET in {n.audience for n in result.notifies}

    @pytest.mark.parametrize("target", list(SuggestionState))
    def test_merge_joins_a_filed_or_later_suggestion_still_open(self, target: S) -> None:
        """Not a draft or one awaiting co-signers (no number), not one returned, merged or withdrawn."""
        into = Details(merge_into="S-2026-0007")
        result = decide(S.FILED, A.MERGE, K.STAFF, facts=Facts(merge_target_state=target), details=into)
        closed_to_joining = {S.DRAFT, S.COSIGNING, S.RETURNED, S.MERGED, S.WITHDRAWN}
        if target in closed_to_joining:
            assert result == Refusal(R.MERGE_TARGET_INVALID, target.value)
        else:
            assert isinstance(result, Transition) and result.target is S.MERGED

    def test_merge_never_joins_itself_or_an_unknown_number(self) -> None:
        into = Details(merge_into="S-2026-0007")
        itself = Facts(merge_target_state=S.FILED, merge_target_is_self=True)
        assert decide(S.FILED, A.MERGE, K.STAFF, facts=itself, details=into) == Refusal(
            R.MERGE_TARGET_INVALID, "itself"
        )
        assert decide(S.FILED, A.MERGE, K.STAFF, details=into) == Refusal(R.MERGE_TARGET_INVALID, "unknown")

    def test_filing_without_the_silent_cosigners_waits_seven_days(self) -> None:
        """The filer only; lapsed co-signers are not pending, so filing follows (NO_PENDING_COSIGNERS)."""
        early = decide(S.COSIGNING, A.LAPSE_COSIGNERS, K.FILER, facts=Facts(cosigners_overdue=False))
        assert refused(early) is R.COSIGNERS_NOT_OVERDUE
        late = decide(S.COSIGNING, A.LAPSE_COSIGNERS, K.FILER, facts=Facts(cosigners_overdue=True))
        assert isinstance(late, Transition) and not late.moves
        assert refused(decide(S.COSIGNING, A.LAPSE_COSIGNERS, K.COSIGNER, facts=OPEN)) is R.NOT_PERMITTED
        assert refused(decide(S.FILED, A.LAPSE_COSIGNERS, K.FILER, facts=OPEN)) is R.STALE_STATE
        reminded = decide(S.COSIGNING, A.REMIND_COSIGNERS, K.SYSTEM)
        assert isinstance(reminded, Transition) and {n.audience for n in reminded.notifies} == {
            Audience.COSIGNERS,
            Audience.FILER,
        }
        assert refused(decide(S.FILED, A.REMIND_COSIGNERS, K.SYSTEM)) is R.STALE_STATE

    @pytest.mark.parametrize("state", [S.HANDLING, S.REHANDLING])
    def test_answers_carry_their_class_and_b_date_c_reason(self, state: S) -> None:
        def ask(**kw: object) -> RefusalReason | None:
            return refused(
                decide(
                    state,
                    A.ANSWER,
                    K.LEAD_OFFICER,
                    facts=Facts(answered_on=date(2026, 5, 1)),
                    details=Details(**kw),
                )
            )  # type: ignore[arg-type]

        assert ask() is R.ANSWER_INVALID
        assert ask(result_class="D") is R.ANSWER_INVALID
        assert ask(result_class="A") is None
        assert ask(result_class="B") is R.ANSWER_INVALID
        assert ask(result_class="B", planned_on=date(2026, 4, 30)) is R.ANSWER_INVALID
        assert ask(result_class="B", planned_on=date(2026, 12, 31)) is None
        assert ask(result_class="C") is R.ANSWER_INVALID
        assert ask(result_class="C", reason="no budget this year") is None

    def test_filing_waits_for_every_cosigner(self) -> None:
        assert (
            refused(decide(S.COSIGNING, A.FILE, K.FILER, facts=Facts(cosigners_pending=2)))
            is R.COSIGNERS_PENDING
        )
        assert isinstance(decide(S.COSIGNING, A.FILE, K.FILER, facts=Facts(cosigners_pending=0)), Transition)

    @pytest.mark.parametrize("action", [A.COSIGN, A.DECLINE_COSIGN])
    def test_a_cosigner_answers_once(self, action: A) -> None:
        assert isinstance(decide(S.COSIGNING, action, K.COSIGNER), Transition)
        again = decide(S.COSIGNING, action, K.COSIGNER, facts=Facts(actor_has_cosign_answer=True))
        assert refused(again) is R.ALREADY_ANSWERED

    @pytest.mark.parametrize(
        ("klass", "rechecked", "ok"),
        [
            (ResultClass.A, False, True),
            (ResultClass.B, False, True),
            (ResultClass.C, False, False),
            (None, False, False),
            (ResultClass.A, True, False),
        ],
    )
    def test_only_a_and_b_answers_are_rechecked_once(
        self, klass: ResultClass | None, rechecked: bool, ok: bool
    ) -> None:
        result = decide(
            S.CLOSED, A.START_RECHECK, K.SYSTEM, facts=Facts(result_class=klass, rechecked=rechecked)
        )
        assert isinstance(result, Transition) if ok else refused(result) is R.NOT_RECHECKABLE

    def test_the_state_is_checked_before_the_guards(self) -> None:
        """A stale press is told it is stale, not that its reason is missing."""
        assert refused(decide(S.CLOSED, A.RETURN, K.STAFF)) is R.STALE_STATE


class TestTable:
    def test_final_states_have_no_way_out(self) -> None:
        for rule in TRANSITIONS:
            assert not rule.sources & FINAL_STATES

    def test_every_state_is_reachable(self) -> None:
        reached = {S.DRAFT}
        for _ in range(len(SuggestionState)):
            reached |= {r.target for r in TRANSITIONS if r.sources & reached and r.target}
        assert reached == set(SuggestionState)

    def test_every_rule_notifies_someone_with_a_suggestion_key(self) -> None:
        for rule in TRANSITIONS:
            assert rule.notifies
            assert all(n.key.startswith("suggestion.") for n in rule.notifies)

    def test_the_system_only_publishes_starts_rechecks_and_reminds_cosigners(self) -> None:
        assert {r.action for r in TRANSITIONS if K.SYSTEM in r.who} == {
            A.PUBLISH,
            A.START_RECHECK,
            A.REMIND_COSIGNERS,
        }

    def test_publication_tells_every_unit_urgently(self) -> None:
        for action in (A.PUBLISH, A.ASSIGN, A.REASSIGN):
            rule = next(r for r in TRANSITIONS if r.action is action)
            lead = [n for n in rule.notifies if n.audience is Audience.LEAD_UNIT]
            assert lead and lead[0].urgent
            assert Audience.CO_UNITS in {n.audience for n in rule.notifies}

    def test_allowed_actions_for_keyboards(self) -> None:
        assert allowed_actions(S.ASSIGNED, K.LEAD_OFFICER) == [A.SIGN_FOR, A.REQUEST_REASSIGN]
        assert allowed_actions(S.ANSWERED, K.FILER) == [
            A.CONFIRM_CONTACT,
            A.DISPUTE_CONTACT,
            A.RATE_SATISFIED,
            A.RATE_BASIC,
            A.RATE_DISSATISFIED,
        ]
        assert allowed_actions(S.HANDLING, K.CO_OFFICER) == [A.CO_OPINION]
        assert allowed_actions(S.RECHECKED, list(ActorKind)) == []

    def test_ledger_actions(self) -> None:
        assert set(ledger_actions()) == {
            A.COSIGN,
            A.DECLINE_COSIGN,
            A.CO_OPINION,
            A.RECORD_CONTACT,
            A.CONFIRM_CONTACT,
            A.DISPUTE_CONTACT,
            A.COMMENT,
            A.REMIND,
            A.ASK_ESCALATION,
            A.REMIND_COSIGNERS,
            A.LAPSE_COSIGNERS,
        }


class TestDiagram:
    def test_every_edge_is_drawn(self) -> None:
        text = mermaid()
        assert text.startswith("stateDiagram-v2\n")
        for rule in TRANSITIONS:
            for source in rule.sources:
                edge = f"{source} --> {rule.target}: {rule.action} ("
                assert (edge in text) == (rule.target is not None)

    def test_readme_holds_the_generated_diagram(self) -> None:
        readme = Path(__file__).resolve().parents[2] / "bot" / "suggestions" / "README.md"
        assert mermaid() in readme.read_text(encoding="utf-8"), (
            "regenerate: python -m bot.suggestions.lifecycle"
        )


class TestLabels:
    @pytest.mark.parametrize("locale", ["zh_Hans", "en"])
    def test_every_state_has_its_own_label(self, locale: str) -> None:
        t = translator(locale)
        assert set(STATE_LABELS) == set(SuggestionState)
        texts = [t(STATE_LABELS[s]) for s in SuggestionState]
        assert len(set(texts)) == len(texts)
        assert not any(text.startswith("suggestion:") for text in texts)

    def test_chinese_glossary(self) -> None:
        zh = translator("zh_Hans")
        assert zh(STATE_LABELS[S.CLOSED]) == "已销号"
        assert zh(STATE_LABELS[S.RECHECK]) == "回头看"
        assert zh(STATE_LABELS[S.ASSIGNED]) == "已交办"


class TestWalks:
    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_invariants_hold_on_any_sequence_of_requests(self, data: st.DataObject) -> None:
        """Whatever is pressed in whatever order: 销号 only by rating or reasoned staff close; one re-handling
        per assignment; each unit request at most once; nothing leaves a final state.

        Most steps pick a row that applies now (so walks get deep), some anything at all (forged or stale).
        """
        state = S.DRAFT
        rehandled = 0
        asked = {"extension": False, "reassign": False}
        seen = {state}
        for _ in range(data.draw(st.integers(0, 80))):
            applicable = [
                (r.action, w)
                for r in TRANSITIONS
                if state in r.sources and r.action not in (A.WITHDRAW, A.MERGE)  # rarer, or walks end early
                for w in sorted(r.who)
            ]
            anything = st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(ActorKind)))
            pick = st.sampled_from(applicable) if applicable else anything
            action, actor = data.draw(st.one_of(pick, pick, pick, anything))
            with_reason = data.draw(st.integers(0, 4)) > 0
            facts = Facts(
                result_class=data.draw(st.sampled_from([ResultClass.A, ResultClass.C])),
                extension_asked=asked["extension"],
                reassign_asked=asked["reassign"],
            )
            details = Details(
                reason="why" if with_reason else "",
                merge_into="S-2026-0001",
                lead_unit="U1",
                term_months=5 if with_reason else 3,
                result_class=ResultClass.A,
            )
            result = decide(state, action, actor, facts=facts, details=details)
            if isinstance(result, Refusal):
                continue
            assert state not in FINAL_STATES
            if result.moves and result.target is S.CLOSED:
                assert (action in {A.RATE_SATISFIED, A.RATE_BASIC} and actor is K.FILER) or (
                    action is A.CLOSE and actor is K.STAFF and with_reason
                )
            if result.moves and result.target is S.RECHECK:
                assert facts.result_class is ResultClass.A
            if result.moves and result.target is S.REHANDLING:
                rehandled += 1
                assert rehandled == 1
            if action in (A.ASSIGN, A.PUBLISH, A.REASSIGN):
                rehandled = 0
                asked = {"extension": False, "reassign": False}  # a new unit may ask once again
            if action is A.REQUEST_EXTENSION:
                assert not asked["extension"]
                asked["extension"] = True
            if action is A.REQUEST_REASSIGN:
                assert not asked["reassign"]
                asked["reassign"] = True
            state = result.target
            seen.add(state)
        event(f"reached closed: {S.CLOSED in seen}, staff review: {S.STAFF_REVIEW in seen}")
