"""Fan-out of accepted messages to live subscribers (the SSE stream, ``GET /v1/stream``).

Hundreds of subscribers must not slow the node down, so:

* each published batch is encoded once, into the SSE bytes every subscriber is sent, in the
  publisher's thread (the store calls its listeners from whichever thread ingested: an API
  worker thread, or the event-loop thread for gossip and sync); the event loop then only hands
  that one bytes object to each subscriber's buffer, through the loop's thread-safe "call soon"
  (``TrioToken.run_sync_soon`` under trio, ``call_soon_threadsafe`` under asyncio, which test
  tools use);
* each subscriber has its own bounded buffer (a memory channel), counted in messages: one that
  falls more than ``buffer`` messages behind is dropped, its backlog discarded, and it is sent
  one last event saying why (``event: dropped``, ``data: {"reason":"slow_consumer",...}``).
  The publisher never waits for a subscriber;
* at most ``max_subscribers`` streams are open at once. A stream counts from its request until
  its response ends (the client left, or was dropped and its connection ended), so the gauge
  falls as soon as a client leaves, not at the next publish.

A client that stops reading altogether blocks its own response in the socket's send; the
server's TCP send timeout (``api.send_timeout_seconds``, see :mod:`node.service`) ends that
connection, and a drop has already freed its buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import sniffio
import trio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from node.messages import SignedMessage

from ._models import MessageOut

#: Seconds between keep-alive comments on an idle stream (proxies drop silent connections).
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": ping\n\n"
#: Why a subscriber was dropped (the ``reason`` of its last event and of the metric).
SLOW_CONSUMER = "slow_consumer"


def encode_events(messages: Iterable[SignedMessage]) -> bytes:
    """``messages`` as SSE ``message`` events (id and the JSON of :class:`MessageOut`).

    ``json.dumps`` escapes to ASCII, so any string a message may hold encodes (a lone
    surrogate would make a UTF-8 encoder fail), and no data line can contain a newline.
    """
    return b"".join(
        b"event: message\nid: 0x%s\ndata: %s\n\n"
        % (m.id.hex().encode(), json.dumps(MessageOut.of(m).model_dump(), separators=(",", ":")).encode())
        for m in messages
    )


def dropped_event(reason: str) -> bytes:
    """The last event a dropped subscriber is sent."""
    detail = "the client fell too far behind the live stream; reconnect and catch up with the REST API"
    return b"event: dropped\ndata: %s\n\n" % json.dumps({"reason": reason, "detail": detail}).encode()


@dataclass(frozen=True)
class _Chunk:
    """One published batch, encoded: the same object goes to every subscriber."""

    data: bytes
    messages: int


class Subscription:
    """One subscriber's buffer: encoded batches it has not yet written, at most ``capacity``
    messages of them (a single batch larger than that is still taken when nothing is pending)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        # Each chunk holds at least one message, so this bound is never the one that bites.
        self._send, self._receive = anyio.create_memory_object_stream[_Chunk](capacity)
        self._pending = 0
        #: Why it was dropped, or ``None`` while it is live.
        self.dropped: str | None = None

    def offer(self, chunk: _Chunk) -> bool:
        """Buffer ``chunk``; ``False`` (nothing buffered) when that would put it too far behind."""
        if self._pending and self._pending + chunk.messages > self.capacity:
            return False
        self._send.send_nowait(chunk)
        self._pending += chunk.messages
        return True

    def drop(self, reason: str) -> None:
        """Stop buffering and discard the backlog; the writer sends the last event and ends."""
        self.dropped = reason
        self._send.close()
        while True:
            try:
                self._receive.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
        self._pending = 0

    async def next(self) -> bytes:
        """The next batch to write; raises ``anyio.EndOfStream`` once dropped or closed."""
        chunk = await self._receive.receive()
        self._pending -= chunk.messages
        return chunk.data

    def close(self) -> None:
        self._send.close()
        self._receive.close()


def _call_soon_threadsafe() -> Callable[..., Any]:
    if sniffio.current_async_library() == "trio":
        return trio.lowlevel.current_trio_token().run_sync_soon
    return asyncio.get_running_loop().call_soon_threadsafe


class Broadcaster:
    """The live stream's fan-out: ``buffer`` messages per subscriber, ``max_subscribers`` at once."""

    def __init__(self, *, buffer: int = 1024, max_subscribers: int = 1000) -> None:
        self._buffer = buffer
        self._max_subscribers = max_subscribers
        self._call_soon: Callable[..., Any] | None = None
        self._subscriptions: set[Subscription] = set()
        #: Subscribers dropped so far, by reason (a metric).
        self.dropped: Counter[str] = Counter()

    def bind(self) -> None:
        """Attach to the running event loop; call once from inside it before publishing."""
        self._call_soon = _call_soon_threadsafe()

    @property
    def subscribers(self) -> int:
        """Open streams, dropped ones included until their response has ended."""
        return len(self._subscriptions)

    def publish(self, messages: list[SignedMessage]) -> None:
        """Queue ``messages`` for every subscriber; callable from any thread, never blocks on one."""
        if self._call_soon is None or not self._subscriptions:
            return
        chunk = _Chunk(encode_events(messages), len(messages))
        with contextlib.suppress(trio.RunFinishedError, RuntimeError):  # the loop has ended: nobody listens
            self._call_soon(self._fan_out, chunk)

    def _fan_out(self, chunk: _Chunk) -> None:
        for sub in list(self._subscriptions):
            if sub.dropped is None and not sub.offer(chunk):
                sub.drop(SLOW_CONSUMER)
                self.dropped[SLOW_CONSUMER] += 1

    def subscribe(self) -> Subscription | None:
        """A new subscriber's buffer, receiving every message published from now on; ``None``
        when ``max_subscribers`` streams are open. Pass it to :meth:`unsubscribe` when done."""
        if len(self._subscriptions) >= self._max_subscribers:
            return None
        sub = Subscription(self._buffer)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)
        sub.close()


class EventStream(StreamingResponse):
    """The response of one subscriber: SSE events until the client leaves or is dropped.

    Written as a plain ASGI response (one task writing, one waiting for the disconnect) rather
    than a generator endpoint: each buffered batch goes out in one write, and the subscription
    ends the moment the client disconnects, even when nothing is being published.
    """

    media_type = "text/event-stream"

    def __init__(self, broadcaster: Broadcaster, subscription: Subscription) -> None:
        # No body iterator: __call__ writes the stream itself (and no Content-Length is set).
        super().__init__((), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._broadcaster = broadcaster
        self._sub = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._cancel_on_disconnect, receive, tasks.cancel_scope)
                await self._write(send)
                tasks.cancel_scope.cancel()
        finally:
            self._broadcaster.unsubscribe(self._sub)

    async def _write(self, send: Send) -> None:
        while True:
            data = KEEPALIVE
            with anyio.move_on_after(KEEPALIVE_SECONDS):
                try:
                    data = await self._sub.next()
                except anyio.EndOfStream:
                    break
            await send({"type": "http.response.body", "body": data, "more_body": True})
        last = dropped_event(self._sub.dropped) if self._sub.dropped else b""
        await send({"type": "http.response.body", "body": last, "more_body": False})

    @staticmethod
    async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()
