"""Exclusive content, the node side: held content keys, unlock nonces, grants and unlocks.

Where :mod:`node.gating` is pure (gates, encryption, key wrapping, the EIP-4361 grammar and
challenge policy), this package does the I/O around it: SQLite, the store, the chain (through
callables it is given) and a trio service. It sits above the store and the chain, below the
node service that wires it up.

Layout, one concern per module:

- :mod:`.schema`    the vault's SQL, versioned: content keys and unlock nonces
- ``_vault``        :class:`Vault`, the SQLite file (``gating.sqlite``, mode 0600) holding the
                    content keys a creator's node keeps, and its nonce book
- ``_nonces``       :class:`SqliteNonceBook`, single-use unlock nonces bound to an address and
                    a post, capped per client and per address
- ``_signer``       :func:`load_signer`, the node's grant-signing key (``grant_signer.key``)
- ``_keeper``       :class:`Gatekeeper`: accept a key, grant it to qualifying holders, answer
                    unlocks
- ``_work``         :class:`GrantWork`, grant work coalesced so nothing is dropped (pure)
- ``_service``      :func:`serve_grants`, the trio service that grants as holders qualify

The names below are the public API; a test pins them.
"""

from node.grants import schema
from node.grants._keeper import Gatekeeper, Unlocked
from node.grants._nonces import SqliteNonceBook
from node.grants._service import serve as serve_grants
from node.grants._signer import SIGNER_FILE, load_signer
from node.grants._vault import VAULT_FILE, Vault
from node.grants._work import GrantWork

__all__ = [
    "SIGNER_FILE",
    "VAULT_FILE",
    "Gatekeeper",
    "GrantWork",
    "SqliteNonceBook",
    "Unlocked",
    "Vault",
    "load_signer",
    "schema",
    "serve_grants",
]
