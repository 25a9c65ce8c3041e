"""Words for the suggestion pages' stored codes: states, ledger actions, who acted, 三见面, co-signers,
results and ratings, marked for translation. States, results and ratings are the suggestion loop's own
(`bot.suggestions.lifecycle`, `bot.suggestions.results`), so the console says what the chat says."""

from __future__ import annotations

from bot.kit.i18n import N_
from bot.suggestions import lifecycle, results
from bot.suggestions.lifecycle import Action, ActorKind
from bot.suggestions.service import CREATE
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

# Every ledger entry the loop writes (the lifecycle's actions and the first entry, the draft written);
# an entry another part adds later without a label here is shown by its code.
LEDGER_LABELS: dict[str, str] = {
    CREATE: N_("ledger: drafted"),
    Action.INVITE_COSIGNERS: N_("ledger: co-signers invited"),
    Action.COSIGN: N_("ledger: co-signed"),
    Action.DECLINE_COSIGN: N_("ledger: co-signing declined"),
    Action.FILE: N_("ledger: filed"),
    Action.RETURN: N_("ledger: returned to the filer"),
    Action.REFILE: N_("ledger: filed again"),
    Action.WITHDRAW: N_("ledger: withdrawn"),
    Action.MERGE: N_("ledger: merged into another"),
    Action.PREPARE: N_("ledger: assignment prepared"),
    Action.PUBLISH: N_("ledger: published at the 交办会"),
    Action.ASSIGN: N_("ledger: assigned"),
    Action.SIGN_FOR: N_("ledger: signed for by the lead unit"),
    Action.REQUEST_EXTENSION: N_("ledger: extension requested"),
    Action.GRANT_EXTENSION: N_("ledger: extension granted"),
    Action.DENY_EXTENSION: N_("ledger: extension refused"),
    Action.REQUEST_REASSIGN: N_("ledger: reassignment requested"),
    Action.REASSIGN: N_("ledger: reassigned"),
    Action.DENY_REASSIGN: N_("ledger: reassignment refused"),
    Action.CO_OPINION: N_("ledger: co-unit opinion"),
    Action.RECORD_CONTACT: N_("ledger: 三见面 contact recorded"),
    Action.CONFIRM_CONTACT: N_("ledger: contact confirmed by the deputy"),
    Action.DISPUTE_CONTACT: N_("ledger: contact disputed by the deputy"),
    Action.COMMENT: N_("ledger: supervision comment"),
    Action.REMIND: N_("ledger: reminder"),
    Action.ASK_ESCALATION: N_("ledger: escalation asked"),
    Action.ANSWER: N_("ledger: answered"),
    Action.RATE_SATISFIED: N_("ledger: rated satisfied"),
    Action.RATE_BASIC: N_("ledger: rated basically satisfied"),
    Action.RATE_DISSATISFIED: N_("ledger: rated dissatisfied"),
    Action.CLOSE: N_("ledger: closed by the congress office"),
    Action.START_RECHECK: N_("ledger: re-check started"),
    Action.RECHECK_CONFIRM: N_("ledger: re-check, stayed solved"),
    Action.RECHECK_REOPEN: N_("ledger: re-check, reopened"),
    Action.CONCLUDE_RECHECK: N_("ledger: re-check concluded"),
}

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
