// Why a money action failed, in words a fan can act on: the wallet's refusal, the contracts'
// custom errors (decoded by viem with the ABIs of abi.gen.ts) and the node's chain reason codes
// (node/errors.py), never a stack of viem internals.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError, formatEther } from "viem";

/** A transaction that was mined and reverted; `reason` is the decoded cause when the replay
 * found one. */
export class TxReverted extends Error {
  constructor(
    readonly hash: `0x${string}`,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const eth = (wei: unknown) => `${formatEther(wei as bigint)} ETH`;
const tokens = (units: unknown) => `${formatEther(units as bigint)} tokens`;

type Args = readonly unknown[];

/** Custom error name -> [the node's reason code, the words]. The reason codes are the node's
 * (`slippage_exceeded` for both slippage bounds, `contract_reverted` otherwise). */
const CONTRACT_ERRORS: Record<string, [string, (a: Args) => string]> = {
  CreatorTokenMaxCostExceeded: [
    "slippage_exceeded",
    (a) => `The price moved: the buy now costs ${eth(a[0])}, more than your limit of ${eth(a[1])}. Get a new quote or allow more slippage.`,
  ],
  CreatorTokenMinProceedsNotMet: [
    "slippage_exceeded",
    (a) => `The price moved: the sale now returns ${eth(a[0])}, less than your limit of ${eth(a[1])}. Get a new quote or allow more slippage.`,
  ],
  CreatorTokenDeadlinePassed: ["contract_reverted", () => "The trade was mined after its deadline. Try again."],
  CreatorTokenInsufficientPayment: ["contract_reverted", (a) => `The buy costs ${eth(a[1])} but only ${eth(a[0])} was sent.`],
  CreatorTokenZeroAmount: ["contract_reverted", () => "The amount must be more than zero."],
  CreatorTokenSupplyCapExceeded: ["contract_reverted", () => "That many tokens would pass the supply cap."],
  CreatorTokenAmountExceedsSupply: ["contract_reverted", () => "That is more than the whole supply."],
  CreatorTokenUnauthorized: ["contract_reverted", () => "Only the token's creator can do that."],
  CreatorTokenFeeTooHigh: ["contract_reverted", (a) => `A fee of ${a[0]} bps is over the maximum of ${a[1]} bps.`],
  FactoryAlreadyLaunched: ["contract_reverted", () => "You have already launched your token (one per creator)."],
  FactoryInvalidName: ["contract_reverted", () => "The name must be 1 to 31 bytes long."],
  FactoryInvalidSymbol: ["contract_reverted", () => "The symbol must be 1 to 11 bytes long."],
  TipJarZeroAmount: ["contract_reverted", () => "The tip must be more than zero."],
  TipJarInvalidCreator: ["contract_reverted", () => "That address cannot be tipped."],
  TipJarMemoTooLong: ["contract_reverted", (a) => `The memo is ${a[0]} bytes long, over the maximum of ${a[1]}.`],
  TipJarSplitLengthMismatch: ["contract_reverted", () => "Every account of the split needs a share."],
  TipJarTooManyAccounts: ["contract_reverted", (a) => `A split has at most ${a[1]} accounts.`],
  TipJarInvalidShare: ["contract_reverted", (a) => `Split entry ${Number(a[0]) + 1} has no valid address or a zero share.`],
  TipJarSharesNotWhole: ["contract_reverted", (a) => `The shares add up to ${Number(a[0]) / 100}%, not 100%.`],
  TipJarDeliveryMismatch: ["contract_reverted", () => "That token delivers less than it is asked to move; the tip jar refuses it."],
  CollectiveSharesNothingToClaim: ["contract_reverted", () => "There is nothing for you to claim of that asset now."],
  GovernorAlreadyCastVote: ["contract_reverted", () => "You have already voted on this proposal."],
  GovernorUnexpectedProposalState: ["contract_reverted", () => "The proposal is not open for votes now: its vote has not begun or has ended."],
  GovernorNonexistentProposal: ["contract_reverted", () => "The collective's governor knows no such proposal."],
  ERC20InsufficientBalance: ["contract_reverted", (a) => `You hold ${tokens(a[1])} but this needs ${tokens(a[2])}.`],
  ERC20InsufficientAllowance: ["contract_reverted", () => "The token permit was not accepted (expired or already used). Try again."],
};

/** The node's reason code of a contract error name: `slippage_exceeded` for a slippage bound,
 * `contract_reverted` for the other known errors, `undefined` otherwise. */
export function reasonOf(errorName: string): string | undefined {
  return CONTRACT_ERRORS[errorName]?.[0];
}

/** The node's chain reason codes (node/errors.py) in words. */
export const CHAIN_REASONS: Record<string, string> = {
  slippage_exceeded: "The price moved past your slippage limit.",
  contract_reverted: "The contract refused the transaction.",
  chain_unavailable: "The chain cannot be reached right now.",
  chain_mismatch: "The node's chain is not the one your wallet is on.",
  chain_failed: "The chain call failed.",
  no_chain: "This node does not follow a chain, so it has no tokens or tips.",
};

/** A failed wallet prompt, call or transaction as one plain sentence. */
export function describeChainError(e: unknown): string {
  if (e instanceof TxReverted) return e.reason;
  if (e instanceof BaseError) {
    if (e.walk((c) => c instanceof UserRejectedRequestError || (c as { code?: number }).code === 4001)) {
      return "You rejected the request in your wallet.";
    }
    const revert = e.walk((c) => c instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (revert) {
      const name = revert.data?.errorName;
      if (name && CONTRACT_ERRORS[name]) return CONTRACT_ERRORS[name][1](revert.data?.args ?? []);
      return revert.reason ? `The contract refused: ${revert.reason}.` : CHAIN_REASONS.contract_reverted;
    }
    if (/insufficient funds/i.test(e.message)) return "Your wallet does not hold enough ETH for this and its gas.";
    return e.shortMessage;
  }
  if ((e as { code?: number } | null)?.code === 4001) return "You rejected the request in your wallet.";
  return e instanceof Error ? e.message : String(e);
}
