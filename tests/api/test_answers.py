"""The answers built without pydantic are what their models say, byte for byte.

Pages of messages and follow edges are plain ``dict``s encoded by msgspec (``JSONAnswer``);
the models stay the schema. Validated by its model and dumped again, each answer must come out
the same, and the same as FastAPI's own rendering of that model (Starlette's ``JSONResponse``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.responses import JSONResponse

from node.api._models import (
    EdgePage,
    JSONAnswer,
    MessageOut,
    MessagePage,
    PostOut,
    PostPage,
    edge_page,
    message_json,
    message_out,
    message_page,
    post_out,
    post_page,
)
from node.messages import SignedMessage, address_of_key, decode_message, sign_message
from node.store import FollowEdge, Hidden, Page, View, Why

VECTORS = sorted((Path(__file__).parent.parent / "vectors").glob("*.json"))
#: Every character JSON escapes, or might: quotes, backslash, controls, DEL, the line
#: separators JavaScript once refused, a character beyond the BMP.
AWKWARD = '"\\/\x00\x01\x08\t\n\x0c\r\x1f\x7f\x80\u00e9\u2028\u2029\ufeff\U0001f600 end'


def vector(path: Path) -> SignedMessage:
    return decode_message(json.loads(path.read_text())["wire"])


def awkward_post() -> SignedMessage:
    return sign_message("Post", {"text": AWKWARD, "timestamp": 1_700_000_000}, b"\7" * 32, 31337)


def assert_answers_as(model: type[BaseModel], shape: dict[str, Any]) -> None:
    body = JSONAnswer(shape).body
    dumped = model.model_validate_json(body)
    assert dumped.model_dump_json().encode() == body
    assert JSONResponse(dumped.model_dump()).body == body
    assert JSONAnswer(shape).headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_every_message_answers_as_its_model_says(path: Path) -> None:
    assert_answers_as(MessageOut, message_out(vector(path)))


def test_strings_are_escaped_as_the_model_escapes_them() -> None:
    post = awkward_post()
    assert message_out(post)["message"]["text"] == AWKWARD
    assert_answers_as(MessageOut, message_out(post))


@pytest.mark.parametrize("cursor", [None, "1700000000." + "ab" * 32])
def test_pages_answer_as_their_models_say(cursor: str | None) -> None:
    messages = [vector(p) for p in VECTORS] + [awkward_post()]
    assert_answers_as(MessagePage, message_page(Page(messages, cursor)))
    assert_answers_as(MessagePage, message_page(Page([], cursor)))
    edges = [FollowEdge(m.author, m.signer, m.timestamp) for m in messages]
    assert_answers_as(EdgePage, edge_page(Page(edges, cursor)))


def test_a_post_answers_as_its_model_says() -> None:
    assert_answers_as(PostOut, post_out(awkward_post(), {"like": 2, "✓": 1}, [awkward_post().author]))
    assert_answers_as(PostOut, post_out(awkward_post(), {}, []))


def test_a_moderated_page_answers_as_its_model_says() -> None:
    posts = [vector(p) for p in VECTORS if "post" in p.stem] + [awkward_post()]
    hidden = {
        posts[0].id: [Hidden(Why.HIDDEN_BY_MODERATOR, posts[0].author, AWKWARD), Hidden(Why.NOT_A_MEMBER)]
    }
    view = View(posts, "1.ab", hidden=hidden, hidden_count=1, paid_by={posts[-1].id: [posts[0].author]})
    assert_answers_as(PostPage, post_page(view))
    assert_answers_as(PostPage, post_page(View([], None)))


def test_a_kept_message_is_told_apart_by_its_signature() -> None:
    """The same message signed by its author and by a delegate (one id) is answered with the
    signer of each copy, however often either is shown."""
    author, delegate = b"\1" * 32, b"\2" * 32
    fields = {"author": address_of_key(author), "text": "one id", "timestamp": 1_700_000_000}
    keys = (author, delegate, author, delegate)
    copies = [sign_message("Post", fields, key, 31337) for key in keys]
    assert copies[0].id == copies[1].id and copies[0].signature != copies[1].signature
    for key, m in zip(keys, copies, strict=True):
        assert bytes(message_json(m)) == JSONAnswer(message_out(m)).body
        assert json.loads(bytes(message_json(m)))["signer"] == address_of_key(key)
