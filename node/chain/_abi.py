"""ABI fragments the node writes by hand (everything else comes from Ape's build manifest).

:func:`params` turns Solidity-style declarations into ABI parameter lists, so a signature reads
as it does in Solidity: ``params("address owner", "uint256 value")``.
"""

from __future__ import annotations

from typing import Any


def params(*declarations: str) -> list[dict[str, str]]:
    """``["address owner", ...]`` -> ``[{"name": "owner", "type": "address"}, ...]``."""
    out = []
    for declaration in declarations:
        kind, _, name = declaration.partition(" ")
        out.append({"name": name, "type": kind})
    return out


def _view(name: str, inputs: list[dict[str, str]], *outputs: str) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": "view",
        "inputs": inputs,
        "outputs": params(*outputs),
    }


#: What the node calls on any ERC-20 (tips in a token, permits): the standard reads, ``approve``,
#: EIP-2612's ``nonces`` and EIP-5267's ``eip712Domain``.
ERC20_ABI: list[dict[str, Any]] = [
    _view("balanceOf", params("address account"), "uint256"),
    _view("allowance", params("address owner", "address spender"), "uint256"),
    _view("nonces", params("address owner"), "uint256"),
    _view("decimals", [], "uint8"),
    _view("symbol", [], "string"),
    _view(
        "eip712Domain",
        [],
        "bytes1 fields",
        "string name",
        "string version",
        "uint256 chainId",
        "address verifyingContract",
        "bytes32 salt",
        "uint256[] extensions",
    ),
    {
        "type": "function",
        "name": "approve",
        "stateMutability": "nonpayable",
        "inputs": params("address spender", "uint256 value"),
        "outputs": params("bool"),
    },
]


#: OpenZeppelin's ``IGovernor.ProposalState``, in the enum's order (its values in the ABI).
PROPOSAL_STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")
#: OpenZeppelin's ``TimelockController.OperationState``, in the enum's order.
OPERATION_STATES = ("unset", "waiting", "ready", "done")
