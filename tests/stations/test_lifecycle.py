"""A rectification item's lifecycle: every declared move by relation and state, every refusal, the
guards, the keyboard it gives, and the README diagram kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kit.i18n import translator
from bot.stations.lifecycle import (
    FINAL_STATES,
    STATE_LABELS,
    TRANSITIONS,
    Action,
    ActorKind,
    Details,
    RectificationState,
    Refusal,
    RefusalReason,
    Transition,
    allowed_actions,
    decide,
    mermaid,
)

S, A, K, R = RectificationState, Action, ActorKind, RefusalReason
NOTE = Details(note="修好了")


@pytest.mark.parametrize(
    ("state", "action", "actor", "target"),
    [
        (S.OPEN, A.REPORT, K.RESPONSIBLE, S.REPORTED),
        (S.REOPENED, A.REPORT, K.RESPONSIBLE, S.REPORTED),
        (S.REPORTED, A.CONFIRM, K.INSPECTOR, S.CONFIRMED),
        (S.REPORTED, A.CONFIRM, K.STAFF, S.CONFIRMED),
        (S.REPORTED, A.REOPEN, K.INSPECTOR, S.REOPENED),
        (S.REPORTED, A.REOPEN, K.STAFF, S.REOPENED),
        (S.OPEN, A.REMIND, K.SYSTEM, S.OPEN),
        (S.REOPENED, A.REMIND, K.SYSTEM, S.REOPENED),
    ],
)
def test_every_declared_move(state: S, action: A, actor: K, target: S) -> None:
    verdict = decide(state, action, actor, details=NOTE)
    assert isinstance(verdict, Transition), verdict
    assert (verdict.target, verdict.actor) == (target, actor)
    assert verdict.moves is (action is not A.REMIND)


def test_every_row_is_tested_above() -> None:
    """The table has exactly the rows above (a new row needs its test)."""
    rows = {(s, r.action, w) for r in TRANSITIONS for s in r.sources for w in r.who}
    assert len(rows) == 8


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(A))
@pytest.mark.parametrize("actor", list(K))
def test_anything_undeclared_is_refused_with_a_reason(state: S, action: A, actor: K) -> None:
    verdict = decide(state, action, actor, details=NOTE)
    declared = any(state in r.sources and r.action is action and actor in r.who for r in TRANSITIONS)
    if declared:
        assert isinstance(verdict, Transition)
        return
    assert isinstance(verdict, Refusal)
    if not any(r.action is action and actor in r.who for r in TRANSITIONS):
        assert verdict.reason is R.NOT_PERMITTED  # forged: this relation never does this
    elif state in FINAL_STATES:
        assert verdict.reason is R.FINAL
    else:
        assert verdict.reason is R.STALE_STATE


def test_a_second_confirm_is_stale_and_final() -> None:
    assert decide(S.CONFIRMED, A.CONFIRM, K.INSPECTOR) == Refusal(R.FINAL, "confirm not from confirmed")
    assert isinstance(decide(S.OPEN, A.CONFIRM, K.INSPECTOR), Refusal)


def test_guards_ask_for_a_note_or_photo_and_a_reason() -> None:
    assert decide(S.OPEN, A.REPORT, K.RESPONSIBLE) == Refusal(R.EVIDENCE_REQUIRED)
    assert decide(S.OPEN, A.REPORT, K.RESPONSIBLE, details=Details(note="  ")) == Refusal(R.EVIDENCE_REQUIRED)
    assert isinstance(decide(S.OPEN, A.REPORT, K.RESPONSIBLE, details=Details(photos=1)), Transition)
    assert decide(S.REPORTED, A.REOPEN, K.INSPECTOR, details=Details(photos=2)) == Refusal(R.REASON_REQUIRED)


def test_no_relation_unknown_action_and_several_relations() -> None:
    assert decide(S.OPEN, A.REPORT, []) == Refusal(R.NO_RELATION)
    assert decide(S.OPEN, "delete", K.STAFF).reason is R.UNKNOWN_ACTION  # type: ignore[union-attr]
    # The inspector who is also staff is recorded as the inspector; a responsible inspector reports.
    both = decide(S.REPORTED, A.CONFIRM, [K.STAFF, K.INSPECTOR])
    assert isinstance(both, Transition) and both.actor is K.INSPECTOR
    assert decide(S.OPEN, A.REPORT, [K.INSPECTOR, K.STAFF], details=NOTE).reason is R.NOT_PERMITTED  # type: ignore[union-attr]


def test_the_keyboard_offers_only_what_the_reader_may_press() -> None:
    assert allowed_actions(S.OPEN, [K.RESPONSIBLE]) == [A.REPORT]
    assert allowed_actions(S.REPORTED, [K.RESPONSIBLE]) == []
    assert allowed_actions(S.REPORTED, [K.INSPECTOR]) == [A.CONFIRM, A.REOPEN]
    assert allowed_actions(S.CONFIRMED, [K.STAFF, K.INSPECTOR, K.RESPONSIBLE]) == []
    assert allowed_actions(S.OPEN, [K.SYSTEM]) == []  # the reminder is the scheduler's, never a button


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_state_has_a_label(locale: str) -> None:
    tr = translator(locale)
    labels = {tr(STATE_LABELS[s]) for s in S}
    assert len(labels) == len(S) and not any(label.startswith("rectification:") for label in labels)


def test_the_readme_diagram_is_current() -> None:
    readme = Path(__file__).resolve().parents[2] / "bot" / "stations" / "README.md"
    assert mermaid() in readme.read_text(encoding="utf-8"), "run: python -m bot.stations.lifecycle"
