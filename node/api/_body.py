"""Limits on request bodies: a size, and a deadline by which the whole body must arrive.

Hypercorn's ``read_timeout`` bounds each read of the connection, not a body: a client sending a
byte every few seconds passes it forever, and a long read timeout is needed anyway because a
live-stream client rightly sends nothing after its request. So the deadline is kept here, in
the ASGI layer, around the app's reads of the body: when it passes, the request is answered
408 and the connection closed (its unread body makes it unusable).

The size is kept here too, rather than by the framework's limiter, whose 413 is plain text: a
body declared (``Content-Length``) or found larger than the limit is answered 413, through the
app's error handlers, so in the usual error shape, and the connection is closed.
"""

from __future__ import annotations

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimits:
    """ASGI middleware: a request body larger than ``max_bytes`` is answered 413, one not
    received within ``seconds`` of the request's start 408 (both through the app's error
    handlers, so in the usual error shape)."""

    def __init__(self, app: ASGIApp, seconds: float, max_bytes: int) -> None:
        self.app = app
        self.seconds = seconds
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline = anyio.current_time() + self.seconds
        declared = Headers(scope=scope).get("content-length", "")
        received = int(declared) if declared.isascii() and declared.isdigit() else 0
        body_done = False

        async def receive_in_time() -> Message:
            nonlocal body_done, received
            if body_done:  # after the body only a disconnect can come: no deadline on waiting for it
                return await receive()
            if received > self.max_bytes:
                raise self._too_large()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                if not (declared.isascii() and declared.isdigit()):
                    received += len(message.get("body", b""))
                    if received > self.max_bytes:
                        raise self._too_large()
                return message
            raise HTTPException(
                408,
                f"the request body did not arrive within {self.seconds:g} s",
                headers={"Connection": "close"},
            )

        await self.app(scope, receive_in_time, send)

    def _too_large(self) -> HTTPException:
        return HTTPException(
            413, f"the request body is larger than {self.max_bytes} bytes", headers={"Connection": "close"}
        )
