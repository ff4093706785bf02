"""Stateful property test of a CreatorToken: buys and sells by several accounts, quoted and sent
later (trades in flight), interleaved with creator-fee and protocol-fee changes up and down, time
passing across the fee delay, fee withdrawals, a creator that refuses its fee push, re-entrant
traders and forced ether; checked step by step against a Python model of the token, its fee
schedules (`FeeSchedule`) and everyone's ether.

Traders are `MockReentrant` contracts acting through `execute` (sent by the owner, who is not
modelled) with their own ether, so their balances move by exactly what the token pays or
charges. Every transaction is mined at a timestamp the test sets (12 s after the previous one,
unless time passes), so the fee in force for each trade is known exactly.

After every step:
- the token holds exactly its reserve plus the protocol fees accrued, the creator fees owed and
  the forced ether, and `reserve()` is exactly the net ETH the trades' own events put into the
  curve (cost less fees for a buy, proceeds plus fees for a sell): fees never come out of it;
- selling back the whole supply is covered: `quoteSell(totalSupply) + fees held <= balance`;
- supply, balances, fees owed and accrued, both fee schedules, and the ether of every trader, the
  creator and the fee recipient are what the model says; each trade charged exactly the model's
  cost or paid its proceeds, and reverted exactly when and how the model predicted (deadline,
  slippage bound, balance);
- a trade sent with a deadline shorter than `FeeSchedule.INCREASE_DELAY` paid no fee above what
  the schedules known when it was quoted allow at the time it was mined (a later increase cannot
  reach it; an increase already announced may, at the announced time);
- a round trip (buy n, sell n) returns no more than it cost.
Every sequence ends with everyone selling everything: the traders together got back exactly
what they paid less the fees, and the token holds only fees and forced ether.

20 sequences of up to 15 steps per chain; $MECENATE_STATEFUL_EXAMPLES and $MECENATE_STATEFUL_STEPS
run more.
"""

import copy
import time
from collections import Counter
from dataclasses import dataclass, field

import ape
import pytest
from chain_io import Reader, Revert, error_names, mapping_slot, run_machine, transact
from contract_helpers import BPS, FAR, WAD, ceil_div, reserve_at
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

DELAY = 3_600  # FeeSchedule.INCREASE_DELAY
BLOCK = 12  # seconds between transactions
MAX_CREATOR_FEE, MAX_PROTOCOL_FEE = 1_000, 500
GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]
NO_REVERT_DATA = b"\x00" * 4
N_TRADERS = 3
TRADER_FUNDS = 1_000 * 10**18
AHEAD = 365 * 24 * 3_600  # seconds: the chain's clock starts this far ahead of the wall clock

# Storage read directly (cross-checked against the view functions in `market`).
ERC20_STORAGE = 0x52C63247E1F47DB19D5CE0460030C497F067CA4CEBF71BA98EEADABE20BACE00  # ERC-7201, OZ 5
FEES_SLOT = 1  # CreatorToken: | creatorFeesOwed (uint128) | protocolFeesAccrued (uint128) |
SCHEDULE_SLOT = 0  # CreatorToken: | changesAt (uint40) | next (uint16) | bps (uint16) | creator |
FACTORY_SCHEDULE_SLOT = 2  # after Ownable's owner and Ownable2Step's pending owner, same packing


# ── Model ──────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Schedule:
    """A fee and its pending change, as `FeeSchedule` keeps them: `current` until `at`, `next` from
    then on (`at` 0: no change pending)."""

    current: int
    next: int
    at: int = 0

    def fee_at(self, timestamp: int) -> int:
        return self.next if timestamp >= self.at else self.current

    def change(self, bps: int, timestamp: int) -> "Schedule":
        """A decrease applies at once, an increase `DELAY` later."""
        in_force = self.fee_at(timestamp)
        return Schedule(bps, bps) if bps <= in_force else Schedule(in_force, bps, timestamp + DELAY)


@dataclass(frozen=True)
class Trade:
    """What a trade is expected to do: `paid` is the cost of a buy or the proceeds of a sell."""

    side: str
    amount: int
    paid: int
    creator_fee: int
    protocol_fee: int
    supply: int  # after the trade


@dataclass(frozen=True)
class Order:
    """A trade quoted at `quoted_at` and sent later, with its slippage bound and deadline, and the
    fee schedules as they stood when it was quoted."""

    trader: str
    side: str
    amount: int
    quote: int
    limit: int  # maxCost of a buy, minProceeds of a sell
    deadline: int
    quoted_at: int
    creator_fee: Schedule
    protocol_fee: Schedule


@dataclass
class TokenModel:
    """The token and everyone's ether, by the token's documented rules."""

    token: str
    creator: str
    fee_recipient: str
    head: int  # timestamp of the latest block: every transaction is mined `BLOCK` later
    eth: dict[str, int]
    tokens: Counter
    supply: int
    creator_fee: Schedule
    protocol_fee: Schedule
    accrued: int = 0
    owed: int = 0
    forced: int = 0
    rejecting: set[str] = field(default_factory=set)
    armed: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # contract -> (selector, value)
    # Per transaction:
    trades: list[Trade] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    attempts: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    latched: set[str] = field(default_factory=set)

    def begin(self) -> None:
        self.trades, self.deferred, self.attempts, self.latched = [], [], [], set()

    @property
    def reserve(self) -> int:
        return reserve_at(self.supply)

    def fees(self, curve: int, timestamp: int) -> tuple[int, int]:
        """Both fees on a curve amount at `timestamp`, rounded up."""
        return (
            ceil_div(curve * self.creator_fee.fee_at(timestamp), BPS),
            ceil_div(curve * self.protocol_fee.fee_at(timestamp), BPS),
        )

    def price_buy(self, amount: int, timestamp: int) -> tuple[int, int, int]:
        curve = reserve_at(self.supply + amount) - self.reserve
        creator_fee, protocol_fee = self.fees(curve, timestamp)
        return curve + creator_fee + protocol_fee, creator_fee, protocol_fee

    def price_sell(self, amount: int, timestamp: int) -> tuple[int, int, int]:
        curve = self.reserve - reserve_at(self.supply - amount)
        creator_fee, protocol_fee = self.fees(curve, timestamp)
        creator_fee = min(creator_fee, curve)
        protocol_fee = min(protocol_fee, curve - creator_fee)
        return curve - creator_fee - protocol_fee, creator_fee, protocol_fee

    def buy(self, trader: str, amount: int, max_cost: int, value: int, deadline: int, timestamp: int) -> None:
        if timestamp > deadline:
            raise Revert("CreatorTokenDeadlinePassed")
        cost, creator_fee, protocol_fee = self.price_buy(amount, timestamp)
        if cost > max_cost:
            raise Revert("CreatorTokenMaxCostExceeded")
        if value < cost:
            raise Revert("CreatorTokenInsufficientPayment")
        self.supply += amount
        self.tokens[trader] += amount
        self.trades.append(Trade("buy", amount, cost, creator_fee, protocol_fee, self.supply))
        self.eth[trader] -= value
        self.collect(creator_fee, protocol_fee)
        if value > cost:
            self.receive(trader, value - cost)

    def sell(self, trader: str, amount: int, min_proceeds: int, deadline: int, timestamp: int) -> None:
        if timestamp > deadline:
            raise Revert("CreatorTokenDeadlinePassed")
        if amount > self.supply:
            raise Revert("CreatorTokenAmountExceedsSupply")
        proceeds, creator_fee, protocol_fee = self.price_sell(amount, timestamp)
        if proceeds < min_proceeds:
            raise Revert("CreatorTokenMinProceedsNotMet")
        if self.tokens[trader] < amount:
            raise Revert("ERC20InsufficientBalance")
        self.supply -= amount
        self.tokens[trader] -= amount
        self.trades.append(Trade("sell", amount, proceeds, creator_fee, protocol_fee, self.supply))
        self.collect(creator_fee, protocol_fee)
        self.receive(trader, proceeds)

    def collect(self, creator_fee: int, protocol_fee: int) -> None:
        """The protocol fee accrues; the creator fee is pushed, or credited if the push fails."""
        self.accrued += protocol_fee
        if creator_fee and self.creator in self.rejecting:
            self.owed += creator_fee
            self.deferred.append(creator_fee)
        elif creator_fee:
            self.receive(self.creator, creator_fee)

    def withdraw_creator_fees(self, to: str) -> None:
        if self.owed == 0:
            raise Revert("CreatorTokenNothingToWithdraw")
        if to in self.rejecting:
            raise Revert("MockReentrantRejected")
        amount, self.owed = self.owed, 0
        self.receive(to, amount)

    def withdraw_protocol_fees(self) -> None:
        if self.accrued == 0:
            raise Revert("CreatorTokenNothingToWithdraw")
        amount, self.accrued = self.accrued, 0
        self.receive(self.fee_recipient, amount)

    def receive(self, account: str, amount: int) -> None:
        """`account` is paid; an armed contract calls back into the token once per transaction,
        which the guard refuses (unless the contract cannot pay the call's value)."""
        self.eth[account] += amount
        if account in self.armed and account not in self.latched:
            self.latched.add(account)
            selector, value = self.armed[account]
            self.attempts.append((account, selector, GUARD if self.eth[account] >= value else NO_REVERT_DATA))


# ── Strategies ─────────────────────────────────────────────────────────────────────────────────

traders = st.integers(0, N_TRADERS - 1)
amounts = st.one_of(
    st.integers(1, 1_000),  # dust: rounding edge cases
    st.integers(1, 20 * WAD),  # ordinary
    st.integers(1, 500 * WAD),  # large
)
percents = st.integers(1, 100)
slippages = st.sampled_from([0, 0, 50, 1_000])  # bps of the quote
deadlines = st.one_of(st.integers(BLOCK, 10 * 60), st.integers(BLOCK, DELAY - 1))  # always inside the delay
waits = st.one_of(st.integers(1, 600), st.integers(DELAY - 120, DELAY + 120), st.integers(DELAY, 3 * DELAY))
creator_fees = st.one_of(
    st.integers(0, MAX_CREATOR_FEE), st.sampled_from([0, MAX_CREATOR_FEE, MAX_CREATOR_FEE + 1])
)
protocol_fees = st.one_of(
    st.integers(0, MAX_PROTOCOL_FEE), st.sampled_from([0, MAX_PROTOCOL_FEE, MAX_PROTOCOL_FEE + 1])
)
reentries = st.sampled_from([None, "sell", "buy", "withdrawProtocolFees"])
sides = st.sampled_from(["buy", "sell"])
payers = st.sampled_from(["creator", "protocol"])


# ── The machine ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Market:
    """The deployed contracts and accounts, and the state every sequence starts from."""

    project: object
    factory: object
    token: object
    creator: object  # a MockReentrant
    traders: list  # MockReentrants
    owner: object
    fee_recipient: str
    reader: Reader
    errors: dict[bytes, str]
    start: TokenModel
    coverage: Counter = field(default_factory=Counter)

    def supply(self) -> int:
        return self.reader.storage(self.token.address, ERC20_STORAGE + 2)

    def token_balance(self, account: str) -> int:
        return self.reader.storage(self.token.address, mapping_slot(ERC20_STORAGE, account))

    def fees_held(self) -> tuple[int, int]:
        """(protocol fees accrued, creator fees owed)."""
        word = self.reader.storage(self.token.address, FEES_SLOT)
        return word & (2**128 - 1), word >> 128

    def schedules(self) -> tuple[Schedule, Schedule]:
        """(the creator fee's schedule, the protocol fee's schedule), from storage."""
        return (
            _unpack_schedule(self.reader.storage(self.token.address, SCHEDULE_SLOT)),
            _unpack_schedule(self.reader.storage(self.factory.address, FACTORY_SCHEDULE_SLOT)),
        )


def _unpack_schedule(word: int) -> Schedule:
    """| at (uint40) | next (uint16) | current (uint16) | address |"""
    return Schedule(
        current=(word >> 160) & 0xFFFF, next=(word >> 176) & 0xFFFF, at=(word >> 192) & (2**40 - 1)
    )


class CreatorTokenMachine(RuleBasedStateMachine):
    market: Market  # set by the test

    def __init__(self):
        super().__init__()
        self.snapshot = ape.chain.snapshot()
        self.market.coverage["sequences"] += 1
        self.model = copy.deepcopy(self.market.start)
        self.model.head = self.market.reader.head_timestamp()
        self.orders: list[Order] = []
        self.into_curve = self.model.reserve  # net ETH the trades' events put into the curve
        self.net_paid = 0  # by all traders: ETH paid for buys less proceeds of sells, from the events
        self.fees_charged = 0  # from the events
        self.in_step = False

    def teardown(self):
        try:
            if not self.in_step:  # a step that failed has already said what went wrong
                self._sell_everything()
        finally:
            ape.chain.restore(self.snapshot)

    # Trading

    @rule(
        trader=traders, side=sides, amount=amounts, percent=percents, slippage=slippages, deadline=deadlines
    )
    def quote(self, trader, side, amount, percent, slippage, deadline):
        """A trader quotes a trade now, to send it later."""
        self.orders.append(self._quote(trader, side, amount, percent, slippage, deadline))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def send(self, data):
        """A quoted trade is mined, now: at the fee, price and time of now, within its bounds."""
        self._send(self.orders.pop(data.draw(st.integers(0, len(self.orders) - 1))))

    @rule(
        data=st.data(),
        trader=traders,
        side=sides,
        amount=amounts,
        percent=percents,
        slippage=slippages,
        deadline=deadlines,
        payer=payers,
        seconds=st.one_of(st.just(0), st.integers(0, DELAY)),
    )
    def trade_in_flight(self, data, trader, side, amount, percent, slippage, deadline, payer, seconds):
        """The case the fee delay is for: a trade is quoted, a fee changes (up or down), time may
        pass, then the trade is mined."""
        order = self._quote(trader, side, amount, percent, slippage, deadline)
        self._set_fee(payer, data.draw(creator_fees if payer == "creator" else protocol_fees))
        if seconds:
            self.wait(seconds)
        self._send(order)

    @rule(trader=traders, amount=amounts)
    def round_trip(self, trader, amount):
        """Buy `amount` at the exact cost, then sell it back at once: no gain."""
        t = self._trader(trader)
        cost = self.model.price_buy(amount, self.model.head + BLOCK)[0]
        bought = self._buy(t, amount, cost, FAR)
        assert bought is not None, "an exact-cost buy reverted"
        sold = self._sell(t, amount, 0, FAR)
        assert sold is not None, "selling what was just bought reverted"
        assert sold.paid <= bought.paid, f"round trip gained: paid {bought.paid}, got {sold.paid}"
        self.market.coverage["round trip"] += 1

    # Fees and time

    @rule(data=st.data(), payer=payers)
    def set_fee(self, data, payer):
        """The creator changes its fee, or the factory owner the protocol fee: up, down, too high."""
        self._set_fee(payer, data.draw(creator_fees if payer == "creator" else protocol_fees))

    @rule(seconds=waits)
    def wait(self, seconds):
        """Time passes: a block is mined `seconds` after the latest."""
        self.model.begin()
        self.model.head += seconds
        ape.chain.mine(timestamp=self.model.head)
        self._check_step(None)

    @rule(to=st.sampled_from(["protocol", "creator", "trader", "fee recipient"]))
    def withdraw_fees(self, to):
        """Anyone sweeps the protocol fees to their recipient, or the creator withdraws its owed
        fees to itself, a trader or elsewhere."""
        m = self.market
        if to == "protocol":
            self._run(
                lambda: m.token.withdrawProtocolFees(sender=m.owner),
                lambda model, _: model.withdraw_protocol_fees(),
            )
            return
        recipient = {
            "creator": m.creator.address,
            "trader": m.traders[0].address,
            "fee recipient": m.fee_recipient,
        }[to]
        self._run(
            lambda: m.creator.execute(
                m.token, 0, m.token.withdrawCreatorFees.encode_input(recipient), sender=m.owner
            ),
            lambda model, _: model.withdraw_creator_fees(recipient),
        )

    # The creator, the traders, forced ether

    @rule(who=st.sampled_from(["creator", *range(N_TRADERS)]), reject=st.booleans(), reentry=reentries)
    def configure(self, who, reject, reentry):
        """The creator refuses its fee pushes or takes them, and (`reentry` set) tries to withdraw
        its owed fees from inside a push; a trader (`reentry`) calls back into the token whenever
        it is paid (a refund, proceeds)."""
        m, token = self.market, self.market.token
        if who == "creator":
            c = m.creator
            if reject != (c.address in self.model.rejecting):
                self._send_config(lambda: c.setRejectEth(reject, sender=m.owner))
                (self.model.rejecting.add if reject else self.model.rejecting.discard)(c.address)
            self._arm(c, None if reentry is None else token.withdrawCreatorFees.encode_input(c.address))
            return
        data, value = {
            None: (None, 0),
            "sell": (token.sell.encode_input(WAD, 0, FAR), 0),
            "buy": (token.buy.encode_input(WAD, 10**30, FAR), 10**17),
            "withdrawProtocolFees": (token.withdrawProtocolFees.encode_input(), 0),
        }[reentry]
        self._arm(m.traders[who], data, value)

    @rule(to=st.sampled_from(["token", *range(N_TRADERS)]), amount=st.integers(1, 10**18))
    def force_eth(self, to, amount):
        """Ether sent by `selfdestruct`, which no code can refuse or notice."""
        m = self.market
        recipient = m.token.address if to == "token" else m.traders[to].address
        self._send_config(lambda: m.owner.deploy(m.project.MockForceSend, recipient, value=amount))
        self.model.begin()
        if to == "token":
            self.model.forced += amount
        else:
            self.model.eth[recipient] += amount
        self._check_step(None)

    # Steps

    def _quote(
        self, trader: int, side: str, amount: int, percent: int, slippage: int, deadline: int
    ) -> Order:
        """A quote from the token now, for a buy of `amount`, or a sale of `percent` of the
        trader's balance (one base unit if it has none), with a slippage bound of `slippage` bps
        and a deadline `deadline` seconds from now."""
        t, m = self._trader(trader), self.model
        if side == "buy":
            quote = self.market.reader.uint(self.market.token.address, "quoteBuy(uint256)", amount)
            assert quote == m.price_buy(amount, m.head)[0]
            limit = quote * (BPS + slippage) // BPS
        else:
            amount = max(1, m.tokens[t] * percent // 100)
            quote = 0  # nothing to quote for more than the supply: the sale will revert
            if amount <= m.supply:
                quote = self.market.reader.uint(self.market.token.address, "quoteSell(uint256)", amount)
                assert quote == m.price_sell(amount, m.head)[0]
            limit = quote * (BPS - slippage) // BPS
        return Order(t, side, amount, quote, limit, m.head + deadline, m.head, m.creator_fee, m.protocol_fee)

    def _send(self, order: Order) -> None:
        if order.side == "buy":
            trade = self._buy(order.trader, order.amount, order.limit, order.deadline)
        else:
            trade = self._sell(order.trader, order.amount, order.limit, order.deadline)
        if trade is not None:
            self._check_fee_bound(order, trade)

    def _set_fee(self, payer: str, bps: int) -> None:
        m = self.market
        if payer == "creator":

            def predict(model, timestamp):
                if bps > MAX_CREATOR_FEE:
                    raise Revert("CreatorTokenFeeTooHigh")
                model.creator_fee = model.creator_fee.change(bps, timestamp)

            self._run(
                lambda: m.creator.execute(
                    m.token, 0, m.token.setCreatorFee.encode_input(bps), sender=m.owner
                ),
                predict,
            )
        else:

            def predict(model, timestamp):
                if bps > MAX_PROTOCOL_FEE:
                    raise Revert("FactoryFeeTooHigh")
                model.protocol_fee = model.protocol_fee.change(bps, timestamp)

            self._run(lambda: m.factory.setProtocolFee(bps, sender=m.owner), predict)

    def _buy(self, trader: str, amount: int, max_cost: int, deadline: int) -> Trade | None:
        """Buys through `trader`, paying at most `max_cost` (what it can afford of it); returns
        the trade, or None if it reverted (as predicted)."""
        m, contract = self.market, self._contract(trader)
        value = min(max_cost, self.model.eth[trader])
        data = m.token.buy.encode_input(amount, max_cost, deadline)
        return self._run(
            lambda: contract.execute(m.token, value, data, sender=m.owner),
            lambda model, ts: model.buy(trader, amount, max_cost, value, deadline, ts),
        )

    def _sell(self, trader: str, amount: int, min_proceeds: int, deadline: int) -> Trade | None:
        m, contract = self.market, self._contract(trader)
        data = m.token.sell.encode_input(amount, min_proceeds, deadline)
        return self._run(
            lambda: contract.execute(m.token, 0, data, sender=m.owner),
            lambda model, ts: model.sell(trader, amount, min_proceeds, deadline, ts),
        )

    def _run(self, send, predict) -> Trade | None:
        """Mines `send()` at the next block time and checks it against `predict(model, timestamp)`
        applied to a copy of the model. Returns the trade it made, if any."""
        self.in_step = True
        self.market.coverage["transactions"] += 1
        timestamp = self._next_block()
        trial = copy.deepcopy(self.model)
        trial.begin()
        try:
            predict(trial, timestamp)
            expected = None
        except Revert as revert:
            expected = revert.error
        outcome = transact(send, self.market.errors)
        assert outcome.error == expected, f"reverted with {outcome.error}, expected {expected}"
        if expected is None:
            self.model = trial
        else:
            self.model.begin()
            self.market.coverage["revert " + expected] += 1
        self._check_step(outcome.receipt if expected is None else None)
        return trial.trades[-1] if expected is None and trial.trades else None

    def _send_config(self, send) -> None:
        """A transaction that sets up an actor (not a step of the token): mined at the next block
        time too, so that the clock stays the model's."""
        self._next_block()
        send()

    def _arm(self, contract, data, value: int = 0) -> None:
        m = self.market
        if data is None:
            if self.model.armed.pop(contract.address, None) is not None:
                self._send_config(lambda: contract.disarm(sender=m.owner))
            return
        if self.model.armed.get(contract.address) != (bytes(data[:4]), value):
            self._send_config(lambda: contract.arm(m.token, data, value, sender=m.owner))
            self.model.armed[contract.address] = (bytes(data[:4]), value)

    def _next_block(self) -> int:
        self.model.head += BLOCK
        ape.chain.pending_timestamp = self.model.head
        return self.model.head

    def _sell_everything(self):
        """Everyone sells everything: the traders together got back what they paid less the fees."""
        for trader in self.market.traders:
            if self.model.tokens[trader.address]:
                self._sell(trader.address, self.model.tokens[trader.address], 0, FAR)
        self.in_step = True
        assert self.model.supply == 0 and self.into_curve == 0
        assert (
            self.market.reader.balance(self.market.token.address)
            == self.model.accrued + self.model.owed + self.model.forced
        )
        # The first trader held the starting supply, bought before the sequence for its reserve.
        assert self.net_paid == self.fees_charged - self.market.start.reserve, (
            "the traders got back more than they paid less the fees"
        )
        self.in_step = False

    # Checks

    def _check_step(self, receipt) -> None:
        m, model, r = self.market, self.model, self.market.reader
        for log in receipt.events if receipt is not None else []:
            if log.event_name == "Bought":
                self.into_curve += log.cost - log.creatorFee - log.protocolFee
            elif log.event_name == "Sold":
                self.into_curve -= log.proceeds + log.creatorFee + log.protocolFee
            if log.event_name == "Bought":
                self.net_paid += log.cost
            elif log.event_name == "Sold":
                self.net_paid -= log.proceeds
            if log.event_name in ("Bought", "Sold"):
                self.fees_charged += log.creatorFee + log.protocolFee
        self._check_events(receipt)
        assert r.head_timestamp() == model.head
        reserve = r.uint(m.token.address, "reserve()")
        assert reserve == self.into_curve == model.reserve, "the reserve is not the curve's net inflow"
        accrued, owed = m.fees_held()
        assert (accrued, owed) == (model.accrued, model.owed)
        balance = r.balance(m.token.address)
        assert balance == reserve + accrued + owed + model.forced
        assert m.supply() == model.supply
        if model.supply:
            assert r.uint(m.token.address, "quoteSell(uint256)", model.supply) + accrued + owed <= balance
        assert m.schedules() == (model.creator_fee, model.protocol_fee)
        for account in (*[t.address for t in m.traders], m.creator.address, m.fee_recipient):
            assert r.balance(account) == model.eth[account], f"{account} holds the wrong ether"
        for trader in m.traders:
            assert m.token_balance(trader.address) == model.tokens[trader.address]
        self.in_step = False

    def _check_events(self, receipt) -> None:
        logs = receipt.events if receipt is not None else []
        trades = [
            Trade(
                "buy" if log.event_name == "Bought" else "sell",
                log.amount,
                log.cost if log.event_name == "Bought" else log.proceeds,
                log.creatorFee,
                log.protocolFee,
                log.supply,
            )
            for log in logs
            if log.event_name in ("Bought", "Sold")
        ]
        assert trades == self.model.trades
        assert [log.amount for log in logs if log.event_name == "CreatorFeeDeferred"] == self.model.deferred
        attempts = [
            (log.contract_address, bytes(log.selector), log.succeeded, bytes(log.revertSelector))
            for log in logs
            if log.event_name == "ReentryAttempted"
        ]
        assert attempts == [(a, s, False, refused) for a, s, refused in self.model.attempts]
        self.market.coverage["re-entry refused"] += len(attempts)
        self.market.coverage["fee deferred"] += len(self.model.deferred)

    def _check_fee_bound(self, order: Order, trade: Trade) -> None:
        """The fees a trade paid are within the schedules known when it was quoted, at the time it
        was mined (its deadline is inside the delay, so no later increase can apply)."""
        mined = self.model.head
        assert mined <= order.deadline < order.quoted_at + DELAY
        curve = (
            trade.paid - trade.creator_fee - trade.protocol_fee
            if trade.side == "buy"
            else trade.paid + trade.creator_fee + trade.protocol_fee
        )
        assert trade.creator_fee <= ceil_div(curve * order.creator_fee.fee_at(mined), BPS)
        assert trade.protocol_fee <= ceil_div(curve * order.protocol_fee.fee_at(mined), BPS)
        if mined - order.quoted_at >= BLOCK and (self.model.creator_fee, self.model.protocol_fee) != (
            order.creator_fee,
            order.protocol_fee,
        ):
            self.market.coverage["fees changed in flight"] += 1

    # Helpers

    def _trader(self, index: int) -> str:
        return self.market.traders[index].address

    def _contract(self, address: str):
        return next(t for t in self.market.traders if t.address == address)


# ── The test ───────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def market(project, factory, owner, fee_recipient):
    creator = owner.deploy(project.MockReentrant)
    creator.execute(factory, 0, factory.launch.encode_input("Stateful", "STF"), sender=owner)
    token = project.CreatorToken.at(factory.tokenOf(creator))
    traders = [owner.deploy(project.MockReentrant) for _ in range(N_TRADERS)]
    for trader in traders:
        owner.transfer(trader, TRADER_FUNDS)
    # Where every sequence starts: a supply held by the first trader, so sales can begin at once;
    # fees both accrued and owed; a creator that refuses its fee pushes, and would try to withdraw
    # its owed fees from inside one if it took them; a trader that tries to sell again when paid.
    creator.setRejectEth(True, sender=owner)
    cost = token.quoteBuy(100 * WAD)
    traders[0].execute(token, cost, token.buy.encode_input(100 * WAD, cost, FAR), sender=owner)
    armed = {
        creator.address: token.withdrawCreatorFees.encode_input(creator.address),
        traders[2].address: token.sell.encode_input(WAD, 0, FAR),
    }
    for contract in (creator, traders[2]):
        contract.arm(token, armed[contract.address], 0, sender=owner)

    reader = Reader(owner.address)
    # Far ahead of the wall clock, which py-evm would otherwise use for a block time it is behind.
    ape.chain.mine(timestamp=max(reader.head_timestamp(), int(time.time())) + AHEAD)
    head = reader.head_timestamp()
    creator_fee, creator_at = token.nextCreatorFee()
    protocol_fee, protocol_at = factory.nextProtocolFee()
    start = TokenModel(
        token=token.address,
        creator=creator.address,
        fee_recipient=fee_recipient.address,
        head=head,
        eth={
            a: reader.balance(a)
            for a in (*[t.address for t in traders], creator.address, fee_recipient.address)
        },
        tokens=Counter({traders[0].address: 100 * WAD}),
        supply=token.totalSupply(),
        creator_fee=Schedule(token.creatorFeeBps(), creator_fee, creator_at),
        protocol_fee=Schedule(factory.protocolFeeBps(), protocol_fee, protocol_at),
        accrued=token.protocolFeesAccrued(),
        owed=token.creatorFeesOwed(),
        rejecting={creator.address},
        armed={a: (bytes(data[:4]), 0) for a, data in armed.items()},
    )
    world = Market(
        project,
        factory,
        token,
        creator,
        traders,
        owner,
        fee_recipient.address,
        reader,
        error_names(project),
        start,
    )
    # The storage read in the checks is what the views say.
    assert world.fees_held() == (start.accrued, start.owed) and start.accrued > 0 and start.owed > 0
    assert world.supply() == start.supply == world.token_balance(traders[0].address) == 100 * WAD
    assert world.schedules() == (start.creator_fee, start.protocol_fee)
    return world


def test_creator_token_state_machine(market):
    CreatorTokenMachine.market = market
    run_machine(
        CreatorTokenMachine,
        market.coverage,
        (
            "round trip",
            "fees changed in flight",
            "fee deferred",
            "re-entry refused",
            "revert CreatorTokenDeadlinePassed",
        ),
    )
