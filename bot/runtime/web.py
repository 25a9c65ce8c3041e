"""The aiohttp server beside the bot: the webhook route, health check, Prometheus metrics, and the
mounted console (`/console`) and Open311 GeoReport v2 reads (`/open311/v2`)."""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.web import ROOT as CONSOLE_ROOT
from bot.console.web import make_console_app
from bot.open311.web import ROOT as OPEN311_ROOT
from bot.open311.web import make_open311_app
from bot.runtime.inbox import malformed
from bot.runtime.settings import Settings
from storage.errors import StorageError

if TYPE_CHECKING:
    from bot.runtime.app import Runtime

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")


async def webhook(request: web.Request) -> web.Response:
    """Commit the update, then answer 200; any other answer makes Telegram deliver it again.

    A body that is not an update we can store (bad JSON, ids that are not 64-bit integers, nesting
    deeper than any update: `bot.runtime.inbox.malformed`) is dropped with a 200 and logged without its
    content: Telegram retries every non-2xx answer with the same bytes, and holds the updates
    behind it meanwhile, so a 400 would stall the bot's webhook for a day.
    """
    runtime = request.app[RUNTIME]
    secret = runtime.settings.webhook_secret or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return web.Response(status=403, text="forbidden")
    try:
        payload = await request.json(loads=json.loads)
    except (ValueError, RecursionError):  # RecursionError: JSON nested past Python's stack
        payload = None
    reason = "not JSON" if payload is None else malformed(payload)
    if reason is not None:
        log.warning("webhook: dropped a malformed update (%s)", reason)
        runtime.inbox.dropped += 1
        return web.Response(text="dropped")
    try:
        await runtime.inbox.store([payload])
    except StorageError:
        log.exception("webhook could not store update %s", payload.get("update_id"))
        return web.Response(status=503, text="try again")
    return web.Response(text="ok")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format: updates handled, handling time, outbox depth, sends by result, overdue."""
    runtime = request.app[RUNTIME]
    inbox, sender = runtime.inbox, runtime.sender
    try:
        async with runtime.services.uow() as uow:
            depth = await uow.outbox.depth()
            overdue = await uow.opinions.overdue_counts(runtime.services.clock.now())
    except StorageError:
        return web.Response(status=503, text="database unavailable\n")
    lines = [
        "# HELP liaison_updates_handled_total Updates handled since start.",
        "# TYPE liaison_updates_handled_total counter",
        f"liaison_updates_handled_total {inbox.handled}",
        "# HELP liaison_update_handling_seconds_total Time spent handling updates since start.",
        "# TYPE liaison_update_handling_seconds_total counter",
        f"liaison_update_handling_seconds_total {inbox.busy_seconds:.6f}",
        "# HELP liaison_outbox_depth Messages waiting in the outbox.",
        "# TYPE liaison_outbox_depth gauge",
        f"liaison_outbox_depth {depth}",
        "# HELP liaison_sends_total Bot API calls made by the outbox sender, by result.",
        "# TYPE liaison_sends_total counter",
        *(
            f'liaison_sends_total{{result="{result}"}} {count}'
            for result, count in sorted(sender.by_result.items())
        ),
        "# HELP liaison_opinions_overdue Opinions whose running deadline has passed.",
        "# TYPE liaison_opinions_overdue gauge",
        f"liaison_opinions_overdue {sum(overdue.values())}",
        "# HELP liaison_opinions_overdue_by_state Opinions whose running deadline has passed, by state.",
        "# TYPE liaison_opinions_overdue_by_state gauge",
        *(
            f'liaison_opinions_overdue_by_state{{state="{state}"}} {n}'
            for state, n in sorted(overdue.items())
        ),
        "# HELP liaison_updates_dropped_total Malformed updates dropped, not stored, since start.",
        "# TYPE liaison_updates_dropped_total counter",
        f"liaison_updates_dropped_total {inbox.dropped}",
    ]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


def make_web_app(runtime: Runtime) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.add_subapp(CONSOLE_ROOT, make_console_app(runtime))  # the staff web console
    app.add_subapp(OPEN311_ROOT, make_open311_app(runtime))  # public, read-only GeoReport v2
    return app


class WebServer:
    def __init__(self, runner: web.AppRunner) -> None:
        self.runner = runner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_web(runtime: Runtime, settings: Settings) -> WebServer:
    """Serve the web app; in webhook mode also tell Telegram where to deliver."""
    runner = web.AppRunner(make_web_app(runtime))
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    if settings.webhook_url:
        await runtime.application.bot.set_webhook(
            url=f"{settings.webhook_url}{WEBHOOK_PATH}",
            secret_token=settings.webhook_secret,
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"],
        )
    return WebServer(runner)
