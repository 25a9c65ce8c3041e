"""Signing in and out: the one-time link's two steps (GET shows a button, POST spends it and sets the
cookie), the page for visitors without a session, logging out, and the console's language."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import ConsoleAuth, Opened, Refused, base_url
from bot.console.pages.base import (
    COOKIE,
    FORM,
    REFUSAL_TEXTS,
    ROOT,
    guest_locale,
    redirect,
    refusal_page,
    render,
    services,
    signed,
    uow,
)
from bot.kit.i18n import translator
from bot.people.identity import locale_of
from bot.runtime.settings import Settings

__all__ = ["login_open", "login_page", "logout", "set_language", "welcome"]


async def login_page(request: web.Request) -> web.Response:
    """GET of a login link: say whether it can be used, and offer the button that spends it."""
    found = services(request)
    auth = ConsoleAuth(uow(request), found.clock)
    checked = await auth.check(request.match_info["token"])
    if isinstance(checked, Refused):
        tr = translator(
            locale_of(checked.person, None, found.settings)
            if checked.person
            else guest_locale(request, found.settings)
        )
        return refusal_page(request, tr, 403, checked.reason.value)
    person = await uow(request).people.get(checked.person_id)
    tr = translator(locale_of(person, None, found.settings))
    return render(request, "login.html", tr, name=person.name if person else "", action=request.path)


async def login_open(request: web.Request) -> web.StreamResponse:
    """POST of a login link: spend it, open the session, set the cookie, go to the dashboard."""
    found = services(request)
    auth = ConsoleAuth(uow(request), found.clock)
    opened = await auth.open(request.match_info["token"], user_agent=request.headers.get("User-Agent", ""))
    if isinstance(opened, Refused):
        tr = translator(
            locale_of(opened.person, None, found.settings)
            if opened.person
            else guest_locale(request, found.settings)
        )
        return refusal_page(request, tr, 403, opened.reason.value)
    return _signed_in(opened, found.settings)


def _signed_in(opened: Opened, settings: Settings) -> web.StreamResponse:
    response = redirect(f"{ROOT}/")
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
    settings = services(request).settings
    why = request.query.get("why", "none")
    if why not in ("none", "expired", "not_staff"):
        why = "none"
    key = {"expired": "session_expired"}.get(why, why)
    tr = translator(guest_locale(request, settings))
    return render(request, "refused.html", tr, status=200, why=why, message=tr(REFUSAL_TEXTS[key]))


async def logout(request: web.Request) -> web.StreamResponse:
    await ConsoleAuth(uow(request), services(request).clock).end(signed(request))
    response = redirect(f"{ROOT}/welcome")
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
    await ConsoleAuth(uow(request), services(request).clock).set_locale(
        signed(request), str(form.get("locale", ""))
    )
    return redirect(_local_path(form.get("next")))
