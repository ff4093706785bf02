"""The node's store: the signed-message log in SQLite, derived tables, and the merge rules.

Layout: ``_store`` the :class:`Store` (lifecycle, ingest and its report, rebuild, fingerprint);
``_rules`` the merge rules, one row of pure functions per message type; ``_writer`` applies
them to the file and keeps the store's memory (counters, caches) in step; ``_ids`` the Bloom
filter over ids; ``_reads`` every query (messages, sync keys, export, profile, follows, feed,
thread, grants, signers, search), and :class:`StoreReader`, those reads alone for a process
that does not write; ``_community_reads`` charters, members, a community's posts, the facts
moderation decides on and the moderated views of feeds and threads; ``_moderation`` the
moderation rules (pure: what a view shows, and why it hides the rest); ``_search`` turns what a
user types into a search query; ``_engagement`` reads what discovery ranks by; ``schema``
every table, index and statement, versioned, with
migrations (no SQL elsewhere); ``_body`` packs a message's fields for the log; ``_views`` the
values the store returns; ``_lane`` the thread the event loop hands its small writes to;
``_claim`` the one-writer claim on a store file (a running node holds it, ``mecenate import``
asks who does).
"""

from . import _moderation as moderation
from . import schema
from ._claim import Holder, StoreClaim, store_holder
from ._moderation import Hidden, View, Why
from ._reads import ReadOverBudget, StoreReader
from ._search import SearchKind, SearchRules
from ._store import Store
from ._views import (
    Charter,
    CommunityActivity,
    CommunityHit,
    FollowEdge,
    IngestReport,
    Member,
    MembershipEdge,
    ModerationFacts,
    Outcome,
    Page,
    PostHit,
    Profile,
    ProfileHit,
    Result,
    StoreEngagement,
)

__all__ = [
    "Charter",
    "CommunityActivity",
    "CommunityHit",
    "FollowEdge",
    "Hidden",
    "Holder",
    "IngestReport",
    "Member",
    "MembershipEdge",
    "ModerationFacts",
    "Outcome",
    "Page",
    "PostHit",
    "Profile",
    "ProfileHit",
    "ReadOverBudget",
    "Result",
    "SearchKind",
    "SearchRules",
    "Store",
    "StoreClaim",
    "StoreEngagement",
    "StoreReader",
    "View",
    "Why",
    "moderation",
    "schema",
    "store_holder",
]
