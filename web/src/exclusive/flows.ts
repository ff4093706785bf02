/**
 * What the pages do with a node: read an exclusive post (grant, else online unlock), publish the
 * holder's encryption key, compose an exclusive post and hand its key to the creator's own node.
 *
 * The node is reached through a small {@link NodeHttp} (the app's api.ts in the pages, plain
 * fetch in the tests), and every signature comes from the caller's wallet or app key: no private
 * key and no derived seed ever leaves the browser. The content key leaves it exactly once, to
 * the creator's own node, authenticated by that node's admin token, as `mecenate post --gate`
 * does (node/cli/exclusive.py).
 */

import { bytesToHex, getAddress, hexToBytes } from "viem";
import { decryptContent, encryptContent, generateContentKey } from "./content";
import { ExclusiveError } from "./errors";
import { encodeGate, parseGate, type Gate } from "./gate";
import { openGrant, type GrantBinding } from "./grant";
import type { EncryptionKey, SignText } from "./keys";

/** The node's HTTP API; `get` and `post` throw an error with `status` (and `reason`) on a 4xx/5xx. */
export type NodeHttp = {
  get<T>(path: string, headers?: Record<string, string>): Promise<T>;
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T>;
};

/** A signed message in the node's wire form (README "Message format"), as the node returns it. */
export type WireMessage = {
  type: string;
  chainId: number;
  message: Record<string, unknown>;
  signature: `0x${string}`;
  id?: `0x${string}`;
};

/** Signs a message of `type` for the user (wallet or app key) without submitting it. */
export type SignMessage = (type: string, body: Record<string, unknown>, opts?: { withWallet?: boolean }) => Promise<WireMessage>;

/** The gate and ciphertext of a post, or `not_gated` for a public one. */
export function gatedParts(post: WireMessage): { gate: Gate; blob: Uint8Array; author: `0x${string}` } {
  const { gate, ciphertext, author } = post.message as { gate: string; ciphertext: `0x${string}`; author: string };
  if (!gate) throw new ExclusiveError("not_gated", "this post is public: there is nothing to unlock");
  return { gate: parseGate(gate), blob: hexToBytes(ciphertext), author: getAddress(author) };
}

function bindingOf(post: WireMessage & { id: `0x${string}` }, holder: string): GrantBinding {
  return { chainId: post.chainId, postId: post.id, author: gatedParts(post).author, recipient: getAddress(holder) };
}

/** Decrypt `post`'s body with its content key. */
export function decryptPost(post: WireMessage, contentKey: Uint8Array): Promise<string> {
  const { gate, blob, author } = gatedParts(post);
  return decryptContent(blob, contentKey, { chainId: post.chainId, author, gate });
}

function isMissing(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

/** The holder's KeyGrant for `post` on this node, or `null` when it has none. */
export async function fetchGrant(http: NodeHttp, postId: string, holder: string): Promise<WireMessage | null> {
  try {
    return await http.get<WireMessage>(`/v1/posts/${postId}/grants/${getAddress(holder)}`);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Read `post` with `holder`'s grant from this node; `null` when the node has no grant for them.
 * `key` is asked for (a wallet prompt, the first time) only when there is a grant to open. */
export async function readWithGrant(
  http: NodeHttp,
  post: WireMessage & { id: `0x${string}` },
  holder: string,
  key: () => Promise<EncryptionKey>,
): Promise<string | null> {
  const grant = await fetchGrant(http, post.id, holder);
  if (grant === null) return null;
  const { wrappedKey, recipientKey } = grant.message as { wrappedKey: `0x${string}`; recipientKey: `0x${string}` };
  const contentKey = await openGrant(hexToBytes(wrappedKey), await key(), bindingOf(post, holder), hexToBytes(recipientKey));
  return decryptPost(post, contentKey);
}

/** The online unlock: fetch the node's EIP-4361 challenge, `personal_sign` it, trade it for the
 * content key (wrapped to the holder's profile key, or raw when they published none), decrypt.
 * `key` is asked for only when the answer is wrapped. The node refuses a holder who does not
 * meet the gate with 403 `gate_not_met`, thrown as it came. */
export async function unlockOnline(
  http: NodeHttp,
  post: WireMessage & { id: `0x${string}` },
  holder: string,
  signText: SignText,
  key: () => Promise<EncryptionKey>,
): Promise<string> {
  const address = getAddress(holder);
  const { message } = await http.post<{ message: string }>(`/v1/posts/${post.id}/unlock/challenge`, { address });
  const signature = await signText(message);
  const answer = await http.post<{ encryption: "x25519" | "none"; key: `0x${string}` }>(`/v1/posts/${post.id}/unlock`, {
    message,
    signature,
  });
  const raw = hexToBytes(answer.key);
  if (answer.encryption === "none") return decryptPost(post, raw);
  const profile = await http.get<{ fields: Record<string, string> }>(`/v1/users/${address}/profile`);
  const published = profile.fields.encryptionKey as `0x${string}` | undefined; // what the node wrapped to
  const wrappedTo = published ? hexToBytes(published) : undefined;
  return decryptPost(post, await openGrant(raw, await key(), bindingOf(post, address), wrappedTo));
}

/** A creator token as the node lists it (GET /v1/creators). */
export type CreatorToken = { creator: `0x${string}`; token: `0x${string}`; symbol: string };

/** The creator tokens this node indexes, or none when it runs without a chain: names for gates
 * in words, and the creator's address accepted in place of their token's in the gate editor. */
export async function creatorTokens(http: NodeHttp): Promise<CreatorToken[]> {
  try {
    return await http.get<CreatorToken[]>("/v1/creators");
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** Publish `key` as the holder's `encryptionKey` profile field, which creators' nodes wrap
 * grants to (node/grants: a Profile message; an app key may sign it). */
export async function publishKey(
  key: EncryptionKey,
  submit: (type: string, body: Record<string, unknown>) => Promise<unknown>,
): Promise<void> {
  await submit("Profile", { field: "encryptionKey", value: key.publicHex });
}

/** Label of the SignerAdd that lets the creator's node sign KeyGrants (the CLI's). */
export const GRANT_SIGNER_LABEL = "mecenate node: key grants";

export type ComposeInput = {
  author: string;
  chainId: number;
  body: string; // the exclusive text, encrypted here
  teaser: string; // public text shown to everyone
  gate: Gate;
  replyTo?: `0x${string}`;
  adminToken: string; // the creator's own node's api.admin_token
};

/** Compose an exclusive post: encrypt under a fresh key, sign, make sure the node's grant signer
 * is the author's delegate (one wallet SignerAdd), hand post and key to the node's admin route.
 * Returns the node's answer (`post` id, `outcome`, `signer`, `delegated`). */
export async function composeExclusive(
  http: NodeHttp,
  input: ComposeInput,
  sign: SignMessage,
  submit: (message: WireMessage) => Promise<unknown>,
): Promise<{ post: `0x${string}`; outcome: string; signer: string; delegated: boolean }> {
  if (!input.adminToken) {
    throw new ExclusiveError(
      "no_admin_token",
      "an exclusive post hands its content key to your own node: enter your node's admin token (api.admin_token)",
    );
  }
  const author = getAddress(input.author);
  const auth = { Authorization: `Bearer ${input.adminToken}` };
  const { signer } = await http.get<{ signer: string; unlock: boolean }>("/v1/gating");
  // Prove this is our node (the token works) before handing its signer any power over us.
  await http.get("/v1/admin/peers", auth).catch((error) => {
    if (!isMissing(error)) throw error; // 404: a node without libp2p, the token worked
  });
  const contentKey = generateContentKey();
  const blob = await encryptContent(input.body, contentKey, { chainId: input.chainId, author, gate: input.gate });
  const fields: Record<string, unknown> = { text: input.teaser, gate: encodeGate(input.gate), ciphertext: bytesToHex(blob) };
  if (input.replyTo) fields.replyTo = input.replyTo;
  const post = await sign("Post", fields);
  const delegates = await http.get<string[]>(`/v1/users/${author}/signers`);
  if (getAddress(signer) !== author && !delegates.map((a) => getAddress(a)).includes(getAddress(signer))) {
    await submit(await sign("SignerAdd", { signer: getAddress(signer), label: GRANT_SIGNER_LABEL }, { withWallet: true }));
  }
  return http.post("/v1/admin/gated-posts", { post: stripId(post), contentKey: bytesToHex(contentKey) }, auth);
}

function stripId(message: WireMessage): WireMessage {
  const { type, chainId, message: fields, signature } = message;
  return { type, chainId, message: fields, signature };
}
