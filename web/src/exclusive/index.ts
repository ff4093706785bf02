/**
 * Exclusive content in the browser: gates, content encryption, grants, the derived encryption
 * key and the online unlock. The wallet or app key signs; the node never sees a private key.
 *
 * - `gate`    the canonical gate form (node/messages/gate.py), built, parsed and put in words
 * - `content` AES-256-GCM of a post's body (node/gating/content.py)
 * - `grant`   opening a KeyGrant with HPKE (node/gating/keywrap.py)
 * - `keys`    the X25519 key derived from a wallet signature (docs/web-keys.md)
 * - `flows`   reading, unlocking, publishing the key and composing against a node
 */

export { contentAad, decryptContent, encryptContent, generateContentKey } from "./content";
export { ExclusiveError, type ExclusiveReason } from "./errors";
export {
  composeExclusive,
  creatorTokens,
  decryptPost,
  fetchGrant,
  gatedParts,
  GRANT_SIGNER_LABEL,
  publishKey,
  readWithGrant,
  unlockOnline,
  type ComposeInput,
  type CreatorToken,
  type NodeHttp,
  type SignMessage,
  type WireMessage,
} from "./flows";
export { all, any, balance, describeGate, encodeGate, gateTokens, parseGate, type Gate, type TokenName } from "./gate";
export { grantInfo, openGrant, type GrantBinding } from "./grant";
export { deriveCheckedKey, deriveKey, keyFromSeed, keyMessage, seedFromSignature, type EncryptionKey, type SignText } from "./keys";
