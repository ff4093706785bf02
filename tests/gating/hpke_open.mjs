// Opens Mecenate key grants with an independent HPKE implementation (npm @hpke/core), for
// tests/gating/test_keywrap_vectors.py. Reads a JSON list of grants on stdin, each
// {recipientPrivateKey, recipientPublicKey, info, wrappedKey} in 0x hex, and writes a JSON list
// with, per grant, {"plaintext": "0x..."} or {"error": "..."}.
//
// The wire form is parsed here from its description (node/gating/keywrap.py), not from our code:
// wrappedKey = version (0x02) || enc (32 bytes) || AES-256-GCM ciphertext and tag; HPKE base mode,
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, empty aad.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

const bytes = (hex) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
const hex = (buffer) => "0x" + Buffer.from(buffer).toString("hex");

async function open(grant) {
  const wrapped = bytes(grant.wrappedKey);
  if (wrapped.length !== 81 || wrapped[0] !== 2) {
    throw new Error(`not a version-2 wrapped key of 81 bytes (${wrapped.length} bytes, version ${wrapped[0]})`);
  }
  const recipientKey = {
    privateKey: await suite.kem.importKey("raw", bytes(grant.recipientPrivateKey), false),
    publicKey: await suite.kem.importKey("raw", bytes(grant.recipientPublicKey), true),
  };
  const recipient = await suite.createRecipientContext({
    recipientKey,
    enc: wrapped.slice(1, 33),
    info: bytes(grant.info),
  });
  return hex(await recipient.open(wrapped.slice(33)));
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const results = [];
for (const grant of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  try {
    results.push({ plaintext: await open(grant) });
  } catch (error) {
    results.push({ error: `${error.name}: ${error.message}` });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
