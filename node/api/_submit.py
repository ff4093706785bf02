"""``POST /v1/messages``, answered without FastAPI's per-request machinery when well-formed.

Under sustained writes (``benchmarks/writes.py``) a sixth of a node's CPU went to each submit's
way through FastAPI and Starlette: the middleware stack, routing, dependency solving, the
request object, validating the answer again before serializing it. :class:`HotSubmit` takes the submits sent
in the plain form (``Content-Type: application/json``, a body that parses as JSON and passes the
route's own model, :data:`~._wire.MessageIn`) and hands them to the route's own work
(``submit`` in ``_app``), so what is checked, stored, counted and answered is the route's code,
not a copy: 201 or 200 with the same bytes, and a refusal (422 with its reason, 503 when the
store fails) through the same error answer as FastAPI's handler (:func:`~._errors.domain_answer`).

Anything else goes on to FastAPI with the body exactly as received, replayed: another content
type, a body that is not JSON or does not fit the schema (FastAPI names the fields), one too
large or too slow (:class:`~._body.BodyLimits` refused it while it was read here: FastAPI meets
the same refusal at the same point), a client that went away. So every refusal of a request is
FastAPI's, as documented; ``tests/api/test_submit.py`` compares the two paths byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import Counter
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.errors import MecenateError

from ._errors import domain_answer
from ._wire import MessageIn

#: The path and the route (by operation id) of the submits taken here.
SUBMIT_PATH = "/v1/messages"
SUBMIT_ROUTE = "submit_message"
_MESSAGE: TypeAdapter[Any] = TypeAdapter(MessageIn)

#: ``submit(message)``: the route's work for a parsed message; its status and answer, or a
#: domain error (:class:`~node.errors.MecenateError`) to answer.
Submit = Callable[[Any], Awaitable[tuple[int, BaseModel]]]


class HotSubmit:
    """ASGI middleware: a plain ``POST /v1/messages`` handed to ``submit`` directly (``answered``
    counts them); any other request goes on to ``app``, its body replayed when it was read."""

    def __init__(self, app: ASGIApp, submit: Submit, answered: Counter) -> None:
        self.app = app
        self.submit = submit
        self.answered = answered
        self.route: Any = None  # FastAPI's route, found on the first submit (every route in place)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == SUBMIT_PATH
            and _plain_json(scope["headers"])
        ):
            return await self.app(scope, receive, send)
        received: list[Message] = []
        try:
            body = await _read_body(receive, received)
        except Exception as exc:  # a refusal of the body (413, 408): FastAPI meets it too
            return await self.app(scope, _replay(received, receive, exc), send)
        message = _parse(body) if body is not None else None
        if message is None:
            return await self.app(scope, _replay(received, receive, None), send)
        if self.route is None:
            self.route = _route(scope["app"].routes)
        scope["route"] = self.route  # the request's route in the metrics, as FastAPI sets it
        try:
            status, answer = await self.submit(message)
        except MecenateError as exc:
            self.answered.inc()
            await domain_answer(exc, scope["method"], scope["path"])(scope, receive, send)
            return
        self.answered.inc()
        content = answer.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(content)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _plain_json(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request declares one content type, ``application/json`` as spelled here."""
    types = [value for name, value in headers if name.lower() == b"content-type"]
    return types == [b"application/json"]


async def _read_body(receive: Receive, received: list[Message]) -> bytes | None:
    """The whole body, each message received kept in ``received``; ``None`` when the client
    went away first."""
    chunks = []
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse(body: bytes) -> Any | None:
    """The message in ``body``, parsed as FastAPI parses it (``json.loads``, then the route's
    model), or ``None`` when FastAPI would refuse it."""
    if not body:
        return None
    try:
        return _MESSAGE.validate_python(json.loads(body))
    except (ValueError, ValidationError):  # (json's errors are ValueErrors, UnicodeDecodeError too)
        return None


def _replay(received: list[Message], receive: Receive, failure: Exception | None) -> Receive:
    """``receive`` for the app, as if it read first: the messages already received, then
    ``failure`` raised again if reading failed, then the client's."""
    pending = list(received)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        if failure is not None:
            raise failure
        return await receive()

    return replayed


def _route(routes: list[Any]) -> Any:
    for route in iter_route_contexts(routes):
        if route.name == SUBMIT_ROUTE:
            return route
    raise LookupError(f"the hot submit path names a route that does not exist: {SUBMIT_ROUTE}")
