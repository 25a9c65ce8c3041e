"""The points rules and the meetings in the console: a year's rule table (each rule's points, cap and
whether it counts, edited one by one; last year's table copied), with the audited history of every change
(who, when, old, new); and the meetings and trainings staff record with their attendees, the one source
of points typed in by hand. The rules are bot/points's (`PointsService`), which audits every change.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.console.pages.base import ROOT, link, not_found, redirect, services, signed, staff_page, tr_of, uow
from bot.console.pages.points import form_text, form_year, parse_int, service_of, year_of
from bot.console.reads.base import parse_id
from bot.kit.i18n import N_
from bot.points import views
from bot.points.activities import MAX_TITLE, Activities
from bot.points.rules import DEFAULT_RULES, KIND_LABELS, KIND_UNITS, ActivityKind, PointKind
from bot.points.service import Outcome, parse_codes

__all__ = [
    "activities",
    "activity",
    "add_attendees",
    "copy_rules",
    "edit_rule",
    "record_activity",
    "remove_attendance",
    "rules",
]

DONE = {
    "saved": N_("The rule was saved; the year's points were recomputed."),
    "unchanged": N_("Nothing changed."),
    "copied": N_("Last year's table was copied: {n} rules changed."),
    "recorded": N_("Recorded, with {n} attendees."),
    "added": N_("Attendees added: {n}."),
    "removed": N_("The attendee was taken off."),
}
ACTIVITY_LABELS = {ActivityKind.MEETING: N_("Meeting"), ActivityKind.TRAINING: N_("Training")}


def _message(request: web.Request) -> str:
    done = request.query.get("done", "")
    return tr_of(request)(DONE[done], n=parse_id(request.query.get("n")) or 0) if done in DONE else ""


def _refusal(request: web.Request, outcome: Outcome) -> str:
    return views.refusal_text(tr_of(request), outcome.problem, outcome.detail, html=False)


def _bad_year(request: web.Request) -> str:
    return views.refusal_text(tr_of(request), "bad_year", html=False)


# -- the rule table -----------------------------------------------------------------------------------


async def _rules_page(
    request: web.Request, year: int, *, status: int = 200, message: str = ""
) -> web.Response:
    service, now = service_of(request), services(request).clock.now()
    rules = await service.rules(year, now)
    history = await uow(request).points.rule_history(r.id for r in rules)
    return staff_page(
        request,
        "points_rules.html",
        status=status,
        nav="points",
        year=year,
        rules=rules,
        kinds=KIND_LABELS,
        units=KIND_UNITS,
        descriptions={kind.value: d.description for kind, d in DEFAULT_RULES.items()},
        history=history,
        editable=year >= service.year_now(now),
        message=message,
        failed=status >= 400,
    )


async def rules(request: web.Request) -> web.Response:
    """GET /console/points/rules?year=: the year's rule table (the default table the first time)."""
    return await _rules_page(request, year_of(request, request.query.get("year")), message=_message(request))


async def edit_rule(request: web.Request) -> web.StreamResponse:
    """POST /console/points/rules/edit: one rule's points, cap and whether it counts."""
    service, now = service_of(request), services(request).clock.now()
    year = form_year(request)
    if year is None:
        return await _rules_page(request, service.year_now(now), status=400, message=_bad_year(request))
    kind = form_text(request, "kind", 32)
    points = parse_int(form_text(request, "points", 16))
    cap_text = form_text(request, "cap", 16)
    cap = parse_int(cap_text) if cap_text else None
    if kind not in {k.value for k in PointKind} or points is None or (cap_text and cap is None):
        return await _rules_page(request, year, status=400, message=tr_of(request)("Give whole numbers."))
    active = form_text(request, "active", 4) == "1"
    outcome = await service.edit_rule(signed(request).person, year, PointKind(kind), points, cap, active, now)
    if not outcome.ok:
        return await _rules_page(request, year, status=400, message=_refusal(request, outcome))
    return redirect(
        link("/points/rules", {"year": str(year), "done": "saved" if outcome.changed else "unchanged"})
    )


async def copy_rules(request: web.Request) -> web.StreamResponse:
    """POST /console/points/rules/copy: last year's table for this year (each change audited)."""
    service, now = service_of(request), services(request).clock.now()
    year = form_year(request)
    if year is None:
        return await _rules_page(request, service.year_now(now), status=400, message=_bad_year(request))
    outcome = await service.copy_last_year(signed(request).person, year, now)
    if not outcome.ok:
        return await _rules_page(request, year, status=400, message=_refusal(request, outcome))
    return redirect(link("/points/rules", {"year": str(year), "done": "copied", "n": str(outcome.changed)}))


# -- meetings and trainings ---------------------------------------------------------------------------


def _activities(request: web.Request) -> Activities:
    return Activities(uow(request), services(request).settings.zone)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def _activities_page(
    request: web.Request,
    year: int,
    *,
    status: int = 200,
    message: str = "",
    form: dict[str, str] | None = None,
) -> web.Response:
    return staff_page(
        request,
        "points_activities.html",
        status=status,
        nav="points",
        year=year,
        activities=await uow(request).points.activities(date(year, 1, 1), date(year, 12, 31)),
        kinds=ACTIVITY_LABELS,
        form={"kind": "meeting", "day": "", "title": "", "codes": "", **(form or {})},
        max_title=MAX_TITLE,
        today=service_of(request).today(services(request).clock.now()),
        message=message,
        failed=status >= 400,
    )


async def activities(request: web.Request) -> web.Response:
    """GET /console/points/activities?year=: the year's meetings and trainings, and the form to record one."""
    return await _activities_page(
        request, year_of(request, request.query.get("year")), message=_message(request)
    )


async def record_activity(request: web.Request) -> web.StreamResponse:
    """POST /console/points/activities: a meeting or training held, with the codes of its attendees."""
    service, now = _activities(request), services(request).clock.now()
    form = {
        name: form_text(request, name, 5000 if name == "codes" else 300)
        for name in ("kind", "day", "title", "codes")
    }
    day = _day(form["day"])
    year = day.year if day is not None and service.year_ok(day.year, now) else service.year_now(now)
    kind = ActivityKind.TRAINING if form["kind"] == ActivityKind.TRAINING else ActivityKind.MEETING
    outcome = await service.record_activity(
        signed(request).person, kind, day, form["title"], parse_codes(form["codes"]), now
    )
    if not outcome.ok:
        return await _activities_page(
            request, year, status=400, message=_refusal(request, outcome), form=form
        )
    return redirect(
        link(f"/points/activities/{outcome.object_id}", {"done": "recorded", "n": str(outcome.changed)})
    )


async def _activity_page(
    request: web.Request, activity_id: int, *, status: int = 200, message: str = "", codes: str = ""
) -> web.Response:
    tr, repo = tr_of(request), uow(request).points
    found = await repo.activity(activity_id)
    if found is None:
        return not_found(request, tr, tr("This meeting or training does not exist."))
    return staff_page(
        request,
        "points_activity.html",
        status=status,
        nav="points",
        activity=found,
        kinds=ACTIVITY_LABELS,
        attendees=await repo.attendees(activity_id),
        codes=codes,
        message=message,
        failed=status >= 400,
    )


async def activity(request: web.Request) -> web.Response:
    """GET /console/points/activities/{activity_id}: who attended, to add to or take off."""
    activity_id = parse_id(request.match_info["activity_id"])
    return await _activity_page(
        request, activity_id if activity_id is not None else -1, message=_message(request)
    )


async def add_attendees(request: web.Request) -> web.StreamResponse:
    """POST /console/points/activities/{activity_id}/attendees: more attendees by code."""
    service, now = _activities(request), services(request).clock.now()
    activity_id = parse_id(request.match_info["activity_id"])
    codes = form_text(request, "codes", 5000)
    outcome = await service.add_attendees(signed(request).person, activity_id or -1, parse_codes(codes), now)
    if not outcome.ok:
        return await _activity_page(
            request, activity_id or -1, status=400, message=_refusal(request, outcome), codes=codes
        )
    return redirect(link(f"/points/activities/{activity_id}", {"done": "added", "n": str(outcome.changed)}))


async def remove_attendance(request: web.Request) -> web.StreamResponse:
    """POST /console/points/attendance/{attendance_id}/remove: an attendee recorded by mistake."""
    service, now = _activities(request), services(request).clock.now()
    attendance_id = parse_id(request.match_info["attendance_id"])
    outcome = await service.remove_attendance(signed(request).person, attendance_id or -1, now)
    if not outcome.ok or outcome.object_id is None:
        return not_found(request, tr_of(request), tr_of(request)("This attendee is no longer recorded."))
    return redirect(f"{ROOT}/points/activities/{outcome.object_id}?done=removed")
