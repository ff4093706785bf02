"""The creator tokens' bonding curve, as pure functions (the contract's arithmetic, in Python).

The marginal price of one whole token at supply ``s`` (base units, 18 decimals) is
``base + slope * s / 1e18`` wei; the reserve backing supply ``s`` is the area under that line,
rounded up as the contract rounds it (the curve never owes more than it holds).
"""

from __future__ import annotations

#: Base units in one whole token (18 decimals).
WAD = 10**18


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def price(base: int, slope: int, supply: int) -> int:
    """Marginal price in wei of one whole token at ``supply`` base units."""
    return base + slope * supply // WAD


def reserve(base: int, slope: int, supply: int) -> int:
    """Wei the curve holds for ``supply`` base units: the integral of :func:`price`, rounded up."""
    return _ceil_div(base * supply, WAD) + _ceil_div(slope * supply * supply, 2 * WAD * WAD)
