"""Garbage collection at safe points, for CPython 3.11.

On CPython 3.11 the cyclic garbage collector may run *inside* any allocation of a tracked
object, in whatever C code is allocating, and run weak-reference callbacks there.  SQLAlchemy
gives every loaded object a weak reference with a callback (its identity map's clean-up), so a
collection that starts while the ORM builds thousands of objects runs that clean-up in the
middle of the very operation that is building them.  Here that crashed the process
(segmentation fault) within 2 to 9 renderings of a 500-clause draft page showing 1,500 of its
5,000 comments, on SQLite and PostgreSQL alike, with and without SQLAlchemy's and psycopg's C
extensions, on CPython 3.11.2 and 3.11.7; never with automatic collection switched off, nor on
CPython 3.12, where an allocation only *asks* for a collection and the interpreter runs it at
the next safe point between two bytecodes (the reproduction: tests/test_safe_collection.py).

So on 3.11 a server process (and the worker: ``manual`` and ``collect_due`` between two rounds
of its loop) switches the automatic collection off and makes that 3.12
behaviour itself: a task on the event loop looks at the collector's counters every
``INTERVAL`` seconds and collects the generation the default thresholds would have collected.
``gc.collect`` called from Python runs between two bytecodes of the calling thread, while every
other thread is also between two bytecodes or in a call that released the interpreter, so no
C operation is ever interrupted.  Garbage in cycles then lives up to ``INTERVAL`` seconds
longer; what reference counting frees (most of it) is freed at once, as before.
"""

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger("talkuu.collector")

INTERVAL = 0.05  # seconds
NEEDED = sys.version_info < (3, 12)


def collect_due(thresholds: tuple[int, int, int]) -> int | None:
    """Collect the oldest generation whose count is past its threshold (as the interpreter's
    own trigger would); which one, or None."""
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return generation
    return None


def manual() -> tuple[int, int, int] | None:
    """For a loop that calls ``collect_due`` itself at safe points (the worker): switch the
    automatic collection off on CPython 3.11 and return the thresholds to collect by (None
    where nothing is needed)."""
    if not NEEDED or not gc.isenabled():
        return None
    thresholds = gc.get_threshold()
    gc.disable()
    return thresholds


async def _collect_forever(thresholds: tuple[int, int, int]) -> None:
    while True:
        await asyncio.sleep(INTERVAL)
        collect_due(thresholds)


@asynccontextmanager
async def at_safe_points() -> AsyncIterator[None]:
    """While this lasts (a server process's lifespan), collections happen only at safe points
    on CPython 3.11; elsewhere it changes nothing."""
    if not NEEDED or not gc.isenabled():
        yield
        return
    thresholds = gc.get_threshold()
    gc.disable()
    task = asyncio.create_task(_collect_forever(thresholds))
    try:
        yield
    finally:
        task.cancel()
        gc.enable()
