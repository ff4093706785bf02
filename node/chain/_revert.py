"""Revert reasons in words, and the translation of web3 errors at the package boundary.

A revert carries ABI-encoded data: a 4-byte selector and arguments. :class:`RevertDecoder`
knows the custom errors of every contract in the build manifest (plus Solidity's ``Error`` and
``Panic``) and turns the data into a :class:`~node.errors.ContractReverted` whose message a
user can act on, e.g. ``slippage: cost 1.2 ETH exceeds maxCost 1.1 ETH``.

:func:`translate` is the one place web3, RPC and transport exceptions become
:class:`~node.errors.ChainError` subclasses, most specific first, with ``raise ... from``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import exceptions as w3x

from ..errors import ChainError, ChainUnavailable, ContractReverted, SlippageExceeded
from ..redact import scrub
from ._abi import OPERATION_STATES, PROPOSAL_STATES

_PANICS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


def format_wei(wei: int) -> str:
    """``1200000000000000000`` -> ``"1.2 ETH"``: exact, no rounding, no trailing zeros."""
    text = format(Decimal(wei).scaleb(-18).normalize(), "f")
    return f"{text} ETH"


# Error name -> (message template, the parameters that are wei amounts, shown in ETH). Errors
# not listed fall back to ``Name(arg=value, ...)``.
_MESSAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CreatorTokenMaxCostExceeded": ("slippage: cost {cost} exceeds maxCost {maxCost}", ("cost", "maxCost")),
    "CreatorTokenMinProceedsNotMet": (
        "slippage: proceeds {proceeds} below minProceeds {minProceeds}",
        ("proceeds", "minProceeds"),
    ),
    "CreatorTokenInsufficientPayment": ("payment: sent {value} but the buy costs {cost}", ("value", "cost")),
    "CreatorTokenZeroAmount": ("amount: must be more than zero", ()),
    "CreatorTokenDeadlinePassed": (
        "deadline: the trade was mined at {timestamp}, after its deadline {deadline}",
        (),
    ),
    "CreatorTokenSupplyCapExceeded": (
        "amount: {amount} base units would pass the supply cap (supply {supply})",
        (),
    ),
    "CreatorTokenAmountExceedsSupply": (
        "amount: {amount} base units is more than the whole supply {supply}",
        (),
    ),
    "CreatorTokenUnauthorized": ("unauthorized: {account} is not this token's creator", ()),
    "CreatorTokenFeeTooHigh": ("fee: {bps} bps is over the maximum {max} bps", ()),
    "CreatorTokenNothingToWithdraw": ("withdraw: nothing to withdraw", ()),
    "CreatorTokenInvalidRecipient": ("recipient: cannot withdraw to {to}", ()),
    "FactoryAlreadyLaunched": ("launch: {creator} already launched token {token}", ()),
    "FactoryFeeTooHigh": ("fee: {bps} bps is over the maximum {max} bps", ()),
    "FactoryInvalidFeeRecipient": ("fee recipient: {recipient} is not allowed", ()),
    "FactoryInvalidName": ("name: {length} bytes, must be 1 to 31", ()),
    "FactoryInvalidSymbol": ("symbol: {length} bytes, must be 1 to 11", ()),
    "TipJarZeroAmount": ("tip: amount must be more than zero", ()),
    "TipJarInvalidCreator": ("tip: cannot tip {creator}", ()),
    "TipJarMemoTooLong": ("memo: {length} bytes, over the maximum {max}", ()),
    "TipJarSplitLengthMismatch": ("split: {accounts} accounts but {shares} shares", ()),
    "TipJarTooManyAccounts": ("split: {accounts} accounts, over the maximum {max}", ()),
    "TipJarInvalidShare": ("split: entry {index} has the zero address, the jar or a zero share", ()),
    "TipJarSharesNotWhole": ("split: shares sum to {total} bps, must be 10000", ()),
    "TipJarNothingToWithdraw": ("withdraw: nothing credited to {account} in {token}", ()),
    "TipJarInvalidRecipient": ("recipient: cannot withdraw to {to}", ()),
    "TipJarDeliveryMismatch": (
        "token: {token} delivered {received} base units of {sent} to {to} (fee-on-transfer tokens are refused)",
        (),
    ),
    # Collectives: the factory, the shares, the governor and the timelock (OpenZeppelin's).
    "CollectiveFactoryNoFounders": ("launch: a collective needs at least one founder", ()),
    "FailedDeployment": (
        "launch: the collective's contracts could not be created (this launcher already launched "
        "the collective of this community?)",
        (),
    ),
    "CollectiveSharesNonTransferable": (
        "shares cannot be transferred: only admitted (minted) or removed",
        (),
    ),
    "CollectiveSharesInvalidBps": ("revenue policy: {bps} bps is over 10000", ()),
    "CollectiveSharesLengthMismatch": ("founders: {founders} founders but {shares} share counts", ()),
    "CollectiveSharesInvalidTreasury": ("treasury: cannot be {treasury}", ()),
    "CollectiveSharesNothingToClaim": ("claim: nothing of {asset} for {account} to claim", ()),
    "CollectiveSharesUnknownToken": (
        "income: {token} is not shared yet, and only a member or the collective may add it ({account} is neither)",
        (),
    ),
    "CollectiveSharesTooManyTokens": ("income: already {max} tokens are shared, the most there can be", ()),
    "CollectiveSharesTooManyModerators": ("moderators: {count} accounts, at most {max}", ()),
    "CollectiveSharesInvalidModerator": ("moderators: {moderator} is the zero address or listed twice", ()),
    "ERC20ExceededSafeSupply": ("shares: {increasedSupply} in all would pass the cap {cap}", ()),
    "OwnableUnauthorizedAccount": (
        "unauthorized: {account} is not the owner (a collective's shares change only by its members' vote)",
        (),
    ),
    "GovernorUnexpectedProposalState": (
        "proposal {proposalId}: its state is {current}, this needs {expectedStates}",
        (),
    ),
    "GovernorNonexistentProposal": (
        "proposal {proposalId}: this collective's governor has no such proposal",
        (),
    ),
    "GovernorAlreadyCastVote": ("vote: {voter} has already voted on this proposal", ()),
    "GovernorInsufficientProposerVotes": (
        "propose: {proposer} has {votes} votes, proposing takes {threshold}",
        (),
    ),
    "GovernorInvalidVoteType": ("vote: support must be against, for or abstain", ()),
    "GovernorInvalidProposalLength": (
        "proposal: {targets} targets, {calldatas} calldatas and {values} values (as many of each, at least one)",
        (),
    ),
    "GovernorAlreadyQueuedProposal": ("queue: proposal {proposalId} is queued already", ()),
    "GovernorOnlyExecutor": ("unauthorized: only the collective's timelock may do this, not {account}", ()),
    "GovernorUnableToCancel": ("cancel: {account} may not cancel proposal {proposalId}", ()),
    "GovernorRestrictedProposer": (
        "propose: this description reserves the proposal to another proposer, not {proposer}",
        (),
    ),
    "TimelockUnexpectedOperationState": (
        "timelock: operation {operationId} is not {expectedStates} (queued, and its delay passed?)",
        (),
    ),
    "TimelockUnauthorizedCaller": ("timelock: {caller} may not call this", ()),
    "TimelockInsufficientDelay": ("timelock: a delay of {delay} s is under the minimum {minDelay} s", ()),
    "AccessControlUnauthorizedAccount": ("unauthorized: {account} lacks role {neededRole}", ()),
    "FailedCall": ("a call failed (a payment its recipient refused, or more ether than the payer holds)", ()),
    "InsufficientBalance": ("balance: holds {balance} wei, needs {needed}", ("balance", "needed")),
    "ERC20InsufficientBalance": ("balance: {sender} holds {balance} base units, needs {needed}", ()),
    "ERC20InsufficientAllowance": (
        "allowance: {spender} may spend {allowance} base units, needs {needed}",
        (),
    ),
}

_SLIPPAGE = {"CreatorTokenMaxCostExceeded", "CreatorTokenMinProceedsNotMet"}


def _states(names: Sequence[str]) -> Callable[[Any], str]:
    """An OpenZeppelin state bitmap (bit ``i``: state ``names[i]``) in words: ``queued or succeeded``."""

    def words(bitmap: Any) -> str:
        bits = int(bitmap, 16) if isinstance(bitmap, str) else int(bitmap)
        return " or ".join(n for i, n in enumerate(names) if bits >> i & 1) or "in no state"

    return words


def _asset(address: Any) -> str:
    return "ether" if int(address, 16) == 0 else f"token {address}"


# Error name -> {parameter: how it is shown}, for enums, bitmaps and asset keys.
_SHOWN: dict[str, dict[str, Callable[[Any], str]]] = {
    "GovernorUnexpectedProposalState": {
        "current": lambda v: PROPOSAL_STATES[v] if 0 <= v < len(PROPOSAL_STATES) else f"state {v}",
        "expectedStates": _states(PROPOSAL_STATES),
    },
    "TimelockUnexpectedOperationState": {"expectedStates": _states(OPERATION_STATES)},
    "CollectiveSharesNothingToClaim": {"asset": _asset},
}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class RevertDecoder:
    """Turns revert data into :class:`~node.errors.ContractReverted`, knowing ``error_abis``."""

    def __init__(self, error_abis: Iterable[Mapping[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {
            function_signature_to_4byte_selector("Error(string)"): ("Error", ["reason"], ["string"]),
            function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", ["code"], ["uint256"]),
        }
        for entry in error_abis:
            inputs = entry.get("inputs") or []
            types = [_abi_type(i) for i in inputs]
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
            names = [i.get("name") or f"arg{n}" for n, i in enumerate(inputs)]
            self._errors[selector] = (entry["name"], names, types)

    def decode(self, data: bytes | str | None) -> ContractReverted:
        """The error ``data`` encodes (hex or bytes); never raises."""
        if isinstance(data, str):
            text = data
            try:
                data = bytes.fromhex(text.removeprefix("0x"))
            except ValueError:
                return ContractReverted("Error", {"reason": text}, f"reverted: {text}")
        if not data:
            return ContractReverted("", {}, "reverted without a reason")
        known = self._errors.get(data[:4])
        if known is None:
            return ContractReverted(
                "", {"data": "0x" + data.hex()}, f"reverted with unknown error 0x{data[:4].hex()}"
            )
        name, names, types = known
        try:
            values = abi_decode(types, data[4:])
        except Exception:  # malformed data: say so rather than fail while reporting a failure
            return ContractReverted(name, {}, f"reverted with {name} (undecodable arguments)")
        params = {n: _plain(v) for n, v in zip(names, values, strict=False)}
        return self._exception(name, params)

    def _exception(self, name: str, params: dict[str, Any]) -> ContractReverted:
        if name == "Error":
            return ContractReverted(name, params, f"reverted: {params['reason']}")
        if name == "Panic":
            what = _PANICS.get(params["code"], f"code 0x{params['code']:x}")
            return ContractReverted(name, params, f"panic: {what}")
        template = _MESSAGES.get(name)
        if template is None:
            args = ", ".join(f"{k}={v}" for k, v in params.items())
            return ContractReverted(name, params, f"reverted with {name}({args})")
        text, wei = template
        special = _SHOWN.get(name, {})
        shown = {
            k: format_wei(v) if k in wei else special[k](v) if k in special else v for k, v in params.items()
        }
        cls = SlippageExceeded if name in _SLIPPAGE else ContractReverted
        return cls(name, params, text.format(**shown))


def _abi_type(entry: Mapping[str, Any]) -> str:
    kind = entry["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in entry["components"]) + ")" + kind[len("tuple") :]
    return kind


def _http_status(exc: requests.exceptions.HTTPError) -> int | None:
    response = exc.response
    return None if response is None else response.status_code


def _http_words(status: int | None) -> str:
    """What an HTTP error status from the RPC endpoint means, in our words."""
    if status is None:
        return "chain RPC answered with an HTTP error"
    if status == 429:
        return "chain RPC answered HTTP 429 (rate limited)"
    if status in (401, 403):
        return f"chain RPC answered HTTP {status} (access refused: check the endpoint's API key)"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    return f"chain RPC answered HTTP {status} ({phrase})"


@contextlib.contextmanager
def translate(decoder: RevertDecoder, doing: str, *, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Translate web3 / RPC / transport errors raised inside into :class:`ChainError`s.

    ``doing`` names the operation for the message (``"buy"``, ``"read balanceOf"``).
    :class:`~node.errors.MecenateError`s pass through untouched.

    The messages are our own words and never echo the endpoint: requests and urllib3 name the
    full URL (``429 Client Error: ... for url: https://host/v3/<key>``), and hosted RPC URLs
    carry API keys. Any text we do pass on (a JSON-RPC error message, a revert reason) is
    scrubbed of URLs and of ``secrets`` (:func:`node.redact.url_secrets` of the endpoint). The
    original exception stays in ``__cause__`` for a DEBUG log.
    """
    try:
        yield
    except w3x.ContractLogicError as exc:  # includes ContractCustomError, ContractPanicError
        data = exc.data if isinstance(exc.data, (str, bytes)) else None
        if data and (isinstance(data, bytes) or data.startswith("0x")):
            err = decoder.decode(data)
        else:
            reason = scrub(str(exc.message or exc), *secrets).removeprefix("execution reverted").lstrip(": ")
            detail = f"reverted: {reason}" if reason else "reverted without a reason"
            err = ContractReverted("Error", {"reason": reason}, detail)
        if not err.error:
            err.args = (f"{doing}: {err.detail}",)
        raise err from exc
    except w3x.TimeExhausted as exc:
        raise ChainUnavailable(f"{doing}: timed out waiting for the transaction receipt") from exc
    except requests.exceptions.HTTPError as exc:
        raise ChainUnavailable(f"{doing}: {_http_words(_http_status(exc))}") from exc
    except requests.exceptions.Timeout as exc:
        raise ChainUnavailable(f"{doing}: chain RPC did not answer in time") from exc
    except (requests.exceptions.ConnectionError, w3x.ProviderConnectionError) as exc:
        raise ChainUnavailable(f"{doing}: chain RPC unreachable") from exc
    except w3x.Web3RPCError as exc:
        said = scrub(str(exc.message or exc), *secrets)[:_MAX_ECHO]
        raise ChainError(f"{doing}: {said}") from exc
    except w3x.BadFunctionCallOutput as exc:
        raise ChainError(
            f"{doing}: the call returned no usable data (is that address a contract on this chain?)"
        ) from exc
    except (w3x.Web3Exception, requests.exceptions.RequestException) as exc:
        said = scrub(str(exc), *secrets)[:_MAX_ECHO]
        raise ChainError(f"{doing}: chain client failed ({type(exc).__name__}: {said})") from exc


#: Most characters of an outside message (a JSON-RPC error) passed on, after scrubbing.
_MAX_ECHO = 200
