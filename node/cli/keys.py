"""``mecenate keys``: create, list and import the user's keys (encrypted keystore files)."""

from __future__ import annotations

import typer
from rich.console import Console

from ..identity import import_key
from ._app import app
from ._session import PassphraseOption, ask_passphrase, keyring, settings

keys = typer.Typer(help="Your Ethereum keys, kept as encrypted keystore files.", no_args_is_help=True)
app.add_typer(keys, name="keys")
out = Console()


@keys.command("new")
def keys_new(passphrase: str | None = PassphraseOption) -> None:
    """Create a key and store it encrypted; prints its address."""
    ring = keyring(settings())
    key = ring.create(ask_passphrase(passphrase, confirm=True))
    out.print(key.address)


@keys.command("import")
def keys_import(
    private_key: str = typer.Option(
        ...,
        "--private-key",
        prompt=True,
        hide_input=True,
        envvar="MECENATE_PRIVATE_KEY",
        help="64 hex digits (0x optional).",
    ),
    passphrase: str | None = PassphraseOption,
) -> None:
    """Import a private key into an encrypted keystore; prints its address."""
    key = import_key(private_key)
    keyring(settings()).add(key, ask_passphrase(passphrase, confirm=True))
    out.print(key.address)


@keys.command("list")
def keys_list() -> None:
    """Addresses with a keystore."""
    for address in keyring(settings()).addresses():
        out.print(address)
