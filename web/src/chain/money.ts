// Money transactions, always signed and sent by the user's wallet: launch a token, buy and sell
// on its curve (slippage bound and deadline), tip a post in ETH or in the creator's token with
// an EIP-2612 permit (one transaction), set a revenue split. Each helper first simulates the call
// against the chain (a revert is refused with the contract's reason before any wallet prompt,
// whatever the wallet does with revert data), then has the wallet send it, and returns the hash
// as soon as it is sent, so the page can show it pending; `confirm` then waits for the receipt.
import {
  decodeFunctionData,
  parseEventLogs,
  parseSignature,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type SimulateContractParameters,
  type TransactionReceipt,
  type WalletClient,
  type WriteContractParameters,
} from "viem";
import { collectiveGovernorAbi, collectiveSharesAbi, creatorTokenAbi, factoryAbi, tipJarAbi } from "./abi.gen";
import { deadlineAfter, maxCost, minProceeds } from "./curve";
import { TxReverted, describeChainError } from "./errors";
import { chainTime, type Deployment } from "./reads";

/** How long a trade stays valid (seconds of chain time) unless the user sets another: shorter
 * than the contracts' one-hour fee-increase delay, as the node's client (TRADE_DEADLINE_SECONDS). */
export const TRADE_DEADLINE_SECONDS = 600;
/** Slippage tolerance unless the user sets another, in basis points (1%), as the CLI. */
export const DEFAULT_SLIPPAGE_BPS = 100n;
/** How long a token tip's permit stays valid (seconds of chain time), as the node's client. */
export const PERMIT_TTL_SECONDS = 3600;
/** A tip to no post in particular. */
export const NO_POST: Hex = `0x${"0".repeat(64)}`;

/** The user's wallet and a reader of the same chain, with the node's deployment. `account` is
 * the wallet's address (a JSON-RPC account: the wallet signs) or a local account in tests. */
export type Payer = { wallet: WalletClient; public: PublicClient; account: Address | Account; deployment: Deployment };

/** A trade's bounds: the quote the user was shown (wei), the tolerance and the deadline. */
export type TradeBounds = { quote: bigint; slippageBps?: bigint; deadlineSeconds?: number };

/** What sending a transaction takes: the wallet and a reader (no deployment: a collective's
 * contracts are named by the community, not by the node's deployment). */
export type Sender = Pick<Payer, "wallet" | "public" | "account">;

const addressOf = (p: Sender): Address => (typeof p.account === "string" ? p.account : p.account.address);

/** A contract call as the helpers build it. */
export type Call = { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[]; value?: bigint };

/** Simulates `call` from the user's account, then has the wallet send it; the hash. */
export async function send(p: Sender, call: Call): Promise<Hex> {
  const { request } = await p.public.simulateContract({ ...call, account: p.account } as unknown as SimulateContractParameters);
  return p.wallet.writeContract({ ...request, account: p.account, chain: p.wallet.chain ?? null } as unknown as WriteContractParameters);
}

/** Launches the user's creator token (one per creator). */
export function launchToken(p: Payer, name: string, symbol: string): Promise<Hex> {
  return send(p, { address: p.deployment.factory, abi: factoryAbi, functionName: "launch", args: [name, symbol] });
}

/** The token a confirmed launch created. */
export function launchedToken(receipt: TransactionReceipt): Address {
  const [event] = parseEventLogs({ abi: factoryAbi, eventName: "TokenLaunched", logs: receipt.logs });
  if (!event) throw new Error("the launch transaction emitted no TokenLaunched event");
  return event.args.token;
}

/** Buys `amount` base units of `token`, paying at most the quote plus the slippage tolerance
 * (sent as the value; the contract refunds what the buy did not cost). */
export async function buy(p: Payer, token: Address, amount: bigint, bounds: TradeBounds): Promise<Hex> {
  const bound = maxCost(bounds.quote, bounds.slippageBps ?? DEFAULT_SLIPPAGE_BPS);
  const deadline = deadlineAfter(await chainTime(p.public), bounds.deadlineSeconds ?? TRADE_DEADLINE_SECONDS);
  return send(p, { address: token, abi: creatorTokenAbi, functionName: "buy", args: [amount, bound, deadline], value: bound });
}

/** Sells `amount` base units of `token`, receiving at least the quote less the tolerance. */
export async function sell(p: Payer, token: Address, amount: bigint, bounds: TradeBounds): Promise<Hex> {
  const bound = minProceeds(bounds.quote, bounds.slippageBps ?? DEFAULT_SLIPPAGE_BPS);
  const deadline = deadlineAfter(await chainTime(p.public), bounds.deadlineSeconds ?? TRADE_DEADLINE_SECONDS);
  return send(p, { address: token, abi: creatorTokenAbi, functionName: "sell", args: [amount, bound, deadline] });
}

/** Tips `creator` `wei` of ETH for the post `postId` (a message id), with `memo`. */
export function tipEth(p: Payer, creator: Address, wei: bigint, postId: Hex = NO_POST, memo = ""): Promise<Hex> {
  return send(p, { address: p.deployment.tipJar, abi: tipJarAbi, functionName: "tip", args: [creator, postId, memo], value: wei });
}

/** Tips `creator` `amount` base units of `token` in one transaction: the wallet signs an
 * EIP-2612 permit for the tip jar (eth_signTypedData_v4, the token's own EIP-712 domain), then
 * sends `tipTokenWithPermit`. */
export async function tipToken(
  p: Payer, token: Address, creator: Address, amount: bigint, postId: Hex = NO_POST, memo = "",
): Promise<Hex> {
  const owner = addressOf(p);
  const [[, name, version, chainId, verifyingContract], nonce, now] = await Promise.all([
    p.public.readContract({ address: token, abi: creatorTokenAbi, functionName: "eip712Domain" }),
    p.public.readContract({ address: token, abi: creatorTokenAbi, functionName: "nonces", args: [owner] }),
    chainTime(p.public),
  ]);
  const deadline = now + BigInt(PERMIT_TTL_SECONDS);
  const signature = await p.wallet.signTypedData({
    account: p.account,
    domain: { name, version, chainId: Number(chainId), verifyingContract },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner, spender: p.deployment.tipJar, value: amount, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return send(p, {
    address: p.deployment.tipJar,
    abi: tipJarAbi,
    functionName: "tipTokenWithPermit",
    args: [token, creator, amount, postId, memo, deadline, Number(v ?? BigInt(27 + yParity)), r, s],
  });
}

/** A revenue split: tips to the user are divided among `account`s by `bps` (summing to 10,000). */
export type Share = { account: Address; bps: number };

/** Sets the user's split (an empty list removes it). */
export function setSplit(p: Payer, shares: Share[]): Promise<Hex> {
  return send(p, {
    address: p.deployment.tipJar, abi: tipJarAbi, functionName: "setSplit",
    args: [shares.map((s) => s.account), shares.map((s) => s.bps)],
  });
}

/** The split `creator` has set (empty: none). */
export async function splitOf(client: PublicClient, deployment: Deployment, creator: Address): Promise<Share[]> {
  const [accounts, bps] = await client.readContract({ address: deployment.tipJar, abi: tipJarAbi, functionName: "splitOf", args: [creator] });
  return accounts.map((account, i) => ({ account, bps: bps[i] }));
}

/** Waits for `hash` to be mined; a reverted transaction throws {@link TxReverted} with the
 * contract's reason, found by replaying the call on the state of the block before. */
export async function confirm(client: PublicClient, hash: Hex): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status === "success") return receipt;
  const tx = await client.getTransaction({ hash });
  const abi = [...creatorTokenAbi, ...factoryAbi, ...tipJarAbi, ...collectiveSharesAbi, ...collectiveGovernorAbi];
  const { functionName, args } = decodeFunctionData({ abi, data: tx.input });
  try {
    await client.simulateContract({
      account: tx.from, address: tx.to!, abi, functionName, args, value: tx.value, blockNumber: receipt.blockNumber - 1n,
    } as unknown as Parameters<PublicClient["simulateContract"]>[0]);
  } catch (e) {
    throw new TxReverted(hash, describeChainError(e));
  }
  throw new TxReverted(hash, "The transaction failed on chain.");
}
