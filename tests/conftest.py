"""Fixtures for every test of the node."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _thawed_heap() -> Iterator[None]:
    """A node freezes the heap once its long-lived state is built (``gc.freeze``: its process
    lives as long as that state). A test process starts hundreds of nodes and throws each away,
    so each test thaws what was frozen, and the collector sees it again."""
    yield
    gc.unfreeze()
