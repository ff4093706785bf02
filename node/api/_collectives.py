"""The collective routes: a collective's settings, members, proposals, treasury and each
member's claimable income, as of this node's confirmed chain index.

A collective is named by the address of its shares contract: the address a community's charter
names in its ``collective`` field, where tips and income go. Everything comes from the chain
index (``node.chain``, :class:`~node.chain.Indexer`): the settings, members, proposals and votes
from its confirmed events, a finished vote's outcome, the treasury and what a member may claim
from the contracts at its last indexed block. Amounts are decimal strings of base units.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from node.chain import Collective, CollectiveAsset, ProposalStatus
from node.errors import InvalidInput, NotFound

from ._context import ChainView
from ._errors import refuses
from ._models import Amount
from ._routing import NO_CHAIN, Address, Limit, chain_of, viewer_address

router = APIRouter(prefix="/v1", tags=["collectives"])

ProposalId = Annotated[str, Path(pattern=r"^[0-9]{1,78}$", description="A proposal id, decimal")]
_UNKNOWN = (NotFound, "unknown_collective")
_NO_PROPOSAL = (NotFound, "no_proposal")


class CollectiveOut(BaseModel):
    """A collective: the community it owns, its contracts, and what its members have set now
    (``moderatorsSince``: the block the moderators were set in)."""

    address: str
    community: str
    launcher: str
    governor: str
    timelock: str
    launchedBlock: int
    moderators: list[str]
    moderatorsSince: int
    charterHash: str
    treasuryBps: int
    totalShares: Amount
    members: int
    indexedBlock: int | None


class MemberSharesOut(BaseModel):
    address: str
    shares: Amount


class CollectiveMembersOut(BaseModel):
    """The members and their shares, largest first (one share, one vote)."""

    items: list[MemberSharesOut]
    totalShares: Amount


class ActionOut(BaseModel):
    target: str
    value: Amount
    calldata: str


class VotesOut(BaseModel):
    for_: Amount = Field(alias="for")
    against: Amount
    abstain: Amount


class ProposalOut(BaseModel):
    """A proposal, its state as of the last indexed block, its ETA (unix seconds) once queued,
    and the votes cast. Votes run from block ``voteStart`` (they count as of it) to ``voteEnd``."""

    id: str
    proposer: str
    description: str
    actions: list[ActionOut]
    voteStart: int
    voteEnd: int
    state: Literal["pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed"]
    eta: int | None
    votes: VotesOut
    block: int
    tx: str


class ProposalPage(BaseModel):
    items: list[ProposalOut]


class AssetUnits(BaseModel):
    """An asset: ``ETH``, or an ERC-20's address; its symbol and how many decimals of its base
    units make one whole (``ETH``, 18 for ether), ``null`` where the token's contract does not
    say. Amounts are in base units (wei for ether)."""

    asset: str
    symbol: str | None
    decimals: int | None


class AssetOut(AssetUnits):
    """One asset's income accounted, its treasury part, what members claimed, what was
    withdrawn from the treasury, and the treasury's balance now."""

    income: Amount
    toTreasury: Amount
    claimed: Amount
    withdrawn: Amount
    treasury: Amount


class TreasuryOut(BaseModel):
    assets: list[AssetOut]


class ClaimableAssetOut(AssetUnits):
    claimable: Amount


class ClaimableOut(BaseModel):
    """What ``account`` may claim now, per asset (pull payments: ``claim`` on the collective)."""

    account: str
    assets: list[ClaimableAssetOut]


def _asset(asset: str | None) -> str:
    return "ETH" if asset is None else asset


@refuses(_UNKNOWN, InvalidInput)
def _collective(shares: Address, chain: Annotated[ChainView, Depends(chain_of)]) -> Collective:
    found = chain.collective(shares)
    if found is None:
        raise NotFound(
            "this node's chain index knows no collective at this address", reason="unknown_collective"
        )
    return found


Known = Annotated[Collective, Depends(_collective)]
Indexed = Annotated[ChainView, Depends(chain_of)]


def collective_out(c: Collective, indexed_block: int | None) -> CollectiveOut:
    return CollectiveOut(
        address=c.shares,
        community="0x" + c.community.hex(),
        launcher=c.launcher,
        governor=c.governor,
        timelock=c.timelock,
        launchedBlock=c.launched_block,
        moderators=list(c.moderators),
        moderatorsSince=c.moderators_since,
        charterHash="0x" + c.charter_hash.hex(),
        treasuryBps=c.treasury_bps,
        totalShares=str(c.total_shares),
        members=c.members,
        indexedBlock=indexed_block,
    )


def _proposal_out(s: ProposalStatus) -> ProposalOut:
    p = s.proposal
    return ProposalOut(
        id=str(p.proposal_id),
        proposer=p.proposer,
        description=p.description,
        actions=[
            ActionOut(target=a.target, value=str(a.value), calldata="0x" + a.calldata.hex())
            for a in p.actions
        ],
        voteStart=p.vote_start,
        voteEnd=p.vote_end,
        state=s.state,  # type: ignore[arg-type]
        eta=s.eta,
        votes=VotesOut.model_validate({kind: str(n) for kind, n in s.votes.items()}),
        block=p.block_number,
        tx=p.tx_hash,
    )


def _asset_out(a: CollectiveAsset, chain: ChainView) -> AssetOut:
    units = chain.token_units(a.asset)
    return AssetOut(
        asset=_asset(a.asset),
        symbol=units.symbol,
        decimals=units.decimals,
        income=str(a.income),
        toTreasury=str(a.to_treasury),
        claimed=str(a.claimed),
        withdrawn=str(a.withdrawn),
        treasury=str(a.treasury),
    )


def _claimable_out(asset: str | None, claimable: int, chain: ChainView) -> ClaimableAssetOut:
    units = chain.token_units(asset)
    return ClaimableAssetOut(
        asset=_asset(asset), symbol=units.symbol, decimals=units.decimals, claimable=str(claimable)
    )


@router.get("/collectives/{shares}", response_model=CollectiveOut)
@refuses(NO_CHAIN)
def get_collective(collective: Known, chain: Indexed) -> CollectiveOut:
    """A collective's community, contracts, moderators, charter hash, revenue policy and shares."""
    return collective_out(collective, chain.indexed_block)


@router.get("/collectives/{shares}/members", response_model=CollectiveMembersOut)
def get_collective_members(collective: Known, chain: Indexed) -> CollectiveMembersOut:
    """The members and their shares, largest first."""
    members = chain.collective_members(collective.shares)
    return CollectiveMembersOut(
        items=[MemberSharesOut(address=m.holder, shares=str(m.balance)) for m in members],
        totalShares=str(collective.total_shares),
    )


@router.get("/collectives/{shares}/proposals", response_model=ProposalPage)
def get_collective_proposals(collective: Known, chain: Indexed, limit: Limit = 50) -> ProposalPage:
    """The latest proposals, newest first, each with its state, ETA and votes."""
    return ProposalPage(items=[_proposal_out(s) for s in chain.proposals(collective, limit=limit)])


@router.get("/collectives/{shares}/proposals/{proposal}", response_model=ProposalOut)
@refuses(_NO_PROPOSAL)
def get_collective_proposal(collective: Known, proposal: ProposalId, chain: Indexed) -> ProposalOut:
    """One proposal: its actions (what executing it calls), state, ETA and votes."""
    found = chain.proposal(collective, int(proposal))
    if found is None:
        raise NotFound("no such proposal in this collective (as indexed)", reason="no_proposal")
    return _proposal_out(found)


@router.get("/collectives/{shares}/treasury", response_model=TreasuryOut)
def get_collective_treasury(collective: Known, chain: Indexed) -> TreasuryOut:
    """Ether and each shared ERC-20: income, the treasury's part, claims, withdrawals, balance."""
    return TreasuryOut(assets=[_asset_out(a, chain) for a in chain.collective_assets(collective)])


@router.get("/collectives/{shares}/claimable/{account}", response_model=ClaimableOut)
def get_collective_claimable(collective: Known, account: Address, chain: Indexed) -> ClaimableOut:
    """What ``account`` may claim of each asset (its pro-rata part of the income since it held shares)."""
    account = viewer_address(account) or account
    claimable = chain.claimable(collective, account)
    return ClaimableOut(
        account=account,
        assets=[_claimable_out(a, v, chain) for a, v in claimable.items()],
    )
