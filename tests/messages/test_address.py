"""The node's one address rule (normalize_address): what message fields, chain arguments,
keyrings and deployment files all accept, and the errors that name the caller's parameter."""

from __future__ import annotations

import pytest

from node.errors import InvalidInput, InvalidMessage
from node.messages import Reason, coerce_address, normalize_address

CHECKSUMMED = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.mark.parametrize(
    "given",
    [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper(), bytes.fromhex(CHECKSUMMED[2:])],
)
def test_every_accepted_form_comes_back_checksummed(given) -> None:
    assert normalize_address(given) == CHECKSUMMED


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (CHECKSUMMED[:-1] + "A", "checksum"),  # mixed case, wrong EIP-55 checksum
        (CHECKSUMMED[2:], "0x-prefixed"),  # no prefix
        (CHECKSUMMED + "00", "0x-prefixed"),  # 21 bytes
        ("0x" + "zz" * 20, "hex"),
        (b"\x01" * 19, "20 bytes"),
        (None, "0x-prefixed"),
        (1234, "0x-prefixed"),
    ],
)
def test_anything_else_is_refused_naming_the_parameter(given, why) -> None:
    with pytest.raises(InvalidInput, match=f"creator: .*{why}"):
        normalize_address(given, "creator")


def test_a_message_field_fails_as_bad_field() -> None:
    with pytest.raises(InvalidMessage) as caught:
        coerce_address(CHECKSUMMED[:-1] + "A", "target")
    assert caught.value.reason == Reason.BAD_FIELD and "target" in caught.value.detail
