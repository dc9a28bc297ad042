"""SQLite through one connection per process, used inline on the event loop.

SQLite lets one writer at a time hold the database, and its statements take microseconds:
handing each one to a thread (aiosqlite) costs far more than running it, and connections
that wait for each other's lock sleep and retry. So every unit of work of a process takes
turns on a single connection, queued fairly on an asyncio lock, and runs its statements
right on the event loop, inside a `BEGIN IMMEDIATE` transaction: the writer holds the
database lock from its first statement, so what a unit reads cannot change under it.
Another process (or another connection of this one) may hold the database lock. The lock
is then waited for in a thread, with SQLite's busy timeout, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# A command must be answered within Slack's and Discord's 3 s: a database locked by another
# process for longer than this is an outage (the member is asked to try again), not a wait.
# With the turn's timeout below, a unit of work waits at most 2.5 s in all.
BUSY_TIMEOUT_MS = 1_000
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
# Checkpointing copies the WAL into the database and syncs it: done in a thread, on a
# connection of its own, after this many commits, so no commit pays for it on the loop.
CHECKPOINT_EVERY_COMMITS = 100
# While another connection is seen holding the database, a BEGIN waits until this long
# after the last COMMIT (its busy handler retries every few ms to 100 ms), for this long.
CONTENDED_GAP_SECONDS = 0.005
CONTENDED_FOR_SECONDS = 1.0
# Waiting longer for the turn than this means something holds it (a unit of work opened
# inside another, another process's lock, overload): fail as SQLite's busy timeout does,
# rather than make a member wait past the platforms' 3 s.
TURN_TIMEOUT_SECONDS = 1.5


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) in _BUSY or "locked" in str(exc)
    )


def _open(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path,
        isolation_level=None,  # transactions are ours: BEGIN IMMEDIATE ... COMMIT
        check_same_thread=False,  # used from the loop, and from a thread while it waits
        timeout=BUSY_TIMEOUT_MS / 1000,
        cached_statements=512,
    )
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA wal_autocheckpoint=0")  # see CHECKPOINT_EVERY_COMMITS
        connection.execute("PRAGMA busy_timeout=0")  # inline statements never wait
    except BaseException:
        connection.close()
        raise
    return connection


def _checkpoint(path: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


class SqliteWriter:
    """The one connection of this process to a SQLite file, and the turn to use it.

    Each unit of work is one BEGIN IMMEDIATE ... COMMIT: running inline, units never overlap,
    and a COMMIT in WAL mode with synchronous=NORMAL costs tens of microseconds: little
    for a group commit to share. Holding the database lock across units would also starve
    another process, which waits for it by polling (SQLite's busy handler sleeps between
    tries). For the same reason, while another connection is seen holding the lock, each
    BEGIN leaves the lock free for a moment after the last COMMIT, so that the other side's
    next try can land: each process then gets its turns.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._turn = asyncio.Lock()
        self._commits = 0
        self._checkpointing: asyncio.Future[None] | None = None
        self._closed = False
        self._contended_until = 0.0  # loop time until which others are taken to be waiting
        self._released_at = 0.0  # loop time of the last COMMIT or ROLLBACK

    async def begin(self) -> None:
        """Wait for this process's turn, then BEGIN IMMEDIATE (waiting in a thread when
        another connection holds the database)."""
        if not self._turn.locked():
            await self._turn.acquire()
        else:
            try:
                async with asyncio.timeout(TURN_TIMEOUT_SECONDS):
                    await self._turn.acquire()
            except TimeoutError:
                raise sqlite3.OperationalError("timed out waiting for the database") from None
        try:
            if self._connection is None:
                if self._closed:
                    raise sqlite3.OperationalError("the store is closed")
                self._connection = await asyncio.to_thread(_open, self.path)
            loop = asyncio.get_running_loop()
            if loop.time() < self._contended_until:
                gap = self._released_at + CONTENDED_GAP_SECONDS - loop.time()
                if gap > 0:
                    await asyncio.sleep(gap)
            await self.run(lambda c: c.execute("BEGIN IMMEDIATE"))
        except BaseException:
            # Cancelled while a thread waited for the lock, the BEGIN may still have happened.
            await self.rollback()
            raise

    async def commit(self) -> None:
        """COMMIT and hand the turn on; a failed COMMIT is rolled back."""
        try:
            await self.run(lambda c: c.execute("COMMIT"))
        except BaseException:
            await self.rollback()
            raise
        self._commits += 1
        self._release()
        if self._commits >= CHECKPOINT_EVERY_COMMITS:
            self._start_checkpoint()

    async def rollback(self) -> None:
        """ROLLBACK (what is open) and hand the turn on."""
        connection = self._connection
        if connection is not None and connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        self._release()

    def _release(self) -> None:
        self._released_at = asyncio.get_running_loop().time()
        self._turn.release()

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection, for statements run inline (only while holding the turn; on a
        busy error, run them again through `run`, which waits in a thread)."""
        connection = self._connection
        assert connection is not None and self._turn.locked()
        return connection

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the connection, inline; if the database is locked by someone else, in a
        thread that waits up to the busy timeout. Call only while holding the turn."""
        connection = self._connection
        assert connection is not None and self._turn.locked()
        try:
            return work(connection)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        return await self._waiting(connection, work)

    async def _waiting(
        self, connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]
    ) -> T:
        loop = asyncio.get_running_loop()
        self._contended_until = loop.time() + CONTENDED_FOR_SECONDS

        def blocking() -> T:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:
                return work(connection)
            finally:
                connection.execute("PRAGMA busy_timeout=0")

        future = loop.run_in_executor(None, blocking)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The thread still uses the connection: keep the turn until it is done.
            await asyncio.wait({future})
            raise

    def _start_checkpoint(self) -> None:
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        self._commits = 0
        loop = asyncio.get_running_loop()
        self._checkpointing = loop.run_in_executor(None, _checkpoint, self.path)
        self._checkpointing.add_done_callback(_log_failure)

    async def close(self) -> None:
        self._closed = True
        async with self._turn:
            if self._checkpointing is not None:
                await asyncio.wait({self._checkpointing})
            connection, self._connection = self._connection, None
            if connection is not None:
                # A last checkpoint, so the WAL does not outlive the process.
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                connection.close()


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("SQLite checkpoint failed: %s", future.exception())
