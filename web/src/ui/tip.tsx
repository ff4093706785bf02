// Tip a post: in ETH, or in the creator's token with an EIP-2612 permit (the wallet signs the
// permit, then sends one transaction). The tip shows as pending, with its hash, until the node's
// indexer confirms it and it appears among the post's tips.
import { useState } from "preact/hooks";
import type { Address as Addr, Hex } from "viem";
import { getJson } from "../api";
import { tipEth, tipToken } from "../chain/money";
import { tokenOf } from "../chain/reads";
import { payerOf } from "../chain/session";
import { parseAmount } from "../chain/units";
import { useLoad } from "../hooks";
import { useSession } from "../wallet";
import { Amount } from "./amount";
import { TxStatus, useTx } from "./tx";

/** How long the control waits for the node to index a confirmed tip before saying so. */
const INDEX_WAIT_MS = 60_000;
const INDEX_POLL_MS = 1_000;
/** TipJar.MAX_MEMO_BYTES */
const MAX_MEMO_BYTES = 280;

type Indexing = "waiting" | "indexed" | "late";

/** Polls the post's tips until one has `hash`: true, or false after INDEX_WAIT_MS. */
async function untilIndexed(post: Hex, hash: Hex): Promise<boolean> {
  const until = Date.now() + INDEX_WAIT_MS;
  while (Date.now() < until) {
    try {
      const tips = await getJson<{ tx_hash: string }[]>(`/v1/posts/${post}/tips`);
      if (tips.some((t) => t.tx_hash.toLowerCase() === hash.toLowerCase())) return true;
    } catch {
      /* the node is away for a moment: the banner says so; keep waiting */
    }
    await new Promise((r) => setTimeout(r, INDEX_POLL_MS));
  }
  return false;
}

export function TipControl(p: { post: Hex; creator: Addr; onIndexed?: () => void }) {
  const session = useSession();
  const payer = session && payerOf(session);
  const [asset, setAsset] = useState<"eth" | "token">("eth");
  const [amount, setAmount] = useState("0.01");
  const [memo, setMemo] = useState("");
  const [sent, setSent] = useState<{ wei: bigint; symbol: string; indexing: Indexing } | null>(null);
  const tx = useTx();
  const token = useLoad(async () => (payer ? tokenOf(payer.public, payer.deployment, p.creator) : null), [payer?.public, p.creator]);
  if (!payer) return <p class="muted">Connect your wallet on this node's chain to tip this post.</p>;

  let units: bigint | string;
  try {
    units = parseAmount(amount);
  } catch (e) {
    units = (e as Error).message;
  }
  const memoTooLong = new TextEncoder().encode(memo).length > MAX_MEMO_BYTES;
  const symbol = asset === "eth" ? "ETH" : "tokens";

  const submit = async () => {
    if (typeof units === "string" || memoTooLong) return;
    const wei = units;
    const send = () =>
      asset === "eth" ? tipEth(payer, p.creator, wei, p.post, memo) : tipToken(payer, token.data!, p.creator, wei, p.post, memo);
    const receipt = await tx.run(payer.public, send);
    if (!receipt) return;
    setSent({ wei, symbol, indexing: "waiting" });
    const indexed = await untilIndexed(p.post, receipt.transactionHash);
    setSent({ wei, symbol, indexing: indexed ? "indexed" : "late" });
    if (indexed) p.onIndexed?.();
  };

  return (
    <form
      class="tip"
      aria-label="Tip this post"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <fieldset class="row">
        <legend>Tip in</legend>
        <label>
          <input type="radio" name="tip-asset" value="eth" checked={asset === "eth"} onChange={() => setAsset("eth")} /> ETH
        </label>
        {token.data && (
          <label>
            <input type="radio" name="tip-asset" value="token" checked={asset === "token"} onChange={() => setAsset("token")} />{" "}
            the creator's token (one transaction, with a permit)
          </label>
        )}
      </fieldset>
      <label for="tip-amount">Amount ({symbol})</label>
      <input id="tip-amount" inputMode="decimal" autoComplete="off" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      {typeof units === "string" && <p class="error-note">{units}</p>}
      <label for="tip-memo">Note (optional)</label>
      <input id="tip-memo" value={memo} onInput={(e) => setMemo(e.currentTarget.value)} />
      {memoTooLong && <p class="error-note">The note is over {MAX_MEMO_BYTES} bytes.</p>}
      <p>
        <button type="submit" class="primary" disabled={typeof units === "string" || memoTooLong || tx.busy || sent?.indexing === "waiting"}>
          Tip
        </button>
      </p>
      <TxStatus tx={tx} done="Tip confirmed on chain." />
      {sent && (
        <p class={`tip-indexing ${sent.indexing}`} role="status" data-indexing={sent.indexing}>
          Your tip of <Amount wei={sent.wei} symbol={sent.symbol} />{" "}
          {sent.indexing === "waiting"
            ? "is pending: waiting for the node to index it…"
            : sent.indexing === "indexed"
              ? "now shows on the post."
              : "is on chain; the node has not indexed it yet. It will show once it does."}
        </p>
      )}
    </form>
  );
}
