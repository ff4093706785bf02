/**
 * Refusals of exclusive content in plain words: the browser's own (`ExclusiveError`), and the
 * node's reason codes where the exclusive pages can say more than the app's general words
 * (ui/error.tsx, which says everything else, wallet rejections included).
 */

import { errorText } from "../ui/error";
import { ExclusiveError } from "./errors";

const MORE: Record<string, (gate: string) => string> = {
  gate_not_met: (gate) =>
    `You don't meet this post's gate: it is for holders of ${gate}, and your wallet holds less (checked on chain just now).`,
  key_not_held: () =>
    "This node does not hold this post's key, so it cannot unlock it online. Open the post on the creator's node, or wait for your key grant.",
  wrong_admin_token: () => "Your node refused the admin token: check api.admin_token in your node's configuration.",
  admin_disabled: () => "Your node's admin API is off: set api.admin_token in its configuration to publish exclusive posts.",
};

/** What went wrong, for a person; `gate` is the post's gate in words, when there is one. */
export function explain(error: unknown, gate = "the tokens it names"): string {
  if (error instanceof ExclusiveError) return error.message;
  const more = MORE[reasonOf(error)];
  return more ? more(gate) : errorText(error);
}

/** The reason code of an error, when it carries one (for tests and styling). */
export function reasonOf(error: unknown): string {
  return ((error ?? {}) as { reason?: string }).reason ?? "error";
}
