"""Online-unlock challenges in Sign-In with Ethereum (EIP-4361) form.

A holder proves control of an address by signing a short-lived challenge that a node issued.
The challenge is a standard SIWE message, so any wallet shows it to the user as a sign-in
request and signs it with EIP-191 ``personal_sign``; no Mecenate-specific wallet support is
needed. Example, as :meth:`Challenger.issue` writes it::

    node.example wants you to sign in with your Ethereum account:
    0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

    Sign to unlock an exclusive post on Mecenate. This moves no funds.

    URI: https://node.example/v1/unlock
    Version: 1
    Chain ID: 31337
    Nonce: 3f1e0c8a9b7d4e2f8a1c5b6d7e9f0a1b
    Issued At: 2026-11-22T01:00:00Z
    Expiration Time: 2026-11-22T01:05:00Z
    Resources:
    - mecenate:post:0x<64 hex digits of the post id>

The text is an EIP-4361 message, rendered and parsed strictly by :mod:`.siwe`. :class:`Challenger`
is the node's policy over it: the domain, URI and chain it expects, one resource naming the
post, a mandatory expiry checked against an injected clock, and a :class:`NonceBook` whose
nonces are single-use and bound to the address and post they were issued for. The book is a
protocol here, with its rule (:func:`check_nonce`); the node keeps its nonces in SQLite
(:class:`node.grants.SqliteNonceBook`), so this module stays pure apart from the clock.

Every refusal is a :class:`~node.errors.ChallengeRefused` with a distinct ``reason``. Checks run
cheapest first. A nonce is issued only once the request is otherwise valid, so refused requests
cannot fill the book. Verifying (:meth:`Challenger.check`) only looks at the nonce; using it up
(:meth:`Challenger.redeem`) is a separate step the caller takes once it has an answer, so a
forged request cannot burn a genuine holder's nonce and neither can a chain outage. Contract
wallets (EIP-1271) are not supported yet: they need a chain call, and so belong with the chain
lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils.exceptions import ValidationError

from node.errors import ChallengeRefused
from node.gating.siwe import SiweMessage, validate_address

__all__ = [
    "DEFAULT_STATEMENT",
    "Challenger",
    "Clock",
    "NonceBook",
    "SignedChallenge",
    "check_nonce",
    "post_resource",
    "utc_now",
]

log = logging.getLogger(__name__)

#: The statement a Mecenate unlock challenge shows the user.
DEFAULT_STATEMENT = "Sign to unlock an exclusive post on Mecenate. This moves no funds."
#: How far in the future ``Issued At`` may be, for clients whose clocks run a little fast.
_CLOCK_SKEW = timedelta(seconds=60)

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime; injected so tests can move time."""


def utc_now() -> datetime:
    """The real clock: the current time in UTC."""
    return datetime.now(UTC)


def post_resource(post_id: bytes) -> str:
    """Return the EIP-4361 resource URI naming a post: ``mecenate:post:0x<id hex>``.

    Raises :class:`ValueError` unless ``post_id`` is the post's 32-byte EIP-712 digest.
    """
    if not isinstance(post_id, (bytes, bytearray)) or len(post_id) != 32:
        raise ValueError("post_id must be 32 bytes (the post's EIP-712 digest)")
    return f"mecenate:post:0x{bytes(post_id).hex()}"


# ---------------------------------------------------------------------------------------------
# Nonces
# ---------------------------------------------------------------------------------------------


class NonceBook(Protocol):
    """Where a node keeps the challenge nonces it issued, each usable once, and only by the
    address and for the post it was issued for.

    The node's book is :class:`node.grants.SqliteNonceBook`: in SQLite, so that nonces survive
    restarts, and capped per client and per address.
    """

    def issue(self, ttl: timedelta, *, address: str, post: bytes, client: str = "") -> str:
        """Return a fresh nonce for ``address`` to unlock ``post``, valid until ``ttl`` has passed.

        ``client`` names who asked (an IP address), for books that cap pending nonces per
        client. Raises :class:`~node.errors.TooManyPending` when the book, or the client's
        share of it, is full.
        """
        ...

    def check(self, nonce: str, *, address: str, post: bytes) -> None:
        """Raise as :meth:`consume` would, but leave the nonce unused."""
        ...

    def consume(self, nonce: str, *, address: str, post: bytes) -> None:
        """Mark ``nonce`` used. Raises :class:`~node.errors.ChallengeRefused` with reason
        ``unknown_nonce`` (never issued, or forgotten), ``nonce_mismatch`` (issued for another
        address or post; the nonce stays usable by its own), ``replayed`` (already consumed) or
        ``expired`` (its ttl has passed)."""
        ...


def check_nonce(
    found: tuple[str, bytes] | None, used: bool, expired: bool, address: str, post: bytes
) -> None:
    """The rule every :class:`NonceBook` applies to a nonce it looked up for ``address`` and
    ``post``: ``found`` is the address and post it was issued for (``None`` when unknown),
    ``used`` and ``expired`` its state. Raises the refusal, if any; pure."""
    if found is None:
        raise ChallengeRefused("unknown_nonce", "this node did not issue that nonce")
    if found != (address, bytes(post)):
        raise ChallengeRefused("nonce_mismatch", "this nonce was issued for another address or post")
    if used:
        raise ChallengeRefused("replayed", "this challenge has already been used")
    if expired:
        raise ChallengeRefused("expired", "the challenge's nonce has expired")


# ---------------------------------------------------------------------------------------------
# Policy: issue and verify
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenger:
    """Issues and verifies unlock challenges for one node.

    ``domain`` (an RFC 3986 authority such as ``node.example`` or ``127.0.0.1:8000``) and
    ``uri`` are what this node's API is reached at; a challenge signed for any other domain
    is refused, so a challenge phished on another site is worthless here. ``ttl`` bounds both
    the message's ``Expiration Time`` and the nonce. ``clock`` is injected so expiry can be
    tested without sleeping. Constructing one raises :class:`ValueError` naming a bad setting.
    """

    domain: str
    uri: str
    chain_id: int
    nonces: NonceBook
    ttl: timedelta
    clock: Clock = utc_now
    statement: str = DEFAULT_STATEMENT

    def __post_init__(self) -> None:
        if not isinstance(self.ttl, timedelta) or self.ttl <= timedelta(0):
            raise ValueError(f"ttl must be a positive timedelta, got {self.ttl!r}")
        # Validate the node's own settings once, by building a sample message.
        SiweMessage(
            domain=self.domain,
            address="0x" + "0" * 40,
            uri=self.uri,
            chain_id=self.chain_id,
            nonce="a" * 8,
            issued_at=utc_now(),
            statement=self.statement,
        )

    def issue(self, address: str, post_id: bytes, *, client: str = "") -> str:
        """Return the challenge text ``address`` must sign to unlock post ``post_id``.

        The request is validated before a nonce is issued, so a refused one costs the book
        nothing. ``client`` (who asked) goes to the nonce book for its per-client cap. Raises
        :class:`ValueError` if ``address`` is not an EIP-55 checksum address or ``post_id`` is
        not 32 bytes, and :class:`~node.errors.TooManyPending` if the nonce book is full.
        """
        validate_address(address)
        resource = post_resource(post_id)
        now = self.clock().replace(microsecond=0)
        message = SiweMessage(
            domain=self.domain,
            address=address,
            uri=self.uri,
            chain_id=self.chain_id,
            nonce=self.nonces.issue(self.ttl, address=address, post=bytes(post_id), client=client),
            issued_at=now,
            expiration_time=now + self.ttl,
            statement=self.statement,
            resources=(resource,),
        )
        return message.to_text()

    def verify(self, message: str, signature: bytes | str, post_id: bytes) -> str:
        """Check a signed challenge for post ``post_id`` and use its nonce up; return the signer.

        :meth:`check` then :meth:`redeem`, for callers with nothing to decide in between.
        """
        signed = self.check(message, signature, post_id)
        self.redeem(signed)
        return signed.address

    def check(self, message: str, signature: bytes | str, post_id: bytes) -> SignedChallenge:
        """Check a signed challenge for post ``post_id``, leaving its nonce unused.

        The address returned is proven to control the key; whether it meets the gate is the
        caller's next question (:func:`node.gating.gate.check_gate`), and :meth:`redeem` the
        step after that. Raises :class:`~node.errors.ChallengeRefused`, in the order checked,
        with reason ``malformed`` (not EIP-4361 text, or no expiry), ``wrong_domain`` /
        ``wrong_uri`` / ``wrong_chain`` (signed for another site, endpoint or network),
        ``wrong_resource`` (not exactly this post), ``expired`` / ``not_yet_valid`` (by the
        injected clock), ``bad_signature`` (not a recoverable 65-byte signature),
        ``wrong_signer`` (signed by another key than the address in the message), and from the
        nonce book ``unknown_nonce`` / ``nonce_mismatch`` / ``replayed`` / ``expired``.
        """
        try:
            signed = self._check(message, signature, post_id)
            self.nonces.check(signed.nonce, address=signed.address, post=signed.post)
            return signed
        except ChallengeRefused as exc:
            log.info("unlock challenge refused: %s", exc.reason)
            raise

    def redeem(self, signed: SignedChallenge) -> None:
        """Use the nonce of a checked challenge up, atomically: of two requests racing with one
        challenge, the second is refused (``replayed``)."""
        try:
            self.nonces.consume(signed.nonce, address=signed.address, post=signed.post)
        except ChallengeRefused as exc:
            log.info("unlock challenge refused: %s", exc.reason)
            raise

    def _check(self, message: str, signature: bytes | str, post_id: bytes) -> SignedChallenge:
        parsed = SiweMessage.parse(message)
        if parsed.domain != self.domain or parsed.scheme not in (None, "https", "http"):
            raise ChallengeRefused(
                "wrong_domain", f"challenge is for {parsed.domain!r}, this node is {self.domain!r}"
            )
        if parsed.uri != self.uri:
            raise ChallengeRefused("wrong_uri", f"challenge URI {parsed.uri!r} is not this node's")
        if parsed.chain_id != self.chain_id:
            raise ChallengeRefused(
                "wrong_chain", f"challenge is for chain {parsed.chain_id}, not {self.chain_id}"
            )
        if parsed.resources != (post_resource(post_id),):
            raise ChallengeRefused("wrong_resource", "challenge does not name exactly this post")
        if parsed.expiration_time is None:
            raise ChallengeRefused("malformed", "unlock challenges must have an Expiration Time")
        now = self.clock()
        if now >= parsed.expiration_time:
            raise ChallengeRefused("expired", "the challenge has expired")
        if parsed.not_before is not None and now < parsed.not_before:
            raise ChallengeRefused("not_yet_valid", "the challenge is not valid yet")
        if parsed.issued_at > now + _CLOCK_SKEW:
            raise ChallengeRefused("not_yet_valid", "the challenge is issued in the future")
        signer = _recover(message, signature)
        if signer != parsed.address:
            raise ChallengeRefused("wrong_signer", f"signed by {signer}, not by {parsed.address}")
        return SignedChallenge(parsed.address, bytes(post_id), parsed.nonce)


@dataclass(frozen=True, slots=True)
class SignedChallenge:
    """A challenge whose text and signature checked out: ``address`` signed it, for ``post``,
    with ``nonce`` (not used up until :meth:`Challenger.redeem`)."""

    address: str
    post: bytes
    nonce: str


def _recover(message: str, signature: bytes | str) -> str:
    """Recover the EIP-191 ``personal_sign`` signer of ``message``, translating library errors."""
    if isinstance(signature, str):
        try:
            signature = bytes.fromhex(signature.removeprefix("0x"))
        except ValueError:
            raise ChallengeRefused("bad_signature", "signature is not hex") from None
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 65:
        raise ChallengeRefused("bad_signature", "signature must be 65 bytes (r, s, v)")
    try:
        return Account.recover_message(encode_defunct(text=message), signature=bytes(signature))
    except (BadSignature, ValidationError, ValueError) as exc:
        raise ChallengeRefused("bad_signature", "signature does not recover a key") from exc
