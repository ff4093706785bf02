"""Decoding the contracts' logs into node.chain's views (shared by the client and the indexer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3

from ._artifacts import (
    COLLECTIVE_FACTORY,
    COLLECTIVE_GOVERNOR,
    COLLECTIVE_SHARES,
    FACTORY,
    TIP_JAR,
    TOKEN,
    Artifacts,
)
from ._views import (
    SUPPORT,
    ZERO_ADDRESS,
    CollectiveLaunch,
    CollectiveMoney,
    CollectiveSetting,
    Launch,
    Proposal,
    ProposalAction,
    ProposalStep,
    StepKind,
    Tip,
    Trade,
    Transfer,
    Vote,
)

View = (
    Launch
    | Trade
    | Tip
    | Transfer
    | CollectiveLaunch
    | CollectiveSetting
    | CollectiveMoney
    | Proposal
    | ProposalStep
    | Vote
)

#: The events each contract emits that the node follows.
FACTORY_EVENTS = ("TokenLaunched",)
TIP_JAR_EVENTS = ("Tipped", "TokenTipped")
TOKEN_EVENTS = ("Transfer", "Bought", "Sold")
COLLECTIVE_FACTORY_EVENTS = ("CollectiveLaunched",)
SHARES_EVENTS = (
    "Transfer",
    "ModeratorsSet",
    "CharterHashSet",
    "RevenuePolicySet",
    "IncomeAccounted",
    "Claimed",
    "TreasuryWithdrawn",
)
GOVERNOR_EVENTS = ("ProposalCreated", "ProposalQueued", "ProposalExecuted", "ProposalCanceled", "VoteCast")

_STEPS: dict[str, StepKind] = {
    "ProposalQueued": "queued",
    "ProposalExecuted": "executed",
    "ProposalCanceled": "canceled",
}


class EventCodec:
    """Knows the followed events by topic and turns their logs into views."""

    def __init__(self, w3: Web3, artifacts: Artifacts) -> None:
        self._events: dict[bytes, Any] = {}
        self.topics: dict[str, list[bytes]] = {}
        for contract_name, names in (
            (FACTORY, FACTORY_EVENTS),
            (TIP_JAR, TIP_JAR_EVENTS),
            (TOKEN, TOKEN_EVENTS),
            (COLLECTIVE_FACTORY, COLLECTIVE_FACTORY_EVENTS),
            (COLLECTIVE_SHARES, SHARES_EVENTS),
            (COLLECTIVE_GOVERNOR, GOVERNOR_EVENTS),
        ):
            contract = w3.eth.contract(abi=artifacts.abi(contract_name))
            topics = self.topics.setdefault(contract_name, [])
            for name in names:
                event = contract.events[name]()
                topic = event_abi_to_log_topic(event.abi)
                self._events[topic] = event
                topics.append(topic)

    def decode(self, log: Mapping[str, Any]) -> View | None:
        """The view of one log, or ``None`` when it is not a followed event."""
        topics = log.get("topics") or []
        if not topics:
            return None
        event = self._events.get(bytes(topics[0]))
        if event is None:
            return None
        data = event.process_log(log)
        args = data["args"]
        where = (int(data["blockNumber"]), "0x" + bytes(data["transactionHash"]).hex(), int(data["logIndex"]))
        name = data["event"]
        address = to_checksum_address(data["address"])
        if name == "Transfer":
            sender, recipient = to_checksum_address(args["from"]), to_checksum_address(args["to"])
            return Transfer(address, sender, recipient, int(args["value"]), *where)
        if name in ("Bought", "Sold"):
            buy = name == "Bought"
            return Trade(
                address,
                to_checksum_address(args["buyer"] if buy else args["seller"]),
                "buy" if buy else "sell",
                int(args["amount"]),
                int(args["cost"] if buy else args["proceeds"]),
                int(args["creatorFee"]),
                int(args["protocolFee"]),
                int(args["supply"]),
                *where,
            )
        if name in ("Tipped", "TokenTipped"):
            token = to_checksum_address(args["token"]) if name == "TokenTipped" else None
            if token == ZERO_ADDRESS:
                token = None
            return Tip(
                to_checksum_address(args["creator"]),
                to_checksum_address(args["tipper"]),
                token,
                int(args["amount"]),
                bytes(args["postId"]),
                str(args["memo"]),
                *where,
            )
        if name == "TokenLaunched":
            creator, token = to_checksum_address(args["creator"]), to_checksum_address(args["token"])
            return Launch(creator, token, str(args["name"]), str(args["symbol"]), *where)
        return _decode_collective(name, address, args, where)


def _asset(address: str) -> str | None:
    """An asset as the collective names it: the zero address is ether (``None``)."""
    address = to_checksum_address(address)
    return None if address == ZERO_ADDRESS else address


def _decode_collective(name: str, address: str, args: Any, where: tuple[int, str, int]) -> View | None:
    if name == "CollectiveLaunched":
        shares, governor, timelock = (
            to_checksum_address(args[k]) for k in ("shares", "governor", "timelock")
        )
        launcher = to_checksum_address(args["launcher"])
        return CollectiveLaunch(bytes(args["communityId"]), launcher, shares, governor, timelock, *where)
    if name == "ModeratorsSet":
        value = ",".join(to_checksum_address(a) for a in args["moderators"])
        return CollectiveSetting(address, "moderators", value, *where)
    if name == "CharterHashSet":
        return CollectiveSetting(address, "charter", "0x" + bytes(args["charterHash"]).hex(), *where)
    if name == "RevenuePolicySet":
        return CollectiveSetting(address, "revenue", str(int(args["bps"])), *where)
    if name == "IncomeAccounted":
        amount, to_treasury = int(args["amount"]), int(args["toTreasury"])
        return CollectiveMoney(address, "income", _asset(args["asset"]), None, amount, to_treasury, *where)
    if name == "Claimed":
        account = to_checksum_address(args["account"])
        amount = int(args["amount"])
        return CollectiveMoney(address, "claim", _asset(args["asset"]), account, amount, 0, *where)
    if name == "TreasuryWithdrawn":
        to = to_checksum_address(args["to"])
        return CollectiveMoney(
            address, "withdrawal", _asset(args["asset"]), to, int(args["amount"]), 0, *where
        )
    if name == "ProposalCreated":
        actions = tuple(
            ProposalAction(to_checksum_address(t), int(v), bytes(c))
            for t, v, c in zip(args["targets"], args["values"], args["calldatas"], strict=True)
        )
        return Proposal(
            address,
            int(args["proposalId"]),
            to_checksum_address(args["proposer"]),
            actions,
            str(args["description"]),
            int(args["voteStart"]),
            int(args["voteEnd"]),
            *where,
        )
    if name in _STEPS:
        eta = int(args["etaSeconds"]) if name == "ProposalQueued" else None
        return ProposalStep(address, int(args["proposalId"]), _STEPS[name], eta, *where)
    if name == "VoteCast":
        support = SUPPORT[int(args["support"])]
        voter = to_checksum_address(args["voter"])
        return Vote(
            address, int(args["proposalId"]), voter, support, int(args["weight"]), str(args["reason"]), *where
        )
    return None
