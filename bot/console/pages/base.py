"""What every console page shares: the request's keys (its unit of work, session, form), the language
it is shown in, rendering a Jinja2 template, redirects, refusal pages, links with a query, and
sending a list as a file (audited: exports hold personal data).

Templates autoescape; nothing runs in the page (no script at all) and nothing is loaded from elsewhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import jinja2
import jinja2.ext
from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.console.auth import Signed
from bot.console.export import FORMATS, Table, to_csv, to_xlsx
from bot.console.labels import (
    ACTION_LABELS,
    BROADCAST_STATUS_LABELS,
    CATEGORIES,
    COLOUR_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    STATE_LABELS,
    TIER_LABELS,
    UNIT_KIND_LABELS,
    label,
)
from bot.console.reads.base import Reads
from bot.kit.i18n import N_, Translator, translator
from bot.people.identity import locale_of
from bot.runtime.settings import SUPPORTED_LOCALES, Settings
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.runtime.app import Runtime
    from bot.runtime.context import Services

HERE = Path(__file__).resolve().parent.parent  # bot/console: its templates/ and static/
ROOT = "/console"
COOKIE = "liaison_console"
CSRF_FIELD = "csrf"
LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}

CONSOLE_RUNTIME: web.AppKey[Runtime] = web.AppKey("console_runtime")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("console_templates", jinja2.Environment)
UOW: web.RequestKey[UnitOfWork] = web.RequestKey("console_uow", UnitOfWork)
SIGNED: web.RequestKey[Signed] = web.RequestKey("console_signed", Signed)
FORM: web.RequestKey[MultiDictProxy[str | bytes | FileField]] = web.RequestKey("console_form")
WROTE_OUTBOX: web.RequestKey[bool] = web.RequestKey("console_wrote_outbox", bool)

R = TypeVar("R", bound=Reads)
T = TypeVar("T")


def environment() -> jinja2.Environment:
    """The templates' environment: autoescaping, and an error for any name a page does not pass."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["ROOT"] = ROOT
    return env


def template_messages() -> dict[str, tuple[str, int]]:
    """Message ids used in the templates (`_("...")`), with where: scripts/i18n.py reads only Python."""
    env = environment()
    found: dict[str, tuple[str, int]] = {}
    for name in sorted(env.list_templates()):
        source = (HERE / "templates" / name).read_text(encoding="utf-8")
        for line, _func, message in jinja2.ext.extract_from_ast(env.parse(source), ("_",), babel_style=False):
            for text in message:
                if text:
                    found.setdefault(text, (f"bot/console/templates/{name}", line))
    return found


# -- the request ------------------------------------------------------------------------------------


def services(request: web.Request) -> Services:
    return request.app[CONSOLE_RUNTIME].services


def uow(request: web.Request) -> UnitOfWork:
    return request[UOW]


def signed(request: web.Request) -> Signed:
    return request[SIGNED]


def reads(request: web.Request, family: type[R]) -> R:
    """A page family's reads in the request's unit of work."""
    found = services(request)
    return family(uow(request), found.settings, found.policy, found.clock)


async def off_loop(request: web.Request, family: type[R], job: Callable[[R], Awaitable[T]]) -> T:
    """A heavy read (figures, an export's rows) on the report worker, so the bot's loop keeps answering:
    `job` gets the family's reads in the worker's unit of work; what it audits is recorded in the
    request's (bot/runtime/reports.py)."""
    found = services(request)

    async def run(worker_uow: UnitOfWork) -> T:
        return await job(family(worker_uow, found.settings, found.policy, found.clock))

    return await found.reports.run(uow(request), run)


def guest_locale(request: web.Request, settings: Settings) -> str:
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


def staff_locale(found: Signed, settings: Settings) -> str:
    """The session's chosen language, else the staff member's own."""
    if found.session.locale in SUPPORTED_LOCALES:
        return str(found.session.locale)
    return locale_of(found.person, None, settings)


def tr_of(request: web.Request) -> Translator:
    """The signed-in staff member's translator."""
    return translator(staff_locale(signed(request), services(request).settings))


def link(path: str, query: Mapping[str, str], **changes: str | int) -> str:
    """A console address with the query, some parameters changed (an empty value drops one)."""
    merged = {**query, **{k: str(v) for k, v in changes.items()}}
    merged = {k: v for k, v in merged.items() if v != ""}
    return f"{ROOT}{path}" + (f"?{urlencode(merged)}" if merged else "")


# -- rendering --------------------------------------------------------------------------------------


def when_of(settings: Settings) -> Callable[[datetime | None], str]:
    """Times as the office reads them: local, to the minute ("—" for none)."""
    zone = settings.zone

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"

    return when


def render(
    request: web.Request, template: str, tr: Translator, *, status: int = 200, **context: Any
) -> web.Response:
    """A template with what every page uses (language, CSRF token, who is signed in, label tables)."""
    settings = services(request).settings
    found: Signed | None = request.get(SIGNED)
    env = request.app[TEMPLATES]
    page = env.get_template(template).render(
        _=tr,
        locale=tr.locale,
        languages=LANGUAGE_NAMES,
        csrf=found.session.csrf_token if found else "",
        me=found.person if found else None,
        when=when_of(settings),
        label=lambda table, code: label(tr, table, code),
        labels={
            "state": STATE_LABELS,
            "colour": COLOUR_LABELS,
            "category": CATEGORIES,
            "kind": KIND_LABELS,
            "level": LEVEL_LABELS,
            "tier": TIER_LABELS,
            "unit_kind": UNIT_KIND_LABELS,
            "action": ACTION_LABELS,
            "broadcast": BROADCAST_STATUS_LABELS,
        },
        here=request.path_qs,
        **context,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def staff_page(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page for the signed-in staff member, in their console language."""
    return render(request, template, tr_of(request), status=status, **context)


def redirect(location: str) -> web.Response:
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


def refusal_page(request: web.Request, tr: Translator, status: int, why: str) -> web.Response:
    return render(request, "refused.html", tr, status=status, why=why, message=tr(REFUSAL_TEXTS[why]))


def not_found(request: web.Request, tr: Translator, message: str) -> web.Response:
    """The 404 page of an opinion or notice that does not exist (`message` already translated)."""
    return render(request, "refused.html", tr, status=404, why="not_found", message=message)


# -- exports ----------------------------------------------------------------------------------------


def export_format(request: web.Request) -> str | None:
    """The file format a list was asked for (?format=xlsx or csv), or None for the page."""
    wanted = request.query.get("format", "")
    return wanted if wanted in FORMATS else None


async def download(request: web.Request, name: str, kind: str, tables: Sequence[Table]) -> web.Response:
    """Send the tables as a file (written on the report worker), and audit who took which list (it holds
    personal data)."""
    who = signed(request)
    body = await services(request).reports.call(to_xlsx if kind == "xlsx" else to_csv, tables)
    await uow(request).audit.record(
        "console.export",
        actor_telegram_id=who.person.telegram_id,
        actor_person_id=who.person.id,
        list=name,
        format=kind,
        rows=sum(len(t.rows) for t in tables),
        query=request.query_string[:200],
    )
    found = services(request)
    stamp = found.clock.now().astimezone(found.settings.zone).strftime("%Y%m%d-%H%M")
    filename = f"liaison-{name}-{stamp}.{kind}"
    return web.Response(
        body=body,
        content_type=FORMATS[kind],
        charset="utf-8" if kind == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
