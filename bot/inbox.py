"""The inbox: an update is committed before Telegram is told it arrived, then handled from the table.

Polling commits a batch and only then asks with the next offset; the webhook route commits, then
answers 200. A stored update is handled inside one unit of work that also marks it done, so its
effects (state changes and outbox rows) and its "handled" mark commit together, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut

from bot.context import LiaisonApp, Services, UpdateScope, current_scope
from storage.errors import StorageError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to, for ordering and lookup; None when it has none."""
    for key in ("message", "edited_message", "channel_post", "edited_channel_post", "my_chat_member"):
        body = payload.get(key)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return body["chat"].get("id")
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return message["chat"].get("id")
        sender = query.get("from")
        if isinstance(sender, dict):
            return sender.get("id")
    return None


class Inbox:
    """Stores raw updates and feeds them, in arrival order, to the application's handlers."""

    def __init__(self, application: LiaisonApp, services: Services) -> None:
        self.application = application
        self.services = services
        self.arrived = asyncio.Event()
        self.handled = 0
        self._stopping = asyncio.Event()

    async def store(self, updates: Sequence[dict[str, Any]]) -> int:
        """Commit raw updates (redelivered ones are ignored); raises StorageError if the DB is away."""
        rows = [(int(u["update_id"]), chat_of(u), u) for u in updates if "update_id" in u]
        async with self.services.uow() as uow:
            added = await uow.inbox.add_many(rows)
            await uow.commit()
        if added:
            self.arrived.set()
        return added

    async def process_pending(self) -> int:
        """Handle every stored, unhandled update in order; returns how many were handled."""
        done = 0
        while True:
            async with self.services.uow() as uow:
                rows = await uow.inbox.pending(limit=100)
                batch = [(r.id, r.payload) for r in rows]
            if not batch:
                return done
            for row_id, payload in batch:
                await self._handle(row_id, payload)
                done += 1

    async def _handle(self, row_id: int, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.application.bot)
        error: BaseException | None = None
        async with self.services.uow() as uow:
            scope = UpdateScope(uow)
            token = current_scope.set(scope)
            try:
                await self.application.process_update(update)
            finally:
                current_scope.reset(token)
            error = scope.failed
            if error is None:
                await uow.inbox.mark_done(row_id)
                try:
                    await uow.commit()
                except StorageError as exc:
                    error = exc
            else:
                await uow.rollback()
        if error is not None:
            log.error("update %s failed: %r", payload.get("update_id"), error)
            async with self.services.uow() as uow:
                await uow.inbox.mark_done(row_id, error=repr(error))
                await uow.commit()
        self.handled += 1
        self.services.outbox_wakeup.set()

    async def run_processor(self) -> None:
        """Handle updates as they arrive; also picks up what a crash left unhandled."""
        while not self._stopping.is_set():
            self.arrived.clear()
            try:
                await self.process_pending()
            except Exception:
                log.exception("inbox processing failed")
                await asyncio.sleep(1.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=5.0)

    async def run_polling(self, poll_timeout: int = 25) -> None:
        """Long polling that confirms a batch (next offset) only after it is committed."""
        bot = self.application.bot
        await bot.do_api_request("deleteWebhook", api_kwargs={"drop_pending_updates": False})
        offset: int | None = None
        backoff = 1.0
        while not self._stopping.is_set():
            kwargs: dict[str, Any] = {"timeout": poll_timeout, "allowed_updates": ALLOWED_UPDATES}
            if offset is not None:
                kwargs["offset"] = offset
            try:
                raw = await bot.do_api_request(
                    "getUpdates", api_kwargs=kwargs, read_timeout=poll_timeout + 10
                )
                if raw:
                    await self.store(raw)
                    offset = max(int(u["update_id"]) for u in raw) + 1
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(float(exc.retry_after if isinstance(exc.retry_after, int) else 5))
            except (TimedOut, NetworkError, Conflict, StorageError) as exc:
                log.warning("polling paused for %.0f s: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        self._stopping.set()
        self.arrived.set()
