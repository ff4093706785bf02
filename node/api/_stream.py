"""Fan-out of accepted messages to live subscribers (the SSE stream, ``GET /v1/stream``).

Hundreds of subscribers must not slow the node down, so:

* the :class:`Broadcaster` is one subscriber of the node's accepted-messages feed
  (:mod:`node.accepted`, which brings each store report onto the event loop); it encodes each
  report's messages once, in a worker thread, into the SSE bytes every client is sent, and
  the event loop then only hands that one bytes object to each client's buffer;
* each client has its own bounded buffer (a memory channel), counted in messages: one that
  falls more than ``buffer`` messages behind is dropped, its backlog discarded, and it is sent
  one last event saying why (``event: dropped``, ``data: {"reason":"slow_consumer",...}``).
  The broadcaster never waits for a client;
* when the broadcaster itself falls more than ``FEED_BUFFER`` reports behind the feed (the
  feed tells it how many it missed), every client is dropped the same way with the reason
  ``lagged``: each would otherwise miss messages without knowing. Clients reconnect and catch
  up with the REST API, as after any drop; ingest never waits for the stream;
* at most ``max_subscribers`` streams are open at once. A stream counts from its request until
  its response ends (the client left, or was dropped and its connection ended), so the gauge
  falls as soon as a client leaves, not at the next publish.

A client that stops reading altogether blocks its own response in the socket's send; the
server's TCP send timeout (``api.send_timeout_seconds``, see :mod:`node.service`) ends that
connection, and a drop has already freed its buffer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import trio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from node.accepted import AcceptedFeed, Gap
from node.messages import SignedMessage

from ._models import message_out

#: Seconds between keep-alive comments on an idle stream (proxies drop silent connections).
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": ping\n\n"
#: Why a subscriber was dropped (the ``reason`` of its last event and of the metric), and what
#: its last event tells it.
SLOW_CONSUMER = "slow_consumer"
LAGGED = "lagged"
DROP_DETAILS = {
    SLOW_CONSUMER: "the client fell too far behind the live stream; reconnect and catch up with the REST API",
    LAGGED: "the node fell behind its own live stream; reconnect and catch up with the REST API",
}
#: Store reports (ingest batches) the broadcaster may fall behind the accepted-messages feed
#: by before it drops every client (``lagged``).
FEED_BUFFER = 1024


def encode_events(messages: Iterable[SignedMessage]) -> bytes:
    """``messages`` as SSE ``message`` events (id and the JSON of :class:`MessageOut`).

    ``json.dumps`` escapes to ASCII, so any string a message may hold encodes (a lone
    surrogate would make a UTF-8 encoder fail), and no data line can contain a newline.
    """
    return b"".join(
        b"event: message\nid: 0x%s\ndata: %s\n\n"
        % (m.id.hex().encode(), json.dumps(message_out(m), separators=(",", ":")).encode())
        for m in messages
    )


def dropped_event(reason: str) -> bytes:
    """The last event a dropped subscriber is sent."""
    detail = DROP_DETAILS[reason]
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


class Broadcaster:
    """The live stream's fan-out: ``buffer`` messages per subscriber, ``max_subscribers`` at once.
    :meth:`serve` feeds it."""

    def __init__(self, *, buffer: int = 1024, max_subscribers: int = 1000) -> None:
        self._buffer = buffer
        self._max_subscribers = max_subscribers
        self._subscriptions: set[Subscription] = set()
        #: Subscribers dropped so far, by reason (a metric).
        self.dropped: Counter[str] = Counter()

    @property
    def subscribers(self) -> int:
        """Open streams, dropped ones included until their response has ended."""
        return len(self._subscriptions)

    async def serve(
        self,
        feed: AcceptedFeed,
        *,
        feed_buffer: int = FEED_BUFFER,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Stream what the node's accepted-messages ``feed`` delivers to every subscriber,
        until the feed ends; a trio service for ``nursery.start``. More than ``feed_buffer``
        reports behind, it drops every subscriber (``lagged``)."""
        with feed.subscription("live stream", feed_buffer) as reports:
            task_status.started()
            async for delivery in reports:
                if isinstance(delivery, Gap):
                    self._drop_all(LAGGED)
                elif delivery.accepted and self._subscriptions:
                    messages = delivery.accepted
                    data = await trio.to_thread.run_sync(encode_events, messages)
                    self._fan_out(_Chunk(data, len(messages)))

    def _fan_out(self, chunk: _Chunk) -> None:
        for sub in list(self._subscriptions):
            if sub.dropped is None and not sub.offer(chunk):
                sub.drop(SLOW_CONSUMER)
                self.dropped[SLOW_CONSUMER] += 1

    def _drop_all(self, reason: str) -> None:
        for sub in list(self._subscriptions):
            if sub.dropped is None:
                sub.drop(reason)
                self.dropped[reason] += 1

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
