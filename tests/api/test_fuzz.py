"""Hostile input to every endpoint: generated from the OpenAPI spec by schemathesis.

A few thousand cases in all. Every answer must be a 2xx/4xx (never a 5xx), and the store must
hold exactly the valid messages it was seeded with afterwards: random input cannot carry a
valid signature, so nothing it sends may be stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error

from node.api import ApiContext, create_app
from node.identity import create_key
from node.store import Store

CHAIN_ID = 31337
ADMIN_TOKEN = "fuzz-admin-token"


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "node.sqlite"
    store = Store(path, CHAIN_ID, synchronous="NORMAL")
    alice, bob = create_key(), create_key()
    store.ingest(
        [
            alice.sign("Profile", {"field": "name", "value": "Alice"}, chain_id=CHAIN_ID),
            bob.sign("Follow", {"target": alice.address}, chain_id=CHAIN_ID),
            *(alice.sign("Post", {"text": f"post {i}"}, chain_id=CHAIN_ID) for i in range(5)),
        ]
    )
    yield store
    store.close()


@pytest.fixture(scope="module")
def api_schema(seeded_store: Store):  # type: ignore[no-untyped-def]
    app = create_app(
        ApiContext(seeded_store, CHAIN_ID, admin_token=SecretStr(ADMIN_TOKEN)), max_body_bytes=256 * 1024
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/v1/stream")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case: schemathesis.Case, seeded_store: Store) -> None:
    before = seeded_store.fingerprint()
    case.call_and_validate(checks=[not_a_server_error], excluded_checks=[])
    assert seeded_store.fingerprint() == before, "random input changed the store"
