"""Unlock challenges: EIP-4361 text, strict parsing, and each refusal with its own reason."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import ChallengeRefused, GateRefused
from node.gating import Challenger, NonceBook, SiweMessage, post_resource
from node.grants import SqliteNonceBook

from .conftest import FakeClock

DOMAIN = "node.example"
URI = "https://node.example/v1/unlock"
CHAIN = 31337
TTL = timedelta(minutes=5)

# The three examples from the EIP text, byte for byte.
EIP_BODY = """0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ExampleOrg Terms of Service: https://example.com/tos

URI: https://example.com/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json"""
EIP_EXAMPLES = [
    f"{origin} wants you to sign in with your Ethereum account:\n{EIP_BODY}"
    for origin in ("example.com", "example.com:3388", "https://example.com")
]


def _sign(account: LocalAccount, text: str) -> bytes:
    return bytes(account.sign_message(encode_defunct(text=text)).signature)


def _challenger(clock: FakeClock, nonces: NonceBook, **overrides: object) -> Challenger:
    args: dict[str, object] = {
        "domain": DOMAIN,
        "uri": URI,
        "chain_id": CHAIN,
        "nonces": nonces,
        "ttl": TTL,
        "clock": clock,
    }
    args.update(overrides)
    return Challenger(**args)  # type: ignore[arg-type]


def _refused(reason: str, call: object, *args: object) -> ChallengeRefused:
    with pytest.raises(ChallengeRefused) as info:
        call(*args)  # type: ignore[operator]
    assert info.value.reason == reason, str(info.value)
    assert isinstance(info.value, GateRefused)
    return info.value


# --- message text ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", EIP_EXAMPLES, ids=["implicit", "port", "scheme"])
def test_eip_examples_parse_and_render_back(text: str) -> None:
    message = SiweMessage.parse(text)
    assert message.address == "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert message.chain_id == 1 and message.nonce == "32891756"
    assert message.issued_at == datetime(2021, 9, 30, 16, 25, 24, tzinfo=UTC)
    assert len(message.resources) == 2
    assert message.to_text() == text


def test_issued_challenge_has_the_documented_shape(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    text = _challenger(clock, nonces).issue(holder.address, post_id)
    lines = text.split("\n")
    assert lines[0] == f"{DOMAIN} wants you to sign in with your Ethereum account:"
    assert lines[1] == holder.address and lines[2] == "" and lines[4] == ""
    assert lines[5:10] == [
        f"URI: {URI}",
        "Version: 1",
        f"Chain ID: {CHAIN}",
        lines[8],
        "Issued At: 2026-11-22T01:00:00Z",
    ]
    assert lines[8].startswith("Nonce: ") and len(lines[8]) == len("Nonce: ") + 32
    assert lines[10:] == [
        "Expiration Time: 2026-11-22T01:05:00Z",
        "Resources:",
        f"- {post_resource(post_id)}",
    ]
    assert not text.endswith("\n")
    assert SiweMessage.parse(text).to_text() == text


def test_optional_fields_round_trip() -> None:
    message = SiweMessage(
        domain="127.0.0.1:8000",
        address="0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        uri="http://127.0.0.1:8000/v1/unlock",
        chain_id=1,
        nonce="abcdefgh12",
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        scheme="http",
        expiration_time=datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
        not_before=datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=UTC),
        request_id="req-42",
    )
    text = message.to_text()
    # no statement: the ABNF leaves two blank lines between the address and the URI
    assert "\n\n\nURI: " in text and "Not Before: 2026-01-01T00:00:01.5Z" in text
    assert SiweMessage.parse(text) == message


def test_other_rfc3339_forms_are_read() -> None:
    text = EIP_EXAMPLES[0].replace("2021-09-30T16:25:24Z", "2021-09-30T18:25:24.000+02:00")
    assert SiweMessage.parse(text).issued_at == datetime(2021, 9, 30, 16, 25, 24, tzinfo=UTC)


BASE = EIP_EXAMPLES[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BASE + "\n", "line 14"),  # trailing newline: not in the ABNF
        (BASE.replace("\n", "\r\n"), "line 1"),
        (BASE.replace(" wants you to sign in", " would like you to sign in"), "line 1"),
        (
            BASE.replace(
                "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
            ),
            "EIP-55",
        ),
        (BASE.replace("Version: 1", "Version: 2"), "version"),
        (BASE.replace("Version: 1\n", ""), "line 7: expected 'Version:'"),
        (BASE.replace("Chain ID: 1", "Chain ID: 01"), "chain id"),
        (BASE.replace("Nonce: 32891756", "Nonce: 1234567"), "nonce"),
        (BASE.replace("Nonce: 32891756", "Nonce: 3289-1756"), "nonce"),
        (BASE.replace("2021-09-30T16:25:24Z", "2021-09-30 16:25:24"), "RFC 3339"),
        (BASE.replace("2021-09-30T16:25:24Z", "2021-02-30T16:25:24Z"), "real date-time"),
        (BASE.replace("Resources:", "Resources: extra"), "Resources:"),
        (BASE.replace("- ipfs://", "* ipfs://"), "resource line"),
        (BASE.replace("- ipfs://", "- not a uri "), "resources[0]"),
        (BASE.replace("Terms of Service", "Terms of Service 100%"), "statement"),
        (BASE.replace("example.com wants", "user@example.com wants"), "domain"),
        (BASE.replace("URI: https", "URI:https"), "expected 'URI:'"),
        ("x" * 5000, "exceeds"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_parse_is_strict(text: str, words: str) -> None:
    refusal = _refused("malformed", SiweMessage.parse, text)
    assert words in str(refusal)


statements = st.text(alphabet="abcXYZ019 -._~:/?#[]@!$&'()*+,;=", max_size=80)


@settings(max_examples=100, deadline=None)
@given(
    statement=st.none() | statements,
    chain_id=st.integers(1, 2**63),
    nonce=st.text(alphabet="abcdefXYZ0123456789", min_size=8, max_size=40),
    seconds=st.integers(0, 4_000_000_000),
    resources=st.lists(st.sampled_from(["mecenate:post:0xab", "https://a.example/x?y=1#z"]), max_size=3),
)
def test_render_then_parse_is_identity(
    statement: str | None, chain_id: int, nonce: str, seconds: int, resources: list[str]
) -> None:
    issued = datetime.fromtimestamp(seconds, UTC)
    message = SiweMessage(
        domain="node.example",
        address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        uri=URI,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued,
        statement=statement,
        expiration_time=issued + TTL,
        resources=tuple(resources),
    )
    assert SiweMessage.parse(message.to_text()) == message


# --- verification ----------------------------------------------------------------------------


def test_valid_challenge_unlocks_once(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    text = challenger.issue(holder.address, post_id)
    signature = _sign(holder, text)
    clock.advance(TTL - timedelta(seconds=1))
    assert challenger.verify(text, signature, post_id) == holder.address
    _refused("replayed", challenger.verify, text, signature, post_id)
    fresh = challenger.issue(holder.address, post_id)  # a new challenge works; hex signatures too
    assert challenger.verify(fresh, "0x" + _sign(holder, fresh).hex(), post_id) == holder.address


def test_expired_challenge_is_refused(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    text = challenger.issue(holder.address, post_id)
    clock.advance(TTL)
    _refused("expired", challenger.verify, text, _sign(holder, text), post_id)


def test_nonce_expiry_holds_even_if_the_text_claims_longer(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    issued = SiweMessage.parse(challenger.issue(holder.address, post_id))
    stretched = SiweMessage(**{**_fields(issued), "expiration_time": issued.issued_at + timedelta(days=1)})
    text = stretched.to_text()
    clock.advance(TTL + timedelta(seconds=1))
    _refused("expired", challenger.verify, text, _sign(holder, text), post_id)


def _fields(message: SiweMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in SiweMessage.__dataclass_fields__}


def test_wrong_signer_is_refused_and_does_not_burn_the_nonce(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    text = challenger.issue(holder.address, post_id)
    _refused("wrong_signer", challenger.verify, text, _sign(Account.create(), text), post_id)
    _refused("bad_signature", challenger.verify, text, b"\x00" * 65, post_id)
    _refused("bad_signature", challenger.verify, text, b"\x00" * 64, post_id)
    _refused("bad_signature", challenger.verify, text, "0xnothex", post_id)
    assert challenger.verify(text, _sign(holder, text), post_id) == holder.address


def test_text_changed_after_signing_is_refused(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    text = challenger.issue(holder.address, post_id)
    signature = _sign(holder, text)
    edited = text.replace("This moves no funds.", "This moves no funds!")
    _refused("wrong_signer", challenger.verify, edited, signature, post_id)


def test_wrong_domain_uri_chain_and_post_are_refused(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    ours = _challenger(clock, nonces)
    # the other sites share nothing with us but, here, the nonce book
    for reason, other in [
        ("wrong_domain", _challenger(clock, nonces, domain="evil.example")),
        ("wrong_uri", _challenger(clock, nonces, uri="https://node.example/other")),
        ("wrong_chain", _challenger(clock, nonces, chain_id=1)),
    ]:
        text = other.issue(holder.address, post_id)
        _refused(reason, ours.verify, text, _sign(holder, text), post_id)
    text = ours.issue(holder.address, post_id)
    _refused("wrong_resource", ours.verify, text, _sign(holder, text), os.urandom(32))
    scheme = SiweMessage(**{**_fields(SiweMessage.parse(text)), "scheme": "ftp"}).to_text()
    _refused("wrong_domain", ours.verify, scheme, _sign(holder, scheme), post_id)


def test_nonce_not_issued_here_is_refused(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    own = SiweMessage.parse(challenger.issue(holder.address, post_id))
    forged = SiweMessage(**{**_fields(own), "nonce": "madeupnonce123"}).to_text()
    _refused("unknown_nonce", challenger.verify, forged, _sign(holder, forged), post_id)


def test_time_bounds(clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook) -> None:
    challenger = _challenger(clock, nonces)
    own = SiweMessage.parse(challenger.issue(holder.address, post_id))
    for change, reason in [
        ({"expiration_time": None}, "malformed"),
        ({"not_before": clock.now + timedelta(minutes=1)}, "not_yet_valid"),
        ({"issued_at": clock.now + timedelta(minutes=2)}, "not_yet_valid"),
    ]:
        text = SiweMessage(**{**_fields(own), **change}).to_text()
        _refused(reason, challenger.verify, text, _sign(holder, text), post_id)


def test_a_nonce_serves_only_its_own_address_and_post(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    """A nonce issued for one address and post, put into a challenge for another address or
    another post and signed by that address, is refused, and stays usable by its own."""
    challenger = _challenger(clock, nonces)
    own = SiweMessage.parse(challenger.issue(holder.address, post_id))
    thief, other_post = Account.create(), os.urandom(32)
    for address, post in (
        (thief.address, post_id),
        (holder.address, other_post),
        (thief.address, other_post),
    ):
        text = SiweMessage(
            **{**_fields(own), "address": address, "resources": (post_resource(post),)}
        ).to_text()
        signer = thief if address == thief.address else holder
        _refused("nonce_mismatch", challenger.verify, text, _sign(signer, text), post)
    assert challenger.verify(own.to_text(), _sign(holder, own.to_text()), post_id) == holder.address


def test_a_refused_request_issues_no_nonce(
    clock: FakeClock, holder: LocalAccount, post_id: bytes, nonces: SqliteNonceBook
) -> None:
    challenger = _challenger(clock, nonces)
    for _ in range(3):
        with pytest.raises(ValueError, match="address"):
            challenger.issue(holder.address.lower(), post_id)
    assert nonces.outstanding() == 0
    challenger.issue(holder.address, post_id)


def test_challenger_validates_its_settings(clock: FakeClock, nonces: SqliteNonceBook) -> None:
    with pytest.raises(ValueError, match="domain"):
        _challenger(clock, nonces, domain="https://node.example")
    with pytest.raises(ValueError, match="statement"):
        _challenger(clock, nonces, statement="line one\nline two")
    with pytest.raises(ValueError, match="ttl"):
        _challenger(clock, nonces, ttl=timedelta(0))
    with pytest.raises(ValueError, match="address"):
        _challenger(clock, nonces).issue("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", os.urandom(32))
