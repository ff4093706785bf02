"""The node's grant signer: its own secp256k1 key, which signs ``KeyGrant`` messages.

A creator delegates to this key once (``SignerAdd``), so the node signs grants for them while
the creator's own key stays in the creator's keystore; revoking it (``SignerRemove``) drops
every grant it signed. The key lives in ``grant_signer.key`` in the data directory, created
on first use (mode 0600, see :func:`node.config.secret_file`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from node.config import secret_file
from node.identity import Key, import_key

__all__ = ["SIGNER_FILE", "load_signer"]

log = logging.getLogger(__name__)

#: The signer's file name in the node's data directory.
SIGNER_FILE = "grant_signer.key"


def load_signer(data_dir: str | Path) -> Key:
    """The node's grant-signing key from ``data_dir/grant_signer.key``, created if missing.

    Raises :class:`~node.errors.ConfigError` when the file exists but is not a 32-byte key.
    """
    path = Path(data_dir) / SIGNER_FILE
    raw, created = secret_file(path, "grant signer (secp256k1 key)")
    if created:
        log.info("created the node's grant signer key %s", path)
    return import_key(raw)
