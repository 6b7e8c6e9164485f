"""Running a coroutine from a synchronous test, even when the browser tests' Playwright
(sync API) keeps an event loop running in the main thread: in a thread of its own, with
the caller's context variables (Reflex keeps its registration context in one)."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor


def run_async(coroutine):
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()
