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
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def error_responses(*kinds: type[MecenateError]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that may raise errors of ``kinds``: each one's
    status, in the one error shape."""
    return {answer_for(kind)[0]: {"model": ErrorOut} for kind in kinds}


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
        status, headers = answer_for(type(exc))
        detail = exc.detail
        if isinstance(exc, StoreError):
            # Its text names files of the data dir and SQLite's words: for the operator's log.
            log.warning("%s %s: %s", request.method, request.url.path, detail)
            detail = _STORE_FAILED
        body: dict[str, Any] = {"error": type(exc).__name__, "reason": exc.reason, "detail": detail}
        if isinstance(exc, InvalidRequest):
            body["fields"] = exc.fields
        return JSONResponse(jsonable_encoder(body), status_code=status, headers=dict(headers))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad value ("input"); a body may carry a secret (a
        # content key handed to the node), so a refusal names the field and the rule, not the value.
        fields = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in fields)
        return await _domain_error(request, InvalidRequest(detail, fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in _KNOWN else "HTTP error"
        body = {"error": phrase.replace(" ", ""), "reason": _snake(phrase), "detail": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


_KNOWN = {int(status) for status in HTTPStatus}
