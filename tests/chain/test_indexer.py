"""Indexer against anvil: what the client does shows up; foreign transactions too; reorgs
roll back; confirmations hold rows back; new transfers reach the served channel."""

from __future__ import annotations

import pytest
import trio

from node.chain import Indexer, Transfer
from node.errors import InvalidInput

from .conftest import BASE_PRICE, SLOPE, WAD, dump, send

POST = bytes.fromhex("cd" * 32)
ZERO = "0x0000000000000000000000000000000000000000"


def rpc(w3, method, *params):
    response = w3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def test_client_activity_shows_up(client, keys, erc20, make_indexer):
    creator, fan, fan2 = keys[2], keys[3], keys[4]
    indexer = make_indexer(batch_size=3)
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    client.buy(fan, token, 10 * WAD)
    client.buy(fan2, token, 4 * WAD)
    client.sell(fan, token, 3 * WAD)
    client.tip(fan, creator.address, 10**16, post_id=POST, memo="first")
    client.tip(fan2, creator.address, 3 * 10**16, post_id=POST)
    client.tip(fan, creator.address, 5 * WAD, token=erc20.address, post_id=POST)
    client.tip(fan2, creator.address, 2 * WAD, token=token, permit=True)

    report = indexer.poll_once()
    assert report.rolled_back_to is None
    assert report.indexed_to == client.block_number()
    assert [(launch.creator, launch.token) for launch in report.launches] == [(creator.address, token)]
    assert len(report.trades) == 3 and len(report.tips) == 4

    [listing] = indexer.creators()
    info = client.token_info(token)
    assert (listing.creator, listing.token, listing.name, listing.symbol) == (
        creator.address,
        token,
        "Alice Token",
        "ALICE",
    )
    assert (listing.supply, listing.price, listing.reserve) == (info.supply, info.price, info.reserve)
    assert listing.supply == 11 * WAD and listing.price == BASE_PRICE + 11 * SLOPE
    assert listing.holders == 3
    assert indexer.creator(creator.address) == listing
    assert indexer.creator(keys[9].address) is None

    holdings = {h.holder: h.balance for h in indexer.holders(token)}
    assert holdings == {fan.address: 7 * WAD, fan2.address: 2 * WAD, creator.address: 2 * WAD}
    for holder, balance in holdings.items():
        assert client.balance_of(token, holder) == balance == indexer.balance(token, holder)
    assert [h.holder for h in indexer.holders(token, min_balance=3 * WAD)] == [fan.address]

    trades = indexer.trades(token)
    assert [(t.side, t.trader, t.amount) for t in trades] == [
        ("sell", fan.address, 3 * WAD),
        ("buy", fan2.address, 4 * WAD),
        ("buy", fan.address, 10 * WAD),
    ]

    post_tips = indexer.tips_for_post(POST)
    assert [(t.tipper, t.token, t.amount, t.memo) for t in post_tips] == [
        (fan.address, None, 10**16, "first"),
        (fan2.address, None, 3 * 10**16, ""),
        (fan.address, erc20.address, 5 * WAD, ""),
    ]
    assert indexer.tips_for_post("0x" + POST.hex()) == post_tips
    assert len(indexer.tips_received(creator.address)) == 4
    assert indexer.tips_received(creator.address, limit=1)[0].token == token

    supporters = [(s.token, s.tipper, s.total, s.count) for s in indexer.top_supporters(creator.address)]
    assert supporters == sorted(supporters, key=lambda s: (s[0] or "", -s[2]))
    assert (None, fan2.address, 3 * 10**16, 1) in supporters and (None, fan.address, 10**16, 1) in supporters
    assert supporters[0][:2] == (None, fan2.address)
    assert (erc20.address, fan.address, 5 * WAD, 1) in supporters
    assert (token, fan2.address, 2 * WAD, 1) in supporters

    # Nothing new: a second poll indexes nothing and changes nothing.
    before = dump(indexer)
    report = indexer.poll_once()
    assert report.trades == report.tips == report.transfers == ()
    assert dump(indexer) == before


def test_a_tip_sent_by_another_client_is_indexed(client, keys, accounts, w3, make_indexer):
    indexer = make_indexer()
    creator, stranger = keys[2], accounts[7]
    jar = w3.eth.contract(address=client.deployment.tip_jar, abi=client.artifacts.abi("TipJar"))
    receipt = send(w3, stranger, jar.functions.tip(creator.address, POST, "from a plain wallet"), value=12345)
    indexer.poll_once()
    [tip] = indexer.tips_for_post(POST)
    assert (tip.tipper, tip.creator, tip.amount, tip.memo, tip.token) == (
        stranger.address,
        creator.address,
        12345,
        "from a plain wallet",
        None,
    )
    assert tip.tx_hash == "0x" + bytes(receipt["transactionHash"]).hex()
    assert tip.block_number == receipt["blockNumber"]


def test_snapshot_revert_rolls_indexed_rows_back(client, keys, w3, make_indexer):
    creator, fan, fan2 = keys[2], keys[3], keys[4]
    indexer = make_indexer()
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    client.buy(fan, token, 5 * WAD)
    indexer.poll_once()
    fork_point = rpc(w3, "evm_snapshot")
    fork_block = client.block_number()

    # The branch that will be dropped: a trade, a tip, a new creator.
    client.buy(fan, token, 7 * WAD)
    client.tip(fan, creator.address, 10**15, post_id=POST)
    client.launch_token(keys[5], "Bob Token", "BOB")
    assert len(indexer.poll_once().trades) == 1
    assert len(indexer.creators()) == 2 and indexer.balance(token, fan.address) == 12 * WAD

    # The chain goes back and another branch, just as long, wins.
    assert rpc(w3, "evm_revert", fork_point) is True
    client.buy(fan2, token, 2 * WAD)
    client.tip(fan2, creator.address, 10**14)
    rpc(w3, "anvil_mine", hex(2))
    assert client.block_number() >= fork_block + 3

    report = indexer.poll_once()
    assert report.rolled_back_to is not None and report.rolled_back_to <= fork_block
    assert indexer.tips_for_post(POST) == []
    assert [c.symbol for c in indexer.creators()] == ["ALICE"]
    assert indexer.balance(token, fan.address) == 5 * WAD
    assert indexer.balance(token, fan2.address) == 2 * WAD
    assert [t.trader for t in indexer.trades(token)] == [fan2.address, fan.address]
    assert indexer.creators()[0].supply == client.token_info(token).supply == 7 * WAD

    # The rolled-back index equals one built from scratch on the canonical chain.
    assert dump(indexer) == dump_fresh(make_indexer, "fresh.sqlite")


def test_anvil_reorg_replaces_the_last_blocks(client, keys, w3, make_indexer):
    creator, fan = keys[2], keys[3]
    indexer = make_indexer()
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    client.buy(fan, token, 5 * WAD)
    client.tip(fan, creator.address, 10**15)
    client.sell(fan, token, WAD)
    indexer.poll_once()
    assert len(indexer.tips_received(creator.address)) == 1

    # Replace the last two blocks (tip, sell) with two empty ones.
    rpc(w3, "anvil_reorg", 2, [])
    report = indexer.poll_once()
    assert report.rolled_back_to is not None
    assert indexer.tips_received(creator.address) == []
    assert indexer.balance(token, fan.address) == 5 * WAD
    assert [t.side for t in indexer.trades(token)] == ["buy"]
    assert dump(indexer) == dump_fresh(make_indexer, "fresh.sqlite")


def test_confirmations_hold_rows_back(client, keys, w3, make_indexer):
    indexer = make_indexer(confirmations=2)
    client.tip(keys[3], keys[2].address, 10**15, post_id=POST)
    indexer.poll_once()
    assert indexer.tips_for_post(POST) == []
    rpc(w3, "anvil_mine", hex(1))
    indexer.poll_once()
    assert indexer.tips_for_post(POST) == []
    rpc(w3, "anvil_mine", hex(1))
    assert len(indexer.poll_once().tips) == 1
    assert indexer.indexed_block == client.block_number() - 2

    # A reorg shallower than the depth never touched the index.
    before = dump(indexer)
    rpc(w3, "anvil_reorg", 2, [])
    assert indexer.poll_once().rolled_back_to is None
    assert dump(indexer) == before


def test_batches_and_restarts_give_the_same_index(client, keys, make_indexer):
    creator, fan = keys[2], keys[3]
    token = client.launch_token(creator, "Alice Token", "ALICE").token
    first = make_indexer("a.sqlite", batch_size=1)
    for i in range(3):
        client.buy(fan, token, (i + 1) * WAD)
        first.poll_once()
    client.tip(fan, creator.address, 10**15)
    first.close()
    reopened = make_indexer("a.sqlite", batch_size=1)
    assert reopened.poll_once().tips[0].amount == 10**15
    assert dump(reopened) == dump_fresh(make_indexer, "b.sqlite", batch_size=10_000)


def test_new_transfers_reach_the_channel(client, keys, make_indexer):
    creator, fan = keys[2], keys[3]
    indexer = make_indexer()
    token = client.launch_token(creator, "Alice Token", "ALICE").token

    async def main():
        send_channel, receive_channel = trio.open_memory_channel[Transfer](16)
        async with trio.open_nursery() as nursery:
            await nursery.start(
                lambda task_status: indexer.serve(
                    poll_interval=0.05, transfers=send_channel, task_status=task_status
                )
            )
            await trio.to_thread.run_sync(lambda: client.buy(fan, token, 2 * WAD))
            with trio.fail_after(10):
                transfer = await receive_channel.receive()
            nursery.cancel_scope.cancel()
        return transfer

    transfer = trio.run(main)
    assert (transfer.token, transfer.sender, transfer.recipient, transfer.value) == (
        token,
        ZERO,
        fan.address,
        2 * WAD,
    )


def test_serve_survives_an_unreachable_chain(artifacts, deployed, tmp_path):
    from node.chain import ChainClient

    client = ChainClient("http://127.0.0.1:9", artifacts, deployed[0], request_timeout=1)
    indexer = Indexer(client, tmp_path / "index.sqlite")

    async def main():
        async with trio.open_nursery() as nursery:
            await nursery.start(
                lambda task_status: indexer.serve(poll_interval=0.05, task_status=task_status)
            )
            await trio.sleep(0.2)
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert indexer.indexed_block is None
    indexer.close()


def test_bad_parameters_are_refused(client, tmp_path):
    with pytest.raises(InvalidInput, match="confirmations"):
        Indexer(client, tmp_path / "x.sqlite", confirmations=-1)
    with pytest.raises(InvalidInput, match="batch_size"):
        Indexer(client, tmp_path / "x.sqlite", batch_size=0)


def dump_fresh(make_indexer, name, **kwargs):
    fresh = make_indexer(name, **kwargs)
    fresh.poll_once()
    return dump(fresh)


def test_ranges_the_provider_refuses_are_halved(client, keys, monkeypatch, make_indexer):
    from web3 import exceptions as w3x

    token = client.launch_token(keys[2], "Alice Token", "ALICE").token
    for _i in range(4):
        client.buy(keys[3], token, WAD)
    real = client.web3.eth.get_logs
    spans = []

    def capped(params):
        spans.append(params["toBlock"] - params["fromBlock"] + 1)
        if spans[-1] > 2:
            raise w3x.Web3RPCError("query returned more than 10000 results")
        return real(params)

    monkeypatch.setattr(client.web3.eth, "get_logs", capped)
    indexer = make_indexer(batch_size=1000)
    indexer.poll_once()
    monkeypatch.undo()
    assert max(spans) > 2 and len(indexer.trades(token)) == 4
    assert dump(indexer) == dump_fresh(make_indexer, "fresh.sqlite")


def test_a_range_that_does_not_extend_the_index_is_not_written(client, keys, w3, make_indexer):
    creator, fan = keys[2], keys[3]
    indexer = make_indexer()
    client.tip(fan, creator.address, 10**15)
    indexer.poll_once()
    last = indexer.indexed_block
    # A reorg lands between the poll's reorg check and its next range: that range must not be
    # stacked on the stale block.
    rpc(w3, "anvil_reorg", 1, [])
    rpc(w3, "anvil_mine", hex(1))
    assert indexer._index_range(last + 1, last + 1) is None
    assert indexer.indexed_block == last
    report = indexer.poll_once()
    assert report.rolled_back_to is not None and indexer.tips_received(creator.address) == []
    assert dump(indexer) == dump_fresh(make_indexer, "fresh.sqlite")
