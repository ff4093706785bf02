"""Seeded random histories with reorgs: whatever happened, the index equals one built afresh
from the canonical chain, and holder balances equal balanceOf on chain."""

from __future__ import annotations

import random

import pytest

from .conftest import WAD, dump, send
from .test_indexer import dump_fresh, rpc


@pytest.mark.parametrize("seed", range(1, 5))
def test_random_history_with_reorgs_matches_the_chain(seed, client, keys, accounts, w3, make_indexer):
    rng = random.Random(seed)
    creators = keys[2:4]
    fans = keys[4:8]
    tokens = [client.launch_token(c, f"Token {i}", f"T{i}").token for i, c in enumerate(creators)]
    indexer = make_indexer(batch_size=rng.choice([1, 2, 5, 100]))
    snapshots = []
    rollbacks = 0
    base = client.block_number()  # never reorg below this: the fixture's snapshot must survive
    for _ in range(40):
        action = rng.random()
        fan = rng.choice(fans)
        token = rng.choice(tokens)
        if action < 0.35:
            client.buy(fan, token, rng.randint(1, 5) * WAD)
        elif action < 0.5:
            held = client.balance_of(token, fan.address)
            if held:
                client.sell(fan, token, rng.randint(1, held))
        elif action < 0.6:
            held = client.balance_of(token, fan.address)
            if held:  # a plain ERC-20 transfer from a wallet, not through the client
                other = rng.choice([f for f in fans if f is not fan])
                contract = w3.eth.contract(address=token, abi=client.artifacts.abi("CreatorToken"))
                account = accounts[keys.index(fan)]
                send(w3, account, contract.functions.transfer(other.address, rng.randint(1, held)))
        elif action < 0.75:
            client.tip(fan, rng.choice(creators).address, rng.randint(1, 10**15), post_id=rng.randbytes(32))
        elif action < 0.82:
            snapshots.append(rpc(w3, "evm_snapshot"))
        elif action < 0.88 and snapshots:
            rpc(w3, "evm_revert", snapshots.pop(rng.randrange(len(snapshots))))
            del snapshots[:]  # later snapshots are gone with the reverted blocks
        elif action < 0.94:
            depth = rng.randint(1, 3)
            if client.block_number() - depth >= base:
                rpc(w3, "anvil_reorg", depth, [])
                del snapshots[:]  # anvil forgets snapshots of replaced blocks
        if rng.random() < 0.4:
            rollbacks += indexer.poll_once().rolled_back_to is not None
    rpc(w3, "anvil_mine", hex(1))
    rollbacks += indexer.poll_once().rolled_back_to is not None
    assert rollbacks > 0  # the seeds are chosen so that the index did see reorgs
    assert dump(indexer) == dump_fresh(make_indexer, "fresh.sqlite")
    for token in tokens:
        for holding in indexer.holders(token):
            assert client.balance_of(token, holding.holder) == holding.balance
        listing = next(c for c in indexer.creators() if c.token == token)
        assert listing.supply == client.token_info(token).supply
