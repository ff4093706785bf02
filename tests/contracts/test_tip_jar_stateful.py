"""Stateful property test of the TipJar: random sequences of tips, splits, refusals, re-entries,
blocked tokens, withdrawals and forced ether, against the real jar, checked step by step against
a Python model of who is owed what and of what everyone holds.

Actors: five EOAs, three `MockReentrant` contracts (each can refuse ETH, or be armed to call back
into the jar with `setSplit`, `withdraw`, `tip` or `tipToken` calldata whenever it is paid) and a
`MockGasBurner`. Assets: ETH, a plain `MockERC20` and a `MockBlockingERC20` whose blocked account
makes the jar credit that account's share. Contracts act through `MockReentrant.execute`, sent by
the owner (who is not modelled), so their balances move by exactly what the jar does; an EOA's
balance also pays its gas (`total_fees_paid`, charged on reverted transactions too).

After every step:
- the jar holds exactly the sum of its ETH credits plus the forced ether, and of each token
  exactly the sum of its credits in that token;
- every account the step involved holds what the model says and is credited what it says:
  nobody receives more (or less) than it was owed;
- the transaction reverted exactly when, and with the error, the model predicted;
- every re-entry the model expects was attempted (`ReentryAttempted`) and refused by the guard, and
  the credits the jar deferred (`PaymentDeferred`) are exactly the model's.
At the end of every sequence all accounts, credits and splits are compared with the model.

Each sequence starts from one chain snapshot and restores it. 20 sequences of up to 15 steps per
chain; $MECENATE_STATEFUL_EXAMPLES and $MECENATE_STATEFUL_STEPS run more.
"""

import copy
from collections import Counter
from dataclasses import dataclass, field

import ape
import pytest
from chain_io import Reader, Revert, addresses, error_names, mapping_slot, run_machine, transact
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

ETH = "0x0000000000000000000000000000000000000000"
POST = bytes.fromhex("ef" * 32)
BPS = 10_000
GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]
NO_REVERT_DATA = b"\x00" * 4
CONTRACT_FUNDS = 100 * 10**18  # each MockReentrant's own ether: for its tips and re-entrant tips
TOKEN_FUNDS = 10**24  # each tipper's balance of each token

# Storage slots read directly (cross-checked against the view functions in `jar_world`).
PENDING_SLOT = 1  # TipJar: `_splits`, then `_pending` (its guard uses transient storage)
BALANCES_SLOT = 0  # OpenZeppelin ERC20 (not upgradeable): `_balances` comes first

# Actor indices: EOAs first, then the re-entrant contracts, then the gas burner.
N_EOAS, N_REENTRANT = 5, 3
EOAS = range(N_EOAS)
REENTRANT = range(N_EOAS, N_EOAS + N_REENTRANT)
BURNER = N_EOAS + N_REENTRANT
N_ACTORS = BURNER + 1


# ── Model ──────────────────────────────────────────────────────────────────────────────────────


@dataclass
class JarModel:
    """What the jar owes and what every actor holds, by the jar's documented rules.

    `holdings` and `credits` are keyed by (account, asset), the asset being ETH or a token's
    address. The per-transaction fields (`attempts`, `deferred`, `touched`, `latched`) say what
    the transaction under way is expected to show.
    """

    jar: str
    blocking_token: str
    kinds: dict[str, str]  # account -> "eoa" | "reentrant" | "burner"
    holdings: dict[tuple[str, str], int]
    credits: Counter = field(default_factory=Counter)
    splits: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    forced: int = 0
    rejecting: set[str] = field(default_factory=set)
    armed: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # contract -> (selector, value)
    blocked: str | None = None
    attempts: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    deferred: list[tuple[str, str, int]] = field(default_factory=list)
    touched: set[tuple[str, str]] = field(default_factory=set)
    latched: set[str] = field(default_factory=set)

    def begin(self) -> None:
        """Starts a new transaction: nothing expected yet."""
        self.attempts, self.deferred, self.touched, self.latched = [], [], set(), set()

    # Rules of the jar

    def tip_eth(self, tipper: str, creator: str, amount: int) -> None:
        self.move(tipper, ETH, -amount)
        for account, part in self.payout(creator, amount):
            if part:
                self.push_eth(account, part)

    def tip_token(self, token: str, tipper: str, creator: str, amount: int) -> None:
        for account, part in self.payout(creator, amount):
            if part:
                self.move(tipper, token, -part)
                if token == self.blocking_token and account == self.blocked:
                    self.credit(account, token, part)
                else:
                    self.move(account, token, part)

    def payout(self, creator: str, amount: int) -> list[tuple[str, int]]:
        """Who a tip pays, in order: the split's accounts by their shares (rounded down), then
        the creator the rest; the creator alone if it has no split."""
        split = self.splits.get(creator, [])
        parts = [(account, amount * bps // BPS) for account, bps in split]
        return [*parts, (creator, amount - sum(part for _, part in parts))]

    def set_split(self, creator: str, accounts: list[str], bps: list[int]) -> None:
        if len(accounts) > 10:
            raise Revert("TipJarTooManyAccounts")
        for account, share in zip(accounts, bps, strict=False):
            if account in (ETH, self.jar) or share == 0:
                raise Revert("TipJarInvalidShare")
        if accounts and sum(bps) != BPS:
            raise Revert("TipJarSharesNotWhole")
        self.splits[creator] = list(zip(accounts, bps, strict=False))

    def withdraw(self, account: str, asset: str, to: str) -> None:
        amount = self.credits[account, asset]
        self.touched.add((account, asset))
        self.touched.add((to, asset))
        if amount == 0:
            raise Revert("TipJarNothingToWithdraw")
        self.credits[account, asset] = 0
        if asset == ETH:
            if to in self.rejecting:
                raise Revert("MockReentrantRejected")
            self.receive_eth(to, amount)
        elif asset == self.blocking_token and to == self.blocked:
            raise Revert("MockBlockingERC20Blocked")
        else:
            self.move(to, asset, amount)

    def force(self, target: str, amount: int) -> None:
        """Ether sent by `selfdestruct`: no code runs at `target`."""
        if target == self.jar:
            self.forced += amount
        else:
            self.move(target, ETH, amount)

    # Movements

    def push_eth(self, account: str, amount: int) -> None:
        """A push with bounded gas: an EOA or a willing contract takes it, anyone else is credited."""
        if self.kinds[account] == "burner" or account in self.rejecting:
            self.credit(account, ETH, amount)
        else:
            self.receive_eth(account, amount)

    def receive_eth(self, account: str, amount: int) -> None:
        """`account` is paid; an armed contract calls back into the jar (once per transaction),
        which the guard refuses, unless the contract cannot even pay the call's value."""
        self.move(account, ETH, amount)
        if account in self.armed and account not in self.latched:
            self.latched.add(account)
            selector, value = self.armed[account]
            refused = GUARD if self.holdings[account, ETH] >= value else NO_REVERT_DATA
            self.attempts.append((account, selector, refused))

    def move(self, account: str, asset: str, delta: int) -> None:
        self.holdings[account, asset] += delta
        self.touched.add((account, asset))

    def credit(self, account: str, asset: str, amount: int) -> None:
        self.credits[account, asset] += amount
        self.deferred.append((account, asset, amount))
        self.touched.add((account, asset))

    def owed(self, asset: str) -> int:
        return sum(amount for (_, a), amount in self.credits.items() if a == asset)


# ── Strategies ─────────────────────────────────────────────────────────────────────────────────

actors = st.integers(0, N_ACTORS - 1)
senders = st.integers(0, BURNER - 1)  # the burner cannot send transactions
reentrant = st.sampled_from(REENTRANT)
payees = senders  # never withdraw to the burner: it would burn a whole transaction's gas
assets = st.sampled_from(["eth", "musd", "blk"])
tokens = st.sampled_from(["musd", "blk"])
amounts = st.one_of(st.integers(1, 10_000), st.integers(1, 10**18))  # dust: rounding of splits


@st.composite
def splits(draw, max_accounts: int = 4) -> list[tuple[int, int]]:
    """A valid split: 1 to `max_accounts` actor indices (repeats allowed) with shares summing to 10,000."""
    n = draw(st.integers(1, max_accounts))
    accounts = draw(st.lists(actors, min_size=n, max_size=n))
    cuts = sorted(draw(st.sets(st.integers(1, BPS - 1), min_size=n - 1, max_size=n - 1)))
    return list(zip(accounts, [b - a for a, b in zip([0, *cuts], [*cuts, BPS], strict=False)], strict=False))


JAR = -1  # stands for the jar's own address in a split
bad_splits = st.one_of(
    splits().map(lambda s: [*s[:-1], (s[-1][0], s[-1][1] + 1)]),  # shares sum to 10,001
    splits().map(lambda s: [*s, (s[0][0], 0)]),  # a zero share
    splits(max_accounts=3).map(lambda s: [(JAR, s[0][1]), *s[1:]]),  # the jar itself
    st.just([(i % N_ACTORS, 1_000) for i in range(10)] + [(0, 0)]),  # eleven accounts
)
# Mostly valid splits, some removals, some refused.
split_changes = st.sampled_from(["clear", "valid", "valid", "valid", "bad"]).flatmap(
    lambda kind: {"clear": st.just([]), "valid": splits(), "bad": bad_splits}[kind]
)
payloads = st.one_of(
    st.tuples(st.just("setSplit"), st.one_of(st.just([]), splits())),
    st.tuples(st.just("withdraw"), assets, payees),
    st.tuples(st.just("tip"), actors, st.integers(0, 10**15)),
    st.tuples(st.just("tipToken"), tokens, actors, amounts),
)


# ── The machine ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class JarCall:
    """Calldata for the jar (and the value it sends), as a `MockReentrant` is armed with."""

    data: bytes
    value: int = 0

    @property
    def selector(self) -> bytes:
        return self.data[:4]


def jar_call(method, *args, value: int = 0) -> JarCall:
    return JarCall(bytes(method.encode_input(*args)), value)


@dataclass
class Baseline:
    """How the jar and the contracts are set up where every sequence starts."""

    splits: dict[str, list[tuple[str, int]]]
    armed: dict[str, JarCall]
    rejecting: set[str]
    blocked: str | None


@dataclass
class JarWorld:
    """The deployed contracts and actors, and everyone's holdings at the snapshot every sequence
    starts from."""

    project: object
    jar: object
    tokens: dict[str, object]  # "musd", "blk"
    owner: object
    eoas: list
    contracts: list  # the MockReentrants, then the burner
    reader: Reader
    errors: dict[bytes, str]
    baseline: "Baseline"
    holdings: dict[tuple[str, str], int]
    credits: Counter = field(default_factory=Counter)
    coverage: Counter = field(default_factory=Counter)

    @property
    def actors(self) -> list[str]:
        return [a.address for a in (*self.eoas, *self.contracts)]

    @property
    def assets(self) -> dict[str, str]:
        return {"eth": ETH, **{name: t.address for name, t in self.tokens.items()}}

    def holding(self, account: str, asset: str) -> int:
        """`account`'s balance of `asset` (ETH or a token)."""
        if asset == ETH:
            return self.reader.balance(account)
        return self.reader.storage(asset, mapping_slot(BALANCES_SLOT, account))

    def credit(self, account: str, asset: str) -> int:
        """The jar's `pendingWithdrawal(account, asset)`, read from storage."""
        return self.reader.storage(self.jar.address, mapping_slot(PENDING_SLOT, account, asset))


class TipJarMachine(RuleBasedStateMachine):
    world: JarWorld  # set by the test

    def __init__(self):
        super().__init__()
        w = self.world
        self.snapshot = ape.chain.snapshot()
        w.coverage["sequences"] += 1
        kinds = {a: "eoa" for a in w.actors[:N_EOAS]}
        kinds |= {a: "reentrant" for a in w.actors[N_EOAS:BURNER]} | {w.actors[BURNER]: "burner"}
        b = w.baseline
        self.model = JarModel(
            jar=w.jar.address,
            blocking_token=w.tokens["blk"].address,
            kinds=kinds,
            holdings=dict(w.holdings),
            credits=Counter(w.credits),
            splits=copy.deepcopy(b.splits),
            rejecting=set(b.rejecting),
            armed={c: (call.selector, call.value) for c, call in b.armed.items()},
            blocked=b.blocked,
        )
        self.in_step = False

    def teardown(self):
        try:
            if not self.in_step:  # a step that failed has already said what went wrong
                self._check_everything()
        finally:
            ape.chain.restore(self.snapshot)

    # Rules

    @rule(data=st.data(), tipper=senders, amount=amounts)
    def tip_eth(self, data, tipper, amount):
        t, c = self._addr(tipper), self._creator(data)
        self.world.coverage["split tip" if self.model.splits.get(c) else "tip"] += 1
        self._run(tipper, "tip", (c, POST, ""), amount, lambda m: m.tip_eth(t, c, amount))

    @rule(data=st.data(), token=tokens, tipper=senders, amount=amounts)
    def tip_token(self, data, token, tipper, amount):
        t, c, asset = self._addr(tipper), self._creator(data), self.world.assets[token]
        self._run(
            tipper, "tipToken", (asset, c, amount, POST, ""), 0, lambda m: m.tip_token(asset, t, c, amount)
        )

    @rule(creator=senders, split=split_changes)
    def set_split(self, creator, split):
        c = self._addr(creator)
        accounts = [self.world.jar.address if a == JAR else self._addr(a) for a, _ in split]
        bps = [b for _, b in split]
        self._run(creator, "setSplit", (accounts, bps), 0, lambda m: m.set_split(c, accounts, bps))
        self._check_split(c)

    @rule(contract=reentrant, reject=st.booleans(), payload=st.one_of(st.none(), payloads))
    def configure(self, contract, reject, payload):
        """Makes a contract refuse ether or take it, and arms it to call back into the jar with
        `payload` whenever it is paid (or disarms it)."""
        c, jar, owner = self._contract(contract), self.world.jar, self.world.owner
        if reject != (c.address in self.model.rejecting):
            c.setRejectEth(reject, sender=owner)
            (self.model.rejecting.add if reject else self.model.rejecting.discard)(c.address)
        if payload is None:
            if self.model.armed.pop(c.address, None):
                c.disarm(sender=owner)
            return
        kind, *args = payload
        if kind == "setSplit":
            call = jar_call(jar.setSplit, [self._addr(a) for a, _ in args[0]], [b for _, b in args[0]])
        elif kind == "withdraw":
            call = jar_call(jar.withdraw, self.world.assets[args[0]], self._addr(args[1]))
        elif kind == "tip":
            call = jar_call(jar.tip, self._addr(args[0]), POST, "again", value=args[1])
        else:
            call = jar_call(jar.tipToken, self.world.assets[args[0]], self._addr(args[1]), args[2], POST, "")
        c.arm(jar, call.data, call.value, sender=owner)
        self.model.armed[c.address] = (call.selector, call.value)

    @rule(account=st.one_of(st.none(), actors))
    def block(self, account):
        """Makes the blocking token refuse transfers to `account` (to nobody if None)."""
        blocked = ETH if account is None else self._addr(account)
        self.world.tokens["blk"].setBlocked(blocked, sender=self.world.owner)
        self.model.blocked = None if account is None else blocked

    @rule(data=st.data(), to=payees)
    def withdraw(self, data, to):
        """Withdraws a credit to `to`; now and then one that is not there."""
        owed = sorted(self._withdrawable())
        if owed and data.draw(st.sampled_from(["owed", "owed", "owed", "any"])) == "owed":
            account, asset = data.draw(st.sampled_from(owed))
            sender = self.world.actors.index(account)
        else:
            sender, asset = data.draw(senders), self.world.assets[data.draw(assets)]
        s, t = self._addr(sender), self._addr(to)
        self._run(sender, "withdraw", (asset, t), 0, lambda m: m.withdraw(s, asset, t))

    @rule(recipient=st.one_of(st.just(JAR), actors), amount=amounts)
    def force_eth(self, recipient, amount):
        t = self.world.jar.address if recipient == JAR else self._addr(recipient)
        self.model.begin()
        self.world.owner.deploy(self.world.project.MockForceSend, t, value=amount)
        self.model.force(t, amount)
        self._check_step(None)

    # Steps

    def _run(self, sender: int, function: str, args: tuple, value: int, predict) -> None:
        """Sends `function(*args)` to the jar from actor `sender` (an EOA directly, a contract
        through `execute`), and checks it against `predict` applied to a copy of the model."""
        self.in_step = True
        self.world.coverage["transactions"] += 1
        trial = copy.deepcopy(self.model)
        trial.begin()
        try:
            predict(trial)
            expected = None
        except Revert as revert:
            expected = revert.error
        method = getattr(self.world.jar, function)
        if sender in EOAS:
            account = self.world.eoas[sender]
            outcome = transact(lambda: method(*args, value=value, sender=account), self.world.errors)
        else:
            contract = self._contract(sender)
            outcome = transact(
                lambda: contract.execute(
                    self.world.jar, value, method.encode_input(*args), sender=self.world.owner
                ),
                self.world.errors,
            )
        assert outcome.error == expected, (
            f"{function}{args}: reverted with {outcome.error}, expected {expected}"
        )
        if expected is None:
            self.model = trial
        else:
            self.model.begin()
            self.model.touched = trial.touched  # to check that they are unchanged
            self.world.coverage["revert " + expected] += 1
        if sender in EOAS:
            self.model.move(self._addr(sender), ETH, -outcome.fee)
        self._check_step(outcome.receipt if expected is None else None)

    # Checks

    def _check_step(self, receipt) -> None:
        m, w, jar = self.model, self.world, self.world.jar.address
        assert w.reader.balance(jar) == m.owed(ETH) + m.forced
        for token in w.tokens.values():
            assert w.holding(jar, token.address) == m.owed(token.address)
        for account, asset in sorted(m.touched):
            self._check_account(account, asset)
        logs = receipt.events if receipt is not None else []
        attempts = [
            (log.contract_address, bytes(log.selector), log.succeeded, bytes(log.revertSelector))
            for log in logs
            if log.event_name == "ReentryAttempted"
        ]
        assert attempts == [(a, s, False, refused) for a, s, refused in m.attempts]
        deferred = [
            (log.account, log.token, log.amount) for log in logs if log.event_name == "PaymentDeferred"
        ]
        assert deferred == m.deferred
        self.world.coverage["re-entry refused"] += len(attempts)
        self.world.coverage["credit"] += len(deferred)
        self.in_step = False

    def _check_account(self, account: str, asset: str) -> None:
        held = self.world.holding(account, asset)
        assert held == self.model.holdings[account, asset], f"{account} holds {held} of {asset}"
        pending = self.world.credit(account, asset)
        assert pending == self.model.credits[account, asset], f"{account} is owed {pending} of {asset}"

    def _check_split(self, creator: str) -> None:
        accounts, bps = self.world.reader.call(
            self.world.jar.address, "splitOf(address)", creator, returns=("address[]", "uint16[]")
        )
        assert list(zip(addresses(accounts), bps, strict=False)) == self.model.splits.get(creator, [])

    def _check_everything(self) -> None:
        self.model.begin()
        self._check_step(None)
        for account in self.world.actors:
            for asset in self.world.assets.values():
                self._check_account(account, asset)
            self._check_split(account)

    # Helpers

    def _addr(self, index: int) -> str:
        return self.world.actors[index]

    def _contract(self, index: int):
        return self.world.contracts[index - N_EOAS]

    def _creator(self, data) -> str:
        """A creator to tip: half the time one with a split, if there is one."""
        with_split = sorted(c for c, split in self.model.splits.items() if split)
        if with_split and data.draw(st.booleans()):
            return data.draw(st.sampled_from(with_split))
        return self._addr(data.draw(actors))

    def _withdrawable(self):
        """(account, asset) credits that their holder can withdraw (the burner cannot send)."""
        return [
            (a, asset)
            for (a, asset), amount in self.model.credits.items()
            if amount and self.model.kinds[a] != "burner"
        ]


# ── The test ───────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def jar_world(project, tipjar, erc20, owner, accounts):
    eoas = [accounts[i] for i in range(3, 3 + N_EOAS)]
    reentrants = [owner.deploy(project.MockReentrant) for _ in REENTRANT]
    burner = owner.deploy(project.MockGasBurner)
    blocking = owner.deploy(project.MockBlockingERC20)
    tokens = {"musd": erc20, "blk": blocking}
    for contract in reentrants:
        owner.transfer(contract, CONTRACT_FUNDS)
    for token in tokens.values():
        for eoa in eoas:
            token.mint(eoa, TOKEN_FUNDS, sender=owner)
            token.approve(tipjar, 2**256 - 1, sender=eoa)
        for contract in reentrants:
            token.mint(contract, TOKEN_FUNDS, sender=owner)
            contract.execute(token, 0, token.approve.encode_input(tipjar, 2**256 - 1), sender=owner)
    # Where every sequence starts: credits already held (which also prove the storage slots
    # read below), and the contracts set up for the attacks, so a sequence reaches them at once.
    r0, r1, r2 = (c.address for c in reentrants)
    e = [a.address for a in eoas]
    tipjar.tip(burner, POST, "", value=12_345, sender=eoas[0])  # the burner refuses ether
    blocking.setBlocked(e[4], sender=owner)  # and the blocking token refuses e[4]
    tipjar.tipToken(blocking, e[4], 678, POST, "", sender=eoas[0])
    baseline = Baseline(
        # r0 is the review's exploit: itself first in its own split, re-entering to rewrite it.
        splits={
            r0: [(r0, 9_999), (e[1], 1)],
            r2: [(r1, 5_000), (burner.address, 2_500), (r2, 2_500)],
            e[3]: [(r2, 3_000), (e[4], 7_000)],
        },
        armed={
            r0: jar_call(tipjar.setSplit, [e[1], e[2]], [1, 9_999]),
            r1: jar_call(tipjar.withdraw, ETH, r1),
            r2: jar_call(tipjar.tip, e[0], POST, "again", value=10**15),
        },
        rejecting={r1},
        blocked=e[4],
    )
    for creator, split in baseline.splits.items():
        args = ([a for a, _ in split], [b for _, b in split])
        if creator in e:
            tipjar.setSplit(*args, sender=eoas[e.index(creator)])
        else:
            reentrants[[r0, r1, r2].index(creator)].execute(
                tipjar, 0, tipjar.setSplit.encode_input(*args), sender=owner
            )
    for contract in reentrants:
        if contract.address in baseline.armed:
            call = baseline.armed[contract.address]
            contract.arm(tipjar, call.data, call.value, sender=owner)
        contract.setRejectEth(contract.address in baseline.rejecting, sender=owner)
    reader = Reader(owner.address)
    world = JarWorld(
        project,
        tipjar,
        tokens,
        owner,
        eoas,
        [*reentrants, burner],
        reader,
        error_names(project),
        baseline,
        {},
    )
    for account in world.actors:
        for name, asset in world.assets.items():
            world.holdings[account, asset] = world.holding(account, asset)
            if name != "eth":
                assert world.holdings[account, asset] == tokens[name].balanceOf(account)
            world.credits[account, asset] = world.credit(account, asset)
            assert world.credits[account, asset] == tipjar.pendingWithdrawal(account, asset)
    assert world.credits[burner.address, ETH] == 12_345
    assert world.credits[eoas[-1].address, blocking.address] == 678
    return world


def test_tip_jar_state_machine(jar_world):
    TipJarMachine.world = jar_world
    run_machine(
        TipJarMachine,
        jar_world.coverage,
        ("split tip", "re-entry refused", "credit", "revert TipJarNothingToWithdraw"),
    )
