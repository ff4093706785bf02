"""A deadline on request bodies: the whole body must arrive within a set time of the request.

Hypercorn's ``read_timeout`` bounds each read of the connection, not a body: a client sending a
byte every few seconds passes it forever, and a long read timeout is needed anyway because a
live-stream client rightly sends nothing after its request. So the deadline is kept here, in
the ASGI layer, around the app's reads of the body: when it passes, the request is answered
408 and the connection closed (its unread body makes it unusable).
"""

from __future__ import annotations

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyDeadline:
    """ASGI middleware: a request body not received within ``seconds`` of the request's start
    is answered 408 (through the app's error handlers, so in the usual error shape)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline = anyio.current_time() + self.seconds
        body_done = False

        async def receive_in_time() -> Message:
            nonlocal body_done
            if body_done:  # after the body only a disconnect can come: no deadline on waiting for it
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            raise HTTPException(
                408,
                f"the request body did not arrive within {self.seconds:g} s",
                headers={"Connection": "close"},
            )

        await self.app(scope, receive_in_time, send)
