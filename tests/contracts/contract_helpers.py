"""Shared constants and Python models for the contract tests (imported by name: conftest.py puts
this folder on sys.path, since the project runs pytest with --import-mode=importlib)."""

from dataclasses import dataclass

from eth_utils import keccak

from node.chain import sign_permit

# Curve parameters used by the tests (and by scripts/deploy.py's defaults).
BASE_PRICE = 10**13  # wei per whole token at zero supply (0.00001 ETH)
SLOPE = 10**12  # wei per whole token per whole token of supply
PROTOCOL_FEE_BPS = 100
CREATOR_FEE_BPS = 500  # CreatorTokenFactory.INITIAL_CREATOR_FEE_BPS
BPS = 10_000
WAD = 10**18
MAX_UINT = 2**256 - 1
# A trade deadline that never passes, for tests about something else (deadlines have their own).
FAR = 2**64


def ceil_div(a, b):
    return -(-a // b)


def reserve_at(supply, base_price=BASE_PRICE, slope=SLOPE):
    """Python model of CreatorToken's R(s)."""
    return ceil_div(base_price * supply, WAD) + ceil_div(slope * supply * supply, 2 * WAD * WAD)


def buy_quote(supply, amount, creator_bps=CREATOR_FEE_BPS, protocol_bps=PROTOCOL_FEE_BPS):
    curve = reserve_at(supply + amount) - reserve_at(supply)
    creator_fee = ceil_div(curve * creator_bps, BPS)
    protocol_fee = ceil_div(curve * protocol_bps, BPS)
    return curve + creator_fee + protocol_fee, curve, creator_fee, protocol_fee


def sell_quote(supply, amount, creator_bps=CREATOR_FEE_BPS, protocol_bps=PROTOCOL_FEE_BPS):
    curve = reserve_at(supply) - reserve_at(supply - amount)
    creator_fee = min(ceil_div(curve * creator_bps, BPS), curve)
    protocol_fee = min(ceil_div(curve * protocol_bps, BPS), curve - creator_fee)
    return curve - creator_fee - protocol_fee, curve, creator_fee, protocol_fee


def permit_signature(token, private_key, owner, spender, value, nonce, deadline, chain_id):
    """EIP-2612 permit for `token`, signed with `private_key`: returns (v, r, s)."""
    return sign_permit(
        private_key,
        token_name=token.name(),
        token=token.address,
        chain_id=chain_id,
        owner=owner,
        spender=spender,
        value=value,
        nonce=nonce,
        deadline=deadline,
    )


# ── Collectives ───────────────────────────────────────────────────────────────────────────────

# The governance of the collectives the tests launch (the `collective_factory` fixture): short, so
# a test drives every stage by mining blocks and moving time. A vote opens 1 block after the
# proposal and lasts 10 blocks; proposing takes 1 share; the quorum is 20 % of the shares; a
# decision waits 1 hour in the timelock.
VOTING_DELAY, VOTING_PERIOD, PROPOSAL_THRESHOLD, QUORUM_PERCENT, TIMELOCK_DELAY = 1, 10, 1, 20, 3600
COLLECTIVE_IMPLEMENTATIONS = ("CollectiveShares", "CollectiveGovernor", "CollectiveTimelock")

# What the collective tests launch for: the zero address as ETH (claims, income), a community,
# its charter's hash, a post tipped, the treasury's part of every income (20 %), and the
# Governor's vote codes.
ETH = "0x0000000000000000000000000000000000000000"
COMMUNITY = keccak(text="community:gardeners")
CHARTER = keccak(text="charter:gardeners:v1")
POST_ID = keccak(text="post:1")
TREASURY_BPS = 2_000
FOR, AGAINST, ABSTAIN = 1, 0, 2

# IGovernor.ProposalState, as `state` returns it.
PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED = range(8)


@dataclass(frozen=True)
class Proposal:
    """One proposal: the calls the timelock makes if it passes, and its description."""

    targets: list
    values: list
    calldatas: list
    description: str

    @property
    def args(self):
        """The arguments of `propose`."""
        return (self.targets, self.values, self.calldatas, self.description)

    @property
    def hashed(self):
        """The arguments of `queue` and `execute`: the description by its hash."""
        return (self.targets, self.values, self.calldatas, keccak(text=self.description))

    def id(self, governor) -> int:
        return governor.getProposalId(*self.hashed)


def call(target, method: str, *args, description: str) -> Proposal:
    """A proposal that the timelock calls `target.method(*args)`."""
    return Proposal([target.address], [0], [getattr(target, method).encode_input(*args)], description)
