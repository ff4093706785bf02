"""node.gating exposes nothing public beyond its pinned names (tests/test_exports.py) and submodules."""

from __future__ import annotations

import node.gating
from tests.test_exports import PUBLIC

EXPECTED = set(PUBLIC["node.gating"])
SUBMODULES = {"challenge", "content", "gate", "keywrap", "siwe"}
#: Names gating re-exports from the layer below: a gate's tree and encoding, and the check of a
#: published encryption key, are message formats (node.messages.gate, node.messages.sealed).
FROM_MESSAGES = {"All", "Any", "Balance", "Gate", "encode_gate", "parse_gate", "load_public_key"}
#: Type aliases, which carry no module of their own.
ALIASES = {"Clock", "Gate"}


def test_every_public_attribute_is_exported_and_importable() -> None:
    public = {name for name in dir(node.gating) if not name.startswith("_")}
    assert public - SUBMODULES == EXPECTED
    for name in EXPECTED:
        value = getattr(node.gating, name)
        module = getattr(value, "__module__", "node.gating")
        below = name in FROM_MESSAGES and module.startswith("node.messages")
        assert module.startswith("node.gating") or below or name in ALIASES, name
