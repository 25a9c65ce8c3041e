"""The sender's buttons under an opinion's notices: open it (/my), give a verdict on the answer,
answer the deputy's question, answer the follow-up.

Their data strings are the ones `bot.opinions.views` packs today ("my:42", "cf:sat:42", "in:42",
"fu:ok:42"), byte for byte: buttons already sent must keep working after a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.kit.callbacks import Button
from bot.opinions.lifecycle import Action


@dataclass(frozen=True)
class MyPress(Button, prefix="my"):
    """Open one of the presser's opinions (its timeline)."""

    opinion_id: int


class Verdict(StrEnum):
    SATISFIED = "sat"
    BASIC = "basic"
    DISSATISFIED = "dis"


VERDICT_ACTIONS: dict[Verdict, Action] = {
    Verdict.SATISFIED: Action.CONFIRM_SATISFIED,
    Verdict.BASIC: Action.CONFIRM_BASIC,
    Verdict.DISSATISFIED: Action.CONFIRM_DISSATISFIED,
}


@dataclass(frozen=True)
class VerdictPress(Button, prefix="cf"):
    """✅ / 🆗 / ❌ under an answer."""

    verdict: Verdict
    opinion_id: int


@dataclass(frozen=True)
class InfoPress(Button, prefix="in"):
    """'Answer' under a deputy's question: the next message goes to the deputy."""

    opinion_id: int


class FollowUpAnswer(StrEnum):
    SOLVED = "ok"
    BACK = "back"


@dataclass(frozen=True)
class FollowUpPress(Button, prefix="fu"):
    """👍 / 👎 under the follow-up."""

    answer: FollowUpAnswer
    opinion_id: int
