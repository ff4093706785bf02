"""Reads of the collectives the index follows: their settings, members, proposals and money.

What the members decided is in the index (confirmed events): who moderates since which block,
the charter hash, the revenue policy, the members' shares (holders of the shares token), each
proposal with its votes and what happened to it. What only the contracts can compute (a
finished vote's outcome, which needs the quorum at its start; each member's claimable income;
the treasury) is read from the chain *at the last indexed block*, so that every answer here is
as of the same confirmed block.

:class:`CollectiveQueries` is mixed into :class:`~node.chain.Indexer`, which gives it the
ledger and the client.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from eth_typing import BlockNumber

from . import _inputs as inputs
from . import schema
from ._abi import PROPOSAL_STATES
from ._client import ChainClient
from ._ledger import Ledger
from ._queries import DEFAULT_TRADES
from ._views import ETHER_UNITS, ZERO_ADDRESS, Holding, Proposal, ProposalAction, TokenUnits
from .schema import from_u256, u256


@dataclass(frozen=True, slots=True)
class Collective:
    """A collective as indexed: where it lives, and what its members have set, now."""

    shares: str  # the collective's address: income, tips and the settings are here
    community: bytes
    launcher: str
    governor: str
    timelock: str
    launched_block: int
    moderators: tuple[str, ...]
    moderators_since: int  # the block the current list was set in
    charter_hash: bytes
    treasury_bps: int
    total_shares: int
    members: int


@dataclass(frozen=True, slots=True)
class ProposalStatus:
    """A proposal, its state as of the last indexed block, its ETA once queued, and its votes."""

    proposal: Proposal
    state: str
    eta: int | None
    votes: dict[str, int]


@dataclass(frozen=True, slots=True)
class CollectiveAsset:
    """One asset (``None``: ether) through a collective: ``income`` accounted (``to_treasury``
    of it the treasury's part), ``claimed`` by members, ``withdrawn`` from the treasury, and
    the treasury's balance now (``treasury``, unaccounted income's part included)."""

    asset: str | None
    income: int
    to_treasury: int
    claimed: int
    withdrawn: int
    treasury: int


class CollectiveQueries:
    """The collective reads of an :class:`~node.chain.Indexer`."""

    ledger: Ledger
    client: ChainClient

    def collective(self, shares: str) -> Collective | None:
        """The collective at ``shares`` (its shares contract), or ``None`` when the index knows
        none there (not launched by the deployment's collective factory, or not confirmed yet)."""
        shares = inputs.address(shares, "collective")
        with self.ledger.reading("query collective") as db:
            row = db.execute(schema.COLLECTIVE, (shares,)).fetchone()
            if row is None:
                return None
            settings = {
                kind: db.execute(schema.SETTING_NOW, (shares, kind)).fetchone()
                for kind in ("moderators", "charter", "revenue")
            }
            balances = [from_u256(b) for _, b in db.execute(schema.SELECT_HOLDERS, (shares, u256(1)))]
        moderators, since = settings["moderators"] or ("", row[5])
        charter = settings["charter"][0] if settings["charter"] else "0x" + "00" * 32
        revenue = int(settings["revenue"][0]) if settings["revenue"] else 0
        return Collective(
            shares=row[0],
            community=bytes(row[1]),
            launcher=row[2],
            governor=row[3],
            timelock=row[4],
            launched_block=row[5],
            moderators=tuple(moderators.split(",")) if moderators else (),
            moderators_since=since,
            charter_hash=bytes.fromhex(charter[2:]),
            treasury_bps=revenue,
            total_shares=sum(balances),
            members=len(balances),
        )

    def collective_members(self, shares: str) -> list[Holding]:
        """The collective's members and their shares, largest first."""
        shares = inputs.address(shares, "collective")
        with self.ledger.reading("query members") as db:
            rows = db.execute(schema.SELECT_HOLDERS, (shares, u256(1))).fetchall()
        return [Holding(shares, holder, from_u256(balance)) for holder, balance in rows]

    def proposals(self, collective: Collective, *, limit: int = DEFAULT_TRADES) -> list[ProposalStatus]:
        """The latest ``limit`` proposals made to ``collective``, newest first."""
        with self.ledger.reading("query proposals") as db:
            rows = db.execute(schema.PROPOSALS_OF, (collective.governor, inputs.limit(limit))).fetchall()
        return [self._status(row) for row in rows]

    def proposal(self, collective: Collective, proposal_id: int) -> ProposalStatus | None:
        """Proposal ``proposal_id`` of ``collective``, or ``None`` when none is indexed."""
        if not 0 <= proposal_id < 2**256:
            return None
        with self.ledger.reading("query proposal") as db:
            row = db.execute(schema.PROPOSAL, (collective.governor, u256(proposal_id))).fetchone()
        return None if row is None else self._status(row)

    def collective_assets(self, collective: Collective) -> list[CollectiveAsset]:
        """Ether and every ERC-20 the collective shares, with their totals and the treasury."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        with self.ledger.reading("query collective money") as db:
            for kind, asset, amount, to_treasury in db.execute(schema.MONEY_OF, (collective.shares,)):
                entry = totals[asset]
                index = ("income", "claim", "withdrawal").index(kind)
                entry[(0, 2, 3)[index]] += from_u256(amount)
                entry[1] += from_u256(to_treasury)
        shares, block = self.client.shares_contract(collective.shares), self._block()
        with self.client.translate("read collective treasury"):
            tokens = [str(t) for t in shares.functions.incomeTokens().call(block_identifier=block)]
            result = []
            for asset in [ZERO_ADDRESS, *tokens]:
                treasury = int(shares.functions.treasuryBalance(asset).call(block_identifier=block))
                income, to_treasury, claimed, withdrawn = totals[asset if asset != ZERO_ADDRESS else ""]
                asset_name = None if asset == ZERO_ADDRESS else asset
                result.append(CollectiveAsset(asset_name, income, to_treasury, claimed, withdrawn, treasury))
        return result

    def token_units(self, asset: str | None) -> TokenUnits:
        """What amounts of ``asset`` (``None``: ether) are counted in: symbol and decimals."""
        return ETHER_UNITS if asset is None else self.client.token_units(asset)

    def claimable(self, collective: Collective, account: str) -> dict[str | None, int]:
        """What ``account`` may claim of each asset the collective shares (``None``: ether)."""
        account = inputs.address(account, "account")
        shares, block = self.client.shares_contract(collective.shares), self._block()
        with self.client.translate("read claimable income"):
            tokens = [str(t) for t in shares.functions.incomeTokens().call(block_identifier=block)]
            return {
                None if asset == ZERO_ADDRESS else asset: int(
                    shares.functions.claimable(account, asset).call(block_identifier=block)
                )
                for asset in [ZERO_ADDRESS, *tokens]
            }

    # ------------------------------------------------------------------ plumbing

    def _status(self, row: Any) -> ProposalStatus:
        governor, proposal_id = row[0], from_u256(row[1])
        proposal = Proposal(
            governor=governor,
            proposal_id=proposal_id,
            proposer=row[2],
            actions=tuple(ProposalAction(t, int(v), bytes.fromhex(c[2:])) for t, v, c in json.loads(row[3])),
            description=row[4],
            vote_start=row[5],
            vote_end=row[6],
            block_number=row[7],
            tx_hash=row[8],
            log_index=row[9],
        )
        votes = dict.fromkeys(("for", "against", "abstain"), 0)
        with self.ledger.reading("query proposal") as db:
            for support, weight in db.execute(schema.VOTES_OF, (governor, row[1])):
                votes[support] += from_u256(weight)
            steps = db.execute(schema.STEPS_OF, (governor, row[1])).fetchall()
        done = {kind: eta for kind, eta in steps}
        eta = done.get("queued")
        return ProposalStatus(proposal, self._state(proposal, done), eta, votes)

    def _state(self, proposal: Proposal, done: dict[str, int | None]) -> str:
        """The proposal's state as of the last indexed block: from the index when it settles it
        (executed, canceled, queued; pending and active by the vote's blocks, as OpenZeppelin
        decides them), else the governor's own answer at that block (a finished vote's outcome
        depends on the quorum at its start)."""
        for kind in ("executed", "canceled", "queued"):
            if kind in done:
                return kind
        block = self._block()
        if block <= proposal.vote_start:
            return "pending"
        if block <= proposal.vote_end:
            return "active"
        governor = self.client.governor_contract(proposal.governor)
        with self.client.translate("read proposal state"):
            return PROPOSAL_STATES[
                int(governor.functions.state(proposal.proposal_id).call(block_identifier=block))
            ]

    def _block(self) -> BlockNumber:
        block = self.ledger.last_block()
        return BlockNumber(block if block is not None else 0)
