"""No configured secret in any response, log line at INFO or above, or metric (issue 10, item 1).

A real node process is pointed at a chain RPC URL that carries an API key in its path, as
hosted RPC URLs do: once at a tiny HTTP server on loopback that answers every request with
429 Too Many Requests, once at a closed port. An anonymous fresh address then asks to unlock a
gated post (the node reads ``balanceOf`` on chain), the indexer polls and fails, and the
CLI quotes a trade against the same URL; the key, the path and the admin token must appear in
no answer, no log line of the node (INFO and above) and nothing ``/metrics`` serves.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from benchmarks._devnet import MANIFEST, free_port
from benchmarks._processes import cli, node_env, running_node, wait_for
from node.chain import Deployment
from node.gating import Balance, ContentKey, encode_gate, encrypt_content
from node.identity import create_key
from node.messages import message_to_json

pytestmark = pytest.mark.skipif(
    not MANIFEST.exists(), reason="contracts not compiled (run ./scripts/setup.sh)"
)

SECRET = "SUPERSECRETKEY123"
ADMIN_TOKEN = "ADMINTOKENSECRET456"
CHAIN = 31337
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


class _RateLimited(http.server.BaseHTTPRequestHandler):
    """Answers every JSON-RPC request with 429, as a hosted endpoint over its quota does."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"error": "Too Many Requests"}'
        self.send_response(429)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.hits += 1  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        return None


@contextlib.contextmanager
def rate_limited_rpc() -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RateLimited)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v3/{SECRET}", server
    finally:
        server.shutdown()
        server.server_close()


def _clean(text: str, where: str) -> None:
    for secret in (SECRET, f"/v3/{SECRET}", ADMIN_TOKEN):
        assert secret not in text, f"{secret!r} leaked in {where}: {text[:400]!r}"


def _gated_post_body() -> dict:
    creator = create_key()
    g = Balance(CHAIN, TOKEN, 1)
    key = ContentKey.generate()
    blob = encrypt_content(b"for holders", key, chain_id=CHAIN, author=creator.address, gate=g)
    post = creator.sign(
        "Post", {"text": "teaser", "gate": encode_gate(g).decode(), "ciphertext": blob}, chain_id=CHAIN
    )
    return {"post": message_to_json(post), "contentKey": "0x" + key.to_bytes().hex()}


@pytest.mark.parametrize("endpoint", ["rate_limited", "closed_port"])
def test_rpc_url_and_admin_token_never_leak(tmp_path: Path, endpoint: str) -> None:
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    deployment = Deployment(CHAIN, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", TOKEN, 0)
    (deployments / f"{CHAIN}.json").write_text(json.dumps(deployment.to_json()))
    with contextlib.ExitStack() as stack:
        if endpoint == "rate_limited":
            rpc_url, server = stack.enter_context(rate_limited_rpc())
        else:
            rpc_url, server = f"http://127.0.0.1:{free_port()}/v3/{SECRET}", None
        env = node_env(
            tmp_path,
            MECENATE_CHAIN__RPC_URL=rpc_url,
            MECENATE_CHAIN__DEPLOYMENTS_DIR=str(deployments),
            MECENATE_CHAIN__POLL_INTERVAL_SECONDS="0.2",
            MECENATE_API__ADMIN_TOKEN=ADMIN_TOKEN,
        )
        url = env["MECENATE_NODE_URL"]
        answers: list[str] = []
        with running_node(env), httpx.Client(base_url=url, timeout=30) as http:
            gated = http.post(
                "/v1/admin/gated-posts",
                json=_gated_post_body(),
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert gated.status_code == 201, gated.text
            post_id = gated.json()["post"]
            fan = Account.create()
            challenge = http.post(f"/v1/posts/{post_id}/unlock/challenge", json={"address": fan.address})
            assert challenge.status_code == 200, challenge.text
            text = challenge.json()["message"]
            signature = "0x" + bytes(fan.sign_message(encode_defunct(text=text)).signature).hex()
            unlock = http.post(f"/v1/posts/{post_id}/unlock", json={"message": text, "signature": signature})
            assert unlock.status_code == 503, unlock.text
            detail = unlock.json()["detail"]
            expected = "429 (rate limited)" if endpoint == "rate_limited" else "unreachable"
            assert detail.startswith("read balanceOf: chain RPC") and expected in detail, detail
            answers.append(unlock.text)
            if server is not None:
                assert server.hits > 0  # the node did ask the endpoint
            # Wrong admin tokens, and the admin token in odd places, are refused without echo.
            for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
                refused = http.get("/v1/admin/peers", headers=headers)
                assert refused.status_code == 401
                answers.append(refused.text)
            for path in ("/v1/status", "/metrics", "/health", f"/v1/posts/{post_id}", "/v1/gating"):
                answer = http.get(path)
                assert answer.status_code == 200, (path, answer.text)
                answers.append(answer.text)
            # Let the indexer fail a few polls, so its warnings are in the log too.
            log_file = Path(env["MECENATE_DATA_DIR"]).parent / "node.log"
            wait_for(
                lambda: "chain index: poll failed" in log_file.read_text(), "the indexer's failed poll", 30
            )
            time.sleep(0.5)
            answers.append(http.get("/metrics").text)
        quote = cli(env, "token", "quote", TOKEN, "1")
        assert quote.returncode != 0
        answers.append(quote.stdout + quote.stderr)
        log_text = log_file.read_text()
    for answer in answers:
        _clean(answer, "a response or CLI output")
    assert "WARNING" in log_text  # the failures were logged ...
    _clean(log_text, "the node's log (INFO and above)")  # ... in our words


def test_the_check_itself_would_catch_a_leak() -> None:
    with pytest.raises(AssertionError):
        _clean(f"read balanceOf: 429 for url: http://127.0.0.1:1/v3/{SECRET}", "a sample")


def test_a_failing_store_answers_without_its_file_names(tmp_path: Path) -> None:
    """SQLite's words and the data dir's file names are for the operator's log, not callers."""
    from fastapi.testclient import TestClient

    from node.api import ApiContext, create_app
    from node.chain import Artifacts, ChainClient, Indexer
    from node.store import Store

    deployment = Deployment(CHAIN, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", TOKEN, 0)
    client = ChainClient(f"http://127.0.0.1:{free_port()}/v3/{SECRET}", Artifacts.load(MANIFEST), deployment)
    index = Indexer(client, tmp_path / "chain.sqlite")
    index.close()  # every query now fails inside SQLite
    with (
        Store(tmp_path / "store.sqlite", CHAIN) as store,
        TestClient(create_app(ApiContext(store, CHAIN, chain=index)), backend="trio") as http,
    ):
        r = http.get("/v1/creators")
    assert r.status_code == 503
    assert r.json()["error"] == "StoreError"
    assert str(tmp_path) not in r.text and "chain.sqlite" not in r.text
    _clean(r.text, "a store error")
