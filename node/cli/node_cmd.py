"""``mecenate node run`` (the node process), ``mecenate node scopes`` (what a running node
serves), ``mecenate status`` and ``mecenate peers``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer
from rich.console import Console

from ..config import load_settings, node_url
from ..errors import InvalidInput
from ._app import app
from ._session import NodeClient, NodeOption, admin_auth, settings

out = Console()
node = typer.Typer(help="Run a Mecenate node.", no_args_is_help=True)
app.add_typer(node, name="node")
scopes = typer.Typer(
    help="The communities a running node serves besides the base scope (its admin API).",
    no_args_is_help=True,
)
node.add_typer(scopes, name="scopes")

#: Seconds a removal may take: the node answers once the community's messages are dropped.
REMOVE_TIMEOUT = 600.0
CommunityArgument = typer.Argument(..., help="The community's id: 0x and 64 hex digits.")


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


def _print_scopes(st: dict) -> None:
    """What a status says the node serves, and per scope the messages held and their fingerprint."""
    served = st["scopes"]["served"]
    communities = len(served) - 1
    out.print(
        "serves every community"
        if served == ["all"]
        else f"serves base and {communities} communit{'y' if communities == 1 else 'ies'}"
    )
    fingerprints = st["scopes"]["fingerprints"]
    for scope, n in st["scopes"]["messages"].items():
        mark = "" if served == ["all"] or scope in served else "  (not served)"
        out.print(f"  {scope}  {n} messages  fingerprint {fingerprints[scope]}{mark}", soft_wrap=True)


@scopes.command("list")
def scopes_list(node: str | None = NodeOption) -> None:
    """The scopes the node serves, with the messages held and their fingerprint per scope."""
    _print_scopes(NodeClient.of(settings(), node).get("/v1/status"))


@scopes.command("add")
def scopes_add(community: str = CommunityArgument, node: str | None = NodeOption) -> None:
    """Serve a community from now on (also after a restart, until p2p.scopes changes); the node
    catches up on it from its peers that serve it."""
    s = settings()
    answer = NodeClient.of(s, node).request(
        "PUT", f"/v1/admin/scopes/{community}", headers=admin_auth(s, "changing a node's scopes")
    )
    out.print(f"{'now serves' if answer['changed'] else 'serves already'} {answer['scope']}", soft_wrap=True)


@scopes.command("remove")
def scopes_remove(community: str = CommunityArgument, node: str | None = NodeOption) -> None:
    """Stop serving a community and drop its messages from the node's store."""
    s = settings()
    client = NodeClient(node or node_url(s), timeout=REMOVE_TIMEOUT)
    with out.status(f"dropping {community}'s messages"):
        answer = client.request(
            "DELETE", f"/v1/admin/scopes/{community}", headers=admin_auth(s, "changing a node's scopes")
        )
    what = "no longer serves" if answer["changed"] else "did not serve"
    out.print(f"{what} {answer['scope']}: {answer['dropped']} messages dropped", soft_wrap=True)


@app.command("status")
def status(node: str | None = NodeOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """The node's message count, store fingerprint, scopes served and messages held per scope,
    peers and chain index."""
    st = NodeClient.of(settings(), node).get("/v1/status")
    if as_json:
        out.print_json(json.dumps(st))
        return
    out.print(f"chain {st['chain_id']}  messages {st['messages']}  fingerprint {st['fingerprint']}")
    _print_scopes(st)
    if st.get("p2p"):
        p2p = st["p2p"]
        out.print(f"peer id {p2p.get('peer_id')}  peers {len(p2p.get('peers', []))}")
        for peer in p2p.get("peers", []):
            common = peer.get("scopes")
            shared = "not known yet (no sync session)" if common is None else ", ".join(common)
            out.print(f"  {peer['peer_id']}  scopes in common: {shared}", soft_wrap=True)
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
