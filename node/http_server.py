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
  ``keep_alive_timeout`` (Hypercorn's idle timer runs until a request's head is complete); a
  request body has a deadline in the app (:mod:`node.api`, ``body_timeout_seconds``); a peer
  that stops taking response bytes is cut by the kernel after ``send_timeout_seconds``
  (``TCP_USER_TIMEOUT`` on the listening socket, inherited by every accepted one), since
  Hypercorn writes without a timeout and shields the write from cancellation.
* Hypercorn has no cap on concurrent connections; each one is bounded in time by the above and
  the live stream caps its own subscribers. The process's descriptor limit is the final bound.
"""

from __future__ import annotations

import logging
import socket

import h11
import trio
from hypercorn.config import Config, Sockets
from hypercorn.protocol.h11 import H11Protocol
from starlette.types import ASGIApp, Message, Scope

from node.config import ApiSettings

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


def hypercorn_config(api: ApiSettings) -> Config:
    """Hypercorn's config for the node's API, from its settings."""
    _serve_http1_only()
    config = _NodeConfig()
    config.bind = [f"{api.host}:{api.port}"]
    config.accesslog = None
    config.loglevel = logging.getLevelName(logging.getLogger().getEffectiveLevel())  # follow --log-level
    config.graceful_timeout = GRACEFUL_TIMEOUT_SECONDS
    config.alpn_protocols = ["http/1.1"]  # under TLS too
    config.keep_alive_timeout = api.keep_alive_timeout_seconds
    config.send_timeout_seconds = api.send_timeout_seconds
    return config


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
