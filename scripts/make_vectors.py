"""Write the message-format test vectors to tests/vectors/ (one JSON file per case).

Each vector holds the full EIP-712 typed data (what a wallet signs), the intermediate hashes
(type hash, domain separator, struct hash), the digest (the message id), the signature, the
signer, and the wire form. Keys are derived from fixed strings, timestamps are fixed, and
signatures are RFC 6979 deterministic, so the output is byte-for-byte reproducible:

    .venv/bin/python scripts/make_vectors.py          # rewrite tests/vectors/
    .venv/bin/python scripts/make_vectors.py --check  # exit 1 if the files differ

The digests are also computed with eth-account's generic EIP-712 encoder, and the script
refuses to write a vector on which the two disagree.

It also writes ``hpke/key-grant.json``: the real wrapped key that 16's ``KeyGrant`` carries,
with every input and intermediate an independent HPKE implementation needs to open it
(recipient key pair, ``info``, ``enc``, ciphertext, content key). HPKE draws a fresh ephemeral
key per wrap, so that one is not reproducible: the script keeps the committed wrapped key as
long as it still opens to the same content key under the same binding, and wraps anew only
when it does not (then 16's signature changes too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_account.messages import encode_typed_data  # noqa: E402

from node.errors import DecryptionFailed  # noqa: E402
from node.gating import Balance, ContentKey, GrantBinding, encode_gate, keypair_from_eth_key, unwrap, wrap  # noqa: E402
from node.gating.keywrap import INFO_LABEL  # noqa: E402
from node.messages import (  # noqa: E402  # noqa: E402
    TYPES,
    checksum_address,
    domain_separator,
    encode_message,
    keccak,
    private_key_to_address,
    sign_message,
    typed_data,
)
from node.messages._eip712 import TYPE_HASHES, struct_hash  # noqa: E402
from node.messages.community import community_id  # noqa: E402

OUT = ROOT / "tests" / "vectors"
GRANT_VECTOR = "hpke/key-grant.json"
T0 = 1767225600  # 2026-01-01T00:00:00Z
CHAIN = 31337


def key(name: str) -> bytes:
    return keccak(f"mecenate test vector key: {name}".encode())


ALICE, BOB, APP = key("alice"), key("bob"), key("app")
#: The handle of the community Alice founds in 18.
HANDLE = "synth-makers"
#: 08's content key, which 16 grants to Bob.
CONTENT_KEY = ContentKey(key("content key of 08"))


def addr(k: bytes) -> str:
    return checksum_address(private_key_to_address(k))


GATE = encode_gate(Balance(CHAIN, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 10**18)).decode()
# A content blob's shape (version 1, nonce, ciphertext, tag); the bytes are not a real seal.
CIPHERTEXT = bytes([1]) + bytes(range(1, 48))


def gated_post_id() -> bytes:
    """The id of 08, the gated post."""
    fields = {"text": "Holders only: new track", "gate": GATE, "ciphertext": CIPHERTEXT, "timestamp": T0 + 12}
    return sign_message("Post", fields, ALICE, CHAIN).id


def grant_vector() -> dict:
    """08's content key wrapped to Bob (HPKE), the committed wrap kept while it still opens."""
    bob = keypair_from_eth_key(BOB)
    binding = GrantBinding(CHAIN, gated_post_id(), addr(ALICE), addr(BOB))
    wrapped = None
    if (OUT / GRANT_VECTOR).exists():
        kept = bytes.fromhex(json.loads((OUT / GRANT_VECTOR).read_text())["wrappedKey"][2:])
        try:
            wrapped = kept if unwrap(kept, bob, binding) == CONTENT_KEY else None
        except DecryptionFailed:
            wrapped = None
    if wrapped is None:
        wrapped = wrap(CONTENT_KEY, bob.public_key, binding)
    return {
        "description": "08's content key granted to Bob by 16: HPKE base mode, DHKEM(X25519, HKDF-SHA256), "
        "HKDF-SHA256, AES-256-GCM, empty aad; wrappedKey = 0x02 || enc || ciphertext",
        "mode": 0,
        "kem_id": 0x0020,
        "kdf_id": 0x0001,
        "aead_id": 0x0002,
        "recipientPrivateKey": "0x" + bob.private_key.private_bytes_raw().hex(),
        "recipientPublicKey": "0x" + bob.public_key.hex(),
        "chainId": binding.chain_id,
        "post": "0x" + binding.post_id.hex(),
        "author": binding.author,
        "recipient": binding.recipient,
        "infoLabel": INFO_LABEL.decode(),
        "info": "0x" + binding.info(bob.public_key).hex(),
        "contentKey": "0x" + CONTENT_KEY.to_bytes().hex(),
        "enc": "0x" + wrapped[1:33].hex(),
        "ciphertext": "0x" + wrapped[33:].hex(),
        "wrappedKey": "0x" + wrapped.hex(),
        "keyGrantVector": "16-key-grant.json",
    }


def cases(wrapped_key: bytes) -> list[tuple[str, str, str, dict, bytes, int]]:
    """(file name, description, type, fields, signing key, chain id); ``wrapped_key`` is 16's."""
    first_post = sign_message("Post", {"text": "Hello, patrons!", "timestamp": T0 + 10}, ALICE, CHAIN).id
    gate, ciphertext, gated_post = GATE, CIPHERTEXT, gated_post_id()
    reply = sign_message(
        "Post", {"text": "Welcome!", "replyTo": first_post, "timestamp": T0 + 11}, BOB, CHAIN
    ).id
    community = community_id(addr(ALICE), HANDLE)
    community_post = sign_message(
        "CommunityPost",
        {"community": community, "text": "First patch of the week", "timestamp": T0 + 63},
        BOB,
        CHAIN,
    ).id
    return [
        (
            "01-profile-name",
            "Profile: set the display name",
            "Profile",
            {"field": "name", "value": "Alice", "timestamp": T0},
            ALICE,
            31337,
        ),
        (
            "02-profile-bio-unicode",
            "Profile: non-ASCII text is hashed as UTF-8",
            "Profile",
            {"field": "bio", "value": "Peintre & musicienne — café, naïve, 音楽 🎶", "timestamp": T0 + 1},
            ALICE,
            31337,
        ),
        (
            "03-profile-clear",
            "Profile: an empty value clears the field",
            "Profile",
            {"field": "url", "value": "", "timestamp": T0 + 2},
            ALICE,
            31337,
        ),
        (
            "04-follow",
            "Follow: Bob follows Alice",
            "Follow",
            {"target": addr(ALICE), "active": True, "timestamp": T0 + 3},
            BOB,
            31337,
        ),
        (
            "05-unfollow",
            "Follow with active=false: Bob unfollows Alice",
            "Follow",
            {"target": addr(ALICE), "active": False, "timestamp": T0 + 4},
            BOB,
            31337,
        ),
        (
            "06-post",
            "Post: public text, no reply, no gate, empty ciphertext",
            "Post",
            {"text": "Hello, patrons!", "timestamp": T0 + 10},
            ALICE,
            31337,
        ),
        (
            "07-post-reply",
            "Post replying to 06 (replyTo = 06's digest)",
            "Post",
            {"text": "Welcome!", "replyTo": first_post, "timestamp": T0 + 11},
            BOB,
            31337,
        ),
        (
            "08-post-gated",
            "Post with a gate (canonical JSON) and ciphertext bytes",
            "Post",
            {"text": "Holders only: new track", "gate": gate, "ciphertext": ciphertext, "timestamp": T0 + 12},
            ALICE,
            31337,
        ),
        (
            "09-post-delete",
            "PostDelete of 06",
            "PostDelete",
            {"post": first_post, "timestamp": T0 + 20},
            ALICE,
            31337,
        ),
        (
            "10-reaction",
            "Reaction: Bob likes 06",
            "Reaction",
            {"post": first_post, "kind": "like", "active": True, "timestamp": T0 + 13},
            BOB,
            31337,
        ),
        (
            "11-reaction-undo",
            "Reaction with active=false: Bob takes the like back",
            "Reaction",
            {"post": first_post, "kind": "like", "active": False, "timestamp": T0 + 14},
            BOB,
            31337,
        ),
        (
            "12-signer-add",
            "SignerAdd: Alice delegates to an app key",
            "SignerAdd",
            {"signer": addr(APP), "label": "mecenate-app", "timestamp": T0 + 30},
            ALICE,
            31337,
        ),
        (
            "13-post-by-delegate",
            "Post authored by Alice, signed by her app key",
            "Post",
            {"author": addr(ALICE), "text": "Posted from the app", "timestamp": T0 + 31},
            APP,
            31337,
        ),
        (
            "14-signer-remove",
            "SignerRemove: Alice revokes the app key",
            "SignerRemove",
            {"signer": addr(APP), "timestamp": T0 + 40},
            ALICE,
            31337,
        ),
        (
            "15-follow-mainnet",
            "The Follow of 04 on chain id 1: same fields, other domain, other id",
            "Follow",
            {"target": addr(ALICE), "active": True, "timestamp": T0 + 3},
            BOB,
            1,
        ),
        (
            "16-key-grant",
            "KeyGrant: 08's content key wrapped to Bob's X25519 key (HPKE; opened in hpke/key-grant.json)",
            "KeyGrant",
            {
                "post": gated_post,
                "recipient": addr(BOB),
                "recipientKey": keypair_from_eth_key(BOB).public_key,
                "wrappedKey": wrapped_key,
                "timestamp": T0 + 50,
            },
            ALICE,
            31337,
        ),
        (
            "17-profile-encryption-key",
            "Profile: Bob publishes the X25519 key grants are wrapped to",
            "Profile",
            {
                "field": "encryptionKey",
                "value": "0x" + keypair_from_eth_key(BOB).public_key.hex(),
                "timestamp": T0 + 5,
            },
            BOB,
            31337,
        ),
        (
            "18-charter-name",
            "Charter: Alice founds the community 'synth-makers' by naming it (its id: communityId)",
            "Charter",
            {"handle": HANDLE, "field": "name", "value": "Synth makers", "timestamp": T0 + 60},
            ALICE,
            31337,
        ),
        (
            "19-charter-moderators",
            "Charter: the moderators, EIP-55 addresses sorted by their bytes, comma-separated",
            "Charter",
            {"handle": HANDLE, "field": "moderators", "value": addr(BOB), "timestamp": T0 + 61},
            ALICE,
            31337,
        ),
        (
            "20-membership",
            "Membership: Bob joins Alice's community",
            "Membership",
            {"community": community, "active": True, "timestamp": T0 + 62},
            BOB,
            31337,
        ),
        (
            "21-community-post",
            "CommunityPost: a post that belongs to Alice's community",
            "CommunityPost",
            {"community": community, "text": "First patch of the week", "timestamp": T0 + 63},
            BOB,
            31337,
        ),
        (
            "22-community-reaction",
            "CommunityReaction: Alice likes 21, in her community",
            "CommunityReaction",
            {"community": community, "post": community_post, "kind": "like", "timestamp": T0 + 64},
            ALICE,
            31337,
        ),
        (
            "23-mute",
            "Mute: Bob mutes Alice",
            "Mute",
            {"target": addr(ALICE), "timestamp": T0 + 65},
            BOB,
            31337,
        ),
        (
            "24-block",
            "Block with active=false: Bob unblocks Alice",
            "Block",
            {"target": addr(ALICE), "active": False, "timestamp": T0 + 66},
            BOB,
            31337,
        ),
        (
            "25-reply-hide",
            "ReplyHide: Alice hides 07, Bob's reply under her post 06",
            "ReplyHide",
            {"post": reply, "timestamp": T0 + 67},
            ALICE,
            31337,
        ),
        (
            "26-mod-hide",
            "ModHide: Bob, a moderator, hides 21 from the community's view, with a reason",
            "ModHide",
            {"community": community, "post": community_post, "reason": "off topic", "timestamp": T0 + 68},
            BOB,
            31337,
        ),
        (
            "27-disclosure",
            "Disclosure: 06 is a paid partnership, paid by Bob",
            "Disclosure",
            {"post": first_post, "paidBy": addr(BOB), "timestamp": T0 + 69},
            ALICE,
            31337,
        ),
    ]


def build() -> dict[str, str]:
    """Every vector file's text by its path under tests/vectors/."""
    grant = grant_vector()
    files: dict[str, str] = {GRANT_VECTOR: json.dumps(grant, indent=2) + "\n"}
    for name, description, type_name, fields, signing_key, chain_id in cases(
        bytes.fromhex(grant["wrappedKey"][2:])
    ):
        m = sign_message(type_name, fields, signing_key, chain_id)
        td = typed_data(m.type, m.fields, chain_id)
        signable = encode_typed_data(full_message=td)
        generic = keccak(b"\x19" + signable.version + signable.header + signable.body)
        if generic != m.id:
            raise SystemExit(f"{name}: fast digest {m.id.hex()} != eth-account {generic.hex()}")
        if Account.recover_message(signable, signature=m.signature) != m.signer:
            raise SystemExit(f"{name}: eth-account recovers another signer")
        vector = {
            "name": name,
            "description": description,
            "privateKey": "0x" + signing_key.hex(),
            "signer": m.signer,
            "typedData": td,
            "encodeType": TYPES[type_name].encode_type,
            "typeHash": "0x" + TYPE_HASHES[type_name].hex(),
            "domainSeparator": "0x" + domain_separator(chain_id).hex(),
            "structHash": "0x" + struct_hash(type_name, m.fields).hex(),
            "digest": "0x" + m.id.hex(),
            "signature": "0x" + m.signature.hex(),
            "wire": encode_message(m).decode(),
        }
        if type_name == "Charter":
            vector["communityId"] = "0x" + community_id(m.author, m.fields["handle"]).hex()
        files[f"{name}.json"] = json.dumps(vector, indent=2, ensure_ascii=False) + "\n"
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files instead of writing")
    args = ap.parse_args()
    files = build()
    if args.check:
        stale = [n for n, text in files.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
        if stale:
            raise SystemExit(f"vectors out of date: {', '.join(stale)}")
        print(f"{len(files)} vectors up to date")
        return
    for n, text in files.items():
        (OUT / n).parent.mkdir(parents=True, exist_ok=True)
        (OUT / n).write_text(text)
    print(f"wrote {len(files)} vectors to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
