"""The public surface of node.identity, pinned."""

import node.identity


def test_public_names():
    assert sorted(node.identity.__all__) == [
        "Key",
        "Keyring",
        "add_signer",
        "create_key",
        "import_key",
        "keystore_address",
        "read_keystore",
        "remove_signer",
        "write_keystore",
    ]
    for name in node.identity.__all__:
        assert getattr(node.identity, name) is not None
