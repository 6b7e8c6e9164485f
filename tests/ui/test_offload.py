"""Nothing a page state does blocks the server's event loop (portal.state.offload)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import time

import reflex as rx

import portal.state
from portal.state import offload
from portal.state.login import LoginState
from portal.state.session import page_state_classes
from tests.async_run import run_async

# Every page state, whatever module it lives in (importing the app itself would start a
# state manager, which two test workers must not do at once).
for _module in pkgutil.iter_modules(portal.state.__path__):
    importlib.import_module(f"portal.state.{_module.name}")


def test_every_event_handler_of_every_page_state_is_asynchronous():
    classes = set(page_state_classes())
    assert LoginState in classes
    checked, blocking = 0, []
    for cls in classes:
        for name, event_handler in cls.event_handlers.items():
            if name.startswith("set_") and name[4:] in cls.base_vars:
                continue  # Reflex's own setters: one attribute, no I/O
            fn = event_handler.fn
            if fn.__module__.startswith("reflex."):
                continue  # Reflex's internal handlers (hydrate, client storage)
            checked += 1
            if not (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)):
                blocking.append(f"{cls.__name__}.{name}")
    assert checked >= 30  # the portal has 36 today: the scan must be seeing them
    assert blocking == []


def _ticks_while(make_work) -> tuple[int, object]:
    """How often a 10 ms ticker ran on the loop while ``make_work()`` was awaited."""

    async def scenario():
        ticks = 0
        stop = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        result = await make_work()
        stop.set()
        await task
        return ticks, result

    return run_async(scenario())


class _Slow:
    """Stands in for a state: 0.3 s of blocking work in a plain handler and a generator."""

    def plain(self, value):
        time.sleep(0.3)
        return value * 2

    def stepped(self):
        time.sleep(0.15)
        yield "first"
        time.sleep(0.15)
        yield "second"


def test_a_plain_handler_runs_in_a_thread_while_the_loop_goes_on():
    wrapped = offload.handler(_Slow.plain)
    assert isinstance(wrapped, rx.event.EventHandler) or callable(wrapped)
    fn = getattr(wrapped, "fn", wrapped)
    ticks, result = _ticks_while(lambda: fn(_Slow(), 21))
    assert result == 42
    # Blocking on the loop would leave the ticker at one or two ticks; 0.3 s is ~30.
    assert ticks >= 10


def test_a_generator_handler_sends_each_step_and_never_holds_the_loop():
    wrapped = offload.handler(_Slow.stepped)
    fn = getattr(wrapped, "fn", wrapped)

    async def drain():
        return [item async for item in fn(_Slow())]

    ticks, items = _ticks_while(drain)
    assert items == ["first", "second"]
    assert ticks >= 10


def test_blocking_inline_would_be_caught():
    """The measure above can fail: the same work run inline holds the ticker still."""

    async def inline():
        time.sleep(0.3)

    ticks, _ = _ticks_while(inline)
    assert ticks <= 2
