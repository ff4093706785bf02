// The user's wallet: found with EIP-6963 (falling back to window.ethereum), connected on request,
// checked against the node's chain. Every prompt ends: a rejection or failure becomes a plain
// message (describeWalletError) in the wallet state, never a spinner left spinning.
import { useEffect, useState } from "preact/hooks";
import {
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  http,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from "viem";
import { NodeError } from "./api";
import { config, nodeChain } from "./config";

export type Session = {
  address: `0x${string}`;
  wallet: WalletClient;
  public: PublicClient;
  chainId: number;
};

export type ProviderInfo = { uuid: string; name: string; icon: string; rdns: string };
export type ProviderDetail = { info: ProviderInfo; provider: EIP1193Provider };

export type WalletState = {
  /** Wallets found in this browser. */
  providers: ProviderDetail[];
  /** The connected wallet, or null. */
  connected: ProviderDetail | null;
  address: `0x${string}` | null;
  chainId: number | null;
  /** A wallet prompt is open. */
  busy: boolean;
  /** The last prompt's failure, in plain words. */
  error: string | null;
};

const REMEMBERED = "mecenate.wallet";
let state: WalletState = {
  providers: [],
  connected: null,
  address: null,
  chainId: null,
  busy: false,
  error: null,
};
const listeners = new Set<(s: WalletState) => void>();

function update(patch: Partial<WalletState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

/** Why a wallet request failed, in words a person can act on. */
export function describeWalletError(e: unknown): string {
  for (let cur: any = e, depth = 0; cur && depth < 8; cur = cur.cause, depth++) {
    if (cur instanceof NodeError) return cur.message;
    switch (cur.code) {
      case 4001:
        return "You rejected the request in your wallet.";
      case 4100:
        return "Your wallet has not authorised this site: connect again.";
      case 4200:
        return "Your wallet does not support this request.";
      case 4900:
      case 4901:
        return "Your wallet is disconnected from the chain.";
      case 4902:
        return "Your wallet does not know this chain yet.";
      case -32002:
        return "Your wallet already has a request open: look at your wallet.";
    }
  }
  const text = e instanceof Error ? (e as any).shortMessage ?? e.message : String(e);
  return `Your wallet reported a problem: ${text}`;
}

// ---------------------------------------------------------------- discovery (EIP-6963)

function discover(): void {
  window.addEventListener("eip6963:announceProvider", (event: Event) => {
    const detail = (event as CustomEvent<ProviderDetail>).detail;
    if (!detail?.info?.uuid || !detail.provider) return;
    if (state.providers.some((p) => p.info.uuid === detail.info.uuid)) return;
    update({ providers: [...state.providers, detail] });
    if (!state.connected && localStorage.getItem(REMEMBERED) === detail.info.rdns) void restore(detail);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  // A wallet that predates EIP-6963 only sets window.ethereum.
  setTimeout(() => {
    const legacy = (window as any).ethereum as EIP1193Provider | undefined;
    if (state.providers.length === 0 && legacy) {
      const detail = { info: { uuid: "legacy", name: "Browser wallet", icon: "", rdns: "legacy" }, provider: legacy };
      update({ providers: [detail] });
      if (localStorage.getItem(REMEMBERED) === "legacy") void restore(detail);
    }
  }, 300);
}

async function chainIdOf(provider: EIP1193Provider): Promise<number> {
  return Number(await provider.request({ method: "eth_chainId" }));
}

function follow(detail: ProviderDetail): void {
  const p = detail.provider as any;
  p.on?.("accountsChanged", (accounts: string[]) => {
    if (state.connected !== detail) return;
    if (!accounts.length) disconnect();
    else update({ address: getAddress(accounts[0]) });
  });
  p.on?.("chainChanged", (hex: string) => {
    if (state.connected === detail) update({ chainId: Number(hex) });
  });
}

/** Reconnect silently (eth_accounts: no prompt) to the wallet used last time. */
async function restore(detail: ProviderDetail): Promise<void> {
  try {
    const [accounts, chainId] = await Promise.all([
      detail.provider.request({ method: "eth_accounts" }) as Promise<string[]>,
      chainIdOf(detail.provider),
    ]);
    if (!accounts.length || state.connected) return;
    follow(detail);
    update({ connected: detail, address: getAddress(accounts[0]), chainId });
  } catch {
    /* a wallet that will not say: the user connects by hand */
  }
}

/** Run a wallet prompt: busy while it is open; its failure goes into the state as words. */
async function prompt<T>(run: () => Promise<T>): Promise<T | undefined> {
  update({ busy: true, error: null });
  try {
    return await run();
  } catch (e) {
    update({ error: describeWalletError(e) });
    return undefined;
  } finally {
    update({ busy: false });
  }
}

/** Ask `detail`'s wallet (the only one found, when omitted) for an account. */
export async function connect(detail?: ProviderDetail): Promise<void> {
  const chosen = detail ?? state.providers[0];
  if (!chosen) {
    update({ error: "No wallet found in this browser: install one (MetaMask, Rabby, Frame...) and reload." });
    return;
  }
  await prompt(async () => {
    const accounts = (await chosen.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (!accounts.length) throw new Error("the wallet gave no account");
    const chainId = await chainIdOf(chosen.provider);
    follow(chosen);
    localStorage.setItem(REMEMBERED, chosen.info.rdns);
    update({ connected: chosen, address: getAddress(accounts[0]), chainId });
  });
}

export function disconnect(): void {
  localStorage.removeItem(REMEMBERED);
  update({ connected: null, address: null, chainId: null, error: null });
}

/** Ask the wallet to switch to the node's chain, adding it first if the wallet lacks it. */
export async function switchToNodeChain(): Promise<void> {
  const provider = state.connected?.provider;
  if (!provider) return;
  const chain = nodeChain();
  const hexId = `0x${chain.id.toString(16)}` as const;
  await prompt(async () => {
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hexId }] });
    } catch (e: any) {
      if (e?.code !== 4902 && e?.data?.originalError?.code !== 4902) throw e;
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId: hexId,
            chainName: chain.name,
            nativeCurrency: chain.nativeCurrency,
            rpcUrls: [...chain.rpcUrls.default.http],
          },
        ],
      });
    }
    update({ chainId: await chainIdOf(provider) });
  });
}

/** Clear the last prompt's message (the user dismissed it). */
export function dismissWalletError(): void {
  update({ error: null });
}

// ---------------------------------------------------------------- sessions

/** The last session built, and what it was built from: the same wallet, account and chain
 * give the same object (so hooks depending on it do not rerun). */
let built: { from: ProviderDetail; session: Session } | null = null;

function sessionOf(s: WalletState): Session | null {
  if (!s.connected || !s.address || s.chainId !== config().chain_id) return null;
  if (built && built.from === s.connected && built.session.address === s.address && built.session.chainId === s.chainId)
    return built.session;
  const chain = nodeChain();
  const transport = custom(s.connected.provider);
  const rpc = config().rpc_url;
  const session: Session = {
    address: s.address,
    chainId: s.chainId,
    wallet: createWalletClient({ account: s.address, chain, transport }),
    public: createPublicClient({ chain, transport: rpc ? http(rpc) : transport }) as PublicClient,
  };
  built = { from: s.connected, session };
  return session;
}

/** The connected wallet on the node's chain, or null; outside components (messages.ts). */
export function currentSession(): Session | null {
  return sessionOf(state);
}

/** Preact hook: the whole wallet state. */
export function useWallet(): WalletState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    setValue(state);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

/** Preact hook: the session, or null until connected on the node's chain. */
export function useSession(): Session | null {
  return sessionOf(useWallet());
}

export function startWallet(): void {
  discover();
}
