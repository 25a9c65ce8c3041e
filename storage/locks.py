"""Single-holder locks: at most one process (or object) at a time does a job, per database.

The outbox sender takes one per bot, so two bot processes on one database never send the same
rows. PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection of its own,
held as long as that session lives. SQLite: an exclusive `flock` on a file next to the database
(the kernel drops it when the process dies). An in-memory SQLite database belongs to one engine,
so nobody else can share it: its lock is always granted.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
from abc import ABC, abstractmethod
from pathlib import Path

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0  # seconds a liveness query may take before the lock counts as lost


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (Python's `hash` differs between processes)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class SingleHolder(ABC):
    """A named lock that is taken without waiting: one holder at a time, others retry later."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lock if it is free (True), or report another holder (False); True if held already."""

    @abstractmethod
    async def still_held(self) -> bool:
        """Whether the lock is still ours; False also when it was lost (the holder must stop)."""

    @abstractmethod
    async def release(self) -> None:
        """Let the lock go (a no-op when not held); another holder may take it at once."""


def single_holder(url: str | URL, name: str) -> SingleHolder:
    """The lock called `name` on the database at `url` (PostgreSQL or SQLite)."""
    url = make_url(url)
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url, name)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is None:
            return ProcessLocal(name)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        return FileLock(path.with_name(f"{path.name}.{safe}.lock"), name)
    raise ValueError(f"no single-holder lock for {url.get_backend_name()} databases")


def _sqlite_file(url: URL) -> Path | None:
    """The database file, or None for an in-memory database."""
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (?uri=true)
        if "mode=memory" in database:
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database)


class ProcessLocal(SingleHolder):
    """For a database no other process can open (SQLite `:memory:`): always granted."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._held = False

    async def try_acquire(self) -> bool:
        self._held = True
        return True

    async def still_held(self) -> bool:
        return self._held

    async def release(self) -> None:
        self._held = False


class FileLock(SingleHolder):
    """An exclusive non-blocking `flock` on `path`; each holder opens the file itself.

    `flock` belongs to the open file, not the process, so two holders in one process exclude each
    other too. The file is never deleted: deleting it would let a second holder lock a new file
    while the first still holds the old one (both checks below catch that if someone else does).
    """

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(name)
        self.path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        if not self._same_file():  # the file was replaced between open and flock: not the lock
            await self.release()
            return False
        return True

    async def still_held(self) -> bool:
        if self._fd is None:
            return False
        if self._same_file():
            return True
        log.warning("lock file %s was removed or replaced; lock %s lost", self.path, self.name)
        await self.release()
        return False

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor of the open file drops the flock

    def _same_file(self) -> bool:
        assert self._fd is not None
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(self._fd)
        return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class AdvisoryLock(SingleHolder):
    """`pg_try_advisory_lock` on a connection of its own (outside the engine's pool).

    A session lock lives as long as its session: if the connection drops, the server lets the
    lock go, and `still_held` notices (its query fails) so the holder stops.
    """

    def __init__(self, url: URL, name: str) -> None:
        super().__init__(name)
        self.key = lock_key(name)
        # Autocommit: the connection sits idle for hours and must not hold a transaction open.
        self._engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn: AsyncConnection | None = None
        self._held = False

    async def try_acquire(self) -> bool:
        if self._held:
            return True
        if self._conn is None:
            self._conn = await self._engine.connect()
        try:
            got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        except Exception:
            await self._drop(broken=True)
            raise
        self._held = bool(got)
        return self._held

    async def still_held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.execute(text("SELECT 1")), CHECK_TIMEOUT)
        except Exception:
            log.warning("connection of lock %s lost; the lock with it", self.name, exc_info=True)
            await self._drop(broken=True)
            return False
        return True

    async def release(self) -> None:
        if self._held and self._conn is not None:
            with contextlib.suppress(Exception):  # closing the session below lets it go anyway
                await asyncio.wait_for(
                    self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}),
                    CHECK_TIMEOUT,
                )
        await self._drop()
        await self._engine.dispose()

    async def _drop(self, *, broken: bool = False) -> None:
        """Forget the lock and close its connection (its session's locks go with it).

        A broken connection (or one left mid-query by a timeout) is invalidated: that closes the
        socket at once instead of waiting on a server that may not answer.
        """
        self._held = False
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            if broken:
                await conn.invalidate()
            else:
                await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)
