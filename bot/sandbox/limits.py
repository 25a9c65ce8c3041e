"""Flood limits (429 with retry_after) and run-time fault injection.

Telegram's documented limits are approximate; these token buckets reproduce their shape so the
outbox sender's pacing and retry logic can be exercised: ~30 messages/s overall, ~1/s per private
chat with a short burst, 20/min per group. A call with ``allow_paid_broadcast`` (Telegram's paid
tier, up to 1000 messages/s for 0.1 Stars each) is held to its own overall bucket instead of the
free one; the per-chat limit still applies. ``scale`` multiplies every rate (tests run faster with
the same shape).

``RollingWindowLimiter`` is the strict model (``Sandbox(strict_limits=True)``, ``--strict-limits``;
on in the benchmarks): a token bucket lets a burst through on top of its rate (40+ calls in one
second), a rolling window does not. Its rules, counted at the moment the sandbox handles a call:

- overall: at most 30 sends in any rolling 1 s (paid tier: at most 1000 in any rolling 1 s);
- a private chat: at most 3 sends in any rolling 3 s, i.e. ≤ 1/s sustained with a burst of 3 (a
  reply and its follow-ups) that must then be paid back before the next;
- a group: at most 20 sends in any rolling 60 s.

A send is a new message, a media group (one send), a copy or forward, or an edit; callback query
answers, chat actions and reads are not counted. ``scale`` shortens every window by that factor
(same counts, same shape, faster tests).
"""

from __future__ import annotations

import bisect
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Fault", "Faults", "FloodLimiter", "RollingWindow", "RollingWindowLimiter", "TokenBucket"]


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    last: float = 0.0

    def wait_time(self, at: float) -> float:
        """Seconds until one token is available (0 if now)."""
        if self.tokens < 0:
            self.tokens, self.last = self.capacity, at
        self.tokens = min(self.capacity, self.tokens + (at - self.last) * self.rate)
        self.last = at
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class FloodLimiter:
    """Checks one outgoing message against the global (or paid) and the per-chat bucket."""

    counts_edits = False  # the buckets model only new messages, as before the strict model

    def __init__(
        self,
        per_second: float = 30,
        private_per_second: float = 1,
        private_burst: int = 3,
        group_per_minute: float = 20,
        paid_per_second: float = 1000,
        *,
        scale: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.clock = clock  # a test holds time still to see one bucket's budget without the refill
        per_second, paid_per_second = per_second * scale, paid_per_second * scale
        private_per_second, group_per_minute = private_per_second * scale, group_per_minute * scale
        self.global_bucket = TokenBucket(per_second, per_second)
        self.paid_bucket = TokenBucket(paid_per_second, paid_per_second)
        # Messages sent on the paid tier (each would cost the bot 0.1 Telegram Stars).
        self.paid_sent = 0
        self.private_per_second = private_per_second
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.chats: dict[int, TokenBucket] = {}

    def check(self, chat_id: int, private: bool, paid: bool = False) -> int | None:
        """None if the message may go now, else retry_after in whole seconds (as Telegram sends)."""
        at = self.clock() if self.clock is not None else time.monotonic()
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if private:
                bucket = TokenBucket(self.private_burst, self.private_per_second)
            else:
                bucket = TokenBucket(self.group_per_minute, self.group_per_minute / 60)
            self.chats[chat_id] = bucket
        overall = self.paid_bucket if paid else self.global_bucket
        wait = max(overall.wait_time(at), bucket.wait_time(at))
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.take()
        bucket.take()
        if paid:
            self.paid_sent += 1
        return None


class RollingWindow:
    """At most ``limit`` events in any rolling ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque()

    def wait_time(self, at: float) -> float:
        """Seconds until one more event fits (0 if now): until the oldest leaves the window."""
        times = self.times
        while times and times[0] <= at - self.period:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[len(times) - self.limit] + self.period - at

    def take(self, at: float) -> None:
        bisect.insort(self.times, at)  # in order: `at` only grows within one limiter


class RollingWindowLimiter:
    """The strict model: rolling windows, no burst on top of the rate (rules in the module docstring)."""

    counts_edits = True

    def __init__(
        self,
        per_second: int = 30,
        private_limit: int = 3,
        private_period: float = 3.0,
        group_per_minute: int = 20,
        paid_per_second: int = 1000,
        *,
        scale: float = 1.0,
    ) -> None:
        self.overall = RollingWindow(per_second, 1.0 / scale)
        self.paid = RollingWindow(paid_per_second, 1.0 / scale)
        self.paid_sent = 0
        self.private_limit, self.private_period = private_limit, private_period / scale
        self.group_limit, self.group_period = group_per_minute, 60.0 / scale
        self.chats: dict[int, RollingWindow] = {}
        self.refused = 0  # 429s given (benchmarks print it)

    def check(self, chat_id: int, private: bool, paid: bool = False) -> int | None:
        """None if the send may go now (and it is counted), else retry_after in whole seconds."""
        at = time.monotonic()
        window = self.chats.get(chat_id)
        if window is None:
            window = (
                RollingWindow(self.private_limit, self.private_period)
                if private
                else RollingWindow(self.group_limit, self.group_period)
            )
            self.chats[chat_id] = window
        overall = self.paid if paid else self.overall
        wait = max(overall.wait_time(at), window.wait_time(at))
        if wait > 0:
            self.refused += 1
            return max(1, math.ceil(wait))
        overall.take(at)
        window.take(at)
        if paid:
            self.paid_sent += 1
        return None


@dataclass
class Fault:
    """Make the next ``remaining`` calls (of ``method``, or any) fail.

    kind: "error" (HTTP ``status``, 500 or 502), "delay" (sleep ``delay`` s then answer normally),
    "drop" (close the connection without answering; with ``after_processing`` the call takes
    effect first, which is the nasty "sent but unacknowledged" case).
    """

    kind: str = "error"
    method: str | None = None
    remaining: int = 1
    status: int = 500
    delay: float = 0.0
    after_processing: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "method": self.method,
            "remaining": self.remaining,
            "status": self.status,
            "delay": self.delay,
            "after_processing": self.after_processing,
        }


class Faults:
    """The queue of armed faults, consumed in order of arming."""

    def __init__(self) -> None:
        self.armed: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in ("error", "delay", "drop"):
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        self.armed.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        for fault in self.armed:
            if fault.method is None or fault.method.lower() == method.lower():
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.armed.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.armed.clear()
