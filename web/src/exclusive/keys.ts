/**
 * The holder's X25519 encryption key, derived from a wallet signature (docs/web-keys.md).
 *
 * Grants are wrapped to the X25519 public key a user publishes in their profile
 * (`encryptionKey`). The CLI derives that key from the raw Ethereum private key
 * (node/gating/keywrap.py `keypair_from_eth_key`); a browser wallet never exposes one. So the
 * browser asks the wallet to `personal_sign` a fixed, plainly worded message and derives the key
 * from the signature:
 *
 *     seed = HKDF-SHA256(ikm = r || low-s(s), salt = none,
 *                        info = "mecenate/encryption-key/x25519-from-wallet-signature/v1" || index (4 bytes, big-endian))
 *
 * used as the X25519 private key (clamped by X25519). Wallets sign with RFC 6979 deterministic
 * nonces, so the same account signs the same text the same way on any device and the key comes
 * back without storing anything; `v` is left out and `s` normalised to the low half so that a
 * wallet's encoding of the same signature cannot change the key. A wallet whose signatures are
 * not deterministic would give a new key each time: {@link deriveCheckedKey} signs twice before
 * a key is published and refuses such a wallet.
 */

import { bytesToHex, concatBytes, getAddress, hexToBytes, numberToBytes, parseSignature, stringToBytes } from "viem";
import { buffer } from "./bytes";
import { ExclusiveError } from "./errors";

const DERIVE_LABEL = stringToBytes("mecenate/encryption-key/x25519-from-wallet-signature/v1");
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// PKCS #8 wrapping of a raw X25519 private key (RFC 8410): WebCrypto imports no raw private key.
const PKCS8_X25519 = hexToBytes("0x302e020100300506032b656e04220420");
const BASE_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0)); // u = 9

/** A holder's key pair: the private key stays a non-extractable WebCrypto key. */
export type EncryptionKey = { privateKey: CryptoKey; publicKey: Uint8Array; publicHex: `0x${string}` };

/** Signs `message` with EIP-191 `personal_sign` as the connected account. */
export type SignText = (message: string) => Promise<`0x${string}`>;

/** The exact text the wallet shows and signs; `index` allows rotating to a new key. */
export function keyMessage(address: string, index = 0): string {
  return [
    "Mecenate: create my encryption key",
    "",
    "Signing this creates the key that creators' nodes use to send me the exclusive posts I qualify for. It moves no funds and gives no access to this account.",
    "",
    "Sign it only in a Mecenate app: whoever holds this signature can read the exclusive posts sent to me.",
    "",
    `Account: ${getAddress(address)}`,
    `Key number: ${index}`,
  ].join("\n");
}

/** The 32-byte seed from a signature of {@link keyMessage}; see the module comment. */
export async function seedFromSignature(signature: `0x${string}`, index = 0): Promise<Uint8Array> {
  const { r, s } = parseSignature(signature);
  const lowS = BigInt(s) > SECP256K1_N / 2n ? SECP256K1_N - BigInt(s) : BigInt(s);
  const ikm = concatBytes([hexToBytes(r, { size: 32 }), numberToBytes(lowS, { size: 32 })]);
  const hkdf = await crypto.subtle.importKey("raw", buffer(ikm), "HKDF", false, ["deriveBits"]);
  const info = concatBytes([DERIVE_LABEL, numberToBytes(index, { size: 4 })]);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: buffer(info) }, hkdf, 256);
  return new Uint8Array(bits);
}

/** The key pair whose private key is `seed` (32 bytes, as X25519 takes it). */
export async function keyFromSeed(seed: Uint8Array): Promise<EncryptionKey> {
  const privateKey = await crypto.subtle.importKey("pkcs8", buffer(concatBytes([PKCS8_X25519, seed])), { name: "X25519" }, false, [
    "deriveBits",
  ]);
  const base = await crypto.subtle.importKey("raw", buffer(BASE_POINT), { name: "X25519" }, true, []);
  const publicKey = new Uint8Array(await crypto.subtle.deriveBits({ name: "X25519", public: base }, privateKey, 256));
  return { privateKey, publicKey, publicHex: bytesToHex(publicKey) };
}

/** Derive `address`'s key with one wallet prompt (reading: a wrong key only fails to open). */
export async function deriveKey(address: string, signText: SignText, index = 0): Promise<EncryptionKey> {
  return keyFromSeed(await seedFromSignature(await signText(keyMessage(address, index)), index));
}

/** Derive with two prompts and refuse a wallet that signs the message differently each time,
 * so that the key published is one the wallet can derive again (publishing). */
export async function deriveCheckedKey(address: string, signText: SignText, index = 0): Promise<EncryptionKey> {
  const message = keyMessage(address, index);
  const [first, second] = [await signText(message), await signText(message)];
  const [a, b] = [await seedFromSignature(first, index), await seedFromSignature(second, index)];
  if (bytesToHex(a) !== bytesToHex(b)) {
    throw new ExclusiveError(
      "wallet_not_deterministic",
      "your wallet signed the same message differently twice, so it cannot re-create a stable encryption key; read exclusive posts by unlocking them online instead",
    );
  }
  return keyFromSeed(a);
}
