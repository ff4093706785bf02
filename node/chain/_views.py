"""The values node.chain returns: plain frozen dataclasses, no I/O.

Amounts are Python ints in base units (wei for ether, 10^-18 of a token for a creator token).
Addresses are EIP-55 checksummed strings. ``token`` of a tip is ``None`` for ether.
Events also carry where they happened (``block_number``, ``tx_hash``, ``log_index``): the client
returns them decoded from its own receipts, the indexer from the chain's logs, in the same form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Where mints come from and burns go to in an ERC-20 ``Transfer``; the factory's "no token".
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True, slots=True)
class Launch:
    """``creator`` launched its token ``token`` (TokenLaunched)."""

    creator: str
    token: str
    name: str
    symbol: str
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class Trade:
    """A buy or sell on a token's curve (Bought / Sold).

    ``value`` is what the trader paid (buy, fees included) or received (sell, fees deducted),
    in wei; ``supply`` the token's total supply after the trade.
    """

    token: str
    trader: str
    side: Literal["buy", "sell"]
    amount: int
    value: int
    creator_fee: int
    protocol_fee: int
    supply: int
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class Tip:
    """``tipper`` tipped ``creator`` ``amount`` of ``token`` (``None``: ether) for ``post_id``.

    ``post_id`` is the 32-byte post (message) id, all zeros for a tip to no post in particular.
    """

    creator: str
    tipper: str
    token: str | None
    amount: int
    post_id: bytes
    memo: str
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """An ERC-20 Transfer of a creator token (mints come from, burns go to, the zero address)."""

    token: str
    sender: str
    recipient: str
    value: int
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A creator token as the chain reports it now (:meth:`ChainClient.token_info`).

    ``price`` is the marginal price of one whole token in wei; ``reserve`` the ETH backing the
    curve; ``supply`` in base units.
    """

    address: str
    creator: str
    name: str
    symbol: str
    supply: int
    price: int
    reserve: int
    creator_fee_bps: int


@dataclass(frozen=True, slots=True)
class CreatorListing:
    """A creator and its token as indexed (confirmed): price and reserve follow from the supply
    and the token's curve; ``holders`` counts accounts with a non-zero balance."""

    creator: str
    token: str
    name: str
    symbol: str
    supply: int
    price: int
    reserve: int
    holders: int
    launched_block: int


@dataclass(frozen=True, slots=True)
class Holding:
    """``holder`` holds ``balance`` base units of ``token`` (as indexed, confirmed)."""

    token: str
    holder: str
    balance: int  # base units (10^-18 of a whole token), never zero: a holder at zero is none


@dataclass(frozen=True, slots=True)
class Supporter:
    """``tipper`` tipped a creator ``total`` of ``token`` (``None``: ether) in ``count`` tips."""

    tipper: str
    token: str | None
    total: int  # in the asset's base units (wei for ether)
    count: int


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one :meth:`Indexer.poll_once` did.

    ``rolled_back_to`` is the common ancestor a reorg took the index back to (``None``: no
    reorg); ``indexed_to`` the last indexed block afterwards (``None``: nothing indexed yet).
    The tuples hold the rows newly indexed by this poll, in chain order.
    """

    rolled_back_to: int | None
    indexed_to: int | None
    launches: tuple[Launch, ...] = ()
    trades: tuple[Trade, ...] = ()
    tips: tuple[Tip, ...] = ()
    transfers: tuple[Transfer, ...] = ()


#: ``(creator, account, block)``: ``account``'s last act of one kind toward ``creator``.
Engagement = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class ChainEngagement:
    """What the chain index says about engagement with creators since ``since_block``
    (:meth:`Indexer.engagement`), for discovery. ``head`` is the last indexed block (ages are
    counted from it); ``holders`` pairs ``(creator, holder)`` hold now; ``on_chain`` is every
    account that ever tipped, traded, held or launched (as indexed)."""

    head: int
    since_block: int
    tips: tuple[Engagement, ...]
    buys: tuple[Engagement, ...]
    holders: tuple[tuple[str, str], ...]
    on_chain: frozenset[str]
