"""Arguments the chain package accepts, checked once where a call enters it.

Each checker names the caller's parameter (``title``) in the :class:`~node.errors.InvalidInput`
it raises. Addresses follow the node's one address rule (:func:`node.messages.normalize_address`)
and come back typed as web3's :data:`~eth_typing.ChecksumAddress`.
"""

from __future__ import annotations

from typing import cast

from eth_typing import ChecksumAddress

from ..errors import InvalidInput
from ..messages import normalize_address

BPS = 10_000
#: ``post_id`` of a tip to no post in particular.
ZERO_POST = bytes(32)
#: Most rows one query returns.
MAX_LIMIT = 10_000


def address(value: object, title: str) -> ChecksumAddress:
    """``value`` as a checksummed address; raises InvalidInput naming ``title``."""
    return cast(ChecksumAddress, normalize_address(value, title))  # checksummed: web3's type says so


def amount(value: object, title: str) -> int:
    """A positive uint256."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**256:
        raise InvalidInput(f"{title}: must be a positive integer below 2**256, got {value!r}")
    return value


def slippage(value: object) -> int:
    """A tolerance in basis points, 0 to :data:`BPS`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BPS:
        raise InvalidInput(f"slippage_bps: must be an integer from 0 to {BPS}, got {value!r}")
    return value


def post_id(value: bytes | str | None) -> bytes:
    """A 32-byte post id from bytes or hex (``None``: :data:`ZERO_POST`)."""
    if value is None:
        return ZERO_POST
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise InvalidInput("post_id: not hex") from None
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidInput("post_id: must be 32 bytes")
    return bytes(value)


def limit(value: object) -> int:
    """How many rows a query may return: 1 to :data:`MAX_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be an integer from 1 to {MAX_LIMIT}, got {value!r}")
    return value
