"""Exclusive content from the command line: gated posts, unlock, read, the encryption key.

``mecenate post TEXT --gate TOKEN:MIN`` encrypts TEXT here, with a fresh content key, signs the
post, makes sure the node's grant signer is your delegate (one ``SignerAdd``), and hands the
post and its key to *your* node over the admin API (the node's ``api.admin_token``). The node
keeps the key out of the message log and grants it to holders.

``mecenate read POST`` decrypts with your grant (from any node), else unlocks online;
``mecenate unlock POST`` always unlocks online (a node that holds the key checks the gate on
chain). ``mecenate profile encryption-key`` publishes the X25519 key grants are wrapped to,
derived from your Ethereum key, so your keystore holds it and nothing new needs a backup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from eth_account import Account
from eth_account.messages import encode_defunct
from rich.console import Console

from ..config import Settings
from ..errors import ConfigError, DecryptionFailed, InvalidInput
from ..gating import (
    Balance,
    ContentKey,
    Gate,
    GrantBinding,
    decrypt_content,
    encode_gate,
    encrypt_content,
    keypair_from_eth_key,
    parse_gate,
    unwrap,
)
from ..identity import Key
from ..messages import coerce_address, gate, message_to_json
from ._app import app
from ._parse import message_id
from ._profile import profile
from ._session import FromOption, NodeClient, NodeOption, PassphraseOption, admin_auth, settings, unlock
from .money import chain, to_base_units, token_address

out = Console()
GRANT_SIGNER_LABEL = "mecenate node: key grants"


def parse_gate_option(s: Settings, specs: list[str], any_of: bool) -> Gate:
    """``TOKEN:MIN`` options (TOKEN: a token or its creator's address; MIN: whole tokens) as a gate."""
    client = None
    leaves = []
    for spec in specs:
        who, sep, amount = spec.rpartition(":")
        if not sep or not who:
            raise InvalidInput(f"--gate: expected TOKEN:MIN, got {spec!r}")
        try:
            if client is None:
                client = chain(s)
            token = token_address(client, who)
        except ConfigError:  # no chain configured here: take the address as the token's
            token = who
        leaves.append(Balance(s.chain_id, _checksum(token), to_base_units(amount, "--gate minimum")))
    if len(leaves) == 1:
        return leaves[0]
    return gate.Any(leaves) if any_of else gate.All(leaves)


def _checksum(address: str) -> str:
    return coerce_address(address, "--gate token")


def publish_gated(
    s: Settings, key: Key, body: str, g: Gate, teaser: str, node: str | None, reply_to: str | None = None
) -> dict[str, Any]:
    """Encrypt ``body`` under a fresh key, delegate to the node's grant signer if needed, and hand
    the post and key to the node (admin API). Returns the node's answer."""
    auth = admin_auth(s, "a gated post hands its content key to your node's admin API")
    client = NodeClient.of(s, node)
    info = client.get("/v1/gating")
    # Prove this is our node (the token works) before handing its signer any power over us.
    client.request("GET", "/v1/admin/peers", missing_ok=True, headers=auth)
    content_key = ContentKey.generate()
    blob = encrypt_content(body.encode(), content_key, chain_id=s.chain_id, author=key.address, gate=g)
    fields: dict[str, Any] = {"text": teaser, "gate": encode_gate(g).decode(), "ciphertext": blob}
    if reply_to:
        fields["replyTo"] = reply_to
    post = key.sign("Post", fields, chain_id=s.chain_id)
    if info["signer"] != key.address and info["signer"] not in client.get(f"/v1/users/{key.address}/signers"):
        client.submit(
            key.sign(
                "SignerAdd", {"signer": info["signer"], "label": GRANT_SIGNER_LABEL}, chain_id=s.chain_id
            )
        )
        out.print(f"delegated key grants to your node's signer {info['signer']}")
    return client.request(
        "POST",
        "/v1/admin/gated-posts",
        json={"post": message_to_json(post), "contentKey": "0x" + content_key.to_bytes().hex()},
        headers=auth,
    )


@profile.command("encryption-key")
def profile_encryption_key(
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Publish the X25519 key that creators' nodes wrap content keys to (derived from your key)."""
    s = settings()
    key = unlock(s, sender, passphrase)
    public = "0x" + keypair_from_eth_key(key.private_key).public_key.hex()
    result = NodeClient.of(s, node).submit(
        key.sign("Profile", {"field": "encryptionKey", "value": public}, chain_id=s.chain_id)
    )
    out.print(f"{result['outcome']} encryptionKey {public}")


def _post(client: NodeClient, post_id: str) -> dict[str, Any]:
    m = client.get(f"/v1/posts/{post_id}")["post"]["message"]
    if not m["gate"]:
        raise InvalidInput(f"post {post_id} is public: nothing to unlock")
    return m


def _decrypt(m: dict[str, Any], key: ContentKey, chain_id: int) -> str:
    blob = bytes.fromhex(m["ciphertext"][2:])
    return decrypt_content(
        blob, key, chain_id=chain_id, author=m["author"], gate=parse_gate(m["gate"])
    ).decode()


def online_unlock(
    s: Settings, key: Key, post_id: str, client: NodeClient, binding: GrantBinding
) -> ContentKey:
    """Sign the node's EIP-4361 challenge and trade it for the content key (wrapped, when it
    is, as a grant with ``binding`` would be)."""
    challenge = client.request("POST", f"/v1/posts/{post_id}/unlock/challenge", json={"address": key.address})
    text = challenge["message"]
    signature = Account.sign_message(encode_defunct(text=text), key.private_key).signature
    answer = client.request(
        "POST",
        f"/v1/posts/{post_id}/unlock",
        json={"message": text, "signature": "0x" + bytes(signature).hex()},
    )
    raw = bytes.fromhex(answer["key"][2:])
    if answer["encryption"] == "x25519":
        return unwrap(raw, keypair_from_eth_key(key.private_key), binding)
    return ContentKey(raw)


def _print_gated(
    post: str, sender: str | None, passphrase: str | None, node: str | None, *, use_grant: bool
) -> None:
    """Decrypt and print a gated post: with the reader's key grant when ``use_grant`` and one
    opens, else through an online unlock."""
    s = settings()
    post_id = message_id(post, "POST")
    key = unlock(s, sender, passphrase)
    client = NodeClient.of(s, node)
    m = _post(client, post_id)
    content_key = None
    binding = GrantBinding(s.chain_id, bytes.fromhex(post_id[2:]), m["author"], key.address)
    grant = client.get(f"/v1/posts/{post_id}/grants/{key.address}", missing_ok=True) if use_grant else None
    if grant is not None:
        try:
            content_key = unwrap(
                bytes.fromhex(grant["message"]["wrappedKey"][2:]),
                keypair_from_eth_key(key.private_key),
                binding,
            )
        except DecryptionFailed:
            content_key = None  # wrapped to an older encryption key: try online
    if content_key is None:
        content_key = online_unlock(s, key, post_id, client, binding)
    out.print(_decrypt(m, content_key, s.chain_id), markup=False, soft_wrap=True)


def _gated_command(use_grant: bool, doc: str) -> Callable[..., None]:
    def command(
        post: str = typer.Argument(..., help="The gated post's id."),
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        _print_gated(post, sender, passphrase, node, use_grant=use_grant)

    command.__doc__ = doc
    return command


app.command("unlock")(
    _gated_command(
        False,
        "Prove you hold the gate's tokens (sign a challenge) to a node holding the key; print the post.",
    )
)
app.command("read")(
    _gated_command(True, "Print a gated post: decrypt with your key grant, or else unlock it online.")
)
