"""Button kinds of the suggestion chat (`sg:…`): the /suggest form's and the co-signer's card."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.kit.callbacks import Button

__all__ = ["CategoryPress", "CosignAction", "CosignPress", "FormAction", "FormPress"]


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
