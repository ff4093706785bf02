"""ChainClient against anvil: reads, signed transactions, decoded reverts."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector

from node.chain import ChainClient, TokenUnits, format_wei, max_cost, min_proceeds
from node.errors import ChainUnavailable, ContractReverted, InvalidInput, SlippageExceeded

from .conftest import BASE_PRICE, SLOPE, WAD, send

POST = bytes.fromhex("ab" * 32)


def test_launch_buy_sell_round_trip(client, keys):
    creator, fan = keys[2], keys[3]
    launch = client.launch_token(creator, "Alice Token", "ALICE")
    assert launch.creator == creator.address
    assert client.token_of(creator.address) == launch.token
    assert client.token_of(keys[9].address) is None

    quote = client.quote_buy(launch.token, 10 * WAD)
    before = client.eth_balance(fan.address)
    bought = client.buy(fan, launch.token, 10 * WAD)
    assert (bought.side, bought.amount, bought.value, bought.supply) == ("buy", 10 * WAD, quote, 10 * WAD)
    assert client.balance_of(launch.token, fan.address) == 10 * WAD
    assert before - client.eth_balance(fan.address) > quote  # cost plus gas

    info = client.token_info(launch.token)
    assert (info.name, info.symbol, info.creator, info.supply) == (
        "Alice Token",
        "ALICE",
        creator.address,
        10 * WAD,
    )
    assert info.price == BASE_PRICE + SLOPE * 10
    assert info.reserve == BASE_PRICE * 10 + SLOPE * 100 // 2

    quote = client.quote_sell(launch.token, 4 * WAD)
    sold = client.sell(fan, launch.token, 4 * WAD)
    assert (sold.side, sold.amount, sold.value, sold.supply) == ("sell", 4 * WAD, quote, 6 * WAD)
    assert client.balance_of(launch.token, fan.address) == 6 * WAD


def test_buy_past_the_slippage_bound_says_so(client, keys):
    creator, fan, rival = keys[2], keys[3], keys[4]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    shown = client.quote_buy(token, 5 * WAD)
    client.buy(rival, token, 50 * WAD)  # the price moves before the fan's transaction
    cost = client.quote_buy(token, 5 * WAD)
    bound = max_cost(shown, 50)
    with pytest.raises(SlippageExceeded) as caught:
        client.buy(fan, token, 5 * WAD, quote=shown, slippage_bps=50)
    assert str(caught.value) == f"slippage: cost {format_wei(cost)} exceeds maxCost {format_wei(bound)}"
    assert caught.value.error == "CreatorTokenMaxCostExceeded"
    assert caught.value.params == {"cost": cost, "maxCost": bound}
    assert client.balance_of(token, fan.address) == 0
    # A fresh quote goes through at the new price.
    assert client.buy(fan, token, 5 * WAD, slippage_bps=0).value == cost


def test_sell_below_the_slippage_bound_says_so(client, keys):
    creator, fan, rival = keys[2], keys[3], keys[4]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    client.buy(fan, token, 10 * WAD)
    client.buy(rival, token, 40 * WAD)
    shown = client.quote_sell(token, 10 * WAD)
    client.sell(rival, token, 40 * WAD)
    proceeds = client.quote_sell(token, 10 * WAD)
    with pytest.raises(
        SlippageExceeded, match=r"^slippage: proceeds .* ETH below minProceeds .* ETH$"
    ) as caught:
        client.sell(fan, token, 10 * WAD, quote=shown, slippage_bps=100)
    assert caught.value.params == {"proceeds": proceeds, "minProceeds": min_proceeds(shown, 100)}


def test_reverts_are_decoded_into_words(client, keys):
    creator = keys[2]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    with pytest.raises(ContractReverted, match=f"^launch: {creator.address} already launched token {token}$"):
        client.launch_token(creator, "Again", "AGAIN")
    with pytest.raises(ContractReverted, match=r"^name: 40 bytes, must be 1 to 31$"):
        client.launch_token(keys[3], "x" * 40, "X")
    with pytest.raises(ContractReverted, match="amount: 1 base units is more than the whole supply 0"):
        client.sell(keys[3], token, 1)
    with pytest.raises(ContractReverted, match=r"^split: shares sum to 9000 bps, must be 10000$"):
        client.set_split(creator, {keys[5].address: 9000})


def test_bad_arguments_name_the_parameter(client, keys):
    token = client.launch_token(keys[2], "Alice Token", "ALICE").token
    with pytest.raises(InvalidInput, match="slippage_bps"):
        client.buy(keys[3], token, WAD, slippage_bps=10_001)
    with pytest.raises(InvalidInput, match="amount"):
        client.buy(keys[3], token, 0)
    with pytest.raises(InvalidInput, match="deadline"):
        client.sell(keys[3], token, WAD, deadline_seconds=0)
    with pytest.raises(InvalidInput, match="token"):
        client.balance_of("0x1234", keys[3].address)
    with pytest.raises(InvalidInput, match="post_id"):
        client.tip(keys[3], keys[2].address, 1, post_id=b"short")


def test_tips_in_ether_and_tokens(client, keys, erc20):
    creator, fan = keys[2], keys[3]
    before = client.eth_balance(creator.address)
    tip = client.tip(fan, creator.address, 10**16, post_id=POST, memo="thanks!")
    assert (tip.creator, tip.tipper, tip.token, tip.amount, tip.post_id, tip.memo) == (
        creator.address,
        fan.address,
        None,
        10**16,
        POST,
        "thanks!",
    )
    assert client.eth_balance(creator.address) - before == 10**16

    # ERC-20: approve first, then tipToken (two transactions).
    nonce = client.web3.eth.get_transaction_count(fan.address)
    tip = client.tip(fan, creator.address, 5 * WAD, token=erc20.address)
    assert (tip.token, tip.amount, tip.post_id) == (erc20.address, 5 * WAD, bytes(32))
    assert client.web3.eth.get_transaction_count(fan.address) == nonce + 2
    assert client.balance_of(erc20.address, creator.address) == 5 * WAD

    # Permit: one transaction, no approve.
    nonce = client.web3.eth.get_transaction_count(fan.address)
    tip = client.tip(
        fan, creator.address, 2 * WAD, token=erc20.address, permit=True, post_id="0x" + POST.hex()
    )
    assert (tip.token, tip.amount, tip.post_id) == (erc20.address, 2 * WAD, POST)
    assert client.web3.eth.get_transaction_count(fan.address) == nonce + 1
    assert client.balance_of(erc20.address, creator.address) == 7 * WAD


def test_creator_tokens_can_be_tipped_with_permit(client, keys):
    creator, fan = keys[2], keys[3]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    client.buy(fan, token, 3 * WAD)
    client.tip(fan, creator.address, WAD, token=token, permit=True)
    assert client.balance_of(token, creator.address) == WAD


def test_splits_divide_tips(client, keys):
    creator, partner, fan = keys[2], keys[6], keys[3]
    client.set_split(creator, {creator.address: 7000, partner.address: 3000})
    assert client.split_of(creator.address) == {creator.address: 7000, partner.address: 3000}
    before = client.eth_balance(partner.address)
    client.tip(fan, creator.address, 10**18)
    assert client.eth_balance(partner.address) - before == 3 * 10**17
    client.set_split(creator, {})
    assert client.split_of(creator.address) == {}


def test_unreachable_chain_is_chain_unavailable(artifacts, deployed):
    client = ChainClient("http://127.0.0.1:9", artifacts, deployed[0], request_timeout=2)
    with pytest.raises(ChainUnavailable) as caught:
        client.block_number()
    assert caught.value.__cause__ is not None
    with pytest.raises(ChainUnavailable):  # not "a token without a symbol"
        client.token_units(deployed[2].address)


def test_token_units_are_what_a_token_says_and_none_for_what_it_does_not(
    client, keys, erc20, deployed, w3, accounts
):
    assert client.token_units(erc20.address) == TokenUnits("MUSD", 18)
    # A contract with neither function (the tip jar), an account with no code at all.
    assert client.token_units(deployed[0].tip_jar) == TokenUnits(None, None)
    assert client.token_units(keys[9].address) == TokenUnits(None, None)
    # A symbol is whatever its contract returns: control characters go.
    launch = client.launch_token(keys[4], "Loud", "\x1b[2J\nLOUD")
    assert client.token_units(launch.token) == TokenUnits("[2JLOUD", 18)
    # None that reads as ether's, nor one that is not text (bytes that are not UTF-8).
    fake = client.launch_token(keys[5], "Fake ether", "eth ")
    assert client.token_units(fake.token) == TokenUnits(None, 18)
    raw = function_signature_to_4byte_selector("launch(string,string)") + encode(
        ["bytes", "bytes"], [b"Bad", b"\xff\xfe"]
    )
    send(w3, accounts[6], to=deployed[0].factory, data=raw)
    bad = client.token_of(accounts[6].address)
    answer = w3.eth.call({"to": bad, "data": function_signature_to_4byte_selector("symbol()")})
    assert decode(["bytes"], answer) == (b"\xff\xfe",)  # the symbol it answers is not text
    assert client.token_units(bad) == TokenUnits(None, 18)


def test_from_settings_reads_manifest_and_deployment(anvil_url, deployed):
    from node.config import ChainSettings

    from .conftest import MANIFEST

    deployment, directory, _ = deployed
    client = ChainClient.from_settings(
        ChainSettings(rpc_url=anvil_url, deployments_dir=directory, build_manifest=MANIFEST),
        deployment.chain_id,
    )
    assert client.deployment == deployment
    assert client.block_number() >= deployment.start_block


def test_a_deployment_for_another_chain_is_a_config_error(anvil_url, artifacts, deployed, keys):
    from dataclasses import replace

    from node.errors import ConfigError

    client = ChainClient(anvil_url, artifacts, replace(deployed[0], chain_id=1))
    with pytest.raises(ConfigError, match="serves chain 31337"):
        client.tip(keys[3], keys[2].address, 1)


def test_an_ether_tip_takes_no_permit(client, keys):
    with pytest.raises(InvalidInput, match="permit"):
        client.tip(keys[3], keys[2].address, 1, permit=True)


def test_a_transaction_that_reverts_when_mined_is_decoded(client, keys, w3):
    """Two buys estimated on the same state, mined in one block: the second one's cost moved
    past its bound after estimation; the client replays it and says why."""
    from concurrent.futures import ThreadPoolExecutor

    creator, fan, rival = keys[2], keys[3], keys[4]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    quote = client.quote_buy(token, 5 * WAD)
    nonce = w3.eth.get_transaction_count(fan.address)
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.buy, rival, token, 5 * WAD, quote=quote, slippage_bps=0)
            while not w3.eth.get_block("pending")["transactions"]:
                pass
            second = pool.submit(client.buy, fan, token, 5 * WAD, quote=quote, slippage_bps=0)
            while len(w3.eth.get_block("pending")["transactions"]) < 2:
                pass
            w3.provider.make_request("evm_mine", [])
            assert first.result(timeout=30).value == quote
            with pytest.raises(SlippageExceeded, match=r"^slippage: cost .* exceeds maxCost .*"):
                second.result(timeout=30)
        assert w3.eth.get_transaction_count(fan.address) == nonce + 1  # it was mined, and reverted
    finally:
        w3.provider.make_request("evm_setAutomine", [True])


def test_a_key_from_a_keystore_signs_transactions(client, keys, tmp_path):
    from node.identity import Keyring

    keyring = Keyring(tmp_path / "keys", scrypt_n=1 << 10)
    keyring.add(keys[3], "correct horse")
    fan = keyring.unlock(keys[3].address, "correct horse")
    tip = client.tip(fan, keys[2].address, 10**15, memo="from a keystore")
    assert (tip.tipper, tip.memo) == (keys[3].address, "from a keystore")
