"""The root app, shared helpers, and the one translation of errors into exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import (
    AccessDenied,
    ChainUnavailable,
    ConfigError,
    GateRefused,
    InvalidInput,
    MecenateError,
    NodeUnreachable,
    NotFound,
    NotServed,
    PeerMisbehaved,
    PeerUnreachable,
    ServiceUnavailable,
    StoreError,
    TooManyPending,
)

app = typer.Typer(
    name="mecenate",
    help="Mecenate node: a signed social graph for creators and patrons.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Messages to the user go to stderr, so stdout stays clean for data (``mecenate export``).
err = Console(stderr=True)

#: Exit codes by error class, most specific first (sysexits.h values): the first class an
#: error is an instance of decides; the table ends with the root.
EXIT_CODES: tuple[tuple[type[MecenateError], int], ...] = (
    (InvalidInput, 65),  # EX_DATAERR
    (NotServed, 69),  # EX_UNAVAILABLE: that node runs without the part that would answer
    (NotFound, 66),  # EX_NOINPUT
    (AccessDenied, 77),  # EX_NOPERM
    (TooManyPending, 75),  # EX_TEMPFAIL
    (GateRefused, 77),  # EX_NOPERM
    (ServiceUnavailable, 75),  # EX_TEMPFAIL
    (NodeUnreachable, 69),  # EX_UNAVAILABLE
    (ChainUnavailable, 69),  # EX_UNAVAILABLE
    (PeerUnreachable, 68),  # EX_NOHOST
    (PeerMisbehaved, 76),  # EX_PROTOCOL
    (StoreError, 74),  # EX_IOERR
    (ConfigError, 78),  # EX_CONFIG
    (MecenateError, 1),
)


def exit_code(exc: MecenateError) -> int:
    """The first listed class ``exc`` is an instance of decides (the table ends with the root)."""
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


def store_location(db: Path | None, chain_id: int | None) -> tuple[Path, int]:
    """The store file and chain id: explicit options, else the node settings."""
    if db is not None and chain_id is not None:
        return db, chain_id
    from ..config import STORE_FILE, load_settings

    settings = load_settings()
    return (db or Path(settings.data_dir) / STORE_FILE, chain_id or settings.chain_id)


DbOption = typer.Option(
    None,
    "--db",
    help="Store file (default: <data_dir>/store.sqlite from the settings).",
    envvar="MECENATE_DB",
)
ChainOption = typer.Option(None, "--chain-id", help="Chain id (default: from the settings).")


def main() -> None:
    """Entry point of the ``mecenate`` script: runs the app, turns domain errors into one line,
    ``error[<reason code>]: <detail>``, and an exit code."""
    try:
        app()
    except MecenateError as exc:
        err.print(
            f"[red]{escape(f'error[{exc.reason}]')}:[/red] {escape(exc.detail)}",
            soft_wrap=True,
            highlight=False,
        )
        sys.exit(exit_code(exc))
