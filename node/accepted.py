"""The accepted-messages service: every store change, one hop onto the event loop, fanned out.

``Store.ingest`` runs in worker threads (API handlers, gossip and sync ingest, grant rounds)
and reports what each commit added and removed, and where the batch came from. The parts of
the node that act on it live on the one trio event loop: the p2p service (its sync index and
the gossip it publishes), the live stream (``GET /v1/stream``) and the grant service. This
module is the only place where a report crosses from the ingesting thread to the loop:

* :func:`serve` registers one store listener. It hands each report to the loop with
  ``TrioToken.run_sync_soon`` (non-blocking, first in first out, so reports reach the loop in
  the order the listener saw them); ingest never waits for the loop or for a subscriber.
* On the loop, :class:`AcceptedFeed` offers the report to every :class:`Subscription`: a
  bounded trio memory channel per subscriber, sized by the subscriber. Nothing is encoded or
  copied here; a subscriber that needs work proportional to a batch (SSE encoding, wire
  encoding for gossip) does it in a worker thread of its own.

A slow subscriber. When a subscriber's buffer is full, the feed stops buffering for it and
counts what it misses; once the subscriber has read what was buffered before the gap, it
receives one :class:`Gap` (how many reports it missed) and then the reports that follow.
A gap means "your view may be stale: resync from the store", and each subscriber says what
that is for it (the live stream drops its clients, who reconnect and catch up over REST; the
p2p service rebuilds its sync index in a worker thread and syncs with its peers at once; the
grant service reconciles every held post). The feed never blocks ingest and never drops a
report without telling the subscriber that missed it.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import trio

from node.store import IngestReport, Store

log = logging.getLogger(__name__)

__all__ = ["AcceptedFeed", "Delivery", "Gap", "Subscription", "serve"]


@dataclass(frozen=True, slots=True)
class Gap:
    """What a subscriber receives in place of the reports it missed while its buffer was full."""

    #: How many reports it missed.
    missed: int


Delivery = IngestReport | Gap


class Subscription:
    """One subscriber's bounded buffer of reports; read it with ``async for``.

    Created by :meth:`AcceptedFeed.subscribe`. Trio-thread only.
    """

    def __init__(self, name: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"{name}: a subscription holds at least 1 report, not {capacity!r}")
        self.name = name
        self.capacity = capacity
        self._send, self._receive = trio.open_memory_channel[IngestReport](capacity)
        self._missed = 0  # reports dropped since the buffer filled; a Gap is owed when > 0
        #: Reports dropped for this subscriber so far, and gaps it was told of (metrics, tests).
        self.missed_total = 0
        self.gaps = 0

    def _offer(self, report: IngestReport) -> None:
        if self._missed:  # behind: buffer nothing until the subscriber has seen its gap
            self._missed += 1
            self.missed_total += 1
            return
        try:
            self._send.send_nowait(report)
        except trio.WouldBlock:
            self._missed = 1
            self.missed_total += 1
            log.warning("%s fell behind the accepted-messages feed; it will resync", self.name)
        except trio.ClosedResourceError:  # the subscriber has finished: nothing to tell it
            pass

    async def receive(self) -> Delivery:
        """The next report, or a :class:`Gap` once the reports buffered before it are read."""
        try:
            return self._receive.receive_nowait()
        except trio.WouldBlock:
            if self._missed:
                gap, self._missed = Gap(self._missed), 0
                self.gaps += 1
                return gap
        return await self._receive.receive()

    def buffered(self) -> int:
        """Reports waiting to be read."""
        return self._receive.statistics().current_buffer_used

    def close(self) -> None:
        self._send.close()

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._deliveries()

    async def _deliveries(self) -> AsyncIterator[Delivery]:
        while True:
            try:
                yield await self.receive()
            except trio.EndOfChannel:
                return


class AcceptedFeed:
    """The fan-out of store reports to the node's parts; reported by :func:`serve`."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self, name: str, capacity: int) -> Subscription:
        """A new subscriber (``name`` for logs) buffering up to ``capacity`` reports; it receives
        every report the store makes from now on."""
        sub = Subscription(name, capacity)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)
        sub.close()

    @contextlib.contextmanager
    def subscription(self, name: str, capacity: int) -> Iterator[Subscription]:
        """:meth:`subscribe` for the length of a ``with`` block."""
        sub = self.subscribe(name, capacity)
        try:
            yield sub
        finally:
            self.unsubscribe(sub)

    def statistics(self) -> dict[str, dict[str, int]]:
        """Per subscriber: reports buffered, reports missed, gaps told."""
        return {
            s.name: {"buffered": s.buffered(), "missed": s.missed_total, "gaps": s.gaps}
            for s in self._subscriptions
        }

    def publish(self, report: IngestReport) -> None:
        """Offer ``report`` to every subscriber (trio thread; :func:`serve`'s hop calls it)."""
        for sub in list(self._subscriptions):
            sub._offer(report)


async def serve(
    store: Store, *, task_status: trio.TaskStatus[AcceptedFeed] = trio.TASK_STATUS_IGNORED
) -> None:
    """Feed ``store``'s reports to subscribers until cancelled; reports the :class:`AcceptedFeed`.

    Start it before the parts that subscribe, so none misses a report made after it starts.
    """
    feed = AcceptedFeed()
    token = trio.lowlevel.current_trio_token()

    def hop(report: IngestReport) -> None:  # runs in the ingesting thread, after its commit
        with contextlib.suppress(trio.RunFinishedError):  # the loop has ended: nobody listens
            token.run_sync_soon(feed.publish, report)

    remove = store.add_listener(hop)
    try:
        task_status.started(feed)
        await trio.sleep(math.inf)
    finally:
        remove()
        for sub in list(feed._subscriptions):
            feed.unsubscribe(sub)
