"""The Open311 GeoReport v2 endpoints as an aiohttp sub-application, mounted at `/open311/v2`.

Read-only and public: GET (and HEAD) only, `Access-Control-Allow-Origin: *` (nothing here depends on
who asks, and no cookie is read), short public caching with an ETag, and errors as the spec's JSON
list of `{code, description}` — an unknown route, a private or unknown request id (the same 404, so
a private one cannot be told from none), a wrong method (405) and a database that is away (503).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.kit.i18n import N_, SUPPORTED_LOCALES, Translator, translator
from bot.open311.service import Open311Service, Problem, parse_query
from bot.runtime.context import Services
from storage.errors import StorageError

__all__ = ["ROOT", "make_open311_app"]

log = logging.getLogger(__name__)
ROOT = "/open311/v2"
METHODS = "GET, HEAD, OPTIONS"
SERVICES_MAX_AGE = 3600  # categories change with a release, not by the minute
REQUESTS_MAX_AGE = 60
_LANG = {"zh": "zh_Hans", "zh_hans": "zh_Hans", "zh-hans": "zh_Hans", "zh-cn": "zh_Hans", "en": "en"}
NOT_FOUND = N_("No such service request.")
NO_ROUTE = N_("No such Open311 endpoint.")
NOT_ALLOWED = N_("This Open311 endpoint is read-only: use GET.")
UNAVAILABLE = N_("The service is unavailable; try again later.")


class HasServices(Protocol):
    @property
    def services(self) -> Services: ...


HOST: web.AppKey[HasServices] = web.AppKey("open311_host")
SERVICE: web.AppKey[Open311Service] = web.AppKey("open311_service")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def locale_of(request: web.Request, default: str) -> str:
    """`lang` (zh or en), else the best of `Accept-Language` we speak (by q), else the default."""
    asked = _LANG.get(request.query.get("lang", "").lower())
    if asked:
        return asked
    best: tuple[float, str] | None = None
    for part in request.headers.get("Accept-Language", "").split(","):
        code, _, params = part.strip().partition(";")
        code = code.strip().lower()
        locale = _LANG.get(code) or _LANG.get(code.split("-")[0])
        if locale is None:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0 and (best is None or q > best[0]):
            best = (q, locale)
    if best is not None:
        return best[1]
    return default if default in SUPPORTED_LOCALES else "zh_Hans"


def _tr(request: web.Request) -> Translator:
    return translator(locale_of(request, request.app[HOST].services.settings.default_locale))


def _json(request: web.Request, data: Any, *, status: int = 200, max_age: int = 0) -> web.Response:
    """UTF-8 JSON (Chinese as is); cacheable answers carry an ETag and honour If-None-Match."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = web.Response(body=body, status=status, content_type="application/json", charset="utf-8")
    response.headers["Vary"] = "Accept-Language"
    if status == 200 and max_age:
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        response.headers["ETag"] = tag
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        if tag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
            return web.Response(status=304, headers=response.headers)
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _error(request: web.Request, status: int, description: str) -> web.Response:
    """The spec's error body: a list of {code, description}."""
    return _json(request, [{"code": status, "description": description}], status=status)


@web.middleware
async def public_read(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for everyone, JSON errors for every refusal, 503 when the database is away."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _error(request, 404, _tr(request)(NO_ROUTE))
    except web.HTTPMethodNotAllowed:
        response = _error(request, 405, _tr(request)(NOT_ALLOWED))
        response.headers["Allow"] = METHODS
    except (StorageError, SQLAlchemyError):
        log.exception("open311 request %s failed on the database", request.path)
        response = _error(request, 503, _tr(request)(UNAVAILABLE))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = METHODS
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def preflight(request: web.Request) -> web.Response:
    response = web.Response(status=204)
    response.headers["Access-Control-Allow-Headers"] = "Accept-Language, If-None-Match"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


async def services_json(request: web.Request) -> web.Response:
    """GET services.json: the categories in the asked language."""
    return _json(request, request.app[SERVICE].services(_tr(request)), max_age=SERVICES_MAX_AGE)


async def requests_json(request: web.Request) -> web.Response:
    """GET requests.json: public requests, filtered and paged (400 for a query the spec refuses)."""
    found = request.app[HOST].services
    tr = _tr(request)
    page = parse_query(request.query, found.clock.now(), found.settings.zone)
    if isinstance(page, Problem):
        return _error(request, 400, tr(page.description, **(page.params or {})))
    async with found.uow() as uow:
        listed = await request.app[SERVICE].requests(uow, page, tr)
    return _json(request, listed, max_age=REQUESTS_MAX_AGE)


async def request_json(request: web.Request) -> web.Response:
    """GET requests/{id}.json: a list of one, or 404 whether it is unknown or private."""
    found = request.app[HOST].services
    tr = _tr(request)
    async with found.uow() as uow:
        one = await request.app[SERVICE].request(uow, request.match_info["service_request_id"], tr)
    if one is None:
        return _error(request, 404, tr(NOT_FOUND))
    return _json(request, [one], max_age=REQUESTS_MAX_AGE)


def make_open311_app(host: HasServices) -> web.Application:
    """The sub-application (mount it at ROOT); `host` is the Runtime, whose services exist once started."""
    app = web.Application(middlewares=[public_read])
    app[HOST] = host
    app[SERVICE] = Open311Service(host.services.settings)
    for path, handler in (
        ("/services.json", services_json),
        ("/requests.json", requests_json),
        ("/requests/{service_request_id:[A-Za-z0-9-]{1,40}}.json", request_json),
    ):
        app.router.add_get(path, handler)
        app.router.add_route("OPTIONS", path, preflight)
    return app
