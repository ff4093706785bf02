"""The node side of exclusive content: held content keys, unlock nonces, grants and unlocks.

Unlike the pure modules beside it, this one does I/O: SQLite, the chain, the store.

Who holds what. A creator's client encrypts a post locally and hands the content key to the
creator's *own* node over the admin-authenticated API (:meth:`Gatekeeper.accept`). The node
keeps it in :class:`Vault` (``gating.sqlite`` in the data directory, mode 0600), never in the
message log, an export, a log line or a response to anyone but the admin. The node has its own
signing key (``grant_signer.key``), which the creator delegates to once with ``SignerAdd``,
so the node signs ``KeyGrant`` messages for the creator while the creator's own key stays in
the creator's keystore. Revoking that signer (``SignerRemove``) drops every grant it signed.

Granting (:meth:`Gatekeeper.grant_post`, :meth:`Gatekeeper.grant_holders`): candidates are
the indexed holders of the gate's tokens; each one with a published ``encryptionKey`` and no
grant to that key yet is checked against the gate on chain at the latest block, and the key
is wrapped to them (HPKE, :mod:`.keywrap`), signed as a ``KeyGrant`` by the node's signer and ingested, so
gossip and sync carry it to every node. :func:`serve` does this work as events call for it (a
key handed in, a confirmed ``Transfer`` from the indexer, a holder publishing an encryption
key), coalesced in a :class:`~node.gating._work.GrantWork` so nothing is dropped, and
reconciles every held post periodically.

Unlocking (:meth:`Gatekeeper.challenge`, :meth:`Gatekeeper.unlock`): an EIP-4361 challenge
with a single-use nonce from :class:`Vault`, issued only for a request that could succeed and
bound to its address and post, capped per client; verified, then the gate checked on chain at
the latest block, then the nonce used up (a chain outage leaves it usable); the key goes back
wrapped to the holder's profile key, or raw when the holder published none. Every refusal is
an exception; none carries the key.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import trio

from node.errors import (
    ChainError,
    DecryptionFailed,
    GateNotMet,
    InvalidInput,
    StoreError,
    TooManyPending,
)
from node.gating._work import Batch, GrantWork
from node.gating.challenge import Challenger, Clock, check_nonce, positive_int, utc_now, validate_address
from node.gating.content import ContentKey, decrypt_content
from node.gating.gate import Gate, check_gate, parse_gate, tokens_needed
from node.gating.keywrap import GrantBinding, load_public_key, wrap

_BURNED = "0x" + "00" * 20  # the ERC-20 Transfer recipient of a burn
if TYPE_CHECKING:  # node.accepted imports the store, which imports messages, which import us
    from trio_typing import TaskStatus  # libp2p's trio-typing stubs shadow trio's own types for mypy

    from node.accepted import AcceptedFeed, Subscription

log = logging.getLogger("node.gating")

__all__ = ["SIGNER_FILE", "VAULT_FILE", "Gatekeeper", "Unlocked", "Vault", "load_signer", "serve"]

VAULT_FILE = "gating.sqlite"
SIGNER_FILE = "grant_signer.key"
#: Profile field holding a user's X25519 public key (``0x`` + 64 hex).
ENCRYPTION_KEY_FIELD = "encryptionKey"
#: Store reports the grant service may fall behind the accepted-messages feed by before it
#: rescans every held post instead (nothing is lost: the rescan finds what they asked for).
FEED_BUFFER = 1024


def load_signer(data_dir: str | Path) -> Any:
    """The node's grant-signing key from ``data_dir/grant_signer.key``, created if missing.

    Raises :class:`~node.errors.ConfigError` when the file exists but is not a 32-byte key.
    """
    from node.config import secret_file
    from node.identity import import_key  # identity imports messages, which import this package

    path = Path(data_dir) / SIGNER_FILE
    raw, created = secret_file(path, "grant signer (secp256k1 key)")
    if created:
        log.info("created the node's grant signer key %s", path)
    return import_key(raw)


# ---------------------------------------------------------------------------------------------
# Vault: content keys and unlock nonces, in one SQLite file
# ---------------------------------------------------------------------------------------------

#: Schema version in ``PRAGMA user_version``. Version 2 binds each nonce to its address, post and
#: client; an older ``nonces`` table is dropped on open (nonces live minutes: holders ask again).
_VAULT_VERSION = 2
_VAULT_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS content_keys (
        post BLOB PRIMARY KEY, author TEXT NOT NULL, key BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS nonces (
        nonce TEXT PRIMARY KEY, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0,
        address TEXT NOT NULL, post BLOB NOT NULL, client TEXT NOT NULL)""",  # with a rowid: order of issue
    """CREATE INDEX IF NOT EXISTS nonces_expires ON nonces (expires)""",
    """CREATE INDEX IF NOT EXISTS nonces_address ON nonces (address, expires)""",
    """CREATE INDEX IF NOT EXISTS nonces_client ON nonces (client, expires)""",
]
_PENDING = "expires > ? AND NOT used"

#: Bits of an IPv6 client address that name one client: a /64 is what one host or home gets.
IPV6_CLIENT_PREFIX = 64


def client_of(host: str) -> str:
    """The client a request came from, as the nonce book counts it: an IPv4 address as is, an
    IPv6 address by its /64 (one subscriber holds a whole /64), anything else unchanged."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


class Vault:
    """Content keys by post id, and a single-use :class:`~node.gating.NonceBook`, in SQLite.

    The file is created with mode 0600. Nonces survive restarts (of the process), and consuming one is one
    atomic ``UPDATE``, so two requests racing with one challenge cannot both pass. Each nonce is
    bound to the address and post it was issued for. Limits on unexpired, unused nonces: at most
    ``nonce_capacity`` in all and ``per_client`` for one client (then ``too_many_pending``), and
    ``per_address`` for one address, where a new one replaces the oldest: only the address's own
    key can use them, so refusing would let anyone lock a holder out by asking in their name.
    Callers that do not say which client asked share one client's share. Safe to share between
    threads. Raises :class:`~node.errors.StoreError` when SQLite fails.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        nonce_capacity: int = 10_000,
        per_client: int = 20,
        per_address: int = 3,
        clock: Clock = utc_now,
    ) -> None:
        self._capacity = positive_int(nonce_capacity, "nonce_capacity")
        self._per_client = positive_int(per_client, "per_client")
        self._per_address = positive_int(per_address, "per_address")
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(
                    os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                )  # owner-only from birth
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a commit survives a crash of the process; only a power loss can undo the last
            # ones. That is fine for nonces (at worst a challenge the node just consumed could be
            # used once more within its few minutes); content keys are written with FULL.
            self._db.execute("PRAGMA synchronous = NORMAL")
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version < _VAULT_VERSION:
                self._db.execute("DROP TABLE IF EXISTS nonces")
            for stmt in _VAULT_SCHEMA:
                self._db.execute(stmt)
            self._db.execute(f"PRAGMA user_version = {_VAULT_VERSION}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, doing: str, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            try:
                return fn(self._db)
            except sqlite3.Error as exc:
                raise StoreError(f"vault: {doing} failed: {exc}") from exc

    # -- content keys

    def put_key(self, post_id: bytes, author: str, key: ContentKey) -> None:
        """Keep ``key`` as the content key of ``post_id`` (by ``author``); durable on return,
        power loss included (a lost key is a post nobody can ever read)."""

        def work(db: sqlite3.Connection) -> None:
            db.execute("PRAGMA synchronous = FULL")
            try:
                db.execute(
                    "INSERT OR REPLACE INTO content_keys VALUES (?, ?, ?, ?)",
                    (bytes(post_id), author, key.to_bytes(), int(time.time())),
                )
            finally:
                db.execute("PRAGMA synchronous = NORMAL")

        self._run("store a content key", work)

    def drop_key(self, post_id: bytes) -> None:
        self._run(
            "drop a content key", lambda db: db.execute("DELETE FROM content_keys WHERE post = ?", (post_id,))
        )

    def key(self, post_id: bytes) -> ContentKey | None:
        """The content key of ``post_id``, or ``None`` when this node does not hold it."""
        row = self._run(
            "read a content key",
            lambda db: db.execute(
                "SELECT key FROM content_keys WHERE post = ?", (bytes(post_id),)
            ).fetchone(),
        )
        return None if row is None else ContentKey(row[0])

    def posts(self) -> list[bytes]:
        """Ids of every post whose key this node holds, oldest first."""
        rows = self._run(
            "list content keys",
            lambda db: db.execute("SELECT post FROM content_keys ORDER BY created, post").fetchall(),
        )
        return [r[0] for r in rows]

    # -- NonceBook

    def issue(self, ttl: timedelta, *, address: str, post: bytes, client: str = "") -> str:
        """A fresh 128-bit hex nonce that :meth:`consume` accepts once, for ``address`` and
        ``post``, until ``ttl`` has passed; refusals and limits as the class says."""
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError(f"ttl must be a positive timedelta, got {ttl!r}")
        now = self._clock().timestamp()
        nonce = secrets.token_hex(16)
        client = client_of(client)

        def work(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Forget nonces a while after they expire: a replay of one is refused as expired
                # by the message's own Expiration Time before the nonce is looked at.
                db.execute("DELETE FROM nonces WHERE expires < ?", (now - ttl.total_seconds(),))
                (mine,) = db.execute(
                    f"SELECT count(*) FROM nonces WHERE client = ? AND {_PENDING}", (client, now)
                ).fetchone()
                if mine >= self._per_client:
                    raise TooManyPending(
                        f"this client has {mine} challenges outstanding; use or let them expire"
                    )
                db.execute(
                    f"""DELETE FROM nonces WHERE nonce IN (SELECT nonce FROM nonces WHERE address = ? AND {_PENDING}
                        ORDER BY rowid DESC LIMIT -1 OFFSET ?)""",
                    (address, now, self._per_address - 1),
                )
                (pending,) = db.execute(f"SELECT count(*) FROM nonces WHERE {_PENDING}", (now,)).fetchone()
                if pending >= self._capacity:
                    raise TooManyPending(f"{self._capacity} challenges are outstanding")
                db.execute(
                    "INSERT INTO nonces (nonce, expires, address, post, client) VALUES (?, ?, ?, ?, ?)",
                    (nonce, now + ttl.total_seconds(), address, bytes(post), client),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        self._run("issue a nonce", work)
        return nonce

    def _refuse(self, db: sqlite3.Connection, nonce: str, address: str, post: bytes, now: float) -> None:
        row = db.execute(
            "SELECT address, post, used, expires FROM nonces WHERE nonce = ?", (nonce,)
        ).fetchone()
        found = None if row is None else (row[0], bytes(row[1]))
        check_nonce(found, bool(row and row[2]), bool(row and row[3] <= now), address, post)

    def check(self, nonce: str, *, address: str, post: bytes) -> None:
        """Refuse as :meth:`consume` would, leaving the nonce unused."""
        now = self._clock().timestamp()
        self._run("check a nonce", lambda db: self._refuse(db, nonce, address, bytes(post), now))

    def consume(self, nonce: str, *, address: str, post: bytes) -> None:
        """Use ``nonce`` up, atomically; refusals as :class:`~node.gating.NonceBook` says."""
        now = self._clock().timestamp()

        def work(db: sqlite3.Connection) -> None:
            done = db.execute(
                f"UPDATE nonces SET used = 1 WHERE nonce = ? AND address = ? AND post = ? AND {_PENDING}",
                (nonce, address, bytes(post), now),
            ).rowcount
            if done != 1:
                self._refuse(db, nonce, address, bytes(post), now)

        self._run("consume a nonce", work)

    def outstanding(self, *, address: str | None = None, client: str | None = None) -> int:
        """How many nonces are unused and unexpired: in all, or for one ``address`` or ``client``."""
        now = self._clock().timestamp()
        where, args = _PENDING, [now]
        if address is not None:
            where, args = where + " AND address = ?", [*args, address]
        if client is not None:
            where, args = where + " AND client = ?", [*args, client_of(client)]
        query = f"SELECT count(*) FROM nonces WHERE {where}"
        return self._run("count nonces", lambda db: db.execute(query, args).fetchone()[0])


# ---------------------------------------------------------------------------------------------
# Gatekeeper
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unlocked:
    """A successful unlock: the content key for ``holder``, wrapped or raw.

    ``encryption`` is ``"x25519"`` when ``key`` is a wrapped key (81 bytes, open it with
    :func:`~node.gating.unwrap`, the holder's profile key and the binding a ``KeyGrant`` of
    the post's author to ``holder`` would have) or ``"none"`` when it is the raw
    32-byte content key (the holder published no ``encryptionKey``).
    """

    post: bytes
    holder: str
    encryption: str
    key: bytes = b""

    def __repr__(self) -> str:
        return f"Unlocked(post=0x{self.post.hex()}, holder={self.holder}, encryption={self.encryption}, key=<redacted>)"


class Gatekeeper:
    """Everything a node does with content keys; methods block (call them from threads).

    ``store`` is the node's :class:`~node.store.Store`; ``vault`` its :class:`Vault`;
    ``signer`` the node's grant signer (a :class:`~node.identity.Key`). ``balance_of(token,
    holder)`` reads a balance on chain at the latest block and ``holders(token)`` lists the
    indexed holders of a token (both ``None`` on a node without a chain: it can hold keys but
    neither grant nor unlock). ``chain_id`` is the chain the node serves.
    """

    def __init__(
        self,
        store: Any,
        vault: Vault,
        signer: Any,
        *,
        chain_id: int,
        balance_of: Callable[[str, str], int] | None = None,
        holders: Callable[[str], Iterable[str]] | None = None,
        challenge_ttl: timedelta = timedelta(minutes=5),
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.vault = vault
        self.signer = signer
        self.chain_id = chain_id
        self._balance_of = balance_of
        self._holders = holders
        self._ttl = challenge_ttl
        self._clock = clock
        self._challenger: Challenger | None = None
        self._warned: set[str] = set()

    @property
    def signer_address(self) -> str:
        return self.signer.address

    @property
    def can_check_gates(self) -> bool:
        return self._balance_of is not None

    # -- setup

    def bind(self, api_url: str, *, domain: str = "") -> None:
        """Set where this node's API is reached (challenges name it); call once it listens.

        ``domain`` overrides the authority taken from ``api_url`` (for a node behind a proxy).
        """
        parts = urlsplit(api_url)
        self._challenger = Challenger(
            domain=domain or parts.netloc,
            uri=f"{api_url.rstrip('/')}/v1/unlock",
            chain_id=self.chain_id,
            nonces=self.vault,
            ttl=self._ttl,
            clock=self._clock,
        )

    # -- keys

    def holds(self, post_id: bytes) -> bool:
        return self.vault.key(post_id) is not None

    def accept(self, post: Any, key: ContentKey) -> Any:
        """Keep ``key`` for gated ``post`` (a verified :class:`~node.messages.SignedMessage`) and
        ingest the post. Returns the store's :class:`~node.store.Result` for the post.

        Raises :class:`~node.errors.InvalidInput` when the post is not a gated post of this
        chain or the key does not decrypt its ciphertext (nothing is kept then).
        """
        if post.type != "Post" or not post.gate:
            raise InvalidInput("post: must be a gated Post (with a gate and a ciphertext)")
        gate = parse_gate(post.gate)
        try:
            decrypt_content(post.ciphertext, key, chain_id=post.chain_id, author=post.author, gate=gate)
        except DecryptionFailed:
            raise InvalidInput("contentKey: does not decrypt this post's ciphertext") from None
        self.vault.put_key(post.id, post.author, key)
        result = self.store.ingest([post]).results[0]
        if result.outcome.value == "rejected":
            self.vault.drop_key(post.id)
        return result

    # -- chain lookups

    def _lookup(self, chain_id: int, token: str, holder: str) -> int:
        if self._balance_of is None:
            raise ChainError("this node runs without a chain: it cannot check gates")
        if chain_id != self.chain_id:
            raise InvalidInput(f"gate: names chain {chain_id}, this node reads chain {self.chain_id}")
        return self._balance_of(token, holder)

    def _meets(self, gate: Gate, holder: str) -> bool:
        return check_gate(gate, holder, self._lookup)

    # -- grants

    def _live_gated(self, post_id: bytes) -> tuple[Any, Gate] | None:
        post = self.store.get(post_id)
        if post is None or post.type != "Post" or not post.gate:
            return None
        return post, parse_gate(post.gate)

    def is_delegate(self, author: str) -> bool:
        """Whether this node's signer may sign KeyGrants for ``author`` (their own key or a live
        delegate of theirs)."""
        return author == self.signer.address or self.signer.address in self.store.signers(author)

    def _may_sign_for(self, author: str) -> bool:
        if self.is_delegate(author):
            return True
        if author not in self._warned:
            self._warned.add(author)
            log.warning(
                "cannot grant keys for %s: the node's signer %s is not their delegate (SignerAdd)",
                author,
                self.signer.address,
            )
        return False

    def _encryption_key(self, address: str) -> bytes | None:
        profile = self.store.profile(address)
        value = None if profile is None else profile.fields.get(ENCRYPTION_KEY_FIELD)
        return bytes.fromhex(value[2:]) if value else None

    def grant_post(self, post_id: bytes, candidates: Iterable[str] | None = None) -> list[Any]:
        """Grant the key of ``post_id`` to every qualifying ``candidate`` (default: the indexed
        holders of the gate's tokens) that has an encryption key and no grant to it yet.

        Returns the ``KeyGrant`` messages ingested. Does nothing for a post whose key this node
        does not hold, that is not live and gated here, or whose author has not delegated to
        the node's signer. Raises :class:`~node.errors.ChainError` when the chain cannot be read.
        """
        key = self.vault.key(post_id)
        found = self._live_gated(post_id) if key is not None else None
        if key is None or found is None:
            return []
        return self._grant(post_id, key, found, candidates)

    def _grant(
        self, post_id: bytes, key: ContentKey, found: tuple[Any, Gate], candidates: Iterable[str] | None
    ) -> list[Any]:
        """:meth:`grant_post` once the post's key, live post and gate (``found``) are in hand."""
        if self._balance_of is None:
            return []
        post, gate = found
        if not self._may_sign_for(post.author):
            return []
        if candidates is None:
            if self._holders is None:
                return []
            candidates = {
                h
                for chain_id, token in tokens_needed(gate)
                if chain_id == self.chain_id
                for h in self._holders(token)
            }
        granted = self.store.grant_recipients(post_id)
        from node.messages import sign_message  # node.messages imports this package: import late

        messages = []
        for holder in sorted(set(candidates)):
            recipient_key = self._encryption_key(holder)
            if recipient_key is None or granted.get(holder) == recipient_key:
                continue
            if not self._meets(gate, holder):
                continue
            wrapped = wrap(key, recipient_key, GrantBinding(self.chain_id, post_id, post.author, holder))
            fields = {
                "author": post.author,
                "post": post_id,
                "recipient": holder,
                "recipientKey": recipient_key,
                "wrappedKey": wrapped,
            }
            messages.append(sign_message("KeyGrant", fields, self.signer.private_key, self.chain_id))
        if not messages:
            return []
        report = self.store.ingest(messages)
        for _index, result in report.rejections():
            log.warning("key grant for post 0x%s refused by the store: %s", post_id.hex()[:12], result.reason)
        log.info("granted the key of post 0x%s to %d holder(s)", post_id.hex()[:12], len(report.accepted))
        return list(report.accepted)

    def grant_holders(self, holders: Mapping[str, frozenset[str] | None]) -> list[Any]:
        """Grant each of ``holders`` every held key whose gate they now meet. ``holders`` maps a
        holder to the tokens whose transfers concern them (``None``: any token).

        A holder the chain index shows holding none of a gate's tokens of this chain cannot meet
        it (every minimum is at least 1), so is passed over without a chain call: a flood of
        fresh keys publishing encryption keys costs one index query per token, not a chain call
        each. A holder whose tokens arrive later is seen again through the indexer's Transfer.
        Raises :class:`~node.errors.ChainError` when the chain cannot be read.
        """
        if not holders or self._balance_of is None:
            return []
        indexed: dict[str, frozenset[str]] = {}
        issued = []
        for post_id in self.vault.posts():
            key = self.vault.key(post_id)
            found = self._live_gated(post_id) if key is not None else None
            if key is None or found is None:
                continue
            needed = tokens_needed(found[1])
            if any(chain_id != self.chain_id for chain_id, _ in needed):
                continue  # a gate on another chain cannot be checked here (grant_post says so)
            tokens = frozenset(token for _, token in needed)
            candidates = [h for h, changed in holders.items() if changed is None or changed & tokens]
            if self._holders is not None:
                for token in tokens - indexed.keys():
                    indexed[token] = frozenset(self._holders(token))
                candidates = [h for h in candidates if any(h in indexed[token] for token in tokens)]
            if candidates:
                issued += self._grant(post_id, key, found, candidates)
        return issued

    # -- online unlock

    def _challenger_or_fail(self) -> Challenger:
        if self._challenger is None:
            raise ChainError("unlock is not ready: the node's API address is not bound yet")
        return self._challenger

    def _unlockable(self, post_id: bytes) -> tuple[ContentKey, Any, Gate]:
        key = self.vault.key(post_id)
        found = self._live_gated(post_id)
        if key is None or found is None:
            raise KeyError(post_id)
        return key, found[0], found[1]

    def challenge(self, post_id: bytes, address: str, *, client: str = "") -> str:
        """The EIP-4361 text ``address`` signs to unlock ``post_id``; ``client`` is who asked
        (an IP address), for the nonce book's per-client cap.

        Everything that would make the unlock fail for sure is checked before a nonce is issued.
        Raises :class:`~node.errors.InvalidInput` for an address that is not EIP-55,
        :class:`KeyError` when this node cannot unlock that post (no key, or the post is not
        live and gated here), :class:`~node.errors.ChainError` when it cannot check gates, and
        :class:`~node.errors.TooManyPending` when the book or this client's share is full.
        """
        try:
            validate_address(address)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self._unlockable(post_id)
        if not self.can_check_gates:
            raise ChainError("this node runs without a chain: it cannot check gates")
        return self._challenger_or_fail().issue(address, post_id, client=client)

    def unlock(self, post_id: bytes, message: str, signature: str | bytes) -> Unlocked:
        """Verify a signed challenge, check the gate on chain at the latest block, return the key.

        The challenge's nonce is used up once the gate has been decided, either way; when the
        chain cannot be read the nonce stays unused, so the holder can retry with the same
        signed challenge. Raises :class:`KeyError` (as :meth:`challenge`),
        :class:`~node.errors.ChallengeRefused` with its reason, :class:`~node.errors.GateNotMet`
        when the signer does not meet the gate now, and :class:`~node.errors.ChainError` when
        the chain cannot be read.
        """
        key, post, gate = self._unlockable(post_id)
        challenger = self._challenger_or_fail()
        signed = challenger.check(message, signature, post_id)
        meets = self._meets(gate, signed.address)
        challenger.redeem(signed)
        holder = signed.address
        if not meets:
            log.info("unlock of post 0x%s refused: %s does not meet the gate", post_id.hex()[:12], holder)
            raise GateNotMet(f"{holder} does not meet this post's gate at the latest block")
        recipient_key = self._encryption_key(holder)
        if recipient_key is not None:
            try:
                load_public_key(recipient_key)
            except InvalidInput:
                recipient_key = None
        if recipient_key is None:
            return Unlocked(post_id, holder, "none", key.to_bytes())
        binding = GrantBinding(self.chain_id, post_id, post.author, holder)
        return Unlocked(post_id, holder, "x25519", wrap(key, recipient_key, binding))


# ---------------------------------------------------------------------------------------------
# The trio service
# ---------------------------------------------------------------------------------------------


async def serve(
    keeper: Gatekeeper,
    transfers: trio.MemoryReceiveChannel[Any] | None = None,
    *,
    holder_batch: int = 512,
    reconcile_interval: float = 300.0,
    retry_interval: float = 5.0,
    feed: AcceptedFeed | None = None,
    task_status: TaskStatus[GrantWork] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Grant keys as holders qualify, until cancelled; a trio service for ``nursery.start``,
    which reports the service's :class:`GrantWork` (for its statistics).

    Work comes from the node's accepted-messages ``feed`` (:mod:`node.accepted`; without one,
    the service runs its own over ``keeper.store``): a post accepted whose key this node holds
    (after :meth:`Gatekeeper.accept`), a holder publishing an encryption key, each confirmed ``Transfer`` received on
    ``transfers`` (from :meth:`Indexer.serve`, which waits when that channel is full), and a
    reconciliation every ``reconcile_interval`` seconds, starting now: every held
    post is rescanned against its indexed holders and the grants issued, which repairs whatever
    was missed (downtime, a write to the store from outside the node). Work is coalesced in a
    :class:`GrantWork`, never dropped: post rescans first, then at most ``holder_batch`` holder
    checks per round, in a worker thread. When the chain or the store fails, the round goes
    back into the set and is retried after ``retry_interval`` seconds.
    """
    from node import accepted  # at call time: see the TYPE_CHECKING import above
    from node.accepted import Gap

    for title, value in (
        ("holder_batch", holder_batch),
        ("reconcile_interval", reconcile_interval),
        ("retry_interval", retry_interval),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{title} must be positive, got {value!r}")
    work = GrantWork()
    ring_send, doorbell = trio.open_memory_channel[None](1)

    def ring() -> None:
        # already rung: the work itself waits in the set, not in the bell
        with contextlib.suppress(trio.WouldBlock, trio.ClosedResourceError):
            ring_send.send_nowait(None)

    async def follow(reports: Subscription) -> None:
        # Each store report, from the accepted-messages feed; a gap (this service fell
        # FEED_BUFFER reports behind) costs one rescan of every held post, which finds
        # whatever the missed reports asked for.
        async for delivery in reports:
            if isinstance(delivery, Gap):
                await rescan()
                continue
            messages = delivery.accepted
            posts = [m.id for m in messages if m.type == "Post" and m.fields["gate"]]
            holders = [
                (m.author, None)
                for m in messages
                if m.type == "Profile" and m.fields["field"] == ENCRYPTION_KEY_FIELD and m.fields["value"]
            ]
            if posts or holders:
                work.add(posts, holders)
                ring()

    async def forward() -> None:
        assert transfers is not None
        async for transfer in transfers:
            if transfer.recipient != _BURNED:  # a sale burns to the zero address: nobody new holds
                work.add(holders=[(transfer.recipient, frozenset({transfer.token}))])
                ring()

    async def rescan() -> None:
        try:
            work.add(posts=await trio.to_thread.run_sync(keeper.vault.posts))
            ring()
        except StoreError as exc:
            log.warning("gating: reconciliation could not list held keys: %s", exc)

    async def reconcile() -> None:
        while True:
            await rescan()
            await trio.sleep(reconcile_interval)

    def handle(batch: Batch) -> None:
        for post_id in batch.posts:
            try:
                keeper.grant_post(post_id)
            except InvalidInput as exc:  # the post's own fault (a gate this node cannot check)
                log.warning("gating: cannot grant post 0x%s: %s", post_id.hex()[:12], exc)
        keeper.grant_holders(batch.holders)

    async with trio.open_nursery() as nursery:
        if feed is None:
            feed = await nursery.start(accepted.serve, keeper.store)
        with feed.subscription("grant work", FEED_BUFFER) as reports:
            nursery.start_soon(follow, reports)
            if transfers is not None:
                nursery.start_soon(forward)
            nursery.start_soon(reconcile)
            task_status.started(work)
            async for _ in doorbell:
                while batch := work.take(int(holder_batch)):
                    try:
                        await trio.to_thread.run_sync(handle, batch)
                    except (ChainError, StoreError) as exc:
                        work.put_back(batch)
                        log.warning("gating: grant work failed, retrying in %.1fs: %s", retry_interval, exc)
                        await trio.sleep(retry_interval)
                    else:
                        work.done(batch)
