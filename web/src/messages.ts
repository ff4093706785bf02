// Signed messages in the README's wire form: EIP-712 typed data under the domain
// {name: "Mecenate", version: "1", chainId}, signed by the user's wallet (eth_signTypedData_v4)
// or by the browser's app key, and posted to /v1/messages. The node is the judge: its refusal
// comes back as a NodeError with the reason.
import { getAddress, type TypedDataDomain } from "viem";
import { postJson } from "./api";
import { appKey } from "./appkey";
import { currentSession } from "./wallet";

const HEAD = [
  { name: "author", type: "address" },
  { name: "timestamp", type: "uint64" },
] as const;

/** The message types of node/messages/_types.py, fields in signing order. */
export const TYPES: Record<string, readonly { name: string; type: string }[]> = {
  Profile: [...HEAD, { name: "field", type: "string" }, { name: "value", type: "string" }],
  Follow: [...HEAD, { name: "target", type: "address" }, { name: "active", type: "bool" }],
  Post: [
    ...HEAD,
    { name: "text", type: "string" },
    { name: "replyTo", type: "bytes32" },
    { name: "gate", type: "string" },
    { name: "ciphertext", type: "bytes" },
  ],
  PostDelete: [...HEAD, { name: "post", type: "bytes32" }],
  Reaction: [...HEAD, { name: "post", type: "bytes32" }, { name: "kind", type: "string" }, { name: "active", type: "bool" }],
  SignerAdd: [...HEAD, { name: "signer", type: "address" }, { name: "label", type: "string" }],
  SignerRemove: [...HEAD, { name: "signer", type: "address" }],
  Charter: [...HEAD, { name: "handle", type: "string" }, { name: "field", type: "string" }, { name: "value", type: "string" }],
  Membership: [...HEAD, { name: "community", type: "bytes32" }, { name: "active", type: "bool" }],
  CommunityPost: [
    ...HEAD,
    { name: "community", type: "bytes32" },
    { name: "text", type: "string" },
    { name: "replyTo", type: "bytes32" },
    { name: "gate", type: "string" },
    { name: "ciphertext", type: "bytes" },
  ],
  CommunityReaction: [
    ...HEAD,
    { name: "community", type: "bytes32" },
    { name: "post", type: "bytes32" },
    { name: "kind", type: "string" },
    { name: "active", type: "bool" },
  ],
  Mute: [...HEAD, { name: "target", type: "address" }, { name: "active", type: "bool" }],
  Block: [...HEAD, { name: "target", type: "address" }, { name: "active", type: "bool" }],
  ReplyHide: [...HEAD, { name: "post", type: "bytes32" }, { name: "active", type: "bool" }],
  ModHide: [
    ...HEAD,
    { name: "community", type: "bytes32" },
    { name: "post", type: "bytes32" },
    { name: "reason", type: "string" },
    { name: "active", type: "bool" },
  ],
  Disclosure: [...HEAD, { name: "post", type: "bytes32" }, { name: "paidBy", type: "address" }],
};

/** Types only the user's own wallet may sign. */
export const CUSTODY_TYPES = new Set(["SignerAdd", "SignerRemove"]);

const ZERO32 = `0x${"0".repeat(64)}`;
const DEFAULTS: Record<string, unknown> = {
  replyTo: ZERO32,
  gate: "",
  ciphertext: "0x",
  active: true,
  label: "",
  reason: "",
};

export type WireMessage = {
  type: string;
  chainId: number;
  message: Record<string, unknown>;
  signature: `0x${string}`;
};

let lastTimestamp = 0;

/** Now in Unix seconds, but always after the last message signed here: the node orders a user's
 * follows, reactions and profile fields by timestamp (a removal winning a tie), so a follow,
 * unfollow and follow again within one second must carry three increasing timestamps. A burst
 * runs a few seconds ahead of the clock, well within the node's tolerance (600 s). */
function nextTimestamp(): number {
  lastTimestamp = Math.max(Math.floor(Date.now() / 1000), lastTimestamp + 1);
  return lastTimestamp;
}

/** The message's fields in signing order, defaults filled in, addresses checksummed. */
export function fill(type: string, author: string, body: Record<string, unknown>): Record<string, unknown> {
  const fields = TYPES[type];
  if (!fields) throw new Error(`unknown message type ${type}`);
  const values: Record<string, unknown> = { author, timestamp: nextTimestamp(), ...body };
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name] ?? DEFAULTS[f.name];
    if (v === undefined) throw new Error(`${type}: ${f.name} is required`);
    out[f.name] = f.type === "address" ? getAddress(v as string) : f.type === "bytes32" || f.type === "bytes" ? (v as string).toLowerCase() : v;
  }
  return out;
}

/** Sign `type` with `body` as the connected user (the app key unless `withWallet`, or the type
 * needs the wallet, or no app key is held) and submit it. Resolves to the message id. */
export async function signAndSubmit(
  type: string,
  body: Record<string, unknown>,
  opts?: { withWallet?: boolean },
): Promise<{ id: `0x${string}` }> {
  const result = await postJson<{ id: `0x${string}` }>("/v1/messages", await signMessage(type, body, opts));
  return { id: result.id };
}

/** Sign as {@link signAndSubmit} does, without submitting: for a message that reaches the node
 * another way (an exclusive post goes with its key to the admin route). */
export async function signMessage(
  type: string,
  body: Record<string, unknown>,
  opts?: { withWallet?: boolean },
): Promise<WireMessage> {
  const s = currentSession();
  if (!s) throw new Error("Connect your wallet on the node's chain first.");
  const message = fill(type, s.address, body);
  const typed = {
    domain: { name: "Mecenate", version: "1", chainId: s.chainId } satisfies TypedDataDomain,
    types: { [type]: TYPES[type] },
    primaryType: type,
    message,
  } as const;
  const key = opts?.withWallet || CUSTODY_TYPES.has(type) ? null : appKey(s.address, s.chainId);
  const signature = key
    ? await key.signTypedData(typed as any)
    : await s.wallet.signTypedData({ account: s.address, ...(typed as any) });
  return { type, chainId: s.chainId, message, signature };
}
