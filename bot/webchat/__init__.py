"""A Telegram-like web chat over the sandbox, so anyone can try the bot without Telegram.

The page is rendered on the server (Jinja2, autoescaped) and a small vanilla script polls the
sandbox's chat feed. All user actions go through the in-process ``Sandbox`` control methods, so the
bot sees exactly the updates a Telegram client would cause. Message text is only ever put into the
page as text nodes (see static/webchat.js), never as HTML.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web
from PIL import Image, UnidentifiedImageError

from bot.runtime.clock import CLOCK_KEY, DemoClock
from bot.sandbox import Sandbox

from .strings import LEVELS, ROLE_GROUPS, STRINGS, UI_LANGUAGES

if TYPE_CHECKING:
    from bot.runtime.app import Runtime

__all__ = ["CLOCK_STEPS", "DEMO_LOCATION", "DemoPerson", "create_webchat_app", "serve"]

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# Where "share location" puts the user: the 碧江县 home of deputies in the example network.
DEMO_LOCATION = {"latitude": 25.67425, "longitude": 99.13535}
# Telegram user ids of new visitors: far from the network's ids, and random so a kept demo
# database does not mistake today's visitor for yesterday's.
VISITOR_IDS = (7_000_000_000, 7_999_999_999)
MAX_WAIT = 30.0
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the TIMEZONE setting's default, for a page without a bot
# The page's "advance the clock" steps: enough to see yellow (hours), red and the climb (days),
# auto-close (14 days after an answer) and the 30-day follow-up.
CLOCK_STEPS = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# What Telegram takes from a client: a photo up to 10 MB, and a file the bot can still download
# (getFile serves up to 20 MB). The page compresses photos to 1280 px, as Telegram's apps do.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
# Images the file route shows inline; anything else (SVG with its scripts included) is a download.
INLINE_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")


@dataclass(frozen=True)
class DemoPerson:
    """Someone a demo visitor can act as: a Telegram id and how the page lists them."""

    id: int
    name: str
    role: str  # constituent | unit_officer | deputy | committee_member | special_committee | presidium | staff | visitor
    code: str = ""
    level: str | None = None
    phone: str | None = None
    deputies: tuple[str, ...] = ()  # a constituent's linked deputies, who receive their opinions
    # The body they act for: an officer's units, a special committee member's committees (with the
    # categories it supervises), so a visitor sees where in the suggestion chain they stand.
    affiliation: str = ""


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)
PEOPLE: web.AppKey[list[DemoPerson]] = web.AppKey("people", list)
CONFIG: web.AppKey[dict[str, Any]] = web.AppKey("config", dict)
RUNTIME: web.AppKey[Any] = web.AppKey("runtime", object)
CLOCK_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("clock_lock", asyncio.Lock)


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _grouped(people: list[DemoPerson]) -> list[dict[str, Any]]:
    """People per role group, in the order of ROLE_GROUPS; visitors' group is always present."""
    groups = []
    for role in ROLE_GROUPS:
        members = [p for p in people if p.role == role]
        if members or role == "visitor":
            groups.append({"role": role, "people": members})
    return groups


@web.middleware
async def _json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A bad action (unknown user, missing button) is the page's error to show, not a 500."""
    try:
        return await handler(request)
    except (ValueError, KeyError, TypeError) as exc:
        if not request.path.startswith("/api/"):
            raise
        return web.json_response({"error": str(exc)}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON body of a POST; demanding JSON makes a cross-site form post fail its preflight."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("a JSON object is expected")
    return data


async def index(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    lang = request.query.get("lang", config["ui_language"])
    if lang not in UI_LANGUAGES:
        lang = config["ui_language"]
    page = (
        config["env"]
        .get_template("index.html")
        .render(
            lang=lang,
            s=STRINGS[lang],
            strings=STRINGS,
            levels=LEVELS,
            groups=_grouped(request.app[PEOPLE]),
            clock_steps=list(CLOCK_STEPS) if _demo_clock(request.app) else [],
            console_url=config["console_url"],
            client_config={
                "lang": lang,
                "languageCode": config["language_code"],
                "location": DEMO_LOCATION,
                "timeZone": config["timezone"],
                "clock": _clock_state(request.app),
            },
        )
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def list_people(request: web.Request) -> web.Response:
    return web.json_response([asdict(p) for p in request.app[PEOPLE]])


async def new_visitor(request: web.Request) -> web.Response:
    """A fresh sandbox user who has never written to the bot."""
    sandbox = request.app[SANDBOX]
    data = await _body(request)
    lang = data.get("language_code") or request.app[CONFIG]["language_code"]
    if lang not in ("zh-hans", "en"):
        raise ValueError("language_code must be zh-hans or en")
    visitors = [p for p in request.app[PEOPLE] if p.role == "visitor"]
    default = STRINGS["en" if lang == "en" else "zh"]["visitor_default"]
    name = " ".join(str(data.get("name") or "").split())[:64] or f"{default} {len(visitors) + 1}"
    uid = secrets.randbelow(VISITOR_IDS[1] - VISITOR_IDS[0]) + VISITOR_IDS[0]
    while uid in sandbox.state.users:
        uid += 1
    sandbox.add_user(uid, name, language_code=lang)
    person = DemoPerson(uid, name, "visitor")
    request.app[PEOPLE].append(person)
    return web.json_response(asdict(person), status=201)


async def feed(request: web.Request) -> web.Response:
    """The chat's changes after ``since``; waits up to ``wait`` seconds for the first one."""
    sandbox = request.app[SANDBOX]
    chat_id = int(request.match_info["chat_id"])
    since = int(request.query.get("since", 0))
    wait = min(max(float(request.query.get("wait", 0)), 0.0), MAX_WAIT)
    data = sandbox.chat_feed(chat_id, since)
    deadline = time.monotonic() + wait
    while not data["events"] and (remaining := deadline - time.monotonic()) > 0 and not sandbox.closing:
        await sandbox.wait_for_change(remaining)
        data = sandbox.chat_feed(chat_id, since)
    return web.json_response(_in_demo_time(request.app, data))


def _in_demo_time(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Message dates as the demo's clock read when they were sent (the sandbox stamps real time)."""
    clock = _demo_clock(app)
    if clock is None:
        return data
    events = []
    for event in data["events"]:
        msg = event.get("message")
        if isinstance(msg, dict) and isinstance(msg.get("date"), int):
            shown = clock.shown(datetime.fromtimestamp(msg["date"], UTC))
            event = {**event, "message": {**msg, "date": int(shown.timestamp())}}
        events.append(event)
    return {**data, "events": events}


async def action(request: web.Request) -> web.Response:
    """What a Telegram client lets its user do: type, share a photo/location/contact, press a button."""
    sandbox = request.app[SANDBOX]
    user_id = int(request.match_info["user_id"])
    kind = request.match_info["action"]
    data = await _body(request)
    if kind == "send":
        result: Any = sandbox.send_text(user_id, str(data.get("text", "")))
    elif kind == "upload":
        result = _upload(sandbox, user_id, data)
    elif kind == "location":
        result = sandbox.send_location(user_id, DEMO_LOCATION["latitude"], DEMO_LOCATION["longitude"])
    elif kind == "contact":
        result = sandbox.share_contact(user_id)
    elif kind == "press":
        message_id = data.get("message_id")
        query_id = sandbox.press_button(
            user_id,
            data.get("text"),
            callback_data=data.get("callback_data"),
            message_id=int(message_id) if message_id is not None else None,
        )
        result = {"callback_query_id": query_id}
    else:
        raise web.HTTPNotFound(text=f"unknown action {kind}")
    return web.json_response(result)


def _decoded(data: dict[str, Any], limit: int) -> bytes:
    """The file's bytes from the JSON body (base64: the body stays JSON, see `_body`)."""
    try:
        raw = base64.b64decode(str(data.get("data") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("data must be base64") from None
    if not raw:
        raise ValueError("the file is empty")
    if len(raw) > limit:
        raise ValueError(f"the file is larger than {limit // (1024 * 1024)} MB")
    return raw


def _file_name(value: Any) -> str:
    """A plain file name as Telegram keeps it: no folders, no control characters, at most 255."""
    name = str(value or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "file"


def _upload(sandbox: Sandbox, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """A file the user picked: a photo (an image, checked and measured here) or a document."""
    caption = str(data.get("caption") or "").strip() or None
    if data.get("kind") == "photo":
        raw = _decoded(data, MAX_PHOTO_BYTES)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                kind, (width, height) = image.format, image.size
        except (UnidentifiedImageError, OSError):
            raise ValueError("a photo must be a JPEG, PNG or WebP image") from None
        if kind not in PHOTO_FORMATS:
            raise ValueError("a photo must be a JPEG, PNG or WebP image")
        ext, mime = PHOTO_FORMATS[kind]
        return sandbox.send_photo(
            user_id, caption, width=width, height=height, data=raw, ext=ext, mime_type=mime
        )
    if data.get("kind") == "document":
        raw = _decoded(data, MAX_DOCUMENT_BYTES)
        mime = str(data.get("mime_type") or "").lower()
        return sandbox.send_document(
            user_id,
            raw,
            file_name=_file_name(data.get("file_name")),
            mime_type=mime if MIME_TYPE.match(mime) else "application/octet-stream",
            caption=caption,
        )
    raise ValueError("kind must be photo or document")


def _demo_clock(app: web.Application) -> DemoClock | None:
    """The bot's clock when it is the demo's (only then may the page move it)."""
    runtime = app[RUNTIME]
    clock = getattr(runtime, "clock", None)
    return clock if isinstance(clock, DemoClock) else None


def _clock_state(app: web.Application) -> dict[str, Any] | None:
    clock = _demo_clock(app)
    if clock is None:
        return None
    return {
        "now": clock.now().timestamp(),
        "offset": clock.offset.total_seconds(),
        "advanced": clock.advanced.total_seconds(),
    }


async def advance_clock(request: web.Request) -> web.Response:
    """Move the demo's clock forward, then run the jobs now due at once (the SLA sweep, digests, reminders
    of co-signers, duty days and rectification items, 回头看) rather than at their next turn."""
    clock = _demo_clock(request.app)
    if clock is None:
        raise web.HTTPNotFound()
    data = await _body(request)
    step = CLOCK_STEPS.get(str(data.get("step")))
    if step is None:
        raise ValueError(f"step must be one of {', '.join(CLOCK_STEPS)}")
    runtime: Runtime = request.app[RUNTIME]
    async with request.app[CLOCK_LOCK]:
        clock.advance(step)
        store = request.app[SANDBOX].state.store
        if store is not None:
            store.write_meta(CLOCK_KEY, json.dumps(clock.saved()))
        notices = await runtime.due_work()
    return web.json_response({**(_clock_state(request.app) or {}), "notices": notices})


async def file(request: web.Request) -> web.Response:
    """A photo or file of the chat; only images are shown inline, anything else is a download."""
    rec = request.app[SANDBOX].state.files.get(request.match_info["file_id"])
    if rec is None:
        raise web.HTTPNotFound()
    mime = rec.mime_type or ("image/png" if rec.data.startswith(b"\x89PNG") else None)
    if rec.kind == "photo" and mime is None:
        mime = "image/jpeg"
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    if mime not in INLINE_IMAGES:
        headers["Content-Disposition"] = f'attachment; filename="{rec.file_path.rsplit("/", 1)[-1]}"'
    return web.Response(body=rec.data, content_type=mime or "application/octet-stream", headers=headers)


@web.middleware
async def _security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Scripts only from this server: even a rendering bug could not run injected script."""
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    )
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def create_webchat_app(
    sandbox: Sandbox,
    people: list[DemoPerson],
    *,
    ui_language: str = "zh",
    language_code: str = "zh-hans",
    runtime: Runtime | None = None,
    console_url: str | None = None,
) -> web.Application:
    """The web chat as an aiohttp application (serve it with an AppRunner on any port).

    With the bot's ``runtime`` the page shows times in the congress's zone (its ``TIMEZONE``) and,
    when the bot runs on a ``DemoClock``, offers to advance that clock. ``console_url``: where the
    staff web console is served (the demo's), linked for staff.
    """
    if ui_language not in UI_LANGUAGES:
        raise ValueError(f"ui_language must be one of {UI_LANGUAGES}")
    # A photo or file arrives base64-encoded in JSON: a third larger than the file itself.
    app = web.Application(
        middlewares=[_security_headers, _json_errors], client_max_size=MAX_DOCUMENT_BYTES * 4 // 3 + 65536
    )
    app[SANDBOX] = sandbox
    app[PEOPLE] = list(people)
    app[RUNTIME] = runtime
    app[CLOCK_LOCK] = asyncio.Lock()
    timezone = runtime.settings.timezone if runtime is not None else DEFAULT_TIMEZONE
    app[CONFIG] = {
        "ui_language": ui_language,
        "language_code": language_code,
        "console_url": console_url,
        "env": _templates(),
        "timezone": timezone,
    }
    r = app.router
    r.add_get("/", index)
    r.add_get("/api/people", list_people)
    r.add_post("/api/visitors", new_visitor)
    r.add_get("/api/chats/{chat_id:-?\\d+}", feed)
    r.add_post("/api/users/{user_id:\\d+}/{action}", action)
    r.add_get("/api/files/{file_id}", file)
    if _demo_clock(app) is not None:  # only the demo's clock may be moved, never a real bot's
        r.add_post("/api/clock/advance", advance_clock)
    r.add_static("/static/", STATIC)
    return app


async def serve(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Start serving ``app``; returns the runner (to ``cleanup()``) and the base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server
    sockets = server.sockets if server is not None else []  # type: ignore[attr-defined]
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, f"http://{host}:{bound}"
