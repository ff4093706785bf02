"""Keys, keystore files, keyrings and delegation messages."""

from __future__ import annotations

import json
import stat

import pytest
from eth_account import Account

from node.errors import InvalidInput
from node.identity import (
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
from node.messages import decode_message, encode_message
from node.store import Store

FAST = 1 << 10  # scrypt cost for tests; the default is 2**18
CHAIN = 31337


def test_create_and_import_agree_with_eth_account():
    k = create_key()
    assert isinstance(k, Key) and k.address == Account.from_key(k.private_key).address
    assert import_key("0x" + k.private_key.hex()) == k == import_key(k.private_key.hex())
    assert k.private_key.hex() not in repr(k)
    assert create_key() != k


@pytest.mark.parametrize("bad", ["xyz", "00" * 31, "00" * 32, "ff" * 32, b"\1" * 33])
def test_import_refuses_non_keys(bad):
    with pytest.raises(InvalidInput):
        import_key(bad)


def test_keystore_round_trip(tmp_path):
    k = create_key()
    path = write_keystore(k, tmp_path, "correct horse", scrypt_n=FAST)
    assert path.name == f"{k.address}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["version"] == 3 and doc["crypto"]["kdf"] == "scrypt"
    assert k.private_key.hex() not in path.read_text()
    assert read_keystore(path, "correct horse") == k
    assert keystore_address(path) == k.address
    # the file is standard: eth-account opens it too
    assert Account.decrypt(doc, "correct horse") == k.private_key
    with pytest.raises(InvalidInput, match="cannot unlock"):
        read_keystore(path, "wrong")
    with pytest.raises(InvalidInput, match="exists"):
        write_keystore(k, path, "again", scrypt_n=FAST)
    with pytest.raises(InvalidInput):
        read_keystore(tmp_path / "missing.json", "x")


def test_keystore_from_another_tool_imports(tmp_path):
    acct = Account.create()
    (tmp_path / "geth.json").write_text(json.dumps(Account.encrypt(acct.key, "pw", iterations=FAST)))
    assert read_keystore(tmp_path / "geth.json", "pw").address == acct.address


def test_keyring(tmp_path):
    ring = Keyring(tmp_path / "keys", scrypt_n=FAST)
    assert ring.addresses() == []
    a = ring.create("pw-a")
    b = import_key(create_key().private_key)
    ring.add(b, "pw-b")
    assert ring.addresses() == sorted([a.address, b.address])
    assert ring.unlock(a.address.lower(), "pw-a") == a
    with pytest.raises(InvalidInput):
        ring.unlock(b.address, "pw-a")
    with pytest.raises(InvalidInput, match="no keystore"):
        ring.unlock(create_key().address, "pw")


def test_delegation_end_to_end(tmp_path):
    user, app = create_key(), create_key()
    add = add_signer(user, app.address, chain_id=CHAIN, label="phone app")
    assert add.type == "SignerAdd" and add.signer == user.address and add.label == "phone app"
    post = app.sign("Post", {"author": user.address, "text": "sent from the app"}, chain_id=CHAIN)
    assert post.author == user.address and post.signer == app.address
    store = Store(tmp_path / "s.sqlite", CHAIN)
    assert store.ingest([encode_message(add), encode_message(post)]).counts["accepted"] == 2
    remove = remove_signer(user, app.address, chain_id=CHAIN)
    assert decode_message(encode_message(remove)) == remove
    store.ingest([remove])
    assert store.get(post.id) is None and store.signers(user.address) == []
    store.close()
