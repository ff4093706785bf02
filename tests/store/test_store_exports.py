"""The public surface of node.store, pinned."""

import node.store


def test_public_names():
    assert sorted(node.store.__all__) == [
        "FollowEdge",
        "IngestReport",
        "Outcome",
        "Page",
        "Profile",
        "Result",
        "Store",
        "schema",
    ]
    for name in node.store.__all__:
        assert getattr(node.store, name) is not None
