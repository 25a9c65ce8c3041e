"""The console's middlewares: security headers on every response, and the guard around every request.

The guard opens one unit of work per request, finds the session, re-checks that its person is still
staff and checks the CSRF token (and the origin) of every POST; the handler's writes and the audit
entries commit together after it. A database failure becomes a 503 page, not a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.console.auth import ConsoleAuth, Refusal, Refused, base_url, csrf_ok
from bot.console.pages.base import (
    COOKIE,
    CSRF_FIELD,
    FORM,
    ROOT,
    SIGNED,
    UOW,
    WROTE_OUTBOX,
    guest_locale,
    redirect,
    refusal_page,
    services,
    staff_locale,
)
from bot.kit.i18n import translator
from bot.runtime.settings import Settings
from storage.errors import StorageError

__all__ = ["guard", "security_headers"]

log = logging.getLogger(__name__)
PUBLIC = ("/login/", "/welcome", "/static/")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        tr = translator(guest_locale(request, services(request).settings))
        return refusal_page(request, tr, 503, "unavailable")


def _public(request: web.Request) -> bool:
    tail = request.path.removeprefix(ROOT)
    return tail.startswith(PUBLIC)


def _same_origin(request: web.Request, settings: Settings) -> bool:
    """A POST must come from our own pages: the Origin header (sent by browsers on every POST), when
    present, names this host or the configured console address."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = urlsplit(origin).netloc
    return bool(host) and host in {request.host, urlsplit(base_url(settings)).netloc}


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    found = services(request)
    settings = found.settings
    if request.method == "POST" and not _same_origin(request, settings):
        return refusal_page(request, translator(guest_locale(request, settings)), 403, "cross_site")
    if request.path.startswith(f"{ROOT}/static/"):
        return await handler(request)
    if _public(request):
        async with found.uow() as uow:
            request[UOW] = uow
            response = await handler(request)
            await uow.commit()
        return response
    async with found.uow() as uow:
        request[UOW] = uow
        auth = ConsoleAuth(uow, found.clock)
        signed = await auth.session(request.cookies.get(COOKIE))
        if isinstance(signed, Refused):
            await uow.commit()  # an expired or no-longer-staff session is ended, the refusal audited
            return _no_session(request, signed.reason, settings)
        request[SIGNED] = signed
        if request.method == "POST":
            form = await request.post()
            given = form.get(CSRF_FIELD)
            if not csrf_ok(signed.session.csrf_token, given if isinstance(given, str) else None):
                await auth.refuse_csrf(signed, request.path)
                await uow.commit()
                tr = translator(staff_locale(signed, settings))
                return refusal_page(request, tr, 403, "csrf")
            request[FORM] = form
        response = await handler(request)
        await uow.commit()
    if request.get(WROTE_OUTBOX):
        found.outbox_wakeup.set()  # after the commit: the sender finds the rows at once
    return response


def _no_session(request: web.Request, reason: Refusal, settings: Settings) -> web.StreamResponse:
    """Pages send the visitor to the 'log in through the bot' page; anything else is refused."""
    why = {Refusal.NOT_STAFF: "not_staff", Refusal.SESSION_EXPIRED: "expired"}.get(reason, "none")
    if request.method in ("GET", "HEAD"):
        response = redirect(f"{ROOT}/welcome?{urlencode({'why': why})}")
    else:
        response = refusal_page(request, translator(guest_locale(request, settings)), 403, why)
    if reason is not Refusal.NO_SESSION or COOKIE in request.cookies:
        response.del_cookie(COOKIE, path=ROOT)
    return response
