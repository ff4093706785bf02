"""Revert data in words, and web3 errors translated at the boundary (no chain needed)."""

from __future__ import annotations

import pytest
import requests
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector
from web3 import exceptions as w3x

from node.chain import format_wei, max_cost, min_proceeds
from node.chain._revert import RevertDecoder, translate
from node.errors import ChainError, ChainUnavailable, ContractReverted, InvalidInput, SlippageExceeded
from node.redact import url_secrets


@pytest.fixture(scope="module")
def decoder(artifacts):
    return RevertDecoder(artifacts.errors())


def data(signature, types, values):
    return "0x" + (selector(signature) + encode(types, values)).hex()


def test_format_wei_is_exact():
    assert format_wei(12 * 10**17) == "1.2 ETH"
    assert format_wei(10**18) == "1 ETH"
    assert format_wei(0) == "0 ETH"
    assert format_wei(1) == "0.000000000000000001 ETH"
    assert format_wei(123 * 10**18 + 1) == "123.000000000000000001 ETH"


def test_slippage_errors_read_like_the_issue(decoder):
    err = decoder.decode(
        data("CreatorTokenMaxCostExceeded(uint256,uint256)", ["uint256"] * 2, [12 * 10**17, 11 * 10**17])
    )
    assert isinstance(err, SlippageExceeded)
    assert str(err) == "slippage: cost 1.2 ETH exceeds maxCost 1.1 ETH"
    err = decoder.decode(
        data("CreatorTokenMinProceedsNotMet(uint256,uint256)", ["uint256"] * 2, [10**17, 2 * 10**17])
    )
    assert isinstance(err, SlippageExceeded)
    assert str(err) == "slippage: proceeds 0.1 ETH below minProceeds 0.2 ETH"


def test_other_errors(decoder):
    err = decoder.decode(data("TipJarMemoTooLong(uint256,uint256)", ["uint256"] * 2, [300, 280]))
    assert type(err) is ContractReverted and str(err) == "memo: 300 bytes, over the maximum 280"
    assert (err.error, err.params) == ("TipJarMemoTooLong", {"length": 300, "max": 280})
    assert str(decoder.decode(data("Error(string)", ["string"], ["nope"]))) == "reverted: nope"
    assert (
        str(decoder.decode(data("Panic(uint256)", ["uint256"], [0x11])))
        == "panic: arithmetic overflow or underflow"
    )
    assert str(decoder.decode("0xdeadbeef")) == "reverted with unknown error 0xdeadbeef"
    assert str(decoder.decode("0x")) == "reverted without a reason"
    # An error the table does not word still shows its name and arguments.
    err = decoder.decode(
        data("InvalidAccountNonce(address,uint256)", ["address", "uint256"], ["0x" + "11" * 20, 3])
    )
    assert (
        str(err)
        == "reverted with InvalidAccountNonce(account=0x1111111111111111111111111111111111111111, currentNonce=3)"
    )


def test_collective_errors_read_in_words(decoder):
    """The governor's and the timelock's (OpenZeppelin's) errors are in the manifest like the
    shares' own: their enums and state bitmaps come out as words."""
    queued_or_succeeded = (1 << 4 | 1 << 5).to_bytes(32, "big")
    err = decoder.decode(
        data(
            "GovernorUnexpectedProposalState(uint256,uint8,bytes32)",
            ["uint256", "uint8", "bytes32"],
            [42, 1, queued_or_succeeded],
        )
    )
    assert str(err) == "proposal 42: its state is active, this needs succeeded or queued"
    assert err.params == {"proposalId": 42, "current": 1, "expectedStates": "0x" + queued_or_succeeded.hex()}
    ready = (1 << 2).to_bytes(32, "big")
    err = decoder.decode(
        data(
            "TimelockUnexpectedOperationState(bytes32,bytes32)", ["bytes32", "bytes32"], [b"\x01" * 32, ready]
        )
    )
    assert str(err) == f"timelock: operation 0x{'01' * 32} is not ready (queued, and its delay passed?)"
    who = "0x" + "11" * 20
    words = {
        (
            "GovernorNonexistentProposal(uint256)",
            ("uint256",),
            (7,),
        ): "proposal 7: this collective's governor has no such proposal",
        (
            "GovernorAlreadyCastVote(address)",
            ("address",),
            (who,),
        ): f"vote: {who} has already voted on this proposal",
        (
            "GovernorInsufficientProposerVotes(address,uint256,uint256)",
            ("address", "uint256", "uint256"),
            (who, 0, 1),
        ): f"propose: {who} has 0 votes, proposing takes 1",
        (
            "CollectiveSharesNothingToClaim(address,address)",
            ("address", "address"),
            (who, "0x" + "00" * 20),
        ): (f"claim: nothing of ether for {who} to claim"),
        ("CollectiveSharesNothingToClaim(address,address)", ("address", "address"), (who, who)): (
            f"claim: nothing of token {who} for {who} to claim"
        ),
        ("CollectiveFactoryNoFounders()", (), ()): "launch: a collective needs at least one founder",
        ("OwnableUnauthorizedAccount(address)", ("address",), (who,)): (
            f"unauthorized: {who} is not the owner (a collective's shares change only by its members' vote)"
        ),
    }
    for (signature, types, values), said in words.items():
        assert str(decoder.decode(data(signature, list(types), list(values)))) == said.replace(
            who, "0x1111111111111111111111111111111111111111"
        )


def test_translate_keeps_the_cause(decoder):
    cases = [
        (
            w3x.ContractCustomError("x", data=data("CreatorTokenZeroAmount()", [], [])),
            ContractReverted,
            "amount: must be more than zero",
        ),
        (w3x.ContractLogicError("execution reverted: boom"), ContractReverted, "reverted: boom"),
        (requests.exceptions.ConnectionError("refused"), ChainUnavailable, "buy: chain RPC unreachable"),
        (w3x.TimeExhausted("slow"), ChainUnavailable, "buy: timed out waiting for the transaction receipt"),
        (
            w3x.Web3RPCError("insufficient funds for gas * price + value"),
            ChainError,
            "buy: insufficient funds for gas * price + value",
        ),
    ]
    for raised, kind, text in cases:
        with pytest.raises(kind) as caught, translate(decoder, "buy"):
            raise raised
        assert str(caught.value) == text
        assert caught.value.__cause__ is raised
    with pytest.raises(InvalidInput), translate(decoder, "buy"):
        raise InvalidInput("passes through")


def test_slippage_bounds():
    assert max_cost(10_000, 100) == 10_100
    assert max_cost(10_001, 100) == 10_102  # rounded up: never tighter than asked
    assert min_proceeds(10_000, 100) == 9_900
    assert min_proceeds(10_001, 100) == 9_900  # rounded down
    assert max_cost(5, 0) == 5 and min_proceeds(5, 10_000) == 0
    with pytest.raises(InvalidInput, match="slippage_bps"):
        max_cost(5, -1)


def test_translate_never_echoes_the_endpoint(decoder):
    """requests names the full URL (hosted RPC URLs carry API keys): our words replace it."""
    url = "https://rpc.example/v3/SUPERSECRETKEY123"
    response = requests.Response()
    response.status_code, response.url = 429, url
    cases = [
        (
            requests.exceptions.HTTPError(
                f"429 Client Error: Too Many Requests for url: {url}", response=response
            ),
            ChainUnavailable,
            "read balanceOf: chain RPC answered HTTP 429 (rate limited)",
        ),
        (
            requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='rpc.example', port=443): Max retries "
                "exceeded with url: /v3/SUPERSECRETKEY123"
            ),
            ChainUnavailable,
            "read balanceOf: chain RPC unreachable",
        ),
        (
            requests.exceptions.ReadTimeout(f"read timed out: {url}"),
            ChainUnavailable,
            "read balanceOf: chain RPC did not answer in time",
        ),
        (
            w3x.Web3RPCError(f"quota exceeded for /v3/SUPERSECRETKEY123 at {url}"),
            ChainError,
            "read balanceOf: quota exceeded for <redacted> at https://rpc.example:443",
        ),
    ]
    for raised, kind, text in cases:
        with pytest.raises(kind) as caught, translate(decoder, "read balanceOf", secrets=url_secrets(url)):
            raise raised
        assert str(caught.value) == text
        assert caught.value.__cause__ is raised


def _zero(kind: str):  # type: ignore[no-untyped-def]
    """A value of ABI type ``kind`` (the simplest one)."""
    if kind.endswith("]"):
        return []
    if kind == "address":
        return "0x" + "00" * 20
    if kind.startswith("bytes") and kind != "bytes":
        return bytes(int(kind[5:]))
    return {"bool": False, "string": "", "bytes": b""}.get(kind, 0)


def test_every_error_of_every_contract_decodes_by_name(decoder, artifacts):
    """Each custom error in the manifest (the governor's and the timelock's, OpenZeppelin's,
    included) comes back by its name, and its words format (a template naming a parameter the
    error lacks would fail here)."""
    for entry in artifacts.errors():
        types = [i["type"] for i in entry["inputs"]]
        values = [_zero(t) for t in types]
        err = decoder.decode(data(f"{entry['name']}({','.join(types)})", types, values))
        assert err.error == entry["name"], (entry, str(err))
        assert "unknown error" not in str(err) and "undecodable" not in str(err)
