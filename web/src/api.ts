// The node's HTTP API, same origin. Every failure is a NodeError carrying the node's own
// {error, reason, detail}; a node that cannot be reached is reason "node_unreachable", and
// marks the node down for the banner (health.ts) at once.
import { markNodeDown } from "./health";

export class NodeError extends Error {
  status: number;
  error: string;
  reason: string;
  detail: string;
  constructor(status: number, error: string, reason: string, detail: string) {
    super(`${reasonText(reason)}${detail ? ` (${detail})` : ""}`);
    this.name = "NodeError";
    this.status = status;
    this.error = error;
    this.reason = reason;
    this.detail = detail;
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    markNodeDown();
    throw new NodeError(0, "NodeUnreachable", "node_unreachable", "");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const e = body && typeof body === "object" ? body : {};
    throw new NodeError(
      response.status,
      String(e.error ?? "HTTPError"),
      String(e.reason ?? "http_error"),
      String(e.detail ?? response.statusText),
    );
  }
  return body as T;
}

/** GET `path` (like "/v1/creators") as JSON; throws NodeError. `headers` add to the request's
 * (an admin call's Authorization). */
export function getJson<T>(path: string, headers?: Record<string, string>): Promise<T> {
  return call<T>(path, { headers: { Accept: "application/json", ...headers } });
}

/** POST `body` as JSON to `path`; throws NodeError. */
export function postJson<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
  return call<T>(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

// The reason codes of docs/errors.md and the README's message refusals, in plain words.
const REASONS: Record<string, string> = {
  node_unreachable: "The node cannot be reached right now.",
  http_error: "The node answered with an error.",
  internal: "The node hit a bug; its log says more.",
  invalid_input: "The node refused that input.",
  invalid_request: "The request did not have the shape the node expects.",
  malformed: "The message is malformed.",
  unknown_type: "The node does not know that kind of message.",
  missing_field: "The message is missing a field.",
  unknown_field: "The message has a field the node does not know.",
  bad_field: "A field of the message has a bad value.",
  field_out_of_bounds: "A field of the message is too long or out of range.",
  bad_signature: "The signature does not check out.",
  wrong_chain: "The message was signed for another chain.",
  future_timestamp: "The message is dated in the future: check your computer's clock.",
  not_authorized: "That key may not sign this message (only your wallet can add or remove app keys).",
  revoked_signer: "That app key was removed; add a new one in Settings.",
  out_of_scope: "This node does not serve that community; send it to a node that does.",
  no_longer_served: "This node stopped serving that community just now; send it to a node that does.",
  base_scope: "Every node serves the base scope: it cannot be removed.",
  serves_every_community: "This node serves every community: list the ones it should serve in its settings first.",
  invalid_gate: "The gate of this exclusive post is not valid.",
  not_found: "Nothing here.",
  no_message: "This node does not hold that message.",
  no_post: "This node does not hold that post.",
  no_profile: "This user has not set up a profile yet.",
  no_community: "This node holds no charter for that community.",
  unknown_collective: "This node's chain index knows no collective at that address.",
  no_proposal: "That collective has no such proposal (as this node has indexed it).",
  no_grant: "No key grant for you on this post yet.",
  no_file: "The node has no such file.",
  key_not_held: "This node does not hold the key of that post.",
  no_chain: "This node does not follow the chain.",
  no_gating: "This node does not serve exclusive content.",
  no_p2p: "This node runs without peers.",
  access_denied: "Access denied.",
  admin_disabled: "Admin actions are disabled on this node.",
  wrong_admin_token: "Wrong admin token.",
  unavailable: "The node is busy; try again in a moment.",
  too_many_subscribers: "The node serves too many live streams; live updates are off for now.",
  api_not_bound: "The node is still starting; try again in a moment.",
  not_a_peer_address: "That is not a peer address.",
  own_address: "That is this node's own address.",
  banned_peer: "That peer is banned for now.",
  dial_failed: "The peer could not be reached.",
  dial_timeout: "The peer did not answer in time.",
  store_failed: "The node's storage failed; try again later.",
  bad_config: "The node is misconfigured.",
  chain_failed: "The chain failed to answer.",
  chain_unavailable: "The chain cannot be reached right now.",
  chain_mismatch: "The node's chain endpoint serves another chain.",
  contract_reverted: "The contract refused the transaction.",
  slippage: "The price moved past your slippage bound.",
  slippage_exceeded: "The price moved past your slippage bound.",
  gate_refused: "You do not meet this post's gate.",
  gate_not_met: "You do not hold enough of the token this post asks for.",
  decryption_failed: "The content could not be decrypted.",
  expired: "The challenge expired; try again.",
  not_yet_valid: "The challenge is not valid yet.",
  replayed: "That challenge was already used; try again.",
  wrong_signer: "The challenge was signed by another address.",
  wrong_domain: "The challenge names another site.",
  wrong_uri: "The challenge names another address.",
  wrong_resource: "The challenge is for another post.",
  unknown_nonce: "The node did not issue that challenge; try again.",
  nonce_mismatch: "The challenge does not match what the node issued; try again.",
  too_many_pending: "Too many challenges pending; wait a few minutes.",
  method_not_allowed: "The node does not allow that here.",
  bad_request: "The node could not read the request.",
  request_entity_too_large: "That is too large for the node.",
  request_timeout: "The request took too long to arrive.",
};

/** A reason code in plain words (the code itself when it is one this app does not know). */
export function reasonText(reason: string): string {
  return REASONS[reason] ?? `The node refused it (${reason}).`;
}
