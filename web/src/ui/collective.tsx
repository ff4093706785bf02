// A community's collective on its page: how the charter stands with it, and (when the node's
// chain index knows it for this community) its shareholders, proposals with their votes, its
// treasury per asset, and for the connected member their claimable income with a Claim button
// and For/Against/Abstain on a proposal open for votes. Claims and votes are wallet
// transactions (chain/collective.ts); once one is confirmed the panel waits for the node to
// index its block and shows what the node then serves.
import { useState } from "preact/hooks";
import type { Address as Addr } from "viem";
import { castVote, claim, ETH_ASSET, hasVoted, type Support } from "../chain/collective";
import {
  loadCollective,
  untilIndexed,
  type AssetOut,
  type AssetUnits,
  type ClaimableOut,
  type CollectiveData,
  type CollectiveStanding,
  type ProposalOut,
} from "../collective";
import { useLoad } from "../hooks";
import { useSession } from "../wallet";
import { Address } from "./address";
import { Amount } from "./amount";
import { ErrorNote } from "./error";
import { when } from "./post";
import { Empty, Loading } from "./states";
import { TxStatus, useTx } from "./tx";

/** The standing in words: approved, drifted (with both hashes), or unverifiable (and why). */
export function CollectiveStandingNote(p: { standing: CollectiveStanding }) {
  const s = p.standing;
  return (
    <div class={`collective-standing ${s.status}`} id="collective-standing">
      <p class="row">
        <span>{s.status === "unverifiable" ? "Its charter names the collective" : "Owned by its members through the collective"}</span>
        <Address value={s.address} />
      </p>
      {s.status === "approved" && <p class="ok-note">The charter is the one the members approved on chain.</p>}
      {s.status === "drifted" && (
        <>
          <p>The charter has changed since the members approved it: the founder's key signed changes they did not vote on.</p>
          <dl class="quote hashes">
            <dt>Approved</dt>
            <dd>
              <code>{s.approvedHash}</code>
            </dd>
            <dt>This charter</dt>
            <dd>
              <code>{s.charterHash}</code>
            </dd>
          </dl>
        </>
      )}
      {s.status === "unverifiable" && (
        <p>
          This node cannot verify the collective: {s.detail}. Nobody's moderation counts here until it can.
        </p>
      )}
    </div>
  );
}

const pct = (part: bigint, whole: bigint) => (whole === 0n ? "0" : (Number((part * 10000n) / whole) / 100).toString());

/** An amount of an asset as the node names it: ether, or a token in its symbol and decimals
 * (in base units when its contract does not say), with its address unless `bare`. */
function AssetAmount(p: { units: AssetUnits; wei: string; bare?: boolean }) {
  const { asset, symbol, decimals } = p.units;
  if (asset === "ETH") return <Amount wei={BigInt(p.wei)} symbol="ETH" />;
  const amount = <Amount wei={BigInt(p.wei)} decimals={decimals ?? 0} symbol={decimals === null ? "base units" : (symbol ?? "tokens")} />;
  if (p.bare) return amount;
  return (
    <span class="row">
      {amount} <Address value={asset} />
    </span>
  );
}

const STATE_WORDS: Record<ProposalOut["state"], string> = {
  pending: "Vote not open yet",
  active: "Open for votes",
  canceled: "Canceled",
  defeated: "Defeated",
  succeeded: "Passed, waiting to be queued",
  queued: "Passed and queued",
  expired: "Expired",
  executed: "Executed",
};

/** For / Against / Abstain on an active proposal, for a member; "You voted" once they have. */
function VoteButtons(p: { data: CollectiveData; proposal: ProposalOut; onIndexed: () => void }) {
  const session = useSession()!;
  const governor = p.data.collective.governor;
  const id = BigInt(p.proposal.id);
  const voted = useLoad(() => hasVoted(session.public, governor, id, session.address as Addr), [governor, p.proposal.id, session.address]);
  const tx = useTx();
  const [indexing, setIndexing] = useState<"waiting" | "late" | null>(null);
  const vote = async (support: Support) => {
    const receipt = await tx.run(session.public, () =>
      castVote({ wallet: session.wallet, public: session.public, account: session.address as Addr }, governor, id, support),
    );
    if (!receipt) return;
    voted.reload();
    setIndexing("waiting");
    const indexed = await untilIndexed(p.data.collective.address, receipt.blockNumber);
    setIndexing(indexed ? null : "late");
    if (indexed) p.onIndexed();
  };
  return (
    <div class="vote">
      {voted.data ? (
        <p class="ok-note">You voted on this proposal.</p>
      ) : (
        <p class="row" role="group" aria-label="Your vote">
          {(["for", "against", "abstain"] as const).map((s) => (
            <button key={s} type="button" class={s === "for" ? "primary" : ""} disabled={tx.busy || voted.loading} onClick={() => void vote(s)}>
              {s === "for" ? "For" : s === "against" ? "Against" : "Abstain"}
            </button>
          ))}
        </p>
      )}
      {tx.phase !== "confirmed" && <TxStatus tx={tx} />}
      {indexing === "waiting" && <p class="muted">Vote cast; waiting for the node to count it…</p>}
      {indexing === "late" && <p class="muted">The node has not indexed the vote yet; reload later.</p>}
      {voted.error !== undefined && <ErrorNote error={voted.error} />}
    </div>
  );
}

function Proposal(p: { data: CollectiveData; proposal: ProposalOut; canVote: boolean; onIndexed: () => void }) {
  const q = p.proposal;
  return (
    <li class="proposal" data-id={q.id} data-state={q.state}>
      <p class="text description">{q.description}</p>
      <p class="row">
        <span class={`tag state ${q.state}`}>{STATE_WORDS[q.state]}</span>
        <span class="muted">
          votes in blocks {q.voteStart}–{q.voteEnd}, proposed by
        </span>
        <Address value={q.proposer} link />
      </p>
      <p class="stats votes">
        <span>For {q.votes.for}</span>
        <span>Against {q.votes.against}</span>
        <span>Abstain {q.votes.abstain}</span>
      </p>
      {q.state === "queued" && q.eta !== null && <p class="eta">Can be executed from {when(q.eta)}.</p>}
      {q.state === "active" && p.canVote && <VoteButtons data={p.data} proposal={q} onIndexed={p.onIndexed} />}
    </li>
  );
}

/** One claimable asset with its Claim button. */
function ClaimControl(p: { data: CollectiveData; asset: ClaimableOut; onIndexed: () => void }) {
  const session = useSession()!;
  const tx = useTx();
  const [indexing, setIndexing] = useState<"waiting" | "late" | null>(null);
  const asset = (p.asset.asset === "ETH" ? ETH_ASSET : p.asset.asset) as Addr;
  const run = async () => {
    const receipt = await tx.run(session.public, () =>
      claim({ wallet: session.wallet, public: session.public, account: session.address as Addr }, p.data.collective.address, asset),
    );
    if (!receipt) return;
    setIndexing("waiting");
    const indexed = await untilIndexed(p.data.collective.address, receipt.blockNumber);
    setIndexing(indexed ? null : "late");
    if (indexed) p.onIndexed();
  };
  return (
    <li class="claim" data-asset={p.asset.asset}>
      <AssetAmount units={p.asset} wei={p.asset.claimable} />
      <button type="button" class="primary" disabled={tx.busy || indexing === "waiting"} onClick={() => void run()}>
        Claim {p.asset.asset === "ETH" ? "ETH" : (p.asset.symbol ?? "tokens")}
      </button>
      <TxStatus tx={tx} done="Claimed." />
      {indexing === "waiting" && <span class="muted">Waiting for the node to index the claim…</span>}
      {indexing === "late" && <span class="muted">The node has not indexed the claim yet; reload later.</span>}
    </li>
  );
}

function Treasury(p: { assets: AssetOut[] }) {
  if (p.assets.length === 0) return <Empty>No income yet.</Empty>;
  return (
    <ul class="plain" id="treasury">
      {p.assets.map((a) => (
        <li key={a.asset} data-asset={a.asset}>
          {a.asset !== "ETH" && (
            <p class="row">
              <strong>{a.symbol ?? "A token"}</strong> <Address value={a.asset} />
            </p>
          )}
          <dl class="quote">
            <dt>Treasury holds</dt>
            <dd>
              <AssetAmount units={a} wei={a.treasury} bare />
            </dd>
            <dt>Income accounted</dt>
            <dd>
              <AssetAmount units={a} wei={a.income} bare />
            </dd>
            <dt>Of it to the treasury</dt>
            <dd>
              <AssetAmount units={a} wei={a.toTreasury} bare />
            </dd>
            <dt>Claimed by members</dt>
            <dd>
              <AssetAmount units={a} wei={a.claimed} bare />
            </dd>
            <dt>Withdrawn</dt>
            <dd>
              <AssetAmount units={a} wei={a.withdrawn} bare />
            </dd>
          </dl>
        </li>
      ))}
    </ul>
  );
}

/** The collective at `shares` (a standing that is approved or drifted: the node knows it). */
export function CollectivePanel(p: { shares: string }) {
  const me = useSession()?.address;
  const loaded = useLoad(() => loadCollective(p.shares, me), [p.shares, me]);
  if (loaded.loading && !loaded.data) return <Loading what="the collective" />;
  if (loaded.error !== undefined) return <ErrorNote error={loaded.error} />;
  const d = loaded.data!;
  const c = d.collective;
  const total = BigInt(c.totalShares);
  const mine = me && d.members.find((m) => m.address.toLowerCase() === me.toLowerCase());
  const claimable = (d.claimable ?? []).filter((a) => BigInt(a.claimable) > 0n);
  return (
    <section id="collective" aria-labelledby="collective-title">
      <h2 id="collective-title">The collective</h2>
      <p class="muted">
        {c.totalShares} {total === 1n ? "share" : "shares"} among {c.members} {c.members === 1 ? "member" : "members"}, one
        share one vote. {c.treasuryBps / 100}% of the income goes to the treasury; the rest is the members', by their shares.
      </p>
      {me && (
        <>
          <h3>Your income</h3>
          {mine && <p>You hold {mine.shares} {mine.shares === "1" ? "share" : "shares"} ({pct(BigInt(mine.shares), total)}%).</p>}
          {claimable.length === 0 ? (
            <p class="muted" id="claimable">
              Nothing to claim now.
            </p>
          ) : (
            <ul class="plain" id="claimable">
              {claimable.map((a) => (
                <ClaimControl key={a.asset} data={d} asset={a} onIndexed={loaded.reload} />
              ))}
            </ul>
          )}
        </>
      )}
      <h3>Shareholders</h3>
      <ul class="plain" id="shareholders">
        {d.members.map((m) => (
          <li key={m.address}>
            <Address value={m.address} link />
            <span>
              {m.shares} {m.shares === "1" ? "share" : "shares"}
            </span>
            <span class="muted">{pct(BigInt(m.shares), total)}%</span>
          </li>
        ))}
      </ul>
      <h3>Proposals</h3>
      {d.proposals.length === 0 && <Empty>No proposals yet.</Empty>}
      <ul class="plain" id="proposals">
        {d.proposals.map((q) => (
          <Proposal key={q.id} data={d} proposal={q} canVote={!!mine && BigInt(mine.shares) > 0n} onIndexed={loaded.reload} />
        ))}
      </ul>
      <h3>Treasury</h3>
      <Treasury assets={d.treasury} />
      <p class="muted">
        Indexed up to block {c.indexedBlock ?? "none yet"}.{" "}
        <button type="button" class="link" onClick={loaded.reload}>
          Refresh
        </button>
      </p>
    </section>
  );
}
