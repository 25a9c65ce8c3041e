"""The suggestion pages: the filtered list (and its export) with counts per state, one suggestion with
its ledger, 三见面, co-unit opinions and answers, the 交办 forms (return, prepare) and the 交办会 (a
confirmation page, then publishing every prepared one). Thin like the others: parse, call the reads or
`bot.console.assignment`, render; a refusal is shown with its reason on the page it came from. The
decisions after 交办 (merge, more time, reassign, 销号, 回头看) and the ledger's download are in
`suggestion_decisions`, which shows its refusals on this module's page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.console.assignment import SuggestionAssignment
from bot.console.export import Table
from bot.console.labels import CATEGORIES, COLOUR_LABELS, label
from bot.console.pages.base import (
    FORM,
    ROOT,
    WROTE_OUTBOX,
    download,
    export_format,
    link,
    not_found,
    off_loop,
    reads,
    redirect,
    services,
    signed,
    staff_page,
    tr_of,
    when_of,
)
from bot.console.reads.base import page_number, parse_id
from bot.console.reads.suggestions import (
    CLOCK_STATES,
    LIST_STATES,
    RECESS,
    SuggestionFilter,
    SuggestionReads,
    SuggestionRow,
)
from bot.console.suggestion_labels import (
    RATING_LABELS,
    RESULT_LABELS,
    SUGGESTION_STATE_LABELS,
    suggestion_labels,
)
from bot.kit.i18n import N_, Translator
from bot.suggestions import handling, supervise
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS, MAX_TERM_MONTHS
from bot.suggestions.lifecycle import Refusal, RefusalReason

__all__ = [
    "prepare_suggestion",
    "publish",
    "publish_confirm",
    "return_suggestion",
    "suggestion",
    "suggestions",
]

MAX_REASON = 500

COLUMNS = (
    N_("Suggestion number"),
    N_("Series"),
    N_("Filed at"),
    N_("Title"),
    N_("Category"),
    N_("Status"),
    N_("Filer"),
    N_("From opinions"),
    N_("Lead unit"),
    N_("Co-units"),
    N_("Supervising committee"),
    N_("Term (months)"),
    N_("Assigned at"),
    N_("Due"),
    N_("Colour"),
    N_("Result"),
    N_("Rating"),
    N_("Closed at"),
)


def _series(tr: Translator, row: SuggestionRow) -> str:
    """The session's name and code (its code alone once the calendar lost it), or 闭会期间."""
    if row.number is None:
        return ""
    if row.series is None:
        return tr("between sessions")
    return f"{row.series_name} ({row.series})" if row.series_name else row.series


def _table(tr: Translator, rows: Sequence[SuggestionRow], when: Callable[[datetime | None], str]) -> Table:
    """The list as a sheet: what the page shows, no text of the suggestion, nothing of a constituent
    (the opinions it came from by tracking number)."""
    return Table(
        tr("Suggestions"),
        [tr(c) for c in COLUMNS],
        [
            [
                r.number or "",
                _series(tr, r),
                when(r.filed_at) if r.filed_at else "",
                r.title,
                label(tr, CATEGORIES, r.category),
                label(tr, SUGGESTION_STATE_LABELS, r.state),
                r.filer,
                "; ".join(r.opinions),
                r.lead_unit or "",
                "; ".join(r.co_units),
                r.committee or "",
                r.term_months,
                when(r.assigned_at) if r.assigned_at else "",
                r.due_on.isoformat() if r.due_on else "",
                label(tr, COLOUR_LABELS, r.colour) if r.colour else "",
                label(tr, RESULT_LABELS, r.result_class) if r.result_class else "",
                label(tr, RATING_LABELS, r.rating) if r.rating else "",
                when(r.closed_at) if r.closed_at else "",
            ]
            for r in rows
        ],
    )


def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    return staff_page(request, template, nav="suggestions", sl=suggestion_labels(), **context)


async def suggestions(request: web.Request) -> web.Response:
    tr = tr_of(request)
    service = reads(request, SuggestionReads)
    f = SuggestionFilter.parse(request.query)
    kind = export_format(request)
    if kind is not None:
        rows, _paging, _counts = await off_loop(
            request, SuggestionReads, lambda found: found.suggestions(f, size=0)
        )
        when = when_of(services(request).settings)
        return await download(request, "suggestions", kind, [_table(tr, rows, when)])
    rows, paging, counts = await service.suggestions(f, page_number(request.query.get("page")))
    query = f.as_query()
    categories = await service.suggestion_categories()
    message = None
    if request.query.get("done") == "published":
        count = parse_id(request.query.get("count")) or 0
        message = tr(
            "{count} suggestion(s) were published at the 交办会; the units have their cards.", count=count
        )
    return _page(
        request,
        "suggestions.html",
        f=f,
        rows=rows,
        paging=paging,
        counts=counts,
        total=sum(counts.values()),
        states=[s.value for s in LIST_STATES],
        clock_states=[s.value for s in CLOCK_STATES],
        categories=list(CATEGORIES) + [c for c in categories if c not in CATEGORIES],
        units=await service.suggestion_units(),
        committees=await service.suggestion_committees(),
        years=await service.suggestion_years(),
        sessions=await service.suggestion_sessions(),
        recess=RECESS,
        prepared=await service.prepared_count(),
        message=message,
        state_url=lambda state: link("/suggestions", query, state=state, page=""),
        prev_url=link("/suggestions", query, page=paging.number - 1),
        next_url=link("/suggestions", query, page=paging.number + 1),
        xlsx_url=link("/suggestions", query, format="xlsx"),
        csv_url=link("/suggestions", query, format="csv"),
    )


# -- one suggestion -----------------------------------------------------------------------------------

DONE_TEXTS = {
    "returned": N_("The suggestion was returned to its filer, who has been told the reason."),
    "prepared": N_(
        "The assignment is prepared. It is sent to the units when the prepared suggestions are published at "
        "the 交办会."
    ),
    # The decisions after 交办 (bot/console/pages/suggestion_decisions.py):
    "merged": N_(
        "The suggestion was merged into the one it duplicates; its filer, co-signers and the senders of its "
        "opinions have been told, and follow that one now."
    ),
    "extension_granted": N_("More time was granted; the unit, the deputy and the committee have been told."),
    "extension_denied": N_("The request for more time was refused; the unit has been told the reason."),
    "reassigned": N_(
        "The suggestion was reassigned: the new units have their cards; the previous lead unit, the deputy "
        "and the committee have been told."
    ),
    "reassign_denied": N_("The suggestion stays with its unit, which has been told the reason."),
    "closed": N_("The suggestion was closed (销号); the deputy, the unit and the committee have been told."),
    "concluded": N_("The re-check was concluded; the deputy and the unit have been told."),
}
REFUSAL_TEXTS = {
    RefusalReason.REASON_REQUIRED: N_("Give a reason: the filer is told it."),
    RefusalReason.UNITS_INVALID: N_("Choose one lead unit, and do not tick it as a co-unit as well."),
    RefusalReason.NOT_PERMITTED: N_("Only the congress office assigns suggestions."),
    RefusalReason.NO_RELATION: N_("Only the congress office assigns suggestions."),
}
STALE_TEXT = N_(
    "This suggestion changed while you were looking at it; it is now: {state}. Check it again below."
)
UNKNOWN_UNIT_TEXT = N_("One of the chosen units does not exist. Choose again.")
LONG_TERM_TEXT = N_("A term over three months needs a reason.")
TERM_TEXT = N_("The term must be 1–6 months.")


def refusal_text(tr: Translator, refusal: Refusal, state: str) -> str:
    """What a refused request says, in the staff member's words."""
    if refusal.reason in (RefusalReason.STALE_STATE, RefusalReason.FINAL):
        return tr(STALE_TEXT, state=label(tr, SUGGESTION_STATE_LABELS, state))
    if refusal.reason is RefusalReason.UNITS_INVALID and refusal.detail == "unknown_unit":
        return tr(UNKNOWN_UNIT_TEXT)
    if refusal.reason is RefusalReason.TERM_INVALID:
        needs_reason = "three months" in refusal.detail  # deadlines.term_problem's words
        return tr(LONG_TERM_TEXT if needs_reason else TERM_TEXT)
    return tr(REFUSAL_TEXTS.get(refusal.reason, REFUSAL_TEXTS[RefusalReason.NOT_PERMITTED]))


def _status(refusal: Refusal) -> int:
    if refusal.reason in (RefusalReason.STALE_STATE, RefusalReason.FINAL):
        return 409
    if refusal.reason in (RefusalReason.NOT_PERMITTED, RefusalReason.NO_RELATION):
        return 403
    return 422


async def suggestion(
    request: web.Request,
    *,
    refusal: Refusal | None = None,
    kept: dict[str, Any] | None = None,
    error: str | None = None,
) -> web.Response:
    """One suggestion; after a refused form, with the reason (`error`, or said here) and what was typed."""
    tr = tr_of(request)
    found_id = parse_id(request.match_info.get("suggestion_id"))
    detail = (
        await reads(request, SuggestionReads).suggestion_detail(found_id) if found_id is not None else None
    )
    if detail is None:
        return not_found(request, tr, tr("This suggestion does not exist."))
    done = request.query.get("done")
    message = tr(DONE_TEXTS[done]) if done in DONE_TEXTS and refusal is None else None
    if error is None and refusal is not None:
        error = refusal_text(tr, refusal, detail.suggestion.state)
    if kept and (detail.can_prepare or detail.can_reassign) and "lead" in kept:
        detail.chosen_lead, detail.chosen_co = kept["lead"], kept["co"]
        detail.chosen_months, detail.chosen_reason = kept["months"], kept["reason"]
    return _page(
        request,
        "suggestion.html",
        d=detail,
        s=detail.suggestion,
        message=message,
        error=error,
        error_form=(kept or {}).get("form", ""),
        kept_reason=(kept or {}).get("return_reason", ""),
        kept=kept or {},
        months=list(range(1, MAX_TERM_MONTHS + 1)),
        default_months=DEFAULT_TERM_MONTHS,
        reason_max=handling.MAX_REASON,
        note_max=supervise.MAX_NOTE,
        status=_status(refusal) if refusal is not None else 200,
    )


def _text(value: object) -> str:
    return str(value or "").strip()[:MAX_REASON] if isinstance(value, str) else ""


async def return_suggestion(request: web.Request) -> web.StreamResponse:
    """↩️ Return to the filer with a reason, through AssignmentService (the lifecycle's RETURN)."""
    form = request[FORM]
    suggestion_id = parse_id(request.match_info["suggestion_id"])
    if suggestion_id is None:
        raise web.HTTPNotFound()
    reason = _text(form.get("reason"))
    outcome = await reads(request, SuggestionAssignment).return_to_filer(
        suggestion_id, signed(request).person, reason, shown_state=_text(form.get("state"))
    )
    if outcome.refusal is not None:
        return await _refused(request, outcome.refusal, {"form": "return", "return_reason": reason})
    request[WROTE_OUTBOX] = True
    return redirect(f"{ROOT}/suggestions/{suggestion_id}?done=returned")


def _months(value: object) -> int:
    """The term from the form; anything not a small number becomes 0, which the lifecycle refuses."""
    number = parse_id(value)
    return number if number is not None and number <= 99 else 0


async def prepare_suggestion(request: web.Request) -> web.StreamResponse:
    """📌 Prepare: lead unit, co-units, term (over three months with a reason), through AssignmentService."""
    form = request[FORM]
    suggestion_id = parse_id(request.match_info["suggestion_id"])
    if suggestion_id is None:
        raise web.HTTPNotFound()
    lead = parse_id(form.get("lead") or None)
    co = [u for u in (parse_id(v) for v in form.getall("co", [])) if u is not None]
    months, reason = _months(form.get("months")), _text(form.get("reason"))
    outcome = await reads(request, SuggestionAssignment).prepare(
        suggestion_id,
        signed(request).person,
        lead,
        list(dict.fromkeys(co)),
        months=months,
        reason=reason,
        shown_state=_text(form.get("state")),
    )
    if outcome.refusal is not None:
        kept = {
            "form": "prepare",
            "lead": lead,
            "co": co,
            "months": months or DEFAULT_TERM_MONTHS,
            "reason": reason,
        }
        return await _refused(request, outcome.refusal, kept)
    request[WROTE_OUTBOX] = True
    return redirect(f"{ROOT}/suggestions/{suggestion_id}?done=prepared")


async def _refused(request: web.Request, refusal: Refusal, kept: dict[str, Any]) -> web.StreamResponse:
    if refusal.reason is RefusalReason.NO_RELATION and refusal.detail == "not_found":
        tr = tr_of(request)
        return not_found(request, tr, tr("This suggestion does not exist."))
    return await suggestion(request, refusal=refusal, kept=kept)


# -- the 交办会 ------------------------------------------------------------------------------------------


async def publish_confirm(request: web.Request, *, error: str | None = None) -> web.Response:
    """The confirmation step: every prepared suggestion, as publishing would send them."""
    rows = await reads(request, SuggestionReads).prepared()
    return _page(request, "suggestions_publish.html", rows=rows, error=error, status=409 if error else 200)


async def publish(request: web.Request) -> web.StreamResponse:
    """Publish every prepared suggestion at once, if they are the ones the confirmation page listed."""
    form = request[FORM]
    shown = [i for i in (parse_id(v) for v in form.getall("id", [])) if i is not None]
    done = await reads(request, SuggestionAssignment).publish(signed(request).person, shown)
    if done.refusal is not None:
        tr = tr_of(request)
        return await publish_confirm(
            request, error=tr("The prepared suggestions changed since this page was shown. Check them again.")
        )
    request[WROTE_OUTBOX] = True
    return redirect(link("/suggestions", {}, done="published", count=len(done.numbers)))
