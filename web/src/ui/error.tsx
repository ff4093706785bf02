import { NodeError, reasonText } from "../api";
import { describeWalletError } from "../wallet";

/** Input the app refuses before signing anything; its message says what to change. */
export class InputError extends Error {
  name = "InputError";
}

/** What went wrong, in words: a node refusal by its reason, refused input as it says, a wallet
 * failure plainly. */
export function errorText(error: unknown): string {
  if (error instanceof InputError) return error.message;
  if (error instanceof NodeError) return reasonText(error.reason) + (error.detail ? ` ${error.detail}` : "");
  return describeWalletError(error);
}

export function ErrorNote(p: { error: unknown }) {
  const reason = p.error instanceof NodeError ? p.error.reason : undefined;
  return (
    <p class="error-note" role="alert" data-reason={reason}>
      {errorText(p.error)}
    </p>
  );
}
