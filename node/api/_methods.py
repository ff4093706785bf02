"""Which methods a path has, decided before routing: a literal path is never a parameter's value.

The router tries routes in order and takes the first whose pattern and method both match, so
``GET /v1/messages/batch`` (a path declared for ``POST`` only) would be served by
``GET /v1/messages/{message_id}`` with ``batch`` as the id; and a path declared by several
routes (``GET`` and ``POST /v1/admin/peers``) answered an undeclared method's 405 with the
``Allow`` of the first route only. :class:`MethodGuard` answers both from the declared paths:
a request path spelled out by a route is that path, whatever other route's parameters would
also match it; a method the path does not declare gets 405 with every method it does in
``Allow``. Anything else (no declared path matches: 404) is left to the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi.routing import iter_route_contexts
from starlette.applications import Starlette
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from ._errors import framework_answer


class Paths:
    """The declared paths: ``(path template, its regex, methods)`` of each route.

    A request path is looked up among the literal paths first (a dict), then among the
    templates of its shape only: as many segments, and the same last segment when a template
    spells it out (``/v1/users/{address}/feed``), so a request tries one or two patterns, not all.
    """

    def __init__(self, routes: Iterable[tuple[str, re.Pattern[str], Iterable[str]]]) -> None:
        self.literal: dict[str, frozenset[str]] = {}
        templated: dict[str, tuple[str, re.Pattern[str], set[str]]] = {}
        for path, regex, methods in routes:
            if "{" not in path:
                self.literal[path] = self.literal.get(path, frozenset()) | frozenset(methods)
            else:
                templated.setdefault(regex.pattern, (path, regex, set()))[2].update(methods)
        self.templated: dict[tuple[int, str | None], list[tuple[re.Pattern[str], frozenset[str]]]] = {}
        for path, regex, methods in templated.values():
            self.templated.setdefault(_shape(path), []).append((regex, frozenset(methods)))

    def methods(self, path: str) -> frozenset[str] | None:
        """The methods declared for ``path``, or ``None`` when no declared path matches it."""
        found = self.literal.get(path)
        if found is not None:
            return found
        count, last = _shape(path)
        candidates = self.templated.get((count, last), []) + self.templated.get((count, None), [])
        matched = [methods for regex, methods in candidates if regex.match(path)]
        return frozenset().union(*matched) if matched else None


def _shape(path: str) -> tuple[int, str | None]:
    """How many segments ``path`` has, and its last one (``None`` for a template's parameter)."""
    count = path.count("/")
    last = path[path.rfind("/") + 1 :]
    return count, None if last.startswith("{") else last


class MethodGuard:
    """ASGI middleware: 405 with ``Allow`` for a method the request's path does not declare,
    deciding by :class:`Paths` (built on the first request, when every route is in place)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: Paths | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.paths is None:
                self.paths = _declared(scope["app"])
            allowed = self.paths.methods(get_route_path(scope))
            if allowed is not None and scope["method"] not in allowed:
                allow = ", ".join(sorted(allowed))
                answer = framework_answer(405, "Method Not Allowed", {"Allow": allow})
                return await answer(scope, receive, send)
        await self.app(scope, receive, send)


def _declared(app: Starlette) -> Paths:
    routes = []
    for route in iter_route_contexts(app.routes):
        path, regex, methods = (
            getattr(route, name, None) for name in ("path_format", "path_regex", "methods")
        )
        if path and regex is not None and methods:
            routes.append((path, regex, methods))
    return Paths(routes)
