"""Duty rosters in the console (进站值班): a station's month as a calendar, where staff add duty days (one
day or a weekly pattern), remove them, and import a roster sheet. The rules are bot/duty's
(`DutyService`): the same checks, refusals and audit entries as the head's /roster in chat."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from aiohttp.web_request import FileField

from bot.console.pages.base import (
    FORM,
    ROOT,
    WROTE_OUTBOX,
    redirect,
    services,
    signed,
    staff_page,
    tr_of,
    uow,
)
from bot.console.reads.base import parse_id
from bot.duty import roster
from bot.duty.notices import deliver
from bot.duty.service import DutyService, ImportResult, MonthView
from bot.duty.sheets import MAX_SHEET_BYTES
from bot.duty.views import WEEKDAYS, refusal_text
from bot.kit.i18n import N_

__all__ = ["add_days", "duty", "import_sheet", "remove_day"]

DONE = {
    "added": N_("Duty days added: {n}."),
    "removed": N_("The duty day was taken off the roster."),
}


def _service(request: web.Request) -> DutyService:
    return DutyService(uow(request), services(request).settings.zone)


def _month(value: str, today: date) -> tuple[int, int]:
    """`2026-03` from the query or form; this month for anything else."""
    year, _, month = value.partition("-")
    if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
        return int(year), int(month)
    return today.year, today.month


def _address(code: str, ym: tuple[int, int], **extra: str | int) -> str:
    query = "&".join(
        f"{k}={v}" for k, v in {"station": code, "month": f"{ym[0]}-{ym[1]:02d}", **extra}.items()
    )
    return f"{ROOT}/duty?{query}"


async def _page(
    request: web.Request,
    code: str,
    ym: tuple[int, int],
    *,
    status: int = 200,
    message: str = "",
    problems: tuple[str, ...] = (),
) -> web.Response:
    service = _service(request)
    today = service.today(services(request).clock.now())
    station = await service.station_by_code(code) if code else None
    view: MonthView | None = await service.month(station, *ym, today) if station is not None else None
    prev, nxt = roster.shift_month(*ym, -1), roster.shift_month(*ym, 1)
    return staff_page(
        request,
        "duty.html",
        status=status,
        nav="duty",
        code=code,
        view=view,
        weeks=roster.month_grid(*ym),
        weekdays=WEEKDAYS,
        month=f"{ym[0]}-{ym[1]:02d}",
        today=today,
        prev_url=_address(code, prev),
        next_url=_address(code, nxt),
        message=message,
        problems=problems,
        unknown=bool(code) and station is None,
        failed=status >= 400,
    )


async def duty(request: web.Request) -> web.Response:
    """GET /console/duty?station=CODE&month=YYYY-MM: the station's month roster."""
    tr = tr_of(request)
    today = _service(request).today(services(request).clock.now())
    ym = _month(request.query.get("month", ""), today)
    done = request.query.get("done", "")
    message = tr(DONE[done], n=parse_id(request.query.get("n")) or 0) if done in DONE else ""
    return await _page(request, request.query.get("station", "").strip()[:32], ym, message=message)


def _field(name: str, request: web.Request) -> str:
    value = request[FORM].get(name)
    return value.strip()[:64] if isinstance(value, str) else ""


async def add_days(request: web.Request) -> web.StreamResponse:
    """POST /console/duty/add: one day, or a weekday from … to … (the service checks and audits)."""
    tr, service, now = tr_of(request), _service(request), services(request).clock.now()
    code = _field("station", request)
    ym = _month(_field("month", request), service.today(now))
    station = await service.station_by_code(code)
    deputy_id = parse_id(_field("deputy", request))
    if station is None or deputy_id is None:
        return await _page(request, code, ym, status=400, message=refusal_text(tr, "not_found"))
    person = signed(request).person
    weekday = roster.parse_weekday(_field("weekday", request)) if _field("weekday", request) else None
    if weekday is not None:
        start, end = roster.parse_day(_field("from", request)), roster.parse_day(_field("to", request))
        if start is None or end is None:
            return await _page(request, code, ym, status=400, message=refusal_text(tr, "bad_pattern"))
        outcome = await service.add_weekly(
            person, station.id, deputy_id, weekday, start, end, now, source="console"
        )
    else:
        day = roster.parse_day(_field("day", request))
        if day is None:
            return await _page(request, code, ym, status=400, message=refusal_text(tr, "bad_pattern"))
        outcome = await service.add_days(person, station.id, deputy_id, [day], now, source="console")
    if not outcome.ok:
        return await _page(request, code, ym, status=400, message=refusal_text(tr, outcome.refusal))
    return redirect(_address(code, ym, done="added", n=outcome.count))


async def remove_day(request: web.Request) -> web.StreamResponse:
    """POST /console/duty/remove: one duty day off the roster (not a past or checked-in one)."""
    tr, service, now = tr_of(request), _service(request), services(request).clock.now()
    code, ym = _field("station", request), _month(_field("month", request), service.today(now))
    duty_id = parse_id(_field("duty", request))
    outcome = await service.remove(signed(request).person, duty_id if duty_id is not None else -1, now)
    if not outcome.ok:
        return await _page(request, code, ym, status=400, message=refusal_text(tr, outcome.refusal))
    # Those whose swap of the day is withdrawn with it hear of it.
    found = services(request)
    if await deliver(uow(request), outcome.notices, found.settings, found.policy, now):
        request[WROTE_OUTBOX] = True
    return redirect(_address(code, ym, done="removed"))


async def import_sheet(request: web.Request) -> web.StreamResponse:
    """POST /console/duty/import (multipart): a roster sheet, all or nothing; its problems on the page."""
    tr, service, now = tr_of(request), _service(request), services(request).clock.now()
    code, ym = _field("station", request), _month(_field("month", request), service.today(now))
    upload = request[FORM].get("sheet")
    if not isinstance(upload, FileField):
        return await _page(request, code, ym, status=400, message=refusal_text(tr, "bad_sheet"))
    data = upload.file.read(MAX_SHEET_BYTES + 1)
    result: ImportResult = await service.import_sheet(
        signed(request).person, data, upload.filename or "roster", now
    )
    if not result.ok:
        message = tr("The sheet was refused; nothing was added. Problems:")
        return await _page(request, code, ym, status=400, message=message, problems=result.problems[:200])
    return redirect(_address(code, ym, done="added", n=result.added))
