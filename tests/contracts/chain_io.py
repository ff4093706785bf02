"""Fast reads and transactions that may revert, for the stateful contract tests.

A stateful test checks dozens of balances and credits after every step of hundreds of steps.
Through Ape's contract layer a view call costs 25-50 ms; a raw `eth_call` costs about 25 ms on
py-evm (it builds and discards a block) and 2 ms on anvil, and a raw `eth_getBalance` or
`eth_getStorageAt` 2-3 ms on both. `Reader` makes those requests; a test that reads a mapping
entry straight from storage (`mapping_slot`) cross-checks the slot against the contract's view
function once, so a wrong layout fails loudly instead of reading zeros.

Ape also replays every transaction it sends to a contract, to print `console.log` output, which
no contract here has: a third of a stateful test's time. `no_debug_logs` turns that off.

On both chains a transaction that reverts is still mined and its sender pays the gas (Ape sends
local transactions with the block's gas limit, without estimating first). `transact` returns the
receipt either way, with the name of the error, so a test can charge the sender's fee and check
that the revert was the one it predicted. Ape names only the errors of the contract a transaction
was sent to; `error_names` also names those bubbled up from other contracts (through
`MockReentrant.execute`).
"""

import ast
import os
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import ape
import pytest
from ape.api import ReceiptAPI
from ape.exceptions import ContractLogicError
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test


class Reader:
    """Reads balances and view functions with raw `eth_getBalance` and `eth_call` requests."""

    def __init__(self, caller: str):
        self._provider = ape.chain.provider
        self._caller = caller  # py-evm's eth_call wants a `from`
        self._selectors: dict[str, tuple[bytes, list[str]]] = {}

    def balance(self, address: str) -> int:
        return _to_int(self._provider.make_request("eth_getBalance", [address, "latest"]))

    def call(self, to: str, signature: str, *args, returns: tuple[str, ...] = ("uint256",)):
        """Calls `signature` (e.g. "balanceOf(address)") on `to` and decodes `returns`: a single
        value for a single type, else a tuple."""
        selector, types = self._selector(signature)
        data = "0x" + (selector + encode(types, list(args))).hex()
        raw = self._provider.make_request(
            "eth_call", [{"from": self._caller, "to": to, "data": data}, "latest"]
        )
        values = decode(list(returns), _to_bytes(raw))
        return values[0] if len(returns) == 1 else values

    def head_timestamp(self) -> int:
        """The timestamp of the latest block."""
        block = self._provider.make_request("eth_getBlockByNumber", ["latest", False])
        return _to_int(block["timestamp"])

    def storage(self, address: str, slot: int) -> int:
        return _to_int(self._provider.make_request("eth_getStorageAt", [address, hex(slot), "latest"]))

    def uint(self, to: str, signature: str, *args) -> int:
        return self.call(to, signature, *args)

    def token_balance(self, token: str, account: str) -> int:
        return self.call(token, "balanceOf(address)", account)

    def _selector(self, signature: str) -> tuple[bytes, list[str]]:
        if signature not in self._selectors:
            inner = signature[signature.index("(") + 1 : -1]
            types = inner.split(",") if inner else []
            self._selectors[signature] = (function_signature_to_4byte_selector(signature), types)
        return self._selectors[signature]


def mapping_slot(slot: int, *keys: str) -> int:
    """The storage slot of `m[keys[0]][keys[1]]...` for a mapping `m` keyed by addresses and
    declared at `slot` (Solidity's layout: keccak256(key . slot), nested)."""
    for key in keys:
        slot = int.from_bytes(keccak(encode(["address", "uint256"], [key, slot])), "big")
    return slot


@contextmanager
def no_debug_logs():
    """Stops Ape from replaying each transaction to look for `console.log` output."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ReceiptAPI, "show_debug_logs", lambda self: None)
        yield


@dataclass(frozen=True)
class Outcome:
    """A mined transaction: its receipt, and the name of the error it reverted with (None if not)."""

    receipt: ReceiptAPI
    error: str | None

    @property
    def fee(self) -> int:
        """What the sender paid for gas."""
        return self.receipt.total_fees_paid


def error_names(project) -> dict[bytes, str]:
    """The name of every custom error of the project's contracts, by selector."""
    return {
        keccak(text=error.selector)[:4]: error.name
        for contract in project.contracts.values()
        for error in contract.contract_type.errors
    }


def transact(send: Callable[[], ReceiptAPI], names: dict[bytes, str]) -> Outcome:
    """Sends a transaction with `send` and returns its outcome, reverted or not; `names` (from
    `error_names`) names the error."""
    try:
        return Outcome(send(), None)
    except ContractLogicError as err:
        receipt = (
            err.txn
            if isinstance(err.txn, ReceiptAPI)
            else ape.chain.provider.get_receipt(_hex(err.txn.txn_hash))
        )
        assert receipt.failed
        return Outcome(receipt, names.get(_revert_data(err)[:4]) or type(err).__name__)


class Revert(Exception):
    """A stateful test's model predicts that a transaction reverts with the error named `error`."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def addresses(values) -> list[str]:
    return [to_checksum_address(v) for v in values]


def _revert_data(err: ContractLogicError) -> bytes:
    """The raw revert data of an error Ape could not name: it shows it as hex, or as the repr of
    the bytes when they happen to look like text."""
    message = err.revert_message
    if isinstance(message, bytes):
        return message
    if isinstance(message, str) and message.startswith("0x"):
        return _to_bytes(message)
    if isinstance(message, str) and message[:2] in ('b"', "b'"):
        return ast.literal_eval(message)
    return b""


def _hex(value) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _to_int(value) -> int:
    return value if isinstance(value, int) else int(_hex(value), 16)


def _to_bytes(value) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


#: Sequences per state machine and steps per sequence ($MECENATE_STATEFUL_EXAMPLES / _STEPS run more).
EXAMPLES = int(os.environ.get("MECENATE_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("MECENATE_STATEFUL_STEPS", "15"))


def run_machine(
    machine: type,
    coverage: Counter,  # type: ignore[type-arg]
    required: Iterable[str],
    examples: int | None = None,
    steps: int | None = None,
) -> None:
    """Runs the state machine ``machine`` deterministically (derandomized, no example database),
    then asserts that its sequences reached each of ``required`` in ``coverage``: a machine that
    never got there proves nothing. ``examples`` lowers the number of sequences for a machine
    whose steps are slow, ``steps`` raises the steps per sequence for one whose properties need
    long sequences; $MECENATE_STATEFUL_EXAMPLES and $MECENATE_STATEFUL_STEPS, when set, still
    decide."""
    if examples is None or "MECENATE_STATEFUL_EXAMPLES" in os.environ:
        examples = EXAMPLES
    if steps is None or "MECENATE_STATEFUL_STEPS" in os.environ:
        steps = STEPS
    with no_debug_logs():
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    for what in required:
        assert coverage[what] > 0, (what, coverage)
