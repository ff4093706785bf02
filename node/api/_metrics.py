"""Prometheus metrics of one node, in a registry of its own (so several nodes fit one process)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Receive, Scope, Send

from node.loopwatch import LoopWatchCollector
from node.store import IngestReport

from ._context import ApiContext


def request_metrics(registry: CollectorRegistry) -> tuple[Histogram, Counter]:
    """Request latencies by route, and the requests the hot read path answered, in
    ``registry``: the core's, and each read worker's (``node.read_worker``), whose
    ``/metrics`` shows both."""
    latency = Histogram(
        "mecenate_http_request_seconds",
        "HTTP request latency by route template",
        ["method", "route"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    )
    hot_reads = Counter(
        "mecenate_http_hot_reads",
        "GET requests answered by the hot read path (the handler called without FastAPI's routing)",
        registry=registry,
    )
    return latency, hot_reads


class Metrics:
    def __init__(self, ctx: ApiContext) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "mecenate_messages_ingested",
            "Messages submitted through the API, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.latency, self.hot_reads = request_metrics(self.registry)
        self.hot_submits = Counter(
            "mecenate_http_hot_submits",
            "POST /v1/messages answered by the hot submit path (the route's work called without FastAPI's)",
            registry=self.registry,
        )
        stored = Gauge("mecenate_messages_stored", "Messages in the store", registry=self.registry)
        stored.set_function(lambda: len(ctx.store))
        streams = Gauge("mecenate_stream_subscribers", "Live stream subscribers", registry=self.registry)
        streams.set_function(lambda: ctx.broadcaster.subscribers)
        self.registry.register(
            _DictCollector(
                "mecenate_stream_dropped",
                "Live stream subscribers dropped, by reason",
                lambda: ctx.broadcaster.dropped,
            )
        )
        self.registry.register(
            _DictCollector(
                "mecenate_store_lane",
                "The store's write lane: calls handed to it, and wakes of its thread (one wake runs"
                " every call queued meanwhile)",
                lambda: {"calls": ctx.store.lane.calls, "wakes": ctx.store.lane.wakes},
            )
        )
        if ctx.p2p is not None:
            p2p = ctx.p2p
            peers = Gauge("mecenate_peers", "Connected libp2p peers", registry=self.registry)
            peers.set_function(lambda: len(p2p.connected_peers()))
            self.registry.register(
                _DictCollector(
                    "mecenate_gossip",
                    "Gossip counters of the p2p service, by kind",
                    lambda: p2p.status().get("gossip", {}),
                )
            )
        if ctx.loop_watch is not None:
            self.registry.register(LoopWatchCollector(ctx.loop_watch))
        if ctx.chain is not None:
            chain = ctx.chain
            block = Gauge(
                "mecenate_indexed_block", "Last block the chain indexer confirmed", registry=self.registry
            )
            block.set_function(lambda: chain.indexed_block or 0)
            self.registry.register(
                _DictCollector(
                    "mecenate_chain_indexed",
                    "Confirmed chain events indexed, by kind (tips, trades, ...)",
                    chain.counts,
                )
            )

    def count(self, report: IngestReport) -> None:
        for outcome, n in report.counts.items():
            if n:
                self.ingested.labels(outcome).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _DictCollector:
    """Exposes a ``{kind: number}`` snapshot, read at scrape time, as one labelled gauge family."""

    def __init__(self, name: str, documentation: str, read: Callable[[], Mapping[str, int]]) -> None:
        self._name, self._documentation, self._read = name, documentation, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self._name, self._documentation, labels=["kind"])
        for kind, value in sorted(self._read().items()):
            if isinstance(value, (int, float)):
                family.add_metric([kind], value)
        yield family


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class TimingMiddleware:
    """Plain ASGI middleware timing each HTTP request by its route template (no body copies,
    unlike Starlette's ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.latency = metrics.latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("state", {}).get("warm_up"):  # the node's own, at start
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # bounded label set
            self.latency.labels(method, route).observe(time.perf_counter() - start)
