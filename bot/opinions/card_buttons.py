"""The buttons of the deputy's task card and of the dialogs it opens (data "op:…").

Their data strings are what cards already sent carry, so they stay byte-identical across releases:
"op:acc:42", "op:to:42:7" (7 = a deputy, 0 = the congress office), "op:send:42", "op:card:42".
Each kind has its own prefix, except the card's five actions, which share "op"; the wiring lists the
longer prefixes first, since "op" matches them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.kit.callbacks import Button
from bot.opinions.lifecycle import Action

__all__ = [
    "CancelAnswer",
    "CardAction",
    "CardPress",
    "OpenCard",
    "RewriteAnswer",
    "SendAnswer",
    "TransferTo",
]


class CardAction(StrEnum):
    """A task card's action buttons, by the code their data carries."""

    ACCEPT = "acc"
    ASK = "ask"
    REPLY = "rep"
    TRANSFER = "tr"
    ESCALATE = "esc"

    @property
    def action(self) -> Action:
        """The lifecycle action the button stands for."""
        return _ACTIONS[self]


_ACTIONS = {
    CardAction.ACCEPT: Action.ACCEPT,
    CardAction.ASK: Action.ASK,
    CardAction.REPLY: Action.ANSWER,
    CardAction.TRANSFER: Action.TRANSFER,
    CardAction.ESCALATE: Action.ESCALATE,
}


@dataclass(frozen=True)
class CardPress(Button, prefix="op"):
    """An action button on the card: "op:acc:42"."""

    action: CardAction
    opinion_id: int


@dataclass(frozen=True)
class TransferTo(Button, prefix="op:to"):
    """A target in the transfer list: "op:to:42:7"; 0 is the congress office."""

    opinion_id: int
    deputy_id: int


@dataclass(frozen=True)
class SendAnswer(Button, prefix="op:send"):
    """Send the previewed answer."""

    opinion_id: int


@dataclass(frozen=True)
class RewriteAnswer(Button, prefix="op:rew"):
    """Type the answer again."""

    opinion_id: int


@dataclass(frozen=True)
class CancelAnswer(Button, prefix="op:cancel"):
    """Drop the previewed answer."""

    opinion_id: int


@dataclass(frozen=True)
class OpenCard(Button, prefix="op:card"):
    """Send the card (and the whole text) again: from /tasks and from a staff reminder."""

    opinion_id: int
