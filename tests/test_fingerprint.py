"""The store's whole-set fingerprint is negentropy's fingerprint of the full range, past the
one-byte varint too (counts of 128 and more), so one number compares stores and sync indexes."""

from pathlib import Path

from node.fingerprint import fingerprint_of
from node.identity import create_key
from node.p2p.negentropy import SortedKeys
from node.store import Store


def test_store_fingerprint_equals_the_sync_index(tmp_path: Path) -> None:
    author = create_key()
    with Store(tmp_path / "s.sqlite", 31337) as store:
        assert store.fingerprint() == fingerprint_of(0, 0)
        store.ingest(
            [
                author.sign("Post", {"text": f"post {i}", "timestamp": 1_700_000_000 + i}, chain_id=31337)
                for i in range(300)
            ],
            now=1_700_001_000,
        )
        keys = store.sync_keys()
        assert len(keys) == 300
        assert store.fingerprint() == SortedKeys(keys).fingerprint(0, 300)
