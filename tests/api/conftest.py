from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.api import ApiContext, create_app
from node.identity import Key, create_key
from node.store import Store

CHAIN_ID = 31337
ADMIN_TOKEN = "s3cret-admin-token"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "node.sqlite", CHAIN_ID)
    yield s
    s.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    app = create_app(
        ApiContext(store, CHAIN_ID, admin_token=SecretStr(ADMIN_TOKEN)), max_body_bytes=256 * 1024
    )
    with TestClient(app, backend="trio") as c:
        yield c


@pytest.fixture
def alice() -> Key:
    return create_key()


@pytest.fixture
def bob() -> Key:
    return create_key()
