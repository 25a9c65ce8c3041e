"""Button kinds of the suggestion chat (`sg:…`): the /suggest form's and the co-signer's card; 交办's
queue, picker and task card; 办理's (`sg:h…`): the officers' card and dialogs, the deputy's verdicts and
ratings, staff's decisions on the units' requests."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.kit.callbacks import Button

__all__ = [
    "CategoryPress",
    "CosignAction",
    "CosignPress",
    "DecisionAction",
    "DecisionPress",
    "FormAction",
    "FormPress",
    "PickAction",
    "PickPress",
    "PublishPress",
    "QueueAction",
    "QueuePress",
    "RateAction",
    "RatePress",
    "RecheckAction",
    "RecheckPress",
    "StepAction",
    "StepPress",
    "SuperviseAction",
    "SupervisePagePress",
    "SupervisePress",
    "TaskAction",
    "TaskPress",
    "UnitAction",
    "UnitPress",
    "VerdictAction",
    "VerdictPress",
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


# -- 办理 handling ("sg:h…") -----------------------------------------------------------------------------


class TaskAction(enum.StrEnum):
    SIGN = "s"  # 签收
    CONTACT = "c"  # record a 三见面 contact
    ANSWER = "a"
    OPINION = "o"  # a co-unit's opinion to the lead unit
    CARD = "v"  # show the task card as it is now


@dataclass(frozen=True)
class TaskPress(Button, prefix="sg:ht"):
    """An officer's task card (the service checks the presser's unit and the state)."""

    action: TaskAction
    suggestion_id: int


class StepAction(enum.StrEnum):
    STAGE = "st"  # `value`: before, during or after
    FORM = "fm"  # `value`: phone, visit, meeting or other
    TODAY = "td"  # the contact was held today
    CLASS = "cl"  # `value`: A, B or C
    SEND = "ok"  # send the answer or the opinion as it stands
    CANCEL = "x"


@dataclass(frozen=True)
class StepPress(Button, prefix="sg:hd"):
    """A button of an officer's dialog (contact, answer, opinion); refused unless the chat holds it."""

    action: StepAction
    suggestion_id: int
    value: str = ""


class VerdictAction(enum.StrEnum):
    CONFIRM = "y"
    DISPUTE = "n"  # asks a reason


@dataclass(frozen=True)
class VerdictPress(Button, prefix="sg:hv"):
    """The deputy's word on a 三见面 contact (the service checks the filer, once)."""

    action: VerdictAction
    contact_id: int


class RateAction(enum.StrEnum):
    SATISFIED = "s"
    BASIC = "b"
    DISSATISFIED = "d"  # asks a reason


@dataclass(frozen=True)
class RatePress(Button, prefix="sg:hr"):
    """The deputy's rating of one answer (the service checks the filer, the latest answer, once)."""

    action: RateAction
    answer_id: int


class DecisionAction(enum.StrEnum):
    GRANT = "g"  # choose the new term, then type the reason
    MONTHS = "m"  # `value`: the new term in months
    DENY_EXTENSION = "de"  # type the reason
    DENY_REASSIGN = "dr"  # type the reason
    REASSIGN = "r"  # the assignment picker


@dataclass(frozen=True)
class DecisionPress(Button, prefix="sg:hs"):
    """Staff's decision on a unit's request or a staff review (staff only, the state checked)."""

    action: DecisionAction
    suggestion_id: int
    value: int = 0
