"""Hypercorn, set up for a port that hostile clients can reach: HTTP/1.1 only, every wait bounded.

* HTTP/1.1 only. Hypercorn switches a plain-text connection to HTTP/2 on its own, whatever its
  config says (``alpn_protocols`` matters only under TLS): on an ``Upgrade: h2c`` header (it
  answers 101) and on the prior-knowledge preface ``PRI * HTTP/2.0``. HTTP/2 buys a node's
  clients nothing over keep-alive HTTP/1.1 and brings the rapid-reset attack (thousands of
  HEADERS + RST_STREAM frames a second on one connection, each spawning work). So
  :func:`_serve_http1_only` replaces Hypercorn's protocol check (``H11Protocol._check_protocol``,
  Hypercorn 0.18, pinned): an ``Upgrade: h2c`` request is answered in HTTP/1.1 as if the header
  were absent (a server may ignore Upgrade), and the preface is just a request the app refuses,
  after which the binary frames that follow are garbage to HTTP/1.1 and the connection closes.
* Timeouts: idle keep-alive connections and slow request heads close after
  ``keep_alive_timeout`` (the idle timer runs until a request's head is complete:
  :class:`_IdleTimer`, which replaces Hypercorn's task per request by one per connection); a
  request body has a deadline in the app (:mod:`node.api`, ``body_timeout_seconds``); a peer
  that stops taking response bytes is cut by the kernel after ``send_timeout_seconds``
  (``TCP_USER_TIMEOUT`` on the listening socket, inherited by every accepted one), since
  Hypercorn writes without a timeout and shields the write from cancellation.
* Hypercorn has no cap on concurrent connections; each one is bounded in time by the above and
  the live stream caps its own subscribers. The process's descriptor limit is the final bound.
"""

from __future__ import annotations

import array
import logging
import math
import os
import socket
import struct
from typing import Any

import h11
import hypercorn.trio.run
import trio
from hypercorn.app_wrappers import ASGIWrapper
from hypercorn.config import Config, Sockets
from hypercorn.events import RawData
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.utils import repr_socket_addr
from starlette.types import ASGIApp, Message, Scope

from node.config import ApiSettings

log = logging.getLogger(__name__)

#: Hypercorn's default; a quick restart must not wait long for open streams.
GRACEFUL_TIMEOUT_SECONDS = 2.0


class _NodeConfig(Config):
    """Hypercorn's config, plus the kernel's send timeout on the sockets it listens on."""

    send_timeout_seconds: float = 30.0

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and hasattr(socket, "TCP_USER_TIMEOUT"):
                sock.setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(self.send_timeout_seconds * 1000)
                )
        return sockets


def hypercorn_config(api: ApiSettings, bind: str | None = None) -> Config:
    """Hypercorn's config for the node's API, from its settings; it listens on ``bind``
    (Hypercorn's spelling: ``unix:<path>``, ``fd://<n>``), by default the API's host and port."""
    _serve_http1_only()
    hypercorn.trio.run.TCPServer = _Connection  # type: ignore[misc]
    config = _NodeConfig()
    config.bind = [bind or f"{api.host}:{api.port}"]
    config.accesslog = None
    config.loglevel = logging.getLevelName(logging.getLogger().getEffectiveLevel())  # follow --log-level
    config.graceful_timeout = GRACEFUL_TIMEOUT_SECONDS
    config.alpn_protocols = ["http/1.1"]  # under TLS too
    config.keep_alive_timeout = api.keep_alive_timeout_seconds
    config.send_timeout_seconds = api.send_timeout_seconds
    return config


def listening_socket(api: ApiSettings) -> socket.socket:
    """The API's listening socket, bound and listening, set up as Hypercorn would set it up:
    a node with read workers opens it once and hands it to each of them (``fd://``)."""
    config = hypercorn_config(api)
    (sock,) = config.create_sockets().insecure_sockets
    sock.listen(config.backlog)
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://host:port`` of a listening socket (the port the kernel chose, for port 0)."""
    return f"http://{repr_socket_addr(sock.family, sock.getsockname())}"


#: A handed-over connection's frame: the length of the bytes read from it, then those bytes.
_HANDOVER_LENGTH = struct.Struct("!I")
#: The most bytes a worker hands over with a connection: a request head it did not take
#: (``node.read_worker.MAX_HEAD_BYTES``) and what one read brought after it.
HANDOVER_MAX_BYTES = 128 * 1024
#: A hand-over the core's socket does not take (its queue full, the core restarting) is tried
#: again this many times, this far apart, before the client is told the node is busy.
HANDOVER_TRIES = 5
HANDOVER_RETRY_SECONDS = 0.05
_BUSY_BODY = b'{"error":"ServiceUnavailable","reason":"service_unavailable","detail":"the node is busy"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%b" % (len(_BUSY_BODY), _BUSY_BODY)
)


async def hand_over(path: str, connection: trio.SocketStream, received: bytes) -> bool:
    """Give ``connection``, with the bytes already ``received`` from it, to the server taking
    connections on the Unix socket ``path`` (:func:`serve_handed_over`): the descriptor travels
    as ``SCM_RIGHTS`` with the frame's first bytes. When the server does not take it after
    ``HANDOVER_TRIES``, the client is answered 503 instead; returns whether it was handed over.
    The caller closes its own copy of the connection after."""
    frame = _HANDOVER_LENGTH.pack(len(received)) + received
    fds = array.array("i", [connection.socket.fileno()])
    for attempt in range(HANDOVER_TRIES):
        try:
            with trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                await sock.connect(path)
                # A full queue can look like a connect that worked: then this send fails.
                sent = await sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
                stream = trio.SocketStream(sock)
                await stream.send_all(frame[sent:])
                await stream.receive_some(1)  # the server's close: it holds the descriptor by then
                return True
        except (OSError, trio.BrokenResourceError) as exc:
            log.warning("handing a connection to the core failed (try %d): %r", attempt + 1, exc)
            await trio.sleep(HANDOVER_RETRY_SECONDS)
    await connection.send_all(_BUSY)
    return False


async def serve_handed_over(
    app: ASGIApp, config: Config, path: str, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve ``app`` on the HTTP connections handed over (:func:`hand_over`) on the Unix socket
    ``path``, each as if accepted here, the bytes read from it first. A node's read workers
    hand over every connection that asks for more than they answer (``node.read_worker``)."""
    listener = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    await listener.bind(path)
    listener.listen(socket.SOMAXCONN)  # a burst of reconnecting stream clients must fit
    context = WorkerContext(None)
    wrapped = ASGIWrapper(app)  # type: ignore[arg-type]
    async with trio.open_nursery() as nursery:
        task_status.started()
        with listener:
            while True:
                sock, _ = await listener.accept()
                nursery.start_soon(_take_over, sock, wrapped, config, context, nursery)


async def _take_over(
    sock: trio.socket.SocketType, app: Any, config: Config, context: Any, nursery: trio.Nursery
) -> None:
    """Receive one handed-over connection on ``sock`` and serve it in ``nursery``; its
    descriptor is closed on every way this can fail."""
    fds: list[int] = []
    with sock:
        try:
            with trio.fail_after(config.keep_alive_timeout):
                data, ancillary, _, _ = await sock.recvmsg(
                    HANDOVER_MAX_BYTES, socket.CMSG_SPACE(array.array("i").itemsize), socket.MSG_CMSG_CLOEXEC
                )
                fds = [
                    fd
                    for level, kind, raw in ancillary
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
                    for fd in array.array("i", raw[: len(raw) - len(raw) % 4])
                ]
                if len(fds) != 1 or len(data) < _HANDOVER_LENGTH.size:
                    raise ValueError(f"{len(fds)} descriptors, {len(data)} bytes")
                (length,) = _HANDOVER_LENGTH.unpack_from(data)
                if length > HANDOVER_MAX_BYTES:
                    raise ValueError(f"{length} bytes announced")
                stream = trio.SocketStream(sock)
                while len(data) < _HANDOVER_LENGTH.size + length:
                    more = await stream.receive_some(HANDOVER_MAX_BYTES)
                    if not more:
                        raise ValueError("the frame ended early")
                    data += more
            connection = trio.SocketStream(trio.socket.from_stdlib_socket(socket.socket(fileno=fds.pop())))
        except (OSError, ValueError, trio.TooSlowError, trio.BrokenResourceError) as exc:
            log.warning("a handed-over connection was dropped: %r", exc)
            return
        finally:
            for fd in fds:
                os.close(fd)
    nursery.start_soon(_HandedOver(data[_HANDOVER_LENGTH.size :], app, config, context, {}, connection).run)


def warm_up(app: ASGIApp, path: str = "/health") -> int:
    """Serve one ``GET path`` through ``app`` on a trio run of its own; returns the status.

    FastAPI prepares its routes (a pydantic schema for every parameter and response model)
    on the first request that walks them, which here takes 0.1-0.5 s: on the node's loop that
    is a stall every client feels, right after a restart. Blocking: the node calls it in a
    worker thread before it starts listening (``/health`` is matched last, so every router is
    prepared on the way). The request carries a query parameter no route takes: FastAPI ignores
    it, and the API's hot read path (``node.api._hot``) declines it, so the request walks FastAPI
    after the hot path has built its table.
    """
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"warm_up=1",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {"warm_up": True},  # no client's request: the API's metrics leave it out
    }
    trio.run(app, scope, receive, send)
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


async def _no_protocol_switch(self: H11Protocol, event: h11.Request) -> None:
    """Never leave HTTP/1.1: the request is served as it is (see the module's docstring)."""


def _serve_http1_only() -> None:
    H11Protocol._check_protocol = _no_protocol_switch  # type: ignore[method-assign]


class _IdleTimer:
    """The idle timer of one connection (Hypercorn's ``TCPServer.idle_task``), as one task
    whose deadline moves.

    Hypercorn (0.18, pinned) stops its timer when a request's head is complete and restarts it
    when the response has gone, each time by cancelling the timer's task and starting a new one:
    a task spawned and two locks taken per request, about a tenth of the event loop's time when
    it serves a few hundred small requests a second. Here :meth:`restart` moves one cancel
    scope's deadline to ``keep_alive_timeout`` from now and :meth:`stop` lifts it. What a client
    sees is the same: an idle connection (no request yet, or a head still incomplete) is closed
    after ``keep_alive_timeout``; one that is serving a request is never closed by the timer;
    when the server shuts down, an idle connection closes at once and a busy one as soon as its
    response has gone. The timer's task ends with its connection (:meth:`end`), however the
    connection ends (``Connection: close``, the client hanging up mid-request, a timeout).
    """

    def __init__(self, connection: TCPServer) -> None:
        self._connection = connection
        self._scope = trio.CancelScope(deadline=math.inf)
        self._watching = False
        self._idle = False
        self._shutting_down = False
        self._ended = False

    async def restart(self, task_group: Any, action: object) -> None:
        """The connection is idle from now (``action``, Hypercorn's timeout task, is what
        :meth:`_watch` does)."""
        self._idle = True
        now = trio.current_time()
        self._scope.deadline = (
            now if self._shutting_down else now + self._connection.config.keep_alive_timeout
        )
        if not self._watching:
            self._watching = True
            task_group._nursery.start_soon(self._watch)

    async def stop(self) -> None:
        """The connection is serving a request."""
        self._idle = False
        self._scope.deadline = math.inf

    def end(self) -> None:
        """The connection has ended: so does the timer's task (the connection's task group
        waits for it)."""
        self._ended = True
        self._scope.cancel()

    async def _watch(self) -> None:
        with self._scope:
            await self._connection.context.terminated.wait()
            self._shutting_down = True
            if not self._idle:
                await trio.sleep_forever()  # until the response has gone: restart() ends it
        if self._ended:
            return
        with trio.CancelScope(shield=True):
            await self._connection._initiate_server_close()


class _Connection(TCPServer):
    """Hypercorn's connection, with :class:`_IdleTimer` as its idle timer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_timer = _IdleTimer(self)
        self.idle_task = self.idle_timer  # type: ignore[assignment]

    async def _read_data(self) -> None:
        """Hypercorn's read loop, which returns when the connection has ended, however it ended."""
        try:
            await super()._read_data()
        finally:
            self.idle_timer.end()


class _HandedOver(_Connection):
    """A connection a read worker handed over, with the bytes it had read from it (the start of
    a request), which are served first."""

    def __init__(self, received: bytes, *args: Any) -> None:
        super().__init__(*args)
        self._received = received

    async def _read_data(self) -> None:
        await self.protocol.handle(RawData(data=self._received))
        await super()._read_data()
