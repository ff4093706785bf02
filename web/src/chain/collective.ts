// A member's transactions on a community's collective, sent by the user's wallet like every
// money action (simulated first, so a revert is refused in words before the wallet prompt):
// claiming their part of its income, and voting on a proposal. The contracts are the ones the
// node's index names for the collective (its shares contract and its governor).
import type { Address, Hex, PublicClient } from "viem";
import { collectiveGovernorAbi, collectiveSharesAbi } from "./abi.gen";
import { send, type Sender } from "./money";

/** The asset `claim` takes for ether (CollectiveShares.ETH). */
export const ETH_ASSET: Address = "0x0000000000000000000000000000000000000000";

/** A vote's `support` as the governor counts it (GovernorCountingSimple). */
export const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;
export type Support = keyof typeof SUPPORT;

/** Claims everything the user may claim of `asset` (an ERC-20's address, or ETH_ASSET) from
 * the collective whose shares contract is `shares`. */
export function claim(p: Sender, shares: Address, asset: Address): Promise<Hex> {
  return send(p, { address: shares, abi: collectiveSharesAbi, functionName: "claim", args: [asset] });
}

/** Casts the user's vote (all their shares as of the vote's start) on `proposal`. */
export function castVote(p: Sender, governor: Address, proposal: bigint, support: Support): Promise<Hex> {
  return send(p, { address: governor, abi: collectiveGovernorAbi, functionName: "castVote", args: [proposal, SUPPORT[support]] });
}

/** Whether `account` has voted on `proposal` (read from the chain: the node serves totals). */
export function hasVoted(client: PublicClient, governor: Address, proposal: bigint, account: Address): Promise<boolean> {
  return client.readContract({ address: governor, abi: collectiveGovernorAbi, functionName: "hasVoted", args: [proposal, account] });
}
