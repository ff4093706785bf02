"""What most commands share: the settings, the user's keyring and key, and the node's API.

The CLI signs locally and sends only signed messages: the node never sees a private key.
An error answer of the API comes back as the domain error the node raised, rebuilt from its
``{error, reason, detail}`` (so ``main`` prints one line with the reason code and picks the
exit code); an unreachable node says how to start one.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx
import typer

from ..config import Settings, load_settings, node_url
from ..errors import (
    InvalidInput,
    InvalidMessage,
    MecenateError,
    NodeFailed,
    NodeUnreachable,
    NotFound,
    error_class,
)
from ..identity import Key, Keyring
from ..messages import SignedMessage, message_to_json, normalize_address
from ..redact import redact_url

NodeOption = typer.Option(
    None, "--node", envvar="MECENATE_NODE_URL", help="Node API URL (default: from the settings)."
)
FromOption = typer.Option(
    None, "--from", "-f", envvar="MECENATE_ACCOUNT", help="Address of the key to sign with."
)
PassphraseOption = typer.Option(
    None, "--passphrase", envvar="MECENATE_PASSPHRASE", help="Keystore passphrase (prompted when omitted)."
)


def settings() -> Settings:
    return load_settings()


def keyring(s: Settings) -> Keyring:
    return Keyring(s.keys_dir.expanduser(), scrypt_n=s.keystore_scrypt_n)


def ask_passphrase(passphrase: str | None, *, confirm: bool = False) -> str:
    if passphrase is not None:
        return passphrase
    if not sys.stdin.isatty():
        raise InvalidInput("a passphrase is needed: pass --passphrase or set MECENATE_PASSPHRASE")
    return typer.prompt("Keystore passphrase", hide_input=True, confirmation_prompt=confirm)


def my_address(s: Settings, address: str | None) -> str:
    """The user's address (EIP-55): ``address`` if given, else the only key's in the keyring."""
    if address is not None:
        return normalize_address(address, "--from")
    ring = keyring(s)
    known = ring.addresses()
    if len(known) != 1:
        hint = "create one with `mecenate keys new`" if not known else "choose one with --from"
        raise InvalidInput(f"{len(known)} keys in {ring.directory}: {hint}")
    return known[0]


def unlock(s: Settings, address: str | None, passphrase: str | None) -> Key:
    """The user's key (see :func:`my_address`), decrypted with the passphrase."""
    return keyring(s).unlock(my_address(s, address), ask_passphrase(passphrase))


class NodeClient:
    """A thin client of one node's HTTP API."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    @classmethod
    def of(cls, s: Settings, url: str | None) -> NodeClient:
        return cls(url or node_url(s))

    def request(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        """The JSON answer. An error answer raises the node's domain error (:func:`answer_error`);
        ``missing_ok`` turns a :class:`~node.errors.NotFound` into None."""
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise NodeUnreachable(
                f"no node answers at {redact_url(self.base_url)} ({exc.__class__.__name__}); start one with `mecenate node run`"
            ) from exc
        if r.status_code < 400:
            return r.json()
        error = answer_error(r)
        if missing_ok and isinstance(error, NotFound):
            return None
        raise error

    def get(self, path: str, *, missing_ok: bool = False, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, missing_ok=missing_ok, params=query)

    def submit(self, message: SignedMessage) -> dict[str, Any]:
        return self.request("POST", "/v1/messages", json=message_to_json(message))

    def submit_many(self, messages: list[SignedMessage]) -> dict[str, Any]:
        return self.request(
            "POST", "/v1/messages/batch", json={"messages": [message_to_json(m) for m in messages]}
        )


def outcome(result: dict[str, Any]) -> str:
    """A submission's answer in one line: ``accepted 0x<id>`` (or ``duplicate``)."""
    return f"{result['outcome']} {result['id']}"


def submit_all(client: NodeClient, messages: list[SignedMessage]) -> list[str]:
    """Submit ``messages`` together (one batch when several, so a post and its disclosure land in
    one transaction); each one's :func:`outcome`. A refusal raises, as a lone submission's does
    (the batch's valid messages are stored all the same: each stands on its own)."""
    if len(messages) == 1:
        return [outcome(client.submit(messages[0]))]
    results = client.submit_many(messages)["results"]
    for r in results:
        if r["outcome"] == "rejected":
            raise InvalidMessage.rebuilt(r.get("detail") or "refused", r.get("reason"))
    return [outcome(r) for r in results]


def sign_and_submit(
    type: str, fields: dict[str, Any], sender: str | None, passphrase: str | None, node: str | None
) -> str:
    """Sign one message of ``type`` with the user's key and submit it; its :func:`outcome`."""
    s = settings()
    key = unlock(s, sender, passphrase)
    return outcome(NodeClient.of(s, node).submit(key.sign(type, fields, chain_id=s.chain_id)))


def admin_auth(s: Settings, why: str) -> dict[str, str]:
    """The header that authorises a request to the node's admin API (``api.admin_token``).
    Raises InvalidInput, naming ``why`` the admin API is needed, when no token is set."""
    token = s.api.admin_token.get_secret_value()
    if not token:
        raise InvalidInput(f"{why}: set api.admin_token (MECENATE_API__ADMIN_TOKEN) to the node's token")
    return {"Authorization": f"Bearer {token}"}


def answer_error(r: httpx.Response) -> MecenateError:
    """The domain error an error answer of the node stands for: the class of ``node.errors``
    its ``error`` names, with its ``reason`` and ``detail``. An answer naming no class (the
    framework's own: a body too large, an unknown route; or no JSON at all) is the user's input
    refused when a 4xx, the node's failure when a 5xx."""
    try:
        body = r.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"detail": r.text}
    detail, reason = str(body.get("detail", "")), body.get("reason")
    known = error_class(str(body.get("error", "")))
    if known is None:
        known = NodeFailed if r.status_code >= 500 else InvalidInput
        detail = f"the node {'failed' if r.status_code >= 500 else 'refused'} ({r.status_code}): {detail}"
    return known.rebuilt(detail, reason if isinstance(reason, str) else None)
