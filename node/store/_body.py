"""Packing a message's typed fields (after author and timestamp) into the log's ``body`` blob,
and the message back from its row in the log.

Per field, in declaration order: ``address`` 20 bytes; ``bool`` 1 byte; ``uint64`` 8 bytes
big-endian; ``bytes32`` 1 byte length (0 for all-zero, else 32) then the bytes; ``string``
and ``bytes`` a LEB128 length then the bytes (UTF-8 for strings). Compact, so the log stays
well under the size budget; the wire form is rebuilt from it on demand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

from ..messages import TYPES, TYPES_BY_CODE, MessageType, SignedMessage, checksum_address
from ..messages.kinds import ADDRESS, BOOL, BYTES, BYTES32, STRING, UINT64
from ..varint import decode_leb128, encode_leb128

_ZERO32 = bytes(32)
#: Messages a read decoded, kept by their row (:func:`read_message`): at most this many, each
#: of a body of at most ``DECODED_BODY_MAX_BYTES``, so about 20 MB at most, a few MB for posts
#: of common length.
DECODED_ROWS_KEPT = 4096
DECODED_BODY_MAX_BYTES = 2048


def _p_address(v: str) -> bytes:
    return bytes.fromhex(v[2:])


def _p_bool(v: bool) -> bytes:
    return b"\x01" if v else b"\x00"


def _p_uint64(v: int) -> bytes:
    return v.to_bytes(8, "big")


def _p_bytes32(v: bytes) -> bytes:
    return b"\x00" if v == _ZERO32 else b"\x20" + v


def _p_string(v: str) -> bytes:
    raw = v.encode()
    return encode_leb128(len(raw)) + raw


def _p_bytes(v: bytes) -> bytes:
    return encode_leb128(len(v)) + v


_PACKERS: dict[str, Callable[[Any], bytes]] = {
    ADDRESS: _p_address,
    BOOL: _p_bool,
    UINT64: _p_uint64,
    BYTES32: _p_bytes32,
    STRING: _p_string,
    BYTES: _p_bytes,
}

_ONE_BYTE = tuple(bytes((i,)) for i in range(128))
_PACK_EXPR = {
    # expression packing field ``v[name]``; strings and bytes get a LEB128 length prefix
    ADDRESS: "bytes.fromhex(v[{n!r}][2:])",
    BOOL: "(b'\\x01' if v[{n!r}] else b'\\x00')",
    UINT64: "v[{n!r}].to_bytes(8, 'big')",
    BYTES32: "(b'\\x00' if v[{n!r}] == _ZERO32 else b'\\x20' + v[{n!r}])",
    STRING: "(_ONE_BYTE[len(_{n})] if len(_{n}) < 128 else _varint(len(_{n}))) + _{n}",
    BYTES: "(_ONE_BYTE[len(_{n})] if len(_{n}) < 128 else _varint(len(_{n}))) + _{n}",
}


def _packer(t: MessageType) -> Callable[[Mapping[str, Any]], bytes]:
    """``pack_body`` for one type, compiled from the type table into one expression (hot path)."""
    fields = t.fields[2:]
    pre = "".join(
        f"    _{f.name} = v[{f.name!r}]{'.encode()' if f.kind == STRING else ''}\n"
        for f in fields
        if f.kind in (STRING, BYTES)
    )
    body = " + ".join(_PACK_EXPR[f.kind].format(n=f.name) for f in fields) or "b''"
    src = f"def pack(v):\n{pre}    return {body}\n"
    env = {"_ONE_BYTE": _ONE_BYTE, "_varint": encode_leb128, "_ZERO32": _ZERO32}
    exec(compile(src, f"<pack {t.name}>", "exec"), env)
    return cast(Callable[[Mapping[str, Any]], bytes], env["pack"])


_PACK = {name: _packer(t) for name, t in TYPES.items()}
_KINDS = {t.code: tuple((f.name, f.kind) for f in t.fields[2:]) for t in TYPES.values()}


def pack_body(type_name: str, fields: Mapping[str, Any]) -> bytes:
    return _PACK[type_name](fields)


def _pack_body_generic(type_name: str, fields: Mapping[str, Any]) -> bytes:
    """The same as :func:`pack_body`, one field at a time (the tests compare the two)."""
    return b"".join([_PACKERS[f.kind](fields[f.name]) for f in TYPES[type_name].fields[2:]])


def unpack_body(type_code: int, body: bytes, out: dict[str, Any]) -> dict[str, Any]:
    """Fill ``out`` (which already holds author and timestamp) with the body's fields.

    Every message a read returns passes here, so a length below 128 (one byte, nearly every
    string and ``bytes`` field) is read in place rather than through :func:`decode_leb128`."""
    i = 0
    for name, kind in _KINDS[type_code]:
        if kind == ADDRESS:
            out[name] = checksum_address(body[i : i + 20])
            i += 20
        elif kind == BOOL:
            out[name] = body[i] == 1
            i += 1
        elif kind == UINT64:
            out[name] = int.from_bytes(body[i : i + 8], "big")
            i += 8
        elif kind == BYTES32:
            if body[i]:
                out[name] = body[i + 1 : i + 33]
                i += 33
            else:
                out[name] = _ZERO32
                i += 1
        else:
            n = body[i]
            if n < 0x80:
                i += 1
            else:
                n, i = decode_leb128(body, i)
            raw = body[i : i + n]
            i += n
            out[name] = raw.decode() if kind == STRING else raw
    return out


def message_from_row(chain_id: int, row: tuple[Any, ...]) -> SignedMessage:
    """The message in a log row of ``schema.SELECT_MESSAGE_COLUMNS`` (trusted: it was verified
    when it came in)."""
    mid, ts, code, author_raw, signer_raw, sig, body = row
    author = checksum_address(author_raw)
    fields = unpack_body(code, body, {"author": author, "timestamp": ts})
    signer = checksum_address(signer_raw) if signer_raw is not None else author
    return SignedMessage(TYPES_BY_CODE[code].name, chain_id, mid, author, ts, fields, sig, signer)


_kept = functools.lru_cache(maxsize=DECODED_ROWS_KEPT)(message_from_row)


def read_message(chain_id: int, row: tuple[Any, ...]) -> SignedMessage:
    """:func:`message_from_row` for a row a read returned, kept for the next read.

    The pages clients poll show the same recent messages over and over, and decoding a row (its
    body unpacked, its addresses checksummed) cost more than reading it. A row names its message
    exactly (the id commits to the content, the signature to the signer), so a row read again
    is looked up, not decoded again. A body over ``DECODED_BODY_MAX_BYTES`` (a gated post's
    ciphertext, up to 64 KB) is decoded each time, so the kept rows stay small.
    """
    body = row[-1]
    if len(body) > DECODED_BODY_MAX_BYTES:
        return message_from_row(chain_id, row)
    return _kept(chain_id, row)
