"""What names a community, and the canonical forms of the charter values that hold lists.

A community is named by its founder and a handle: its id is
``keccak256(founder ‖ handle)`` (the founder's 20 address bytes, then the handle's UTF-8
bytes), which is ``keccak256(abi.encodePacked(founder, handle))`` in Solidity, so a contract
can name the community it serves. Only the founder's key (or a delegate's) signs ``Charter``
messages with the founder as author, so nobody else can set a community's charter: there is
no registry to race for a handle, since two founders with one handle name two communities.

List values have one encoding each, so that two nodes comparing charters compare bytes:
topics are sorted unique tags, moderators sorted unique EIP-55 addresses, comma-separated.
A public submodule: the store and the views read the same forms the validator enforces.
"""

from __future__ import annotations

import re

from ._crypto import keccak

#: A handle: lower-case letters, digits and inner hyphens (one spelling per handle).
HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
#: A topic tag, in the same alphabet.
TOPIC = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
MAX_TOPICS = 8
MAX_MODERATORS = 20


def community_id(founder: str, handle: str) -> bytes:
    """The id of the community ``founder`` (an ``0x`` address) names ``handle``."""
    return keccak(bytes.fromhex(founder[2:]) + handle.encode())


def split_list(value: str) -> list[str]:
    """The items of a comma-separated charter value (``""``: none)."""
    return value.split(",") if value else []


def address_order(address: str) -> bytes:
    """The order moderators are listed in: by their 20 bytes."""
    return bytes.fromhex(address[2:])
