"""Words for the suggestion pages' stored codes: states, ledger actions, who acted, 三见面, co-signers,
results and ratings, marked for translation. States, results and ratings are the suggestion loop's own
(`bot.suggestions.lifecycle`, `bot.suggestions.results`), so the console says what the chat says."""

from __future__ import annotations

from bot.kit.i18n import N_
from bot.suggestions import ledger, lifecycle, results
from bot.suggestions.lifecycle import ActorKind
from storage.models.suggestions import ContactForm, ContactStage, ContactVerdict, CosignerState

__all__ = [
    "ACTOR_LABELS",
    "CONTACT_FORM_LABELS",
    "CONTACT_STAGE_LABELS",
    "COSIGNER_LABELS",
    "LEDGER_LABELS",
    "RATING_LABELS",
    "RECHECK_LABELS",
    "RESULT_LABELS",
    "SUGGESTION_STATE_LABELS",
    "VERDICT_LABELS",
    "suggestion_labels",
]

# The loop's own words, keyed by the stored code.
SUGGESTION_STATE_LABELS: dict[str, str] = {s.value: t for s, t in lifecycle.STATE_LABELS.items()}
RESULT_LABELS: dict[str, str] = {c.value: t for c, t in results.RESULT_LABELS.items()}
RATING_LABELS: dict[str, str] = {r.value: t for r, t in results.RATING_LABELS.items()}

# Every ledger entry the loop writes, in the ledger's own words (`bot.suggestions.ledger`).
LEDGER_LABELS: dict[str, str] = ledger.ACTION_LABELS

ACTOR_LABELS: dict[str, str] = {
    ActorKind.FILER: N_("actor: the filer"),
    ActorKind.COSIGNER: N_("actor: co-signer"),
    ActorKind.STAFF: N_("actor: congress office"),
    ActorKind.LEAD_OFFICER: N_("actor: lead unit"),
    ActorKind.CO_OFFICER: N_("actor: co-unit"),
    ActorKind.COMMITTEE: N_("actor: special committee"),
    ActorKind.SYSTEM: N_("actor: the system"),
}

CONTACT_STAGE_LABELS: dict[str, str] = {
    ContactStage.BEFORE: N_("三见面: before handling"),
    ContactStage.DURING: N_("三见面: during handling"),
    ContactStage.AFTER: N_("三见面: after handling"),
}

CONTACT_FORM_LABELS: dict[str, str] = {
    ContactForm.PHONE: N_("contact form: phone"),
    ContactForm.VISIT: N_("contact form: visit"),
    ContactForm.MEETING: N_("contact form: meeting"),
    ContactForm.OTHER: N_("contact form: other"),
}

VERDICT_LABELS: dict[str, str] = {
    ContactVerdict.PENDING: N_("verdict: awaiting the deputy"),
    ContactVerdict.CONFIRMED: N_("verdict: confirmed by the deputy"),
    ContactVerdict.DISPUTED: N_("verdict: disputed by the deputy"),
}

COSIGNER_LABELS: dict[str, str] = {
    CosignerState.INVITED: N_("co-signer: not answered yet"),
    CosignerState.CONFIRMED: N_("co-signer: co-signed"),
    CosignerState.DECLINED: N_("co-signer: declined"),
}

RECHECK_LABELS: dict[str, str] = {
    "confirmed": N_("re-check: stayed solved"),
    "reopened": N_("re-check: reopened"),
    "concluded": N_("re-check: concluded"),
}


def suggestion_labels() -> dict[str, dict[str, str]]:
    """The tables the suggestion templates look codes up in (`label(sl.ledger, code)`)."""
    return {
        "state": SUGGESTION_STATE_LABELS,
        "ledger": LEDGER_LABELS,
        "actor": ACTOR_LABELS,
        "stage": CONTACT_STAGE_LABELS,
        "form": CONTACT_FORM_LABELS,
        "verdict": VERDICT_LABELS,
        "cosigner": COSIGNER_LABELS,
        "result": RESULT_LABELS,
        "rating": RATING_LABELS,
        "recheck": RECHECK_LABELS,
    }
