"""The chain client: reads and transactions against the deployed contracts, over sync web3.

Transactions are built with web3 (gas estimated, EIP-1559 fees from the node), signed locally
with the caller's :class:`~node.identity.Key` (eth-account) and sent raw; the client waits for
the receipt and returns the event the transaction emitted, decoded. A revert, whether at gas
estimation or in the mined transaction, becomes a :class:`~node.errors.ContractReverted` saying
why in words (:class:`~node.errors.SlippageExceeded` for slippage).

Blocking: every method does network I/O. Under trio call it through ``trio.to_thread.run_sync``
(AsyncWeb3 does not run under trio).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_utils import to_checksum_address
from typing_extensions import Unpack
from web3 import Web3
from web3 import exceptions as w3x
from web3.providers import HTTPProvider
from web3.types import BlockIdentifier, TxParams

from ..config import ChainSettings
from ..errors import ChainMismatch, ContractReverted, InvalidInput
from ..identity import Key
from ..redact import redact_url, url_secrets
from . import _inputs as inputs
from ._abi import ERC20_ABI
from ._artifacts import FACTORY, TIP_JAR, TOKEN, Artifacts, Deployment
from ._collective_tx import CollectiveCalls
from ._events import EventCodec
from ._inputs import BPS
from ._permit import sign_permit
from ._revert import RevertDecoder, translate
from ._views import ZERO_ADDRESS, Launch, Tip, TokenInfo, TokenUnits, Trade

#: Bounds of one JSON-RPC request, of the wait for a receipt, and the interval of that wait.
REQUEST_TIMEOUT_SECONDS = 10.0
RECEIPT_TIMEOUT_SECONDS = 120.0
RECEIPT_POLL_SECONDS = 0.1
#: How long a trade stays valid after it is sent (seconds of chain time): shorter than the
#: contracts' fee-increase delay (1 hour), so a trade never pays a fee raised after its quote.
TRADE_DEADLINE_SECONDS = 600
#: Slippage tolerance of a trade when the caller gives none, in basis points (1%).
DEFAULT_SLIPPAGE_BPS = 100
#: How long a token tip's EIP-2612 permit stays valid (seconds of chain time).
PERMIT_TTL_SECONDS = 3600
#: Gas headroom over the estimate: estimates find the least gas that does not revert, and a
#: bounded-gas ETH push that fails is credited rather than reverting.
GAS_HEADROOM_NUM, GAS_HEADROOM_DEN, GAS_HEADROOM_EXTRA = 5, 4, 20_000


class TradeOptions(TypedDict, total=False):
    """Bounds of a :meth:`ChainClient.buy` or :meth:`ChainClient.sell`.

    ``slippage_bps``: tolerance over (buy) or under (sell) the quote, in basis points (default
    :data:`DEFAULT_SLIPPAGE_BPS`). ``quote``: the cost or proceeds the user was shown (default:
    a fresh quote). ``deadline_seconds``: the trade reverts if mined later than this after the
    latest block (default :data:`TRADE_DEADLINE_SECONDS`).
    """

    slippage_bps: int
    quote: int | None
    deadline_seconds: int


def max_cost(quote: int, slippage_bps: int) -> int:
    """The ``maxCost`` bound of a buy quoted at ``quote`` wei with a tolerance of
    ``slippage_bps`` basis points (rounded up: the bound never cuts the tolerance short)."""
    return quote + -(-quote * inputs.slippage(slippage_bps) // BPS)


def min_proceeds(quote: int, slippage_bps: int) -> int:
    """The ``minProceeds`` bound of a sell quoted at ``quote`` wei with a tolerance of
    ``slippage_bps`` basis points (rounded down)."""
    return quote * (BPS - inputs.slippage(slippage_bps)) // BPS


#: The characters of a token's symbol shown (a symbol is whatever its contract returns).
SYMBOL_CHARS = 16


class ChainClient(CollectiveCalls):
    """Reads and signed transactions against one deployment, over a sync HTTP provider.

    ``rpc_url``: the chain's JSON-RPC endpoint. ``artifacts``: ABIs (Ape's build manifest).
    ``deployment``: contract addresses; its ``chain_id`` must be the endpoint's, checked on the
    first call that needs it. ``request_timeout`` bounds each RPC request, ``receipt_timeout``
    the wait for a transaction to be mined, ``receipt_poll`` the interval of that wait (seconds).

    Every method raises :class:`~node.errors.InvalidInput` on a bad argument (naming it),
    :class:`~node.errors.ChainMismatch` when the endpoint serves another chain,
    :class:`~node.errors.ContractReverted` when the contract refuses, and
    :class:`~node.errors.ChainUnavailable` / :class:`~node.errors.ChainError` when the chain
    cannot be reached or the RPC fails. The web3 exception is kept in ``__cause__``.

    Collectives (launch, propose, vote, queue, execute, claim) come from
    :class:`~node.chain._collective_tx.CollectiveCalls`.
    """

    def __init__(
        self,
        rpc_url: str,
        artifacts: Artifacts,
        deployment: Deployment,
        *,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        receipt_timeout: float = RECEIPT_TIMEOUT_SECONDS,
        receipt_poll: float = RECEIPT_POLL_SECONDS,
    ) -> None:
        self.rpc_url = rpc_url
        #: What may be shown of the endpoint (logs, errors): ``scheme://host:port``.
        self.rpc_endpoint = redact_url(rpc_url)
        self._rpc_secrets = url_secrets(rpc_url)
        self.artifacts = artifacts
        self.deployment = deployment
        self.web3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": request_timeout}))
        self._receipt_timeout = receipt_timeout
        self._poll_latency = receipt_poll
        self._decoder = RevertDecoder(artifacts.errors())
        self.events = EventCodec(self.web3, artifacts)
        self._factory = self.web3.eth.contract(address=deployment.factory, abi=artifacts.abi(FACTORY))
        self._tip_jar = self.web3.eth.contract(address=deployment.tip_jar, abi=artifacts.abi(TIP_JAR))
        self._token_abi = artifacts.abi(TOKEN)
        self._contracts: dict[tuple[str, str], Any] = {}
        self._units: dict[str, TokenUnits] = {}
        self._send_lock = threading.Lock()
        self._chain_checked = False
        #: Why the endpoint cannot be used (it serves another chain), or ``None``.
        self.mismatch: str | None = None

    @classmethod
    def from_settings(cls, settings: ChainSettings, chain_id: int) -> ChainClient:
        """A client for the node's settings: build manifest and ``deployments/<chain_id>.json``.
        Raises :class:`~node.errors.ConfigError` when either is missing or malformed."""
        artifacts = Artifacts.load(settings.build_manifest)
        deployment = Deployment.load(settings.deployments_dir, chain_id)
        return cls(settings.rpc_url, artifacts, deployment)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    # ------------------------------------------------------------------ plumbing

    def translate(self, doing: str):
        """Context manager translating web3 errors raised inside into ChainErrors (for the
        indexer and other callers that use :attr:`web3` directly). Raises
        :class:`~node.errors.ChainMismatch` at once while :attr:`mismatch` is known: an
        endpoint serving another chain answers nothing the node may use."""
        if self.mismatch is not None:
            raise ChainMismatch(f"{doing}: {self.mismatch}")
        return translate(self._decoder, doing, secrets=self._rpc_secrets)

    def token(self, address: str) -> Any:
        """A web3 contract object for the creator token at ``address``."""
        return self._contract(address, "creator", self._token_abi)

    def _erc20(self, address: str) -> Any:
        return self._contract(address, "erc20", ERC20_ABI)

    def _contract(self, address: str, kind: str, abi: Any) -> Any:
        """Contract objects cost about a millisecond to build (ABI parsing); gate checks ask for
        the same few tokens over and over, so each is built once per client."""
        key = (inputs.address(address, "token"), kind)
        contract = self._contracts.get(key)
        if contract is None:
            contract = self._contracts[key] = self.web3.eth.contract(address=key[0], abi=abi)
        return contract

    def check_chain(self) -> None:
        """Check once that the endpoint serves the deployment's chain (see :meth:`verify_chain`)."""
        if not self._chain_checked:
            self.verify_chain()

    def verify_chain(self) -> None:
        """Read the endpoint's chain id now and compare it with the deployment's. Raises
        :class:`~node.errors.ChainMismatch` (a ConfigError too) when they differ, and from then
        on every call does, until a later :meth:`verify_chain` finds the right chain again."""
        with translate(self._decoder, "read chain id", secrets=self._rpc_secrets):
            actual = self.web3.eth.chain_id
        if actual != self.chain_id:
            self.mismatch = f"chain id: {self.rpc_endpoint} serves chain {actual}, the deployment is for chain {self.chain_id}"
            raise ChainMismatch(self.mismatch)
        self.mismatch = None
        self._chain_checked = True

    def _transact(self, key: Key, call: Any, doing: str, *, value: int = 0) -> Any:
        """Build, sign, send ``call`` from ``key``; wait for and return the receipt."""
        if not isinstance(key, Key):
            raise InvalidInput(f"key: expected a node.identity.Key, got {type(key).__name__}")
        self.check_chain()
        sender = inputs.address(key.address, "key")
        with self.translate(doing):
            with self._send_lock:
                nonce = self.web3.eth.get_transaction_count(sender, "pending")
                tx = call.build_transaction(
                    {"from": sender, "value": value, "nonce": nonce, "chainId": self.chain_id}
                )
                tx["gas"] = tx["gas"] * GAS_HEADROOM_NUM // GAS_HEADROOM_DEN + GAS_HEADROOM_EXTRA
                signed = Account.sign_transaction(tx, key.private_key)
                tx_hash = self.web3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.web3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self._receipt_timeout, poll_latency=self._poll_latency
            )
            if receipt["status"] != 1:
                # It passed estimation but reverted when mined, usually because a transaction
                # ahead of it in the block moved the state: replay it on the state after that
                # block to learn why (raises the decoded revert).
                replay = TxParams(to=tx["to"], data=tx["data"], value=tx["value"])
                replay["from"] = tx["from"]
                self.web3.eth.call(replay, receipt["blockNumber"])
                raise ContractReverted(
                    "", {}, f"{doing}: transaction 0x{bytes(tx_hash).hex()} reverted when mined (out of gas?)"
                )
        return receipt

    def _emitted(self, receipt: Any, kind: type, **match: Any) -> Any:
        for log in receipt["logs"]:
            view = self.events.decode(log)
            if isinstance(view, kind) and all(getattr(view, k) == v for k, v in match.items()):
                return view
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        raise ContractReverted("", {}, f"transaction {tx_hash} emitted no {kind.__name__}")

    # ------------------------------------------------------------------ reads

    def block_number(self) -> int:
        """The chain's latest block number."""
        with self.translate("read block number"):
            return self.web3.eth.block_number

    def eth_balance(self, account: str, block: BlockIdentifier = "latest") -> int:
        """``account``'s ether balance in wei."""
        account = inputs.address(account, "account")
        with self.translate("read ether balance"):
            return self.web3.eth.get_balance(account, block)

    def balance_of(self, token: str, holder: str, block: BlockIdentifier = "latest") -> int:
        """``holder``'s balance of ERC-20 ``token`` (base units) at ``block`` (default: latest)."""
        contract = self._erc20(token)
        holder = inputs.address(holder, "holder")
        with self.translate("read balanceOf"):
            return contract.functions.balanceOf(holder).call(block_identifier=block)

    def token_units(self, token: str) -> TokenUnits:
        """``token``'s symbol and decimals as its contract says, read once per token: ``None``
        for what it does not say (any contract can be sent income). A symbol keeps its first
        ``SYMBOL_CHARS`` printable characters, and none that reads as ether's. Raises a
        ChainError when the endpoint fails (nothing is remembered then)."""
        contract = self._erc20(token)
        units = self._units.get(contract.address)
        if units is None:
            symbol = self._optional_read(contract.functions.symbol(), "read symbol")
            if symbol is not None:
                symbol = "".join(c for c in str(symbol) if c.isprintable())[:SYMBOL_CHARS]
                symbol = None if symbol.strip().upper() in ("", "ETH") else symbol
            decimals = self._optional_read(contract.functions.decimals(), "read decimals")
            units = self._units[contract.address] = TokenUnits(symbol, decimals)
        return units

    def _optional_read(self, call: Any, doing: str) -> Any:
        """``call``'s answer, or ``None`` when the contract does not give one: it reverts, has
        no code, or answers what does not decode (a ``string`` that is not UTF-8 included).
        Any other failure is the endpoint's, and raises as :meth:`translate` says."""
        with self.translate(doing):
            try:
                return call.call()
            except (w3x.ContractLogicError, w3x.BadFunctionCallOutput, DecodingError, UnicodeDecodeError):
                return None

    def allowance(self, token: str, owner: str, spender: str) -> int:
        """How much of ``owner``'s ``token`` ``spender`` may move."""
        contract = self._erc20(token)
        with self.translate("read allowance"):
            return contract.functions.allowance(
                inputs.address(owner, "owner"), inputs.address(spender, "spender")
            ).call()

    def token_of(self, creator: str) -> str | None:
        """The token ``creator`` has launched, or ``None``."""
        creator = inputs.address(creator, "creator")
        with self.translate("read tokenOf"):
            token = self._factory.functions.tokenOf(creator).call()
        return None if token == ZERO_ADDRESS else to_checksum_address(token)

    def token_info(self, token: str) -> TokenInfo:
        """Name, symbol, creator, supply, price and reserve of creator token ``token`` now."""
        t = self.token(token).functions
        with self.translate("read token info"):
            return TokenInfo(
                address=to_checksum_address(token),
                creator=to_checksum_address(t.creator().call()),
                name=t.name().call(),
                symbol=t.symbol().call(),
                supply=t.totalSupply().call(),
                price=t.spotPrice().call(),
                reserve=t.reserve().call(),
                creator_fee_bps=t.creatorFeeBps().call(),
            )

    def curve(self, token: str, block: BlockIdentifier = "latest") -> tuple[int, int]:
        """``(basePrice, slope)`` of ``token``'s bonding curve, in wei."""
        with self.translate("read curve"):
            base, slope = self.token(token).functions.curve().call(block_identifier=block)
        return int(base), int(slope)

    def quote_buy(self, token: str, amount: int) -> int:
        """What buying ``amount`` base units of ``token`` costs now, fees included (wei)."""
        amount = inputs.amount(amount, "amount")
        with self.translate("quote buy"):
            return self.token(token).functions.quoteBuy(amount).call()

    def quote_sell(self, token: str, amount: int) -> int:
        """What selling ``amount`` base units of ``token`` returns now, fees deducted (wei)."""
        amount = inputs.amount(amount, "amount")
        with self.translate("quote sell"):
            return self.token(token).functions.quoteSell(amount).call()

    def split_of(self, creator: str) -> dict[str, int]:
        """``creator``'s tip split: account -> basis points (empty: no split)."""
        with self.translate("read split"):
            accounts, bps = self._tip_jar.functions.splitOf(inputs.address(creator, "creator")).call()
        return {to_checksum_address(a): int(b) for a, b in zip(accounts, bps, strict=False)}

    # ------------------------------------------------------------------ transactions

    def launch_token(self, key: Key, name: str, symbol: str) -> Launch:
        """Launch ``key``'s creator token. Reverts (as ContractReverted) on a second launch or a
        bad name (1-31 bytes) or symbol (1-11 bytes)."""
        if not isinstance(name, str) or not isinstance(symbol, str):
            raise InvalidInput("name, symbol: must be strings")
        receipt = self._transact(key, self._factory.functions.launch(name, symbol), "launch token")
        return self._emitted(receipt, Launch, creator=key.address)

    def buy(self, key: Key, token: str, amount: int, **options: Unpack[TradeOptions]) -> Trade:
        """Buy ``amount`` base units of ``token`` for ``key``.

        The transaction's ``maxCost`` is the quote plus the slippage tolerance
        (:class:`TradeOptions`); that much ether is sent and the token refunds the difference.
        Raises :class:`~node.errors.SlippageExceeded` when the cost has moved past the bound.
        """
        return self._trade("buy", key, token, amount, **options)

    def sell(self, key: Key, token: str, amount: int, **options: Unpack[TradeOptions]) -> Trade:
        """Sell ``amount`` base units of ``key``'s ``token``.

        ``minProceeds`` is the quote less the slippage tolerance (:class:`TradeOptions`).
        Raises :class:`~node.errors.SlippageExceeded` when the proceeds have moved below the bound.
        """
        return self._trade("sell", key, token, amount, **options)

    def _trade(
        self,
        side: Literal["buy", "sell"],
        key: Key,
        token: str,
        amount: int,
        *,
        slippage_bps: int = DEFAULT_SLIPPAGE_BPS,
        quote: int | None = None,
        deadline_seconds: int = TRADE_DEADLINE_SECONDS,
    ) -> Trade:
        token = inputs.address(token, "token")
        amount = inputs.amount(amount, "amount")
        quoted = inputs.amount(quote, "quote") if quote is not None else None
        deadline = self._deadline(deadline_seconds)
        functions = self.token(token).functions
        if side == "buy":
            bound = max_cost(self.quote_buy(token, amount) if quoted is None else quoted, slippage_bps)
            receipt = self._transact(key, functions.buy(amount, bound, deadline), "buy", value=bound)
        else:
            bound = min_proceeds(self.quote_sell(token, amount) if quoted is None else quoted, slippage_bps)
            receipt = self._transact(key, functions.sell(amount, bound, deadline), "sell")
        return self._emitted(receipt, Trade, token=token, trader=key.address, side=side)

    def _deadline(self, seconds: int) -> int:
        """A trade deadline ``seconds`` after the latest block. Chain time, not the local clock:
        a devnet's clock can run ahead of (or behind) this machine's."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise InvalidInput("deadline: must be a positive number of seconds")
        with self.translate("read latest block"):
            latest = self.web3.eth.get_block("latest")["timestamp"]
        return int(latest) + seconds

    def tip(
        self,
        key: Key,
        creator: str,
        amount: int,
        *,
        token: str | None = None,
        post_id: bytes | str | None = None,
        memo: str = "",
        permit: bool = False,
        permit_ttl: int = PERMIT_TTL_SECONDS,
    ) -> Tip:
        """Tip ``creator`` ``amount`` of ether (``token=None``, wei) or of ERC-20 ``token``.

        ``post_id`` (32 bytes, or 64 hex digits) ties the tip to a post; ``memo`` is at most 280
        bytes. For a token tip the jar needs an allowance: with ``permit=True`` the client
        signs an EIP-2612 permit locally (valid ``permit_ttl`` seconds of chain time) and sends
        one transaction; otherwise it first sends an ``approve`` when the allowance is short.
        """
        creator = inputs.address(creator, "creator")
        amount = inputs.amount(amount, "amount")
        post = inputs.post_id(post_id)
        if not isinstance(memo, str):
            raise InvalidInput("memo: must be a string")
        jar = self._tip_jar.functions
        if token is None and permit:
            raise InvalidInput("permit: only a token tip takes a permit (token is None: an ether tip)")
        if token is None:
            receipt = self._transact(key, jar.tip(creator, post, memo), "tip", value=amount)
        else:
            token = inputs.address(token, "token")
            if permit:
                deadline, v, r, s = self._sign_permit(key, token, self.deployment.tip_jar, amount, permit_ttl)
                call = jar.tipTokenWithPermit(token, creator, amount, post, memo, deadline, v, r, s)
            else:
                if self.allowance(token, key.address, self.deployment.tip_jar) < amount:
                    self.approve(key, token, self.deployment.tip_jar, amount)
                call = jar.tipToken(token, creator, amount, post, memo)
            receipt = self._transact(key, call, "tip")
        return self._emitted(receipt, Tip, creator=creator, tipper=key.address, token=token)

    def approve(self, key: Key, token: str, spender: str, amount: int) -> str:
        """Let ``spender`` move ``amount`` of ``key``'s ``token``; returns the transaction hash."""
        call = self._erc20(token).functions.approve(inputs.address(spender, "spender"), amount)
        return "0x" + bytes(self._transact(key, call, "approve")["transactionHash"]).hex()

    def set_split(self, key: Key, shares: Mapping[str, int] | Sequence[tuple[str, int]]) -> str:
        """Divide tips to ``key``'s address among accounts, ``{account: bps}`` summing to 10000
        (empty: no split); returns the transaction hash."""
        items = list(shares.items()) if isinstance(shares, Mapping) else list(shares)
        accounts = [inputs.address(a, f"shares[{i}].account") for i, (a, _) in enumerate(items)]
        bps = [int(b) for _, b in items]
        receipt = self._transact(key, self._tip_jar.functions.setSplit(accounts, bps), "set split")
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def _sign_permit(
        self, key: Key, token: str, spender: str, value: int, ttl: int
    ) -> tuple[int, int, bytes, bytes]:
        erc20 = self._erc20(token).functions
        with self.translate("prepare permit"):
            _, name, version, chain_id, verifying, _, _ = erc20.eip712Domain().call()
            nonce = erc20.nonces(key.address).call()
            now = self.web3.eth.get_block("latest")["timestamp"]
        deadline = int(now) + int(ttl)
        v, r, s = sign_permit(
            key.private_key,
            token_name=name,
            version=version,
            token=verifying,
            chain_id=chain_id,
            owner=key.address,
            spender=spender,
            value=value,
            nonce=nonce,
            deadline=deadline,
        )
        return deadline, v, r, s
