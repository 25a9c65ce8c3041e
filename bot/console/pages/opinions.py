"""The dashboard and the opinion pages: the figures and charts, the filtered list (and its export), one
opinion with its timeline, and reassigning it (the console's one action, told in chat like /queue's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console import charts
from bot.console.export import Table
from bot.console.labels import CATEGORIES, COLOUR_LABELS, STATE_LABELS, label
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
    uow,
    when_of,
)
from bot.console.reads.base import clean_query, page_number, parse_id
from bot.console.reads.dashboard import DashboardReads
from bot.console.reads.opinions import TRIAGE, OpinionFilter, OpinionReads, OpinionRow
from bot.console.reassign import Reassignment
from bot.kit.i18n import N_, Translator
from bot.opinions.lifecycle import Refusal, RefusalReason
from bot.opinions.service import Outcome
from bot.opinions.views import OpinionViews
from storage.models import OpinionState, Person
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.context import Services

__all__ = ["dashboard", "notify_reassign", "opinion", "opinions", "reassign"]


def _month_label(key: str) -> str:
    return key[2:] if len(key) == 7 else key  # 2026-03 → 26-03


async def dashboard(request: web.Request) -> web.Response:
    tr = tr_of(request)
    figures = await off_loop(request, DashboardReads, lambda found: found.dashboard())
    months = figures.by_month
    month_chart = charts.column_chart(
        [_month_label(m["key"]) for m in months],
        [
            ("received", tr("received"), [m["received"] for m in months]),
            ("handled", tr("handled"), [m["handled"] for m in months]),
        ],
    )
    category_chart = charts.row_chart(
        [(label(tr, CATEGORIES, r["key"]), r["received"]) for r in figures.by_category[:12]]
    )
    return staff_page(
        request,
        "dashboard.html",
        nav="dashboard",
        f=figures,
        month_chart=month_chart,
        category_chart=category_chart,
    )


def _opinion_table(
    tr: Translator, rows: Sequence[OpinionRow], when: Callable[[datetime | None], str]
) -> Table:
    return Table(
        tr("Opinions"),
        [
            tr("Tracking number"),
            tr("Received at"),
            tr("Category"),
            tr("Status"),
            tr("Colour"),
            tr("Deadline"),
            tr("Station"),
            tr("Held by"),
            tr("Text"),
        ],
        [
            [
                r.tracking_no,
                when(r.created_at),
                label(tr, CATEGORIES, r.category),
                label(tr, STATE_LABELS, r.state),
                label(tr, COLOUR_LABELS, r.colour) if r.colour else "",
                when(r.deadline) if r.deadline else "",
                r.station or "",
                r.holder or tr("the congress office"),
                r.text,
            ]
            for r in rows
        ],
    )


async def opinions(request: web.Request) -> web.Response:
    tr = tr_of(request)
    service = reads(request, OpinionReads)
    f = OpinionFilter.parse(request.query)
    kind = export_format(request)
    if kind is not None:
        rows, _paging = await off_loop(request, OpinionReads, lambda found: found.opinions(f, size=0))
        when = when_of(services(request).settings)
        return await download(request, "opinions", kind, [_opinion_table(tr, rows, when)])
    rows, paging = await service.opinions(f, page_number(request.query.get("page")))
    known = await service.categories()
    categories = list(CATEGORIES) + [c for c in known if c not in CATEGORIES]
    query = f.as_query()
    return staff_page(
        request,
        "opinions.html",
        nav="opinions",
        f=f,
        rows=rows,
        paging=paging,
        states=[s.value for s in OpinionState],
        stations=await service.stations(),
        deputies=await service.deputies(),
        categories=categories,
        triage=TRIAGE,
        prev_url=link("/opinions", query, page=paging.number - 1),
        next_url=link("/opinions", query, page=paging.number + 1),
        xlsx_url=link("/opinions", query, format="xlsx"),
        csv_url=link("/opinions", query, format="csv"),
    )


DONE_TEXTS = {
    "reassigned": N_("The opinion was given to {holder}. The deputy and the sender have been told.")
}
REASSIGN_REFUSALS = {
    RefusalReason.NOT_FOUND: N_("This opinion does not exist."),
    RefusalReason.FINAL: N_("This opinion is already closed; it cannot be reassigned."),
    RefusalReason.STALE_STATE: N_("This opinion changed while you were looking at it. Check it again below."),
    RefusalReason.INVALID_ARGUMENT: N_(
        "Pick a deputy other than the current holder (or enter a valid deputy code)."
    ),
    RefusalReason.NOT_PERMITTED: N_("You cannot reassign this opinion."),
    RefusalReason.NO_RELATION: "You cannot reassign this opinion.",
}


async def opinion(request: web.Request, *, refusal: Refusal | None = None) -> web.Response:
    tr = tr_of(request)
    found_id = parse_id(request.match_info.get("opinion_id"))
    detail = await reads(request, OpinionReads).detail(found_id) if found_id is not None else None
    if detail is None:
        return not_found(request, tr, tr("This opinion does not exist."))
    done = request.query.get("done")
    message = None
    if done in DONE_TEXTS:
        message = tr(DONE_TEXTS[done], holder=detail.holder or tr("the congress office"))
    error = None
    if refusal is not None:
        error = tr(REASSIGN_REFUSALS.get(refusal.reason, REASSIGN_REFUSALS[RefusalReason.NOT_PERMITTED]))
    return staff_page(
        request,
        "opinion.html",
        nav="opinions",
        d=detail,
        o=detail.opinion,
        message=message,
        error=error,
        status=409 if error else 200,
    )


async def notify_reassign(
    uow: UnitOfWork, services: Services, outcome: Outcome, previous: Person | None
) -> None:
    """Queue what a transfer tells (the new holder's card, the sender's notice, the previous holder's
    note) and take the buttons off the previous holder's card: what /queue's picker does in chat."""
    if outcome.opinion is None:
        return
    views = OpinionViews(uow, services.settings, services.policy)
    now = services.clock.now()
    await views.deliver(outcome.notifications, now)
    if previous is not None:
        await uow.console.load_deputy(previous)
        await views.refresh_card(outcome.opinion, previous, now)


async def reassign(request: web.Request) -> web.StreamResponse:
    """Give the opinion to the deputy picked in the form (or named by code), through the lifecycle."""
    form = request[FORM]
    found, work = services(request), uow(request)
    service = reads(request, Reassignment)
    opinion_id = parse_id(request.match_info["opinion_id"])
    if opinion_id is None:
        raise web.HTTPNotFound()
    code = clean_query(form.get("deputy_code"))
    to_deputy = await service.deputy_by_code(code) if code else parse_id(form.get("deputy_id"))
    shown = parse_id(form.get("holder") or "0")
    current = await work.opinions.get(opinion_id)
    views = OpinionViews(work, found.settings, found.policy)
    previous = await views.holder_person(current) if current is not None else None
    outcome = await service.reassign(
        opinion_id,
        to_deputy,
        signed(request).person,
        shown_holder=shown if shown is not None else -1,
        note=str(form.get("note") or ""),
    )
    if outcome.refusal is not None:
        return await opinion(request, refusal=outcome.refusal)
    await notify_reassign(work, found, outcome, previous)
    request[WROTE_OUTBOX] = True
    return redirect(f"{ROOT}/opinions/{opinion_id}?done=reassigned")
