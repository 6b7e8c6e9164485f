"""Running a coroutine from a synchronous test, even when the browser tests' Playwright
(sync API) keeps an event loop running in the main thread: in a thread of its own, with
the caller's context variables (Reflex keeps its registration context in one)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from concurrent.futures import ThreadPoolExecutor


def run_async(coroutine):
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


def call(event_handler, *args):
    """Runs a page state's event handler as Reflex would and returns what it returned
    (for a handler that yields: the list of what it yielded). Every portal handler is
    asynchronous (``portal.state.offload``): coroutines and async generators are run to
    the end here."""
    result = event_handler.fn(*args)
    if inspect.iscoroutine(result):
        return run_async(result)
    if inspect.isasyncgen(result):

        async def drain():
            return [item async for item in result]

        return run_async(drain())
    return result
