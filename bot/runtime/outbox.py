"""The outbox sender: the one place that talks to users, at Telegram's pace.

Rows are written by services in the same transaction as the change that causes them. One sender
drains them: ≤ 30 sends in any rolling second overall and ≤ 3 in any 3 s per chat (Pacing), one
call in flight per chat so a chat's messages keep their order, `retry_after` honoured, 403 recorded as blocked. A row is
marked sent in its own commit straight after the call, and never sent again after that.

Only the holder of the sender's lock (storage.locks, one per bot) sends; a second process on the
same database stands by and takes over when the holder stops or loses its lock, so no row goes
out twice because two senders read it.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import logging
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.runtime.clock import Clock, SystemClock
from bot.runtime.redact import blank, has_one_time_link, redact
from storage.locks import ProcessLocal, SingleHolder
from storage.models import OutboxMessage, OutboxStatus
from storage.unit_of_work import Bookkeeping, UnitOfWork

log = logging.getLogger(__name__)

# Outbox rows are raw Bot API calls (method + JSON), so they go through do_api_request; PTB warns
# when that names a method it also wraps. The call is deliberate here.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

EDIT_REF = "_edit_ref"
# A file the bot made ({"field", "filename", "text"}), uploaded with the call (a CSV report).
UPLOAD = "_upload"
# Telegram's paid tier: such rows go at Pacing.paid_rate, not the global rate (flag dropped when 0).
PAID = "allow_paid_broadcast"
MAX_ATTEMPTS = 8
# Calls Telegram does not count against the flood limits: answering a button press is not a
# message. Paced, the answers took a slot in the overall second and in the chat's window each: a
# press cost as much as a message, and 100 constituents filing at once got 0.65 of 30 msg/s.
UNPACED = frozenset({"answerCallbackQuery"})
SCAN_EVERY = 1.0  # seconds between reads of the table when rows are also handed over in memory
SCAN_GAP = 0.05  # at least this long between reads the sender asks of itself (a read costs CPU)
TABLE_STEP = 5.0  # when the overall pace holds table rows back, read again once this many may go
# A window's slot that frees while the sender waits for TABLE_STEP of them, or for a read, stays
# idle, and the delay carries into every later turn of that slot: a 3,000-recipient notice went at
# 0.90 of 30 msg/s. So the read starts READ_AHEAD before the slots free, and a drain waits (up to
# READ_AHEAD for each slot, DRIP in all) for the next slot with the rows in hand: 0.97.
READ_AHEAD = 0.05
DRIP = 0.25
REFS_KEPT = 10_000  # message ids of recent refs kept in memory, so edits need no lookup
RECORDED_KEPT = 10_000  # ids of rows recently called and recorded: a late hand-over of one is ignored
LOCK_CHECK_EVERY = 1.0  # seconds between checks, while sending, that the sender's lock is still held


class Bell:
    """Wakes the sender. `set()` means "rows were written that you were not handed: read the table"."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.scan = True

    def set(self) -> None:
        self.scan = True
        self.event.set()


class SlidingWindow:
    """At most `limit` calls in any `period` seconds, as the receiver counts them.

    Telegram counts a call when it arrives, somewhere between our start of the request and the end
    of its answer, and flight times differ: two calls started a second apart may arrive 0.9 s
    apart. So a call counts from its start (while in flight) and until `period` after its answer
    came back: a new call starts only when fewer than `limit` calls ended within the last `period`
    or are still under way. Then any two calls ≥ `limit` apart in our order arrive ≥ `period`
    apart, whatever their flight times; the price is one flight time per slot (measured with
    READ_AHEAD: 0.965 of 30 msg/s and 0 × 429 on a 3,000-recipient notice, bench/broadcast.py).
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.ended: list[float] = []  # answer times within the last `period`, sorted
        self.in_flight = 0

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.ended, now - self.period)
        if cut:
            del self.ended[:cut]

    def ready(self, now: float) -> bool:
        self._prune(now)
        return self.in_flight + len(self.ended) < self.limit

    def wait_time(self, now: float, calls: float = 1) -> float:
        """Seconds until `calls` (at most the limit) more may start; a guess of one `period` when
        that needs calls still in flight to end (their end wakes the sender anyway)."""
        self._prune(now)
        leave = self.in_flight + len(self.ended) + min(math.ceil(calls), self.limit) - self.limit
        if leave <= 0:
            return 0.0
        if leave > len(self.ended):
            return self.period
        return max(1e-6, self.ended[leave - 1] + self.period - now)  # > 0: it does not fit now

    def start(self) -> None:
        self.in_flight += 1

    def end(self, now: float) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        bisect.insort(self.ended, now)


@dataclass
class Pacing:
    """Telegram's limits as sliding windows: at most `*_burst` calls in any `burst / rate` seconds.

    Sends, edits and media count; answers to button presses (UNPACED) go past the windows. A token
    bucket with a burst of 20 on top of 29.5/s let 40+ calls into one second: against a
    rolling-window limiter (the sandbox's strict_limits) a 3,000-recipient notice took 30 × 429 and
    fell to 0.86 of 30 msg/s; 100 constituents filing at once took 20 × 429 and 0.59 of 30 msg/s.
    The windows match the sandbox's strict model exactly (30 in 1 s overall, 3 in 3 s per private
    chat, 20 in 60 s per group): the flight-time rule in SlidingWindow is the slack.
    """

    global_rate: float = 30.0
    global_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_rate: float = 20.0 / 60.0
    group_burst: float = 20.0
    paid_rate: float = 0.0
    # Calls under way at once. More buys nothing at Telegram's 30/s and only holds sockets (with
    # PTB's default httpx transport it also cost time quadratic in the waiting requests).
    max_in_flight: int = 32

    @staticmethod
    def window(rate: float, burst: float) -> SlidingWindow:
        return SlidingWindow(int(burst), burst / rate)


class OutboxSender:
    """Drains the outbox while it holds `lock` (one per bot); stands by while another sender does.

    Without a lock it assumes it is the only sender (tests that drive one sender directly).
    """

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        wakeup: Bell | None = None,
        clock: Clock | None = None,
        pacing: Pacing | None = None,
        batch: int = 100,
        lock: SingleHolder | None = None,
        standby_retry: float = 5.0,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.wakeup = wakeup or Bell()
        self.clock = clock or SystemClock()
        self.pacing = pacing or Pacing()
        self.batch = batch
        self.lock = lock or ProcessLocal("outbox-sender")
        self.standby_retry = standby_retry  # seconds between tries for the lock while standing by
        # Whether this sender may send now. With a real lock only run() sets it, once the lock is
        # held; without one a sender is alone, so drain_once works without run() too.
        self._holding = lock is None
        self._next_lock_check = 0.0
        self._global = Pacing.window(self.pacing.global_rate, self.pacing.global_burst)
        paid = self.pacing.paid_rate
        self._paid = Pacing.window(paid, paid) if paid > 0 else None
        self._chats: dict[int, SlidingWindow] = {}
        # The overall pace held back rows only the table has: a call's end re-times the next read.
        self._paced_table = False
        self._paused: dict[int, float] = {}
        self._in_flight: set[int] = set()  # chats with a call under way
        self._sending: set[int] = set()  # rows whose call is under way
        # Calls made but not yet recorded: the rows still read as pending until the next flush, so
        # drain_once skips them (sending again would duplicate) and their chats (a retry must keep
        # its place in the chat's order).
        self._results: list[_Result] = []
        self._unrecorded: set[int] = set()
        # Rows whose outcome is recorded, newest last: a scan may read a row and send it before the
        # writer's hand-over of the same row arrives; that copy must not go again.
        self._recorded: dict[int, None] = {}
        self._held_chats: set[int] = set()
        # Committed rows handed over by the inbox straight after its commit (see hand_over): sent
        # from memory, so a busy bot does not read the table after every update. The table is still
        # read every SCAN_EVERY seconds and whenever the bell rings, which covers everything else.
        self._handed: dict[int, OutboxMessage] = {}
        self._table_only_chats: set[int] = set()
        self._waiting_chats: set[int] = set()  # chats with table-only rows that wait for the chat
        self._waiting_capacity = False  # table-only rows wait for a call to end (max_in_flight)
        # ref -> message id of recent sends (newest last), so edits need no lookup, even before
        # the send's result is committed.
        self._known_refs: dict[str, int] = {}
        self._next_scan = 0.0
        self._last_scan = -SCAN_GAP
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.sent = 0
        self.by_result: dict[str, int] = {}

    def _bucket(self, chat_id: int) -> SlidingWindow:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            p = self.pacing
            bucket = (
                Pacing.window(p.group_rate, p.group_burst)
                if chat_id < 0
                else Pacing.window(p.chat_rate, p.chat_burst)
            )
            self._chats[chat_id] = bucket
        return bucket

    def _overall(self, row: OutboxMessage) -> SlidingWindow:
        return self._paid if self._paid is not None and row.payload.get(PAID) else self._global

    def hand_over(self, rows: list[OutboxMessage]) -> None:
        """Take rows just committed by the caller, to send without reading them back from the table.

        Broadcast rows stay in the table (a cancel there must stop them), as do rows for later and
        rows of a chat waiting for a retry (the table keeps their order). A sender standing by
        keeps nothing: the rows are committed, and the holder's periodic read sends them.
        """
        if not self._holding:
            return
        now = max(self.clock.now(), datetime.now(UTC))
        for row in rows:
            due = row.not_before is None or row.not_before.replace(tzinfo=UTC) <= now
            if (
                row.id is None
                or not due
                or row.broadcast_id is not None
                or row.chat_id in self._table_only_chats
            ):
                self.wakeup.scan = True  # the table has it; it goes when its time comes
                continue
            if row.id in self._sending or row.id in self._unrecorded or row.id in self._recorded:
                continue  # a scan read it first: it is called already
            self._handed[row.id] = row
        self.wakeup.event.set()

    @property
    def holding(self) -> bool:
        """Whether this sender holds the lock and sends (False while it stands by)."""
        return self._holding

    async def run(self) -> None:
        """Send while holding the lock, stand by while another sender holds it, until stopped."""
        try:
            while await self._become_sender():
                await self._send_while_holding()  # returns when stopped or when the lock is lost
                # Calls under way are recorded before the lock may pass on: a row called but still
                # pending in the table would be sent again by the next holder.
                if self._tasks:
                    await asyncio.gather(*self._tasks, return_exceptions=True)
                if not self._stopping.is_set():
                    try:
                        await self.flush_results()
                    except Exception:  # kept in memory; the standby loop tries again
                        log.exception("outbox: recording results after losing the lock failed")
            await self.flush_results()
        finally:
            self._holding = False
            self._handed.clear()
            try:
                await self.lock.release()
            except Exception:
                log.exception("outbox: releasing lock %s failed", self.lock.name)

    async def _become_sender(self) -> bool:
        """Wait until this sender holds the lock (True) or is stopped (False), retrying meanwhile."""
        announced = False
        while not self._stopping.is_set():
            try:
                await self.flush_results()  # outcomes left over from before a lost lock
                if await self.lock.try_acquire():
                    self._holding = True
                    # Another sender may have sent under these refs meanwhile: its ids are newer.
                    self._known_refs.clear()
                    self._next_scan = 0.0
                    self._next_lock_check = time.monotonic() + LOCK_CHECK_EVERY
                    log.info("outbox: this process is now the sender (lock %s)", self.lock.name)
                    return True
                if not announced:
                    log.info(
                        "outbox: standing by, another process holds lock %s (retry every %.1f s)",
                        self.lock.name,
                        self.standby_retry,
                    )
                    announced = True
            except Exception:  # the database may be briefly away; keep trying
                log.exception("outbox: trying for lock %s failed", self.lock.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.standby_retry)
        return False

    async def _send_while_holding(self) -> None:
        """Send until stopped or the lock is lost; sleeps until woken or until the next row can go."""
        bell = self.wakeup
        while not self._stopping.is_set():
            bell.event.clear()
            try:
                if time.monotonic() >= self._next_lock_check:
                    if not await self.lock.still_held():
                        log.warning("outbox: lost lock %s; standing by", self.lock.name)
                        self._holding = False
                        self._handed.clear()  # the table has them; the new holder reads it
                        return
                    self._next_lock_check = time.monotonic() + LOCK_CHECK_EVERY
                await self.flush_results()
                mono = time.monotonic()
                scan = mono >= self._next_scan or (bell.scan and mono >= self._last_scan + SCAN_GAP)
                delay = await self._drain(scan=scan)
                if bell.scan and not scan:
                    delay = min(delay, max(0.0, self._last_scan + SCAN_GAP - mono))
                # Never sleep past the next scan: rows only the table holds go then.
                delay = min(delay, max(0.0, self._next_scan - time.monotonic()))
            except Exception:  # the database may be briefly away; keep the sender alive
                log.exception("outbox drain failed")
                delay = 1.0
            if delay == 0:
                # Yield first: tasks waiting for a connection (SQLite's only one) get it before we
                # take it again, or a long broadcast would starve the inbox and the progress job.
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bell.event.wait(), timeout=min(delay, SCAN_EVERY))

    def stop(self) -> None:
        self._stopping.set()
        self.wakeup.set()

    async def drain_once(self) -> float:
        """Read the table, start sends for every row that may go now; return how long to wait.

        Does nothing while another sender holds the lock.
        """
        if not self._holding:
            return SCAN_EVERY
        return await self._drain(scan=True)

    async def _drain(self, *, scan: bool) -> float:
        rows: list[OutboxMessage]
        if scan:
            self.wakeup.scan = False
            self._last_scan = time.monotonic()
            self._next_scan = self._last_scan + SCAN_EVERY
            # Rows are stamped with the real time when written; a test or demo clock may run ahead.
            now_wall = max(self.clock.now(), datetime.now(UTC))
            # Rows whose call is under way or not yet recorded are left out: they cannot go again.
            # Their chats still count as busy (in_flight, held), so the chat's order holds.
            limit = self.batch
            async with UnitOfWork(self.sessionmaker) as uow:
                # Closing (not rolling back) keeps the rows' loaded attributes readable afterwards.
                rows = list(
                    await uow.outbox.due(now_wall, limit=limit, skip=self._sending | self._unrecorded)
                )
            full = len(rows) >= limit
            if self._handed:
                merged = {row.id: row for row in rows} | self._handed  # one copy of each row
                rows = sorted(merged.values(), key=lambda r: (-r.priority, r.id))
        else:
            full = False
            rows = sorted(self._handed.values(), key=lambda r: (-r.priority, r.id))
        started = 0
        wait = 1.0
        paced = False  # stopped by the overall pace: the next read is already timed for it
        dripped = 0.0  # seconds this drain waited for the overall pace with the rows in hand
        seen_chats: set[int] = set()
        for row in rows:
            if (unsendable := _unsendable(row)) is not None:
                self._fail_unsendable(row, unsendable)
                continue
            # A row only the table holds (not handed over) that cannot go now must be read again:
            # when its chat is free (see _chat_free), or when its pace allows (the next scan time).
            table_only = row.id not in self._handed
            if row.id in self._unrecorded or row.id in self._sending:
                # Called already (its outcome commits at the next flush). Its chat waits for that,
                # so a rescheduled row is not overtaken by the chat's next one.
                seen_chats.add(row.chat_id)
                continue
            if row.chat_id in seen_chats or row.chat_id in self._in_flight or row.chat_id in self._held_chats:
                seen_chats.add(row.chat_id)
                if table_only:
                    self._waiting_chats.add(row.chat_id)
                continue
            if len(self._sending) >= self.pacing.max_in_flight:
                self._waiting_capacity = self._waiting_capacity or table_only
                seen_chats.add(row.chat_id)
                continue
            seen_chats.add(row.chat_id)
            mono = time.monotonic()
            paused = self._paused.get(row.chat_id, 0.0)
            bucket = self._bucket(row.chat_id)
            overall = self._overall(row)
            hold = 0.0
            unpaced = row.method in UNPACED
            if paused > mono:
                hold = paused - mono
            elif unpaced:
                pass
            elif not bucket.ready(mono):
                hold = bucket.wait_time(mono)
            elif not overall.ready(mono):
                hold = overall.wait_time(mono)
                if self._paid is None and hold <= READ_AHEAD and dripped + hold <= DRIP:
                    await asyncio.sleep(hold)
                    dripped += hold
                    mono = time.monotonic()
                    hold = 0.0 if overall.ready(mono) else overall.wait_time(mono)
                # Nothing else could go; with the paid tier on, its rows may.
                if hold > 0 and self._paid is None:
                    wait = min(wait, hold)
                    # Read the table again when a few may go, not for every single one: a read
                    # of `batch` rows per call would cost more than the calls.
                    refill = (
                        max(0.0, overall.wait_time(mono, TABLE_STEP) - READ_AHEAD) if table_only else hold
                    )
                    self._next_scan = min(self._next_scan, mono + refill)
                    self._paced_table = self._paced_table or table_only
                    paced = True
                    break
            if hold > 0:
                wait = min(wait, hold)
                if table_only:
                    self._next_scan = min(self._next_scan, mono + hold)
                continue
            if not unpaced:
                bucket.start()
                overall.start()
            self._handed.pop(row.id, None)
            self._sending.add(row.id)
            self._in_flight.add(row.chat_id)
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        if full and started and not paced:
            self.wakeup.scan = True  # the table may hold more that can go: read on at the next turn
        if len(rows) >= self.batch and started and not paced:
            return 0.0
        return max(0.005, wait) if rows else SCAN_EVERY

    def _fail_unsendable(self, row: OutboxMessage, reason: str) -> None:
        """Record a row no call can carry as failed, without calling: the drain goes on past it."""
        log.error("outbox row %s cannot be sent: %s", row.id, reason)
        self._handed.pop(row.id, None)
        blanked = blank_payload(row.payload) if isinstance(row.payload, dict) else None
        self._results.append(_Result(row.id, 0, row.ref, OutboxStatus.FAILED, None, reason, None, blanked))
        self._unrecorded.add(row.id)
        self.by_result[OutboxStatus.FAILED] = self.by_result.get(OutboxStatus.FAILED, 0) + 1
        self.wakeup.event.set()  # recorded at the next turn

    async def _send(self, row: OutboxMessage) -> None:
        try:
            outcome, message_id, error, retry = await self._call(row)
        except Exception as exc:  # never lose track of a row: treat as a transient failure
            log.exception("outbox row %s: unexpected error", row.id)
            outcome, message_id, error, retry = "retry", None, repr(exc), None
        finally:
            self._ended(row)
        # A one-time link (invitation, console login) stays in the chat it went to, not in the table;
        # an error text may quote the URL, token included (a proxy's error page, say).
        blanked = blank_payload(row.payload) if outcome != "retry" else None
        error = redact(error) if error else error
        self._results.append(
            _Result(row.id, row.chat_id, row.ref, outcome, message_id, error, retry, blanked)
        )
        self._unrecorded.add(row.id)
        self._sending.discard(row.id)
        if outcome == "retry":
            self._held_chats.add(row.chat_id)
            self._table_only_chats.add(row.chat_id)
            for other in [r for r in self._handed.values() if r.chat_id == row.chat_id]:
                del self._handed[other.id]  # the table keeps them behind the retry
        if row.ref and message_id is not None:
            self._remember_ref(row.ref, message_id)
        self.by_result[outcome] = self.by_result.get(outcome, 0) + 1
        self._in_flight.discard(row.chat_id)
        self._chat_free(row.chat_id)
        self.wakeup.event.set()

    def _ended(self, row: OutboxMessage) -> None:
        """The call's answer is back: from now its slot frees after one window (SlidingWindow)."""
        if row.method in UNPACED:
            return
        mono = time.monotonic()
        overall = self._overall(row)
        overall.end(mono)
        self._bucket(row.chat_id).end(mono)
        if self._paced_table:
            # Rows the table holds wait for the overall pace; now it can say when they may go.
            self._paced_table = False
            ahead = max(0.0, overall.wait_time(mono, TABLE_STEP) - READ_AHEAD)
            self._next_scan = min(self._next_scan, mono + ahead)

    def _chat_free(self, chat_id: int) -> None:
        """A chat's call ended or was recorded: rows of it that only the table holds may go now."""
        if chat_id in self._waiting_chats or self._waiting_capacity:
            self._waiting_chats.discard(chat_id)
            self._waiting_capacity = False
            self.wakeup.scan = True

    def _remember_ref(self, ref: str, message_id: int) -> None:
        self._known_refs.pop(ref, None)
        self._known_refs[ref] = message_id
        if len(self._known_refs) > REFS_KEPT:
            del self._known_refs[next(iter(self._known_refs))]

    def message_id_for_ref(self, ref: str) -> int | None:
        """The message id of the newest message sent under `ref`, if this sender remembers it.

        None while standing by: another sender sends now, so what this one remembers may be old.
        """
        if not self._holding:
            return None
        return self._known_refs.get(ref)

    async def _call(self, row: OutboxMessage) -> tuple[str, int | None, str | None, float | None]:
        """Make the Bot API call; returns (outcome, message id, error, retry delay)."""
        payload: dict[str, Any] = dict(row.payload)
        edit_ref = payload.pop(EDIT_REF, None)
        method = row.method
        if edit_ref is not None:
            target = await self._message_id_for(edit_ref)
            if target is None:
                # The message to edit was never delivered: send the new content instead.
                method = "sendMessage"
                payload.pop("message_id", None)
            else:
                payload["message_id"] = target
        if self._paid is None:
            payload.pop(PAID, None)
        upload = payload.pop(UPLOAD, None)
        if isinstance(upload, dict):
            if "base64" in upload:  # a binary file (an XLSX workbook): JSON columns hold text only
                data = base64.b64decode(str(upload["base64"]))
            else:
                data = str(upload["text"]).encode("utf-8-sig")  # the BOM lets spreadsheets read Chinese
            payload[str(upload["field"])] = InputFile(data, filename=str(upload["filename"]))
        try:
            result = await self.bot.do_api_request(method, api_kwargs=payload)
        except RetryAfter as exc:
            delay = (
                exc.retry_after
                if isinstance(exc.retry_after, int | float)
                else exc.retry_after.total_seconds()
            )
            self._paused[row.chat_id] = time.monotonic() + float(delay)
            return "retry", None, str(exc), float(delay)
        except Forbidden as exc:
            return OutboxStatus.BLOCKED, None, str(exc), None
        except BadRequest as exc:
            text = str(exc).lower()
            if "message is not modified" in text:
                return OutboxStatus.SENT, None, None, None
            return OutboxStatus.FAILED, None, str(exc), None
        except (TimedOut, NetworkError) as exc:
            return "retry", None, str(exc), None
        except TelegramError as exc:
            return OutboxStatus.FAILED, None, str(exc), None
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if isinstance(result, list) and result and isinstance(result[0], dict):
            message_id = result[0].get("message_id")
        return OutboxStatus.SENT, message_id, None, None

    async def _message_id_for(self, ref: str) -> int | None:
        known = self.message_id_for_ref(ref)
        if known is not None:
            return known
        async with UnitOfWork(self.sessionmaker) as uow:
            row = await uow.outbox.last_sent_for(ref)
            return None if row is None else row.result_message_id

    async def flush_results(self) -> None:
        """Commit the outcomes of finished calls in one transaction (one commit per batch, not per row)."""
        if not self._results:
            return
        batch, self._results = self._results, []
        try:
            now = self.clock.now()
            retries = [r for r in batch if r.outcome == "retry"]
            final = [(r.row_id, r.outcome, r.error, r.message_id) for r in batch if r.outcome != "retry"]
            blanked = [r for r in batch if r.blanked is not None]
            if not retries and not blanked:  # the usual case: one statement, no unit of work around it
                await Bookkeeping.of(self.sessionmaker).record_outcomes(final, now)
            else:
                await self._record_with_retries(final, retries, now, blanked)
            self.sent += sum(1 for r in batch if r.outcome == OutboxStatus.SENT)
        except Exception:
            self._results = batch + self._results  # keep them: the next flush tries again
            raise
        for result in batch:
            self._unrecorded.discard(result.row_id)
            self._recorded[result.row_id] = None
            if len(self._recorded) > RECORDED_KEPT:
                del self._recorded[next(iter(self._recorded))]
            self._held_chats.discard(result.chat_id)
            self._chat_free(result.chat_id)

    async def _record_with_retries(
        self,
        final: list[tuple[int, str, str | None, int | None]],
        retries: list[_Result],
        now: datetime,
        blanked: Sequence[_Result] = (),
    ) -> None:
        """Rare: a retry's backoff depends on the row's attempts, so those rows are loaded; a row that
        carried a one-time link gets its blanked payload in the same commit as its outcome."""
        async with UnitOfWork(self.sessionmaker) as uow:
            await uow.outbox.record_final(final, now)
            for result in blanked:
                if result.blanked is not None:
                    await uow.outbox.replace_payload(result.row_id, result.blanked)
            rows = await uow.outbox.by_ids([r.row_id for r in retries])
            for result in retries:
                row = rows.get(result.row_id)
                if row is not None:
                    self._apply_retry(row, result, now)
            await uow.commit()

    def _apply_retry(self, row: OutboxMessage, result: _Result, now: datetime) -> None:
        row.attempts += 1
        row.last_error = result.error
        if result.retry is None and row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
        else:
            backoff = result.retry if result.retry is not None else min(2.0**row.attempts, 300.0)
            row.not_before = now + timedelta(seconds=backoff)


def _unsendable(row: OutboxMessage) -> str | None:
    """Why no Bot API call can carry `row`, or None. SQLite stores what it is given: a reply to a
    malformed update's chat "abc" once made every drain raise (comparing "abc" with 0), so nobody
    got replies; such a row is failed at once instead."""
    if type(row.chat_id) is not int or not -(2**63) < row.chat_id < 2**63:
        return "unsendable: chat_id is not a 64-bit integer"
    if not isinstance(row.method, str) or not row.method:
        return "unsendable: no method"
    if not isinstance(row.payload, dict):
        return "unsendable: payload is not an object"
    return None


@dataclass(frozen=True)
class _Result:
    """The outcome of one Bot API call, waiting to be committed."""

    row_id: int
    chat_id: int
    ref: str | None
    outcome: str
    message_id: int | None
    error: str | None
    retry: float | None
    blanked: dict[str, Any] | None = None  # the payload to store instead (one-time links masked)


def blank_payload(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload with the secret of every one-time link in its text masked; None when it has none.

    Only the text and caption are looked at (that is where links go), with a substring test first:
    this runs for every row sent.
    """
    text = payload.get("text") or payload.get("caption")
    if not isinstance(text, str) or not has_one_time_link(text):
        return None
    blanked = blank(payload)
    return None if blanked is payload else blanked
