"""Decoding the contracts' logs into node.chain's views (shared by the client and the indexer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3

from ._artifacts import FACTORY, TIP_JAR, TOKEN, Artifacts
from ._views import ZERO_ADDRESS, Launch, Tip, Trade, Transfer

View = Launch | Trade | Tip | Transfer

#: The events each contract emits that the node follows.
FACTORY_EVENTS = ("TokenLaunched",)
TIP_JAR_EVENTS = ("Tipped", "TokenTipped")
TOKEN_EVENTS = ("Transfer", "Bought", "Sold")


class EventCodec:
    """Knows the followed events by topic and turns their logs into views."""

    def __init__(self, w3: Web3, artifacts: Artifacts) -> None:
        self._events: dict[bytes, Any] = {}
        self.topics: dict[str, list[bytes]] = {}
        for contract_name, names in (
            (FACTORY, FACTORY_EVENTS),
            (TIP_JAR, TIP_JAR_EVENTS),
            (TOKEN, TOKEN_EVENTS),
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
        return None
