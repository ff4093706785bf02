/**
 * Errors of exclusive content in the browser, each with a reason code the UI turns into words.
 *
 * Codes mirror the node's where the node has one (`invalid_gate`, `decryption_failed`), so a
 * refusal reads the same whether the browser or the node found it.
 */

export type ExclusiveReason =
  | "invalid_gate" // the gate a person built breaks a rule of node/messages/gate.py
  | "decryption_failed" // a content blob or a wrapped key does not open
  | "not_your_key" // a grant or unlock answer is wrapped to another encryption key
  | "wallet_not_deterministic" // two signatures of the key message differ: no stable key
  | "no_admin_token" // composing needs the creator's own node's admin token
  | "not_gated"; // the post is public: nothing to unlock

export class ExclusiveError extends Error {
  readonly reason: ExclusiveReason;

  constructor(reason: ExclusiveReason, message: string) {
    super(message);
    this.name = "ExclusiveError";
    this.reason = reason;
  }
}
