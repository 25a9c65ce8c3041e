"""What a person is told when the lifecycle refuses their request: one text per refusal reason."""

from __future__ import annotations

from bot.kit.i18n import N_, Translator
from bot.opinions.lifecycle import Refusal, RefusalReason

REFUSALS: dict[str, str] = {
    RefusalReason.NOT_FOUND: N_("This opinion does not exist."),
    RefusalReason.NO_RELATION: N_("You cannot act on this opinion."),
    RefusalReason.NOT_PERMITTED: N_("You cannot act on this opinion."),
    RefusalReason.FINAL: N_("This opinion is already closed."),
    RefusalReason.STALE_STATE: N_("This opinion has moved on; that button no longer applies."),
    RefusalReason.INVALID_ARGUMENT: N_("That did not work; please try again."),
    RefusalReason.NOT_DUE: N_("That is not possible yet."),
    RefusalReason.UNKNOWN_ACTION: N_("This button is no longer valid."),
}


def refusal_text(tr: Translator, refusal: Refusal) -> str:
    return tr(REFUSALS.get(refusal.reason, REFUSALS[RefusalReason.UNKNOWN_ACTION]))
