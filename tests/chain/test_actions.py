"""What a collective can decide, as calls (node.chain.actions): pure, no chain needed.

The calldata is checked against web3's own encoding from the contracts' ABIs (an independent
encoder), the proposal id against OpenZeppelin's formula written out, and every refusal names
the argument.
"""

from __future__ import annotations

import re

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from node.chain import actions
from node.errors import InvalidInput

SHARES = to_checksum_address("0x" + "5a" * 20)
TOKEN = to_checksum_address("0x" + "70" * 20)
ALICE = to_checksum_address("0x" + "a1" * 20)
BOB = to_checksum_address("0x" + "b0" * 20)


@pytest.fixture(scope="module")
def shares_abi(artifacts):
    return Web3().eth.contract(abi=artifacts.abi("CollectiveShares"))


def calldata(contract, name, *args) -> bytes:
    return bytes.fromhex(contract.encode_abi(name, list(args))[2:])


def test_each_kind_encodes_as_the_abi_does(shares_abi, artifacts):
    assert actions.set_moderators(SHARES, [ALICE, BOB.lower()]) == actions.Action(
        SHARES, 0, calldata(shares_abi, "setModerators", [ALICE, BOB])
    )
    charter = keccak(b"charter")
    assert actions.set_charter_hash(SHARES, charter).calldata == calldata(
        shares_abi, "setCharterHash", charter
    )
    assert actions.set_revenue_policy(SHARES, 2_500).calldata == calldata(
        shares_abi, "setRevenuePolicy", 2_500
    )
    assert actions.admit(SHARES, ALICE, 7).calldata == calldata(shares_abi, "mint", ALICE, 7)
    assert actions.remove(SHARES, ALICE, 3).calldata == calldata(shares_abi, "burn", ALICE, 3)
    # A payment: the timelock sends ether itself, or calls the token's transfer.
    assert actions.pay(None, BOB, 10**17) == actions.Action(BOB, 10**17, b"")
    erc20 = Web3().eth.contract(abi=artifacts.abi("MockERC20"))
    assert actions.pay(TOKEN, BOB, 5) == actions.Action(TOKEN, 0, calldata(erc20, "transfer", BOB, 5))


def test_an_action_from_its_parts_as_an_api_gives_them():
    admit = actions.admit(SHARES, ALICE, 7)
    assert actions.action(SHARES.lower(), "0", "0x" + admit.calldata.hex()) == admit
    assert actions.action(BOB, 5, b"") == actions.pay(None, BOB, 5)
    with pytest.raises(InvalidInput, match="is malformed"):
        actions.action(BOB, "1e3", "0x")
    with pytest.raises(InvalidInput, match="is malformed"):
        actions.action(BOB, 1, "0xzz")
    with pytest.raises(InvalidInput, match="out of range"):
        actions.action(BOB, -1, "0x")


def test_the_proposal_id_is_openzeppelins_hash_proposal():
    proposed = [actions.admit(SHARES, ALICE, 1), actions.pay(None, BOB, 2)]
    description = "Welcome Alice; pay Bob"
    by_hand = keccak(
        encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32"],
            [[SHARES, BOB], [0, 2], [proposed[0].calldata, b""], keccak(description.encode())],
        )
    )
    assert actions.proposal_id(proposed, description) == int.from_bytes(by_hand, "big")
    assert actions.proposal_id(proposed, description + " ") != actions.proposal_id(proposed, description)


def test_payouts_sum_what_leaves_the_treasury_by_asset():
    proposed = [
        actions.pay(None, ALICE, 3),
        actions.pay(TOKEN, ALICE, 5),
        actions.pay(None, BOB, 4),
        actions.pay(TOKEN, BOB, 6),
        actions.admit(SHARES, BOB, 1),
    ]
    assert actions.payouts(proposed) == {None: 7, TOKEN: 11}
    assert actions.payouts([actions.set_revenue_policy(SHARES, 0)]) == {}


def test_actions_in_words():
    assert (
        actions.describe(actions.set_moderators(SHARES, [ALICE, BOB]), SHARES)
        == f"set moderators: {ALICE}, {BOB}"
    )
    assert actions.describe(actions.set_moderators(SHARES, []), SHARES) == "set moderators: none"
    assert (
        actions.describe(actions.set_revenue_policy(SHARES, 1_000))
        == "set the treasury's part of income to 1000 bps"
    )
    assert actions.describe(actions.admit(SHARES, ALICE, 7)) == f"admit {ALICE}: 7 shares"
    assert actions.describe(actions.remove(SHARES, ALICE, 3)) == f"remove {ALICE}: 3 shares"
    assert actions.describe(actions.pay(None, BOB, 10**17)) == f"pay 0.1 ETH to {BOB}"
    assert actions.describe(actions.pay(TOKEN, BOB, 5)) == f"pay 5 base units of token {TOKEN} to {BOB}"
    charter = keccak(b"c")
    assert (
        actions.describe(actions.set_charter_hash(SHARES, charter))
        == f"approve charter hash 0x{charter.hex()}"
    )
    # A shares call aimed elsewhere, or a call this module does not build, shows what it is.
    elsewhere = actions.admit(BOB, ALICE, 1)
    assert actions.describe(elsewhere, SHARES) == f"call {BOB} (selector 0x40c10f19)"
    odd = actions.Action(BOB, 1, bytes.fromhex("deadbeef"))
    assert actions.describe(odd) == f"call {BOB} (selector 0xdeadbeef) with 0.000000000000000001 ETH"


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (
            lambda: actions.set_moderators(SHARES, [ALICE, ALICE.lower()]),
            f"moderators: {ALICE} is listed twice",
        ),
        (lambda: actions.set_moderators(SHARES, ["0xnope"]), "moderators[0]"),
        (lambda: actions.set_moderators(SHARES, ALICE), "must be a list of addresses"),
        (
            lambda: actions.set_moderators(
                SHARES, [to_checksum_address(f"0x{i:040x}") for i in range(1, 34)]
            ),
            "moderators: 33 accounts, at most 32",
        ),
        (lambda: actions.set_charter_hash(SHARES, b"short"), "charter_hash: must be 32 bytes"),
        (
            lambda: actions.set_revenue_policy(SHARES, 10_001),
            "treasury_bps: must be an integer from 0 to 10000",
        ),
        (lambda: actions.set_revenue_policy(SHARES, True), "treasury_bps"),
        (lambda: actions.admit(SHARES, ALICE, 0), "shares: must be a whole number of shares from 1"),
        (lambda: actions.remove(SHARES, ALICE, 2**64), "shares: must be a whole number of shares from 1"),
        (lambda: actions.admit("0x12", ALICE, 1), "shares"),
        (lambda: actions.pay(None, BOB, 0), "amount: must be a positive integer"),
        (lambda: actions.pay("ETH", BOB, 1), "asset"),
        (lambda: actions.proposal_id([], "nothing"), "actions: a proposal makes at least one call"),
        (lambda: actions.proposal_id([("0x", 0, b"")], "x"), "actions: must be Actions"),
        (lambda: actions.description_hash(b"bytes"), "description: must be a string"),
    ],
)
def test_bad_arguments_name_themselves(build, said):
    with pytest.raises(InvalidInput, match=re.escape(said)):
        build()
