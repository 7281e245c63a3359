"""The playground's HTTP server: the standard library's ``ThreadingHTTPServer``.

Routes (``?session=ID`` picks the tab's run; each tab creates its own):

- ``GET /`` and ``GET /static/NAME``: the page, from the package (a fixed list of files);
- ``POST /api/session``: a new run (body: settings) → ``{"session": id, ...state}``;
- ``GET /api/state``: the run's state (``step``, ``loss``, ``sizes``, the matrices, …);
- ``GET /api/setup``: what changes only with the settings (data, equations, graph);
- ``GET /api/events``: the state as server-sent events, at most ``PUBLISH_HZ`` a second;
  when the tab closes, the stream ends and so does the run;
- ``POST /api/configure``, ``/api/control``, ``/api/upload``, ``/api/close``;
- ``GET /api/export/model`` (the ``.vecnn`` file) and ``/api/export/script`` (Python).

Every refusal is HTTP 400 (404 for an unknown session or path) with ``{"error": message}``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vecnn.playground import export
from vecnn.playground.session import Session, load_upload
from vecnn.playground.validation import (
    MAX_JSON_BYTES,
    MAX_UPLOAD_BYTES,
    RequestError,
    parse_action,
    parse_json,
    parse_settings,
    parse_theta,
    parse_upload,
)

STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "plots.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DETACHED_GRACE_S = 5.0  # a tab whose stream ended and did not come back: closed
IDLE_TIMEOUT_S = 120.0  # a run no tab streams and nobody asked about
KEEPALIVE_S = 1.0


class NotFoundError(Exception):
    """An unknown path or session (HTTP 404)."""


class Playground:
    """The server and its sessions. ``Playground(host, port=0)`` binds at once (a free
    port when 0); ``url``; ``serve_forever()`` or ``start()`` (a thread); ``close()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sessions: dict[str, Session] = {}
        self.sessions_lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = _Server((host, port), _Handler)
        self.httpd.playground = self
        self.host = host
        self.port = self.httpd.server_address[1]
        self._serving: threading.Thread | None = None
        self._served = False
        self._reaper = threading.Thread(
            target=self._reap, name="vecnn-playground-reaper", daemon=True
        )
        self._reaper.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        self._served = True
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> Playground:
        """Serve from a background thread (tests, notebooks); ``close()`` stops it."""
        self._serving = threading.Thread(
            target=self.serve_forever, name="vecnn-playground", daemon=True
        )
        self._serving.start()
        return self

    def close(self) -> None:
        """Stop every run, the server and its threads; idempotent."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        with self.sessions_lock:
            sessions, self.sessions = list(self.sessions.values()), {}
        for session in sessions:
            session.close()
        if self._served:
            self.httpd.shutdown()
        if self._serving is not None:
            self._serving.join()
        self.httpd.server_close()  # joins the request threads
        self._reaper.join()

    def __enter__(self) -> Playground:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sessions
    def new_session(self, body: dict[str, Any]) -> Session:
        session = Session(parse_settings(body))
        with self.sessions_lock:
            if self.stopping.is_set():
                session.close()
                raise NotFoundError("the playground is shutting down")
            self.sessions[session.id] = session
        return session

    def session(self, query: dict[str, list[str]], create: bool = False) -> Session:
        """The session named by ``?session=``; without one, the newest (made if none)."""
        ids = query.get("session")
        with self.sessions_lock:
            if ids:
                found = self.sessions.get(ids[0])
                if found is None:
                    raise NotFoundError(f"no session {ids[0]!r}: it was closed; reload the page")
                return found
            if self.sessions:
                return max(self.sessions.values(), key=lambda s: s.last_seen)
        if not create:
            raise NotFoundError("no session yet: open the page, or POST /api/session")
        return self.new_session({})

    def end_session(self, session: Session) -> None:
        with self.sessions_lock:
            self.sessions.pop(session.id, None)
        session.close()

    def _reap(self) -> None:
        """Close runs whose tab went away (its event stream ended and did not return)."""
        while not self.stopping.wait(1.0):
            now = time.monotonic()
            with self.sessions_lock:
                gone = [
                    s
                    for s in self.sessions.values()
                    if s.streams == 0
                    and now - s.last_seen > (DETACHED_GRACE_S if s.was_streamed else IDLE_TIMEOUT_S)
                ]
            for session in gone:
                self.end_session(session)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads
    block_on_close = True
    playground: Playground


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "vecnn-playground"
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request

    # ------------------------------------------------------------------ dispatch
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            self._check_host()
            route = ROUTES.get((method, url.path))
            if route is not None:
                route(self, query)
            elif method == "GET" and (url.path == "/" or url.path.startswith("/static/")):
                self._static(url.path)
            else:
                raise NotFoundError(f"no {method} {url.path}")
        except (RequestError, ValueError) as error:  # ValueError: the library refused
            self.close_connection = self.close_connection or method == "POST"
            self._json({"error": str(error)}, HTTPStatus.BAD_REQUEST)
        except NotFoundError as error:
            self.close_connection = self.close_connection or method == "POST"
            self._json({"error": str(error)}, HTTPStatus.NOT_FOUND)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _check_host(self) -> None:
        """A page on another site cannot reach a server bound to 127.0.0.1 through a
        name that resolves there (DNS rebinding): the Host header must be local."""
        if self.server.playground.host not in ("127.0.0.1", "localhost"):
            return
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            raise RequestError(
                f"Host {host!r} is not this machine; open {self.server.playground.url}"
            )

    # ------------------------------------------------------------------ the page
    def _static(self, path: str) -> None:
        name = "index.html" if path == "/" else path.removeprefix("/static/")
        if name not in STATIC:
            raise NotFoundError(f"no file {name!r}")
        body = resources.files("vecnn.playground").joinpath("static", name).read_bytes()
        self._send(body, STATIC[name])

    # ------------------------------------------------------------------ the API
    def _body(self, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
        return parse_json(self.rfile.read(self._length(limit)), limit)

    def _length(self, limit: int = MAX_JSON_BYTES) -> int:
        """The request's Content-Length, checked (a negative one would read until EOF)."""
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length is not None else 0
        except ValueError:
            raise RequestError(f"Content-Length {length!r} is not a number") from None
        if size < 0:
            raise RequestError(f"Content-Length {length!r} is negative")
        if size > limit:
            self.close_connection = True  # the body stays unread
            raise RequestError(f"the request is {size:,} bytes; the limit is {limit:,}")
        return size

    def _create(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.new_session(self._body())
        self._state_of(session)

    def _state(self, query: dict[str, list[str]]) -> None:
        self._state_of(self.server.playground.session(query, create=True))

    def _setup(self, query: dict[str, list[str]]) -> None:
        self._json(self.server.playground.session(query).setup)

    def _configure(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.session(query)
        session.configure(parse_settings(self._body(), session.settings))
        self._state_of(session)

    def _control(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.session(query)
        action, steps = parse_action(self._body())
        session.control(action, steps)
        self._state_of(session)

    def _upload(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.session(query)
        text, target, name = parse_upload(self._body(MAX_UPLOAD_BYTES + 4096))
        if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
            raise RequestError(f"the CSV is over the limit of {MAX_UPLOAD_BYTES:,} bytes (5 MB)")
        try:
            upload = load_upload(text, target, name)
        except ValueError as error:
            raise RequestError(f"{name}: {error}") from None
        settings = parse_settings(
            {"dataset": "csv", "target": target, "csv_name": name}, session.settings
        )
        session.configure(settings, upload)
        self._state_of(session)

    def _close(self, query: dict[str, list[str]]) -> None:
        playground = self.server.playground
        self.rfile.read(self._length())  # what the page sends is not used
        with contextlib.suppress(NotFoundError):
            playground.end_session(playground.session(query))
        self._json({"closed": True})

    def _export_model(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.session(query)
        body = export.model_bytes(session, parse_theta(query))
        self._send(body, "application/octet-stream", attachment=f"playground-{session.step}.vecnn")

    def _export_script(self, query: dict[str, list[str]]) -> None:
        session = self.server.playground.session(query)
        body = export.script(session, parse_theta(query)).encode("utf-8")
        self._send(body, "text/x-python; charset=utf-8", attachment="playground_run.py")

    def _events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: ``event: state`` with the snapshot whenever it changes."""
        playground = self.server.playground
        session = playground.session(query)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with session.lock:
            session.streams += 1
            session.was_streamed = True
        try:
            version = -1
            while not playground.stopping.is_set() and not session.closed:
                state = session.wait_for_change(version, KEEPALIVE_S)
                if state["version"] != version:
                    version = state["version"]
                    data = session.encoded(state)
                    self.wfile.write(b"event: state\ndata: " + data + b"\n\n")
                else:
                    self.wfile.write(b": keepalive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        finally:
            with session.lock:
                session.streams -= 1
                session.last_seen = time.monotonic()

    # ------------------------------------------------------------------ responses
    def _state_of(self, session: Session) -> None:
        self._send(session.encoded(session.state()), "application/json")

    def _json(self, value: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(body, "application/json", status)

    def _send(
        self,
        body: bytes,
        content_type: str,
        status: HTTPStatus = HTTPStatus.OK,
        attachment: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        if attachment:
            self.send_header("Content-Disposition", f'attachment; filename="{attachment}"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the address and errors only."""


ROUTES = {
    ("POST", "/api/session"): _Handler._create,
    ("GET", "/api/state"): _Handler._state,
    ("GET", "/api/setup"): _Handler._setup,
    ("GET", "/api/events"): _Handler._events,
    ("POST", "/api/configure"): _Handler._configure,
    ("POST", "/api/control"): _Handler._control,
    ("POST", "/api/upload"): _Handler._upload,
    ("POST", "/api/close"): _Handler._close,
    ("GET", "/api/export/model"): _Handler._export_model,
    ("GET", "/api/export/script"): _Handler._export_script,
}


def serve(host: str = "127.0.0.1", port: int = 0) -> Playground:
    """A running playground (served from a thread); call ``close()`` when done."""
    return Playground(host, port).start()
