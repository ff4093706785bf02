/**
 * Opening a key grant in the browser: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-256-GCM, as node/gating/keywrap.py wraps it, with @hpke/core on WebCrypto.
 *
 *     wrapped = version (0x02) || enc (32) || sealed content key (32) || tag (16)
 *     info    = "mecenate/key-grant/v2" || chainId (32, big-endian) || post id (32)
 *               || author (20) || recipient (20) || recipient's X25519 public key (32)
 *
 * `info` binds the grant to its KeyGrant message: copied to another post, chain or holder it
 * does not open. The same form carries the key of an online unlock (`encryption: "x25519"`).
 */

import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { concatBytes, getAddress, hexToBytes, numberToBytes, stringToBytes } from "viem";
import { buffer } from "./bytes";
import { ExclusiveError } from "./errors";
import type { EncryptionKey } from "./keys";

export const GRANT_VERSION = 2;
export const GRANT_BYTES = 81;
const INFO_LABEL = stringToBytes("mecenate/key-grant/v2");

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

/** What a grant is bound to: the chain, the post's id and author, and the holder. */
export type GrantBinding = { chainId: bigint | number; postId: `0x${string}`; author: string; recipient: string };

/** HPKE `info` of a grant under `binding` to the X25519 public key `recipientKey` (32 bytes). */
export function grantInfo(binding: GrantBinding, recipientKey: Uint8Array): Uint8Array {
  const post = hexToBytes(binding.postId);
  if (post.length !== 32) throw new ExclusiveError("decryption_failed", "a post id is 32 bytes");
  return concatBytes([
    INFO_LABEL,
    numberToBytes(BigInt(binding.chainId), { size: 32 }),
    post,
    hexToBytes(getAddress(binding.author)),
    hexToBytes(getAddress(binding.recipient)),
    recipientKey,
  ]);
}

/** Open `wrapped` (a KeyGrant's `wrappedKey`, or an online unlock's `x25519` key) with the
 * holder's `key`; returns the 32-byte content key. Throws `not_your_key` when it is wrapped to
 * another public key, `decryption_failed` when it is malformed, tampered or bound elsewhere. */
export async function openGrant(
  wrapped: Uint8Array,
  key: EncryptionKey,
  binding: GrantBinding,
  wrappedTo?: Uint8Array,
): Promise<Uint8Array> {
  if (wrapped.length !== GRANT_BYTES) {
    throw new ExclusiveError("decryption_failed", `a wrapped key is ${GRANT_BYTES} bytes, got ${wrapped.length}`);
  }
  if (wrapped[0] === 1) {
    throw new ExclusiveError("decryption_failed", "this grant uses the retired version 1: the creator's node must grant again");
  }
  if (wrapped[0] !== GRANT_VERSION) {
    throw new ExclusiveError("decryption_failed", `this grant has unknown version ${wrapped[0]}`);
  }
  if (wrappedTo && !equal(wrappedTo, key.publicKey)) {
    throw new ExclusiveError(
      "not_your_key",
      "this key was wrapped to another encryption key than this browser's (publish this browser's key, then wait for a new grant or unlock online)",
    );
  }
  try {
    const recipient = await suite.createRecipientContext({
      recipientKey: { privateKey: key.privateKey, publicKey: await suite.kem.importKey("raw", buffer(key.publicKey).buffer, true) },
      enc: buffer(wrapped.slice(1, 33)).buffer,
      info: buffer(grantInfo(binding, key.publicKey)).buffer,
    });
    return new Uint8Array(await recipient.open(buffer(wrapped.slice(33)).buffer));
  } catch {
    throw new ExclusiveError(
      "decryption_failed",
      "the grant does not open: tampered, wrapped to another key, or bound to another post, chain, author or holder",
    );
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
