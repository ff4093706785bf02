// Reads the money pages need straight from the chain (the node's index lags by its
// confirmations; a quote must not): a token's market, a creator's token, chain time.
import type { Address, PublicClient } from "viem";
import { creatorTokenAbi, factoryAbi } from "./abi.gen";
import type { Market } from "./curve";

/** Where the contracts live: the node's deployment for its chain (never a key or an RPC URL). */
export type Deployment = { chainId: number; factory: Address; tipJar: Address };

/** A token's market as of the latest block, with what the pages show beside it. */
export type TokenMarket = Market & { token: Address; name: string; symbol: string; creator: Address };

const ZERO = "0x0000000000000000000000000000000000000000";

/** The token `creator` launched, or null if it has not launched one. */
export async function tokenOf(client: PublicClient, deployment: Deployment, creator: Address): Promise<Address | null> {
  const token = await client.readContract({ address: deployment.factory, abi: factoryAbi, functionName: "tokenOf", args: [creator] });
  return token === ZERO ? null : token;
}

/** A token's curve, supply and the fees in force now: everything a quote needs. */
export async function readMarket(client: PublicClient, token: Address): Promise<TokenMarket> {
  const read = <F extends "curve" | "totalSupply" | "creatorFeeBps" | "factory" | "name" | "symbol" | "creator">(functionName: F) =>
    client.readContract({ address: token, abi: creatorTokenAbi, functionName });
  const [[basePrice, slope], supply, creatorFeeBps, factory, name, symbol, creator] = await Promise.all([
    read("curve"), read("totalSupply"), read("creatorFeeBps"), read("factory"), read("name"), read("symbol"), read("creator"),
  ]);
  const protocolFeeBps = await client.readContract({ address: factory, abi: factoryAbi, functionName: "protocolFeeBps" });
  return {
    token, name, symbol, creator, basePrice, slope, supply,
    creatorFeeBps: BigInt(creatorFeeBps), protocolFeeBps: BigInt(protocolFeeBps),
  };
}

/** The latest block's timestamp: deadlines are chain time. */
export async function chainTime(client: PublicClient): Promise<bigint> {
  return (await client.getBlock({ blockTag: "latest" })).timestamp;
}

/** `holder`'s balance of `token`, in base units. */
export function balanceOf(client: PublicClient, token: Address, holder: Address): Promise<bigint> {
  return client.readContract({ address: token, abi: creatorTokenAbi, functionName: "balanceOf", args: [holder] });
}
