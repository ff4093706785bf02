"""What ``/openapi.json`` declares, read as a client generator reads it: each operation's
error answers in the one shape with their reasons, message bodies by type, cursors as issued."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from node.messages import TYPES


def _errors(spec: dict[str, Any], path: str, method: str, status: int) -> tuple[list[str], list[str]]:
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    assert schema["allOf"] == [{"$ref": "#/components/schemas/ErrorOut"}]
    return schema["properties"]["error"]["enum"], schema["properties"]["reason"]["enum"]


def test_every_error_answer_is_declared_in_the_one_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)
    assert _errors(spec, "/v1/posts/{post_id}", "get", 404) == (["NotFound"], ["no_post"])
    assert _errors(spec, "/v1/posts/{post_id}", "get", 422) == (["InvalidRequest"], ["invalid_request"])
    assert _errors(spec, "/v1/users/{address}/feed", "get", 400) == (["InvalidInput"], ["invalid_input"])
    errors, reasons = _errors(spec, "/v1/messages", "post", 422)
    assert errors == ["InvalidMessage", "InvalidRequest"]
    assert {"bad_signature", "missing_field", "future_timestamp", "invalid_request"} <= set(reasons)
    errors, reasons = _errors(spec, "/v1/admin/peers", "post", 400)
    assert reasons == ["not_a_peer_address", "own_address", "banned_peer"]
    admin = spec["paths"]["/v1/admin/peers"]["get"]["responses"]
    assert admin["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert set(spec["paths"]["/v1/messages/batch"]["post"]["responses"]) == {
        "200",
        "400",
        "408",
        "413",
        "422",
        "503",
    }


def test_a_message_body_is_a_union_of_the_types_with_their_fields(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    body = spec["paths"]["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "type"
    assert set(body["discriminator"]["mapping"]) == set(TYPES)
    follow = schemas["FollowFields"]
    assert follow["required"] == ["author", "timestamp", "target", "active"]
    assert follow["additionalProperties"] is False
    post = schemas["PostFields"]["properties"]
    assert post["text"]["maxLength"] == 1024 and post["ciphertext"]["maxLength"] == 2 + 2 * 65536
    r = client.post(
        "/v1/messages",
        json={"type": "Follow", "chainId": 31337, "message": {}, "signature": "0x" + "00" * 65},
    )
    assert r.status_code == 422 and r.json()["reason"] == "invalid_request"
    assert {tuple(f["loc"]) for f in r.json()["fields"]} == {
        ("body", "message", name) for name in follow["required"]
    }
