"""The benchmarks' social graph: a store filled with signed follows and posts of 500 users.

Each user follows 30 others; the rest are posts with realistic text, timestamped one second
apart, so a feed query meets the same shapes of data at 10,000 stored messages as at a million.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from node.identity import Key, create_key, import_key
from node.store import Store
from node.store.schema import SCHEMA_VERSION

CHAIN_ID = 31337
USERS = 500
FOLLOWS_EACH = 30
T0 = 1_760_000_000
#: Messages ingested per store call while filling.
FILL_BATCH = 5000


def fill_store(path: Path, messages: int, cache: Path | None = None) -> list[Key]:
    """Fill the store at ``path`` with ``messages`` signed messages; returns the users' keys.

    With ``cache`` (a folder), a store of that size filled before is copied from it, and a new
    one is kept there: a million messages take minutes to sign and merge. A kept store of an
    older schema is migrated there once (:func:`_migrated`), not in every run's node, whose
    log would then hold the migration. The graph's shape is drawn from its own generator, so
    the caller's draws are the same either way.
    """
    rng = random.Random(messages)
    if cache is None:
        return _fill(path, messages, rng)
    kept, keys = cache / f"corpus-{messages}.sqlite", cache / f"corpus-{messages}.keys"
    if not (kept.exists() and keys.exists()):
        cache.mkdir(parents=True, exist_ok=True)
        filling = cache / f"corpus-{messages}.filling"  # an interrupted fill is never taken for a corpus
        filling.unlink(missing_ok=True)
        users = _fill(filling, messages, rng)
        keys.write_text("".join(u.private_key.hex() + "\n" for u in users))
        os.replace(filling, kept)
    _migrated(kept)
    shutil.copy(kept, path)
    return [import_key(line) for line in keys.read_text().split()]


def _migrated(kept: Path) -> None:
    """Bring a kept store to this node's schema, on a copy that then replaces it: a run copying
    the kept file meanwhile never copies it half migrated."""
    with closing(sqlite3.connect(f"file:{kept}?mode=ro", uri=True)) as db:
        if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
    migrating = kept.with_suffix(".migrating")
    shutil.copy(kept, migrating)
    with Store(migrating, CHAIN_ID):  # opening migrates; closing folds the log into the file
        pass
    os.replace(migrating, kept)


def _fill(path: Path, messages: int, rng: random.Random) -> list[Key]:
    users = [create_key() for _ in range(USERS)]
    batch = []
    with Store(path, CHAIN_ID, synchronous="NORMAL") as store:
        n = 0
        for _i, u in enumerate(users):
            for target in rng.sample(users, FOLLOWS_EACH):
                if target is not u:
                    batch.append(
                        u.sign("Follow", {"target": target.address, "timestamp": T0 + n}, chain_id=CHAIN_ID)
                    )
                    n += 1
        while n < messages:
            u = rng.choice(users)
            words = rng.randint(5, 40)
            text = " ".join(
                rng.choice(("creator", "patron", "token", "drop", "studio", "mix", "thanks", "live"))
                for _ in range(words)
            )
            batch.append(u.sign("Post", {"text": text, "timestamp": T0 + n}, chain_id=CHAIN_ID))
            n += 1
            if len(batch) >= FILL_BATCH:
                store.ingest(batch, now=T0 + messages)
                batch = []
        store.ingest(batch, now=T0 + messages)
        assert len(store) >= messages * 0.99, len(store)
    return users
