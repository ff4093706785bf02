// What the node tells the app about the chain (GET /v1/web-config), read once at start.
import { defineChain, type Chain } from "viem";
import { getJson } from "./api";

export type WebConfig = {
  chain_id: number;
  factory: `0x${string}` | null;
  tip_jar: `0x${string}` | null;
  start_block: number | null;
  rpc_url: string | null;
};

let loaded: WebConfig | null = null;

export async function loadConfig(): Promise<WebConfig> {
  loaded = await getJson<WebConfig>("/v1/web-config");
  return loaded;
}

/** The node's configuration; only after loadConfig() resolved (main.tsx awaits it). */
export function config(): WebConfig {
  if (!loaded) throw new Error("config() before loadConfig()");
  return loaded;
}

/** The node's chain, as viem and wallet_addEthereumChain describe it. */
export function nodeChain(): Chain {
  const c = config();
  return defineChain({
    id: c.chain_id,
    name: c.chain_id === 31337 ? "Mecenate devnet" : `Chain ${c.chain_id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: c.rpc_url ? [c.rpc_url] : [] } },
  });
}
