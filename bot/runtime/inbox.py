"""The inbox: an update is committed before Telegram is told it arrived, then handled from the table.

Polling commits a batch and only then asks with the next offset; the webhook route commits, then
answers 200. A stored update is handled inside one unit of work that first claims it (marks it
done), so its effects (state changes and outbox rows) and its "handled" mark commit together,
exactly once, even when two processes read the same pending row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut

from bot.kit.i18n import resolve_locale, translator
from bot.runtime.admission import admissible
from bot.runtime.context import LiaisonApp, Services, UpdateScope, current_scope
from bot.runtime.redact import blank, has_one_time_link
from bot.runtime.replies import answer_query, send_text
from storage.errors import StorageError
from storage.unit_of_work import Bookkeeping, UnitOfWork

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

# What a stored update may hold. Ids go into BIGINT columns (update_id, chat_id) and into outbox
# rows; an id that is not an int there made a 500 (2**70 overflows the column) or, on SQLite, a
# queued reply to chat "abc" that made every later drain of the outbox raise. Telegram's updates
# nest about ten levels (a reply inside a callback's message); far deeper is not an update.
ID_RANGE = range(-(2**63) + 1, 2**63)
MAX_DEPTH = 32
_ID_HOLDERS = ("chat", "from", "user", "sender_chat", "new_chat_member", "old_chat_member")


def malformed(payload: object) -> str | None:
    """Why `payload` is not an update we can store and handle, or None when it is.

    The reason names the field, never its content (a malformed update is logged, not echoed).
    """
    if not isinstance(payload, dict):
        return "not an object"
    update_id = payload.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < 2**63:
        return "update_id is not an integer in 0..2**63-1"
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:  # no recursion: the depth is what is being checked
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH}"
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _ID_HOLDERS and isinstance(value, dict) and "id" in value:
                    if type(value["id"]) is not int or value["id"] not in ID_RANGE:
                        return f"{key}.id is not a 64-bit integer"
                elif key == "message_id" and (type(value) is not int or value not in ID_RANGE):
                    return "message_id is not a 64-bit integer"
                if isinstance(value, dict | list):
                    stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node if isinstance(value, dict | list))
    return None


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


def reader_of(payload: dict[str, Any]) -> tuple[int, int] | None:
    """(sender's Telegram id, chat id) of an update with both; the claim reads them for the handler."""
    chat = chat_of(payload)
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        body = payload.get(key)
        if isinstance(body, dict):
            sender = body.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int) and isinstance(chat, int):
                return sender["id"], chat
            return None
    return None


def blank_update(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The update with the secret of a one-time link it carries masked (`/start inv_…`), or None.

    Stored once the update is handled: the secret then opens nothing more, and the table alone must
    not be able to grant a role. A substring test first, since every update passes here.
    """
    body = payload.get("message") or payload.get("edited_message")
    query = payload.get("callback_query")
    if body is None and isinstance(query, dict):
        body = query.get("message")  # a button under a message that quotes a link
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not has_one_time_link(text):
        return None
    blanked = blank(payload)
    return None if blanked is payload else blanked


MAX_ATTEMPTS = 3


async def apologise(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """After the last failed try, tell the person instead of leaving them without an answer."""
    chat_id = chat_of(payload)
    query = payload.get("callback_query")
    body = payload.get("message") or query or {}
    sender = body.get("from") if isinstance(body, dict) else None
    if chat_id is None or chat_id < 0 or not isinstance(sender, dict):
        return
    tr = translator(resolve_locale(None, sender.get("language_code"), "zh_Hans"))
    text = tr("Sorry, something went wrong on our side. What you sent is kept; please try again later.")
    if isinstance(query, dict) and query.get("id"):
        await answer_query(uow, chat_id, str(query["id"]), text, alert=True)
    else:
        await send_text(uow, chat_id, text)


class Inbox:
    """Stores raw updates and feeds them to the application's handlers, each chat's in arrival order."""

    def __init__(self, application: LiaisonApp, services: Services, *, concurrency: int = 1) -> None:
        self.application = application
        self.services = services
        self.concurrency = concurrency  # chats handled at once; one chat's updates stay in order
        self.arrived = asyncio.Event()
        self.handled = 0
        self.busy_seconds = 0.0  # time spent handling updates (metrics, benchmarks)
        self.dropped = 0  # malformed updates not stored (see `malformed`)
        self._stopping = asyncio.Event()

    @property
    def bookkeeping(self) -> Bookkeeping:
        return Bookkeeping.of(self.services.sessionmaker)

    async def store(self, updates: Sequence[dict[str, Any]]) -> int:
        """Commit raw updates (redelivered ones are ignored); raises StorageError if the DB is away.

        Malformed ones (see `malformed`) are dropped and logged without their content: asking
        Telegram for them again would bring the same bytes back.
        """
        rows: list[tuple[int, int | None, dict[str, Any]]] = []
        for update in updates:
            reason = malformed(update)
            if reason is None:
                rows.append((update["update_id"], chat_of(update), update))
            else:
                self.dropped += 1
                log.warning("inbox: dropped a malformed update: %s", reason)
        try:
            added = await self.bookkeeping.add_updates(rows)
        except (SQLAlchemyError, OSError) as exc:
            # Connecting or the duplicate check can fail before commit(); callers expect StorageError
            # (the webhook answers 503, polling pauses) rather than an error that ends polling.
            raise StorageError(str(exc)) from exc
        if added:
            self.arrived.set()
        return added

    async def process_pending(self) -> int:
        """Handle every stored, unhandled update, and those that arrive meanwhile; returns how many.

        One chat's updates are handled one after another in arrival order. With `concurrency` above
        one, different chats are handled side by side (see `_handle_continuously`): on PostgreSQL an
        update spends most of its time waiting for the database, and another chat's update can use
        that time. (Rows two updates both change are locked by whichever comes first; the other
        waits for its commit.)

        An update that fails is not retried in the same pass (it would fail the same way at once);
        the next pass, on the next arrival or within seconds, tries it again, up to MAX_ATTEMPTS.
        """
        if self.concurrency > 1:
            return await self._handle_continuously()
        done = 0
        failed: set[int] = set()
        while True:
            rows = await self.bookkeeping.pending_updates(limit=100 + len(failed))
            batch = [row for row in rows if row[0] not in failed]
            if not batch:
                return done
            for row_id, payload, attempts in batch:
                if not await self._handle(row_id, payload, last_try=attempts + 1 >= MAX_ATTEMPTS):
                    failed.add(row_id)
            done += len(batch)

    async def _handle_continuously(self) -> int:
        """One lane per chat, `concurrency` lanes at once, fed as updates arrive.

        A batch handled as a whole left handling slots idle while its last lanes finished, and an
        update that arrived meanwhile waited for them. Here the pending rows are read again on every
        arrival (when a slot is free to take them): a chat with a running lane gets the new row at
        the end of its queue, any other chat a lane of its own. An update without a chat has a lane
        of its own. The pass ends when nothing is pending and no lane runs; if a lane raised, no new
        rows are taken, the other lanes finish, and the first error goes up.
        """
        gate = asyncio.Semaphore(self.concurrency)
        lanes: dict[object, deque[tuple[int, dict[str, Any], int]]] = {}
        running: set[asyncio.Task[None]] = set()
        queued: set[int] = set()  # given to a lane, not yet finished
        failed: set[int] = set()
        # Finished rows, by the number of the last read begun when they finished: a read begun later
        # cannot return them (their done-mark was committed), an earlier one still might.
        finished: dict[int, int] = {}
        errors: list[BaseException] = []
        reads = done = 0

        async def lane(key: object, rows: deque[tuple[int, dict[str, Any], int]]) -> None:
            nonlocal done
            try:
                async with gate:
                    while rows and not errors and not self._stopping.is_set():
                        row_id, payload, attempts = rows[0]
                        if not await self._handle(row_id, payload, last_try=attempts + 1 >= MAX_ATTEMPTS):
                            failed.add(row_id)
                        rows.popleft()
                        queued.discard(row_id)
                        finished[row_id] = reads
                        done += 1
            except Exception as exc:  # raised once every lane has ended
                errors.append(exc)
            finally:
                del lanes[key]  # no await since the queue was last looked at: nothing joins it now
                queued.difference_update(row[0] for row in rows)

        try:
            while True:
                more = False  # the last read stopped at its limit: read again once a slot is free
                if not errors and not self._stopping.is_set():
                    self.arrived.clear()  # set again by whatever is stored after this read begins
                    reads += 1
                    began, limit = reads, 100 + len(failed) + len(queued)
                    rows = await self.bookkeeping.pending_updates(limit=limit)
                    more = len(rows) >= limit
                    for row in rows:
                        row_id = row[0]
                        if row_id in queued or row_id in failed or row_id in finished:
                            continue
                        queued.add(row_id)
                        chat = chat_of(row[1])
                        key = row_id if chat is None else ("chat", chat)
                        if key in lanes:
                            lanes[key].append(row)
                        else:
                            lanes[key] = deque([row])
                            task = asyncio.create_task(lane(key, lanes[key]))
                            running.add(task)
                            task.add_done_callback(running.discard)
                    for row_id in [r for r, seen in finished.items() if seen < began]:
                        del finished[row_id]
                if not running:
                    break
                await self._until_worth_reading(gate, running, accepting=not errors, more=more)
        except BaseException as exc:
            if isinstance(exc, Exception):
                errors.append(exc)  # the read failed: the lanes finish the update in hand, take no more
            else:
                for task in running:  # cancelled: the lanes do not outlive the pass
                    task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        if errors:
            raise errors[0]
        return done

    async def _until_worth_reading(
        self, gate: asyncio.Semaphore, running: set[asyncio.Task[None]], *, accepting: bool, more: bool
    ) -> None:
        """Wait until new rows can be taken (an arrival, or rows left unread, and a free slot) or no
        lane runs. Reading while every slot is taken would only queue rows behind the running lanes.
        """
        arrival = asyncio.ensure_future(self.arrived.wait()) if accepting and not more else None
        try:
            while running:
                ready = more or (arrival is not None and arrival.done())
                if accepting and ready and not gate.locked() and not self._stopping.is_set():
                    return
                waiting: set[asyncio.Future[Any]] = set(running)
                if arrival is not None and not arrival.done():
                    waiting.add(arrival)
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if arrival is not None:
                arrival.cancel()

    async def _handle(self, row_id: int, payload: dict[str, Any], *, last_try: bool) -> bool:
        """Handle one update; its effects and its done-mark commit together. False when it failed."""
        began = time.perf_counter()
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception as exc:
            # python-telegram-bot cannot read it (malformed, or a shape newer than the library).
            # Record it as failed instead of raising: a raise here would stop every later update.
            log.error("update %s could not be parsed: %r", payload.get("update_id"), exc)
            async with self.services.uow() as uow:
                await uow.inbox.mark_done(row_id, error=f"unparseable update: {exc!r}")
                await uow.commit()
            self.handled += 1
            return False
        error: BaseException | None = None
        async with self.services.uow() as uow:
            if not await uow.inbox.claim(row_id, relax_durability=True, reader=reader_of(payload)):
                await uow.rollback()  # another process handled it meanwhile
                return True
            scope = UpdateScope(uow)
            token = current_scope.set(scope)
            try:
                if admissible(update):
                    await self.application.process_update(update)
            finally:
                current_scope.reset(token)
            error = scope.failed
            blanked = blank_update(payload)
            if error is None:
                if blanked is not None:
                    await uow.inbox.replace_payload(row_id, blanked)
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
                if blanked is not None and last_try:  # kept whole while it may be tried again
                    await uow.inbox.replace_payload(row_id, blanked)
                if last_try:
                    await apologise(uow, payload)
                await uow.commit()
        self.handled += 1
        self.busy_seconds += time.perf_counter() - began
        hand_over = self.services.outbox_hand_over
        if error is None and hand_over is not None:
            hand_over(uow.outbox.added)
        if error is not None or hand_over is None or uow.outbox.added_in_bulk:
            self.services.outbox_wakeup.set()  # rows only the table has (a notice): read it now
        return error is None

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
                    # Confirm malformed ones too (dropped by store): every id Telegram can take back.
                    ids = [u.get("update_id") for u in raw if isinstance(u, dict)]
                    ints = [i for i in ids if type(i) is int and 0 <= i < 2**63]
                    if ints:
                        offset = max(ints) + 1
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(float(exc.retry_after if isinstance(exc.retry_after, int) else 5))
            except (TimedOut, NetworkError, Conflict, StorageError) as exc:
                log.warning("polling paused for %.0f s: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            except Exception:  # never let polling end quietly: the bot would look up but be deaf
                log.exception("polling failed; retrying in %.0f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        self._stopping.set()
        self.arrived.set()
