"""node.gating exposes nothing public beyond its pinned names (tests/test_exports.py) and submodules."""

from __future__ import annotations

import node.gating
from tests.test_exports import PUBLIC

EXPECTED = set(PUBLIC["node.gating"])
SUBMODULES = {"challenge", "content", "gate", "keywrap"}


def test_every_public_attribute_is_exported_and_importable() -> None:
    public = {name for name in dir(node.gating) if not name.startswith("_")}
    assert public - SUBMODULES == EXPECTED
    for name in EXPECTED:
        value = getattr(node.gating, name)
        module = getattr(value, "__module__", "node.gating")
        assert module.startswith("node.gating") or name == "Gate", name
