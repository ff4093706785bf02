"""Gates: construction limits, canonical JSON, strict parsing, evaluation."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import InvalidGate, InvalidInput
from node.gating import (
    All,
    Any,
    Balance,
    Gate,
    check_gate,
    encode_gate,
    evaluate,
    parse_gate,
    tokens_needed,
)
from node.messages.gate import MAX_CONDITIONS, MAX_DEPTH, MAX_GATE_BYTES

from .conftest import CHAIN, TOKEN_A, TOKEN_B

UINT256_MAX = 2**256 - 1


# --- construction ----------------------------------------------------------------------------


def test_balance_validates_its_fields() -> None:
    with pytest.raises(InvalidGate, match="chain_id"):
        Balance(0, TOKEN_A, 1)
    with pytest.raises(InvalidGate, match="token"):
        Balance(1, TOKEN_A.lower(), 1)
    with pytest.raises(InvalidGate, match="min_balance"):
        Balance(1, TOKEN_A, 0)
    with pytest.raises(InvalidGate, match="min_balance"):
        Balance(1, TOKEN_A, UINT256_MAX + 1)
    with pytest.raises(InvalidGate, match="min_balance"):
        Balance(1, TOKEN_A, True)  # a bool is not a balance
    assert isinstance(InvalidGate("f", "d"), InvalidInput)


def test_combinators_reject_empty_and_foreign_children() -> None:
    with pytest.raises(InvalidGate, match="at least one"):
        All([])
    with pytest.raises(InvalidGate, match=r"conditions\[1\]"):
        Any([Balance(1, TOKEN_A, 1), "not a condition"])  # type: ignore[list-item]


def test_depth_and_size_are_bounded() -> None:
    leaf = Balance(1, TOKEN_A, 1)
    deep: Gate = leaf
    for _ in range(MAX_DEPTH - 1):
        deep = All([deep])
    assert deep.depth == MAX_DEPTH
    with pytest.raises(InvalidGate, match="levels deep"):
        Any([deep])
    Any([leaf] * MAX_CONDITIONS)
    with pytest.raises(InvalidGate, match="conditions"):
        Any([leaf] * (MAX_CONDITIONS + 1))


def test_equal_trees_are_equal_and_hash_alike(sample_gate: Gate) -> None:
    again = parse_gate(encode_gate(sample_gate))
    assert again == sample_gate and hash(again) == hash(sample_gate)
    assert All([Balance(1, TOKEN_A, 1)]) != Any([Balance(1, TOKEN_A, 1)])


# --- encoding and parsing --------------------------------------------------------------------


def test_canonical_encoding_is_exact() -> None:
    gate = Any([Balance(CHAIN, TOKEN_A, 10**18), All([Balance(1, TOKEN_B, 5)])])
    assert encode_gate(gate) == (
        b'{"of":[{"chainId":"31337","minBalance":"1000000000000000000",'
        b'"token":"0x5FbDB2315678afecb367f032d93F642f64180aa3","type":"balance"},'
        b'{"of":[{"chainId":"1","minBalance":"5",'
        b'"token":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512","type":"balance"}],'
        b'"type":"all"}],"type":"any"}'
    )


def test_largest_valid_gate_fits_the_byte_cap() -> None:
    leaf = Balance(2**64 - 1, TOKEN_A, UINT256_MAX)  # the longest leaf encoding
    # the most combinators a depth-4, 8-leaf tree can have: root + 8 + 8
    big = All([Any([All([leaf])]) for _ in range(MAX_CONDITIONS)])
    assert big.size == MAX_CONDITIONS and big.depth == MAX_DEPTH
    assert len(encode_gate(big)) <= MAX_GATE_BYTES
    assert parse_gate(encode_gate(big)) == big


def test_non_canonical_input_needs_opt_in(sample_gate: Gate) -> None:
    pretty = json.dumps(json.loads(encode_gate(sample_gate)), indent=2)
    with pytest.raises(InvalidGate, match="canonical"):
        parse_gate(pretty)
    assert parse_gate(pretty, canonical=False) == sample_gate


def _leaf_json(**overrides: object) -> dict[str, object]:
    leaf: dict[str, object] = {"chainId": "1", "minBalance": "5", "token": TOKEN_A, "type": "balance"}
    leaf.update(overrides)
    return leaf


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"of": [_leaf_json(chainId=1)], "type": "all"}, "gate.of[0].chainId", "the number 1"),
        ({"of": [_leaf_json(minBalance="007")], "type": "all"}, "gate.of[0].minBalance", "leading"),
        ({"of": [_leaf_json(minBalance="-5")], "type": "any"}, "gate.of[0].minBalance", "sign"),
        ({"of": [_leaf_json(minBalance="0")], "type": "any"}, "gate.of[0].minBalance", "between"),
        (_leaf_json(minBalance="9" * 79), "gate.minBalance", "79-digit"),
        ({"of": [_leaf_json(token=TOKEN_A.lower())], "type": "all"}, "gate.of[0].token", "EIP-55"),
        ({"of": [_leaf_json(), _leaf_json(extra="x")], "type": "all"}, "gate.of[1].extra", "unknown"),
        ({"of": [_leaf_json()], "type": "xor"}, "gate.type", "'balance', 'all' or 'any'"),
        ({"of": []}, "gate.type", "missing"),
        ({"type": "all"}, "gate.of", "missing"),
        ({"of": [], "type": "all"}, "gate.of", "at least one"),
        ({"of": {"a": 1}, "type": "all"}, "gate.of", "must be a list"),
        ({"of": ["x"], "type": "any"}, "gate.of[0]", "must be an object"),
        ([_leaf_json()], "gate", "must be an object"),
    ],
)
def test_parse_names_the_bad_field(document: object, field: str, words: str) -> None:
    with pytest.raises(InvalidGate) as info:
        parse_gate(json.dumps(document), canonical=False)
    assert info.value.field == field
    assert words in str(info.value)


def test_parse_rejects_bad_json_shapes() -> None:
    leaf = json.dumps(_leaf_json(), sort_keys=True, separators=(",", ":"))
    for bad in [
        b"\xff\xfe",
        b"not json",
        b"NaN",
        leaf.replace('"type"', '"chainId":"2","type"').encode(),  # duplicate key
        b"[" * 3000 + b"]" * 3000,  # over the byte cap
        b"[" * 2000,  # nesting bomb under the cap
    ]:
        with pytest.raises(InvalidGate):
            parse_gate(bad, canonical=False)
    deep = leaf
    for _ in range(MAX_DEPTH):
        deep = '{"of":[' + deep + '],"type":"all"}'
    with pytest.raises(InvalidGate, match="deeper"):
        parse_gate(deep)
    with pytest.raises(InvalidGate, match="conditions"):
        parse_gate('{"of":[' + ",".join([leaf] * (MAX_CONDITIONS + 1)) + '],"type":"any"}')
    with pytest.raises(TypeError):
        parse_gate(42)  # type: ignore[arg-type]


# --- evaluation ------------------------------------------------------------------------------


def test_evaluate_and_tokens_needed(sample_gate: Gate) -> None:
    assert tokens_needed(sample_gate) == ((1, TOKEN_B), (CHAIN, TOKEN_A), (CHAIN, TOKEN_B))
    balances = {(CHAIN, TOKEN_A): 1000, (1, TOKEN_B): 0, (CHAIN, TOKEN_B): 1}
    assert evaluate(sample_gate, balances)
    assert not evaluate(sample_gate, {**balances, (CHAIN, TOKEN_A): 999})
    assert not evaluate(sample_gate, {**balances, (CHAIN, TOKEN_B): 0})
    with pytest.raises(KeyError, match="chain 1 token"):
        evaluate(sample_gate, {(CHAIN, TOKEN_A): 0, (CHAIN, TOKEN_B): 0})


def test_check_gate_fetches_each_needed_balance_once(sample_gate: Gate) -> None:
    chain = {(CHAIN, TOKEN_A, "0xHolder"): 5000, (1, TOKEN_B, "0xHolder"): 7}
    calls: list[tuple[int, str, str]] = []

    def lookup(chain_id: int, token: str, holder: str) -> int:
        calls.append((chain_id, token, holder))
        return chain.get((chain_id, token, holder), 0)

    assert check_gate(sample_gate, "0xHolder", lookup)
    assert sorted(calls) == sorted((c, t, "0xHolder") for c, t in tokens_needed(sample_gate))
    assert not check_gate(sample_gate, "0xSomeoneElse", lookup)


# --- properties ------------------------------------------------------------------------------

# A structure is ("leaf", index) or (op, [structures]); a small pool of keys makes the same
# balance appear under several leaves, which is where evaluation bugs hide.
KEYS = [(CHAIN, TOKEN_A), (CHAIN, TOKEN_B), (1, TOKEN_A)]
Structure = tuple[str, int, int] | tuple[str, list["Structure"]]

leaves = st.tuples(st.just("leaf"), st.integers(0, len(KEYS) - 1), st.integers(1, 6))
structures = st.recursive(
    leaves,
    lambda children: st.tuples(st.sampled_from(["all", "any"]), st.lists(children, min_size=1, max_size=4)),
    max_leaves=MAX_CONDITIONS,
)


def _depth(s: Structure) -> int:
    return 1 if s[0] == "leaf" else 1 + max(_depth(c) for c in s[1])  # type: ignore[union-attr]


def _size(s: Structure) -> int:
    return 1 if s[0] == "leaf" else sum(_size(c) for c in s[1])  # type: ignore[union-attr]


bounded = structures.filter(lambda s: _depth(s) <= MAX_DEPTH and _size(s) <= MAX_CONDITIONS)


def _build(s: Structure) -> Gate:
    if s[0] == "leaf":
        chain_id, token = KEYS[s[1]]  # type: ignore[misc]
        return Balance(chain_id, token, s[2])  # type: ignore[misc]
    children = [_build(c) for c in s[1]]  # type: ignore[union-attr]
    return All(children) if s[0] == "all" else Any(children)


def _python_expression(s: Structure) -> str:
    """The gate as a plain Python boolean expression: an evaluator that shares no code."""
    if s[0] == "leaf":
        return f"(b[{s[1]}] >= {s[2]})"
    joiner = " and " if s[0] == "all" else " or "
    return "(" + joiner.join(_python_expression(c) for c in s[1]) + ")"  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(bounded)
def test_canonical_encoding_is_stable(s: Structure) -> None:
    gate = _build(s)
    encoded = encode_gate(gate)
    assert parse_gate(encoded) == gate
    assert encode_gate(parse_gate(encoded)) == encoded
    assert encode_gate(_build(s)) == encoded  # same tree built twice, same bytes
    shuffled = json.dumps(json.loads(encoded), indent=1)  # other whitespace, same content
    assert encode_gate(parse_gate(shuffled, canonical=False)) == encoded


@settings(max_examples=200, deadline=None)
@given(bounded, st.lists(st.integers(0, 7), min_size=len(KEYS), max_size=len(KEYS)))
def test_evaluate_agrees_with_brute_force(s: Structure, amounts: list[int]) -> None:
    gate = _build(s)
    balances = {key: amounts[i] for i, key in enumerate(KEYS)}
    expected = eval(_python_expression(s), {"b": amounts})
    assert evaluate(gate, balances) is expected
    # monotone: holding more never locks anyone out
    if expected:
        assert evaluate(gate, {key: value + 1 for key, value in balances.items()})
