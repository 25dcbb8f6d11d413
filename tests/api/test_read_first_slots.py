"""The database slots (api.slots.ReadFirstSlots): reads before young writes, no write starved,
nothing leaked by a cancelled waiter. (The 503 past queue_wait_seconds: test_reliability.)"""

from __future__ import annotations

import anyio
import pytest

from api.slots import ReadFirstSlots


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _queue(slots: ReadFirstSlots, kinds: list[str], order: list[str], tg) -> None:
    """Start one waiter per kind ("r1", "w1"...) in that order; each records when it gets a slot."""
    for name in kinds:
        async def wait(name=name):
            await slots.acquire(read=name.startswith("r"))
            order.append(name)
        tg.start_soon(wait)
        await anyio.wait_all_tasks_blocked()


@pytest.mark.anyio
async def test_a_waiting_read_goes_before_a_write_that_has_not_waited_long():
    clock = Clock()
    slots = ReadFirstSlots(1, write_patience=0.25, clock=clock)
    await slots.acquire(read=False)  # the one slot is busy
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        await _queue(slots, ["w1", "r1", "r2"], order, tg)
        assert slots.waiting == (2, 1)
        for _ in range(3):
            slots.release()
            await anyio.wait_all_tasks_blocked()
        slots.release()
    assert order == ["r1", "r2", "w1"]
    assert slots.free == 1 and slots.waiting == (0, 0)


@pytest.mark.anyio
async def test_a_write_that_waited_its_patience_goes_first_then_first_come():
    clock = Clock()
    slots = ReadFirstSlots(1, write_patience=0.25, clock=clock)
    await slots.acquire(read=True)
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        await _queue(slots, ["w1"], order, tg)
        clock.now += 0.3  # w1 has waited longer than its patience
        await _queue(slots, ["r1", "w2", "r2"], order, tg)
        for _ in range(4):
            slots.release()
            await anyio.wait_all_tasks_blocked()
        slots.release()
    # w1 first (waited 0.3 s); then r1 and r2 before w2, which arrived with them.
    assert order == ["w1", "r1", "r2", "w2"]
    assert slots.free == 1


@pytest.mark.anyio
async def test_no_write_starves_under_a_stream_of_reads():
    clock = Clock()
    slots = ReadFirstSlots(1, write_patience=0.25, clock=clock)
    await slots.acquire(read=True)
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        await _queue(slots, ["w1"], order, tg)
        for i in range(10):  # a new read arrives before every release, 0.1 s apart
            await _queue(slots, [f"r{i}"], order, tg)
            clock.now += 0.1
            slots.release()
            await anyio.wait_all_tasks_blocked()
        while slots.waiting != (0, 0):
            slots.release()
            await anyio.wait_all_tasks_blocked()
        slots.release()
    assert order.index("w1") == 2  # served once it had waited 0.25 s, ahead of 7 later reads
    assert slots.free == 1


@pytest.mark.anyio
async def test_a_cancelled_waiter_leaks_no_slot():
    slots = ReadFirstSlots(2)
    await slots.acquire(read=True)
    await slots.acquire(read=False)
    with anyio.move_on_after(0.01):
        await slots.acquire(read=True)  # times out waiting
    assert slots.waiting == (0, 0)
    slots.release()
    slots.release()
    assert slots.free == 2
    for _ in range(2):
        with anyio.fail_after(1):
            await slots.acquire(read=False)
    assert slots.free == 0

