"""The gatekeeper: what a node does with the content keys it holds, grants and unlocks.

Who holds what. A creator's client encrypts a post locally and hands the content key to the
creator's *own* node over the admin-authenticated API (:meth:`Gatekeeper.accept`). The node
keeps it in its :class:`~node.grants.Vault` and signs ``KeyGrant`` messages for the creator
with its own grant signer (:func:`~node.grants.load_signer`), to which the creator delegates.

Granting (:meth:`Gatekeeper.grant_post`, :meth:`Gatekeeper.grant_holders`): candidates are
the indexed holders of the gate's tokens; each one with a published ``encryptionKey`` and no
grant to that key yet is checked against the gate on chain at the latest block, and the key
is wrapped to them (HPKE, :mod:`node.gating.keywrap`), signed as a ``KeyGrant`` by the node's
signer and ingested, so gossip and sync carry it to every node. The grant service
(:func:`~node.grants.serve_grants`) calls these as events call for them.

Unlocking (:meth:`Gatekeeper.challenge`, :meth:`Gatekeeper.unlock`): an EIP-4361 challenge
with a single-use nonce from the vault's :class:`~node.grants.SqliteNonceBook`, issued only
for a request that could succeed and bound to its address and post, capped per client;
verified, then the gate checked on chain at the latest block, then the nonce used up (a chain
outage leaves it usable); the key goes back wrapped to the holder's profile key, or raw when
the holder published none. Every refusal is an exception; none carries the key.

I/O: the store, the vault (SQLite) and the chain (through the callables it is given). Methods
block; the node calls them from worker threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from node.errors import (
    DecryptionFailed,
    GateNotMet,
    InvalidInput,
    KeyNotHeld,
    NotReady,
    NotServed,
)
from node.gating import (
    Challenger,
    Clock,
    ContentKey,
    Gate,
    GrantBinding,
    check_gate,
    decrypt_content,
    load_public_key,
    parse_gate,
    tokens_needed,
    utc_now,
    validate_address,
    wrap,
)
from node.grants._vault import Vault
from node.identity import Key
from node.messages import POST_TYPES, SignedMessage, sign_message
from node.store import Outcome, Result, Store

__all__ = ["ENCRYPTION_KEY_FIELD", "Gatekeeper", "Unlocked"]

log = logging.getLogger(__name__)

#: Profile field holding a user's X25519 public key (``0x`` + 64 hex).
ENCRYPTION_KEY_FIELD = "encryptionKey"


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


@dataclass(eq=False, repr=False)
class Gatekeeper:
    """Everything a node does with content keys; methods block (call them from threads).

    ``store`` is the node's :class:`~node.store.Store`; ``vault`` its :class:`Vault`;
    ``signer`` the node's grant signer (:func:`~node.grants.load_signer`). ``balance_of(token,
    holder)`` reads a balance on chain at the latest block and ``holders(token)`` lists the
    indexed holders of a token (both ``None`` on a node without a chain: it can hold keys but
    neither grant nor unlock). ``chain_id`` is the chain the node serves; ``challenge_ttl`` and
    ``clock`` go to the unlock challenges.
    """

    store: Store
    vault: Vault
    signer: Key
    _: KW_ONLY
    chain_id: int
    balance_of: Callable[[str, str], int] | None = None
    holders: Callable[[str], Iterable[str]] | None = None
    challenge_ttl: timedelta = timedelta(minutes=5)
    clock: Clock = utc_now
    _challenger: Challenger | None = field(default=None, init=False)
    _warned: set[str] = field(default_factory=set, init=False)

    @property
    def signer_address(self) -> str:
        return self.signer.address

    @property
    def can_check_gates(self) -> bool:
        return self.balance_of is not None

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
            nonces=self.vault.nonces,
            ttl=self.challenge_ttl,
            clock=self.clock,
        )

    # -- keys

    def holds(self, post_id: bytes) -> bool:
        return self.vault.key(post_id) is not None

    def accept(self, post: SignedMessage, key: ContentKey) -> Result:
        """Keep ``key`` for gated ``post`` (a verified :class:`~node.messages.SignedMessage`) and
        ingest the post. Returns the store's :class:`~node.store.Result` for the post.

        Raises :class:`~node.errors.InvalidInput` when the post is not a gated post of this
        chain or the key does not decrypt its ciphertext (nothing is kept then).
        """
        if post.type not in POST_TYPES or not post.gate:
            raise InvalidInput("post: must be a gated Post (with a gate and a ciphertext)")
        gate = parse_gate(post.gate)
        try:
            decrypt_content(post.ciphertext, key, chain_id=post.chain_id, author=post.author, gate=gate)
        except DecryptionFailed:
            raise InvalidInput("contentKey: does not decrypt this post's ciphertext") from None
        self.vault.put_key(post.id, post.author, key)
        result = self.store.ingest([post]).results[0]
        if result.outcome is Outcome.REJECTED:
            self.vault.drop_key(post.id)
        return result

    # -- chain lookups

    def _lookup(self, chain_id: int, token: str, holder: str) -> int:
        if self.balance_of is None:
            raise NotServed("this node runs without a chain: it cannot check gates", reason="no_chain")
        if chain_id != self.chain_id:
            raise InvalidInput(f"gate: names chain {chain_id}, this node reads chain {self.chain_id}")
        return self.balance_of(token, holder)

    def _meets(self, gate: Gate, holder: str) -> bool:
        return check_gate(gate, holder, self._lookup)

    # -- grants

    def _live_gated(self, post_id: bytes) -> tuple[SignedMessage, Gate] | None:
        post = self.store.get(post_id)
        if post is None or post.type not in POST_TYPES or not post.gate:
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

    def grant_post(self, post_id: bytes, candidates: Iterable[str] | None = None) -> list[SignedMessage]:
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
        self,
        post_id: bytes,
        key: ContentKey,
        found: tuple[SignedMessage, Gate],
        candidates: Iterable[str] | None,
    ) -> list[SignedMessage]:
        """:meth:`grant_post` once the post's key, live post and gate (``found``) are in hand."""
        if self.balance_of is None:
            return []
        post, gate = found
        if not self._may_sign_for(post.author):
            return []
        if candidates is None:
            if self.holders is None:
                return []
            candidates = {
                h
                for chain_id, token in tokens_needed(gate)
                if chain_id == self.chain_id
                for h in self.holders(token)
            }
        granted = self.store.grant_recipients(post_id)

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

    def grant_holders(self, holders: Mapping[str, frozenset[str] | None]) -> list[SignedMessage]:
        """Grant each of ``holders`` every held key whose gate they now meet. ``holders`` maps a
        holder to the tokens whose transfers concern them (``None``: any token).

        A holder the chain index shows holding none of a gate's tokens of this chain cannot meet
        it (every minimum is at least 1), so is passed over without a chain call: a flood of
        fresh keys publishing encryption keys costs one index query per token, not a chain call
        each. A holder whose tokens arrive later is seen again through the indexer's Transfer.
        Raises :class:`~node.errors.ChainError` when the chain cannot be read.
        """
        if not holders or self.balance_of is None:
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
            if self.holders is not None:
                for token in tokens - indexed.keys():
                    indexed[token] = frozenset(self.holders(token))
                candidates = [h for h in candidates if any(h in indexed[token] for token in tokens)]
            if candidates:
                issued += self._grant(post_id, key, found, candidates)
        return issued

    # -- online unlock

    def _challenger_or_fail(self) -> Challenger:
        if self._challenger is None:
            raise NotReady(
                "unlock is not ready: the node's API address is not bound yet", reason="api_not_bound"
            )
        return self._challenger

    def _unlockable(self, post_id: bytes) -> tuple[ContentKey, SignedMessage, Gate]:
        key = self.vault.key(post_id)
        found = self._live_gated(post_id)
        if key is None or found is None:
            raise KeyNotHeld(
                "this node does not hold the key of that post (or it is not a live gated post here)"
            )
        return key, found[0], found[1]

    def challenge(self, post_id: bytes, address: str, *, client: str = "") -> str:
        """The EIP-4361 text ``address`` signs to unlock ``post_id``; ``client`` is who asked
        (an IP address), for the nonce book's per-client cap.

        Everything that would make the unlock fail for sure is checked before a nonce is issued.
        Raises :class:`~node.errors.InvalidInput` for an address that is not EIP-55,
        :class:`~node.errors.KeyNotHeld` when this node cannot unlock that post (no key, or the
        post is not live and gated here), :class:`~node.errors.NotServed` when it cannot check
        gates, :class:`~node.errors.NotReady` before the API is bound, and
        :class:`~node.errors.TooManyPending` when the book or this client's share is full.
        """
        try:
            validate_address(address)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self._unlockable(post_id)
        if not self.can_check_gates:
            raise NotServed("this node runs without a chain: it cannot check gates", reason="no_chain")
        return self._challenger_or_fail().issue(address, post_id, client=client)

    def unlock(self, post_id: bytes, message: str, signature: str | bytes) -> Unlocked:
        """Verify a signed challenge, check the gate on chain at the latest block, return the key.

        The challenge's nonce is used up once the gate has been decided, either way; when the
        chain cannot be read the nonce stays unused, so the holder can retry with the same
        signed challenge. Raises :class:`~node.errors.KeyNotHeld` (as :meth:`challenge`),
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
