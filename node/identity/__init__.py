"""Identities: Ethereum keys, encrypted keystores, and delegated signers.

Layout: everything lives in ``_keys``: :class:`Key`, creating and importing keys, Web3 Secret
Storage (keystore v3) files and a :class:`Keyring` directory of them, and the ``SignerAdd`` /
``SignerRemove`` messages that delegate signing to another key.
"""

from ._keys import (
    Key,
    Keyring,
    add_signer,
    create_key,
    import_key,
    keystore_address,
    read_keystore,
    remove_signer,
    write_keystore,
)

__all__ = [
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
