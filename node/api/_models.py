"""The JSON shapes the API reads and writes, as pydantic models (they are the OpenAPI schema).

Inputs are validated here once, at the edge: addresses and ids by pattern, limits by range.
A signed message travels in its wire form (``node.messages``), so any EIP-712 wallet's output
can be posted as it is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from node.messages import SignedMessage, message_to_json

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
ID_PATTERN = r"^0x[0-9a-fA-F]{64}$"
MAX_BATCH = 1000


class MessageIn(BaseModel):
    """A signed message in wire form, as produced by ``mecenate`` or any EIP-712 signer."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=32, examples=["Follow"])
    chainId: int = Field(gt=0, examples=[31337])
    message: dict[str, Any] = Field(description="Every typed field of the type, bytes as 0x-hex.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class MessageOut(BaseModel):
    id: str
    type: str
    chainId: int
    message: dict[str, Any]
    signature: str
    signer: str

    @classmethod
    def of(cls, m: SignedMessage) -> MessageOut:
        return cls(id="0x" + m.id.hex(), signer=m.signer, **message_to_json(m))


class IngestResult(BaseModel):
    outcome: Literal["accepted", "duplicate", "rejected"]
    id: str | None = None
    reason: str | None = None
    detail: str | None = None


class BatchResult(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[IngestResult]


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class Edge(BaseModel):
    follower: str
    target: str
    timestamp: int


class EdgePage(BaseModel):
    items: list[Edge]
    next_cursor: str | None


class ProfileOut(BaseModel):
    address: str
    fields: dict[str, str]
    updated: int


class PostOut(BaseModel):
    post: MessageOut
    reactions: dict[str, int]


class Health(BaseModel):
    status: Literal["ok"]
    chain_id: int


class Status(BaseModel):
    chain_id: int
    messages: int
    fingerprint: str
    p2p: dict[str, Any] | None = None
    chain: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    error: str
    reason: str | None = None
    detail: str
