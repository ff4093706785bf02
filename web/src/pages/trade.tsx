// Buy and sell a creator's token (#/trade/:address, the creator's address): a live quote as you
// type (the curve computed here, from the market read once per block), the fees shown, a
// slippage bound and a deadline, then the transaction pending with its hash and confirmed.
import { useEffect, useState } from "preact/hooks";
import { getAddress, isAddress, type Address as Addr, type PublicClient } from "viem";
import type { PageProps } from "../app";
import { maxCost, minProceeds, price, quoteBuy, quoteSell, type Quote } from "../chain/curve";
import { DEFAULT_SLIPPAGE_BPS, TRADE_DEADLINE_SECONDS, buy, sell } from "../chain/money";
import { balanceOf, readMarket, tokenOf, type TokenMarket } from "../chain/reads";
import { deployment, payerOf, readerOf } from "../chain/session";
import { parseAmount, parsePercentBps } from "../chain/units";
import { useLoad } from "../hooks";
import { Address, Amount, ErrorNote, Loading } from "../ui";
import { TxStatus, useTx } from "../ui/tx";
import { useSession } from "../wallet";

/** How often the market (supply, fees) is read again while the page is open. */
const MARKET_REFRESH_MS = 4000;
/** The highest slippage the form accepts, in percent (the CLI's bound). */
const MAX_SLIPPAGE_PERCENT = 50;
/** The longest deadline the form accepts, in minutes: under the contracts' one-hour fee delay. */
const MAX_DEADLINE_MINUTES = 59;

type Side = "buy" | "sell";

/** The token market of `creator`, refreshed every MARKET_REFRESH_MS; null: no token launched. */
function useMarket(client: PublicClient | null, creator: Addr) {
  const loaded = useLoad(async () => {
    const d = deployment();
    if (!client || !d) return undefined;
    const token = await tokenOf(client, d, creator);
    return token ? await readMarket(client, token) : null;
  }, [client, creator]);
  useEffect(() => {
    const timer = setInterval(loaded.reload, MARKET_REFRESH_MS);
    return () => clearInterval(timer);
  }, [loaded.reload]);
  return loaded;
}

function quoteOf(market: TokenMarket, side: Side, text: string): Quote | string {
  try {
    const amount = parseAmount(text);
    return side === "buy" ? quoteBuy(market, amount) : quoteSell(market, amount);
  } catch (e) {
    return (e as Error).message;
  }
}

const percent = (bps: bigint) => `${Number(bps) / 100}%`;

function QuoteTable(p: { quote: Quote; market: TokenMarket; side: Side; bound: bigint }) {
  const { quote, market, side } = p;
  return (
    <dl class="quote" id="quote" aria-live="polite">
      <dt>Curve {side === "buy" ? "cost" : "refund"}</dt>
      <dd><Amount wei={quote.curve} symbol="ETH" /></dd>
      <dt>Creator fee ({percent(market.creatorFeeBps)})</dt>
      <dd><Amount wei={quote.creatorFee} symbol="ETH" /></dd>
      <dt>Protocol fee ({percent(market.protocolFeeBps)})</dt>
      <dd><Amount wei={quote.protocolFee} symbol="ETH" /></dd>
      <dt>{side === "buy" ? "You pay" : "You receive"}</dt>
      <dd id="quote-total"><strong><Amount wei={quote.total} symbol="ETH" /></strong></dd>
      <dt>{side === "buy" ? "At most, with slippage" : "At least, with slippage"}</dt>
      <dd id="quote-bound"><Amount wei={p.bound} symbol="ETH" /></dd>
    </dl>
  );
}

export function TradeForm(p: { market: TokenMarket; onTraded: () => void }) {
  const session = useSession();
  const payer = session && payerOf(session);
  const [side, setSide] = useState<Side>("buy");
  const [amount, setAmount] = useState("1");
  const [slippage, setSlippage] = useState(String(Number(DEFAULT_SLIPPAGE_BPS) / 100));
  const [minutes, setMinutes] = useState(String(TRADE_DEADLINE_SECONDS / 60));
  const tx = useTx();
  const balance = useLoad(
    async () => (session ? balanceOf(session.public, p.market.token, session.address) : undefined),
    [session, p.market.token, tx.phase],
  );

  const quote = quoteOf(p.market, side, amount);
  let slippageBps: bigint | string;
  try {
    slippageBps = parsePercentBps(slippage, MAX_SLIPPAGE_PERCENT);
  } catch (e) {
    slippageBps = (e as Error).message;
  }
  const deadline = Number(minutes);
  const deadlineOk = Number.isInteger(deadline) && deadline >= 1 && deadline <= MAX_DEADLINE_MINUTES;
  const ready = typeof quote !== "string" && typeof slippageBps !== "string" && deadlineOk;
  const bound = ready ? (side === "buy" ? maxCost : minProceeds)(quote.total, slippageBps as bigint) : 0n;

  const submit = async () => {
    if (!payer || !ready) return;
    const units = parseAmount(amount);
    const bounds = { quote: quote.total, slippageBps: slippageBps as bigint, deadlineSeconds: deadline * 60 };
    const receipt = await tx.run(payer.public, () => (side === "buy" ? buy : sell)(payer, p.market.token, units, bounds));
    if (receipt) p.onTraded();
  };

  return (
    <form
      class="trade"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <fieldset class="row">
        <legend>Side</legend>
        {(["buy", "sell"] as Side[]).map((s) => (
          <label key={s}>
            <input type="radio" name="side" value={s} checked={side === s} onChange={() => (setSide(s), tx.reset())} />{" "}
            {s === "buy" ? "Buy" : "Sell"}
          </label>
        ))}
      </fieldset>
      <label for="trade-amount">Amount ({p.market.symbol})</label>
      <input id="trade-amount" inputMode="decimal" autoComplete="off" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      {balance.data !== undefined && (
        <p class="muted" id="balance">
          You hold <Amount wei={balance.data} symbol={p.market.symbol} />
        </p>
      )}
      <details>
        <summary>Slippage and deadline</summary>
        <label for="trade-slippage">Slippage tolerance (%)</label>
        <input id="trade-slippage" inputMode="decimal" value={slippage} onInput={(e) => setSlippage(e.currentTarget.value)} />
        {typeof slippageBps === "string" && <p class="error-note">{slippageBps}</p>}
        <label for="trade-deadline">Deadline (minutes)</label>
        <input id="trade-deadline" inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
        {!deadlineOk && <p class="error-note">Enter whole minutes from 1 to {MAX_DEADLINE_MINUTES}.</p>}
      </details>
      {typeof quote === "string" ? (
        <p class="error-note" id="quote-error">{quote}</p>
      ) : (
        ready && <QuoteTable quote={quote} market={p.market} side={side} bound={bound} />
      )}
      {payer ? (
        <button type="submit" class="primary" disabled={!ready || tx.busy}>
          {side === "buy" ? "Buy" : "Sell"} {p.market.symbol}
        </button>
      ) : (
        <p class="muted">Connect your wallet on this node's chain to trade.</p>
      )}
      <TxStatus tx={tx} done={side === "buy" ? "Bought." : "Sold."} />
    </form>
  );
}

export default function Trade({ params }: PageProps) {
  const session = useSession();
  const valid = isAddress(params.address);
  const creator = valid ? getAddress(params.address) : ("0x" as Addr);
  const client = readerOf(session);
  const market = useMarket(client, creator);
  const m = market.data;
  if (!valid) return <section><h1>Trade</h1><p class="error-note">That is not an Ethereum address.</p></section>;
  return (
    <section>
      <h1>Trade {m ? `${m.name} (${m.symbol})` : "a creator token"}</h1>
      <p class="row">
        Creator <Address value={creator} link />
      </p>
      {!deployment() && <p class="muted">This node does not follow a chain, so there is nothing to trade.</p>}
      {deployment() && !client && <p class="muted">Connect your wallet to see this token's market.</p>}
      {market.loading && m === undefined && client && <Loading what="the market" />}
      {market.error !== undefined && <ErrorNote error={market.error} />}
      {m === null && <p class="empty">This creator has not launched a token yet.</p>}
      {m && (
        <>
          <p class="stats">
            <span>Price <Amount wei={price(m.basePrice, m.slope, m.supply)} symbol="ETH" /></span>
            <span>Supply <Amount wei={m.supply} symbol={m.symbol} /></span>
            <span>Fees {percent(m.creatorFeeBps + m.protocolFeeBps)} per trade</span>
          </p>
          <TradeForm market={m} onTraded={market.reload} />
        </>
      )}
    </section>
  );
}
