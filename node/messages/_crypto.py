"""Keccak-256, EIP-55 checksums and secp256k1 recovery, the fast way.

Keccak comes from ``safe-pysha3`` (C, about 5x faster than eth-hash's pycryptodome backend
here) with pycryptodome as the fallback. Recovery calls libsecp256k1 through coincurve.
"""

from __future__ import annotations

import threading

from coincurve import PrivateKey
from coincurve._libsecp256k1 import ffi as _ffi  # type: ignore[import-not-found]  # cffi module, no stubs
from coincurve._libsecp256k1 import lib as _lib
from coincurve.context import GLOBAL_CONTEXT as _GLOBAL_CONTEXT

try:  # pragma: no cover - which branch runs depends on the install
    from sha3 import keccak_256  # type: ignore[import-untyped]  # safe-pysha3 ships no type information

    def keccak(data: bytes) -> bytes:
        return keccak_256(data).digest()

except ImportError:  # pragma: no cover
    from Crypto.Hash import keccak as _ck

    def keccak_256(data: bytes = b""):
        """Same interface as pysha3's: ``keccak_256(data).digest()``."""
        return _ck.new(data=data, digest_bits=256)

    def keccak(data: bytes) -> bytes:
        return _ck.new(data=data, digest_bits=256).digest()


#: secp256k1 group order, and half of it: signatures with s above the half are malleable
#: twins of a low-s signature and are refused so that the wire form stays canonical.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2

_checksums: dict[bytes, str] = {}
_CHECKSUM_CACHE_MAX = 200_000


def checksum_address(raw: bytes) -> str:
    """EIP-55 mixed-case form of a 20-byte address (cached: authors repeat)."""
    cached = _checksums.get(raw)
    if cached is not None:
        return cached
    lower = raw.hex()
    h = keccak(lower.encode()).hex()
    out = "0x" + "".join(c.upper() if h[i] in "89abcdef" else c for i, c in enumerate(lower))
    if len(_checksums) >= _CHECKSUM_CACHE_MAX:
        _checksums.clear()
    _checksums[raw] = out
    return out


def public_key_to_address(uncompressed: bytes) -> bytes:
    """The 20-byte address of a 65-byte uncompressed public key."""
    return keccak(uncompressed[1:])[12:]


# libsecp256k1 is called directly (through coincurve's cffi binding) with buffers reused per
# thread: coincurve's object API allocates four cffi objects and a PublicKey per call, which
# costs about a tenth of the recovery itself.
_CTX = _GLOBAL_CONTEXT.ctx
_parse_compact = _lib.secp256k1_ecdsa_recoverable_signature_parse_compact
_recover = _lib.secp256k1_ecdsa_recover
_serialize = _lib.secp256k1_ec_pubkey_serialize
_UNCOMPRESSED = _lib.SECP256K1_EC_UNCOMPRESSED
_tls = threading.local()


def _buffers() -> tuple:
    b = getattr(_tls, "b", None)
    if b is None:
        out = _ffi.new("unsigned char[65]")
        b = _tls.b = (
            _ffi.new("secp256k1_ecdsa_recoverable_signature *"),
            _ffi.new("secp256k1_pubkey *"),
            out,
            _ffi.new("size_t *", 65),
            _ffi.buffer(out, 65),
        )
    return b


def recover_address(digest: bytes, rsv: bytes) -> bytes:
    """The 20-byte address whose key made the 65-byte ``r||s||v`` signature over ``digest``.

    ``v`` is 27 or 28. Raises ``ValueError`` when the signature does not recover to a key.
    """
    rsig, pub, out, outlen, buf = _buffers()
    if not _parse_compact(_CTX, rsig, rsv, rsv[64] - 27) or not _recover(_CTX, pub, rsig, digest):
        raise ValueError("signature does not recover to a public key")
    outlen[0] = 65
    _serialize(_CTX, out, outlen, pub, _UNCOMPRESSED)
    return keccak_256(buf[1:]).digest()[12:]


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """A 65-byte ``r||s||v`` (v = 27/28, low s) signature of ``digest``."""
    sig = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return sig[:64] + bytes((sig[64] + 27,))


def private_key_to_address(private_key: bytes) -> bytes:
    return public_key_to_address(PrivateKey(private_key).public_key.format(compressed=False))


def address_of_key(private_key: bytes) -> str:
    """The checksummed address of a secp256k1 private key (32 bytes, 0 < key < n).

    Raises ``ValueError`` when ``private_key`` is not such a key.
    """
    if len(private_key) != 32 or not 0 < int.from_bytes(private_key, "big") < SECP256K1_N:
        raise ValueError("a private key is 32 bytes in the secp256k1 range")
    return checksum_address(private_key_to_address(private_key))
