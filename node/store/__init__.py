"""The node's store: the signed-message log in SQLite, derived tables, and the merge rules.

Layout: ``schema`` holds every table, index and statement, versioned, with migrations;
``_store`` the :class:`Store` (ingest, merge rules, fingerprint, queries); ``_body`` packs a
message's fields for the log; ``_views`` the values the store returns; ``_claim`` the one-writer
claim on a store file (a running node holds it, ``mecenate import`` asks who does).
"""

from . import schema
from ._claim import Holder, StoreClaim, store_holder
from ._store import Store
from ._views import FollowEdge, IngestReport, Outcome, Page, Profile, Result

__all__ = [
    "FollowEdge",
    "Holder",
    "IngestReport",
    "Outcome",
    "Page",
    "Profile",
    "Result",
    "Store",
    "StoreClaim",
    "schema",
    "store_holder",
]
