"""Domain errors to HTTP statuses, in one place.

Whose fault decides the status: the caller's (4xx, with the reason and a clear message),
a gate's (403; 401 for a bad unlock challenge, 429 when too many are pending), or ours or a service below us (503 for the chain, 500 only for real bugs).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from node.errors import (
    ChainError,
    ChallengeRefused,
    ConfigError,
    GateRefused,
    InvalidInput,
    InvalidMessage,
    MecenateError,
    StoreError,
    TooManyPending,
)

_STATUS: tuple[tuple[type[MecenateError], int], ...] = (
    (TooManyPending, 429),
    (InvalidMessage, 422),
    (InvalidInput, 400),
    (ChallengeRefused, 401),
    (GateRefused, 403),
    (ChainError, 503),
    (StoreError, 503),
    (ConfigError, 500),
)


def status_for(exc: MecenateError) -> int:
    """The HTTP status of a domain error: the most specific class listed wins."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


_KNOWN = {int(status) for status in HTTPStatus}
_STORE_FAILED = "the node's store failed to answer; try again later (the node's log says why)"
log = logging.getLogger("node.api")


def install(app: FastAPI) -> None:
    """Every error answers in one shape, :class:`ErrorOut`: ``{error, reason, detail}``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad value ("input"); a body may carry a secret (a
        # content key handed to the node), so a refusal names the field and the rule, not the value.
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        body = {"error": "InvalidRequest", "reason": "invalid_request", "detail": detail, "fields": errors}
        return JSONResponse(jsonable_encoder(body), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = (
            HTTPStatus(exc.status_code).phrase.replace(" ", "") if exc.status_code in _KNOWN else "HTTPError"
        )
        body = {"error": name, "reason": None, "detail": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(MecenateError)
    async def _domain_error(request: Request, exc: MecenateError) -> JSONResponse:
        detail = str(exc)
        if isinstance(exc, StoreError):
            # Its text names files of the data dir and SQLite's words: for the operator's log.
            log.warning("%s %s: %s", request.method, request.url.path, detail)
            detail = _STORE_FAILED
        body = {"error": type(exc).__name__, "reason": getattr(exc, "reason", None), "detail": detail}
        return JSONResponse(body, status_code=status_for(exc))
