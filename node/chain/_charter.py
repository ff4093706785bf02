"""The hash a collective approves of its community's charter: a pure function, the same in
Solidity (``keccak256(abi.encode(...))``), so members can check a charter on chain."""

from __future__ import annotations

from collections.abc import Mapping

from eth_abi import encode
from eth_utils import keccak

#: The charter fields a collective's charter hash covers, in order. ``moderators`` and
#: ``collective`` are not among them: the collective itself names the moderators.
HASHED_FIELDS = ("name", "about", "rules", "topics", "gate")


def charter_hash(community: bytes, fields: Mapping[str, str]) -> bytes:
    """``keccak256(abi.encode(bytes32 community, string name, string about, string rules,
    string topics, string gate))`` of a charter's ``fields`` (an unset field is ``""``)."""
    values = [fields.get(name, "") for name in HASHED_FIELDS]
    return keccak(encode(["bytes32", *["string"] * len(HASHED_FIELDS)], [community, *values]))
