"""Keys: create, import, encrypted keystore files, and delegation messages.

A :class:`Key` is a secp256k1 private key and its Ethereum address. On disk a key lives only
in a Web3 Secret Storage (keystore v3) file, encrypted under a passphrase by eth-account, the
same format geth, MetaMask exports and ``ape accounts`` use.

Delegation: a user's own key signs ``SignerAdd`` to let another key (an app's, a node's) sign
messages for them, and ``SignerRemove`` to take that back; the store then drops every message
the removed key signed for the user.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from eth_account import Account

from ..errors import InvalidInput
from ..messages import SignedMessage, address_of_key, normalize_address, sign_message


@dataclass(frozen=True, slots=True)
class Key:
    """A private key and its address. ``repr`` never shows the secret."""

    address: str
    private_key: bytes = field(repr=False)

    def sign(self, type: str, fields: Mapping[str, Any] | None = None, *, chain_id: int) -> SignedMessage:
        """Sign a message as ``fields["author"]`` (default: this key's own address)."""
        return sign_message(type, dict(fields or {}), self.private_key, chain_id)


def import_key(private_key: bytes | str) -> Key:
    """A :class:`Key` from 32 raw bytes or 64 hex digits (``0x`` optional).

    Raises :class:`~node.errors.InvalidInput` when it is not a valid secp256k1 private key.
    """
    if isinstance(private_key, str):
        try:
            private_key = bytes.fromhex(private_key.strip().removeprefix("0x"))
        except ValueError:
            raise InvalidInput("private key: not hex") from None
    try:
        address = address_of_key(bytes(private_key))
    except ValueError as exc:
        raise InvalidInput(f"private key: {exc}") from None
    return Key(address, bytes(private_key))


def create_key() -> Key:
    """A fresh random key (from the OS's CSPRNG)."""
    return import_key(PrivateKey(os.urandom(32)).secret)


def write_keystore(key: Key, path: str | Path, passphrase: str, *, scrypt_n: int = 1 << 18) -> Path:
    """Encrypt ``key`` under ``passphrase`` into a keystore v3 file at ``path``.

    ``path`` may be a directory, then the file is named after the address. The file is
    created with mode 0600 and never overwritten: raises :class:`~node.errors.InvalidInput`
    if it exists. ``scrypt_n`` is the KDF cost (tests lower it).
    """
    path = Path(path)
    if path.is_dir():
        path = path / f"{key.address}.json"
    doc = Account.encrypt(key.private_key, passphrase, kdf="scrypt", iterations=scrypt_n)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"keystore file {path} exists") from None
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)
    return path


def read_keystore(path: str | Path, passphrase: str) -> Key:
    """Decrypt a keystore v3 file. Raises :class:`~node.errors.InvalidInput` on a wrong
    passphrase or an unreadable file."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read keystore {path}: {exc}") from exc
    try:
        secret = Account.decrypt(doc, passphrase)
    except ValueError as exc:
        raise InvalidInput(f"cannot unlock keystore {path}: {exc}") from exc
    return import_key(bytes(secret))


def keystore_address(path: str | Path) -> str | None:
    """The address a keystore file declares (no passphrase needed), or ``None``."""
    try:
        doc = json.loads(Path(path).read_text())
        return normalize_address(bytes.fromhex(doc["address"].removeprefix("0x")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidInput):
        return None


def add_signer(
    author: Key, signer: str, *, chain_id: int, label: str = "", timestamp: int | None = None
) -> SignedMessage:
    """``SignerAdd``: ``author`` lets ``signer`` (an address) sign messages for them."""
    fields: dict[str, Any] = {"signer": normalize_address(signer, "signer"), "label": label}
    if timestamp is not None:
        fields["timestamp"] = timestamp
    return author.sign("SignerAdd", fields, chain_id=chain_id)


def remove_signer(author: Key, signer: str, *, chain_id: int, timestamp: int | None = None) -> SignedMessage:
    """``SignerRemove``: ``author`` revokes ``signer`` for good; every message it signed for
    ``author`` is dropped by every store that merges this."""
    fields: dict[str, Any] = {
        "signer": normalize_address(signer, "signer"),
        "timestamp": timestamp or int(time.time()),
    }
    return author.sign("SignerRemove", fields, chain_id=chain_id)


class Keyring:
    """A directory of keystore files, one per address (``<address>.json``)."""

    def __init__(self, directory: str | Path, *, scrypt_n: int = 1 << 18) -> None:
        self.directory = Path(directory)
        self._scrypt_n = scrypt_n

    def addresses(self) -> list[str]:
        """Addresses with a keystore here, sorted."""
        if not self.directory.is_dir():
            return []
        found = (keystore_address(p) for p in self.directory.glob("*.json"))
        return sorted(a for a in found if a)

    def path(self, address: str) -> Path:
        return self.directory / f"{normalize_address(address, 'address')}.json"

    def add(self, key: Key, passphrase: str) -> Path:
        """Store ``key`` encrypted under ``passphrase``; raises if it is already here."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return write_keystore(key, self.path(key.address), passphrase, scrypt_n=self._scrypt_n)

    def create(self, passphrase: str) -> Key:
        """A fresh key, stored here."""
        key = create_key()
        self.add(key, passphrase)
        return key

    def unlock(self, address: str, passphrase: str) -> Key:
        """Decrypt the key of ``address``. Raises :class:`~node.errors.InvalidInput` when there
        is none or the passphrase is wrong."""
        path = self.path(address)
        if not path.exists():
            raise InvalidInput(f"no keystore for {address} in {self.directory}")
        return read_keystore(path, passphrase)
