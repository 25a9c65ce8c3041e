"""A dialog step: what handles the next message while a chat is in a declared state.

Each dialog module declares its states (a StrEnum) and a table `DIALOG: dict[State, Step]`;
handlers/messages.py joins the tables, reads the chat's state once (`bot.kit.dialogs.Dialog`) and
calls the step. A step returns False when the message is not for it after all (a reception form that
expired, say), so it goes on to the constituent's side as a draft message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message

from bot.kit.dialogs import Dialog
from bot.runtime.context import LiaisonContext
from handlers.common import Actor

StepHandler = Callable[[LiaisonContext, Actor[Any], Dialog, Message], Awaitable[bool | None]]


@dataclass(frozen=True)
class Step:
    """`handle` the message; `full`: the person as an entity (a deputy's or staff member's act) or a
    brief (a constituent's draft)."""

    handle: StepHandler
    full: bool = True
