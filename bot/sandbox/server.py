"""The sandbox HTTP server: Telegram's Bot API at /bot<TOKEN>/<method>, files, webhooks, control API.

python-telegram-bot talks to it unchanged through ``base_url``/``base_file_url``; every call is
validated against api.min.json, logged, and (if refused) recorded as a violation unless a test
declared it expected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .control import Control, add_control_routes
from .limits import Faults, FloodLimiter, RollingWindowLimiter
from .methods import BotApi, Described, connection_alive
from .state import CallRecord, State, Violation, now
from .store import SandboxStore
from .validation import ApiError, FileUpload, Spec, load_spec

__all__ = ["DEFAULT_TOKEN", "Sandbox"]

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:SANDBOX-token"


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    """Call parameters as JSON-friendly data (uploads summarised)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, FileUpload):
            out[key] = {"upload": value.filename, "size": len(value.data), "content_type": value.content_type}
        else:
            out[key] = value
    return out


class Sandbox(Control):
    """A local stand-in for api.telegram.org, holding users, chats and the bot's state in memory."""

    def __init__(
        self,
        *,
        flood_limits: bool = False,
        flood_scale: float = 1.0,
        strict_limits: bool = False,
        bot_token: str = DEFAULT_TOKEN,
        bot_username: str = "liaison_sandbox_bot",
        bot_name: str = "Liaison Sandbox",
        callback_ttl: float = 15.0,
        webhook_retry_delay: float = 0.2,
        webhook_retry_max: float = 5.0,
        webhook_timeout: float = 10.0,
        spec: Spec | None = None,
        store: str | Path | None = None,
    ) -> None:
        """``store``: an SQLite file that keeps chats, messages, files and counters across restarts
        (see store.py); None keeps everything in memory, as tests want."""
        self.spec = spec or load_spec()
        self.state = State(bot_token, bot_username, bot_name)
        if store is not None:
            self.state.attach(SandboxStore(store))
        # strict_limits: the rolling-window model (limits.RollingWindowLimiter), flood limits on.
        self.flood: FloodLimiter | RollingWindowLimiter | None = None
        if strict_limits:
            self.flood = RollingWindowLimiter(scale=flood_scale)
        elif flood_limits:
            self.flood = FloodLimiter(scale=flood_scale)
        self.api = BotApi(self.state, self.spec, self.flood, callback_ttl)
        self.faults = Faults()
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_retry_max = webhook_retry_max
        self.webhook_timeout = webhook_timeout
        self.closing = False
        self._user_ids = itertools.count(1_000_001)
        self._call_seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._url: str | None = None
        self.app = self._make_app()

    # ---------------------------------------------------------------------------- lifecycle

    @property
    def bot_token(self) -> str:
        return self.state.bot_token

    @property
    def url(self) -> str:
        """Base URL once started, e.g. http://127.0.0.1:41234."""
        if self._url is None:
            raise RuntimeError("sandbox is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """What to pass to ApplicationBuilder.base_url (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = a free port) and return the base URL."""
        self.closing = self.api.closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        bound = sockets[0].getsockname()[1] if sockets else port
        self._url = f"http://{host}:{bound}"
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="sandbox-webhook")
        log.info("sandbox listening on %s (token %s)", self._url, self.bot_token)
        return self._url

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once (empty), so the server stops without waiting."""
        self.closing = self.api.closing = True
        self.state.wake_all()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.state.store is not None:
            self.state.store.close()

    async def __aenter__(self) -> Sandbox:
        if self._url is None or self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------- the API

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            data = await request.json()
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: can't parse request JSON object")
            params.update(data)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    ptype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                    params[part.name] = FileUpload(part.filename, ptype, bytes(await part.read()))
                else:
                    params[part.name] = await part.text()
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else str(value)
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.bot_token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        raw_method = request.match_info["method"]
        method = self.spec.method_name(raw_method)
        if method is None:
            self._record(raw_method, {}, ApiError(404, "Not Found"))
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            params = await self._read_params(request)
        except (ValueError, ApiError) as exc:
            err = exc if isinstance(exc, ApiError) else ApiError(400, "Bad Request: can't parse request")
            self._record(method, {}, err)
            return web.json_response(err.payload(), status=err.code)
        fault = self.faults.take(method)
        drop_after = False
        if fault is not None:
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop" and fault.after_processing:
                drop_after = True
            else:
                self._log_call(
                    method,
                    params,
                    False,
                    fault.status if fault.kind == "error" else None,
                    f"injected {fault.kind}",
                    injected=True,
                )
                if fault.kind == "drop":
                    return self._drop(request)
                if fault.status == 502:
                    return web.Response(
                        status=502,
                        text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                        content_type="text/html",
                    )
                return web.json_response(
                    {"ok": False, "error_code": fault.status, "description": "Internal Server Error"},
                    status=fault.status,
                )
        transport = request.transport
        token = connection_alive.set(lambda: transport is not None and not transport.is_closing())
        try:
            status, payload = await self.execute(method, params)
        finally:
            connection_alive.reset(token)
        if drop_after:
            return self._drop(request)
        return web.json_response(payload, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without an answer (the client sees a disconnect)."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    async def execute(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate and run one call; returns (HTTP status, Bot API response body)."""
        logged = params
        try:
            coerced = self.spec.validate_params(method, params)
            logged = coerced  # typed values read better in the call log than form strings
            result = await self.api.call(method, coerced, params)
        except ApiError as err:
            self._record(method, logged, err)
            return err.code, err.payload()
        except Exception as exc:  # a sandbox bug must not look like a Telegram answer
            log.exception("sandbox failed on %s", method)
            err = ApiError(500, f"Internal Server Error: sandbox bug: {type(exc).__name__}: {exc}")
            self._record(method, logged, err)
            return err.code, err.payload()
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, Described):
            body["result"] = result.result
            body["description"] = result.description
        else:
            body["result"] = result
        self._log_call(method, logged, True)
        return 200, body

    def _log_call(
        self,
        method: str,
        params: dict[str, Any],
        ok: bool,
        code: int | None = None,
        description: str | None = None,
        *,
        injected: bool = False,
    ) -> None:
        self.state.calls.append(
            CallRecord(
                next(self._call_seq), time.time(), method, _loggable(params), ok, code, description, injected
            )
        )

    def _record(self, method: str, params: dict[str, Any], err: ApiError) -> None:
        """Log a refused call and count it as a violation unless a test expects it."""
        self._log_call(method, params, False, err.code, err.description)
        if method == "getUpdates" and err.code == 409 and "terminated by other" in err.description:
            return  # the newer poller is fine; the superseded one is told, not blamed twice
        for exp in self.state.expectations:
            if exp.matches(method, err.code, err.description):
                exp.matched += 1
                if exp.remaining is not None:
                    exp.remaining -= 1
                return
        violation = Violation(method, _loggable(params), err.code, err.description)
        self.state.violations.append(violation)
        log.warning("sandbox violation: %s", violation)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.bot_token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        rec = self.state.files_by_path.get(request.match_info["path"])
        if rec is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=rec.data, content_type=rec.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------------------ webhook

    async def _webhook_loop(self) -> None:
        """Deliver pending updates one by one, in order; retry failures with backoff like Telegram."""
        st = self.state
        delay = self.webhook_retry_delay
        while not self.closing:
            hook = st.webhook
            if hook is None or not st.updates:
                await st.updates_signal.wait(3600)
                continue
            update = st.updates[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            error: str | None = None
            reply: Any = None
            assert self._session is not None
            try:
                async with self._session.post(
                    hook.url,
                    data=json.dumps(update, ensure_ascii=False).encode(),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as resp:
                    if not 200 <= resp.status < 300:
                        error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                    elif resp.content_type == "application/json":
                        with contextlib.suppress(ValueError):
                            reply = await resp.json()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"Connection failed: {type(exc).__name__}: {exc}"
            if error is not None:
                hook.last_error_date = now()
                hook.last_error_message = error
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.webhook_retry_max)
                continue
            delay = self.webhook_retry_delay
            if st.updates and st.updates[0] is update:
                st.updates.pop(0)
                st.updates_gone()
            if isinstance(reply, dict) and isinstance(reply.get("method"), str):
                # Telegram lets a webhook answer with one method call in the response body.
                method = self.spec.method_name(reply["method"])
                if method is not None:
                    await self.execute(method, {k: v for k, v in reply.items() if k != "method"})
