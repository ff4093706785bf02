"""Stateful property test of CollectiveShares: random sequences of admissions (mints), exits
(burns by the owner, members leaving), ETH and token income sent as plain transfers, accounting,
claims, treasury withdrawals and revenue-policy changes, against the real contract, checked step
by step against a Python model of the accumulator.

Members: four EOAs and a `MockReentrant` contract armed to call `claim(ETH)` again whenever it is
paid ether (it acts through `execute`, sent by the owner). Assets: ETH and a `MockERC20`, both
shared from the start.

After every step:
- the contract holds exactly the ETH and tokens the model says: everything paid in less
  everything claimed and withdrawn;
- its stored accounting (income per share, accounted, treasury, dust, every member's shares and
  correction) is the model's, and for each asset `accounted == sum over members of
  (incomePerShare * shares + correction) + treasury + dust` exactly: nothing is lost to rounding;
- the transaction reverted exactly when, and with the error, the model predicted; a claim paid
  exactly the model's amount (the payee's balance moved by it); the sum of all claims and
  treasury withdrawals never exceeds the income paid in;
- every claim of ETH by the contract member re-entered `claim` (`ReentryAttempted`) and the guard
  refused it.
At the end of every sequence, through the views (income not yet accounted included): for each
asset the balance is exactly `sum of claimable + treasuryBalance + dust`, every view is the
model's, and every member's votes are its shares.

Each sequence starts from one chain snapshot and restores it. 12 sequences of up to 15 steps;
$MECENATE_STATEFUL_EXAMPLES and $MECENATE_STATEFUL_STEPS run more.
"""

import copy
from collections import Counter
from dataclasses import dataclass, field

import ape
import pytest
from chain_io import Reader, Revert, error_names, mapping_slot, run_machine, transact
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

ETH = "0x0000000000000000000000000000000000000000"
BPS = 10_000
GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]
FOUNDER_SHARES = [3, 1, 2, 0, 1]  # per member; the fourth EOA starts outside
TOKEN_FUNDS = 10**30

# Storage read directly (cross-checked against the view functions in `world`).
ERC20_STORAGE = 0x52C63247E1F47DB19D5CE0460030C497F067CA4CEBF71BA98EEADABE20BACE00  # ERC-7201, OZ 5
POOLS_SLOT = 2  # after | moderator count | treasuryBps | treasury |, _incomeTokens
CORRECTIONS_SLOT = 3
TOKEN_BALANCES_SLOT = 0  # MockERC20 (OpenZeppelin, not upgradeable): `_balances` first
N_EOAS = 4
EXAMPLES = 12  # sequences (of up to 15 steps): a step checks about 25 storage slots
CONTRACT = N_EOAS  # the index of the MockReentrant member


# ── Model ──────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Pool:
    per_share: int = 0
    accounted: int = 0
    treasury: int = 0
    dust: int = 0
    corrections: Counter = field(default_factory=Counter)


@dataclass
class SharesModel:
    """The collective by its documented rules: shares, and per asset the contract's holdings and
    its accumulator."""

    shares: Counter
    bps: int
    held: dict[str, int]  # asset -> what the contract holds
    pools: dict[str, Pool]

    @property
    def supply(self) -> int:
        return sum(self.shares.values())

    def account(self, asset: str) -> None:
        """Divides the income not accounted yet (what is held beyond `accounted`)."""
        pool = self.pools[asset]
        income = self.held[asset] - pool.accounted
        if income <= 0:
            return
        pool.accounted = self.held[asset]
        if self.supply == 0:
            pool.treasury += income + pool.dust
            pool.dust = 0
            return
        to_treasury = income * self.bps // BPS
        to_members = income - to_treasury + pool.dust
        per_share = to_members // self.supply
        pool.treasury += to_treasury
        pool.per_share += per_share
        pool.dust = to_members - per_share * self.supply

    def account_all(self) -> None:
        for asset in self.pools:
            self.account(asset)

    def earned(self, member: str, asset: str) -> int:
        pool = self.pools[asset]
        return pool.per_share * self.shares[member] + pool.corrections[member]

    def mint(self, member: str, amount: int) -> None:
        self.account_all()
        for pool in self.pools.values():
            pool.corrections[member] -= pool.per_share * amount
        self.shares[member] += amount

    def burn(self, member: str, amount: int) -> None:
        if amount > self.shares[member]:
            raise Revert("ERC20InsufficientBalance")
        self.account_all()
        for pool in self.pools.values():
            pool.corrections[member] += pool.per_share * amount
        self.shares[member] -= amount

    def claim(self, member: str, asset: str) -> int:
        self.account(asset)
        amount = self.earned(member, asset)
        if amount == 0:
            raise Revert("CollectiveSharesNothingToClaim")
        self.pools[asset].corrections[member] -= amount
        self.pay(asset, amount)
        return amount

    def withdraw_treasury(self, asset: str) -> int:
        self.account(asset)
        amount, self.pools[asset].treasury = self.pools[asset].treasury, 0
        if amount == 0:
            raise Revert("CollectiveSharesNothingToClaim")
        self.pay(asset, amount)
        return amount

    def set_policy(self, bps: int) -> None:
        if bps > BPS:
            raise Revert("CollectiveSharesInvalidBps")
        self.account_all()
        self.bps = bps

    def pay(self, asset: str, amount: int) -> None:
        self.pools[asset].accounted -= amount
        self.held[asset] -= amount


# ── The world ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class World:
    collective: object
    token: object
    owner: object
    payer: object
    eoas: list
    contract: object  # the MockReentrant member
    reader: Reader
    errors: dict[bytes, str]
    model: SharesModel  # where every sequence starts
    coverage: Counter = field(default_factory=Counter)

    @property
    def members(self) -> list[str]:
        return [a.address for a in (*self.eoas, self.contract)]

    @property
    def assets(self) -> list[str]:
        return [ETH, self.token.address]

    def held(self, account: str, asset: str) -> int:
        if asset == ETH:
            return self.reader.balance(account)
        return self.reader.storage(asset, mapping_slot(TOKEN_BALANCES_SLOT, account))

    def shares(self, member: str) -> int:
        return self.reader.storage(self.collective.address, mapping_slot(ERC20_STORAGE, member))

    def pool(self, asset: str) -> tuple[int, int, int, int]:
        """(incomePerShare, accounted, treasury, dust) as stored."""
        base = mapping_slot(POOLS_SLOT, asset)
        first, second = (self.reader.storage(self.collective.address, base + i) for i in range(2))
        # | dust (uint64) | incomePerShare (uint192) |, then | treasury (uint128) | accounted (uint128) |
        return first % 2**192, second % 2**128, second >> 128, first >> 192

    def correction(self, asset: str, member: str) -> int:
        raw = self.reader.storage(self.collective.address, mapping_slot(CORRECTIONS_SLOT, asset, member))
        return raw - 2**256 if raw >= 2**255 else raw


class CollectiveMachine(RuleBasedStateMachine):
    world: World  # set by the test

    def __init__(self):
        super().__init__()
        self.snapshot = ape.chain.snapshot()
        self.world.coverage["sequences"] += 1
        self.model = copy.deepcopy(self.world.model)
        self.paid_in = Counter()
        self.paid_out = Counter()  # from Claimed and TreasuryWithdrawn events
        self.in_step = False

    def teardown(self):
        try:
            if not self.in_step:  # a step that failed has already said what went wrong
                self._check_views()
        finally:
            ape.chain.restore(self.snapshot)

    # Rules

    @rule(member=st.integers(0, CONTRACT), amount=st.integers(1, 5))
    def admit(self, member, amount):
        m = self._addr(member)
        self._send(self.world.owner, "mint", (m, amount), lambda model: model.mint(m, amount))

    @rule(data=st.data(), member=st.integers(0, CONTRACT), by_owner=st.booleans())
    def exit(self, data, member, by_owner):
        """The owner burns a member's shares, or the member leaves; now and then more than it has."""
        m = self._addr(member)
        held = self.model.shares[m]
        amount = data.draw(
            st.integers(1, held) if held and data.draw(st.integers(0, 3)) else st.integers(1, 4)
        )
        if by_owner:
            self._send(self.world.owner, "burn", (m, amount), lambda model: model.burn(m, amount))
        else:
            self._as_member(member, "leave", (amount,), lambda model: model.burn(m, amount))

    @rule(asset=st.sampled_from([0, 1]), amount=st.one_of(st.integers(1, 100), st.integers(1, 10**18)))
    def income(self, asset, amount):
        """A plain transfer to the collective (a tip, a fee, a gift): accounted later."""
        w = self.world
        if asset == 0:
            w.payer.transfer(w.collective, amount)
        else:
            w.token.transfer(w.collective, amount, sender=w.payer)
        a = w.assets[asset]
        w.coverage["income"] += 1
        self.model.held[a] += amount
        self.paid_in[a] += amount
        self._check_step()

    @rule(asset=st.sampled_from([0, 1]))
    def notify(self, asset):
        a = self.world.assets[asset]
        self._send(self.world.payer, "notifyIncome", (a,), lambda model: model.account(a))

    @rule(member=st.one_of(st.just(CONTRACT), st.integers(0, CONTRACT)), asset=st.sampled_from([0, 1]))
    def claim(self, member, asset):
        """A member claims (the contract member, which re-enters, half the time)."""
        m, a = self._addr(member), self.world.assets[asset]
        self.world.coverage["claim"] += 1
        self._as_member(member, "claim", (a,), lambda model: model.claim(m, a), payee=m, asset=a)

    @rule(asset=st.sampled_from([0, 1]))
    def withdraw_treasury(self, asset):
        w, a = self.world, self.world.assets[asset]
        treasury = w.collective.treasury()
        self._send(
            w.payer, "withdrawTreasury", (a,), lambda m: m.withdraw_treasury(a), payee=treasury, asset=a
        )

    @rule(bps=st.one_of(st.integers(0, BPS), st.just(BPS + 1)))
    def set_policy(self, bps):
        self._send(self.world.owner, "setRevenuePolicy", (bps,), lambda model: model.set_policy(bps))

    # Steps

    def _as_member(self, member, function, args, predict, **payment):
        if member == CONTRACT:
            self._send(None, function, args, predict, **payment)
        else:
            self._send(self.world.eoas[member], function, args, predict, **payment)

    def _send(self, sender, function, args, predict, payee=None, asset=None):
        """Sends `function(*args)` from `sender` (None: the contract member, through `execute`)
        and checks it against `predict` applied to a copy of the model; `payee` is paid in
        `asset` what `predict` returns."""
        self.in_step = True
        w = self.world
        trial = copy.deepcopy(self.model)
        try:
            paid = predict(trial)
            expected = None
        except Revert as revert:
            paid, expected = None, revert.error
        before = w.held(payee, asset) if payee else 0
        method = getattr(w.collective, function)
        if sender is None:
            data = method.encode_input(*args)
            outcome = transact(lambda: w.contract.execute(w.collective, 0, data, sender=w.owner), w.errors)
        else:
            outcome = transact(lambda: method(*args, sender=sender), w.errors)
        assert outcome.error == expected, (
            f"{function}{args}: reverted with {outcome.error}, expected {expected}"
        )
        w.coverage[function if expected is None else "revert " + expected] += 1
        if expected is not None:
            return self._check_step()
        self.model = trial
        logs = outcome.receipt.events
        out = [log.amount for log in logs if log.event_name in ("Claimed", "TreasuryWithdrawn")]
        assert out == ([paid] if payee else [])
        if payee:
            self.paid_out[asset] += paid
            fee = outcome.fee if asset == ETH and sender is not None and sender.address == payee else 0
            assert w.held(payee, asset) - before == paid - fee
        attempts = [
            (bytes(log.selector), log.succeeded, bytes(log.revertSelector))
            for log in logs
            if log.event_name == "ReentryAttempted"
        ]
        if sender is None and function == "claim" and asset == ETH:
            # The contract member called `claim` again from its `receive`; the guard refused it.
            assert attempts == [(bytes(w.collective.claim.encode_input(ETH))[:4], False, GUARD)]
            w.coverage["re-entry refused"] += 1
        else:
            assert attempts == []
        self._check_step()

    # Checks

    def _check_step(self) -> None:
        w, m = self.world, self.model
        shares = {member: w.shares(member) for member in w.members}
        assert shares == {member: m.shares[member] for member in w.members}
        for asset in w.assets:
            held = w.held(w.collective.address, asset)
            assert held == m.held[asset]
            pool = m.pools[asset]
            per_share, accounted, treasury, dust = w.pool(asset)
            assert (per_share, accounted, treasury, dust) == (
                pool.per_share,
                pool.accounted,
                pool.treasury,
                pool.dust,
            )
            earned = 0
            for member in w.members:
                correction = w.correction(asset, member)
                assert correction == pool.corrections[member], (asset, member)
                earned += per_share * shares[member] + correction
            # Nothing lost to rounding: what is accounted is exactly what is owed.
            assert accounted == earned + treasury + dust
            assert held >= accounted
            assert self.paid_out[asset] <= self.paid_in[asset] + w.model.held[asset]
        self.in_step = False

    def _check_views(self) -> None:
        w, c = self.world, self.world.collective
        view = copy.deepcopy(self.model)
        view.account_all()  # the views include the income not accounted yet
        for asset in w.assets:
            claimable = [c.claimable(member, asset) for member in w.members]
            assert claimable == [view.earned(member, asset) for member in w.members]
            treasury, dust = c.treasuryBalance(asset), c.dust(asset)
            assert (treasury, dust) == (view.pools[asset].treasury, view.pools[asset].dust)
            assert w.held(c.address, asset) == sum(claimable) + treasury + dust
        for member in w.members:
            assert c.getVotes(member) == c.balanceOf(member) == self.model.shares[member]
        assert c.totalSupply() == self.model.supply

    def _addr(self, index: int) -> str:
        return self.world.members[index]


# ── The test ───────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def world(project, owner, accounts, erc20, attacker):
    treasury, payer = accounts[1], accounts[2]
    eoas = [accounts[i] for i in range(5, 5 + N_EOAS)]
    # Deployed from an account no other test deploys from (see test_collective_shares.py).
    deployer = accounts[9]
    implementation = deployer.deploy(project.CollectiveShares)
    cloner = deployer.deploy(project.MockCloner)
    community = keccak(text="community:gardeners")
    collective = project.CollectiveShares.at(
        cloner.clone(implementation, community, sender=owner).events[0].clone
    )
    members = [a.address for a in (*eoas, attacker)]
    founders = [(m, n) for m, n in zip(members, FOUNDER_SHARES, strict=True) if n]
    collective.initialize(
        owner,
        [m for m, _ in founders],
        [n for _, n in founders],
        treasury,
        1_500,
        [],
        bytes(32),
        sender=owner,
    )
    erc20.mint(payer, TOKEN_FUNDS, sender=owner)
    # Both assets shared from the start, with some income already divided and some dust.
    erc20.transfer(collective, 1_001, sender=payer)
    collective.notifyIncome(erc20, sender=owner)
    payer.transfer(collective, 10**6 + 1)
    collective.notifyIncome(ETH, sender=owner)
    attacker.arm(collective, collective.claim.encode_input(ETH), 0, sender=owner)
    model = SharesModel(
        shares=Counter(dict(founders)),
        bps=1_500,
        held={ETH: 0, erc20.address: 0},
        pools={ETH: Pool(), erc20.address: Pool()},
    )
    for asset, amount in ((erc20.address, 1_001), (ETH, 10**6 + 1)):
        model.held[asset] += amount
        model.account(asset)
    w = World(
        collective, erc20, owner, payer, eoas, attacker, Reader(owner.address), error_names(project), model
    )
    # The storage slots read by the checks are the views' (a wrong layout would read zeros).
    for asset in w.assets:
        per_share, accounted, treasury, dust = w.pool(asset)
        assert (per_share, treasury, dust) == (
            collective.incomePerShare(asset),
            collective.treasuryBalance(asset),
            collective.dust(asset),
        )
        assert per_share > 0 and dust > 0
        assert accounted == w.held(collective.address, asset)
        for member in w.members:
            assert w.shares(member) == collective.balanceOf(member)
            assert per_share * w.shares(member) + w.correction(asset, member) == collective.claimable(
                member, asset
            )
    return w


def test_collective_shares_state_machine(world):
    CollectiveMachine.world = world
    run_machine(
        CollectiveMachine,
        world.coverage,
        (
            "claim",
            "re-entry refused",
            "mint",
            "burn",
            "leave",
            "withdrawTreasury",
            "revert CollectiveSharesNothingToClaim",
        ),
        examples=EXAMPLES,
    )
