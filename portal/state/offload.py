"""Event handlers that never block the server's event loop.

Reflex runs a synchronous event handler on the event loop itself: while it reads the
database, checks a password (argon2, tens of milliseconds of CPU) or rolls up a
portfolio, every other tab served by that worker waits. ``handler`` is the decorator for
every event handler of the portal's page states, in place of ``rx.event``:

* an ``async`` handler is registered as it is (it awaits its own slow work);
* a plain handler runs in a worker thread (``asyncio.to_thread``), while the loop goes on
  serving other tabs;
* a generator handler (one that ``yield``s to send progress, e.g. "working…") runs each
  step in a worker thread and sends what it yields as it goes.

Reflex processes one event at a time per tab and holds the tab's state for the whole
event, so the thread is the only code touching that state while it runs. Context
variables are copied into the thread (``asyncio.to_thread`` does that), so the clock pin
and Reflex's own context work as on the loop. A test checks that every handler of every
page state is asynchronous, i.e. went through here or awaits its own work.
"""

from __future__ import annotations

import asyncio
import functools
import inspect

import reflex as rx

_DONE = object()


def handler(fn):
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return rx.event(fn)
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        async def stepped(*args, **kwargs):
            steps = await asyncio.to_thread(fn, *args, **kwargs)
            while (item := await asyncio.to_thread(next, steps, _DONE)) is not _DONE:
                yield item

        return rx.event(stepped)

    @functools.wraps(fn)
    async def threaded(*args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)

    return rx.event(threaded)


async def off_loop(fn, /, *args, **kwargs):
    """Slow work from inside an ``async`` handler, in a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)
