"""The suggestion page's decision forms after 交办 — merge, grant or refuse more time, reassign or keep it
with the unit, close (销号), conclude a re-check — and the 立项—督办—销号 ledger as XLSX.

Thin like the other pages: parse the form, call `bot.console.decisions.SuggestionDecisions` (the chat's
services), then redirect to the suggestion with what was done, or show it again with the refusal's reason
(422 for what the form lacks, 409 when the suggestion moved on since the page showed it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console.decisions import SuggestionDecisions
from bot.console.export import Table
from bot.console.pages.base import (
    FORM,
    ROOT,
    WROTE_OUTBOX,
    download,
    not_found,
    off_loop,
    reads,
    services,
    signed,
    tr_of,
)
from bot.console.pages.base import redirect as see_other
from bot.console.pages.suggestions import UNKNOWN_UNIT_TEXT, refusal_text, suggestion
from bot.console.reads.base import parse_id
from bot.console.reads.suggestions import SuggestionReads
from bot.kit.i18n import N_, Translator
from bot.suggestions import handling, ledger, supervise
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS
from bot.suggestions.lifecycle import Action, Refusal, RefusalReason
from bot.suggestions.service import Outcome
from storage.models.suggestions import Suggestion

__all__ = [
    "close",
    "conclude_recheck",
    "deny_extension",
    "deny_reassign",
    "grant_extension",
    "ledger_export",
    "merge",
    "reassign",
]

# Read from a form at most this many characters: enough for the services to judge (and refuse) a reason
# over their limits, never an unbounded text.
MAX_FIELD = 4000
MAX_NUMBER = 40

REASON_TEXT = N_("Give a reason: it is recorded in the ledger and sent with the notice.")
TOO_LONG_TEXT = N_("The reason is too long: at most {max} characters.")
LONGER_TERM_TEXT = N_("The new term must be longer than the current {months} months, and at most six.")
NOT_STAFF_TEXT = N_("Only the congress office decides this.")
MERGE_TARGET_TEXT = N_("Choose the suggestion it joins, or type its number (e.g. S-2026-0003).")
MERGE_UNKNOWN_TEXT = N_("No such suggestion: choose one from the list, or check the number typed.")
# The chat's own words for these (one translation each).
MERGE_ITSELF_TEXT = N_("A suggestion cannot be merged into itself.")
MERGE_CLOSED_TEXT = N_(
    "It can only join a suggestion that is filed and still open: not one merged, withdrawn or returned."
)
SAME_LEAD_TEXT = N_("That unit leads it already; choose another lead unit.")
MERGE_TEXTS = {"itself": MERGE_ITSELF_TEXT, "unknown": MERGE_UNKNOWN_TEXT}  # by the refusal's detail
UNIT_TEXTS = {"same_lead": SAME_LEAD_TEXT, "unknown_unit": UNKNOWN_UNIT_TEXT}  # a reassignment's units

# The longest reason each service takes (UTF-16 units): handling's decisions, supervision's notes.
LIMITS = {
    "grant": handling.MAX_REASON,
    "deny_extension": handling.MAX_REASON,
    "reassign": handling.MAX_REASON,
    "deny_reassign": handling.MAX_REASON,
    "close": supervise.MAX_NOTE,
    "conclude": supervise.MAX_NOTE,
}


def decision_refusal(tr: Translator, refusal: Refusal, suggestion: Suggestion, form: str) -> str:
    """What a refused decision says, in the staff member's words."""
    R = RefusalReason
    reason, detail, state = refusal.reason, refusal.detail, suggestion.state
    if reason in (R.STALE_STATE, R.FINAL):
        return refusal_text(tr, refusal, state)
    if reason in (R.NOT_PERMITTED, R.NO_RELATION):
        return tr(NOT_STAFF_TEXT)
    if detail == "too_long" and reason in (R.REASON_REQUIRED, R.INVALID_ARGUMENT):
        return tr(TOO_LONG_TEXT, max=LIMITS.get(form, handling.MAX_REASON))
    if reason is R.REASON_REQUIRED:
        return tr(REASON_TEXT)
    if reason is R.MERGE_TARGET_REQUIRED:
        return tr(MERGE_TARGET_TEXT)
    if reason is R.MERGE_TARGET_INVALID:
        return tr(MERGE_TEXTS.get(detail, MERGE_CLOSED_TEXT))
    if reason is R.TERM_INVALID and form == "grant":
        return tr(LONGER_TERM_TEXT, months=suggestion.term_months or DEFAULT_TERM_MONTHS)
    if reason is R.INVALID_ARGUMENT and detail in UNIT_TEXTS:
        return tr(UNIT_TEXTS[detail])
    return refusal_text(tr, refusal, state)  # units, terms, an unknown unit: as the prepare form says


# -- the forms ----------------------------------------------------------------------------------------


def _field(form: Any, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _months(value: object) -> int:
    """A term from the form; anything not a small number becomes 0, which the lifecycle refuses."""
    number = parse_id(value)
    return number if number is not None and number <= 99 else 0


def _decisions(request: web.Request) -> SuggestionDecisions:
    return reads(request, SuggestionDecisions)


Step = Callable[[SuggestionDecisions, int, str], Awaitable[Outcome]]


async def _decide(
    request: web.Request, form_name: str, done: str, step: Step, kept: dict[str, Any]
) -> web.StreamResponse:
    """Run one decision on the suggestion in the path; the page again with the reason when refused."""
    suggestion_id = parse_id(request.match_info["suggestion_id"])
    if suggestion_id is None:
        raise web.HTTPNotFound()
    shown = _field(request[FORM], "state", 32)
    outcome = await step(_decisions(request), suggestion_id, shown)
    if outcome.refusal is None:
        request[WROTE_OUTBOX] = True
        return see_other(f"{ROOT}/suggestions/{suggestion_id}?done={done}")
    tr = tr_of(request)
    if outcome.suggestion is None:
        return not_found(request, tr, tr("This suggestion does not exist."))
    error = decision_refusal(tr, outcome.refusal, outcome.suggestion, form_name)
    return await suggestion(request, refusal=outcome.refusal, kept={"form": form_name, **kept}, error=error)


async def merge(request: web.Request) -> web.StreamResponse:
    """🔗 Merge into a candidate of the same category, or into the suggestion whose number is typed."""
    form = request[FORM]
    target, number = parse_id(form.get("target") or None), _field(form, "number", MAX_NUMBER)
    me = signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.merge(sid, me, target, number, shown_state=shown)

    return await _decide(request, "merge", "merged", step, {"target": target, "number": number})


async def grant_extension(request: web.Request) -> web.StreamResponse:
    """✅ More time: the new term (months from assignment) and the reason."""
    form = request[FORM]
    months, reason = _months(form.get("months")), _field(form, "reason")
    me = signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.grant_extension(sid, me, months, reason, shown_state=shown)

    return await _decide(request, "grant", "extension_granted", step, {"reason": reason, "months": months})


async def deny_extension(request: web.Request) -> web.StreamResponse:
    """✋ No more time, with the reason the unit is told."""
    return await _deny(request, Action.DENY_EXTENSION, "deny_extension", "extension_denied")


async def deny_reassign(request: web.Request) -> web.StreamResponse:
    """✋ Keep it with the unit that said "not ours", with the reason it is told."""
    return await _deny(request, Action.DENY_REASSIGN, "deny_reassign", "reassign_denied")


async def _deny(request: web.Request, action: Action, form_name: str, done: str) -> web.StreamResponse:
    reason, me = _field(request[FORM], "reason"), signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.deny(sid, me, action, reason, shown_state=shown)

    return await _decide(request, form_name, done, step, {"reason": reason})


async def reassign(request: web.Request) -> web.StreamResponse:
    """🔁 Reassign: a new lead unit, co-units and a term (over three months with a reason)."""
    form = request[FORM]
    lead = parse_id(form.get("lead") or None)
    co = list(dict.fromkeys(u for u in (parse_id(v) for v in form.getall("co", [])) if u is not None))
    # The term's reason, bounded as the prepare form bounds it (the service takes any length there).
    months, reason = _months(form.get("months")), _field(form, "reason", handling.MAX_REASON)
    me = signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.reassign(sid, me, lead, co, months=months, reason=reason, shown_state=shown)

    kept = {"lead": lead, "co": co, "months": months or DEFAULT_TERM_MONTHS, "reason": reason}
    return await _decide(request, "reassign", "reassigned", step, kept)


async def close(request: web.Request) -> web.StreamResponse:
    """🏁 销号 by the office's decision, with its reason."""
    reason, me = _field(request[FORM], "reason"), signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.close(sid, me, reason, shown_state=shown)

    return await _decide(request, "close", "closed", step, {"reason": reason})


async def conclude_recheck(request: web.Request) -> web.StreamResponse:
    """☑️ Conclude the re-check (回头看), with the conclusion."""
    reason, me = _field(request[FORM], "reason"), signed(request).person

    async def step(d: SuggestionDecisions, sid: int, shown: str) -> Outcome:
        return await d.conclude_recheck(sid, me, reason, shown_state=shown)

    return await _decide(request, "conclude", "concluded", step, {"reason": reason})


# -- the 立项—督办—销号 ledger ---------------------------------------------------------------------------


async def ledger_export(request: web.Request) -> web.StreamResponse:
    """The ledger as /ledger sends it (suggestions and events sheets), of a year and/or a series."""
    year = parse_id(request.query.get("year") or None)
    year = year if year is not None and 1900 <= year <= 9999 else None
    series = (request.query.get("series") or "")[:32] or None
    book = await off_loop(request, SuggestionReads, lambda found: found.ledger_book(year, series))
    sheets = ledger.sheets(tr_of(request), book, services(request).settings.zone)
    return await download(request, "ledger", "xlsx", [Table(s.title, s.headers, s.rows) for s in sheets])
