"""What the user types, checked and put in its one canonical form before anything is signed.

Pure functions, each raising :class:`~node.errors.InvalidInput` that names the user's own
argument or option (``--moderators``, ``COMMUNITY``), so a mistake costs no passphrase prompt
and no half-published charter. The node checks the same rules again when the messages arrive
(``node.messages``): these only make the canonical form easy to type (``Music, modular`` ->
``modular,music``; any case of an address -> EIP-55, sorted by its bytes).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..discover import Band
from ..errors import InvalidGate, InvalidInput
from ..messages import CHARTER_FIELDS, normalize_address
from ..messages.community import (
    HANDLE,
    MAX_MODERATORS,
    MAX_TOPICS,
    TOPIC,
    address_order,
    community_id,
)
from ..messages.gate import encode_gate, parse_gate

_HEX_ID = re.compile(r"0x[0-9a-fA-F]{64}")
#: How a gate value given as JSON starts (else it is ``@file`` or ``TOKEN:MIN``).
_JSON_START = "{"


def message_id(text: str, title: str) -> str:
    """A post's (or any message's) id, ``0x`` and 64 hex digits, lower-cased."""
    if not _HEX_ID.fullmatch(text):
        raise InvalidInput(f"{title}: expected an id (0x and 64 hex digits), got {text!r}")
    return text.lower()


def address(text: str, title: str) -> str:
    """An address in its EIP-55 form (any case accepted; mixed case must be a valid checksum)."""
    return normalize_address(text, title)


def handle(text: str, title: str = "HANDLE") -> str:
    """A community handle as typed: 1-32 lower-case letters, digits and inner hyphens."""
    if not HANDLE.fullmatch(text):
        raise InvalidInput(
            f"{title}: {text!r} is not a handle (1-32 lower-case letters, digits and inner hyphens, "
            "like synth-makers)"
        )
    return text


def community(text: str, title: str = "COMMUNITY") -> str:
    """A community named by its id (``0x`` and 64 hex digits) or as ``HANDLE@FOUNDER``: its id."""
    name, at, founder = text.partition("@")
    if not at:
        return message_id(text, f"{title} (an id, or HANDLE@FOUNDER)")
    return "0x" + community_id(address(founder, f"{title}: founder"), handle(name, title)).hex()


def topics(value: str, title: str = "--topics") -> str:
    """Comma-separated topic tags, canonical: trimmed, lower-cased, unique, sorted."""
    tags = sorted({t.strip().lower() for t in value.split(",") if t.strip()})
    bad = [t for t in tags if not TOPIC.fullmatch(t)]
    if bad:
        raise InvalidInput(f"{title}: {bad[0]!r} is not a topic (1-32 letters, digits and inner hyphens)")
    if len(tags) > MAX_TOPICS:
        raise InvalidInput(f"{title}: {len(tags)} topics, at most {MAX_TOPICS}")
    return ",".join(tags)


def topic(text: str, title: str = "--topic") -> str:
    """One topic tag, canonical: trimmed and lower-cased."""
    tag = text.strip().lower()
    if not TOPIC.fullmatch(tag):
        raise InvalidInput(f"{title}: {tag!r} is not a topic (1-32 letters, digits and inner hyphens)")
    return tag


def band(text: str, title: str = "--band") -> Band:
    """A follower band by its name, any case: nano, micro, mid or macro."""
    try:
        return Band(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"{title}: {text!r} is not a band (one of: {', '.join(Band)})") from None


def search_query(text: str, title: str = "QUERY") -> str:
    """Search text with at least one word: a letter or digit, as the node's index cuts words
    (``[^\\W_]``, which is :meth:`str.isalnum`). The node checks its length and word count."""
    if not any(c.isalnum() for c in text):
        raise InvalidInput(f"{title}: no word to search for (letters or digits), got {text!r}")
    return text


def moderators(value: str, title: str = "--moderators") -> str:
    """Comma-separated moderator addresses, canonical: EIP-55, unique, sorted by their bytes."""
    listed = {address(a.strip(), f"{title} {a.strip()!r}") for a in value.split(",") if a.strip()}
    return ",".join(sorted(listed, key=address_order))


def without_founder(moderators: str, founder: str, title: str = "--moderators") -> str:
    """A canonical moderator list without the founder (always a moderator, so never listed),
    within the bound on how many a charter names."""
    listed = [a for a in moderators.split(",") if a and a != founder]
    if len(listed) > MAX_MODERATORS:
        raise InvalidInput(f"{title}: {len(listed)} moderators, at most {MAX_MODERATORS}")
    return ",".join(listed)


def gate_json(value: str, title: str = "--gate") -> str:
    """A gate given as JSON (any spacing and key order) or ``@FILE`` holding it: its canonical
    encoding, as an exclusive post carries it."""
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            value = path.read_text()
        except OSError as exc:
            raise InvalidInput(f"{title}: cannot read {path}: {exc.strerror}") from None
    try:
        return encode_gate(parse_gate(value.strip(), canonical=False)).decode()
    except InvalidGate as exc:
        raise InvalidInput(f"{title}: {exc.detail if exc.field == 'gate' else exc}") from None


def is_gate_json(value: str) -> bool:
    """Whether a ``--gate`` value is JSON or ``@FILE`` (else the ``TOKEN:MIN`` shorthand)."""
    return value.lstrip().startswith(_JSON_START) or value.startswith("@")


def charter_value(field: str, value: str, title: str) -> str:
    """``value`` for the charter ``field`` in its canonical form, within the field's bound (an
    empty value clears the field). A ``gate`` is canonicalised by :func:`gate_json` first; a
    moderator list still holds the founder if they listed themselves (:func:`without_founder`)."""
    limit = CHARTER_FIELDS.get(field)
    if limit is None:
        raise InvalidInput(f"FIELD: unknown charter field {field!r} (known: {', '.join(CHARTER_FIELDS)})")
    if field == "topics":
        value = topics(value, title)
    elif field == "moderators":
        value = moderators(value, title)
    elif field == "collective" and value:
        value = address(value, title)
    n = len(value.encode())
    if n > limit:
        raise InvalidInput(f"{title}: {n} bytes, at most {limit} for {field}")
    return value
