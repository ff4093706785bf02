"""A read worker: a second process that answers the node's polled reads from the store file,
and hands every other request to the node's core.

One Python process runs on one core at a time (the GIL), and a node's core already spends it
on HTTP, gossip, sync and ingest: under sustained writes, a paced feed's latency is what that
one loop has left. The polled reads (a feed page, a thread, ``/health``: ``HOT_READS`` in
:mod:`node.api`) need nothing but the store file, which SQLite's WAL lets any number of
processes read beside its one writer, each read seeing the last commit. So with
``api.read_workers`` set, the core (:mod:`node.service`) opens the API's listening socket and
starts that many of these processes on it (they share it: the kernel hands each new
connection to one of them), and serves its own app on a private Unix socket:

* a request the hot read path answers is answered here, by the same handler the core would
  call, over a :class:`~node.store.StoreReader`; a read written through the API before is
  visible, since the core answers a write only after its commit;
* anything else (writes, the live stream, admin, status, a refusal) is forwarded to the core
  as it came, the body and the answer streamed, with the client's address in
  ``X-Forwarded-For`` (the core trusts it on its private socket alone);
* ``/metrics`` is the core's with this worker's own families added, labelled ``read_worker``
  (its event loop's steps, the hot reads it answered).

The core passes its settings on the worker's standard input, then keeps that pipe open: when
the core exits, however it exits, the worker reads the end of its input and stops, so it never
holds the port for a core that is gone. Run as ``python -m node.read_worker``; the core starts
and stops it (:func:`serve_read_worker`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import h11
import trio
from hypercorn.trio import serve as hypercorn_serve
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.api import READ_BUDGET_SECONDS, BodyLimits, framework_answer, hot_reads
from node.config import ApiSettings
from node.http_server import hypercorn_config
from node.loopwatch import LoopWatch, LoopWatchCollector, favour_the_loop, keep_out_of_collections
from node.store import StoreReader

log = logging.getLogger("node.read_worker")

#: What a worker prints on its standard output once it is serving.
READY = b"ready\n"
#: How long the core waits for a worker to start serving.
START_TIMEOUT_SECONDS = 60.0
#: How long a stopping worker may take to finish before the core kills it.
STOP_TIMEOUT_SECONDS = 5.0
#: Headers about one connection, not the request (RFC 9110 7.6.1): never forwarded. The body's
#: framing (``Content-Length``, ``Transfer-Encoding``) is, and h11 frames the body to match.
_NOT_FORWARDED = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade", b"x-forwarded-for"}
)
#: Of the core's answer, the connection's headers and the server's own (``date``, ``server``):
#: this worker's server adds its own, and frames the body itself (h11 gives it unchunked).
_NOT_RETURNED = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"trailer", b"upgrade", b"date", b"server"}
)
#: How talking to the core fails: it has gone, or closed a connection, or spoke out of turn.
_CORE_FAILED = (OSError, ConnectionError, trio.BrokenResourceError, h11.ProtocolError)
#: Bytes read from the core's socket at a time.
RECEIVE_BYTES = 65536
_CORE_DOWN = "the node's core process is not answering; try again later"


@dataclass(frozen=True)
class WorkerSpec:
    """What the core tells a worker, on its standard input: its number, the store, the listening
    socket it inherited, the core's Unix socket, and the API's settings."""

    index: int
    store: str
    chain_id: int
    listen_fd: int
    core_socket: str
    api: dict[str, Any]
    log_level: str

    def to_line(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> WorkerSpec:
        return cls(**json.loads(line))


class CoreConnection:
    """One keep-alive HTTP/1.1 connection to the core's Unix socket, spoken with h11 (as
    Hypercorn speaks it): an HTTP client library costs several times more per request."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    async def send(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if data:
            await self.stream.send_all(data)

    async def next_event(self) -> h11.Event:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    raise ConnectionError("the core closed the connection")
                return event  # type: ignore[return-value]
            self.h11.receive_data(await self.stream.receive_some(RECEIVE_BYTES))


class CoreConnections:
    """Idle connections to the core, each reused while it is younger than ``idle_seconds``
    (below the core's keep-alive timeout, so the core never closes one as it is taken)."""

    def __init__(self, path: str, idle_seconds: float) -> None:
        self.path, self.idle_seconds = path, idle_seconds
        self.idle: list[CoreConnection] = []

    async def take(self) -> CoreConnection:
        now = trio.current_time()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.idle_since < self.idle_seconds:
                return conn
            await conn.stream.aclose()
        return CoreConnection(await trio.open_unix_socket(self.path))

    async def give_back(self, conn: CoreConnection) -> None:
        if conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
            conn.h11.start_next_cycle()
            conn.idle_since = trio.current_time()
            self.idle.append(conn)
        else:
            await conn.stream.aclose()

    async def aclose(self) -> None:
        for conn in self.idle:
            await conn.stream.aclose()
        self.idle.clear()


class ForwardToCore:
    """ASGI app: each request, as it came, to the core; the answer streamed back as it comes
    (the live stream is a long one). The client's address goes in ``X-Forwarded-For``."""

    def __init__(self, core: CoreConnections) -> None:
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        target = scope["raw_path"]
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_FORWARDED]
        headers.append((b"x-forwarded-for", (scope.get("client") or ("",))[0].encode() or b"unknown"))
        conn: CoreConnection | None = None
        try:
            conn = await self.core.take()
            await conn.send(h11.Request(method=scope["method"], target=target, headers=headers))
            if _has_body(scope):
                async for chunk in _body(receive):
                    await conn.send(h11.Data(data=chunk))
            await conn.send(h11.EndOfMessage())
            answer = await conn.next_event()
            while isinstance(answer, h11.InformationalResponse):  # a 100 Continue: the client had its own
                answer = await conn.next_event()
            assert isinstance(answer, h11.Response)
        except HTTPException as refused:  # the body broke a limit (BodyLimits, while it streamed)
            await self._drop(conn)
            return await framework_answer(refused.status_code, refused.detail, refused.headers)(
                scope, receive, send
            )
        except _CORE_FAILED as exc:
            await self._drop(conn)
            log.warning("forwarding %s %s to the core failed: %r", scope["method"], scope["path"], exc)
            return await framework_answer(503, _CORE_DOWN, {"Retry-After": "1"})(scope, receive, send)
        try:
            headers = [(k, v) for k, v in answer.headers if k not in _NOT_RETURNED]
            await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
            while isinstance(event := await conn.next_event(), h11.Data):
                await send({"type": "http.response.body", "body": bytes(event.data), "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except _CORE_FAILED as exc:  # the answer cannot be completed: the client's connection closes
            await self._drop(conn)
            log.warning("the core's answer to %s %s broke off: %r", scope["method"], scope["path"], exc)
            return
        except BaseException:
            await self._drop(conn)
            raise
        await self.core.give_back(conn)

    @staticmethod
    async def _drop(conn: CoreConnection | None) -> None:
        if conn is not None:
            with trio.CancelScope(shield=True):
                await conn.stream.aclose()


def _has_body(scope: Scope) -> bool:
    return any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ConnectionError("the client left before its body arrived")
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body", False):
            return


class WorkerMetrics:
    """This worker's metrics (its loop's steps, the hot reads it answered), served merged into
    the core's ``/metrics``, each sample labelled ``read_worker``."""

    def __init__(self, index: int, loop_watch: LoopWatch) -> None:
        self.index = str(index)
        self.registry = CollectorRegistry()
        self.hot_reads = Counter(
            "mecenate_http_hot_reads",
            "GET requests answered by the hot read path (the handler called without FastAPI's routing)",
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


class WorkerApp:
    """The worker's ASGI app: ``/metrics`` merged, the hot reads answered, the rest forwarded."""

    def __init__(self, reads: ASGIApp, forward: ForwardToCore, metrics: WorkerMetrics) -> None:
        self.reads, self.forward, self.metrics = reads, forward, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/metrics":
            return await self._metrics(scope, receive, send)
        await self.reads(scope, receive, send)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The core's ``/metrics`` (forwarded as any request), with this worker's added."""
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        await self.forward(scope, receive, keep)
        start, *body = answer
        if start["status"] == 200:
            core = b"".join(m.get("body", b"") for m in body).decode()
            body = [{"type": "http.response.body", "body": self.metrics.merged(core)}]
            start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        for message in (start, *body):
            await send(message)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            return await send({"type": "lifespan.shutdown.complete"})


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
    core = CoreConnections(spec.core_socket, idle_seconds=api.keep_alive_timeout_seconds / 2)
    with StoreReader(spec.store, spec.chain_id) as store:
        store.keep_reader(READ_BUDGET_SECONDS)  # this is the event loop's thread: it serves the reads
        forward = ForwardToCore(core)
        limited = BodyLimits(forward, api.body_timeout_seconds, api.max_body_bytes)
        app = WorkerApp(hot_reads(store, spec.chain_id, limited, metrics.hot_reads), forward, metrics)
        try:
            keep_out_of_collections()
            async with trio.open_nursery() as nursery:
                await nursery.start(hypercorn_serve, app, hypercorn_config(api, f"fd://{spec.listen_fd}"))
                sys.stdout.buffer.write(READY)
                sys.stdout.flush()
                await _until_input_ends()
                nursery.cancel_scope.cancel()
        finally:
            with trio.CancelScope(shield=True):
                await core.aclose()


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
    spec = WorkerSpec.from_line(sys.stdin.buffer.readline())
    logging.basicConfig(
        level=spec.log_level,
        format=f"%(asctime)s %(levelname)s read-worker-{spec.index} %(name)s: %(message)s",
    )
    trio.run(run_worker, spec)


if __name__ == "__main__":
    main()
