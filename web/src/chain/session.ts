// The money helpers' view of the app: the node's deployment (GET /v1/web-config) and the user's
// wallet session as a Payer, and a chain reader for pages shown before a wallet is connected.
import { createPublicClient, http, type PublicClient } from "viem";
import { config, nodeChain } from "../config";
import type { Session } from "../wallet";
import type { Payer } from "./money";
import type { Deployment } from "./reads";

/** The node's contracts, or null when the node follows no chain. */
export function deployment(): Deployment | null {
  const c = config();
  return c.factory && c.tip_jar ? { chainId: c.chain_id, factory: c.factory, tipJar: c.tip_jar } : null;
}

/** The connected wallet as the money helpers take it (the wallet signs and sends). */
export function payerOf(session: Session): Payer | null {
  const d = deployment();
  return d && { wallet: session.wallet, public: session.public, account: session.address, deployment: d };
}

let reader: PublicClient | null = null;

/** A chain reader: the wallet's when connected, else the node's advertised RPC, else null. */
export function readerOf(session: Session | null): PublicClient | null {
  if (session) return session.public;
  const url = config().rpc_url;
  if (!url) return null;
  reader ??= createPublicClient({ chain: nodeChain(), transport: http(url) }) as PublicClient;
  return reader;
}
