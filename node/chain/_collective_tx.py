"""The chain client's collective calls: launch, propose, vote, queue, execute, claim.

A collective is three contracts launched together by the collective factory (see
``contracts/CollectiveFactory.sol``): its shares (membership, votes, income), its governor
(OpenZeppelin's Governor: proposals and votes) and its timelock (which carries out what passed,
after a delay, and holds the treasury). A collective is named by its shares' address, the one a
community's charter names and tips go to; :meth:`CollectiveCalls.collective` finds the other
two from the factory's ``CollectiveLaunched`` event.

A decision goes: :meth:`~CollectiveCalls.propose` (actions from :mod:`node.chain.actions`), a vote of
:data:`~node.chain.actions.SUPPORT` kinds once the voting delay passed, then, when it
succeeded, :meth:`~CollectiveCalls.queue` (the timelock's delay starts) and
:meth:`~CollectiveCalls.execute` once the delay passed. Queue and execute need the proposal's
actions and description again: the governor keeps only their hash.

:class:`CollectiveCalls` is mixed into :class:`~node.chain.ChainClient` (it uses the client's
``_transact``, ``translate`` and contract cache), so that file stays about tokens and tips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3.logs import DISCARD
from web3.types import FilterParams

from ..errors import ConfigError, ContractReverted, InvalidInput, NotFound
from . import _inputs as inputs
from ._artifacts import COLLECTIVE_FACTORY, COLLECTIVE_GOVERNOR, COLLECTIVE_SHARES
from ._revert import format_wei
from ._views import ZERO_ADDRESS, CollectiveLaunch
from .actions import (
    PROPOSAL_STATES,
    SUPPORT,
    Action,
    bps,
    columns,
    description_hash,
    hash32,
    moderator_list,
    payouts,
    proposal_id,
    share_count,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from web3 import Web3

    from ..identity import Key
    from ._artifacts import Artifacts, Deployment
    from ._events import EventCodec


@dataclass(frozen=True, slots=True)
class ProposalOnChain:
    """Where a proposal stands on chain now: its ``state`` (one of
    :data:`~node.chain.actions.PROPOSAL_STATES`), the blocks its vote starts and ends at, the
    unix time it can be executed once queued (``eta``, else ``None``) and the votes so far."""

    state: str
    vote_start: int
    vote_end: int
    eta: int | None
    votes_for: int
    votes_against: int
    votes_abstain: int


def _community_id(value: bytes | str) -> bytes:
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise InvalidInput("community_id: not hex") from None
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidInput("community_id: must be 32 bytes (0x and 64 hex digits)")
    return bytes(value)


def _asset(asset: str | None) -> ChecksumAddress:
    """The shares' key of ``asset``: the zero address for ether (``None``)."""
    return inputs.address(ZERO_ADDRESS if asset is None else asset, "asset")


def _amount(asset: str | None, value: int) -> str:
    return format_wei(value) if asset is None else f"{value} base units of token {asset}"


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class CollectiveCalls:
    """Reads and transactions of collectives; mixed into :class:`~node.chain.ChainClient`.

    Errors are the client's: :class:`~node.errors.InvalidInput` naming a bad argument,
    :class:`~node.errors.ContractReverted` saying in words why a contract refused (the
    governor's and the timelock's errors included), :class:`~node.errors.NotFound` for an
    address that is no collective's shares, :class:`~node.errors.ConfigError` when the
    deployment has no collective factory.
    """

    web3: Web3
    artifacts: Artifacts
    deployment: Deployment
    events: EventCodec

    if TYPE_CHECKING:

        def translate(self, doing: str) -> AbstractContextManager[None]: ...

        def _transact(self, key: Key, call: Any, doing: str, *, value: int = 0) -> Any: ...

        def _contract(self, address: str, kind: str, abi: Any) -> Any: ...

        def _emitted(self, receipt: Any, kind: type, **match: Any) -> Any: ...

        def eth_balance(self, account: str, block: Any = "latest") -> int: ...

        def balance_of(self, token: str, holder: str, block: Any = "latest") -> int: ...

    # ------------------------------------------------------------------ contracts

    def _collective_factory(self) -> Any:
        if self.deployment.collectives is None:
            raise ConfigError(
                f"the deployment for chain {self.deployment.chain_id} has no collective factory "
                "(deployed before collectives existed: redeploy with `ape run deploy`)"
            )
        return self._contract(
            self.deployment.collectives, "collective-factory", self.artifacts.abi(COLLECTIVE_FACTORY)
        )

    def shares_contract(self, address: str) -> Any:
        """The web3 contract of the collective whose shares are at ``address`` (built once)."""
        return self._contract(
            inputs.address(address, "shares"), "shares", self.artifacts.abi(COLLECTIVE_SHARES)
        )

    def governor_contract(self, address: str) -> Any:
        """The web3 contract of a collective's governor at ``address`` (built once)."""
        return self._contract(
            inputs.address(address, "governor"), "governor", self.artifacts.abi(COLLECTIVE_GOVERNOR)
        )

    # ------------------------------------------------------------------ launch and lookup

    def launch_collective(
        self,
        key: Key,
        community_id: bytes | str,
        founders: Mapping[str, int],
        treasury_bps: int,
        moderators: Sequence[str],
        charter_hash: bytes,
    ) -> CollectiveLaunch:
        """Launch the collective of ``community_id``: each founder gets its shares (whole
        units), ``treasury_bps`` of every income goes to the treasury, ``moderators`` and
        ``charter_hash`` are the community's first. One collective per launcher and community:
        a second launch raises :class:`~node.errors.InvalidInput` naming the first."""
        cid = _community_id(community_id)
        if not isinstance(founders, Mapping) or not founders:
            raise InvalidInput("founders: at least one founder (a collective without members cannot vote)")
        accounts = [inputs.address(a, "founders") for a in founders]
        amounts = [share_count(s, f"founders[{a}]") for a, s in founders.items()]
        listed = moderator_list(moderators)
        charter = hash32(charter_hash, "charter_hash")
        policy = bps(treasury_bps, "treasury_bps")
        launcher = inputs.address(key.address, "key")
        factory = self._collective_factory()
        with self.translate("read collective address"):
            shares, _, _ = factory.functions.predict(launcher, cid).call()
            exists = bool(self.web3.eth.get_code(shares))
        if exists:
            raise InvalidInput(
                f"community_id: {launcher} already launched the collective of 0x{cid.hex()} (shares {shares})"
            )
        call = factory.functions.launch(cid, accounts, amounts, policy, listed, charter)
        receipt = self._transact(key, call, "launch collective")
        return self._emitted(receipt, CollectiveLaunch, launcher=launcher)

    def collective(self, shares: str) -> CollectiveLaunch:
        """The collective whose shares are at ``shares``, from the factory's launch event (the
        shares know their community; the factory's events are indexed by it, so this reads only
        that community's launches, from the deployment's first block: an RPC provider that bounds
        the block range of a log query may refuse it on a long chain). Raises
        :class:`~node.errors.NotFound` when ``shares`` is not the shares of a collective this
        deployment's factory launched."""
        address = inputs.address(shares, "shares")
        factory = self._collective_factory()
        unknown = f"shares: {address} is not a collective's shares on this chain"
        with self.translate("read shares"):
            if not self.web3.eth.get_code(address):
                raise NotFound(unknown)
        try:
            with self.translate("read communityId"):
                cid = self.shares_contract(address).functions.communityId().call()
        except ContractReverted as exc:  # a contract, but without a communityId
            raise NotFound(unknown) from exc
        topic = event_abi_to_log_topic(factory.events.CollectiveLaunched().abi)
        query = FilterParams(
            address=factory.address,
            fromBlock=self.deployment.start_block,
            toBlock="latest",
            topics=["0x" + topic.hex(), "0x" + bytes(cid).hex()],
        )
        with self.translate("read collective launches"):
            logs = self.web3.eth.get_logs(query)
        for log in logs:
            launch = self.events.decode(log)
            if isinstance(launch, CollectiveLaunch) and launch.shares == address:
                return launch
        raise NotFound(f"shares: {address} is not a collective launched by this deployment's factory")

    # ------------------------------------------------------------------ reads

    def moderators_of(self, shares: str) -> list[ChecksumAddress]:
        """The moderators the collective at ``shares`` names now."""
        with self.translate("read moderators"):
            return [
                to_checksum_address(m) for m in self.shares_contract(shares).functions.moderators().call()
            ]

    def charter_hash_of(self, shares: str) -> bytes:
        """The charter hash the collective at ``shares`` approved."""
        with self.translate("read charterHash"):
            return bytes(self.shares_contract(shares).functions.charterHash().call())

    def community_of(self, shares: str) -> str:
        """The community id (``0x`` and 64 hex digits) the collective at ``shares`` owns."""
        with self.translate("read communityId"):
            return "0x" + bytes(self.shares_contract(shares).functions.communityId().call()).hex()

    def claimable(self, shares: str, account: str, asset: str | None = None) -> int:
        """What ``account`` can claim now of ``asset`` (``None``: ether), income not yet
        accounted included."""
        with self.translate("read claimable"):
            return int(
                self.shares_contract(shares)
                .functions.claimable(inputs.address(account, "account"), _asset(asset))
                .call()
            )

    def treasury_balance(self, shares: str, asset: str | None = None) -> int:
        """What the treasury can withdraw from the shares now, of ``asset`` (``None``: ether)."""
        with self.translate("read treasuryBalance"):
            return int(self.shares_contract(shares).functions.treasuryBalance(_asset(asset)).call())

    def chain_time(self) -> int:
        """The latest block's timestamp: the clock a timelock's delay is measured by."""
        with self.translate("read latest block"):
            return int(self.web3.eth.get_block("latest")["timestamp"])

    def proposal_status(self, governor: str, proposal: int) -> ProposalOnChain:
        """Where ``proposal`` stands on ``governor`` now. Raises ContractReverted
        (``GovernorNonexistentProposal``) for a proposal the governor never saw."""
        g = self.governor_contract(governor).functions
        pid = _proposal(proposal)
        with self.translate("read proposal"):
            state = PROPOSAL_STATES[g.state(pid).call()]
            start, end, eta = (
                g.proposalSnapshot(pid).call(),
                g.proposalDeadline(pid).call(),
                g.proposalEta(pid).call(),
            )
            against, for_, abstain = g.proposalVotes(pid).call()
        return ProposalOnChain(
            state, int(start), int(end), int(eta) or None, int(for_), int(against), int(abstain)
        )

    # ------------------------------------------------------------------ governance

    def propose(self, key: Key, governor: str, actions: Sequence[Action], description: str) -> int:
        """Propose ``actions`` to ``governor`` with ``description`` (the text members read);
        returns the proposal id. Proposing takes the governor's threshold of votes (raises
        ContractReverted ``GovernorInsufficientProposerVotes`` otherwise)."""
        targets, values, calldatas = columns(actions)
        pid = proposal_id(actions, description)
        gov = self.governor_contract(governor)
        receipt = self._transact(
            key, gov.functions.propose(targets, values, calldatas, description), "propose"
        )
        for event in gov.events.ProposalCreated().process_receipt(receipt, errors=DISCARD):
            if int(event["args"]["proposalId"]) == pid:
                return pid
        raise ContractReverted("", {}, "propose: the transaction emitted no ProposalCreated for the proposal")

    def vote(self, key: Key, governor: str, proposal: int, support: str, reason: str = "") -> int:
        """Vote ``support`` (``"for"``, ``"against"`` or ``"abstain"``) on ``proposal``, with
        ``reason`` for the record; returns the votes cast (the voter's shares at the vote's
        start). Raises ContractReverted when the vote is not open or the voter already voted."""
        if support not in SUPPORT:
            raise InvalidInput(f"support: must be one of {', '.join(SUPPORT)}, got {support!r}")
        if not isinstance(reason, str):
            raise InvalidInput("reason: must be a string")
        gov = self.governor_contract(governor)
        call = gov.functions.castVoteWithReason(_proposal(proposal), SUPPORT[support], reason)
        receipt = self._transact(key, call, "vote")
        for event in gov.events.VoteCast().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["weight"])
        raise ContractReverted("", {}, "vote: the transaction emitted no VoteCast")

    def queue(self, key: Key, governor: str, actions: Sequence[Action], description: str) -> int:
        """Queue the succeeded proposal of ``actions`` and ``description`` in the timelock;
        returns the unix time from which it can be executed."""
        targets, values, calldatas = columns(actions)
        gov = self.governor_contract(governor)
        call = gov.functions.queue(targets, values, calldatas, description_hash(description))
        receipt = self._transact(key, call, "queue")
        for event in gov.events.ProposalQueued().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["etaSeconds"])
        raise ContractReverted("", {}, "queue: the transaction emitted no ProposalQueued")

    def execute(self, key: Key, governor: str, actions: Sequence[Action], description: str) -> str:
        """Carry out the queued proposal of ``actions`` and ``description`` once its delay has
        passed; returns the transaction hash.

        A payment out of the treasury needs the timelock to hold it: when it holds less than the
        proposal pays of an asset and the shares keep a treasury balance of it, this first calls
        ``withdrawTreasury`` (anyone may), then raises ContractReverted if it is still short.
        Before the delay has passed, the ContractReverted says when the proposal can run."""
        targets, values, calldatas = columns(actions)
        pid = proposal_id(actions, description)
        gov = self.governor_contract(governor)
        if payouts(actions) and self._ready(governor, pid):  # else the governor says why it refuses
            self._fund_payouts(key, gov, actions)
        call = gov.functions.execute(targets, values, calldatas, description_hash(description))
        try:
            receipt = self._transact(key, call, "execute")
        except ContractReverted as exc:
            if exc.error not in ("TimelockUnexpectedOperationState", "GovernorUnexpectedProposalState"):
                raise
            raise ContractReverted(exc.error, exc.params, self._not_ready(governor, pid)) from exc
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def _ready(self, governor: str, pid: int) -> bool:
        """Whether proposal ``pid`` is queued and its timelock delay has passed."""
        status = self.proposal_status(governor, pid)
        return status.state == "queued" and status.eta is not None and status.eta <= self.chain_time()

    def _not_ready(self, governor: str, pid: int) -> str:
        """Why the timelock refused to run proposal ``pid``, in words."""
        status = self.proposal_status(governor, pid)
        if status.state == "succeeded":
            return f"execute: proposal {pid} succeeded but is not queued: queue it first"
        if status.state == "queued" and status.eta is not None:
            now = self.chain_time()
            return (
                f"execute: proposal {pid} is queued; the timelock's delay ends at {_when(status.eta)} "
                f"({max(status.eta - now, 0)} s after the latest block)"
            )
        return f"execute: proposal {pid}: its state is {status.state}, only a queued proposal can be executed"

    def _fund_payouts(self, key: Key, gov: Any, actions: Sequence[Action]) -> None:
        paid = payouts(actions)
        if not paid:
            return
        with self.translate("read collective"):
            timelock = to_checksum_address(gov.functions.timelock().call())
            shares = to_checksum_address(gov.functions.token().call())
        for asset, amount in paid.items():
            held = self.eth_balance(timelock) if asset is None else self.balance_of(asset, timelock)
            if held < amount and self.treasury_balance(shares, asset) > 0:
                self.withdraw_treasury(key, shares, asset)
                held = self.eth_balance(timelock) if asset is None else self.balance_of(asset, timelock)
            if held < amount:
                raise ContractReverted(
                    "",
                    {"asset": asset, "held": held, "needed": amount},
                    f"execute: the treasury holds {_amount(asset, held)}, the proposal pays {_amount(asset, amount)}",
                )

    # ------------------------------------------------------------------ income

    def claim(self, key: Key, shares: str, asset: str | None = None) -> int:
        """Pay ``key`` everything it can claim of ``asset`` (``None``: ether) from the
        collective at ``shares``; returns the amount. Raises ContractReverted
        (``CollectiveSharesNothingToClaim``) when that is nothing."""
        contract = self.shares_contract(shares)
        receipt = self._transact(key, contract.functions.claim(_asset(asset)), "claim")
        for event in contract.events.Claimed().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["amount"])
        raise ContractReverted("", {}, "claim: the transaction emitted no Claimed")

    def notify_income(self, key: Key, shares: str, asset: str | None = None) -> int:
        """Account what the collective at ``shares`` received of ``asset`` (``None``: ether)
        since its last accounting, dividing it among the members and the treasury; returns the
        amount (0: nothing new). A token's first accounting takes a member or the owner."""
        contract = self.shares_contract(shares)
        receipt = self._transact(key, contract.functions.notifyIncome(_asset(asset)), "notify income")
        for event in contract.events.IncomeAccounted().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["amount"])
        return 0

    def withdraw_treasury(self, key: Key, shares: str, asset: str | None = None) -> int:
        """Move the treasury's balance of ``asset`` from the shares to the timelock (anyone may);
        returns the amount."""
        contract = self.shares_contract(shares)
        receipt = self._transact(key, contract.functions.withdrawTreasury(_asset(asset)), "withdraw treasury")
        for event in contract.events.TreasuryWithdrawn().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["amount"])
        raise ContractReverted("", {}, "withdraw treasury: the transaction emitted no TreasuryWithdrawn")


def _proposal(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**256:
        raise InvalidInput(f"proposal: must be a proposal id (an integer below 2**256), got {value!r}")
    return value
