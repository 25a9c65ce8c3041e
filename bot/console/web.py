"""The console's aiohttp routes: thin like the chat handlers (parse, authorise, call the service, render).

Mounted by `bot.runtime.web.make_web_app` under `/console` on the bot's own web server. One unit of work per
request, opened by the guard middleware, which also finds the session, re-checks that its person
is still staff and checks the CSRF token of every POST; the handler's writes and the audit entries
commit together after it. Pages are Jinja2 templates with autoescaping; nothing runs in the page
(no script at all) and nothing is loaded from elsewhere (strict CSP).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jinja2
import jinja2.ext
from aiohttp import web
from aiohttp.web_request import FileField
from markupsafe import Markup
from multidict import MultiDictProxy
from sqlalchemy.exc import SQLAlchemyError

from bot.console import charts
from bot.console.auth import ConsoleAuth, Opened, Refusal, Refused, Signed, base_url, csrf_ok
from bot.console.export import FORMATS, Cell, Table, to_csv, to_xlsx
from bot.console.labels import (
    ACTION_LABELS,
    BROADCAST_STATUS_LABELS,
    CATEGORIES,
    COLOUR_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    STATE_LABELS,
    TIER_LABELS,
    label,
)
from bot.console.service import (
    TRIAGE,
    ConsoleService,
    OpinionFilter,
    Page,
    clean_query,
    page_number,
    parse_id,
)
from bot.kit.i18n import N_, Translator, translator
from bot.opinions.lifecycle import Refusal as LifecycleRefusal
from bot.opinions.lifecycle import RefusalReason
from bot.opinions.service import Outcome
from bot.opinions.views import OpinionViews
from bot.people.identity import locale_of
from bot.runtime.settings import SUPPORTED_LOCALES, Settings
from storage.errors import StorageError
from storage.models import OpinionState, Person
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.app import Runtime
    from bot.runtime.context import Services

__all__ = ["COOKIE", "ROOT", "make_console_app", "notify_reassign"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ROOT = "/console"
COOKIE = "liaison_console"
CSRF_FIELD = "csrf"
PUBLIC = ("/login/", "/welcome", "/static/")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}

CONSOLE_RUNTIME: web.AppKey[Runtime] = web.AppKey("console_runtime")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("console_templates", jinja2.Environment)
UOW: web.RequestKey[UnitOfWork] = web.RequestKey("console_uow", UnitOfWork)
SIGNED: web.RequestKey[Signed] = web.RequestKey("console_signed", Signed)
FORM: web.RequestKey[MultiDictProxy[str | bytes | FileField]] = web.RequestKey("console_form")
WROTE_OUTBOX: web.RequestKey[bool] = web.RequestKey("console_wrote_outbox", bool)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["ROOT"] = ROOT
    return env


def _services(request: web.Request) -> Services:
    return request.app[CONSOLE_RUNTIME].services


def _uow(request: web.Request) -> UnitOfWork:
    return request[UOW]


def _signed(request: web.Request) -> Signed:
    return request[SIGNED]


def _public(request: web.Request) -> bool:
    tail = request.path.removeprefix(ROOT)
    return tail.startswith(PUBLIC)


def _guest_locale(request: web.Request, settings: Settings) -> str:
    """Before a session: ?lang=, else the browser's first language we speak, else the default."""
    asked = request.query.get("lang", "")
    if asked in SUPPORTED_LOCALES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()
        if code.startswith("zh"):
            return "zh_Hans"
        if code.startswith("en"):
            return "en"
    return settings.default_locale


def _locale(signed: Signed, settings: Settings) -> str:
    if signed.session.locale in SUPPORTED_LOCALES:
        return str(signed.session.locale)
    return locale_of(signed.person, None, settings)


def _same_origin(request: web.Request, settings: Settings) -> bool:
    """A POST must come from our own pages: the Origin header (sent by browsers on every POST), when
    present, names this host or the configured console address."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = urlsplit(origin).netloc
    return bool(host) and host in {request.host, urlsplit(base_url(settings)).netloc}


# -- middlewares -----------------------------------------------------------------------------------


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No script, no frame, nothing from elsewhere; pages are never cached (they show personal data)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(request, exc)
        raise
    _harden(request, response)
    return response


def _harden(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith(f"{ROOT}/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One unit of work per request; a session and staff for every page; a CSRF token on every POST."""
    try:
        return await _guarded(request, handler)
    except (StorageError, SQLAlchemyError):
        log.exception("console request %s failed on the database", request.path)
        tr = translator(_guest_locale(request, _services(request).settings))
        return _refusal_page(request, tr, 503, "unavailable")


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    services = _services(request)
    settings = services.settings
    if request.method == "POST" and not _same_origin(request, settings):
        return _refusal_page(request, translator(_guest_locale(request, settings)), 403, "cross_site")
    if request.path.startswith(f"{ROOT}/static/"):
        return await handler(request)
    if _public(request):
        async with services.uow() as uow:
            request[UOW] = uow
            response = await handler(request)
            await uow.commit()
        return response
    async with services.uow() as uow:
        request[UOW] = uow
        auth = ConsoleAuth(uow, services.clock)
        found = await auth.session(request.cookies.get(COOKIE))
        if isinstance(found, Refused):
            await uow.commit()  # an expired or no-longer-staff session is ended, the refusal audited
            return _no_session(request, found.reason, settings)
        request[SIGNED] = found
        if request.method == "POST":
            form = await request.post()
            given = form.get(CSRF_FIELD)
            if not csrf_ok(found.session.csrf_token, given if isinstance(given, str) else None):
                await auth.refuse_csrf(found, request.path)
                await uow.commit()
                tr = translator(_locale(found, settings))
                return _refusal_page(request, tr, 403, "csrf")
            request[FORM] = form
        response = await handler(request)
        await uow.commit()
    if request.get(WROTE_OUTBOX):
        services.outbox_wakeup.set()  # after the commit: the sender finds the rows at once
    return response


def _no_session(request: web.Request, reason: Refusal, settings: Settings) -> web.StreamResponse:
    """Pages send the visitor to the 'log in through the bot' page; anything else is refused."""
    why = {Refusal.NOT_STAFF: "not_staff", Refusal.SESSION_EXPIRED: "expired"}.get(reason, "none")
    if request.method in ("GET", "HEAD"):
        response = _redirect(f"{ROOT}/welcome?{urlencode({'why': why})}")
    else:
        response = _refusal_page(request, translator(_guest_locale(request, settings)), 403, why)
    if reason is not Refusal.NO_SESSION or COOKIE in request.cookies:
        response.del_cookie(COOKIE, path=ROOT)
    return response


# -- rendering -------------------------------------------------------------------------------------


def _when(settings: Settings) -> Callable[[datetime | None], str]:
    zone = settings.zone

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"

    return when


def _render(
    request: web.Request, template: str, tr: Translator, *, status: int = 200, **context: Any
) -> web.Response:
    settings = _services(request).settings
    signed: Signed | None = request.get(SIGNED)
    env = request.app[TEMPLATES]
    page = env.get_template(template).render(
        _=tr,
        locale=tr.locale,
        languages=LANGUAGE_NAMES,
        csrf=signed.session.csrf_token if signed else "",
        me=signed.person if signed else None,
        when=_when(settings),
        label=lambda table, code: label(tr, table, code),
        labels={
            "state": STATE_LABELS,
            "colour": COLOUR_LABELS,
            "category": CATEGORIES,
            "kind": KIND_LABELS,
            "level": LEVEL_LABELS,
            "tier": TIER_LABELS,
            "action": ACTION_LABELS,
            "broadcast": BROADCAST_STATUS_LABELS,
        },
        here=request.path_qs,
        **context,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def _page(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page for the signed-in staff member, in their console language."""
    tr = translator(_locale(_signed(request), _services(request).settings))
    return _render(request, template, tr, status=status, **context)


def _redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser GETs the next page (reloading it repeats nothing)."""
    return web.Response(status=303, headers={"Location": location})


REFUSAL_TEXTS = {
    "unknown": N_("This login link is not valid. Send /console to the bot for a new one."),
    "expired": N_(
        "This login link has expired (links last 10 minutes). Send /console to the bot for a new one."
    ),
    "used": N_("This login link has already been used. Send /console to the bot for a new one."),
    "not_staff": N_("The web console is only for congress office staff."),
    "csrf": N_(
        "This form has expired or did not come from the console. Go back, reload the page and try again."
    ),
    "cross_site": N_("This request did not come from the console's own pages and was refused."),
    "none": N_("Please log in: send /console to the bot and open the link it gives you."),
    "no_session": N_("Please log in: send /console to the bot and open the link it gives you."),
    "session_expired": N_("Your session has ended. Send /console to the bot for a new login link."),
    "unavailable": N_("The database cannot be reached right now. Please try again in a minute."),
}


def _refusal_page(request: web.Request, tr: Translator, status: int, why: str) -> web.Response:
    return _render(request, "refused.html", tr, status=status, why=why, message=tr(REFUSAL_TEXTS[why]))


# -- exports ---------------------------------------------------------------------------------------


def _format(request: web.Request) -> str | None:
    wanted = request.query.get("format", "")
    return wanted if wanted in FORMATS else None


async def _download(request: web.Request, name: str, kind: str, tables: Sequence[Table]) -> web.Response:
    """Send the tables as a file, and audit who took which list (it holds personal data)."""
    signed = _signed(request)
    body = to_xlsx(tables) if kind == "xlsx" else to_csv(tables)
    await _uow(request).audit.record(
        "console.export",
        actor_telegram_id=signed.person.telegram_id,
        actor_person_id=signed.person.id,
        list=name,
        format=kind,
        rows=sum(len(t.rows) for t in tables),
        query=request.query_string[:200],
    )
    stamp = (
        _services(request).clock.now().astimezone(_services(request).settings.zone).strftime("%Y%m%d-%H%M")
    )
    filename = f"liaison-{name}-{stamp}.{kind}"
    return web.Response(
        body=body,
        content_type=FORMATS[kind],
        charset="utf-8" if kind == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _tr(request: web.Request) -> Translator:
    return translator(_locale(_signed(request), _services(request).settings))


def _service(request: web.Request) -> ConsoleService:
    services = _services(request)
    return ConsoleService(_uow(request), services.settings, services.policy, services.clock)


def _link(path: str, query: Mapping[str, str], **changes: str | int) -> str:
    merged = {**query, **{k: str(v) for k, v in changes.items()}}
    merged = {k: v for k, v in merged.items() if v != ""}
    return f"{ROOT}{path}" + (f"?{urlencode(merged)}" if merged else "")


# -- login -----------------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    """GET of a login link: say whether it can be used, and offer the button that spends it."""
    services = _services(request)
    auth = ConsoleAuth(_uow(request), services.clock)
    checked = await auth.check(request.match_info["token"])
    if isinstance(checked, Refused):
        tr = translator(
            locale_of(checked.person, None, services.settings)
            if checked.person
            else _guest_locale(request, services.settings)
        )
        return _refusal_page(request, tr, 403, checked.reason.value)
    person = await _uow(request).people.get(checked.person_id)
    tr = translator(locale_of(person, None, services.settings))
    return _render(request, "login.html", tr, name=person.name if person else "", action=request.path)


async def login_open(request: web.Request) -> web.StreamResponse:
    """POST of a login link: spend it, open the session, set the cookie, go to the dashboard."""
    services = _services(request)
    auth = ConsoleAuth(_uow(request), services.clock)
    opened = await auth.open(request.match_info["token"], user_agent=request.headers.get("User-Agent", ""))
    if isinstance(opened, Refused):
        tr = translator(
            locale_of(opened.person, None, services.settings)
            if opened.person
            else _guest_locale(request, services.settings)
        )
        return _refusal_page(request, tr, 403, opened.reason.value)
    return _signed_in(opened, services.settings)


def _signed_in(opened: Opened, settings: Settings) -> web.StreamResponse:
    response = _redirect(f"{ROOT}/")
    response.set_cookie(
        COOKIE,
        opened.session_token,
        path=ROOT,
        httponly=True,
        samesite="Strict",
        secure=base_url(settings).startswith("https://"),
    )
    return response


async def welcome(request: web.Request) -> web.Response:
    """Where a visitor without a session lands: how to log in."""
    settings = _services(request).settings
    why = request.query.get("why", "none")
    if why not in ("none", "expired", "not_staff"):
        why = "none"
    key = {"expired": "session_expired"}.get(why, why)
    tr = translator(_guest_locale(request, settings))
    return _render(request, "refused.html", tr, status=200, why=why, message=tr(REFUSAL_TEXTS[key]))


async def logout(request: web.Request) -> web.StreamResponse:
    await ConsoleAuth(_uow(request), _services(request).clock).end(_signed(request))
    response = _redirect(f"{ROOT}/welcome")
    response.del_cookie(COOKIE, path=ROOT)
    return response


def _local_path(value: object) -> str:
    """A `next` address from a form: only a path inside the console (never another site)."""
    text = str(value or "")
    if not text.startswith(f"{ROOT}/") or text.startswith("//") or "\\" in text or "\n" in text:
        return f"{ROOT}/"
    return text


async def set_language(request: web.Request) -> web.StreamResponse:
    form = request[FORM]
    await ConsoleAuth(_uow(request), _services(request).clock).set_locale(
        _signed(request), str(form.get("locale", ""))
    )
    return _redirect(_local_path(form.get("next")))


# -- pages -----------------------------------------------------------------------------------------


def _month_label(key: str) -> str:
    return key[2:] if len(key) == 7 else key  # 2026-03 → 26-03


async def dashboard(request: web.Request) -> web.Response:
    tr = _tr(request)
    figures = await _service(request).dashboard()
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
    return _page(
        request,
        "dashboard.html",
        nav="dashboard",
        f=figures,
        month_chart=month_chart,
        category_chart=category_chart,
    )


def _opinion_table(tr: Translator, rows: Sequence[Any], when: Callable[[datetime | None], str]) -> Table:
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
    tr = _tr(request)
    service = _service(request)
    f = OpinionFilter.parse(request.query)
    kind = _format(request)
    if kind is not None:
        rows, _paging = await service.opinions(f, size=0)
        when = _when(_services(request).settings)
        return await _download(request, "opinions", kind, [_opinion_table(tr, rows, when)])
    rows, paging = await service.opinions(f, page_number(request.query.get("page")))
    known = await service.categories()
    categories = list(CATEGORIES) + [c for c in known if c not in CATEGORIES]
    query = f.as_query()
    return _page(
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
        prev_url=_link("/opinions", query, page=paging.number - 1),
        next_url=_link("/opinions", query, page=paging.number + 1),
        xlsx_url=_link("/opinions", query, format="xlsx"),
        csv_url=_link("/opinions", query, format="csv"),
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


async def opinion(request: web.Request, *, refusal: LifecycleRefusal | None = None) -> web.Response:
    tr = _tr(request)
    found_id = parse_id(request.match_info.get("opinion_id"))
    detail = await _service(request).detail(found_id) if found_id is not None else None
    if detail is None:
        return _render(
            request,
            "refused.html",
            tr,
            status=404,
            why="not_found",
            message=tr("This opinion does not exist."),
        )
    done = request.query.get("done")
    message = None
    if done in DONE_TEXTS:
        message = tr(DONE_TEXTS[done], holder=detail.holder or tr("the congress office"))
    error = None
    if refusal is not None:
        error = tr(REASSIGN_REFUSALS.get(refusal.reason, REASSIGN_REFUSALS[RefusalReason.NOT_PERMITTED]))
    return _page(
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
        await uow.session.refresh(previous, ["deputy"])
        await views.refresh_card(outcome.opinion, previous, now)


async def reassign(request: web.Request) -> web.StreamResponse:
    """Give the opinion to the deputy picked in the form (or named by code), through the lifecycle."""
    form = request[FORM]
    services = _services(request)
    uow = _uow(request)
    service = _service(request)
    opinion_id = parse_id(request.match_info["opinion_id"])
    if opinion_id is None:
        raise web.HTTPNotFound()
    code = clean_query(form.get("deputy_code"))
    to_deputy = await service.deputy_by_code(code) if code else parse_id(form.get("deputy_id"))
    shown = parse_id(form.get("holder") or "0")
    current = await uow.opinions.get(opinion_id)
    views = OpinionViews(uow, services.settings, services.policy)
    previous = await views.holder_person(current) if current is not None else None
    outcome = await service.reassign(
        opinion_id,
        to_deputy,
        _signed(request).person,
        shown_holder=shown if shown is not None else -1,
        note=str(form.get("note") or ""),
    )
    if outcome.refusal is not None:
        return await opinion(request, refusal=outcome.refusal)
    await notify_reassign(uow, services, outcome, previous)
    request[WROTE_OUTBOX] = True
    return _redirect(f"{ROOT}/opinions/{opinion_id}?done=reassigned")


NETWORK_TABS = ("stations", "deputies", "contacts")


def _network_table(tr: Translator, tab: str, rows: Sequence[Any]) -> Table:
    if tab == "stations":
        return Table(
            tr("Stations"),
            [tr("Code"), tr("Name"), tr("Kind"), tr("Parent station"), tr("Deputies")],
            [[r.code, r.name, label(tr, KIND_LABELS, r.kind), r.parent or "", r.deputies] for r in rows],
        )
    if tab == "deputies":
        return Table(
            tr("Deputies"),
            [
                tr("Code"),
                tr("Name"),
                tr("Level"),
                tr("Stations"),
                tr("Fields"),
                tr("On Telegram"),
                tr("Open opinions"),
                tr("Contacted by"),
            ],
            [
                [
                    r.code or "",
                    r.name,
                    label(tr, LEVEL_LABELS, r.level),
                    "; ".join(r.stations),
                    "; ".join(label(tr, CATEGORIES, c) for c in r.fields),
                    tr("yes") if r.linked else tr("no"),
                    r.load,
                    "; ".join(r.contacted_by),
                ]
                for r in rows
            ],
        )
    return Table(
        tr("Contacts"),
        [tr("Link"), tr("Contacting"), tr("Contacting code"), tr("Contacted"), tr("Contacted code")],
        [
            [label(tr, TIER_LABELS, r.tier), r.source, r.source_code or "", r.target, r.target_code or ""]
            for r in rows
        ],
    )


async def network(request: web.Request) -> web.Response:
    tr = _tr(request)
    service = _service(request)
    tab = request.query.get("tab", "stations")
    if tab not in NETWORK_TABS:
        tab = "stations"
    q = clean_query(request.query.get("q"))
    if tab == "stations":
        rows: Sequence[Any] = await service.network_stations(q)
    elif tab == "deputies":
        rows = await service.network_deputies(q)
    else:
        rows = await service.network_contacts(q)
    kind = _format(request)
    if kind is not None:
        return await _download(request, f"network-{tab}", kind, [_network_table(tr, tab, rows)])
    size = 100
    paging = Page(page_number(request.query.get("page")), size, len(rows))
    query = {"tab": tab, "q": q}
    return _page(
        request,
        "network.html",
        nav="network",
        tab=tab,
        tabs=NETWORK_TABS,
        q=q,
        rows=rows[paging.offset : paging.offset + size],
        paging=paging,
        tab_url=lambda t: _link("/network", {"q": q}, tab=t),
        prev_url=_link("/network", query, page=paging.number - 1),
        next_url=_link("/network", query, page=paging.number + 1),
        xlsx_url=_link("/network", query, format="xlsx"),
        csv_url=_link("/network", query, format="csv"),
    )


def _broadcast_table(tr: Translator, rows: Sequence[Any], when: Callable[[datetime | None], str]) -> Table:
    return Table(
        tr("Notices"),
        [
            tr("Number"),
            tr("Created"),
            tr("Scheduled for"),
            tr("Finished"),
            tr("Sent by"),
            tr("Audience"),
            tr("Status"),
            tr("Recipients"),
            tr("Sent"),
            tr("Blocked"),
            tr("Failed"),
            tr("Cancelled"),
            tr("Waiting"),
            tr("Text"),
        ],
        [
            [
                r.id,
                when(r.created_at),
                when(r.scheduled_for) if r.scheduled_for else "",
                when(r.finished_at) if r.finished_at else "",
                r.sender or "",
                html.unescape(r.audience),
                label(tr, BROADCAST_STATUS_LABELS, r.status),
                r.total,
                r.sent,
                r.blocked,
                r.failed,
                r.cancelled,
                r.pending,
                r.text,
            ]
            for r in rows
        ],
    )


async def broadcasts(request: web.Request) -> web.Response:
    tr = _tr(request)
    rows = await _service(request).broadcasts(tr)
    kind = _format(request)
    if kind is not None:
        when = _when(_services(request).settings)
        return await _download(request, "broadcasts", kind, [_broadcast_table(tr, rows, when)])
    size = 50
    paging = Page(page_number(request.query.get("page")), size, len(rows))
    shown = rows[paging.offset : paging.offset + size]
    return _page(
        request,
        "broadcasts.html",
        nav="broadcasts",
        rows=shown,
        audiences={r.id: Markup(r.audience) for r in shown},  # describe() escapes its user part
        paging=paging,
        prev_url=_link("/broadcasts", {}, page=paging.number - 1),
        next_url=_link("/broadcasts", {}, page=paging.number + 1),
        xlsx_url=_link("/broadcasts", {}, format="xlsx"),
        csv_url=_link("/broadcasts", {}, format="csv"),
    )


async def broadcast(request: web.Request) -> web.Response:
    tr = _tr(request)
    broadcast_id = request.match_info["broadcast_id"]
    wanted = parse_id(broadcast_id)
    found = await _service(request).broadcast(wanted, tr) if wanted is not None else None
    if found is None:
        return _render(
            request,
            "refused.html",
            tr,
            status=404,
            why="not_found",
            message=tr("This notice does not exist."),
        )
    row, undelivered = found
    kind = _format(request)
    if kind is not None:
        when = _when(_services(request).settings)
        tables = [
            _broadcast_table(tr, [row], when),
            Table(
                tr("Not delivered"),
                [tr("Telegram id"), tr("Name"), tr("Result"), tr("Error")],
                [
                    [
                        u.chat_id,
                        u.name or "",
                        tr("blocked") if u.status == "blocked" else tr("failed"),
                        u.error or "",
                    ]
                    for u in undelivered
                ],
            ),
        ]
        return await _download(request, f"notice-{row.id}", kind, tables)
    return _page(
        request,
        "broadcast.html",
        nav="broadcasts",
        b=row,
        audience=Markup(row.audience),  # describe() escapes its user part
        undelivered=undelivered,
        xlsx_url=_link(f"/broadcasts/{row.id}", {}, format="xlsx"),
        csv_url=_link(f"/broadcasts/{row.id}", {}, format="csv"),
    )


def _audit_table(tr: Translator, rows: Sequence[Any], when: Callable[[datetime | None], str]) -> Table:
    return Table(
        tr("Audit log"),
        [
            tr("Number"),
            tr("Time"),
            tr("Actor"),
            tr("Telegram id"),
            tr("Action"),
            tr("Object"),
            tr("Allowed"),
            tr("Details"),
        ],
        [
            [
                r.id,
                when(r.at),
                tr("anonymous") if r.anonymous else r.actor or "",
                r.actor_telegram_id,
                r.action,
                f"{r.object_type or ''} {r.object_id or ''}".strip(),
                tr("yes") if r.allowed else tr("no"),
                _detail_text(r.detail),
            ]
            for r in rows
        ],
    )


def _detail_text(detail: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in detail.items() if v is not None and v != "")


async def audit(request: web.Request) -> web.Response:
    tr = _tr(request)
    action = clean_query(request.query.get("action"))
    refused = request.query.get("refused") == "1"
    kind = _format(request)
    service = _service(request)
    if kind is not None:
        rows, _paging = await service.audit(action=action, refused_only=refused, size=0)
        when = _when(_services(request).settings)
        return await _download(request, "audit", kind, [_audit_table(tr, rows, when)])
    rows, paging = await service.audit(
        page_number(request.query.get("page")), action=action, refused_only=refused
    )
    query = {"action": action, "refused": "1" if refused else ""}
    return _page(
        request,
        "audit.html",
        nav="audit",
        rows=rows,
        paging=paging,
        action=action,
        refused=refused,
        detail_text=_detail_text,
        prev_url=_link("/audit", query, page=paging.number - 1),
        next_url=_link("/audit", query, page=paging.number + 1),
        xlsx_url=_link("/audit", query, format="xlsx"),
        csv_url=_link("/audit", query, format="csv"),
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


STAT_COLUMNS = (
    ("received", N_("Received")),
    ("handled", N_("Handled")),
    ("accepted_on_time", N_("Accepted on time")),
    ("answered_on_time", N_("Answered on time")),
    ("satisfied", N_("Satisfied")),
    ("basic", N_("Basically satisfied")),
    ("dissatisfied", N_("Dissatisfied")),
    ("reopened", N_("Reopenings")),
    ("resolved", N_("Resolved")),
)
ACTIVITY = (
    ("duty_days", N_("Duty days")),
    ("receptions", N_("Receptions")),
    ("people_received", N_("People received")),
    ("opinions_bot", N_("Opinions through the bot")),
    ("opinions_paper", N_("Opinions on paper")),
)
DURATIONS = (
    ("to_accept", N_("Time to accept")),
    ("to_first_answer", N_("Time to first answer")),
    ("to_close", N_("Time to close")),
)


def _stats_tables(tr: Translator, stats: Mapping[str, Any]) -> list[Table]:
    t, d = stats["totals"], stats["durations"]
    totals = Table(
        tr("Totals"),
        [tr("Figure"), tr("Value")],
        [
            [tr("Period"), f"{stats['period']['from'] or '…'} – {stats['period']['to'] or '…'}"],
            *[[tr(name), t[key]] for key, name in STAT_COLUMNS],
            [tr("Accepted"), t["accepted"]],
            [tr("Answered"), t["answered"]],
            [tr("Closed without a verdict"), t["auto_closed"]],
            [tr("Rejected"), t["rejected"]],
            [tr("Duplicates"), t["duplicate"]],
            *[[tr(name), t[key]] for key, name in ACTIVITY if key in t and key != "opinions_bot"],
        ],
    )
    durations = Table(
        tr("Hours"),
        [tr("Measure"), tr("Count"), tr("Median (hours)"), tr("p90 (hours)")],
        [[tr(name), d[key]["count"], d[key]["median_h"], d[key]["p90_h"]] for key, name in DURATIONS],
    )
    heads = [tr(name) for _k, name in STAT_COLUMNS]
    out = [totals, durations]
    for key, title, names in (
        ("by_category", tr("By category"), lambda r: label(tr, CATEGORIES, r["key"])),
        ("by_station", tr("By station"), lambda r: r["name"] or tr("no station")),
        ("by_deputy", tr("By deputy"), lambda r: r["name"] or tr("staff queue")),
        ("by_month", tr("By month"), lambda r: r["key"]),
    ):
        # A deputy's and a station's work besides the opinions (whichever figures bot.stats.service gives).
        extra = [
            (k, n)
            for k, n in ACTIVITY
            if key in ("by_station", "by_deputy") and stats[key] and k in stats[key][0]
        ]
        rows: list[list[Cell]] = [
            [names(r), *(r[k] for k, _n in STAT_COLUMNS), *(r.get(k, 0) for k, _n in extra)]
            for r in stats[key]
        ]
        out.append(Table(title, [tr("Name"), *heads, *(tr(n) for _k, n in extra)], rows))
    return out


async def statistics(request: web.Request) -> web.Response:
    tr = _tr(request)
    start, end = _day(request.query.get("from")), _day(request.query.get("to"))
    error = None
    if start and end and start > end:
        error, start, end = tr("The period starts after it ends."), None, None
    stats = await _service(request).statistics(start, end)
    tables = _stats_tables(tr, stats)
    kind = _format(request)
    query = {"from": start.isoformat() if start else "", "to": end.isoformat() if end else ""}
    if kind is not None:
        return await _download(request, "statistics", kind, tables)
    return _page(
        request,
        "stats.html",
        nav="stats",
        tables=tables,
        start=query["from"],
        end=query["to"],
        error=error,
        xlsx_url=_link("/stats", query, format="xlsx"),
        csv_url=_link("/stats", query, format="csv"),
    )


async def to_root(request: web.Request) -> web.StreamResponse:
    return _redirect(f"{ROOT}/")


def make_console_app(runtime: Runtime) -> web.Application:
    """The console as a sub-application (mount it at ROOT: `app.add_subapp(ROOT, ...)`)."""
    app = web.Application(middlewares=[security_headers, guard])
    app[CONSOLE_RUNTIME] = runtime
    app[TEMPLATES] = _environment()
    r = app.router
    r.add_get("", to_root)
    r.add_get("/", dashboard)
    r.add_get("/welcome", welcome)
    r.add_get("/login/{token}", login_page)
    r.add_post("/login/{token}", login_open)
    r.add_post("/logout", logout)
    r.add_post("/language", set_language)
    r.add_get("/opinions", opinions)
    r.add_get("/opinions/{opinion_id}", opinion)
    r.add_post("/opinions/{opinion_id}/reassign", reassign)
    r.add_get("/network", network)
    r.add_get("/broadcasts", broadcasts)
    r.add_get("/broadcasts/{broadcast_id}", broadcast)
    r.add_get("/audit", audit)
    r.add_get("/stats", statistics)
    r.add_static("/static/", HERE / "static")
    return app


def template_messages() -> dict[str, tuple[str, int]]:
    """Message ids used in the templates (`_("...")`), with where: scripts/i18n.py reads only Python."""
    env = _environment()
    found: dict[str, tuple[str, int]] = {}
    for name in sorted(env.list_templates()):
        source = (HERE / "templates" / name).read_text(encoding="utf-8")
        for line, _func, message in jinja2.ext.extract_from_ast(env.parse(source), ("_",), babel_style=False):
            for text in message:
                if text:
                    found.setdefault(text, (f"bot/console/templates/{name}", line))
    return found
