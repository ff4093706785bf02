"""``mecenate collective``: a community owned by its members, on chain: launch one, propose and
vote on what it decides, carry out what passed, claim a member's share of its income, show it.

A collective is named by its shares' address (the one a community's charter names in its
``collective`` field, and where its tips go). Transactions are signed locally with the user's
keystore key, as ``mecenate tip`` signs (``money.wallet``). What the charter holds, and a
proposal's actions once proposed, come from the node's API; whether a proposal passed, and
when it may run, from the chain itself. Every value typed is checked before the passphrase is
asked for.

A decision goes: ``propose`` (anyone holding a share), ``vote`` (once the vote opens, a block
later), then ``execute`` twice: the first queues what passed in the timelock, the second, once
the timelock's delay has passed, carries it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..chain import ChainClient, TokenUnits, actions, charter_hash, format_wei
from ..config import Settings
from ..errors import InvalidInput, ServiceUnavailable
from . import _parse
from ._app import app
from ._posts import printable
from ._session import FromOption, NodeClient, NodeOption, PassphraseOption, my_address, settings, unlock
from .community import CommunityArgument, note, publish_charter
from .money import chain

collective = typer.Typer(
    help="Collectives: a community owned by its members on chain (shares, votes, a treasury).",
    no_args_is_help=True,
)
app.add_typer(collective, name="collective")
out = Console()

SharesArgument = typer.Argument(..., help="The collective: its shares' address.")
ProposalArgument = typer.Argument(..., help="The proposal's id (a decimal number, as `propose` printed it).")
ETH = "ETH"


# ---------------------------------------------------------------------------------- parsing


def holding(text: str, title: str) -> tuple[str, int]:
    """``ADDRESS:SHARES`` -> (EIP-55 address, whole shares)."""
    who, colon, count = text.rpartition(":")
    if not colon or not (count.isascii() and count.isdigit()):
        raise InvalidInput(f"{title}: {text!r} is not ADDRESS:SHARES (a whole number of shares)")
    return _parse.address(who, f"{title} {who!r}"), actions.share_count(int(count), title)


def units(amount: str, decimals: int, title: str) -> int:
    """``"2.5"`` whole units -> base units at ``decimals``, exactly."""
    try:
        value = Decimal(amount).scaleb(decimals)
    except InvalidOperation:
        raise InvalidInput(f"{title}: {amount!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise InvalidInput(f"{title}: must be positive with at most {decimals} decimals, got {amount}")
    return int(value)


def asset_option(text: str, title: str) -> str | None:
    """``ETH`` (any case) -> ``None``; else a token's address."""
    return None if text.upper() == ETH else _parse.address(text, title)


def amount_text(value: int, asset: str | None, units: TokenUnits | None = None) -> str:
    """An amount of ``asset`` for people: ether in ETH, a token in whole tokens with its symbol
    when its decimals are known, else in base units. Markup-safe (a token names itself)."""
    if asset is None or asset == ETH:
        return format_wei(value)
    if units is None or units.decimals is None:
        return f"{value} base units of {asset}"
    whole = _whole(value, units.decimals)
    return escape(f"{whole} {units.symbol} ({asset})" if units.symbol else f"{whole} of token {asset}")


def _whole(value: int, decimals: int) -> str:
    """``value`` base units in whole ones, exactly (no trailing zeros)."""
    whole, part = divmod(value, 10**decimals)
    fraction = str(part).rjust(decimals, "0").rstrip("0") if decimals else ""
    return f"{whole}.{fraction}" if fraction else str(whole)


def _units(asset: dict[str, Any]) -> TokenUnits:
    """The units of an asset as the node's API gives it."""
    return TokenUnits(asset.get("symbol"), asset.get("decimals"))


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------------------------- node and chain


def _community(s: Settings, node: str | None, cid: str) -> dict[str, Any]:
    """The community as the node serves it (its charter, handle, founder, moderators)."""
    return NodeClient.of(s, node).get(f"/v1/communities/{cid}")


def _proposal_from_node(
    s: Settings, node: str | None, shares: str, pid: int
) -> tuple[list[actions.Action], str]:
    """A proposal's actions and description as the node indexed them, checked against its id
    (the governor keeps only their hash: a node that served others would be caught here)."""
    p = NodeClient.of(s, node).get(f"/v1/collectives/{shares}/proposals/{pid}")
    proposed = [actions.action(a["target"], a["value"], a["calldata"]) for a in p["actions"]]
    if actions.proposal_id(proposed, p["description"]) != pid:
        raise InvalidInput(f"PROPOSAL_ID: the node's copy of proposal {pid} does not hash to its id")
    return proposed, p["description"]


# ---------------------------------------------------------------------------------- commands


@collective.command("launch")
def launch(
    ref: str = CommunityArgument,
    founder: list[str] = typer.Option(
        ..., "--founder", help="ADDRESS:SHARES, once per founder (whole shares: one share, one vote)."
    ),
    treasury_bps: int = typer.Option(
        0, "--treasury-bps", min=0, max=10_000, help="Part of every income kept by the treasury, in bps."
    ),
    moderator: list[str] | None = typer.Option(
        None, "--moderator", help="A moderator's address, once per moderator (default: the community's now)."
    ),
    set_charter: bool = typer.Option(
        False, "--set-charter", help="Then sign the charter's `collective` field (you must be its founder)."
    ),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Launch a community's collective: its shares, governor and timelock (the treasury).

    The collective approves the community's charter as the node serves it now."""
    s = settings()
    cid = _parse.community(ref)
    founders: dict[str, int] = {}
    for item in founder:
        who, count = holding(item, "--founder")
        if who in founders:
            raise InvalidInput(f"--founder: {who} is given twice")
        founders[who] = count
    c = _community(s, node, cid)
    moderators = (
        [_parse.address(m, f"--moderator {m!r}") for m in moderator] if moderator else list(c["moderators"])
    )
    actions.moderator_list(moderators)
    approved = charter_hash(bytes.fromhex(cid[2:]), c["charter"])
    me = my_address(s, sender)
    if set_charter and me != c["founder"]:
        raise InvalidInput(f"--set-charter: only the community's founder {c['founder']} signs its charter")
    client, key = chain(s), unlock(s, sender, passphrase)
    launched = client.launch_collective(key, cid, founders, treasury_bps, moderators, approved)
    out.print(f"collective of {escape(c['handle'])} {cid}", soft_wrap=True)
    out.print(f"shares:   {launched.shares} (the collective's address)", soft_wrap=True)
    out.print(f"governor: {launched.governor}", soft_wrap=True)
    out.print(f"timelock: {launched.timelock} (the treasury)", soft_wrap=True)
    out.print(f"charter hash: 0x{approved.hex()}", soft_wrap=True)
    out.print(f"block {launched.block_number}, tx {launched.tx_hash}", soft_wrap=True)
    if set_charter:
        publish_charter(s, key, c["handle"], {"collective": launched.shares}, node, int(c["updated"]))
    else:
        note(
            f"the community names its collective in its charter: as its founder, run `mecenate community set "
            f"{c['handle']} collective {launched.shares}` (or launch with --set-charter)"
        )


def _proposed_actions(
    client: ChainClient,
    s: Settings,
    node: str | None,
    shares: str,
    *,
    moderators: str | None,
    charter: bool,
    revenue_bps: int | None,
    admit: Sequence[str],
    remove: Sequence[str],
    pay: Sequence[str],
) -> list[actions.Action]:
    proposed: list[actions.Action] = []
    if moderators is not None:
        listed = [
            _parse.address(m.strip(), f"--moderators {m.strip()!r}")
            for m in moderators.split(",")
            if m.strip()
        ]
        proposed.append(actions.set_moderators(shares, listed))
    if charter:
        cid = client.community_of(shares)
        fields = _community(s, node, cid)["charter"]
        proposed.append(actions.set_charter_hash(shares, charter_hash(bytes.fromhex(cid[2:]), fields)))
    if revenue_bps is not None:
        proposed.append(actions.set_revenue_policy(shares, revenue_bps))
    proposed += [actions.admit(shares, *holding(item, "--admit")) for item in admit]
    proposed += [actions.remove(shares, *holding(item, "--remove")) for item in remove]
    for item in pay:
        parts = item.split(":")
        if len(parts) != 3:
            raise InvalidInput(f"--pay: {item!r} is not ASSET:TO:AMOUNT (ASSET: ETH or a token's address)")
        asset = asset_option(parts[0], "--pay ASSET")
        to = _parse.address(parts[1], "--pay TO")
        decimals = 18 if asset is None else client.token_units(asset).decimals
        if decimals is None:
            raise InvalidInput(f"--pay: {asset} does not say its decimals (is it an ERC-20?)")
        proposed.append(actions.pay(asset, to, units(parts[2], decimals, "--pay AMOUNT")))
    if not proposed:
        raise InvalidInput(
            "a proposal asks for something: give --moderators, --charter, --revenue-bps, --admit, --remove or --pay"
        )
    return proposed


@collective.command("propose")
def propose(
    shares: str = SharesArgument,
    moderators: str | None = typer.Option(
        None, "--moderators", help="The whole new moderator list, comma-separated (empty: none)."
    ),
    charter: bool = typer.Option(
        False, "--charter", help="Approve the community's charter as the node serves it now."
    ),
    revenue_bps: int | None = typer.Option(
        None, "--revenue-bps", min=0, max=10_000, help="The treasury's new part of every income, in bps."
    ),
    admit: list[str] | None = typer.Option(
        None, "--admit", help="ADDRESS:SHARES to admit (mint); repeatable."
    ),
    remove: list[str] | None = typer.Option(
        None, "--remove", help="ADDRESS:SHARES to remove (burn); repeatable."
    ),
    pay: list[str] | None = typer.Option(
        None, "--pay", help="ASSET:TO:AMOUNT out of the treasury (ETH or a token, whole units); repeatable."
    ),
    description: str | None = typer.Option(
        None, "--description", help="What members read (default: the actions in words)."
    ),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Propose a decision to a collective (it takes a share); prints the proposal's id.

    Every option given is one action of the one proposal. The vote opens a block later."""
    s = settings()
    address = _parse.address(shares, "SHARES")
    client = chain(s)
    proposed = _proposed_actions(
        client,
        s,
        node,
        address,
        moderators=moderators,
        charter=charter,
        revenue_bps=revenue_bps,
        admit=admit or [],
        remove=remove or [],
        pay=pay or [],
    )
    text = (
        description if description is not None else "; ".join(actions.describe(a, address) for a in proposed)
    )
    if not text.strip():
        raise InvalidInput("--description: a proposal says what it is for")
    governor = client.collective(address).governor
    pid = client.propose(unlock(s, sender, passphrase), governor, proposed, text)
    status = client.proposal_status(governor, pid)
    out.print(f"proposed {pid}", soft_wrap=True)
    for a in proposed:
        out.print(f"  {actions.describe(a, address)}", soft_wrap=True, highlight=False)
    out.print(f"the vote opens after block {status.vote_start} and closes at block {status.vote_end}")


@collective.command("vote")
def vote(
    shares: str = SharesArgument,
    proposal: str = ProposalArgument,
    support: str = typer.Argument(..., help="for, against or abstain"),
    reason: str = typer.Option("", "--reason", help="Why, for the record."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
) -> None:
    """Vote on a proposal, with all your shares as of the vote's start."""
    s = settings()
    address = _parse.address(shares, "SHARES")
    pid = _proposal_id(proposal)
    support = support.lower()
    if support not in actions.SUPPORT:
        raise InvalidInput(f"SUPPORT: {support!r} is not one of {', '.join(actions.SUPPORT)}")
    client = chain(s)
    governor = client.collective(address).governor
    weight = client.vote(unlock(s, sender, passphrase), governor, pid, support, reason)
    status = client.proposal_status(governor, pid)
    out.print(
        f"voted {support} with {weight} shares; so far for {status.votes_for}, against "
        f"{status.votes_against}, abstain {status.votes_abstain} (closes at block {status.vote_end})",
        soft_wrap=True,
    )


def _proposal_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**256:
        raise InvalidInput(
            f"PROPOSAL_ID: {text!r} is not a proposal id (a decimal number, as `propose` printed it)"
        )
    return int(text)


@collective.command("execute")
def execute(
    shares: str = SharesArgument,
    proposal: str = ProposalArgument,
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Queue a proposal that passed, or execute a queued one whose delay has passed.

    Otherwise it says where the proposal stands (exit code 75 when it may run later)."""
    s = settings()
    address = _parse.address(shares, "SHARES")
    pid = _proposal_id(proposal)
    client = chain(s)
    governor = client.collective(address).governor
    status = client.proposal_status(governor, pid)
    if status.state in ("pending", "active"):
        raise ServiceUnavailable(
            f"proposal {pid} is {status.state}: its vote closes at block {status.vote_end} "
            f"(for {status.votes_for}, against {status.votes_against}, abstain {status.votes_abstain} so far)"
        )
    if status.state == "executed":
        out.print(f"proposal {pid} was executed already", soft_wrap=True)
        return
    if status.state not in ("succeeded", "queued"):
        raise InvalidInput(f"PROPOSAL_ID: proposal {pid} is {status.state}: it can never be executed")
    if status.state == "queued" and status.eta is not None and status.eta > client.chain_time():
        wait = status.eta - client.chain_time()
        raise ServiceUnavailable(
            f"proposal {pid} is queued: the timelock's delay ends at {_when(status.eta)} (in {wait} s of chain time)"
        )
    proposed, description = _proposal_from_node(s, node, address, pid)
    key = unlock(s, sender, passphrase)
    if status.state == "succeeded":
        eta = client.queue(key, governor, proposed, description)
        out.print(f"queued proposal {pid}: it can be executed from {_when(eta)}", soft_wrap=True)
        return
    tx = client.execute(key, governor, proposed, description)
    out.print(f"executed proposal {pid} (tx {tx})", soft_wrap=True)
    for a in proposed:
        out.print(f"  {actions.describe(a, address)}", soft_wrap=True, highlight=False)


@collective.command("claim")
def claim(
    shares: str = SharesArgument,
    asset: str = typer.Option(ETH, "--asset", help="ETH, or the address of a token the collective received."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
) -> None:
    """Claim your part of a collective's income (pro rata to your shares when it arrived)."""
    s = settings()
    address = _parse.address(shares, "SHARES")
    token = asset_option(asset, "--asset")
    client = chain(s)
    amount = client.claim(unlock(s, sender, passphrase), address, token)
    units = None if token is None else client.token_units(token)
    out.print(f"claimed {amount_text(amount, token, units)}", soft_wrap=True)


@collective.command("show")
def show(
    shares: str = SharesArgument,
    member: str | None = typer.Option(None, "--member", help="Also what this account holds and can claim."),
    node: str | None = NodeOption,
) -> None:
    """A collective as the node indexed it: community, members, proposals, treasury."""
    address = _parse.address(shares, "SHARES")
    who = _parse.address(member, "--member") if member else None
    api = NodeClient.of(settings(), node)
    base = f"/v1/collectives/{address}"
    c = api.get(base)
    members = api.get(f"{base}/members")
    proposals = api.get(f"{base}/proposals")["items"]
    treasury = api.get(f"{base}/treasury")["assets"]
    community = api.get(f"/v1/communities/{c['community']}", missing_ok=True)

    out.print(f"[bold]collective[/bold] {address}", soft_wrap=True)
    if community:
        out.print(f"community: {escape(community['handle'])}@{community['founder']}", soft_wrap=True)
    out.print(f"community id: {c['community']}", soft_wrap=True)
    if community and community.get("collective"):
        out.print(f"charter: {_approval(community['collective'], address)}", soft_wrap=True)
    out.print(f"governor: {c['governor']}\ntimelock: {c['timelock']} (treasury)", soft_wrap=True)
    out.print(
        f"launched at block {c['launchedBlock']}; treasury keeps {Decimal(c['treasuryBps']) / 100}% of income",
        soft_wrap=True,
    )
    out.print(f"moderators: {', '.join(c['moderators']) or 'none'}", soft_wrap=True)
    out.print(f"[dim]as of block {c['indexedBlock']}[/dim]")

    total = int(members["totalShares"]) or 1
    table = Table(title=f"members ({c['members']}, {members['totalShares']} shares)", title_justify="left")
    table.add_column("address", no_wrap=True)
    table.add_column("shares", justify="right")
    table.add_column("%", justify="right")
    for m in members["items"]:
        mark = " *" if m["address"] == who else ""
        table.add_row(m["address"] + mark, m["shares"], f"{100 * int(m['shares']) / total:.1f}")
    out.print(table)

    if treasury:
        out.print(_treasury_table(treasury))
    else:
        out.print("treasury: no income yet")
    out.print(f"[bold]proposals[/bold] ({len(proposals)}, newest first)" if proposals else "no proposals yet")
    for p in proposals:
        _print_proposal(p, address)
    if who is not None:
        held = next((m["shares"] for m in members["items"] if m["address"] == who), "0")
        claimable = api.get(f"{base}/claimable/{who}")["assets"]
        owed = [
            amount_text(int(a["claimable"]), a["asset"], _units(a)) for a in claimable if int(a["claimable"])
        ]
        out.print(f"{who}: {held} shares; can claim {'nothing' if not owed else ''}".rstrip(), soft_wrap=True)
        for line in owed:
            out.print(f"  {line}", soft_wrap=True)


def _approval(status: dict[str, Any], address: str) -> str:
    if status.get("address") != address:
        return f"the charter names another collective, {status.get('address')}"
    return {
        "approved": "approved by the collective (its hash matches)",
        "drifted": "changed since the collective approved it (propose --charter to approve it)",
        "unverifiable": "not verifiable here (the node cannot read the collective's approval)",
    }.get(status.get("status", ""), str(status.get("status")))


def _treasury_table(assets: list[dict[str, Any]]) -> Table:
    table = Table(title="treasury and income", title_justify="left")
    for column in ("asset", "treasury", "income", "claimed"):
        table.add_column(column, justify="left" if column == "asset" else "right")
    for a in assets:
        units = _units(a)
        decimals = units.decimals
        label = ETH if a["asset"] == ETH else escape(f"{units.symbol or 'token'} {a['asset'][:10]}…")
        if decimals is None:
            label += " (base units)"
        amounts = [
            a[k] if decimals is None else _whole(int(a[k]), decimals)
            for k in ("treasury", "income", "claimed")
        ]
        table.add_row(label, *amounts)
    return table


def _print_proposal(p: dict[str, Any], shares: str) -> None:
    votes = p["votes"]
    line = f"{p['state']}; for {votes['for']}, against {votes['against']}, abstain {votes['abstain']}"
    if p["state"] == "queued" and p.get("eta"):
        line += f"; executable from {_when(int(p['eta']))}"
    elif p["state"] in ("pending", "active"):
        line += f"; vote blocks {p['voteStart']}-{p['voteEnd']}"
    out.print(f"\n[bold]{p['id']}[/bold]", soft_wrap=True)
    out.print(f"  {line}", soft_wrap=True, highlight=False)
    out.print(f"  by {p['proposer']}: ", end="", soft_wrap=True)
    out.print(printable(p["description"]), soft_wrap=True, markup=False, highlight=False)
    for a in p["actions"]:
        action = actions.action(a["target"], a["value"], a["calldata"])
        out.print(f"  - {actions.describe(action, shares)}", soft_wrap=True, highlight=False)
