"""The station pages: the list (with each station's "六有" and rectification counts) and one station's
page — its profile, rules and "六有" with evidence as forms, its inspectors, an inspection form, and the
three ledgers together (activity records, photo archive, rectification list). Thin like the others:
parse, call `bot.console.station_actions` or the reads, render; a refusal is shown on the page with its
reason. Files are served from `/stations/<id>/files/<file>`: only an image is shown inline.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.console.pages.base import (
    CONSOLE_RUNTIME,
    FORM,
    ROOT,
    WROTE_OUTBOX,
    not_found,
    reads,
    redirect,
    signed,
    staff_page,
    tr_of,
)
from bot.console.reads.base import parse_id
from bot.console.reads.stations import StationReads
from bot.console.station_actions import StationActions
from bot.kit.i18n import N_, Translator
from bot.stations import files as station_files
from bot.stations.lifecycle import STATE_LABELS, Action, RefusalReason
from bot.stations.records import FileDraft, InspectionDraft, InspectionProblem, ItemDraft
from bot.stations.standards import (
    KIND_LABELS,
    MAX_NOTE,
    STANDARD_LABELS,
    WEEKDAY_LABELS,
    WEEKDAYS,
    InspectionKind,
    Invalid,
    Problem,
    StandardItem,
    parse_day,
    parse_point,
)

__all__ = [
    "add_inspector",
    "add_rule",
    "edit_rule",
    "item_action",
    "record_inspection",
    "remove_inspector",
    "save_profile",
    "save_standards",
    "station",
    "station_file",
    "stations",
    "upload",
    "upload_limit",
]

log = logging.getLogger(__name__)
FORM_ITEMS = 3  # rectification rows the console's inspection form offers at once
MAX_FIELD = 6000

DONE_TEXTS = {
    "profile": N_("The profile is saved."),
    "standards": N_("The 六有 checklist is saved."),
    "rule": N_("The rules are saved."),
    "upload": N_("The file is kept."),
    "inspectors": N_("The inspectors are saved."),
    "inspection": N_("The inspection is recorded; the responsible people have been told."),
    "item": N_("The rectification item is updated; the responsible person has been told."),
}
PROBLEM_TEXTS = {
    Problem.EMPTY: N_("A required field is empty."),
    Problem.TOO_LONG: N_("A text is too long ({given} characters; at most {limit})."),
    Problem.NOT_A_DATE: N_("A date is not a date (YYYY-MM-DD)."),
    Problem.FUTURE: N_("The inspection's day cannot be in the future."),
    Problem.TOO_OLD: N_("The inspection's day is too long ago."),
    Problem.NOT_AFTER_TODAY: N_("A deadline must be after today."),
    Problem.TOO_FAR: N_("A deadline must be within a year."),
    Problem.BAD_POINT: N_(
        "The map point needs both a latitude (−90 to 90) and a longitude (−180 to 180), or neither."
    ),
    Problem.NOT_ALLOWED: N_("This cannot be changed (any more)."),
    Problem.TOO_MANY: N_("That is more than a station keeps ({limit})."),
}
INSPECTION_TEXTS = {
    InspectionProblem.NOT_FOUND: N_("This station does not exist."),
    InspectionProblem.NOT_INSPECTOR: N_("The inspector must be assigned to this station, or yourself."),
    InspectionProblem.NO_KIND: N_("Tick at least one kind of inspection."),
    InspectionProblem.RESPONSIBLE: N_(
        "Item {n}: the responsible person must be a deputy of the station or staff."
    ),
    InspectionProblem.TOO_MANY: N_("Too many items or files for one inspection."),
}
ITEM_TEXTS = {
    RefusalReason.FINAL: N_("This item was confirmed already."),
    RefusalReason.STALE_STATE: N_("This item is no longer waiting for a check; it is now: {state}."),
    RefusalReason.REASON_REQUIRED: N_("Give a reason: the responsible person is told it."),
}
UPLOAD_TEXTS = {
    "empty": N_("Choose a file to upload."),
    "too_large": N_("The file is larger than 10 MB."),
    "refused": N_("The file could not be kept."),
}


def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    return staff_page(
        request,
        template,
        nav="stations",
        stl={
            "standard": STANDARD_LABELS,
            "kind": KIND_LABELS,
            "state": STATE_LABELS,
            "weekday": WEEKDAY_LABELS,
        },
        **context,
    )


def _text(value: object, limit: int = MAX_FIELD) -> str:
    return str(value)[:limit] if isinstance(value, str) else ""


def problem_text(tr: Translator, invalid: Invalid) -> str:
    return tr(
        PROBLEM_TEXTS.get(invalid.problem, PROBLEM_TEXTS[Problem.NOT_ALLOWED]),
        given=invalid.given,
        limit=invalid.limit,
    )


# -- middleware: uploads may be larger than a form -------------------------------------------------------


@web.middleware
async def upload_limit(request: web.Request, handler: Any) -> web.StreamResponse:
    """A POST that may carry a file (an upload, an inspection) may be up to 10 MB and a little more:
    aiohttp's default is 1 MB for every body, which a phone photo exceeds."""
    if request.method == "POST" and request.path.startswith(f"{ROOT}/stations/"):
        request = request.clone(client_max_size=station_files.MAX_UPLOAD_BYTES + 256 * 1024)
    return await handler(request)


# -- the pages ---------------------------------------------------------------------------------------------


async def stations(request: web.Request) -> web.Response:
    query = _text(request.query.get("q"), 64)
    rows = await reads(request, StationReads).stations(query)
    return _page(request, "stations.html", rows=rows, q=query)


async def station(
    request: web.Request, *, error: str | None = None, status: int = 200, kept: dict[str, Any] | None = None
) -> web.Response:
    tr = tr_of(request)
    station_id = parse_id(request.match_info.get("station_id"))
    page = await reads(request, StationReads).station_page(station_id) if station_id is not None else None
    if page is None:
        return not_found(request, tr, tr("This station does not exist."))
    done = request.query.get("done")
    message = tr(DONE_TEXTS[done]) if done in DONE_TEXTS and error is None else None
    return _page(
        request,
        "station.html",
        p=page,
        s=page.station,
        message=message,
        error=error,
        kept=kept or {},
        kinds=list(InspectionKind),
        items=list(StandardItem),
        form_items=range(1, FORM_ITEMS + 1),
        status=status,
    )


def _station_id(request: web.Request) -> int:
    found = parse_id(request.match_info.get("station_id"))
    if found is None:
        raise web.HTTPNotFound()
    return found


def _done(request: web.Request, station_id: int, what: str, anchor: str = "") -> web.Response:
    return redirect(f"{ROOT}/stations/{station_id}?done={what}" + (f"#{anchor}" if anchor else ""))


async def save_profile(request: web.Request) -> web.StreamResponse:
    """Address, opening hours per weekday and a note, the map point."""
    form, station_id, tr = request[FORM], _station_id(request), tr_of(request)
    point = parse_point(_text(form.get("latitude"), 32), _text(form.get("longitude"), 32))
    if isinstance(point, Invalid):
        return await station(request, error=problem_text(tr, point), status=422)
    done = await reads(request, StationActions).save_profile(
        station_id,
        signed(request).person,
        address=_text(form.get("address")),
        hours={day: _text(form.get(f"hours_{day}")) for day in WEEKDAYS},
        hours_note=_text(form.get("hours_note")),
        point=point,
    )
    if done is not None:
        return await station(request, error=problem_text(tr, done), status=422)
    return _done(request, station_id, "profile", "profile")


async def save_standards(request: web.Request) -> web.StreamResponse:
    """The "六有" checklist: each item's box and note."""
    form, station_id = request[FORM], _station_id(request)
    checklist = {
        item: (form.get(f"met_{item.value}") == "1", _text(form.get(f"note_{item.value}"), MAX_NOTE + 100))
        for item in StandardItem
    }
    done = await reads(request, StationActions).save_standards(station_id, signed(request).person, checklist)
    if done is not None:
        return await station(request, error=problem_text(tr_of(request), done), status=422)
    return _done(request, station_id, "standards", "standards")


async def add_rule(request: web.Request) -> web.StreamResponse:
    """A rule (title and text), or the 13 usual ones at once."""
    form, station_id, tr = request[FORM], _station_id(request), tr_of(request)
    actions, actor = reads(request, StationActions), signed(request).person
    if form.get("standard") == "1":
        done = await actions.add_standard_rules(station_id, actor, tr)
    else:
        done = await actions.add_rule(station_id, actor, _text(form.get("title")), _text(form.get("body")))
    if done is not None:
        return await station(request, error=problem_text(tr, done), status=422)
    return _done(request, station_id, "rule", "rules")


async def edit_rule(request: web.Request) -> web.StreamResponse:
    form, station_id = request[FORM], _station_id(request)
    rule_id = parse_id(request.match_info.get("rule_id"))
    if rule_id is None:
        raise web.HTTPNotFound()
    done = await reads(request, StationActions).edit_rule(
        station_id,
        rule_id,
        signed(request).person,
        _text(form.get("title")),
        _text(form.get("body")),
        remove=form.get("delete") == "1",
    )
    if isinstance(done, Invalid):
        return await station(request, error=problem_text(tr_of(request), done), status=422)
    if done is False:
        return await station(request, error=tr_of(request)(PROBLEM_TEXTS[Problem.NOT_ALLOWED]), status=409)
    return _done(request, station_id, "rule", "rules")


async def _uploaded(value: object, caption: str) -> FileDraft | str | None:
    """The form's file as a file to keep, the refusal's key, or None when no file was chosen."""
    if not isinstance(value, FileField):
        return None
    data = value.file.read(station_files.MAX_UPLOAD_BYTES + 1)
    if not data and not value.filename:
        return None
    try:
        return station_files.upload(data, value.filename, value.content_type, caption or None)
    except station_files.UploadProblem as problem:
        return problem.reason


async def upload(request: web.Request) -> web.StreamResponse:
    """A photo or document for the station, as evidence of one of the 六有 (or of none)."""
    form, station_id, tr = request[FORM], _station_id(request), tr_of(request)
    file = await _uploaded(form.get("file"), _text(form.get("caption"), MAX_NOTE))
    if not isinstance(file, FileDraft):
        return await station(request, error=tr(UPLOAD_TEXTS[file or "empty"]), status=422)
    item_code = _text(form.get("item"), 16)
    item = StandardItem(item_code) if item_code in tuple(StandardItem) else None
    if not await reads(request, StationActions).upload(station_id, signed(request).person, item, file):
        return await station(request, error=tr(UPLOAD_TEXTS["refused"]), status=422)
    return _done(request, station_id, "upload", "archive")


async def station_file(request: web.Request) -> web.StreamResponse:
    """A kept file: an image inline, anything else a download; a Telegram file fetched through the bot."""
    station_id = _station_id(request)
    file_id = parse_id(request.match_info.get("file_id"))
    tr = tr_of(request)
    found = await reads(request, StationReads).file(station_id, file_id) if file_id is not None else None
    if found is None:
        return not_found(request, tr, tr("This file does not exist."))
    data = found.data if found.data is not None else await _from_telegram(request, found.telegram_file_id)
    if data is None:
        return not_found(request, tr, tr("This file cannot be fetched from Telegram right now."))
    served = station_files.served(data, found.file_name, f"station-{station_id}-file-{found.id}")
    return web.Response(body=data, content_type=served.content_type, headers=served.headers)


async def _from_telegram(request: web.Request, file_id: str | None) -> bytes | None:
    """A file sent in chat, through the bot's getFile (None when there is no bot or Telegram refuses)."""
    application = getattr(request.app[CONSOLE_RUNTIME], "application", None)
    if application is None or not file_id:
        return None
    try:
        telegram_file = await application.bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())
    except Exception:  # a file Telegram no longer has, a network error: the page says so
        log.warning("console: a station file could not be fetched from Telegram", exc_info=True)
        return None


async def add_inspector(request: web.Request) -> web.StreamResponse:
    form, station_id = request[FORM], _station_id(request)
    person_id = parse_id(form.get("person"))
    done = person_id is not None and await reads(request, StationActions).assign(
        station_id, person_id, signed(request).person
    )
    if not done:
        text = tr_of(request)(
            "Choose someone who may inspect (staff or a committee member) and is not assigned yet."
        )
        return await station(request, error=text, status=422)
    return _done(request, station_id, "inspectors", "inspectors")


async def remove_inspector(request: web.Request) -> web.StreamResponse:
    station_id = _station_id(request)
    person_id = parse_id(request.match_info.get("person_id"))
    if person_id is None:
        raise web.HTTPNotFound()
    await reads(request, StationActions).assign(station_id, person_id, signed(request).person, remove=True)
    return _done(request, station_id, "inspectors", "inspectors")


def _form_items(form: Any, tr: Translator) -> list[ItemDraft] | str:
    """The filled rows of the form's rectification list, or what is wrong with one."""
    items: list[ItemDraft] = []
    for n in range(1, FORM_ITEMS + 1):
        text = _text(form.get(f"item_text_{n}")).strip()
        if not text:
            continue
        due = parse_day(_text(form.get(f"item_due_{n}"), 16))
        who = parse_id(form.get(f"item_who_{n}"))
        if isinstance(due, Invalid) or who is None:
            return tr("Item {n}: give its deadline and who is responsible.", n=n)
        items.append(ItemDraft(text, due, who))
    return items


async def record_inspection(request: web.Request) -> web.StreamResponse:
    """An inspection recorded by staff: the inspector (assigned here, or themselves), kinds, day,
    findings, a file, and up to three rectification items."""
    form, station_id, tr = request[FORM], _station_id(request), tr_of(request)
    kept = {k: _text(v, 2000) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    kept["kinds"] = [k for k in form.getall("kind", []) if isinstance(k, str)]
    held_on = parse_day(_text(form.get("held_on"), 16))
    items = _form_items(form, tr)
    if isinstance(held_on, Invalid) or isinstance(items, str):
        error = items if isinstance(items, str) else problem_text(tr, held_on)  # type: ignore[arg-type]
        return await station(request, error=error, status=422, kept=kept)
    file = await _uploaded(form.get("file"), "")
    if isinstance(file, str):
        return await station(request, error=tr(UPLOAD_TEXTS[file]), status=422, kept=kept)
    actor = signed(request).person
    draft = InspectionDraft(
        station_id,
        parse_id(form.get("inspector")) or actor.id,
        held_on,
        tuple(k for k in kept["kinds"] if k in tuple(InspectionKind)),
        _text(form.get("findings")),
        tuple(items),
        (file,) if file is not None else (),
        source="console",
    )
    outcome = await reads(request, StationActions).record_inspection(draft, actor)
    if not outcome.ok:
        error = (
            problem_text(tr, outcome.invalid)
            if outcome.invalid
            else tr(
                INSPECTION_TEXTS.get(
                    outcome.problem or InspectionProblem.NOT_FOUND,
                    INSPECTION_TEXTS[InspectionProblem.NOT_FOUND],
                ),
                n=outcome.index,
            )
        )
        return await station(request, error=error, status=422, kept=kept)
    request[WROTE_OUTBOX] = True
    return _done(request, station_id, "inspection", "items")


async def item_action(request: web.Request) -> web.StreamResponse:
    """✅ Confirm or ↩️ Reopen (with a reason) a reported item, as staff."""
    form, station_id, tr = request[FORM], _station_id(request), tr_of(request)
    item_id = parse_id(request.match_info.get("item_id"))
    action = {"confirm": Action.CONFIRM, "reopen": Action.REOPEN}.get(request.match_info.get("action", ""))
    if item_id is None or action is None:
        raise web.HTTPNotFound()
    outcome = await reads(request, StationActions).act(
        station_id, item_id, action, signed(request).person, _text(form.get("reason"), MAX_NOTE + 100)
    )
    if outcome is None or outcome.item is None:
        return not_found(request, tr, tr("This rectification item does not exist."))
    if not outcome.ok:
        if outcome.invalid is not None:
            return await station(request, error=problem_text(tr, outcome.invalid), status=422)
        reason = outcome.refusal.reason if outcome.refusal else RefusalReason.STALE_STATE
        text = ITEM_TEXTS.get(reason, ITEM_TEXTS[RefusalReason.STALE_STATE])
        state = tr(STATE_LABELS.get(outcome.item.state, outcome.item.state))  # type: ignore[call-overload]
        return await station(
            request,
            error=tr(text, state=state),
            status=409 if reason is not RefusalReason.REASON_REQUIRED else 422,
        )
    request[WROTE_OUTBOX] = True
    return _done(request, station_id, "item", "items")
