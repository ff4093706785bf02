"""Fixtures for every test of the node."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _process_as_it_was() -> Iterator[None]:
    """A node sets two things for its whole process (``node.loopwatch``): it freezes the heap
    once its long-lived state is built (``gc.freeze``) and shortens the GIL's switch interval.
    A test process starts hundreds of nodes and throws each away, so each test thaws what was
    frozen, for the collector to see again, and puts the switch interval back."""
    interval = sys.getswitchinterval()
    yield
    gc.unfreeze()
    sys.setswitchinterval(interval)
