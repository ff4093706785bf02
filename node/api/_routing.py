"""What the route modules share: the node's parts as a dependency (:data:`Ctx`), where a handler's
work runs (:func:`store_read` on the event loop within a budget, :func:`in_thread`), the
parameter types of paths and pages, and the OpenAPI links between operations."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request

from node.errors import NotServed, StoreError
from node.messages import checksum_address
from node.store import ReadOverBudget

from ._context import ApiContext, ChainView
from ._errors import refuses
from ._wire import ADDRESS_PATTERN, ID_PATTERN

Address = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="An Ethereum address, 0x-hex")]
MessageId = Annotated[str, Path(pattern=ID_PATTERN, description="A message id (EIP-712 digest), 0x-hex")]
Limit = Annotated[int, Query(ge=1, le=200)]


def links(pointer: str, *operations: str) -> dict[str, Any]:
    """OpenAPI links from a response's value at ``pointer`` (a JSON pointer into its body, or
    ``$request.path.<name>``) to ``operations``, each taking it as its one path parameter: the
    id a client may follow."""
    value = pointer if pointer.startswith("$") else f"$response.body#{pointer}"
    return {
        op.title().replace("_", ""): {"operationId": op, "parameters": {PATH_PARAMETER[op]: value}}
        for op in operations
    }


TO_POST = ("get_message", "get_post", "get_thread", "get_post_tips", "unlock_challenge")
TO_USER = (
    "get_profile",
    "get_posts",
    "get_feed",
    "get_followers",
    "get_following",
    "get_signers",
    "get_messages",
)
#: The path parameter of each operation a link leads to.
PATH_PARAMETER = {
    **dict.fromkeys(("get_message",), "message_id"),
    **dict.fromkeys(("get_post", "get_thread", "get_post_tips", "unlock_challenge", "unlock"), "post_id"),
    **dict.fromkeys((*TO_USER, "get_creator"), "address"),
}


def then(*links: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route whose success (200) carries ``links``."""
    return {200: {"links": {name: link for group in links for name, link in group.items()}}}


#: Seconds of SQLite work a read may take on the event loop before it moves to a worker thread.
READ_BUDGET_SECONDS = 0.005

R = TypeVar("R")


async def store_read(query: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """``query(*args, **kwargs)``, a store read: on the event loop while it stays within
    ``READ_BUDGET_SECONDS`` (the loop thread's connection enforces it), else in a worker thread."""
    try:
        return query(*args, **kwargs)
    except ReadOverBudget:
        return await in_thread(partial(query, *args, **kwargs))


async def in_thread(work: Callable[..., R], *args: Any) -> R:
    """``work(*args)`` in a worker thread. An ingest is declared ``async`` and hands itself over
    here, once: as a plain ``def``, FastAPI would also validate its answer in a second thread.
    (anyio's threads, as FastAPI's: the app also runs under asyncio, in tests that drive it.)"""
    return await anyio.to_thread.run_sync(partial(work, *args))


@refuses(StoreError)
async def _context(request: Request) -> ApiContext:
    """The node's parts (``async``: FastAPI runs a plain ``def`` dependency in a worker thread)."""
    return request.app.state.ctx


Ctx = Annotated[ApiContext, Depends(_context)]

NO_CHAIN = (NotServed, "no_chain")


@refuses(NO_CHAIN)
def chain_of(ctx: Ctx) -> ChainView:
    """The node's chain index; 503 ``no_chain`` when the node runs without one."""
    if ctx.chain is None:
        raise NotServed(
            "this node runs without a chain index (no deployment for its chain)", reason="no_chain"
        )
    return ctx.chain


def id_bytes(hex_id: str) -> bytes:
    """The bytes of an id a path pattern has checked (``0x`` and 64 hex digits)."""
    return bytes.fromhex(hex_id[2:])


def viewer_address(viewer: str | None) -> str | None:
    """A ``viewer`` query parameter's address in its EIP-55 spelling, however it was spelled (its
    pattern has checked its form; as in paths, a mixed-case spelling is not held to its checksum)."""
    return None if viewer is None else checksum_address(bytes.fromhex(viewer[2:]))
