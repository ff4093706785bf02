"""The web app and /docs, served from the node's own files: the app at ``/`` with its assets
cached and gzipped, a plain page when it is not built, Swagger UI without a CDN, and
``/v1/web-config`` telling the app where the chain and the contracts are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from node.api import ApiContext, create_app, public_rpc_url
from node.chain import Deployment
from node.config import PROJECT_ROOT, WebSettings
from node.store import Store

CHAIN_ID = 31337
SCRIPT = "main-ABCD1234.js"
BIG_SCRIPT = "console.log('mecenate');\n" * 200


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text(f'<!doctype html><script type="module" src="/assets/{SCRIPT}"></script>')
    (d / "assets" / SCRIPT).write_text(BIG_SCRIPT)
    (tmp_path / "secret.txt").write_text("outside the web app")
    return d


def _client(store: Store, web: WebSettings, **ctx: object) -> TestClient:
    return TestClient(create_app(ApiContext(store, CHAIN_ID, **ctx), web=web), backend="trio")  # type: ignore[arg-type]


@pytest.fixture
def web_client(store: Store, dist: Path) -> Iterator[TestClient]:
    with _client(store, WebSettings(dist_dir=dist)) as c:
        yield c


def test_the_app_is_served_at_the_root_and_revalidated(web_client: TestClient) -> None:
    r = web_client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f"/assets/{SCRIPT}" in r.text
    assert r.headers["cache-control"] == "no-cache"
    again = web_client.get("/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_page_allows_scripts_and_connections_from_the_node_only(store: Store, dist: Path) -> None:
    with _client(store, WebSettings(dist_dir=dist)) as c:
        policy = c.get("/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "connect-src 'self';" in policy and "unsafe" not in policy
    with _client(store, WebSettings(dist_dir=dist), app_rpc_url="http://127.0.0.1:8545") as c:
        assert "connect-src 'self' http://127.0.0.1:8545;" in c.get("/").headers["content-security-policy"]


def test_assets_are_cached_for_good_and_gzipped_when_asked(web_client: TestClient) -> None:
    plain = web_client.get(f"/assets/{SCRIPT}", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.text == BIG_SCRIPT
    assert "immutable" in plain.headers["cache-control"]
    assert plain.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    packed = web_client.get(f"/assets/{SCRIPT}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(BIG_SCRIPT) / 10
    assert packed.text == BIG_SCRIPT  # the client decoded it
    assert packed.headers["vary"] == "Accept-Encoding"


def test_a_changed_file_is_served_anew(web_client: TestClient, dist: Path) -> None:
    first = web_client.get("/")
    (dist / "index.html").write_text("<!doctype html><p>rebuilt, and longer than before</p>")
    second = web_client.get("/")
    assert "rebuilt" in second.text and second.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize(
    "path", ["/assets/missing.js", "/assets/%2E%2E", "/assets/..%2Fsecret.txt", "/assets/.hidden"]
)
def test_nothing_but_the_assets_is_served(web_client: TestClient, path: str) -> None:
    r = web_client.get(path)
    assert r.status_code in (404, 422), r.text
    assert set(r.json()) >= {"error", "reason", "detail"}
    assert "outside the web app" not in r.text


def test_a_node_without_a_build_says_how_to_build_it(store: Store, tmp_path: Path) -> None:
    with _client(store, WebSettings(dist_dir=tmp_path / "nowhere")) as c:
        r = c.get("/")
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert "./scripts/build-web.sh" in r.text and str(tmp_path / "nowhere") in r.text


def test_the_web_routes_keep_the_method_contract(web_client: TestClient) -> None:
    r = web_client.post("/")
    assert r.status_code == 405 and "GET" in r.headers["allow"]
    assert r.json()["reason"] == "method_not_allowed"
    assert web_client.get("/health").json()["status"] == "ok"


def test_the_web_routes_are_not_in_the_api_document(web_client: TestClient) -> None:
    paths = web_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/v1/") and p not in ("/health", "/metrics")]
    assert "/v1/web-config" in paths


def test_docs_load_swagger_ui_from_the_node_not_a_cdn(store: Store, dist: Path) -> None:
    with _client(store, WebSettings(dist_dir=dist)) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        assert "cdn" not in page.text.lower() and "https://" not in page.text.replace("https://fastapi", "")
        assert "/docs/files/swagger-ui-bundle.js" in page.text
        bundle = c.get("/docs/files/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
        assert bundle.status_code == 200 and bundle.headers["content-encoding"] == "gzip"
        assert (
            bundle.content
            == (PROJECT_ROOT / "node_modules/swagger-ui-dist/swagger-ui-bundle.js").read_bytes()
        )
        assert c.get("/docs/files/swagger-ui.css").status_code == 200
        assert c.get("/docs/files/package.json").status_code == 404  # only what /docs loads


def test_web_config_names_the_chain_and_the_contracts(store: Store, dist: Path) -> None:
    deployment = Deployment(CHAIN_ID, "0x" + "11" * 20, "0x" + "22" * 20, 7)  # type: ignore[arg-type]
    web = WebSettings(dist_dir=dist)
    with _client(store, web, deployment=deployment, app_rpc_url="http://127.0.0.1:8545") as c:
        assert c.get("/v1/web-config").json() == {
            "chain_id": CHAIN_ID,
            "factory": "0x" + "11" * 20,
            "tip_jar": "0x" + "22" * 20,
            "start_block": 7,
            "rpc_url": "http://127.0.0.1:8545",
        }
    with _client(store, web) as c:
        assert c.get("/v1/web-config").json() == {
            "chain_id": CHAIN_ID,
            "factory": None,
            "tip_jar": None,
            "start_block": None,
            "rpc_url": None,
        }


@pytest.mark.parametrize(
    ("web_rpc", "chain_rpc", "given"),
    [
        ("", "http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("", "http://127.0.0.1:8545/", "http://127.0.0.1:8545"),
        ("", "https://rpc.example.org", "https://rpc.example.org"),  # the default port, unwritten
        ("", "https://rpc.example.org:99999", None),
        ("", "https://rpc.example.org#key", None),
        ("", "https://mainnet.example.com/v3/0123456789abcdef", None),
        ("", "https://user:pass@rpc.example.com", None),
        ("", "https://rpc.example.com/?key=abc", None),
        ("https://public.example.com", "https://rpc.example.com/v3/key", "https://public.example.com"),
    ],
)
def test_the_app_is_never_given_an_rpc_url_with_a_secret(
    web_rpc: str, chain_rpc: str, given: str | None
) -> None:
    assert public_rpc_url(web_rpc, chain_rpc) == given
