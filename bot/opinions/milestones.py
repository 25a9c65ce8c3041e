"""The milestones an opinion's row keeps besides its state, so the statistics read one table, not the
timeline: the first accept and the first answer (the `accepted_at` / `answered_at` columns are the latest,
and a transfer clears the former), how often the sender reopened it, and the action that ended it.

One function decides them from a transition just made; the service calls it where it writes the timeline
entry, and the seeders (bot/stats/seed_courses.py) where they write theirs, so every row agrees with its
timeline (the statistics' test holds them to the timeline-based definitions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.opinions.lifecycle import TRANSITIONS, Action
from storage.models.opinions import FINAL_STATES

__all__ = ["CLOSING_ACTIONS", "MILESTONE_COLUMNS", "milestones"]

# The actions that end an opinion (to closed, rejected or duplicate), read from the declared lifecycle.
CLOSING_ACTIONS: frozenset[str] = frozenset(r.action.value for r in TRANSITIONS if r.target in FINAL_STATES)
MILESTONE_COLUMNS = ("first_accepted_at", "first_answered_at", "reopen_count", "closing_action")


def milestones(action: str, at: datetime, current: dict[str, Any]) -> dict[str, Any]:
    """The milestone columns that change when `action` happens at `at`, given the row's `current` values
    (missing or None: not reached yet); empty when none does."""
    if action == Action.ACCEPT and current.get("first_accepted_at") is None:
        return {"first_accepted_at": at}
    if action == Action.ANSWER and current.get("first_answered_at") is None:
        return {"first_answered_at": at}
    if action == Action.CONFIRM_DISSATISFIED:
        return {"reopen_count": (current.get("reopen_count") or 0) + 1}
    if action in CLOSING_ACTIONS:
        return {"closing_action": action}
    return {}
