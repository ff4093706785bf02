"""``mecenate node run`` (the node process), ``mecenate status`` and ``mecenate peers``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer
from rich.console import Console

from ..config import load_settings
from ..errors import InvalidInput
from ._app import app
from ._session import NodeClient, NodeOption, settings

out = Console()
node = typer.Typer(help="Run a Mecenate node.", no_args_is_help=True)
app.add_typer(node, name="node")


@node.command("run")
def node_run(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Store, node key and chain index live here."
    ),
    api_port: int | None = typer.Option(
        None, "--api-port", min=0, max=65535, help="HTTP API port on api.host."
    ),
    p2p_listen: str | None = typer.Option(None, "--p2p-listen", help="libp2p listen multiaddr."),
    bootstrap: list[str] | None = typer.Option(
        None, "--bootstrap", help="Peer multiaddr to dial (repeatable)."
    ),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Run the node in the foreground (HTTP API, libp2p, chain indexer) until Ctrl-C or SIGTERM."""
    from .. import service

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise InvalidInput(f"--log-level: {log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    # force: libraries imported before this point (libp2p) install root handlers of their own.
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    # Command-line values override the file and the environment, field by field, validated.
    overrides: dict = {"api": {}, "p2p": {}}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if api_port is not None:
        overrides["api"]["port"] = api_port
    if p2p_listen is not None:
        overrides["p2p"]["listen"] = p2p_listen
    if bootstrap:
        overrides["p2p"]["bootstrap"] = bootstrap
    service.run(load_settings(**overrides))


@app.command("status")
def status(node: str | None = NodeOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """The node's message count, store fingerprint, scopes served and messages held per scope,
    peers and chain index."""
    st = NodeClient.of(settings(), node).get("/v1/status")
    if as_json:
        out.print_json(json.dumps(st))
        return
    out.print(f"chain {st['chain_id']}  messages {st['messages']}  fingerprint {st['fingerprint']}")
    served = st["scopes"]["served"]
    communities = len(served) - 1
    out.print(
        "serves every community"
        if served == ["all"]
        else f"serves base and {communities} communit{'y' if communities == 1 else 'ies'}"
    )
    for scope, n in st["scopes"]["messages"].items():
        mark = "" if served == ["all"] or scope in served else "  (not served)"
        out.print(f"  {scope}  {n} messages{mark}", soft_wrap=True)
    if st.get("p2p"):
        p2p = st["p2p"]
        out.print(f"peer id {p2p.get('peer_id')}  peers {len(p2p.get('peers', []))}")
    if st.get("chain"):
        out.print("chain index: " + ", ".join(f"{k} {v}" for k, v in st["chain"].items()))


@app.command("peers")
def peers(node: str | None = NodeOption) -> None:
    """Connected peers and their sync state."""
    st = NodeClient.of(settings(), node).get("/v1/status")
    p2p = st.get("p2p") or {}
    if not p2p:
        out.print("this node runs without libp2p")
        return
    for peer in p2p.get("peers", []):
        out.print(peer)
