import { useEffect, useState } from "preact/hooks";
import { useSession } from "../wallet";
import { Address } from "./address";

type Phase = "pending" | "confirmed" | "failed";

/** A transaction by its hash: pending until its receipt, then confirmed or failed. */
export function PendingTx(p: { hash: `0x${string}`; onDone?: (ok: boolean) => void }) {
  const session = useSession();
  const [phase, setPhase] = useState<Phase>("pending");
  useEffect(() => {
    if (!session) return;
    let live = true;
    session.public
      .waitForTransactionReceipt({ hash: p.hash, timeout: 120_000 })
      .then((r) => {
        if (!live) return;
        const ok = r.status === "success";
        setPhase(ok ? "confirmed" : "failed");
        p.onDone?.(ok);
      })
      .catch(() => live && setPhase("failed"));
    return () => {
      live = false;
    };
  }, [p.hash, session]);
  const words = { pending: "Transaction pending", confirmed: "Transaction confirmed", failed: "Transaction failed" };
  return (
    <p class={`pending-tx ${phase}`} role="status" data-phase={phase}>
      {phase === "pending" && <span class="spinner" aria-hidden="true" />}
      {words[phase]}: <Address value={p.hash} />
    </p>
  );
}
