"""A read worker: a second process that answers the node's polled reads from the store file,
and hands every other connection to the node's core.

One Python process runs on one core at a time (the GIL), and a node's core already spends it
on HTTP, gossip, sync and ingest: under sustained writes, a paced feed's latency is what that
one loop has left. The polled reads (a feed page, a thread, ``/health``: ``HOT_READS`` in
:mod:`node.api`) need nothing but the store file, which SQLite's WAL lets any number of
processes read beside its one writer, each read seeing the last commit. So with
``api.read_workers`` set, the core (:mod:`node.service`) opens the API's listening socket and
starts that many of these processes on it (they share it: the kernel hands each new
connection to one of them):

* A worker reads a request's head. A plain ``GET`` of a hot route (:func:`plain_get`: HTTP/1.1,
  no body, nothing unusual), alone in what the client has sent, is answered here by the same
  handler the core would call, over a :class:`~node.store.StoreReader`. A read after a write is
  answered with the write in it: the core answers a write only after its commit.
* Anything else (a write, the live stream, admin, status, a refusal, an odd spelling, a
  pipelined request, a head too long) is not looked at further: the worker hands the whole
  connection, with the bytes it has read, to the core (:func:`node.http_server.hand_over`),
  which serves it from then on, its own HTTP server, limits and error answers included. So the
  worker's HTTP is the small subset a poll uses; the rest of HTTP stays in one place.
* ``/metrics`` is the core's with this worker's own families added, labelled ``read_worker``
  (its event loop's steps, the hot reads it answered).

A worker answers with its own small HTTP/1.1 writer rather than a full server's: per request,
Hypercorn and h11 cost three times what the read itself does.

The core passes its settings on the worker's standard input, then keeps that pipe open: when
the core exits, however it exits, the worker reads the end of its input and stops, so it never
holds the port for a core that is gone. Run as ``python -m node.read_worker``; the core starts
and stops it (:func:`serve_read_worker`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from email.utils import formatdate
from typing import Any

import h11
import trio
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from node.api import READ_BUDGET_SECONDS, HotRoutes, hot_reads, request_metrics
from node.config import ApiSettings
from node.http_server import hand_over
from node.loopwatch import LoopWatch, LoopWatchCollector, favour_the_loop, keep_out_of_collections
from node.store import StoreReader

log = logging.getLogger("node.read_worker")

#: What a worker prints on its standard output once it is serving.
READY = b"ready\n"
#: How long the core waits for a worker to start serving.
START_TIMEOUT_SECONDS = 60.0
#: How long a stopping worker may take to finish before the core kills it.
STOP_TIMEOUT_SECONDS = 5.0
#: The longest request head a worker reads before handing the connection over (h11's limit,
#: which the core then applies).
MAX_HEAD_BYTES = 16 * 1024
#: How often a worker asks the core's ``/health`` (and how long it waits for the answer).
CORE_WATCH_SECONDS = 1.0
#: Bytes read from a socket at a time.
RECEIVE_BYTES = 65536
#: A plain GET's request line: an origin-form target of visible ASCII, HTTP/1.1.
_REQUEST_LINE = re.compile(rb"GET (/[!-~]*) HTTP/1\.1\r\n")
#: A header line: a name (RFC 9110's token), a colon, a value of visible characters, spaces
#: and tabs (h11's rule), without the spaces around it.
_FIELD = re.compile(
    rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*((?:[\x21-\x7e\x80-\xff](?:[ \t\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[ \t]*"
)
#: Headers that make a GET more than a poll: the core answers those.
_NOT_PLAIN = frozenset({b"content-length", b"transfer-encoding", b"expect", b"upgrade"})


@dataclass(frozen=True)
class WorkerSpec:
    """What the core tells a worker, on its standard input: its number, the store, the listening
    socket it inherited, the core's two Unix sockets (its API, for ``/metrics``; the one it
    takes connections on), and the API's settings."""

    index: int
    store: str
    chain_id: int
    listen_fd: int
    core_socket: str
    handover_socket: str
    api: dict[str, Any]
    log_level: str

    def to_line(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> WorkerSpec:
        return cls(**json.loads(line))


@dataclass(frozen=True)
class PlainGet:
    """A request a worker may answer itself: its path and query, and whether the client asked
    to close the connection after it."""

    path: str
    query: bytes
    close: bool


def plain_get(head: bytes) -> PlainGet | None:
    """``head`` (a request line and headers, through the blank line) as a :class:`PlainGet`, or
    ``None`` for anything else: another method or version, a body (``Content-Length: 0`` is
    none), ``Expect`` or ``Upgrade``, no ``Host`` or two, a header line that is not a token, a
    colon and a value of visible characters (a bare LF, a CR, a NUL, a folded line). The worker
    never answers what it does not read exactly as the core's h11 would; the core does."""
    line = _REQUEST_LINE.match(head)
    if line is None or not head.endswith(b"\r\n\r\n"):
        return None
    target = line[1]
    if b"#" in target:
        return None
    hosts, close = 0, False
    fields = head[line.end() : -4]
    for field in fields.split(b"\r\n") if fields else ():
        match = _FIELD.fullmatch(field)
        if match is None:
            return None
        name, value = match[1].lower(), match[2]
        if name in _NOT_PLAIN and not (name == b"content-length" and value == b"0"):
            return None
        if name == b"host":
            hosts += 1
        elif name == b"connection":
            close = b"close" in value.lower()
    if hosts != 1:
        return None
    path, _, query = target.partition(b"?")
    return PlainGet(path.decode("ascii"), query, close)


class _Answers:
    """What a worker answers, as whole HTTP responses: the hot reads, and ``/metrics``.

    ``/health`` is answered here only while the core answers its own (``core_alive``): with a
    core that is stuck or gone, it is handed to the core like any other request, so a liveness
    probe sees what the core does."""

    def __init__(self, hot: HotRoutes, core_socket: str, metrics: WorkerMetrics) -> None:
        self.hot, self.core_socket, self.metrics = hot, core_socket, metrics
        self.core_alive = True
        self._date = (0, b"")

    async def answer(self, request: PlainGet) -> bytes | None:
        """The whole response to ``request``, or ``None``: the core answers it."""
        if request.path == "/metrics" and not request.query:
            core = await _ask_core(self.core_socket, "/metrics")
            if core is None:
                return None
            return self._response(
                self.metrics.merged(core.decode()), b"text/plain; version=0.0.4; charset=utf-8"
            )
        if request.path == "/health" and not self.core_alive:
            return None
        start = time.perf_counter()
        answered = await self.hot.answer(request.path, request.query)
        if answered is None:
            return None
        body, route = answered
        self.metrics.latency.labels("GET", route.path).observe(time.perf_counter() - start)
        return self._response(body, b"application/json")

    async def watch_core(self) -> None:
        """Ask the core's ``/health`` every ``CORE_WATCH_SECONDS``: ``core_alive`` says whether
        it answered the last time, within as long."""
        while True:
            self.core_alive = await _ask_core(self.core_socket, "/health", CORE_WATCH_SECONDS) is not None
            await trio.sleep(CORE_WATCH_SECONDS)

    def _response(self, body: bytes, content_type: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ncontent-type: %b\r\ncontent-length: %d\r\ndate: %b\r\n\r\n%b" % (
            content_type,
            len(body),
            self._now(),
            body,
        )

    def _now(self) -> bytes:
        """The ``Date`` header's value, made once a second."""
        second = int(time.time())
        if self._date[0] != second:
            self._date = (second, formatdate(second, usegmt=True).encode())
        return self._date[1]


async def _ask_core(core_socket: str, path: str, timeout: float = 10.0) -> bytes | None:
    """The body of the core's 200 answer to ``GET path`` on its Unix socket, or ``None`` when
    it answers otherwise or not within ``timeout`` seconds."""
    conn = h11.Connection(h11.CLIENT)
    body = b""
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_unix_socket(core_socket)
            async with stream:
                request = h11.Request(method="GET", target=path, headers=[("host", "core")])
                await stream.send_all(conn.send(request) + conn.send(h11.EndOfMessage()))
                while not isinstance(event := conn.next_event(), h11.EndOfMessage):
                    if event is h11.NEED_DATA:
                        conn.receive_data(await stream.receive_some(RECEIVE_BYTES))
                    elif isinstance(event, h11.Response) and event.status_code != 200:
                        return None
                    elif isinstance(event, h11.Data):
                        body += event.data
                    elif isinstance(event, h11.ConnectionClosed):
                        return None
    except (OSError, trio.TooSlowError, trio.BrokenResourceError, h11.ProtocolError) as exc:
        log.warning("the core did not answer GET %s: %r", path, exc)
        return None
    return body


class _Client:
    """One client connection: plain GETs answered here, one at a time, until the client asks
    for something else (the connection is then handed to the core), closes, or stays idle or
    slow longer than the keep-alive timeout (closed, as the core would)."""

    def __init__(
        self, stream: trio.SocketStream, answers: _Answers, handover: str, idle_seconds: float
    ) -> None:
        self.stream, self.answers, self.handover, self.idle_seconds = stream, answers, handover, idle_seconds
        self.buffer = b""

    async def serve(self) -> None:
        async with self.stream:
            while True:
                end = await self._head()
                if end is None:
                    return
                request = plain_get(self.buffer) if end == len(self.buffer) else None
                response = None if request is None else await self.answers.answer(request)
                if request is None or response is None:
                    if await hand_over(self.handover, self.stream, self.buffer):
                        self.answers.metrics.handed_over.inc()
                    return
                await self.stream.send_all(response)
                self.buffer = b""
                if request.close:
                    return

    async def _head(self) -> int | None:
        """Read until the buffer holds a whole request head (or more than a head may be):
        returns where the head ends, or ``None`` when the client closed or took too long."""
        with trio.move_on_after(self.idle_seconds):
            searched = 0  # a head sent a byte at a time is searched once, not once per byte
            while (end := self.buffer.find(b"\r\n\r\n", searched)) < 0 and len(self.buffer) <= MAX_HEAD_BYTES:
                searched = max(0, len(self.buffer) - 3)
                chunk = await self.stream.receive_some(RECEIVE_BYTES)
                if not chunk:
                    return None
                self.buffer += chunk
            return len(self.buffer) + 1 if end < 0 else end + 4  # past the end: too long, hand it over
        return None


class WorkerMetrics:
    """This worker's metrics (its loop's steps, the hot reads it answered, the connections it
    handed over), served merged into the core's ``/metrics``, each sample labelled
    ``read_worker``."""

    def __init__(self, index: int, loop_watch: LoopWatch) -> None:
        self.index = str(index)
        self.registry = CollectorRegistry()
        self.latency, self.hot_reads = request_metrics(self.registry)
        self.handed_over = Counter(
            "mecenate_read_worker_handed_over",
            "Client connections a read worker handed to the core (they asked for more than it answers)",
            registry=self.registry,
        )
        self.registry.register(LoopWatchCollector(loop_watch))

    def merged(self, core: str) -> bytes:
        """The core's exposition ``core`` with this worker's samples added to it."""
        families = {f.name: f for f in text_string_to_metric_families(core)}
        for own in self.registry.collect():
            labelled = [
                s._replace(labels={**s.labels, "read_worker": self.index})
                for s in own.samples
                if not s.name.endswith("_created")  # the text format reads those as families apart
            ]
            if own.name in families:
                families[own.name].samples.extend(labelled)
            else:
                own.samples = labelled
                families[own.name] = own
        return generate_latest(_Families(list(families.values())))


class _Families:
    """A collector of metric families already read (``generate_latest`` takes collectors)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def _until_input_ends() -> None:
    """Returns when this process's standard input ends: the core has exited or asks it to stop."""
    stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
    async with stdin:
        while await stdin.receive_some(4096):
            pass


async def run_worker(spec: WorkerSpec) -> None:
    """Serve as read worker ``spec.index`` until standard input ends."""
    loop_watch = LoopWatch()
    trio.lowlevel.add_instrument(loop_watch)
    favour_the_loop()
    api = ApiSettings.model_validate(spec.api)
    metrics = WorkerMetrics(spec.index, loop_watch)
    with StoreReader(spec.store, spec.chain_id) as store:
        store.keep_reader(READ_BUDGET_SECONDS)  # this is the event loop's thread: it serves the reads
        answers = _Answers(hot_reads(store, spec.chain_id, metrics.hot_reads), spec.core_socket, metrics)
        listener = trio.SocketListener(trio.socket.from_stdlib_socket(socket.socket(fileno=spec.listen_fd)))
        keep_out_of_collections()

        async def serve(stream: trio.SocketStream) -> None:
            try:
                await _Client(stream, answers, spec.handover_socket, api.keep_alive_timeout_seconds).serve()
            except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
                pass  # the client went away: nothing to answer
            except Exception:  # a bug costs this connection, not the worker (nor the node)
                log.exception("read worker: a connection failed")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, serve, [listener])
            nursery.start_soon(answers.watch_core)
            sys.stdout.buffer.write(READY)
            sys.stdout.flush()
            await _until_input_ends()
            nursery.cancel_scope.cancel()


async def serve_read_worker(
    spec: WorkerSpec, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Start read worker ``spec`` and report when it serves; stop it when cancelled. A worker
    that exits on its own is an error (the node stops: its API would be half served)."""
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "node.read_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=(spec.listen_fd,),
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        await process.stdin.send_all(spec.to_line())
        said = b""
        with trio.fail_after(START_TIMEOUT_SECONDS):
            while not said.endswith(READY):
                chunk = await process.stdout.receive_some(64)
                if not chunk:
                    raise RuntimeError(
                        f"read worker {spec.index} exited while starting ({await process.wait()})"
                    )
                said += chunk
        task_status.started()
        status = await process.wait()
        raise RuntimeError(f"read worker {spec.index} exited with status {status}")
    finally:
        with trio.CancelScope(shield=True):
            await process.stdin.aclose()  # the worker reads the end of its input and stops
            with trio.move_on_after(STOP_TIMEOUT_SECONDS):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


def main() -> None:
    # The end of standard input is a worker's one signal to stop: Ctrl-C in a terminal, or a
    # service manager signalling the core's whole process group, reach it too, and the core
    # stops it in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    spec = WorkerSpec.from_line(sys.stdin.buffer.readline())
    logging.basicConfig(
        level=spec.log_level,
        format=f"%(asctime)s %(levelname)s read-worker-{spec.index} %(name)s: %(message)s",
    )
    trio.run(run_worker, spec)


if __name__ == "__main__":
    main()
