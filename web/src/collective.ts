// Collectives as the node serves them (node/api/_collectives.py): a community owned by its
// members on chain, named by its shares contract. The answers' shapes, one load of everything
// the community page shows, and a wait for the node's chain index to reach a block (after a
// transaction the page shows what the node indexed, not a guess).
import { getJson } from "./api";

/** `GET /v1/communities/{id}`'s `collective`: how the charter stands with the collective. */
export type CollectiveStanding = {
  address: `0x${string}`;
  status: "approved" | "drifted" | "unverifiable";
  detail: string;
  charterHash: string;
  approvedHash: string | null;
  moderatorsSince: number | null;
};

/** Amounts are decimal strings of base units (shares are whole: one share, one vote). */
export type CollectiveOut = {
  address: `0x${string}`;
  community: string;
  governor: `0x${string}`;
  timelock: `0x${string}`;
  moderators: string[];
  moderatorsSince: number;
  charterHash: string;
  treasuryBps: number;
  totalShares: string;
  members: number;
  indexedBlock: number | null;
};
export type ShareholderOut = { address: string; shares: string };
export type ProposalState = "pending" | "active" | "canceled" | "defeated" | "succeeded" | "queued" | "expired" | "executed";
export type ProposalOut = {
  id: string;
  proposer: string;
  description: string;
  voteStart: number;
  voteEnd: number;
  state: ProposalState;
  eta: number | null;
  votes: { for: string; against: string; abstain: string };
  block: number;
  tx: string;
};
/** `asset`: "ETH", or an ERC-20's address; its symbol and decimals (null where the token's
 * contract does not say: its amounts are then shown in base units). */
export type AssetUnits = { asset: string; symbol: string | null; decimals: number | null };
export type AssetOut = AssetUnits & { income: string; toTreasury: string; claimed: string; withdrawn: string; treasury: string };
export type ClaimableOut = AssetUnits & { claimable: string };

/** Everything the community page shows of a collective; `claimable` only with a viewer. */
export type CollectiveData = {
  collective: CollectiveOut;
  members: ShareholderOut[];
  proposals: ProposalOut[];
  treasury: AssetOut[];
  claimable: ClaimableOut[] | null;
};

/** Loads the collective at `shares` as the node indexed it, with `viewer`'s claimable income. */
export async function loadCollective(shares: string, viewer: string | undefined): Promise<CollectiveData> {
  const base = `/v1/collectives/${shares}`;
  const [collective, members, proposals, treasury, claimable] = await Promise.all([
    getJson<CollectiveOut>(base),
    getJson<{ items: ShareholderOut[] }>(`${base}/members`),
    getJson<{ items: ProposalOut[] }>(`${base}/proposals`),
    getJson<{ assets: AssetOut[] }>(`${base}/treasury`),
    viewer ? getJson<{ assets: ClaimableOut[] }>(`${base}/claimable/${viewer}`) : Promise.resolve(null),
  ]);
  return {
    collective,
    members: members.items,
    proposals: proposals.items,
    treasury: treasury.assets,
    claimable: claimable && claimable.assets,
  };
}

/** How long the page waits for the node to index a confirmed transaction before saying so. */
const INDEX_WAIT_MS = 60_000;
const INDEX_POLL_MS = 1_000;

/** Polls the collective until the node's index has reached `block`: true, or false after
 * INDEX_WAIT_MS (the node lags by its confirmations, or is away for a moment). */
export async function untilIndexed(shares: string, block: bigint): Promise<boolean> {
  const until = Date.now() + INDEX_WAIT_MS;
  while (Date.now() < until) {
    try {
      const c = await getJson<CollectiveOut>(`/v1/collectives/${shares}`);
      if (c.indexedBlock !== null && BigInt(c.indexedBlock) >= block) return true;
    } catch {
      /* the node is away for a moment: the banner says so; keep waiting */
    }
    await new Promise((r) => setTimeout(r, INDEX_POLL_MS));
  }
  return false;
}
