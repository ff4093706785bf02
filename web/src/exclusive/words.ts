/**
 * Refusals of exclusive content in plain words: the browser's own (`ExclusiveError`) and the
 * node's reason codes an unlock or a compose can meet. Anything else keeps the node's detail.
 */

import { ExclusiveError } from "./errors";

const REASONS: Record<string, string> = {
  gate_not_met: "You don't meet this post's gate: your wallet does not hold enough of the tokens it asks for (checked on chain just now).",
  key_not_held: "This node does not hold this post's key, so it cannot unlock it online. Open the post on the creator's node, or wait for your key grant.",
  no_grant: "There is no key grant for you on this node yet.",
  no_chain: "This node runs without a chain, so it cannot check gates.",
  no_gating: "This node does not serve exclusive content.",
  expired: "The unlock request expired before it was signed. Try again.",
  replayed: "That unlock request was already used. Try again.",
  wrong_signer: "The unlock request was signed by another account than the one connected.",
  too_many_pending: "This node has too many unlock requests waiting. Try again in a few minutes.",
  wrong_admin_token: "Your node refused the admin token: check api.admin_token in your node's configuration.",
  admin_disabled: "Your node's admin API is off: set api.admin_token in its configuration to publish exclusive posts.",
  chain_unavailable: "The node cannot reach the chain to check the gate right now. Try again.",
};

/** What went wrong, for a person: `error` is an `ExclusiveError`, a node error (with `reason`
 * and `detail`), a wallet error, or anything thrown. */
export function explain(error: unknown): string {
  if (error instanceof ExclusiveError) return error.message;
  const { reason, detail, message } = (error ?? {}) as { reason?: string; detail?: string; message?: string };
  if (reason && REASONS[reason]) return REASONS[reason];
  if (reason) return `${reason.replace(/_/g, " ")}: ${detail ?? message ?? ""}`.trim();
  return message ?? String(error);
}

/** The reason code of an error, when it carries one (for tests and styling). */
export function reasonOf(error: unknown): string {
  return ((error ?? {}) as { reason?: string }).reason ?? "error";
}
