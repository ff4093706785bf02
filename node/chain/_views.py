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
class TokenUnits:
    """What people count an asset's amounts in: its symbol, and how many decimals of base units
    make one whole; ``None`` where its contract does not say (both are optional in ERC-20)."""

    symbol: str | None
    decimals: int | None


#: Ether's units.
ETHER_UNITS = TokenUnits("ETH", 18)


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
class CollectiveLaunch:
    """``launcher`` launched the collective of community ``community`` (CollectiveLaunched):
    its ``shares`` (the collective's address: tips go there), ``governor`` and ``timelock``."""

    community: bytes
    launcher: str
    shares: str
    governor: str
    timelock: str
    block_number: int
    tx_hash: str
    log_index: int


#: What a collective's members set by vote, each event carrying the whole new value:
#: ``moderators`` (comma-separated addresses), ``charter`` (the hash, ``0x`` hex) and
#: ``revenue`` (the treasury's part of income, in basis points, decimal).
SettingKind = Literal["moderators", "charter", "revenue"]


@dataclass(frozen=True, slots=True)
class CollectiveSetting:
    """A collective's ``shares`` contract set ``kind`` to ``value`` (ModeratorsSet,
    CharterHashSet, RevenuePolicySet)."""

    shares: str
    kind: SettingKind
    value: str
    block_number: int
    tx_hash: str
    log_index: int


#: Money through a collective: ``income`` accounted (``to_treasury`` of it to the treasury),
#: a member's ``claim``, a ``withdrawal`` from the treasury.
MoneyKind = Literal["income", "claim", "withdrawal"]


@dataclass(frozen=True, slots=True)
class CollectiveMoney:
    """``amount`` of ``asset`` (``None``: ether) moved through ``shares`` as ``kind``;
    ``account`` is who claimed, or where a withdrawal went (``None`` for income)."""

    shares: str
    kind: MoneyKind
    asset: str | None
    account: str | None
    amount: int
    to_treasury: int
    block_number: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class ProposalAction:
    """One call a proposal makes through the timelock when executed."""

    target: str
    value: int
    calldata: bytes


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposal made to a collective's ``governor`` (ProposalCreated): its vote runs from
    block ``vote_start`` (votes count as of that block) to ``vote_end``."""

    governor: str
    proposal_id: int
    proposer: str
    actions: tuple[ProposalAction, ...]
    description: str
    vote_start: int
    vote_end: int
    block_number: int
    tx_hash: str
    log_index: int


#: What happened to a proposal after its vote: ``queued`` (with its ETA), ``executed``, ``canceled``.
StepKind = Literal["queued", "executed", "canceled"]


@dataclass(frozen=True, slots=True)
class ProposalStep:
    """Proposal ``proposal_id`` of ``governor`` was ``kind`` (``eta``: unix seconds, when queued)."""

    governor: str
    proposal_id: int
    kind: StepKind
    eta: int | None
    block_number: int
    tx_hash: str
    log_index: int


SupportKind = Literal["against", "for", "abstain"]
#: Governor vote types, by their number on chain (OpenZeppelin's GovernorCountingSimple).
SUPPORT: tuple[SupportKind, ...] = ("against", "for", "abstain")


@dataclass(frozen=True, slots=True)
class Vote:
    """``voter`` cast ``weight`` votes ``support`` on proposal ``proposal_id`` (VoteCast)."""

    governor: str
    proposal_id: int
    voter: str
    support: SupportKind
    weight: int
    reason: str
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
