"""Fixtures for the grants tests: the gating tests' movable clock, accounts and addresses."""

from __future__ import annotations

from tests.gating.conftest import AUTHOR, CHAIN, TOKEN_A, TOKEN_B, FakeClock, clock, holder, post_id

__all__ = ["AUTHOR", "CHAIN", "TOKEN_A", "TOKEN_B", "FakeClock", "clock", "holder", "post_id"]
