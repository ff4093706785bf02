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

:class:`SiweMessage` renders and parses that text strictly per the EIP's ABNF (the
``wants you to sign in`` line, a blank line, an optional statement, then the tagged fields in
their fixed order, no trailing newline). It is checked against the SIWE reference parsing
vectors (``tests/vectors/siwe/``, from spruceid/siwe): every positive vector parses to its
fields and every negative one is refused, with two deliberate differences. A domain with
userinfo (``user@host``), legal in an RFC 3986 authority, is refused: a wallet showing
``paypal.com@evil.example wants you to sign in`` invites phishing, and no node's domain has
one. And timestamps are kept as UTC datetimes, so a non-UTC ``Issued At`` parses to the same
instant but does not render back to the same text (a signature is always checked over the
text as signed). :class:`Challenger` adds the node's policy: the
domain, URI and chain it expects, one resource naming the post, a mandatory expiry checked
against an injected clock, and a :class:`NonceBook` whose nonces are single-use and bound to
the address and post they were issued for.

Every refusal is a :class:`~node.errors.ChallengeRefused` with a distinct ``reason``. Checks run
cheapest first. A nonce is issued only once the request is otherwise valid, so refused requests
cannot fill the book. Verifying (:meth:`Challenger.check`) only looks at the nonce; using it up
(:meth:`Challenger.redeem`) is a separate step the caller takes once it has an answer, so a
forged request cannot burn a genuine holder's nonce and neither can a chain outage. Contract wallets (EIP-1271) are not
supported yet: they need a chain call, and so belong with the chain lookup.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils import is_checksum_address
from eth_utils.exceptions import ValidationError

from node.errors import ChallengeRefused, TooManyPending

__all__ = [
    "DEFAULT_STATEMENT",
    "MAX_MESSAGE_BYTES",
    "Challenger",
    "Clock",
    "MemoryNonceBook",
    "NonceBook",
    "SignedChallenge",
    "SiweMessage",
    "check_nonce",
    "post_resource",
    "utc_now",
    "validate_address",
]

log = logging.getLogger(__name__)

#: The statement a Mecenate unlock challenge shows the user.
DEFAULT_STATEMENT = "Sign to unlock an exclusive post on Mecenate. This moves no funds."
#: Longest challenge text accepted for parsing; ours are about 450 bytes.
MAX_MESSAGE_BYTES = 4096
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
# Grammar (EIP-4361 ABNF; RFC 3986 and RFC 3339 terms narrowed to what is safe to accept)
# ---------------------------------------------------------------------------------------------

_HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# authority without userinfo ("user@" before a host is a phishing aid and never needed here)
_DOMAIN = re.compile(r"(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_STATEMENT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*")  # reserved/unreserved/SP
_ADDRESS = re.compile(r"0x[0-9A-Fa-f]{40}")
_CHAIN_ID = re.compile(r"[1-9][0-9]{0,19}")
_NONCE = re.compile(r"[A-Za-z0-9]{8,}")
_REQUEST_ID = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?(?:[Zz]|[+-]\d{2}:\d{2})")


def _check(pattern: re.Pattern[str], value: object, title: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{title} is not valid: {value!r}")
    return value


def validate_address(value: object, title: str = "address") -> str:
    """Return ``value`` if it is an EIP-55 checksum address; raise :class:`ValueError` naming
    ``title`` otherwise (an all-lowercase address carries no checksum, so it is refused too)."""
    address = _check(_ADDRESS, value, title)
    if not is_checksum_address(address):
        raise ValueError(f"{title} is not an EIP-55 checksum address: {address!r}")
    return address


def _format_time(value: datetime) -> str:
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _parse_time(text: str, title: str) -> datetime:
    match = _DATE_TIME.fullmatch(text)
    if not match:
        raise ValueError(f"{title} is not an RFC 3339 date-time: {text!r}")
    normalised = text.upper()
    if match.group(1) and len(match.group(1)) > 6:  # Python keeps microseconds; drop the rest
        head, _, rest = normalised.partition(".")
        digits = match.group(1)
        normalised = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        return datetime.fromisoformat(normalised).astimezone(UTC)
    except ValueError as exc:
        raise ValueError(f"{title} is not a real date-time: {text!r}") from exc


def _check_time(value: object, title: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{title} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class SiweMessage:
    """One EIP-4361 message, as fields; :meth:`to_text` and :meth:`parse` convert.

    Constructing one validates every field against the EIP's grammar and raises
    :class:`ValueError` naming the bad field. ``address`` must be an EIP-55 checksum address.
    """

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    statement: str | None = None
    scheme: str | None = None
    version: str = "1"
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.scheme is not None:
            _check(_SCHEME, self.scheme, "scheme")
        _check(_DOMAIN, self.domain, "domain")
        validate_address(self.address)
        if self.statement is not None:
            _check(_STATEMENT, self.statement, "statement")
        _check(_URI, self.uri, "uri")
        if self.version != "1":
            raise ValueError(f"version must be '1', got {self.version!r}")
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise ValueError("chain_id must be an integer")
        _check(_CHAIN_ID, str(self.chain_id), "chain_id")
        _check(_NONCE, self.nonce, "nonce")
        _check_time(self.issued_at, "issued_at")
        if self.expiration_time is not None:
            _check_time(self.expiration_time, "expiration_time")
        if self.not_before is not None:
            _check_time(self.not_before, "not_before")
        if self.request_id is not None:
            _check(_REQUEST_ID, self.request_id, "request_id")
        if not isinstance(self.resources, tuple):
            raise ValueError("resources must be a tuple of URIs")
        for index, resource in enumerate(self.resources):
            _check(_URI, resource, f"resources[{index}]")

    def to_text(self) -> str:
        """Render the exact text the wallet signs, per the EIP-4361 ABNF (no trailing LF)."""
        origin = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        lines = [origin + _HEADER_SUFFIX, self.address, ""]
        if self.statement is not None:
            lines.append(self.statement)
        lines += [
            "",
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {_format_time(self.issued_at)}",
        ]
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {_format_time(self.expiration_time)}")
        if self.not_before is not None:
            lines.append(f"Not Before: {_format_time(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {resource}" for resource in self.resources]
        return "\n".join(lines)

    @classmethod
    def parse(cls, text: str) -> SiweMessage:
        """Parse EIP-4361 text strictly: fixed field order, exact tags, no extra lines.

        Raises :class:`~node.errors.ChallengeRefused` with reason ``malformed`` and the line
        number (1-based) and field at fault.
        """
        if not isinstance(text, str):
            raise ChallengeRefused("malformed", "message must be text")
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_MESSAGE_BYTES:
            raise ChallengeRefused("malformed", f"message exceeds {MAX_MESSAGE_BYTES} bytes")
        try:
            return _parse_lines(text.split("\n"))
        except _LineError as exc:
            raise ChallengeRefused("malformed", str(exc)) from None


class _LineError(Exception):
    pass


def _parse_lines(lines: list[str]) -> SiweMessage:
    position = 0  # lines consumed so far, which is also the 1-based number of the last one

    def fail(detail: str, *, line: int | None = None) -> _LineError:
        return _LineError(f"line {position if line is None else line}: {detail}")

    def take() -> str:
        nonlocal position
        if position >= len(lines):
            raise fail("message ends early", line=position + 1)
        position += 1
        return lines[position - 1]

    def tagged(tag: str, *, required: bool) -> str | None:
        if position < len(lines) and lines[position].startswith(tag):
            return take()[len(tag) :]
        if required:
            raise fail(f"expected {tag.strip()!r}", line=position + 1)
        return None

    fields: dict[str, object] = {}
    header = take()
    if not header.endswith(_HEADER_SUFFIX):
        raise fail("expected '<domain> wants you to sign in with your Ethereum account:'")
    origin = header[: -len(_HEADER_SUFFIX)]
    scheme, sep, domain = origin.partition("://")
    fields["scheme"], fields["domain"] = (scheme, domain) if sep else (None, origin)
    fields["address"] = take()
    if take() != "":
        raise fail("expected a blank line after the address")
    # ABNF: LF [ statement LF ] LF "URI: " -- with no statement there are two blank lines.
    if position + 1 < len(lines) and lines[position] == "" and lines[position + 1].startswith("URI: "):
        fields["statement"] = None
        take()
    else:
        fields["statement"] = take()
        if take() != "":
            raise fail("expected a blank line after the statement")
    fields["uri"] = tagged("URI: ", required=True)
    fields["version"] = tagged("Version: ", required=True)
    chain_id = tagged("Chain ID: ", required=True)
    assert chain_id is not None
    if not _CHAIN_ID.fullmatch(chain_id):
        raise fail(f"chain id is not a decimal number: {chain_id!r}")
    fields["chain_id"] = int(chain_id)
    fields["nonce"] = tagged("Nonce: ", required=True)
    try:
        issued_at = tagged("Issued At: ", required=True)
        assert issued_at is not None
        fields["issued_at"] = _parse_time(issued_at, "Issued At")
        expiration = tagged("Expiration Time: ", required=False)
        if expiration is not None:
            fields["expiration_time"] = _parse_time(expiration, "Expiration Time")
        not_before = tagged("Not Before: ", required=False)
        if not_before is not None:
            fields["not_before"] = _parse_time(not_before, "Not Before")
    except ValueError as exc:
        raise fail(str(exc)) from None
    fields["request_id"] = tagged("Request ID: ", required=False)
    resources: list[str] = []
    if position < len(lines):
        if take() != "Resources:":
            raise fail("unexpected line; 'Resources:' or the end of the message was expected")
        while position < len(lines):
            line = take()
            if not line.startswith("- "):
                raise fail("expected a resource line '- <URI>'")
            resources.append(line[2:])
    fields["resources"] = tuple(resources)
    try:
        return SiweMessage(**fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _LineError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# Nonces
# ---------------------------------------------------------------------------------------------


class NonceBook(Protocol):
    """Where a node keeps the challenge nonces it issued, each usable once, and only by the
    address and for the post it was issued for.

    Implementations: :class:`MemoryNonceBook` here; :class:`~node.gating.Vault` keeps them in
    SQLite so that they survive restarts, and caps them per client and per address.
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


@dataclass(slots=True)
class _Issued:
    address: str
    post: bytes
    expires: datetime
    used: bool = False


def positive_int(value: object, title: str) -> int:
    """``value`` if it is an integer of at least 1; raises ValueError naming ``title`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{title} must be a positive integer, got {value!r}")
    return value


class MemoryNonceBook:
    """A :class:`NonceBook` in process memory, bounded by ``capacity`` outstanding nonces.

    Consumed nonces are remembered until their ttl ends, so a replay is reported as
    ``replayed`` rather than ``unknown_nonce``. There is no default capacity (as with trio's
    memory channels): pick one that fits the expected unlock rate times the ttl. When full, and
    nothing has expired, :meth:`issue` refuses with ``too_many_pending`` rather than evicting
    nonces that holders are about to use. It has no per-client caps (the node's
    :class:`~node.gating.Vault` has). Thread-safe, since unlocks verify in worker threads.
    """

    def __init__(self, *, capacity: int, clock: Clock = utc_now) -> None:
        self._capacity = positive_int(capacity, "capacity")
        self._clock = clock
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of nonces held (outstanding and consumed-but-not-yet-expired)."""
        return len(self._issued)

    def _purge(self, now: datetime) -> None:
        for nonce in [n for n, issued in self._issued.items() if issued.expires <= now]:
            del self._issued[nonce]

    def issue(self, ttl: timedelta, *, address: str, post: bytes, client: str = "") -> str:
        """Return a fresh 128-bit hex nonce valid for ``ttl``; see :class:`NonceBook`."""
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError(f"ttl must be a positive timedelta, got {ttl!r}")
        with self._lock:
            now = self._clock()
            if len(self._issued) >= self._capacity:
                self._purge(now)
                if len(self._issued) >= self._capacity:
                    raise TooManyPending(f"{self._capacity} challenges are outstanding")
            nonce = secrets.token_hex(16)
            self._issued[nonce] = _Issued(address, bytes(post), now + ttl)
            return nonce

    def _look(self, nonce: str, address: str, post: bytes) -> _Issued:
        issued = self._issued.get(nonce)
        found = None if issued is None else (issued.address, issued.post)
        check_nonce(
            found,
            bool(issued and issued.used),
            bool(issued and self._clock() >= issued.expires),
            address,
            post,
        )
        assert issued is not None
        return issued

    def check(self, nonce: str, *, address: str, post: bytes) -> None:
        """Refuse as :meth:`consume` would, without using the nonce up."""
        with self._lock:
            self._look(nonce, address, post)

    def consume(self, nonce: str, *, address: str, post: bytes) -> None:
        """Use ``nonce`` up; see :class:`NonceBook` for the refusals."""
        with self._lock:
            self._look(nonce, address, post).used = True


# ---------------------------------------------------------------------------------------------
# Policy: issue and verify
# ---------------------------------------------------------------------------------------------


class Challenger:
    """Issues and verifies unlock challenges for one node.

    ``domain`` (an RFC 3986 authority such as ``node.example`` or ``127.0.0.1:8000``) and
    ``uri`` are what this node's API is reached at; a challenge signed for any other domain
    is refused, so a challenge phished on another site is worthless here. ``ttl`` bounds both
    the message's ``Expiration Time`` and the nonce. ``clock`` is injected so expiry can be
    tested without sleeping.
    """

    def __init__(
        self,
        *,
        domain: str,
        uri: str,
        chain_id: int,
        nonces: NonceBook,
        ttl: timedelta,
        clock: Clock = utc_now,
        statement: str = DEFAULT_STATEMENT,
    ) -> None:
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError(f"ttl must be a positive timedelta, got {ttl!r}")
        # Validate the node's own settings once, by building a sample message.
        SiweMessage(
            domain=domain,
            address="0x" + "0" * 40,
            uri=uri,
            chain_id=chain_id,
            nonce="a" * 8,
            issued_at=utc_now(),
            statement=statement,
        )
        self.domain = domain
        self.uri = uri
        self.chain_id = chain_id
        self.ttl = ttl
        self._nonces = nonces
        self._clock = clock
        self._statement = statement

    def issue(self, address: str, post_id: bytes, *, client: str = "") -> str:
        """Return the challenge text ``address`` must sign to unlock post ``post_id``.

        The request is validated before a nonce is issued, so a refused one costs the book
        nothing. ``client`` (who asked) goes to the nonce book for its per-client cap. Raises
        :class:`ValueError` if ``address`` is not an EIP-55 checksum address or ``post_id`` is
        not 32 bytes, and :class:`~node.errors.TooManyPending` if the nonce book is full.
        """
        validate_address(address)
        resource = post_resource(post_id)
        now = self._clock().replace(microsecond=0)
        message = SiweMessage(
            domain=self.domain,
            address=address,
            uri=self.uri,
            chain_id=self.chain_id,
            nonce=self._nonces.issue(self.ttl, address=address, post=bytes(post_id), client=client),
            issued_at=now,
            expiration_time=now + self.ttl,
            statement=self._statement,
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
            self._nonces.check(signed.nonce, address=signed.address, post=signed.post)
            return signed
        except ChallengeRefused as exc:
            log.info("unlock challenge refused: %s", exc.reason)
            raise

    def redeem(self, signed: SignedChallenge) -> None:
        """Use the nonce of a checked challenge up, atomically: of two requests racing with one
        challenge, the second is refused (``replayed``)."""
        try:
            self._nonces.consume(signed.nonce, address=signed.address, post=signed.post)
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
        now = self._clock()
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
