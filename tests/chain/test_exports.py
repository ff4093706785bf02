"""The public surface of node.chain, pinned."""

import node.chain


def test_public_names():
    assert sorted(node.chain.__all__) == [
        "Artifacts",
        "ChainClient",
        "CreatorListing",
        "Deployment",
        "Holding",
        "Indexer",
        "Launch",
        "PollReport",
        "Supporter",
        "Tip",
        "TokenInfo",
        "Trade",
        "Transfer",
        "format_wei",
        "max_cost",
        "min_proceeds",
        "schema",
    ]
    for name in node.chain.__all__:
        assert getattr(node.chain, name) is not None
