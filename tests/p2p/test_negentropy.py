"""negentropy v1: reference vectors, and seeded fuzzing against a brute-force set difference."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.p2p.negentropy import (
    MAX_TIMESTAMP,
    Negentropy,
    NegentropyError,
    SortedKeys,
    decode_varint_be,
    encode_varint_be,
    fingerprint_of,
)

# From hoytech/negentropy kotlin/src/test/.../fingerprint/FingerprintTest.kt
FP_ITEMS = [
    (1678011277, "eb6b05c2e3b008592ac666594d78ed83e7b9ab30f825b9b08878128f7500008c"),
    (1678011278, "39b916432333e069a4386917609215cc688eb99f06fed01aadc29b1b4b92d6f0"),
    (1678011279, "abc81d58ebe3b9a87100d47f58bf15e9b1cbf62d38623f11d0f0d17179f5f3ba"),
]

# From hoytech/negentropy kotlin/src/test/resources/lang1-*.txt: 25 items, and the
# initiator's first message as produced by both the JS and the Kotlin implementation.
LANG1_ITEMS = """\
1677970552 8406d9844fb8f5a5baf3a5cd7478afa6e43d7088b4416dc2013a53fa3447ee95
1677970555 93246d67348837e094593d01e9c734c0965f278b9c7594d2be9586568e391dd4
1677970553 91235f37e2f90794f989ed15bae2c1f733fe402f022ba54c4e3fd370aa1c0aff
1677970543 c7e469248b8451c3970a0cbb72c0b233688759720c3e5ca111e7e37bf11722cd
1677970552 f971e429278b863127ef97354cc47a1f394fbb2aaa58d2c8ed3d2427b71cefe3
1677970542 72527ebd1c5c95354693c3b0d6fc187ba8d02538ce9570ba0d174d67a1e659f1
1677970540 fff4462dcdaaba80cc085c529263c2b1a1435d07c06b8ee5f4adbfd459818540
1677970553 b902a1aebb9d1ddb777d1446f8dd6a6f1116d0c3c9836edbc69eb0d3aeebe4c0
1677970548 4d1eff6693caef73f3f32eb142f77eee297d29d3b3180d913106d9f53c3c030a
1677970536 ca047f2a40edb443bab8dc31929f8e5457d9deac5415c287a090a28a2efdf63b
1677970536 9a92950a4498c11158d8b084be8048b38b78b18351dda2f41c278338d39204d2
1677970543 71365dfcf3378bb07164560675874f08db063eb4714dee05c77fa5f8d6ed05e3
1677970557 451fc9214992bd951527eecd9ad2b01647c0ceeae55dda7ca234bf573c6d5e2d
1677970538 ef3e606c1b9291b7ba1eaa119b431763ae8a41c0da9f60c8df81e6cb85f8fc75
1677970540 df146798366d0f399fedc8aaec88c9c80ce935ebf6dc19321ca4d48c9f0bc16e
1677970544 6796ba8d1a9207251d6652ee56a66a92ad680d5a3f118fdff3eb7710ab45f18a
1677970537 f8c2e717ae854234abcd89b852002d52c52101edd690ae305f61d6215ccfd114
1677970557 6f8d146c74f5574840e8d82897a757da4b67774eafdd4bc5fdfb3ec6febfccf5
1677970537 b3489cf0594b805a4a45c25327b12ac7c932a02027d36e5f37f8cb53c37d47e7
1677970537 774ee3ba38031494956d5a68822151693f61f2be3c81c376ee162e8dc447bea0
1677970555 d966df16c619a5349d5b2d0125486f7d25e231ea1d546dd453513e8fab3be610
1677970540 3ada797b897747c1f6a389025bc03aba5c706f22f7bd60e4a2d9dabcfe21c324
1677970553 ed3784f35f4029450f498d8c3f6acc61d90c7706f77ca1f4f75240f49aafe919
1677970553 6a05af1884967975a30a83c96915abe34b8b24a0b2cc91791f4207e526be75ea
1677970539 bb5c51baa893adb59c4928cc3fa21a568f3e806de3e51647a21a5ea46c4edb38"""


def _keys(lines: str) -> list[tuple[int, bytes]]:
    out = []
    for line in lines.splitlines():
        ts, hx = line.split()
        out.append((int(ts), bytes.fromhex(hx)))
    return out


def test_fingerprint_vectors() -> None:
    s = SortedKeys((ts, bytes.fromhex(h)) for ts, h in FP_ITEMS)
    assert s.fingerprint(0, 1).hex() == "6d74e1212fcafc8a81d090f0ffbde8b0"
    assert s.fingerprint(0, 2).hex() == "96b26d110825d4b1805fc56988a3e65d"
    assert s.fingerprint(0, 3).hex() == "c15ce60f185fd24ae341076caa93daa5"


def test_initiate_matches_reference_message() -> None:
    keys = _keys(LANG1_ITEMS)
    msg = Negentropy(SortedKeys(keys)).initiate()
    # version, bound=infinity (ts 0, len 0), mode IdList, count 25, ids in sorted order
    expected = bytes([0x61, 0x00, 0x00, 0x02, 0x19]) + b"".join(k for _, k in sorted(keys))
    assert msg == expected


def test_equal_sets_finish_in_one_round_trip() -> None:
    keys = _keys(LANG1_ITEMS)
    client, server = Negentropy(SortedKeys(keys)), Negentropy(SortedKeys(keys))
    reply = server.reconcile(client.initiate())
    nxt, have, need = client.reconcile_client(reply)
    assert nxt is None and have == [] and need == []


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**32, 2**63, MAX_TIMESTAMP])
def test_varint_roundtrip(n: int) -> None:
    enc = encode_varint_be(n)
    assert decode_varint_be(enc, 0) == (n, len(enc))


def test_varint_reference_encoding() -> None:
    assert encode_varint_be(0) == b"\x00"
    assert encode_varint_be(127) == b"\x7f"
    assert encode_varint_be(128) == b"\x81\x00"  # most significant group first


def test_fingerprint_sum_wraps_mod_2_256() -> None:
    assert fingerprint_of(2**256 + 5, 1) == fingerprint_of(5, 1)


def _run(client_keys, server_keys, *, frame=0, buckets=16, threshold=32):
    client = Negentropy(SortedKeys(client_keys), frame, buckets=buckets, id_list_threshold=threshold)
    server = Negentropy(SortedKeys(server_keys), frame, buckets=buckets, id_list_threshold=threshold)
    msg = client.initiate()
    have: list[bytes] = []
    need: list[bytes] = []
    rounds = 0
    while msg is not None:
        if frame:
            assert len(msg) <= frame
        reply = server.reconcile(msg)
        if frame:
            assert len(reply) <= frame
        msg, h, n = client.reconcile_client(reply)
        have += h
        need += n
        rounds += 1
        assert rounds < 1000
    return have, need


def _random_sets(seed: int, n: int, p_shared: float, same_ts: bool):
    rnd = random.Random(seed)
    items = []
    for _ in range(n):
        ts = 1_700_000_000 if same_ts else 1_700_000_000 + rnd.randrange(n + 1)
        items.append((ts, rnd.randbytes(32)))
    a, b = [], []
    for item in items:
        r = rnd.random()
        if r < p_shared:
            a.append(item)
            b.append(item)
        elif r < (1 + p_shared) / 2:
            a.append(item)
        else:
            b.append(item)
    return a, b


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32),
    n=st.integers(0, 1500),
    p_shared=st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]),
    same_ts=st.booleans(),
    frame=st.sampled_from([0, 4096, 20_000]),
    shape=st.sampled_from([(16, 32), (8, 6), (2, 1), (3, 2)]),
)
def test_reconciliation_finds_exact_set_difference(seed, n, p_shared, same_ts, frame, shape):
    a, b = _random_sets(seed, n, p_shared, same_ts)
    have, need = _run(a, b, frame=frame, buckets=shape[0], threshold=shape[1])
    ids_a = {k for _, k in a}
    ids_b = {k for _, k in b}
    assert sorted(have) == sorted(ids_a - ids_b)
    assert sorted(need) == sorted(ids_b - ids_a)


def test_interoperates_across_split_policies() -> None:
    # The split policy is a local choice: a reference-shaped client and our tuned server agree.
    a, b = _random_sets(7, 5000, 0.95, False)
    client = Negentropy(SortedKeys(a), 60_000)
    server = Negentropy(SortedKeys(b), 60_000, buckets=8, id_list_threshold=6)
    msg, have, need = client.initiate(), [], []
    while msg is not None:
        msg, h, n = client.reconcile_client(server.reconcile(msg))
        have += h
        need += n
    assert set(have) == {k for _, k in a} - {k for _, k in b}
    assert set(need) == {k for _, k in b} - {k for _, k in a}


def test_sorted_keys_incremental_seal_matches_fresh_build() -> None:
    a, _ = _random_sets(3, 2000, 1.0, False)
    inc = SortedKeys(a[:1000])
    inc.add(a[1000:1500])
    inc.seal()
    inc.add(a[1500:] + a[:10])  # duplicates are ignored
    inc.seal()
    fresh = SortedKeys(a)
    assert inc.size() == fresh.size() == 2000
    for lo, hi in [(0, 2000), (5, 17), (1999, 2000), (700, 700)]:
        assert inc.fingerprint(lo, hi) == fresh.fingerprint(lo, hi)


def test_unsupported_version_gets_our_version_byte() -> None:
    server = Negentropy(SortedKeys())
    assert server.reconcile(b"\x62\x00\x00\x00") == b"\x61"


@pytest.mark.parametrize(
    "query",
    [
        b"",
        b"\x10",
        b"\x61\x00",  # bound cut short
        b"\x61\x00\x21" + bytes(33),  # id prefix longer than 32
        b"\x61\x00\x00\x07",  # unknown mode
        b"\x61\x00\x00\x01" + bytes(5),  # fingerprint cut short
        b"\x61\x00\x00\x02\x05" + bytes(64),  # IdList shorter than its count
        b"\x61" + b"\xff" * 20,  # endless varint
    ],
)
def test_malformed_messages_raise_negentropy_error(query: bytes) -> None:
    with pytest.raises(NegentropyError):
        Negentropy(SortedKeys(_keys(LANG1_ITEMS))).reconcile(query)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_garbage_never_raises_anything_but_negentropy_error(data: bytes) -> None:
    server = Negentropy(SortedKeys(_keys(LANG1_ITEMS)), 4096)
    try:
        out = server.reconcile(b"\x61" + data)
    except NegentropyError:
        return
    assert out[:1] == b"\x61" and len(out) <= 4096
