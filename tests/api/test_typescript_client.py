"""A client generated from ``/openapi.json`` by an independent generator type-checks.

openapi-typescript (npm, pinned in package.json, as the web app will use it) turns the node's
document into TypeScript types; ``tsc --strict`` then checks them together with a few lines
that use them the way a client does: a message body by its type, an error by its reason. A
document the generator cannot read, or types that do not say what the node sends, fail here.
setup.sh installs both tools, so their absence is a failure, not a skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"

#: Uses of the generated types: each line must compile, each @ts-expect-error must not.
USAGE = """
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type MessageIn = paths["/v1/messages"]["post"]["requestBody"]["content"]["application/json"];

export const follow: MessageIn = {
  type: "Follow",
  chainId: 31337,
  message: { author: "0x" + "11".repeat(20), timestamp: 1767225600, target: "0x" + "22".repeat(20), active: true },
  signature: "0x" + "00".repeat(65),
};

// @ts-expect-error a Follow has its fields: an empty message is not one
export const empty: MessageIn = { type: "Follow", chainId: 31337, message: {}, signature: "0x" };

type NotFound = paths["/v1/posts/{post_id}"]["get"]["responses"][404]["content"]["application/json"];
export const reason: NotFound["reason"] = "no_post";
// @ts-expect-error the reasons a post lookup answers are enumerated
export const wrong: NotFound["reason"] = "no_such_reason";

type Refused = paths["/v1/messages"]["post"]["responses"][422]["content"]["application/json"];
export function why(e: Refused): string {
  return `${e.error} ${e.reason}: ${e.detail}`;
}
export const page: Schemas["MessagePage"] = { items: [], next_cursor: null };
"""


def test_a_generated_typescript_client_type_checks(client: TestClient, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/openapi.json").json()))
    assert (BIN / "openapi-typescript").exists() and (BIN / "tsc").exists(), "run ./scripts/setup.sh"
    generate = subprocess.run(
        [BIN / "openapi-typescript", spec, "-o", tmp_path / "api.ts"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    (tmp_path / "usage.ts").write_text(USAGE)
    check = subprocess.run(
        [BIN / "tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "usage.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
