// The creator's part of a user page (#/u/:address): the token (price, supply, reserve, holders)
// with its bonding curve drawn and where the supply stands on it, tips received over time, top
// supporters and holders, from the node's index; on your own page, your revenue split.
import { useState } from "preact/hooks";
import { getAddress, isAddress, type Address as Addr } from "viem";
import { NodeError, getJson } from "../api";
import { curvePoints, toNumber } from "../chain/curve";
import { setSplit, splitOf, type Share } from "../chain/money";
import { readMarket } from "../chain/reads";
import { deployment, payerOf, readerOf } from "../chain/session";
import { parsePercentBps } from "../chain/units";
import { useLoad } from "../hooks";
import { Address, Amount, Empty, ErrorNote, Loading } from "../ui";
import { TxStatus, useTx } from "../ui/tx";
import { useSession } from "../wallet";

type TokenOut = { creator: string; token: Addr; name: string; symbol: string; supply: string; price: string; reserve: string; holders: number };
type TipOut = { tipper: string; token: string | null; amount: string; post_id: string; memo: string; block_number: number; tx_hash: string };
type CreatorDetail = { creator: string; token: TokenOut | null; tips_received: TipOut[]; top_supporters: { tipper: string; token: string | null; total: string; count: number }[] };
type HolderOut = { holder: string; balance: string };

/** Holders listed on the page (the node returns them largest first). */
const HOLDERS_SHOWN = 10;
/** TipJar.MAX_SPLIT_ACCOUNTS */
const MAX_SPLIT_ACCOUNTS = 10;

async function detail(address: string): Promise<CreatorDetail | null> {
  try {
    return await getJson<CreatorDetail>(`/v1/creators/${address}`);
  } catch (e) {
    if (e instanceof NodeError && e.reason === "no_chain") return null;
    throw e;
  }
}

/** An SVG line chart of `points` (x, y), with an optional marked point; drawn by hand (no library). */
function LineChart(p: { points: [number, number][]; mark?: [number, number]; label: string; x: string; y: string; step?: boolean }) {
  const [w, h, pad] = [320, 140, 28];
  const xs = p.points.map((q) => q[0]);
  const ys = p.points.map((q) => q[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  const path = p.points
    .map(([x, y], i) => {
      const prev = p.points[i - 1];
      const step = p.step && prev ? `L${sx(x).toFixed(1)},${sy(prev[1]).toFixed(1)}` : "";
      return `${i ? step + "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
    })
    .join("");
  const fmt = (n: number) => (n >= 1000 ? n.toExponential(1) : Number(n.toPrecision(3)).toString());
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={p.label} width="100%" style="max-width: 32rem">
      <title>{p.label}</title>
      <line x1={pad} y1={h - pad} x2={w - pad} y2={h - pad} stroke="currentColor" stroke-opacity="0.4" />
      <line x1={pad} y1={pad} x2={pad} y2={h - pad} stroke="currentColor" stroke-opacity="0.4" />
      <path d={path} fill="none" stroke="var(--accent)" stroke-width="2" />
      {p.mark && <circle cx={sx(p.mark[0])} cy={sy(p.mark[1])} r="5" fill="var(--accent)" stroke="var(--bg)" stroke-width="2" />}
      <text x={pad} y={h - 8} font-size="10" fill="currentColor">{fmt(x0)}</text>
      <text x={w - pad} y={h - 8} font-size="10" fill="currentColor" text-anchor="end">{fmt(x1)} {p.x}</text>
      <text x={pad + 4} y={pad - 8} font-size="10" fill="currentColor">{fmt(y1)} {p.y}</text>
    </svg>
  );
}

/** The price line from zero to twice the current supply (at least 100 tokens), the supply marked. */
function CurveChart(p: { token: Addr; supply: bigint }) {
  const client = readerOf(useSession());
  const market = useLoad(async () => (client ? readMarket(client, p.token) : null), [client, p.token, p.supply]);
  const m = market.data;
  if (!m) return null;
  const upTo = m.supply * 2n > 100n * 10n ** 18n ? m.supply * 2n : 100n * 10n ** 18n;
  const here = curvePoints(m.basePrice, m.slope, m.supply, 1)[1];
  return (
    <figure id="curve">
      <LineChart points={curvePoints(m.basePrice, m.slope, upTo)} mark={here} x={m.symbol} y="ETH" label={`Price of ${m.symbol} against its supply; the supply is now ${here[0]} tokens at ${here[1]} ETH each`} />
      <figcaption class="muted">Price per token along the curve; the dot is where the supply stands now.</figcaption>
    </figure>
  );
}

/** ETH tips received, added up block by block (token tips are listed, never summed with ETH). */
function TipsOverTime(p: { tips: TipOut[] }) {
  const eth = p.tips.filter((t) => t.token === null).sort((a, b) => a.block_number - b.block_number);
  if (eth.length < 2) return null;
  let total = 0n;
  const points: [number, number][] = eth.map((t) => [t.block_number, toNumber((total += BigInt(t.amount)))]);
  return <LineChart points={points} step x="block" y="ETH" label={`ETH tips received over time: ${toNumber(total)} ETH in ${eth.length} tips`} />;
}

function SplitEditor(p: { me: Addr }) {
  const session = useSession();
  const payer = session && payerOf(session);
  const tx = useTx();
  const current = useLoad(async () => (payer ? splitOf(payer.public, payer.deployment, p.me) : []), [payer?.public, p.me, tx.phase]);
  const [rows, setRows] = useState<{ account: string; percent: string }[] | null>(null);
  if (!payer || current.data === undefined) return null;
  const shown = rows ?? current.data.map((s) => ({ account: s.account, percent: String(s.bps / 100) }));
  let shares: Share[] | string;
  try {
    shares = shown.map((r, i) => {
      if (!isAddress(r.account)) throw new RangeError(`Row ${i + 1}: not an Ethereum address.`);
      return { account: getAddress(r.account), bps: Number(parsePercentBps(r.percent, 100)) };
    });
    const total = shares.reduce((a, s) => a + s.bps, 0);
    if (shares.length && total !== 10_000) throw new RangeError(`The shares add up to ${total / 100}%, not 100%.`);
  } catch (e) {
    shares = (e as Error).message;
  }
  const edit = (i: number, patch: Partial<{ account: string; percent: string }>) =>
    setRows(shown.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <form
      id="split"
      onSubmit={(e) => {
        e.preventDefault();
        if (typeof shares !== "string") void tx.run(payer.public, () => setSplit(payer, shares as Share[])).then(() => setRows(null));
      }}
    >
      <h3>Revenue split</h3>
      <p class="muted">Tips to you are divided among these accounts; you receive the rounding dust. No rows: every tip is yours.</p>
      {shown.map((r, i) => (
        <div class="row" key={i}>
          <label for={`split-account-${i}`}>Account {i + 1}</label>
          <input id={`split-account-${i}`} value={r.account} onInput={(e) => edit(i, { account: e.currentTarget.value })} />
          <label for={`split-percent-${i}`}>Share (%)</label>
          <input id={`split-percent-${i}`} inputMode="decimal" value={r.percent} onInput={(e) => edit(i, { percent: e.currentTarget.value })} />
          <button type="button" onClick={() => setRows(shown.filter((_, j) => j !== i))} aria-label={`Remove account ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <p class="row">
        {shown.length < MAX_SPLIT_ACCOUNTS && (
          <button type="button" onClick={() => setRows([...shown, { account: "", percent: "" }])}>
            Add an account
          </button>
        )}
        <button type="submit" class="primary" disabled={typeof shares === "string" || tx.busy}>
          Save split
        </button>
      </p>
      {typeof shares === "string" && <p class="error-note">{shares}</p>}
      <TxStatus tx={tx} done="Split saved." />
    </form>
  );
}

export function CreatorSection(p: { address: string }) {
  const session = useSession();
  const address = isAddress(p.address) ? getAddress(p.address) : null;
  const own = !!address && session?.address === address;
  const loaded = useLoad(async () => {
    if (!address) return null;
    const d = await detail(address);
    const holders = d?.token ? await getJson<HolderOut[]>(`/v1/tokens/${d.token.token}/holders`) : [];
    return d && { ...d, holders };
  }, [address]);
  if (!address || !deployment()) return null;
  if (loaded.loading && !loaded.data) return <Loading what="the creator's token" />;
  if (loaded.error !== undefined) return <ErrorNote error={loaded.error} />;
  const d = loaded.data;
  if (!d) return null;
  const t = d.token;
  return (
    <section id="creator-token" aria-labelledby="creator-token-title">
      <h2 id="creator-token-title">{t ? `Token: ${t.name} (${t.symbol})` : "Token"}</h2>
      {!t ? (
        <Empty>{own ? <>You have not launched a token. <a href="#/launch">Launch yours</a>.</> : "No token launched yet."}</Empty>
      ) : (
        <>
          <dl class="stats">
            <div><dt>Price</dt><dd id="token-price"><Amount wei={BigInt(t.price)} symbol="ETH" /></dd></div>
            <div><dt>Supply</dt><dd id="token-supply"><Amount wei={BigInt(t.supply)} symbol={t.symbol} /></dd></div>
            <div><dt>Reserve</dt><dd id="token-reserve"><Amount wei={BigInt(t.reserve)} symbol="ETH" /></dd></div>
            <div><dt>Holders</dt><dd id="token-holders">{t.holders}</dd></div>
          </dl>
          <p>
            <a class="button primary" href={`#/trade/${address}`}>Buy or sell {t.symbol}</a>
          </p>
          <CurveChart token={t.token} supply={BigInt(t.supply)} />
          <h3>Top holders</h3>
          {d.holders.length === 0 ? (
            <Empty>No holders yet.</Empty>
          ) : (
            <ul class="plain" id="holders">
              {d.holders.slice(0, HOLDERS_SHOWN).map((h) => (
                <li key={h.holder}><Address value={h.holder} link /> <Amount wei={BigInt(h.balance)} symbol={t.symbol} /></li>
              ))}
            </ul>
          )}
        </>
      )}
      <h3>Tips received</h3>
      <TipsOverTime tips={d.tips_received} />
      {d.tips_received.length === 0 ? (
        <Empty>No tips yet.</Empty>
      ) : (
        <ul class="plain" id="tips-received">
          {d.tips_received.map((tip) => (
            <li key={tip.tx_hash}>
              <Address value={tip.tipper} link /> <Amount wei={BigInt(tip.amount)} symbol={tip.token ? (tip.token === t?.token ? t.symbol : "tokens") : "ETH"} />
              {tip.post_id !== `0x${"0".repeat(64)}` && <a href={`#/p/${tip.post_id}`}>on a post</a>}
              {tip.memo && <span>“{tip.memo}”</span>}
            </li>
          ))}
        </ul>
      )}
      <h3>Top supporters</h3>
      {d.top_supporters.length === 0 ? (
        <Empty>No supporters yet.</Empty>
      ) : (
        <ol id="supporters">
          {d.top_supporters.map((s) => (
            <li key={`${s.tipper}-${s.token}`}>
              <Address value={s.tipper} link /> <Amount wei={BigInt(s.total)} symbol={s.token ? (s.token === t?.token ? t.symbol : "tokens") : "ETH"} />{" "}
              <span class="muted">in {s.count} tip{s.count === 1 ? "" : "s"}</span>
            </li>
          ))}
        </ol>
      )}
      {own && <SplitEditor me={address} />}
    </section>
  );
}
