"""EIP-4361 (Sign-In with Ethereum) messages: the text a wallet signs, as fields.

:class:`SiweMessage` renders and parses that text strictly per the EIP's ABNF (the
``wants you to sign in`` line, a blank line, an optional statement, then the tagged fields in
their fixed order, no trailing newline). It is checked against the SIWE reference parsing
vectors (``tests/vectors/siwe/``, from spruceid/siwe): every positive vector parses to its
fields and every negative one is refused, with two deliberate differences. A domain with
userinfo (``user@host``), legal in an RFC 3986 authority, is refused: a wallet showing
``paypal.com@evil.example wants you to sign in`` invites phishing, and no node's domain has
one. And timestamps are kept as UTC datetimes, so a non-UTC ``Issued At`` parses to the same
instant but does not render back to the same text (a signature is always checked over the
text as signed).

The grammar only: what a Mecenate node asks a holder to sign, and how it checks the answer,
is :mod:`.challenge`. Pure, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eth_utils import is_checksum_address

from node.errors import ChallengeRefused

__all__ = ["MAX_MESSAGE_BYTES", "SiweMessage", "validate_address"]

#: Longest message text accepted for parsing; a Mecenate challenge is about 450 bytes.
MAX_MESSAGE_BYTES = 4096

# The EIP-4361 ABNF's terms; its RFC 3986 and RFC 3339 ones narrowed to what is safe to accept.
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
