"""The Bot API transport: python-telegram-bot's requests carried by aiohttp instead of httpx.

PTB keeps everything above the wire (parameters, JSON, error mapping: RetryAfter, Forbidden, ...);
this class only moves bytes. Why: the outbox makes one call per message, and httpx's Python-level
HTTP/1.1 machinery and connection pool cost more CPU per call than the rest of handling an update;
aiohttp parses HTTP in C and its pool does not slow down with many waiting requests. aiohttp is
already here for the web server.

Every URL here holds the bot token (`…/bot<token>/method`). Redirects are not followed: the Bot API
never redirects, and a redirect would hand the token to wherever it points (and aiohttp's
`TooManyRedirects` quotes the URL). Error texts are redacted before PTB wraps them, since they end
up in logs and in the outbox's `last_error`.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.runtime.redact import MASK, redact

__all__ = ["AiohttpRequest"]


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout PTB passed (DEFAULT_NONE when the caller gave none) as seconds."""
    if isinstance(value, int | float) or value is None:
        return value
    return default


class AiohttpRequest(BaseRequest):
    """A BaseRequest over one aiohttp ClientSession (made in initialize: it needs the running loop)."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files:
            assert request_data is not None
            # UTF-8 file names as they are (like httpx): quoting would send "%E5%90%8D….csv".
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None:
            # The Bot API takes a JSON body: one encoding step instead of a form field per parameter.
            body, headers = request_data.json_payload, {"Content-Type": "application/json"}
        # aiohttp has no separate write timeout: the body goes out before the read clock starts,
        # so the write allowance (larger for uploads) is added to the read one.
        write_default = self._media_write_timeout if files else self._write_timeout
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, write_default)
        pool = _seconds(pool_timeout, self._pool_timeout)
        connect = _seconds(connect_timeout, self._connect_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write,
            # aiohttp's `connect` covers both waiting for a pooled connection and opening a new one;
            # PTB times these apart, so it gets their sum (the pool wait alone made a burst of new
            # connections on a busy machine time out after 1 s, to be sent again later).
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Like PTB's httpx transport: the class name helps when the message is empty. Not chained
            # (`from None`): the aiohttp error's own text and attributes quote the URL with the token.
            text = f"aiohttp.{exc.__class__.__name__}: {exc}".replace(url, _without_token(url))
            raise NetworkError(redact(text)) from None


def _without_token(url: str) -> str:
    """The URL with the `/bot<token>/` (or `/file/bot<token>/`) part masked."""
    head, sep, tail = url.partition("/bot")
    if not sep:
        return url
    _token, slash, rest = tail.partition("/")
    return f"{head}/bot{MASK}{slash}{rest}"
