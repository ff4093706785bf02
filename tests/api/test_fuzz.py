"""The OpenAPI document tells the truth: schemathesis, every check on, against a node holding data.

Cases are generated from ``/openapi.json``: the examples, coverage and fuzzing phases per
operation, then the stateful phase following the document's links from what the node answers
(a posted message's id to the message, the post, its thread and tips; its author to their
profile and lists). Every answer must be one the document declares, with that status's body
and headers; schema-valid requests must be served (but for what ``schemathesis.toml`` names: a
generated signature never verifies), schema-invalid ones refused, undeclared methods answered
405 with ``Allow``. Random input cannot carry a valid signature, so nothing it sends may be
stored.

``st run`` with the same configuration against a live node (``docs/api.md``) runs more cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.config import SchemathesisConfig

from node.api import ApiContext, create_app
from node.identity import create_key
from node.messages import message_to_json
from node.store import Store

CHAIN_ID = 31337
ADMIN_TOKEN = "fuzz-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]
ALICE = create_key()


def _config() -> SchemathesisConfig:
    """The repository's schemathesis.toml, every check on (``st run --checks all``)."""
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    config.projects.default.checks.update(included_check_names=["all"])
    return config


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "node.sqlite"
    store = Store(path, CHAIN_ID, synchronous="NORMAL")
    bob = create_key()
    root = ALICE.sign("Post", {"text": "root"}, chain_id=CHAIN_ID)
    store.ingest(
        [
            ALICE.sign("Profile", {"field": "name", "value": "Alice"}, chain_id=CHAIN_ID),
            bob.sign("Follow", {"target": ALICE.address}, chain_id=CHAIN_ID),
            ALICE.sign("Follow", {"target": bob.address}, chain_id=CHAIN_ID),
            root,
            bob.sign("Post", {"text": "reply", "replyTo": root.id}, chain_id=CHAIN_ID),
            *(ALICE.sign("Post", {"text": f"post {i}"}, chain_id=CHAIN_ID) for i in range(5)),
        ]
    )
    yield store
    store.close()


def _schema(store: Store, config: SchemathesisConfig):  # type: ignore[no-untyped-def]
    app = create_app(ApiContext(store, CHAIN_ID, admin_token=SecretStr(ADMIN_TOKEN)))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.fixture(scope="module")
def api_schema(seeded_store: Store):  # type: ignore[no-untyped-def]
    return _schema(seeded_store, _config())


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_answer_is_the_one_declared(case: schemathesis.Case, seeded_store: Store) -> None:
    before = seeded_store.fingerprint()
    case.call_and_validate(headers=AUTH)
    assert seeded_store.fingerprint() == before, "random input changed the store"


def test_links_lead_from_a_posted_message_to_its_post_thread_and_author(seeded_store: Store) -> None:
    """The stateful phase, following the document's links from what the node answers. A
    generated message never verifies, so each schema-valid ``POST /v1/messages`` sends a post
    signed here instead: its id leads to the message, the post, its thread and tips, its author
    to their profile and lists. The store then holds exactly the seeded messages and those."""
    before = len(seeded_store)
    machine = _schema(seeded_store, _config()).as_state_machine()
    posted: list[str] = []
    served: set[str] = set()

    class Calls(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": AUTH}

        def before_call(self, case: schemathesis.Case) -> None:
            if (
                case.operation.label == "POST /v1/messages"
                and case.meta
                and case.meta.generation.mode.is_positive
            ):
                post = ALICE.sign("Post", {"text": f"linked {len(posted)}"}, chain_id=CHAIN_ID)
                case.body = message_to_json(post)
                posted.append("0x" + post.id.hex())

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            if response.status_code == 200:
                served.add(case.operation.label)

    Calls.run(
        settings=settings(
            max_examples=100,  # enough that the walk reaches every link, whatever ran before it
            stateful_step_count=6,
            deadline=None,
            derandomize=True,  # the same walk every run: reaching the links must not be luck
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Ids no generator could guess: only the links lead there.
    assert {
        "GET /v1/messages/{message_id}",
        "GET /v1/posts/{post_id}",
        "GET /v1/posts/{post_id}/thread",
    } <= served
    assert len(seeded_store) == before + len(set(posted))
    assert all(seeded_store.get(bytes.fromhex(i[2:])) is not None for i in posted)
