"""EIP-2612 permits, signed locally: the one place the ``Permit`` typed data is written down."""

from __future__ import annotations

from eth_account import Account

from ._abi import params

PERMIT_TYPES = {
    "Permit": params("address owner", "address spender", "uint256 value", "uint256 nonce", "uint256 deadline")
}


def sign_permit(
    private_key: bytes | str,
    *,
    token_name: str,
    token: str,
    chain_id: int,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
    version: str = "1",
) -> tuple[int, bytes, bytes]:
    """Sign an EIP-2612 permit letting ``spender`` move ``value`` of ``owner``'s ``token``;
    returns ``(v, r, s)`` as ``permit`` / ``tipTokenWithPermit`` take them. The domain is the
    token's own (``name``, ``version``, chain id, the token's address)."""
    signed = Account.sign_typed_data(
        private_key,
        domain_data={"name": token_name, "version": version, "chainId": chain_id, "verifyingContract": token},
        message_types=PERMIT_TYPES,
        message_data={
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    )
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
