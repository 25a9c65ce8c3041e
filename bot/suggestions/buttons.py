"""Button kinds of the suggestion chat (`sg:…`): the /suggest form's and the co-signer's card."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.kit.callbacks import Button

__all__ = [
    "CategoryPress",
    "CosignAction",
    "CosignPress",
    "FormAction",
    "FormPress",
    "PickAction",
    "PickPress",
    "PublishPress",
    "QueueAction",
    "QueuePress",
    "RecheckAction",
    "RecheckPress",
    "SuperviseAction",
    "SupervisePagePress",
    "SupervisePress",
    "UnitAction",
    "UnitPress",
]


class FormAction(enum.StrEnum):
    CANCEL = "x"
    SKIP = "skip"  # no co-signers / no (more) attachments
    FILE = "ok"


@dataclass(frozen=True)
class FormPress(Button, prefix="sg:f"):
    """A button of the /suggest form; `key` names the form it was shown for (a stale one is refused)."""

    action: FormAction
    key: str


@dataclass(frozen=True)
class CategoryPress(Button, prefix="sg:c"):
    """The form's category (one of the opinions' `CATEGORIES`, checked by the form)."""

    key: str
    category: str


class CosignAction(enum.StrEnum):
    CONFIRM = "y"
    DECLINE = "n"


@dataclass(frozen=True)
class CosignPress(Button, prefix="sg:s"):
    """An invited co-signer's answer (the service checks the presser was invited and answers once)."""

    action: CosignAction
    suggestion_id: int


class QueueAction(enum.StrEnum):
    RETURN = "r"
    ASSIGN = "a"


@dataclass(frozen=True)
class QueuePress(Button, prefix="sg:q"):
    """A staff queue card's Return / Assign (the service checks staff and the suggestion's state)."""

    action: QueueAction
    suggestion_id: int


class PickAction(enum.StrEnum):
    LEAD = "l"  # `value`: the unit to lead
    CO = "c"  # `value`: the unit to add or remove as a co-unit
    TERM = "t"  # `value`: months
    CODES = "k"  # type unit codes instead
    OK = "ok"  # prepare it for the 交办会
    CANCEL = "x"


@dataclass(frozen=True)
class PickPress(Button, prefix="sg:k"):
    """A button of the assignment picker; refused unless the chat is picking for this suggestion."""

    action: PickAction
    suggestion_id: int
    value: int


@dataclass(frozen=True)
class PublishPress(Button, prefix="sg:p"):
    """📣 Publish every prepared suggestion (the 交办会); `count` is how many the queue showed."""

    count: int


class UnitAction(enum.StrEnum):
    NOT_OURS = "n"  # ask staff to reassign it, with a reason
    MORE_TIME = "t"  # ask staff for an extension, with a reason


@dataclass(frozen=True)
class UnitPress(Button, prefix="sg:u"):
    """The lead unit's task card: "not ours" or more time (the service checks the officer's unit, once)."""

    action: UnitAction
    suggestion_id: int


# -- 监督: the /supervise view and the 回头看 card (handlers/supervise_suggestions.py) -----------------------


class SuperviseAction(enum.StrEnum):
    COMMENT = "c"  # 💬 a comment to the lead unit (typed next)
    REMIND = "r"  # 🔔 remind the lead unit now
    ASK = "e"  # ⬆️ ask the congress office to step in (reason typed next)
    CLOSE = "x"  # 🏁 staff close (销号) with a reason
    CONCLUDE = "k"  # ☑️ conclude a re-check entry with a reason


@dataclass(frozen=True)
class SupervisePress(Button, prefix="sgv:a"):
    """A button of the /supervise view (or a re-check notice): the service checks the presser's relation
    (the supervising committee's member, staff) and the state."""

    action: SuperviseAction
    suggestion_id: int


@dataclass(frozen=True)
class SupervisePagePress(Button, prefix="sgv:pg"):
    """Another page of the /supervise view, read again for the presser."""

    page: int


class RecheckAction(enum.StrEnum):
    CONFIRM = "y"  # ✅ still solved
    REOPEN = "n"  # 🔁 reopen (reason typed next)


@dataclass(frozen=True)
class RecheckPress(Button, prefix="sgv:rc"):
    """The filer's 回头看 card (the service checks it is theirs and still being re-checked)."""

    action: RecheckAction
    suggestion_id: int
