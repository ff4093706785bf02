"""The benchmarks' HTTP load generator: keep-alive connections, paced and closed-loop load.

The load generator shares the 2 cores with the server it measures, so it speaks HTTP/1.1
itself over keep-alive trio sockets: a full client library costs more CPU per request than the
server does.
"""

from __future__ import annotations

import trio


class Connection:
    """One keep-alive HTTP/1.1 connection. The load generator speaks HTTP itself because a
    full client (httpx) costs more CPU per request than the server does, on the same 2 cores."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._stream: trio.SocketStream | None = None
        self._buffer = b""

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self._stream is None:
            self._stream = await trio.open_tcp_stream(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        await self._stream.send_all(head.encode() + b"\r\n" + body)
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += await self._receive()
        header, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += await self._receive()
        self._buffer = rest[length:]
        return int(header[9:12])

    async def _receive(self) -> bytes:
        assert self._stream is not None
        chunk = await self._stream.receive_some(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk


class Pool:
    """Idle connections to one server, opened on demand, at most ``size``."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.slots = trio.Semaphore(size)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        async with self.slots:
            # A kept-alive connection the server has since closed (idle timeout) fails at once:
            # retry on a fresh one, as any HTTP client does. A fresh one failing is an error (0).
            while True:
                reused = bool(self.idle)
                conn = self.idle.pop() if reused else Connection(self.host, self.port)
                try:
                    status = await conn.request(method, path, body)
                except (OSError, ConnectionError, trio.BrokenResourceError):
                    if reused:
                        continue
                    return 0
                self.idle.append(conn)
                return status


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (0 when there are none: nothing was asked)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies, default=0.0),
    }


async def open_loop(pool: Pool, paths: list[str], rate: float, seconds: float) -> dict:
    """GET requests at a fixed rate; latency counted from each one's scheduled start."""

    async def get(i: int) -> bool:
        return await pool.request("GET", paths[i % len(paths)]) == 200

    return await paced(get, rate, seconds)


async def paced(make_request, rate: float, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    """``make_request(i)`` (true when it succeeded) at a fixed rate, whatever the answers take;
    latency counted from each one's scheduled start, so a stalled server cannot hide its
    queueing (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    start = trio.current_time()

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        errors += not await make_request(i)
        latencies.append(trio.current_time() - scheduled)

    async with trio.open_nursery() as nursery:
        # Each request is started at its time (spawning them all up front is a burst of work in
        # this process that delays the first ones); a late start still counts in its latency.
        for i in range(int(rate * seconds)):
            scheduled = start + i / rate
            await trio.sleep_until(scheduled)
            nursery.start_soon(one, i, scheduled)
    return summary(latencies, errors, trio.current_time() - start)


async def closed_loop(make_request, concurrency: int, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    """``concurrency`` clients, each sending its next request when the last one is answered."""
    latencies: list[float] = []
    errors = 0
    deadline = trio.current_time() + seconds

    async def worker() -> None:
        nonlocal errors
        while trio.current_time() < deadline:
            t = trio.current_time()
            errors += not await make_request()
            latencies.append(trio.current_time() - t)

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(worker)
    return summary(latencies, errors, trio.current_time() - start)


class StreamClient:
    """One live-stream client: reads ``GET /v1/stream`` and hands what arrives, in order, to
    :meth:`received` (the head's leftover first, then each chunk as it comes)."""

    async def run(self, host: str, port: int, *, task_status=trio.TASK_STATUS_IGNORED) -> None:  # type: ignore[no-untyped-def]
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive_some(4096)
            if not head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(f"stream refused: {head.splitlines()[0]!r}")
            task_status.started()
            self.received(head.partition(b"\r\n\r\n")[2])
            while chunk := await stream.receive_some(65536):
                self.received(chunk)

    def received(self, data: bytes) -> None:
        raise NotImplementedError
