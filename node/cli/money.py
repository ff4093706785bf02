"""Money from the command line: creator tokens (launch, quote, buy, sell), tips and splits.

Transactions are signed locally with the user's keystore key and sent to the chain's RPC;
amounts are typed in whole units (``0.01`` ether, ``2.5`` tokens) and converted exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import typer
from rich.console import Console

from ..chain import ChainClient, format_wei
from ..config import Settings
from ..errors import InvalidInput
from ..identity import Key
from ._app import app
from ._session import FromOption, PassphraseOption, my_address, settings, unlock

out = Console()
token_app = typer.Typer(
    help="Creator tokens: launch yours, buy and sell others' on their curve.", no_args_is_help=True
)
app.add_typer(token_app, name="token")
split_app = typer.Typer(help="Share the tips you receive with co-creators.", no_args_is_help=True)
app.add_typer(split_app, name="split")

UNIT = 10**18
SlippageOption = typer.Option(1.0, "--slippage", min=0.0, max=50.0, help="Accepted price move, in percent.")
DeadlineOption = typer.Option(
    10, "--deadline", min=1, max=59, help="Minutes the trade stays valid; refused if mined later."
)


def to_base_units(amount: str, title: str) -> int:
    """``"2.5"`` -> 2.5 * 10**18, exactly; raises InvalidInput naming ``title``."""
    try:
        value = Decimal(amount) * UNIT
    except InvalidOperation:
        raise InvalidInput(f"{title}: {amount!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise InvalidInput(f"{title}: must be positive with at most 18 decimals, got {amount}")
    return int(value)


def chain(s: Settings) -> ChainClient:
    return ChainClient.from_settings(s.chain, s.chain_id)


def wallet(sender: str | None, passphrase: str | None) -> tuple[ChainClient, Key]:
    """The chain client and the user's unlocked key, for a command that sends a transaction."""
    s = settings()
    return chain(s), unlock(s, sender, passphrase)


def token_address(client: ChainClient, who: str) -> str:
    """A creator's token address, given the creator's address or the token's own."""
    token = client.token_of(who)
    return token or who


@token_app.command("launch")
def token_launch(
    name: str, symbol: str, sender: str | None = FromOption, passphrase: str | None = PassphraseOption
) -> None:
    """Launch your creator token (one per creator)."""
    client, key = wallet(sender, passphrase)
    launch = client.launch_token(key, name, symbol)
    out.print(f"launched {launch.symbol} at {launch.token} (block {launch.block_number})")


@token_app.command("quote")
def token_quote(
    creator: str = typer.Argument(..., help="The creator (or their token's address)."),
    amount: str = typer.Argument(..., help="Whole tokens, e.g. 2.5"),
    sell: bool = typer.Option(False, "--sell", help="Quote a sale instead of a purchase."),
) -> None:
    """What buying (or selling) AMOUNT tokens costs (returns) now, fees included."""
    client = chain(settings())
    token, units = token_address(client, creator), to_base_units(amount, "amount")
    value = client.quote_sell(token, units) if sell else client.quote_buy(token, units)
    out.print(f"{'selling' if sell else 'buying'} {amount} tokens: {format_wei(value)}")


def _trade_command(side: str, doc: str) -> Callable[..., None]:
    def command(
        creator: str = typer.Argument(..., help="The creator (or their token's address)."),
        amount: str = typer.Argument(..., help="Whole tokens, e.g. 2.5"),
        slippage: float = SlippageOption,
        deadline: int = DeadlineOption,
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
    ) -> None:
        client, key = wallet(sender, passphrase)
        trade = client.buy if side == "buy" else client.sell
        done = trade(
            key,
            token_address(client, creator),
            to_base_units(amount, "amount"),
            slippage_bps=int(slippage * 100),
            deadline_seconds=deadline * 60,
        )
        out.print(
            f"{'bought' if side == 'buy' else 'sold'} {amount} tokens for {format_wei(done.value)} (tx {done.tx_hash})"
        )

    command.__doc__ = doc
    return command


token_app.command("buy")(
    _trade_command("buy", "Buy a creator's tokens; refused if the price moved more than --slippage.")
)
token_app.command("sell")(
    _trade_command(
        "sell", "Sell tokens back to the curve; refused if the proceeds moved more than --slippage."
    )
)


@token_app.command("balance")
def token_balance(
    creator: str = typer.Argument(..., help="The creator (or their token's address)."),
    holder: str | None = typer.Argument(None, help="Whose balance (default: yours)."),
    sender: str | None = FromOption,
) -> None:
    """A holder's balance of a creator's token, in whole tokens."""
    s = settings()
    client = chain(s)
    balance = client.balance_of(token_address(client, creator), holder or my_address(s, sender))
    out.print(f"{Decimal(balance) / UNIT} tokens")


@app.command("tip")
def tip(
    creator: str,
    amount: str = typer.Argument(..., help="Ether (or whole tokens with --token), e.g. 0.01"),
    token: str | None = typer.Option(
        None, "--token", help="Tip in this ERC-20 (an address, or a creator's address for their token)."
    ),
    post: str | None = typer.Option(None, "--post", help="The post id this tip is for."),
    memo: str = typer.Option("", "--memo", help="A short note (at most 280 bytes)."),
    permit: bool = typer.Option(
        True, "--permit/--approve", help="Token tips: sign an EIP-2612 permit (one transaction)."
    ),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
) -> None:
    """Tip a creator in ether or a token, optionally for one post. Tips are on-chain facts."""
    client, key = wallet(sender, passphrase)
    asset = None if token is None else token_address(client, token)
    done = client.tip(
        key,
        creator,
        to_base_units(amount, "amount"),
        token=asset,
        post_id=post,
        memo=memo,
        permit=permit and asset is not None,
    )
    out.print(
        f"tipped {creator} {amount} {'ETH' if asset is None else 'tokens of ' + asset} (tx {done.tx_hash})"
    )


@split_app.command("set")
def split_set(
    shares: list[str] = typer.Argument(
        ..., help="ACCOUNT=BPS pairs summing to 10000, e.g. 0xabc…=7000 0xdef…=3000"
    ),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
) -> None:
    """Divide the tips you receive among accounts, in basis points."""
    parsed = []
    for item in shares:
        account, _, bps = item.partition("=")
        if not (bps.isascii() and bps.isdigit()):
            raise InvalidInput(f"shares: {item!r} is not ACCOUNT=BPS")
        parsed.append((account, int(bps)))
    client, key = wallet(sender, passphrase)
    tx = client.set_split(key, parsed)
    out.print(f"split set (tx {tx})")
