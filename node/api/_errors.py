"""Domain errors to HTTP statuses, in one place.

Whose fault decides the status: the caller's (4xx, with the reason and a clear message),
a gate's (403; 401 for a bad unlock challenge, 429 when too many are pending), or ours or a service below us (503 for the chain, 500 only for real bugs).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from node.errors import (
    ChainError,
    ChallengeRefused,
    ConfigError,
    GateRefused,
    InvalidInput,
    InvalidMessage,
    MecenateError,
    StoreError,
)

_STATUS: tuple[tuple[type[MecenateError], int], ...] = (
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
    if isinstance(exc, ChallengeRefused) and exc.reason == "too_many_pending":
        return 429
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad value ("input"); a body may carry a secret (a
        # content key handed to the node), so a refusal names the field and the rule, not the value.
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(MecenateError)
    async def _domain_error(request: Request, exc: MecenateError) -> JSONResponse:
        body = {"error": type(exc).__name__, "reason": getattr(exc, "reason", None), "detail": str(exc)}
        return JSONResponse(body, status_code=status_for(exc))
