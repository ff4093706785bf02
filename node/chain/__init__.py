"""The chain: a web3 client for the Mecenate contracts, and an indexer of their events.

Layout: ``_artifacts`` reads ABIs from Ape's build manifest and addresses from
``config/deployments/<chainId>.json``; ``_client`` holds :class:`ChainClient` (reads, and
transactions signed locally with a :class:`~node.identity.Key`); ``_revert`` decodes the
contracts' custom errors into :class:`~node.errors.ContractReverted` and translates web3
errors; ``_events`` decodes logs; ``_inputs`` checks the arguments callers pass (addresses by
the node's one rule, amounts, post ids, limits); ``_abi`` the few hand-written ABI fragments.
The indexer, :class:`Indexer`, is the confirmed, reorg-safe index of launches, trades, tips,
transfers, holder balances and collectives in its own SQLite file: ``_follower`` follows the chain
(confirmation depth, ranges, reorg rollback), ``_ledger`` is its SQLite side (SQL in
``schema``), ``_queries`` its reads, ``_collectives`` the reads of collectives, ``_curve`` the
bonding-curve math and ``_charter`` the charter hash a collective approves, as pure functions.
``_views`` holds the dataclasses everything returns. Acting in a collective: ``actions`` builds
what a proposal asks the timelock to do (pure), ``_collective_tx`` holds the client's launch,
propose, vote, queue, execute and claim.

Everything here blocks on network or disk I/O except :meth:`Indexer.serve`, the trio service
that runs :meth:`Indexer.poll_once` in a worker thread.
"""

from . import actions, schema
from ._artifacts import Artifacts, Deployment, is_test_contract
from ._charter import charter_hash
from ._client import ChainClient, max_cost, min_proceeds
from ._collective_tx import ProposalOnChain
from ._collectives import Collective, CollectiveAsset, ProposalStatus
from ._follower import Indexer
from ._permit import sign_permit
from ._revert import format_wei
from ._views import (
    ZERO_ADDRESS,
    ChainEngagement,
    CollectiveLaunch,
    CollectiveMoney,
    CollectiveSetting,
    CreatorListing,
    Holding,
    Launch,
    PollReport,
    Proposal,
    ProposalAction,
    ProposalStep,
    Supporter,
    Tip,
    TokenInfo,
    TokenUnits,
    Trade,
    Transfer,
    Vote,
)

__all__ = [
    "ZERO_ADDRESS",
    "Artifacts",
    "ChainClient",
    "ChainEngagement",
    "Collective",
    "CollectiveAsset",
    "CollectiveLaunch",
    "CollectiveMoney",
    "CollectiveSetting",
    "CreatorListing",
    "Deployment",
    "Holding",
    "Indexer",
    "Launch",
    "PollReport",
    "Proposal",
    "ProposalAction",
    "ProposalOnChain",
    "ProposalStatus",
    "ProposalStep",
    "Supporter",
    "Tip",
    "TokenInfo",
    "TokenUnits",
    "Trade",
    "Transfer",
    "Vote",
    "actions",
    "charter_hash",
    "format_wei",
    "is_test_contract",
    "max_cost",
    "min_proceeds",
    "schema",
    "sign_permit",
]
