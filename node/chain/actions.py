"""What a collective can decide, as the calls its timelock makes: pure builders, no I/O.

A proposal to a collective's governor is a list of calls (target, ether value, calldata) that
its timelock makes once the members voted for them and the delay passed. The timelock owns the
shares, so the five kinds of decision are calls from it:

- moderators, charter hash, revenue policy: ``setModerators``, ``setCharterHash``,
  ``setRevenuePolicy`` on the shares;
- admitting and removing members: ``mint`` and ``burn`` of shares;
- paying out of the treasury: the timelock *is* the treasury (it receives the treasury's part of
  every income), so a payment is the timelock sending ether (a call with a value and no data)
  or an ERC-20 (``transfer`` on the token). The treasury's part first sits in the shares
  contract until someone calls ``withdrawTreasury`` (anyone may); that call is left out of the
  proposal on purpose: it reverts when there is nothing to withdraw, so a proposal carrying it
  would fail if anyone withdrew before it ran. :meth:`ChainClient.execute` withdraws first when
  the timelock holds less than the proposal pays (:func:`payouts` says how much).

Proposal ids are OpenZeppelin's ``hashProposal``, computed here (:func:`proposal_id`), so a
caller knows the id before the transaction is mined and can check it against the event.
Every builder checks its arguments and raises :class:`~node.errors.InvalidInput` naming them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from ..errors import InvalidInput
from . import _inputs as inputs
from ._abi import PROPOSAL_STATES
from ._inputs import BPS
from ._revert import format_wei

#: Most moderators a collective names (``CollectiveShares.MAX_MODERATORS``).
MAX_MODERATORS = 32
#: Most shares in existence (``CollectiveShares.MAX_SUPPLY``).
MAX_SUPPLY = 2**64 - 1
#: A vote's ``support`` as OpenZeppelin's GovernorCountingSimple counts it.
SUPPORT = {"against": 0, "for": 1, "abstain": 2}

__all__ = [
    "MAX_MODERATORS",
    "MAX_SUPPLY",
    "PROPOSAL_STATES",
    "SUPPORT",
    "Action",
    "action",
    "admit",
    "bps",
    "columns",
    "describe",
    "description_hash",
    "hash32",
    "moderator_list",
    "pay",
    "payouts",
    "proposal_id",
    "remove",
    "set_charter_hash",
    "set_moderators",
    "set_revenue_policy",
    "share_count",
]

_SIGNATURES = {
    "setModerators": ("setModerators(address[])", ("address[]",)),
    "setCharterHash": ("setCharterHash(bytes32)", ("bytes32",)),
    "setRevenuePolicy": ("setRevenuePolicy(uint16)", ("uint16",)),
    "mint": ("mint(address,uint256)", ("address", "uint256")),
    "burn": ("burn(address,uint256)", ("address", "uint256")),
    "transfer": ("transfer(address,uint256)", ("address", "uint256")),
}
_SELECTORS = {
    function_signature_to_4byte_selector(sig): (name, types) for name, (sig, types) in _SIGNATURES.items()
}


@dataclass(frozen=True, slots=True)
class Action:
    """One call a collective's timelock makes when a proposal is executed: ``target`` called
    with ``value`` wei and ``calldata`` (empty: a plain ether payment)."""

    target: ChecksumAddress
    value: int
    calldata: bytes


def action(target: str, value: int | str, calldata: bytes | str) -> Action:
    """An :class:`Action` from its parts as an API or a log gives them (an address in any case,
    a decimal string or int of wei, calldata as bytes or ``0x`` hex), checked."""
    try:
        wei = int(value)
        data = bytes.fromhex(calldata.removeprefix("0x")) if isinstance(calldata, str) else bytes(calldata)
    except (TypeError, ValueError):
        raise InvalidInput(f"action: value {value!r} or calldata {calldata!r} is malformed") from None
    if not 0 <= wei < 2**256:
        raise InvalidInput(f"action: value {wei} is out of range")
    return Action(inputs.address(target, "action target"), wei, data)


def _call(target: ChecksumAddress, name: str, *args: object) -> Action:
    signature, types = _SIGNATURES[name]
    return Action(target, 0, function_signature_to_4byte_selector(signature) + abi_encode(types, args))


def set_moderators(shares: str, moderators: Sequence[str]) -> Action:
    """Replace the collective's moderators with ``moderators`` (the whole list, in order):
    distinct addresses, at most :data:`MAX_MODERATORS` (the shares refuse more, or a repeat)."""
    return _call(inputs.address(shares, "shares"), "setModerators", moderator_list(moderators))


def moderator_list(moderators: Sequence[str]) -> list[ChecksumAddress]:
    """``moderators`` checked as the shares check them: distinct addresses, at most
    :data:`MAX_MODERATORS` (the order is kept: the shares store the list as given)."""
    if isinstance(moderators, str):
        raise InvalidInput("moderators: must be a list of addresses, not one string")
    listed = [inputs.address(m, f"moderators[{i}]") for i, m in enumerate(moderators)]
    if len(listed) > MAX_MODERATORS:
        raise InvalidInput(f"moderators: {len(listed)} accounts, at most {MAX_MODERATORS}")
    repeated = next((m for i, m in enumerate(listed) if m in listed[:i]), None)
    if repeated is not None:
        raise InvalidInput(f"moderators: {repeated} is listed twice")
    return listed


def set_charter_hash(shares: str, charter_hash: bytes) -> Action:
    """Approve the charter hashing to ``charter_hash`` (32 bytes, see ``charter_hash``)."""
    return _call(inputs.address(shares, "shares"), "setCharterHash", hash32(charter_hash, "charter_hash"))


def hash32(value: object, title: str) -> bytes:
    """A 32-byte hash."""
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidInput(f"{title}: must be 32 bytes")
    return bytes(value)


def set_revenue_policy(shares: str, treasury_bps: int) -> Action:
    """Send ``treasury_bps`` basis points of every future income to the treasury (0 to 10000)."""
    return _call(inputs.address(shares, "shares"), "setRevenuePolicy", bps(treasury_bps, "treasury_bps"))


def admit(shares: str, member: str, amount: int) -> Action:
    """Admit ``member`` with ``amount`` new shares (or give a member more): a mint."""
    return _call(
        inputs.address(shares, "shares"), "mint", inputs.address(member, "member"), share_count(amount)
    )


def remove(shares: str, member: str, amount: int) -> Action:
    """Take ``amount`` of ``member``'s shares away (all of them: the member leaves): a burn.
    What the member earned before stays theirs to claim."""
    return _call(
        inputs.address(shares, "shares"), "burn", inputs.address(member, "member"), share_count(amount)
    )


def pay(asset: str | None, to: str, amount: int) -> Action:
    """Pay ``amount`` (base units) of ``asset`` (``None``: ether) from the treasury to ``to``."""
    recipient = inputs.address(to, "to")
    amount = inputs.amount(amount, "amount")
    if asset is None:
        return Action(recipient, amount, b"")
    return _call(inputs.address(asset, "asset"), "transfer", recipient, amount)


def bps(value: object, title: str) -> int:
    """Basis points, 0 to 10000."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BPS:
        raise InvalidInput(f"{title}: must be an integer from 0 to {BPS} (basis points), got {value!r}")
    return value


def share_count(value: object, title: str = "shares") -> int:
    """A number of shares: a whole number from 1 to :data:`MAX_SUPPLY`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_SUPPLY:
        raise InvalidInput(f"{title}: must be a whole number of shares from 1 to {MAX_SUPPLY}, got {value!r}")
    return value


def description_hash(description: str) -> bytes:
    """``keccak256(bytes(description))``, as the governor's queue and execute take it."""
    if not isinstance(description, str):
        raise InvalidInput("description: must be a string")
    return keccak(description.encode())


def proposal_id(actions: Sequence[Action], description: str) -> int:
    """The id the governor gives the proposal of ``actions`` and ``description``: OpenZeppelin's
    ``hashProposal``, ``keccak256(abi.encode(targets, values, calldatas, descriptionHash))``."""
    targets, values, calldatas = columns(actions)
    encoded = abi_encode(
        ("address[]", "uint256[]", "bytes[]", "bytes32"),
        (targets, values, calldatas, description_hash(description)),
    )
    return int.from_bytes(keccak(encoded), "big")


def columns(actions: Sequence[Action]) -> tuple[list[ChecksumAddress], list[int], list[bytes]]:
    """``(targets, values, calldatas)`` of ``actions``, as the governor takes them; at least one."""
    if not actions:
        raise InvalidInput("actions: a proposal makes at least one call")
    if not all(isinstance(a, Action) for a in actions):
        raise InvalidInput("actions: must be Actions (see node.chain's action builders)")
    return [a.target for a in actions], [a.value for a in actions], [a.calldata for a in actions]


def payouts(actions: Iterable[Action]) -> dict[str | None, int]:
    """What executing ``actions`` pays out of the timelock, by asset (``None``: ether): every
    ether value, and the amount of every ERC-20 ``transfer``."""
    paid: dict[str | None, int] = {}
    for action in actions:
        if action.value:
            paid[None] = paid.get(None, 0) + action.value
        decoded = _decode(action.calldata)
        if decoded is not None and decoded[0] == "transfer":
            paid[action.target] = paid.get(action.target, 0) + int(decoded[1][1])
    return paid


def _decode(calldata: bytes) -> tuple[str, tuple[Any, ...]] | None:
    known = _SELECTORS.get(bytes(calldata[:4]))
    if known is None:
        return None
    name, types = known
    try:
        return name, tuple(abi_decode(types, bytes(calldata[4:])))
    except Exception:  # not our encoding after all: describe it as an unknown call
        return None


def describe(action: Action, shares: str | None = None) -> str:
    """``action`` in words, e.g. ``admit 0xAb… with 5 shares``; a call this module does not build
    is shown as its target, selector and value. ``shares``, when given, is the collective's
    shares address: a shares call to another address says so."""
    decoded = _decode(action.calldata) if action.calldata else None
    elsewhere = shares is not None and action.target != to_checksum_address(shares)
    if not action.calldata:
        return f"pay {format_wei(action.value)} to {action.target}"
    if decoded is None or (decoded[0] != "transfer" and elsewhere):
        value = f" with {format_wei(action.value)}" if action.value else ""
        return f"call {action.target} (selector 0x{bytes(action.calldata[:4]).hex()}){value}"
    name, args = decoded
    if name == "setModerators":
        return "set moderators: " + (", ".join(to_checksum_address(a) for a in args[0]) or "none")
    if name == "setCharterHash":
        return f"approve charter hash 0x{bytes(args[0]).hex()}"
    if name == "setRevenuePolicy":
        return f"set the treasury's part of income to {args[0]} bps"
    if name in ("mint", "burn"):
        verb = "admit" if name == "mint" else "remove"
        return f"{verb} {to_checksum_address(args[0])}: {args[1]} shares"
    return f"pay {args[1]} base units of token {action.target} to {to_checksum_address(args[0])}"
