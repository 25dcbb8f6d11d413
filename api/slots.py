"""Database slots that let a waiting read go before a write that has not waited long.

Every request holds one of ``database_pool_size`` slots while it runs (:mod:`api.deps`).
Under load most slots are held by writes (shortlists, outcome moves) that spend their time
waiting: for the one ranking slot, for SQLite's write lock, for a pair's lock. A plain
first-come queue then puts a page view or a search behind them, and reads wait for writes
they do not conflict with.

:class:`ReadFirstSlots` hands a freed slot to the waiter that has waited longest, except that
a read goes before any write that has waited less than ``write_patience`` seconds. A write
is therefore never delayed by more than that by reads arriving after it (no starvation),
and a read never waits for a write that could afford to wait. Everything runs on the event
loop (one thread): no lock is needed, and a slot freed while its next holder is being
cancelled passes on to the next waiter.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import anyio

__all__ = ["ReadFirstSlots"]


@dataclass(eq=False)
class _Waiter:
    read: bool
    since: float
    granted: anyio.Event = field(default_factory=anyio.Event)


class ReadFirstSlots:
    """``size`` slots; reads first, writes after at most ``write_patience`` seconds.

    Parameters
    ----------
    size : int
        Slots (the connection pool's size).
    write_patience : float, default 0.25
        How long a waiting write lets later reads go first.
    clock : callable, optional
        Monotonic seconds (tests pass their own).
    """

    def __init__(self, size: int, write_patience: float = 0.25, clock=time.monotonic) -> None:
        if size < 1:
            raise ValueError(f"Expected at least 1 slot, got {size}.")
        self.size = size
        self.write_patience = write_patience
        self._clock = clock
        self._free = size
        self._reads: deque[_Waiter] = deque()
        self._writes: deque[_Waiter] = deque()

    @property
    def free(self) -> int:
        """Slots free now."""
        return self._free

    @property
    def waiting(self) -> tuple[int, int]:
        """(reads, writes) waiting for a slot."""
        return len(self._reads), len(self._writes)

    async def acquire(self, *, read: bool) -> None:
        """Wait for a slot (cancellable: a slot granted to a cancelled waiter is passed on)."""
        if self._free > 0 and not self._reads and not self._writes:
            self._free -= 1
            return
        waiter = _Waiter(read, self._clock())
        (self._reads if read else self._writes).append(waiter)
        try:
            await waiter.granted.wait()
        except BaseException:
            if waiter.granted.is_set():
                self.release()  # granted just as it was cancelled: hand the slot on
            else:
                (self._reads if read else self._writes).remove(waiter)
            raise

    def release(self) -> None:
        """Free a slot: to the next waiter (see the class), or back to the pool."""
        waiter = self._next()
        if waiter is None:
            self._free += 1
        else:
            waiter.granted.set()  # the slot passes straight to it

    def _next(self) -> _Waiter | None:
        """The longest waiter, unless that is a write younger than ``write_patience`` and a
        read waits too."""
        reads, writes = self._reads, self._writes
        if writes and reads:
            if writes[0].since <= reads[0].since and self._clock() - writes[0].since >= self.write_patience:
                return writes.popleft()
            return reads.popleft()
        if writes:
            return writes.popleft()
        if reads:
            return reads.popleft()
        return None
