"""Domain errors to HTTP answers, in one place: handlers raise, this module answers.

Whose fault decides the status: the caller's (4xx, with the reason and a clear message), a
gate's (403; 401 for a bad unlock challenge, 429 when too many are pending), ours for now
(503, with ``Retry-After``), a peer's (502, 504 when it does not answer), or a service below
us (503 for the chain and the store, 500 only for real bugs). Every answer has one shape,
:class:`~node.api._models.ErrorOut`: ``{error, reason, detail}`` (plus ``fields`` for a
request that does not fit the schema).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from node.errors import (
    AccessDenied,
    ChainError,
    ChallengeRefused,
    ConfigError,
    GateRefused,
    InvalidInput,
    InvalidMessage,
    InvalidRequest,
    MecenateError,
    NotFound,
    PeerTimedOut,
    PeerUnreachable,
    ServiceUnavailable,
    StoreError,
    TooManyPending,
    WrongAdminToken,
)
from node.messages import TYPES, Reason

from ._models import ErrorOut

#: Seconds a client is asked to wait before it retries what the node could not serve now.
RETRY_AFTER_SECONDS = 10

#: Domain errors as HTTP statuses and headers, most specific first: the first class an error
#: is an instance of decides; an error of no class listed is a bug (500).
ANSWERS: tuple[tuple[type[MecenateError], int, Mapping[str, str]], ...] = (
    (TooManyPending, 429, {}),
    (InvalidRequest, 422, {}),
    (InvalidMessage, 422, {}),
    (InvalidInput, 400, {}),
    (NotFound, 404, {}),
    (WrongAdminToken, 401, {"WWW-Authenticate": "Bearer"}),
    (AccessDenied, 403, {}),
    (ChallengeRefused, 401, {}),
    (GateRefused, 403, {}),
    (ServiceUnavailable, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}),
    (PeerTimedOut, 504, {}),
    (PeerUnreachable, 502, {}),
    (ChainError, 503, {}),
    (StoreError, 503, {}),
    (ConfigError, 500, {}),
)


def answer_for(kind: type[MecenateError]) -> tuple[int, Mapping[str, str]]:
    """The HTTP status and headers of a domain error of class ``kind``."""
    for cls, status, headers in ANSWERS:
        if issubclass(kind, cls):
            return status, headers
    return 500, {}


_STORE_FAILED = "the node's store failed to answer; try again later (the node's log says why)"
log = logging.getLogger("node.api")


def _snake(phrase: str) -> str:
    return re.sub(r"\W+", "_", phrase.strip().lower())


def install(app: FastAPI) -> None:
    """Answer every error in the one shape: domain errors by :data:`ANSWERS`, a request that
    does not fit the schema as :class:`~node.errors.InvalidRequest`, and the framework's own
    (an unknown route, a body too large or too slow) by their status."""

    @app.exception_handler(MecenateError)
    async def _domain_error(request: Request, exc: MecenateError) -> JSONResponse:
        return domain_answer(exc, request.method, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad value ("input"); a body may carry a secret (a
        # content key handed to the node), so a refusal names the field and the rule, not the value.
        # A message's place is its place in the JSON sent: without the union's tag (its type
        # name, which the validator adds to the path: ``body.Post.chainId``).
        fields = [
            {"type": e["type"], "loc": [p for p in e["loc"] if p not in TYPES], "msg": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in fields)
        return await _domain_error(request, InvalidRequest(detail, fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return framework_answer(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    generate = app.openapi
    documented: list[dict[str, Any]] = []  # the document as generated last, once written into

    def openapi() -> dict[str, Any]:
        spec = generate()
        if not documented or documented[0] is not spec:
            document(app, spec)
            documented[:] = [spec]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def domain_answer(exc: MecenateError, method: str, path: str) -> JSONResponse:
    """The answer to a domain error raised while serving ``method path``: its status and
    headers by :data:`ANSWERS`, in the one shape. A store failure is logged, and answered
    without its text (which names files of the data dir and SQLite's words: for the operator)."""
    status, headers = answer_for(type(exc))
    detail = exc.detail
    if isinstance(exc, StoreError):
        log.warning("%s %s: %s", method, path, detail)
        detail = _STORE_FAILED
    body: dict[str, Any] = {"error": type(exc).__name__, "reason": exc.reason, "detail": detail}
    if isinstance(exc, InvalidRequest):
        body["fields"] = exc.fields
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=dict(headers))


def framework_error(status: int) -> tuple[str, str]:
    """``error`` and ``reason`` of the framework's own answers (405, 408, 413, an unknown
    route's 404): the status's name, in the one shape."""
    phrase = HTTPStatus(status).phrase if status in _KNOWN else "HTTP error"
    return phrase.replace(" ", ""), _snake(phrase)


def framework_answer(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    error, reason = framework_error(status)
    body = {"error": error, "reason": reason, "detail": detail}
    return JSONResponse(body, status_code=status, headers=None if headers is None else dict(headers))


_KNOWN = {int(status) for status in HTTPStatus}


# ---------------------------------------------------------------- the document


F = TypeVar("F", bound=Callable[..., Any])
#: A refusal a route declares: an error class, alone (its own reason code) or with the reason
#: codes it is raised with there (``(NotFound, "no_post")``).
Refusal = type[MecenateError] | tuple[Any, ...]
_REFUSALS = "__mecenate_refusals__"
#: Every reason an :class:`~node.errors.InvalidMessage` may carry (the decoder's and the store's).
MESSAGE_REASONS: tuple[str, ...] = tuple(v for k, v in vars(Reason).items() if k.isupper())
#: Every reason of a refused unlock challenge (:class:`~node.errors.ChallengeRefused`).
CHALLENGE_REASONS = (
    "malformed",
    "wrong_domain",
    "wrong_uri",
    "wrong_chain",
    "wrong_resource",
    "expired",
    "not_yet_valid",
    "bad_signature",
    "wrong_signer",
    "unknown_nonce",
    "nonce_mismatch",
    "replayed",
)
#: The framework's own refusals of a request with a body: not text it can parse, too large, too slow.
BODY_REFUSALS = (400, 413, 408)


def refuses(*refusals: Refusal) -> Callable[[F], F]:
    """Declare the errors a handler, or a dependency (then for every route that uses it), may
    answer with: ``@refuses(KeyNotHeld, (NotFound, "no_post"), (InvalidMessage, *MESSAGE_REASONS))``.
    :func:`document` turns the declarations into each operation's error responses."""

    def mark(fn: F) -> F:
        declared = list(getattr(fn, _REFUSALS, ()))
        for r in refusals:
            kind, *reasons = r if isinstance(r, tuple) else (r,)
            declared.append((kind, tuple(reasons) or (kind.reason,)))
        setattr(fn, _REFUSALS, tuple(declared))
        return fn

    return mark


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _refusals_of(route: Any) -> list[tuple[str, int, Mapping[str, str], tuple[str, ...]]]:
    """``(error, status, headers, reasons)`` of everything ``route`` may refuse: what its handler
    and dependencies declare, a request that does not fit its schema (when it takes any
    input), and the framework's refusals of a body (when it takes one)."""
    out = []
    declared = list(
        dict.fromkeys(r for call in _calls(route.dependant) for r in getattr(call, _REFUSALS, ()))
    )
    if get_flat_params(route.dependant) or route.body_field is not None:
        declared.append((InvalidRequest, (InvalidRequest.reason,)))
    for kind, reasons in declared:
        status, headers = answer_for(kind)
        out.append((kind.__name__, status, headers, reasons))
    if route.body_field is not None:
        for status in BODY_REFUSALS:
            error, reason = framework_error(status)
            out.append((error, status, {}, (reason,)))
    return out


def _response(refusals: list[tuple[str, int, Mapping[str, str], tuple[str, ...]]]) -> dict[str, Any]:
    """One status's response: ErrorOut, its ``error`` and ``reason`` enumerated, and each header
    some of its errors carry (required when all of them do)."""
    errors = list(dict.fromkeys(error for error, _, _, _ in refusals))
    reasons = list(dict.fromkeys(reason for _, _, _, rs in refusals for reason in rs))
    names = list(dict.fromkeys(name for _, _, headers, _ in refusals for name in headers))
    schema = {
        "allOf": [{"$ref": "#/components/schemas/ErrorOut"}],
        "properties": {"error": {"enum": errors}, "reason": {"enum": reasons}},
    }
    response: dict[str, Any] = {
        "description": "; ".join(f"{error} ({', '.join(rs)})" for error, _, _, rs in refusals),
        "content": {"application/json": {"schema": schema}},
    }
    if names:
        response["headers"] = {
            name: {
                "schema": {"type": "string"},
                "required": all(name in headers for _, _, headers, _ in refusals),
            }
            for name in names
        }
    return response


def document(app: FastAPI, spec: dict[str, Any]) -> None:
    """Write each operation's error responses into ``spec``, the app's OpenAPI document, from
    the routes' declarations and :data:`ANSWERS`: the statuses, error names, reason codes and
    headers the handlers above answer with, in the one shape :class:`ErrorOut` (which replaces
    FastAPI's own 422 ``HTTPValidationError`` everywhere)."""
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.original_route.include_in_schema:
            continue  # not an API operation (the web app's files): not in the document
        by_status: dict[int, list[tuple[str, int, Mapping[str, str], tuple[str, ...]]]] = {}
        for refusal in _refusals_of(route):
            by_status.setdefault(refusal[1], []).append(refusal)
        for method in route.methods or ():
            responses = spec["paths"][route.path_format][method.lower()]["responses"]
            for status in [s for s in responses if s[0] in "45"]:
                del responses[status]
            for status, refusals in sorted(by_status.items()):
                responses[str(status)] = _response(refusals)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
