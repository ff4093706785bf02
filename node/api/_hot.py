"""The polled reads, answered without FastAPI's per-request machinery.

A client polls a feed page or ``/health`` over and over, and every poll walked FastAPI's router
(a regular expression per route), solved the route's dependencies, validated its parameters
through pydantic and validated its answer again before serializing it: about 1 ms of the event
loop's time per request, more than the read itself (a 20-post feed page at 1,000,000 messages
takes 0.4 ms of SQL). Under sustained writes that loop time is what every other request waits
for.

:class:`HotReads` answers the well-formed requests of the routes that declare themselves hot
(``HOT_READS`` in ``_app``) by calling the route's own handler, so what is read, how it is
shaped and encoded is the route's code, not a copy (a :class:`~._models.JSONAnswer` is sent as
the handler encoded it, as FastAPI sends it; a model as pydantic dumps it, the same bytes as
FastAPI renders). The parameters are checked here by the same rules the route declares
(``PATH_PATTERNS``, the route's cursor pattern, ``Limit``'s range), in their plain spelling
only: a request any rule refuses, or spells unusually (percent-escapes, a repeated or unknown
parameter), goes on to FastAPI, which answers it as documented. So does a handler's refusal
(``no_post``, a store that is not ready): the hot path answers successes only, and never a
different one (``tests/api/test_hot_reads.py`` compares the two paths byte for byte).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import Counter
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from node.errors import MecenateError

from ._wire import ADDRESS_PATTERN, ID_PATTERN

#: The rule of each path parameter a hot route may have, by name (as the routes declare them).
PATH_PATTERNS = {
    name: re.compile(pattern)
    for name, pattern in (("address", ADDRESS_PATTERN), ("message_id", ID_PATTERN), ("post_id", ID_PATTERN))
}
#: ``limit`` in its plain spelling: 1 to 200 (the routes' ``Limit``), no sign, no leading zero.
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
LIMIT_MAX = 200
#: A query parameter's value in the plain spelling the hot path takes: no escapes, no ``+``.
_PLAIN = re.compile(r"[0-9A-Za-z.]{1,100}")


@dataclass(frozen=True)
class HotRoute:
    """One route the hot path answers: FastAPI's route (its path regex, its handler, its name
    in the metrics), the pattern of the cursors it issues (``None``: it takes no ``cursor``)."""

    route: RouteContext
    handler: Callable[..., Awaitable[BaseModel | Response]]
    cursor: re.Pattern[str] | None
    takes_limit: bool
    takes_ctx: bool

    def arguments(self, path_params: Mapping[str, str], query: bytes) -> dict[str, Any] | None:
        """The handler's arguments for this request, or ``None`` when the request is not in the
        plain, valid form (FastAPI then answers it)."""
        args: dict[str, Any] = {}
        for name, value in path_params.items():
            if not PATH_PATTERNS[name].fullmatch(value):
                return None
            args[name] = value
        if self.cursor is not None:
            args["cursor"] = None
        if query:
            for pair in query.decode("latin-1").split("&"):
                name, _, value = pair.partition("=")
                if (name in args and args[name] is not None) or not _PLAIN.fullmatch(value):
                    return None
                if name == "limit" and self.takes_limit and _LIMIT.fullmatch(value):
                    if int(value) > LIMIT_MAX:
                        return None
                    args["limit"] = int(value)
                elif name == "cursor" and self.cursor is not None and self.cursor.fullmatch(value):
                    args["cursor"] = value
                else:
                    return None
        return args


class HotRoutes:
    """The hot routes' table: a request's path and query, answered by the route's handler.

    ``cursors`` names the hot routes (by operation id) with the cursor pattern each takes
    (``None``: none); ``answered`` counts the requests answered. The table is built from
    ``routes``, FastAPI's, once every route is in place.
    """

    def __init__(
        self, routes: list[Any], context: object, cursors: Mapping[str, str | None], answered: Counter
    ) -> None:
        self.routes = _hot_routes(routes, cursors)
        self.context = context
        self.answered = answered

    async def answer(self, path: str, query: bytes) -> tuple[bytes, RouteContext] | None:
        """The body of the 200 answer to ``GET path?query`` and its route, or ``None`` when the
        request is not a hot route's in its plain, valid form, or the handler refuses it."""
        for hot in self.routes:
            match = hot.route.path_regex.match(path)
            if match is None:
                continue
            args = hot.arguments(match.groupdict(), query)
            if args is None:
                return None
            if hot.takes_ctx:
                args["ctx"] = self.context
            try:
                answer = await hot.handler(**args)
            except MecenateError:  # a refusal: FastAPI answers it, as documented
                return None
            self.answered.inc()
            body = bytes(answer.body) if isinstance(answer, Response) else answer.model_dump_json().encode()
            return body, hot.route
        return None


class HotReads:
    """ASGI middleware: ``GET`` requests of the hot routes, answered by their handlers directly
    (:class:`HotRoutes`, built on the first request, when every route is in place); any other
    request goes on to ``app``."""

    def __init__(
        self, app: ASGIApp, context: object, cursors: Mapping[str, str | None], answered: Counter
    ) -> None:
        self.app = app
        self.context = context
        self.cursors = cursors
        self.answered = answered
        self.routes: HotRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            if self.routes is None:
                self.routes = HotRoutes(scope["app"].routes, self.context, self.cursors, self.answered)
            answered = await self.routes.answer(scope["path"], scope["query_string"])
            if answered is not None:
                body, scope["route"] = answered  # the request's route in the metrics, as FastAPI sets it
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _hot_routes(routes: list[Any], cursors: Mapping[str, str | None]) -> list[HotRoute]:
    found = {r.name: r for r in iter_route_contexts(routes) if r.methods and "GET" in r.methods}
    missing = set(cursors) - set(found)
    if missing:
        raise LookupError(f"hot reads name routes that do not exist: {sorted(missing)}")
    hot = []
    for name, cursor in cursors.items():
        route = found[name]
        handler = route.endpoint
        if handler is None or not inspect.iscoroutinefunction(handler):
            raise TypeError(f"a hot read's handler must be async (it runs on the loop): {name}")
        parameters = inspect.signature(handler).parameters
        unknown = set(route.path_regex.groupindex) - set(PATH_PATTERNS)
        if unknown:
            raise LookupError(f"hot read {name} has path parameters with no rule here: {sorted(unknown)}")
        hot.append(
            HotRoute(
                route=route,
                handler=handler,
                cursor=None if cursor is None else re.compile(cursor),
                takes_limit="limit" in parameters,
                takes_ctx="ctx" in parameters,
            )
        )
    return hot
