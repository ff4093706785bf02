"""What most commands share: the settings, the user's keyring and key, and the node's API.

The CLI signs locally and sends only signed messages: the node never sees a private key.
Errors from the API come back as domain errors (so ``main`` prints one line and picks the
exit code): a refusal from the node is the user's input error; an unreachable node says how
to start one.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx
import typer

from ..config import Settings, load_settings, node_url
from ..errors import InvalidInput, MecenateError
from ..identity import Key, Keyring
from ..messages import SignedMessage, message_to_json
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


class NodeUnreachable(MecenateError):
    """Raised when the node's API does not answer."""


class NodeFailed(MecenateError):
    """Raised when the node answers with a server error (5xx): its fault, not the user's."""


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
    """The user's address: ``address`` if given, else the only key's in the keyring."""
    if address is not None:
        return address
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
        """The JSON answer. A 4xx is the user's input refused (InvalidInput, with the node's
        reason), a 5xx the node's own failure (NodeFailed); ``missing_ok`` turns a 404 into None."""
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise NodeUnreachable(
                f"no node answers at {redact_url(self.base_url)} ({exc.__class__.__name__}); start one with `mecenate node run`"
            ) from exc
        if r.status_code == 404 and missing_ok:
            return None
        if r.status_code >= 400:
            try:
                body = r.json()
                detail = body.get("detail", body)
            except ValueError:
                detail = r.text
            if r.status_code >= 500:
                raise NodeFailed(f"the node failed ({r.status_code}): {detail}")
            raise InvalidInput(f"the node refused ({r.status_code}): {detail}")
        return r.json()

    def get(self, path: str, *, missing_ok: bool = False, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, missing_ok=missing_ok, params=query)

    def submit(self, message: SignedMessage) -> dict[str, Any]:
        return self.request("POST", "/v1/messages", json=message_to_json(message))

    def submit_many(self, messages: list[SignedMessage]) -> dict[str, Any]:
        return self.request(
            "POST", "/v1/messages/batch", json={"messages": [message_to_json(m) for m in messages]}
        )
