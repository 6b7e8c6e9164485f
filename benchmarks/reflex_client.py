"""One browser tab of the portal, driven over HTTP and Reflex's event websocket.

``PortalTab`` does what a browser tab does, without a browser:

1. **Log in**: ``POST /auth/login`` as a same-origin form post (``Origin`` header); the
   answer is a 303 with the ``HttpOnly`` session cookie ``portal_session``
   (``portal/web/edge.py``), which the tab then sends on every request and on the
   websocket handshake.
2. **Open a page** (a full page load or a reload): ``GET`` the page (the edge checks the
   session before serving it), then connect a new socket.io connection to the event
   websocket (path ``/_event``, namespace ``/_event``, websocket transport only, query
   ``token=<the tab's token>``, the cookie and ``Origin`` in the handshake). As Reflex
   0.10.1's front end does (``reflex_base/.templates/web/utils/state.js``, ``connect``), the
   socket.io CONNECT packet carries the boot event in its ``auth`` payload:
   ``{"event": {"name": "<root state>.hydrate_and_load", "payload": {"hashes": [...]},
   "router_data": {"pathname", "asPath", "query"}}, "state_schema": "<hash>"}``. The
   server hydrates (one delta with the state, minus the vars still at the compiled
   defaults whose hashes the tab sent), then runs ``on_load_internal``, the page's
   ``on_load`` handlers (e.g. ``DashboardState.load``) and ``set_is_hydrated(True)``, each
   emitting an ``event`` frame ``{"delta": {state: {var_rx_state_: value}}, "events": [...]}``.
   The page has loaded when a delta sets the root state's ``is_hydrated`` to true; the
   page state's ``loaded`` is then checked. A ``_redirect`` event (to ``/login`` when the
   session is gone) or an apology (``failure_id``) makes the load fail.
3. **Navigate** inside the page (a link click): the open socket sends
   ``<root>.reflex___state____on_load_internal_state.on_load_internal`` with the new
   ``router_data``; the same ``is_hydrated`` rule ends it.

The tab keeps its token across reloads (a browser keeps it in ``sessionStorage``), so a
reload finds its state on the server, as in a browser. A fresh tab sends no browser
storage (``vars``), like a private window on its first visit.

State names, the compiled defaults and their hashes, the state-schema hash and the
routes come from the app itself (``AppSchema.from_app()`` imports ``portal.portal``), so
nothing here hard-codes a state name.

Needs ``aiohttp`` (python-socketio's ``AsyncClient`` uses it; ``pip install aiohttp``,
or ``pip install -e ".[bench]"``).

    async with PortalTab("http://127.0.0.1:3300", "wangjianguo", "Portal@2026") as tab:
        ms, nbytes = await tab.open("/dashboard")
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    import aiohttp
    import socketio
except ImportError as missing:  # pragma: no cover - depends on the environment
    # The pure helpers below work without them; a PortalTab does not.
    aiohttp = socketio = None
    _MISSING = missing
else:
    _MISSING = None


def _require_client_libraries() -> None:
    if _MISSING is not None:
        raise ImportError(
            f"the benchmark client needs python-socketio's AsyncClient and aiohttp ({_MISSING}); "
            'install with: pip install aiohttp  (or pip install -e ".[bench]")'
        ) from _MISSING

SESSION_COOKIE = "portal_session"
EVENT_PATH = "/_event"
FIELD_MARKER = "_rx_state_"  # reflex_base.constants.state.FIELD_MARKER: delta keys are name + marker
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class PageLoadError(RuntimeError):
    """A page did not load: sent to login, an apology, a timeout or a refused socket."""


def var_key(name: str) -> str:
    """The key a state var has in a delta."""
    return name + FIELD_MARKER


def is_local_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS


# -- the app's shape, read from its state classes ---------------------------------------


@dataclass
class AppSchema:
    """What the compiled front end knows about the app: state names, the compiled
    defaults and their hashes, the state-schema hash, the routes and each route's page
    state (the state whose ``on_load`` handler fills the page)."""

    root_name: str
    initial_state: dict[str, dict[str, Any]]
    hashes: list[str]
    state_schema: str | None
    routes: list[str]
    page_states: dict[str, str] = field(default_factory=dict)
    session_state: str = ""  # the state holding failure_id (the apology), if the app has one
    # Handler names below the root state (reflex_base.constants.CompileVars).
    hydrate_and_load: str = "hydrate_and_load"
    on_load_internal: str = "reflex___state____on_load_internal_state.on_load_internal"

    @property
    def hydrate_event(self) -> str:
        return f"{self.root_name}.{self.hydrate_and_load}"

    @property
    def on_load_internal_event(self) -> str:
        return f"{self.root_name}.{self.on_load_internal}"

    @classmethod
    def from_app(cls, app_module: str = "portal.portal") -> "AppSchema":
        """Import the app and read the same values the compiler writes into the front end."""
        import importlib

        module = importlib.import_module(app_module)
        app = module.app
        from reflex.compiler import utils as compiler_utils
        from reflex.state import State, state_snapshot_hashes
        from reflex_base.constants import CompileVars

        initial, _ = compiler_utils._compile_initial_state(State)
        routes = [route for route in app._unevaluated_pages]
        page_states: dict[str, str] = {}
        for route in routes:
            for handler in app.get_load_events(route) or []:
                spec_handler = getattr(handler, "handler", handler)
                state_name = getattr(spec_handler, "state_full_name", None)
                if state_name:
                    page_states.setdefault(route, state_name)
                    break
        return cls(
            root_name=State.get_full_name(),
            initial_state=initial,
            hashes=state_snapshot_hashes(initial),
            state_schema=State._to_frontend_schema(),
            routes=routes,
            page_states=page_states,
            session_state=_session_state_name(),
            hydrate_and_load=CompileVars.HYDRATE_AND_LOAD,
            on_load_internal=CompileVars.ON_LOAD_INTERNAL,
        )

    def match(self, path: str) -> tuple[str | None, dict[str, str]]:
        """The route pattern a path belongs to, and its dynamic parameters."""
        parts = [p for p in path.strip("/").split("/") if p]
        best: tuple[str | None, dict[str, str]] = (None, {})
        for route in self.routes:
            pattern = [p for p in route.strip("/").split("/") if p]
            if route == "index":
                pattern = []
            if len(pattern) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, parts):
                dynamic = re.fullmatch(r"\[(\w+)\]", want)
                if dynamic:
                    params[dynamic.group(1)] = got
                elif want != got:
                    break
            else:
                if best[0] is None or (not params and best[1]):  # a static route beats a dynamic one
                    best = (route, params)
        return best


def _session_state_name() -> str:
    try:
        from portal.state.session import SessionState
    except ImportError:
        return ""
    return SessionState.get_full_name()


_schema_cache: AppSchema | None = None


def default_schema() -> AppSchema:
    global _schema_cache
    if _schema_cache is None:
        _schema_cache = AppSchema.from_app()
    return _schema_cache


# -- pure helpers (tests/benchmarks/test_reflex_client.py) ------------------------------------------


def router_data(path: str, schema: AppSchema) -> dict[str, Any]:
    """``router_data`` as the front end builds it (``withRouterData``): the pathname, the
    path as typed, and the query (the URL's parameters plus the route's own)."""
    parts = urlsplit(path)
    pathname = parts.path or "/"
    data: dict[str, Any] = {"pathname": pathname, "asPath": pathname + (f"?{parts.query}" if parts.query else "")}
    _, params = schema.match(pathname)
    query = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **params}
    if query:
        data["query"] = query
    return data


def boot_auth(path: str, schema: AppSchema, token_vars: dict[str, Any] | None = None, *, first: bool = True) -> dict:
    """The socket.io CONNECT ``auth`` payload: the hydrate event and the state schema."""
    payload: dict[str, Any] = {}
    if token_vars:
        payload["vars"] = token_vars
    if first:
        payload["hashes"] = schema.hashes
    event: dict[str, Any] = {"name": schema.hydrate_event}
    if payload:
        event["payload"] = payload
    event["router_data"] = router_data(path, schema)
    auth: dict[str, Any] = {"event": event}
    if schema.state_schema is not None:
        auth["state_schema"] = schema.state_schema
    return auth


def navigate_event(path: str, schema: AppSchema) -> dict:
    """The event a client-side navigation sends (``onLoadInternalEvent``)."""
    return {"name": schema.on_load_internal_event, "router_data": router_data(path, schema)}


def merge_delta(store: dict[str, dict[str, Any]], delta: dict[str, dict[str, Any]]) -> None:
    """Apply a delta to the tab's copy of the state, as the front end's reducers do."""
    for state_name, changes in delta.items():
        store.setdefault(state_name, {}).update(changes)


def redirect_target(events: list[dict] | None) -> str | None:
    """The path of a ``_redirect`` among a frame's events, if any."""
    for event in events or []:
        if isinstance(event, dict) and event.get("name") == "_redirect":
            payload = event.get("payload") or {}
            return str(payload.get("path", ""))
    return None


def cookie_from(set_cookie_headers: list[str], name: str = SESSION_COOKIE) -> str | None:
    for header in set_cookie_headers:
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name and value:
            return value.strip()
    return None


# -- the tab ---------------------------------------------------------------------------


@dataclass
class PageLoad:
    """One page load. Unpacks as ``ms, nbytes``."""

    path: str
    ms: float  # page GET (if any) + socket connect + every frame up to hydrated
    nbytes: int  # bytes of the websocket frames received for this load
    frames: int
    html_ms: float = 0.0
    html_bytes: int = 0
    first_frame_ms: float = 0.0
    page_state: str | None = None
    loaded: bool | None = None

    def __iter__(self):
        return iter((self.ms, self.nbytes))


class PortalTab:
    """One browser tab, logged in as one user (its own login, its own cookie)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        schema: AppSchema | None = None,
        fetch_html: bool = True,
        timeout: float = 60.0,
        allow_remote: bool = False,
    ):
        _require_client_libraries()
        if not allow_remote and not is_local_url(base_url):
            raise ValueError(f"refusing a non-local URL {base_url!r}: this tool only drives a local server")
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.username, self.password = username, password
        self.schema = schema or default_schema()
        self.fetch_html = fetch_html
        self.timeout = timeout
        self.token = str(uuid.uuid4())  # the tab's token, kept across reloads (sessionStorage)
        self.cookie: str | None = None
        self.state: dict[str, dict[str, Any]] = {}
        self.last: PageLoad | None = None
        self.login_ms: float | None = None
        self._http: "aiohttp.ClientSession | None" = None
        self._sio: "socketio.AsyncClient | None" = None
        self._frames: asyncio.Queue = asyncio.Queue()
        self._bytes = 0
        self._frame_count = 0
        self._errors: list[str] = []

    async def __aenter__(self) -> "PortalTab":
        await self.start()
        await self.login()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def start(self) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                # The tab's own jar holds the session cookie; it goes with every request and
                # the websocket handshake (engine.io's client sends the jar's cookies there).
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )

    async def close(self) -> None:
        await self._disconnect()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- HTTP ----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        # Same-origin, as the browser sends it; the cookie comes from the tab's jar.
        return {"Origin": self.origin, "User-Agent": "portal-load-test/1"}

    async def login(self) -> float:
        """``POST /auth/login``; keeps the session cookie. Returns the time in ms."""
        await self.start()
        started = time.perf_counter()
        async with self._http.post(
            f"{self.base_url}/auth/login",
            data={"username": self.username, "password": self.password},
            headers={"Origin": self.origin, "User-Agent": "portal-load-test/1"},
            allow_redirects=False,
        ) as response:
            await response.read()
            location = response.headers.get("Location", "")
            cookie = cookie_from(response.headers.getall("Set-Cookie", []))
            status = response.status
        self.login_ms = (time.perf_counter() - started) * 1000
        if status != 303 or cookie is None:
            raise PageLoadError(f"login of {self.username!r} failed: HTTP {status}, sent to {location!r}")
        self.cookie = cookie
        return self.login_ms

    async def logout(self) -> None:
        await self._disconnect()
        async with self._http.post(f"{self.base_url}/auth/logout", headers=self._headers(), allow_redirects=False) as response:
            await response.read()
        self.cookie = None

    async def _get_page(self, path: str) -> int:
        # The static server answers /dashboard with a redirect to /dashboard/; the page
        # guard answers a missing session with one to /login: follow, then check.
        async with self._http.get(f"{self.base_url}{path}", headers=self._headers()) as response:
            body = await response.read()
            final = response.url.path
            if response.status != 200 or final.rstrip("/") == "/login":
                raise PageLoadError(f"GET {path}: HTTP {response.status} at {final!r}")
            return len(body)

    # -- the event websocket ---------------------------------------------------------

    def _new_client(self) -> "socketio.AsyncClient":
        client = socketio.AsyncClient(reconnection=False, http_session=self._http, ssl_verify=True)
        original = client.eio.handlers["message"]

        async def counting(data):
            self._bytes += 1 + (len(data.encode("utf-8")) if isinstance(data, str) else len(data))
            self._frame_count += 1
            return await original(data)

        client.eio.on("message", counting)

        async def on_event(update):
            self._frames.put_nowait(update)

        async def on_new_token(new_token):
            self.token = new_token  # the server saw the token twice and gave this tab another

        async def on_state_mismatch(info):
            self._errors.append(f"front end schema differs from the server's: {info}")

        client.on("event", on_event, namespace=EVENT_PATH)
        client.on("new_token", on_new_token, namespace=EVENT_PATH)
        client.on("state_mismatch", on_state_mismatch, namespace=EVENT_PATH)
        return client

    async def _disconnect(self) -> None:
        if self._sio is not None:
            client, self._sio = self._sio, None
            try:
                await client.disconnect()
            except Exception:  # the server may have closed it already
                pass

    def _reset_counters(self) -> None:
        self._bytes = 0
        self._frame_count = 0
        self._errors.clear()
        while not self._frames.empty():
            self._frames.get_nowait()

    async def open(self, path: str = "/dashboard") -> PageLoad:
        """A full page load (or reload) of ``path``: page GET, new socket, hydrate, on_load."""
        await self._disconnect()  # the previous page's socket goes, as on pagehide
        self._reset_counters()
        started = time.perf_counter()
        html_bytes, html_ms = 0, 0.0
        if self.fetch_html:
            html_bytes = await self._get_page(path)
            html_ms = (time.perf_counter() - started) * 1000
        # A reloaded page starts again from the compiled defaults.
        self.state = {name: dict(values) for name, values in self.schema.initial_state.items()}
        self._sio = self._new_client()
        try:
            await self._sio.connect(
                f"{self.base_url}?token={self.token}",
                headers=self._headers(),
                auth=boot_auth(path, self.schema),
                transports=["websocket"],
                namespaces=[EVENT_PATH],
                socketio_path=EVENT_PATH,
                wait_timeout=self.timeout,
            )
        except socketio.exceptions.ConnectionError as error:
            raise PageLoadError(f"websocket for {path} refused: {error}") from error
        load = await self._until_hydrated(path, started)
        load.html_ms, load.html_bytes = html_ms, html_bytes
        return load

    async def navigate(self, path: str) -> PageLoad:
        """A client-side navigation to ``path`` over the open socket (a link click)."""
        if self._sio is None or not self._sio.connected:
            return await self.open(path)
        self._reset_counters()
        started = time.perf_counter()
        await self._sio.emit("event", navigate_event(path, self.schema), namespace=EVENT_PATH)
        return await self._until_hydrated(path, started)

    async def _until_hydrated(self, path: str, started: float) -> PageLoad:
        root = self.schema.root_name
        hydrated = var_key("is_hydrated")
        first_frame_ms = None
        deadline = started + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise PageLoadError(f"{path}: not hydrated within {self.timeout:.0f}s ({self._frame_count} frames)")
            try:
                update = await asyncio.wait_for(self._frames.get(), timeout=min(remaining, 1.0))
            except asyncio.TimeoutError:
                if self._errors:
                    raise PageLoadError(f"{path}: {self._errors[0]}") from None
                if self._sio is None or not self._sio.connected:
                    raise PageLoadError(f"{path}: the websocket closed before the page loaded") from None
                continue
            if first_frame_ms is None:
                first_frame_ms = (time.perf_counter() - started) * 1000
            if not isinstance(update, dict):
                continue
            delta = update.get("delta") or {}
            merge_delta(self.state, delta)
            target = redirect_target(update.get("events"))
            if target is not None and target.split("?")[0] != path.split("?")[0]:
                raise PageLoadError(f"{path}: the server sent the tab to {target!r}")
            failure = self.var(self.schema.session_state, "failure_id")
            if failure:
                raise PageLoadError(f"{path}: the server apologised (error id {failure})")
            if delta.get(root, {}).get(hydrated) is True:
                break
        ms = (time.perf_counter() - started) * 1000
        route, _ = self.schema.match(urlsplit(path).path)
        page_state = self.schema.page_states.get(route) if route else None
        loaded = self.var(page_state, "loaded") if page_state else None
        if page_state and loaded is False:
            raise PageLoadError(f"{path}: hydrated, but {page_state.rsplit('.', 1)[-1]}.loaded is false")
        self.last = PageLoad(path, ms, self._bytes, self._frame_count, first_frame_ms=first_frame_ms or ms,
                             page_state=page_state, loaded=loaded)
        return self.last

    # -- reading the tab's state -------------------------------------------------------

    def var(self, state_name: str | None, name: str, default: Any = None) -> Any:
        """A var of a state as the tab holds it (``state_name`` is a full state name)."""
        if not state_name:
            return default
        return self.state.get(state_name, {}).get(var_key(name), default)


def state_name_of(cls) -> str:
    """A state class's full name, as deltas carry it."""
    return cls.get_full_name()
