"""The node's store: the signed-message log in SQLite, derived tables, and the merge rules.

Layout: ``_store`` the :class:`Store` (lifecycle, ingest and its report, rebuild, fingerprint);
``_rules`` the merge rules, one row of pure functions per message type; ``_writer`` applies
them to the file and keeps the store's memory (counters, caches) in step; ``_ids`` the Bloom
filter over ids; ``_reads`` every query (messages, sync keys, export, profile, follows, feed,
thread, grants, signers), and :class:`StoreReader`, those reads alone for a process that does
not write; ``schema`` every table, index and statement, versioned, with
migrations (no SQL elsewhere); ``_body`` packs a message's fields for the log; ``_views`` the
values the store returns; ``_lane`` the thread the event loop hands its small writes to; ``_claim`` the one-writer claim on a store file (a running node
holds it, ``mecenate import`` asks who does).
"""

from . import schema
from ._claim import Holder, StoreClaim, store_holder
from ._reads import ReadOverBudget, StoreReader
from ._store import Store
from ._views import FollowEdge, IngestReport, Outcome, Page, Profile, Result

__all__ = [
    "FollowEdge",
    "Holder",
    "IngestReport",
    "Outcome",
    "Page",
    "Profile",
    "ReadOverBudget",
    "Result",
    "Store",
    "StoreClaim",
    "StoreReader",
    "schema",
    "store_holder",
]
