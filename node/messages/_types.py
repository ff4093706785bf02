"""The one table of message types.

Everything that differs between message types lives in :data:`TYPES`: the EIP-712 struct
(field names and Solidity types, in signing order), the small integer code the store keys
rows by, and the bounds each field must respect. Hashing, wire encoding, validation and
storage all read this table, so adding a type is one entry here plus, if it has derived
state, one merge rule in the store (as ``KeyGrant``, a post's content key wrapped to one
holder's X25519 key, has: see ``node.store``).

Every struct starts with ``address author, uint64 timestamp``: the user a message speaks for
and when (Unix seconds). ``bytes32`` fields that are optional (``replyTo``) use all-zero bytes
for "none", as Solidity would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .gate import MAX_GATE_BYTES
from .kinds import ADDRESS, BOOL, BYTES, BYTES32, STRING, UINT64
from .sealed import GRANT_BYTES

#: Upper bounds, in UTF-8 bytes for strings and raw bytes for ``bytes``.
MAX_POST_TEXT = 1024
MAX_GATE = MAX_GATE_BYTES  # the gate's own bound (.gate), one number for both
MAX_CIPHERTEXT = 65536
#: A wrapped content key (.sealed): version 2, HPKE enc, sealed key, tag.
WRAPPED_KEY_BYTES = GRANT_BYTES
MAX_REACTION_KIND = 32
MAX_SIGNER_LABEL = 64
#: A community's handle: what, with its founder, names it (``community_id``).
MAX_COMMUNITY_HANDLE = 32
#: Why a moderator hid a post from a community's view.
MAX_HIDE_REASON = 280

#: Profile fields a user may set, with the longest value each accepts (UTF-8 bytes).
#: An empty value clears the field.
PROFILE_FIELDS: Mapping[str, int] = MappingProxyType(
    {
        "name": 64,
        "bio": 512,
        "avatar": 512,  # URL or content address of an image
        "url": 256,
        "location": 64,
        # X25519 public key for receiving content keys (KeyGrant): "0x" + 64 lowercase hex
        "encryptionKey": 66,
    }
)

#: Charter fields a community's founder may set, with the longest value each accepts (UTF-8
#: bytes); an empty value clears the field. ``topics``, ``moderators`` and ``gate`` have a
#: canonical form each (``_validation``), so one charter has one encoding.
CHARTER_FIELDS: Mapping[str, int] = MappingProxyType(
    {
        "name": 64,
        "about": 1024,
        "rules": 2048,
        # up to 8 tags, each [a-z0-9-]{1,32}, sorted, comma-separated
        "topics": 8 * 33,
        # "" (open) or a gate in canonical form, as an exclusive post's
        "gate": MAX_GATE,
        # up to 20 EIP-55 addresses, sorted by their bytes, comma-separated (the founder is
        # always a moderator and is not listed)
        "moderators": 20 * 43,
        # "" or the EIP-55 address of the on-chain collective that names the moderators
        "collective": 42,
    }
)

#: How far ahead of the local clock a timestamp may be (seconds).
MAX_CLOCK_SKEW = 600


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    #: For ``string`` / ``bytes``: the longest value accepted (bytes). ``0`` means no own
    #: bound (the type's validator bounds it, as for a profile value).
    max_len: int = 0
    #: For ``string``: at least one byte required.
    nonempty: bool = False
    #: Value :func:`~node.messages.sign_message` fills in when the caller leaves the field
    #: out; ``None`` means the caller must give it. (The wire form always carries every field.)
    default: object = None


@dataclass(frozen=True, slots=True)
class MessageType:
    name: str
    #: Stable code used as the store's type column; never reuse a retired code.
    code: int
    fields: tuple[Field, ...]

    @property
    def encode_type(self) -> str:
        """The EIP-712 ``encodeType`` string, e.g. ``Follow(address author,...)``."""
        return f"{self.name}({','.join(f'{f.kind} {f.name}' for f in self.fields)})"


_HEAD = (Field("author", ADDRESS), Field("timestamp", UINT64))


def _t(name: str, code: int, *fields: Field) -> MessageType:
    return MessageType(name, code, _HEAD + fields)


TYPES: Mapping[str, MessageType] = MappingProxyType(
    {
        t.name: t
        for t in (
            _t("Profile", 1, Field("field", STRING, 32, nonempty=True), Field("value", STRING)),
            _t("Follow", 2, Field("target", ADDRESS), Field("active", BOOL, default=True)),
            _t(
                "Post",
                3,
                Field("text", STRING, MAX_POST_TEXT),
                Field("replyTo", BYTES32, default=bytes(32)),
                Field("gate", STRING, MAX_GATE, default=""),
                Field("ciphertext", BYTES, MAX_CIPHERTEXT, default=b""),
            ),
            _t("PostDelete", 4, Field("post", BYTES32)),
            _t(
                "Reaction",
                5,
                Field("post", BYTES32),
                Field("kind", STRING, MAX_REACTION_KIND, nonempty=True),
                Field("active", BOOL, default=True),
            ),
            _t(
                "SignerAdd", 6, Field("signer", ADDRESS), Field("label", STRING, MAX_SIGNER_LABEL, default="")
            ),
            _t("SignerRemove", 7, Field("signer", ADDRESS)),
            _t(
                "KeyGrant",
                8,
                Field("post", BYTES32),
                Field("recipient", ADDRESS),
                Field("recipientKey", BYTES32),
                Field("wrappedKey", BYTES, WRAPPED_KEY_BYTES),
            ),
            _t(
                "Charter",
                9,
                Field("handle", STRING, MAX_COMMUNITY_HANDLE, nonempty=True),
                Field("field", STRING, 32, nonempty=True),
                Field("value", STRING),
            ),
            _t("Membership", 10, Field("community", BYTES32), Field("active", BOOL, default=True)),
            _t(
                "CommunityPost",
                11,
                Field("community", BYTES32),
                Field("text", STRING, MAX_POST_TEXT),
                Field("replyTo", BYTES32, default=bytes(32)),
                Field("gate", STRING, MAX_GATE, default=""),
                Field("ciphertext", BYTES, MAX_CIPHERTEXT, default=b""),
            ),
            _t(
                "CommunityReaction",
                12,
                Field("community", BYTES32),
                Field("post", BYTES32),
                Field("kind", STRING, MAX_REACTION_KIND, nonempty=True),
                Field("active", BOOL, default=True),
            ),
            _t("Mute", 13, Field("target", ADDRESS), Field("active", BOOL, default=True)),
            _t("Block", 14, Field("target", ADDRESS), Field("active", BOOL, default=True)),
            _t("ReplyHide", 15, Field("post", BYTES32), Field("active", BOOL, default=True)),
            _t(
                "ModHide",
                16,
                Field("community", BYTES32),
                Field("post", BYTES32),
                Field("reason", STRING, MAX_HIDE_REASON, default=""),
                Field("active", BOOL, default=True),
            ),
            _t("Disclosure", 17, Field("post", BYTES32), Field("paidBy", ADDRESS)),
        )
    }
)

TYPES_BY_CODE: Mapping[int, MessageType] = MappingProxyType({t.code: t for t in TYPES.values()})

#: The types that are posts (rows of the store's posts table, targets of deletes, replies and
#: grants): a post of the base graph, and one that belongs to a community.
POST_TYPES = frozenset({"Post", "CommunityPost"})

#: Types only the author's own key may sign (a delegate cannot add or remove delegates).
CUSTODY_TYPES = frozenset({"SignerAdd", "SignerRemove"})

DOMAIN_NAME = "Mecenate"
DOMAIN_VERSION = "1"
