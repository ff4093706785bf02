"""Shared constants and Python models for the contract tests (imported by name: conftest.py puts
this folder on sys.path, since the project runs pytest with --import-mode=importlib)."""

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
