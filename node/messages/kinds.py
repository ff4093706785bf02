"""The kinds a message field may have: the EIP-712 (Solidity) types of its struct members.

Every :class:`~node.messages.Field` has one as its ``kind``; EIP-712 hashing, validation, the
wire form and the store's body packing each dispatch on it. A public submodule, so that the
store can pack by kind without reaching into the type table's module.
"""

from __future__ import annotations

__all__ = ["ADDRESS", "BOOL", "BYTES", "BYTES32", "STRING", "UINT64"]

ADDRESS = "address"
UINT64 = "uint64"
BOOL = "bool"
BYTES32 = "bytes32"
STRING = "string"
BYTES = "bytes"
