// A money transaction's life on screen: the wallet prompt, then pending with its hash, then
// confirmed, or why it failed in plain words (a rejected prompt, a contract's revert reason).
import { useState } from "preact/hooks";
import type { Hex, PublicClient, TransactionReceipt } from "viem";
import { NodeError } from "../api";
import { confirm } from "../chain/money";
import { describeChainError } from "../chain/errors";
import { Address } from "./address";
import { errorText } from "./error";

export type TxPhase = "idle" | "wallet" | "pending" | "confirmed" | "failed";
export type TxState = { phase: TxPhase; hash?: Hex; error?: string };

/** A failure of a money action in words: node refusals by reason, chain and wallet plainly. */
export function moneyErrorText(e: unknown): string {
  return e instanceof NodeError ? errorText(e) : describeChainError(e);
}

/** Sends with `send` (which opens the wallet) and waits for the receipt; every path ends in
 * "confirmed" or "failed", never a spinner left spinning. */
export function useTx() {
  const [state, setState] = useState<TxState>({ phase: "idle" });
  const run = async (client: PublicClient, send: () => Promise<Hex>): Promise<TransactionReceipt | undefined> => {
    setState({ phase: "wallet" });
    let hash: Hex | undefined;
    try {
      hash = await send();
      setState({ phase: "pending", hash });
      const receipt = await confirm(client, hash);
      setState({ phase: "confirmed", hash });
      return receipt;
    } catch (e) {
      setState({ phase: "failed", hash, error: moneyErrorText(e) });
      return undefined;
    }
  };
  return { ...state, run, busy: state.phase === "wallet" || state.phase === "pending", reset: () => setState({ phase: "idle" }) };
}

const WORDS: Record<TxPhase, string> = {
  idle: "",
  wallet: "Confirm in your wallet…",
  pending: "Transaction pending",
  confirmed: "Transaction confirmed",
  failed: "Transaction failed",
};

/** Where a transaction stands; `done` replaces "Transaction confirmed" when given. */
export function TxStatus(p: { tx: TxState; done?: string }) {
  const { phase, hash, error } = p.tx;
  if (phase === "idle") return null;
  return (
    <div class={`tx-status pending-tx ${phase}`} role={phase === "failed" ? "alert" : "status"} data-phase={phase}>
      {(phase === "wallet" || phase === "pending") && <span class="spinner" aria-hidden="true" />}
      {phase === "failed" ? (error ?? WORDS.failed) : phase === "confirmed" && p.done ? p.done : WORDS[phase]}
      {hash && (
        <>
          {" "}
          <span class="muted">tx</span> <Address value={hash} />
        </>
      )}
    </div>
  );
}
