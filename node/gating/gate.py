"""Evaluating gates: whether a holder meets an exclusive post's gate.

The gate itself, its condition tree (:class:`Balance` leaves under ``All`` / ``Any``) and its
canonical JSON, is a field of a signed message and lives with the message rules in
:mod:`node.messages.gate` (:mod:`node.gating` re-exports it, so that gating code reads in one
vocabulary). This module holds what a gate means: :func:`tokens_needed` says which balances to
fetch, :func:`evaluate` decides over them, :func:`check_gate` does both through a chain lookup
the caller supplies (:class:`BalanceLookup`). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeAlias

from node.messages.gate import All, Balance, Gate

__all__ = ["BalanceLookup", "TokenKey", "check_gate", "evaluate", "tokens_needed"]

TokenKey: TypeAlias = tuple[int, str]
"""``(chain_id, checksum token address)``: the key of one balance a gate needs."""


def tokens_needed(gate: Gate) -> tuple[TokenKey, ...]:
    """Return the distinct ``(chain_id, token)`` balances ``gate`` reads, sorted.

    This is the list of ``balanceOf`` calls to make before :func:`evaluate`; sorted so that
    callers batching or caching chain calls see a stable order.
    """
    keys: set[TokenKey] = set()

    def walk(node: Gate) -> None:
        if isinstance(node, Balance):
            keys.add((node.chain_id, node.token))
        else:
            for child in node.conditions:
                walk(child)

    walk(gate)
    return tuple(sorted(keys))


def _eval(node: Gate, balances: Mapping[TokenKey, int]) -> bool:
    if isinstance(node, Balance):
        return balances[(node.chain_id, node.token)] >= node.min_balance
    if isinstance(node, All):
        return all(_eval(child, balances) for child in node.conditions)
    return any(_eval(child, balances) for child in node.conditions)


def evaluate(gate: Gate, balances: Mapping[TokenKey, int]) -> bool:
    """Return whether a holder with ``balances`` meets ``gate``.

    ``balances`` maps ``(chain_id, checksum token address)`` to the holder's balance in base
    units; it must cover every key of :func:`tokens_needed` (all are checked up front, so the
    outcome never depends on which branch short-circuits first). Raises :class:`KeyError`
    naming the first missing key: a missing balance is a lookup bug, and treating it as zero
    would refuse holders silently.
    """
    for key in tokens_needed(gate):
        if key not in balances:
            raise KeyError(f"no balance given for chain {key[0]} token {key[1]}")
    return _eval(gate, balances)


class BalanceLookup(Protocol):
    """The chain lookup a gate check needs: ``holder``'s balance of ``token`` on ``chain_id``.

    Implemented by the chain package (web3 ``balanceOf`` at a confirmed block); kept as a
    protocol so this module stays free of I/O and tests can pass a dict-backed function.
    """

    def __call__(self, chain_id: int, token: str, holder: str) -> int: ...


def check_gate(gate: Gate, holder: str, lookup: BalanceLookup) -> bool:
    """Fetch the balances ``gate`` needs for ``holder`` through ``lookup``, then evaluate.

    Blocking if ``lookup`` blocks: the node calls it through ``trio.to_thread.run_sync``.
    Errors raised by ``lookup`` (for example :class:`~node.errors.ChainError`) propagate.
    """
    balances = {key: lookup(key[0], key[1], holder) for key in tokens_needed(gate)}
    return evaluate(gate, balances)
