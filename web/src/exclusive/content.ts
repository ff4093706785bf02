/**
 * A gated post's body: AES-256-GCM under a fresh per-post content key, as node/gating/content.py.
 *
 *     blob = version (0x01) || nonce (12 bytes) || ciphertext || tag (16 bytes)
 *     aad  = "mecenate/content/v1" || version || chainId (32 bytes, big-endian)
 *            || author (20 bytes) || canonical gate
 *
 * The associated data binds the body to its chain, author and gate: lifted into another post it
 * does not open. WebCrypto's AES-GCM returns ciphertext || tag, the layout above.
 */

import { concatBytes, getAddress, hexToBytes, numberToBytes, stringToBytes } from "viem";
import { buffer } from "./bytes";
import { ExclusiveError } from "./errors";
import { encodeGate, type Gate } from "./gate";

export const CONTENT_VERSION = 1;
export const CONTENT_KEY_BYTES = 32;
export const CONTENT_NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AAD_LABEL = stringToBytes("mecenate/content/v1");

/** Where a blob belongs: the chain, the post's author and its gate. */
export type ContentContext = { chainId: bigint | number; author: string; gate: Gate };

/** A fresh random 32-byte content key: one per gated post. */
export function generateContentKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(CONTENT_KEY_BYTES));
}

/** The associated data of a blob in `context`. */
export function contentAad({ chainId, author, gate }: ContentContext): Uint8Array {
  return concatBytes([
    AAD_LABEL,
    new Uint8Array([CONTENT_VERSION]),
    numberToBytes(BigInt(chainId), { size: 32 }),
    hexToBytes(getAddress(author)),
    stringToBytes(encodeGate(gate)),
  ]);
}

function aesKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  if (key.length !== CONTENT_KEY_BYTES) {
    throw new ExclusiveError("decryption_failed", `a content key is ${CONTENT_KEY_BYTES} bytes, got ${key.length}`);
  }
  return crypto.subtle.importKey("raw", buffer(key), "AES-GCM", false, [usage]);
}

/** Encrypt a post body (UTF-8 text) under `key`, bound to `context`; returns the blob. */
export async function encryptContent(text: string, key: Uint8Array, context: ContentContext): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(CONTENT_NONCE_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: buffer(contentAad(context)) },
    await aesKey(key, "encrypt"),
    buffer(stringToBytes(text)),
  );
  return concatBytes([new Uint8Array([CONTENT_VERSION]), nonce, new Uint8Array(sealed)]);
}

/** Decrypt a blob made by {@link encryptContent} in the same context; throws
 * `decryption_failed` when it is truncated, of another version, or does not authenticate. */
export async function decryptContent(blob: Uint8Array, key: Uint8Array, context: ContentContext): Promise<string> {
  if (blob.length < 1 + CONTENT_NONCE_BYTES + TAG_BYTES) {
    throw new ExclusiveError("decryption_failed", `the post's ciphertext is truncated (${blob.length} bytes)`);
  }
  if (blob[0] !== CONTENT_VERSION) {
    throw new ExclusiveError("decryption_failed", `the post's ciphertext has unknown version ${blob[0]}`);
  }
  const aad = contentAad(context);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.slice(1, 1 + CONTENT_NONCE_BYTES), additionalData: buffer(aad) },
      await aesKey(key, "decrypt"),
      blob.slice(1 + CONTENT_NONCE_BYTES),
    );
  } catch {
    throw new ExclusiveError(
      "decryption_failed",
      "the post does not decrypt: wrong key, or tampered, or sealed under another chain, author or gate",
    );
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}
