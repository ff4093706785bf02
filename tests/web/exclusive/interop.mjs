// Runs the browser's exclusive-content module (web/src/exclusive, bundled by the test) in Node,
// for tests/web/test_exclusive_interop.py. argv[2] is the bundle's path. Reads a JSON list of
// operations on stdin and writes a JSON list with, per operation, {"ok": ...} or
// {"error": {"reason": ..., "message": ...}}: the Python side made or checks every value.
const x = await import(process.argv[2]);

const bytes = (hex) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
const hex = (buffer) => "0x" + Buffer.from(buffer).toString("hex");

function gate(spec) {
  if (spec.type === "balance") return x.balance(BigInt(spec.chainId), spec.token, BigInt(spec.minBalance));
  return (spec.type === "all" ? x.all : x.any)(spec.of.map(gate));
}

const context = (op) => ({ chainId: BigInt(op.chainId), author: op.author, gate: x.parseGate(op.gate) });

const operations = {
  build: async (op) => x.encodeGate(gate(op.gate)),
  parse: async (op) => x.encodeGate(x.parseGate(op.text)),
  describe: async (op) => x.describeGate(x.parseGate(op.text), op.names ?? {}),
  encrypt: async (op) => hex(await x.encryptContent(op.text, bytes(op.key), context(op))),
  decrypt: async (op) => x.decryptContent(bytes(op.blob), bytes(op.key), context(op)),
  open: async (op) => {
    const key = await x.keyFromSeed(bytes(op.seed));
    const wrappedTo = op.wrappedTo ? bytes(op.wrappedTo) : undefined;
    return hex(await x.openGrant(bytes(op.wrapped), key, op.binding, wrappedTo));
  },
  keyMessage: async (op) => x.keyMessage(op.address, op.index),
  checkedKey: async (op) => {
    const signatures = [...op.signatures];
    return (await x.deriveCheckedKey(op.address, async () => signatures.shift(), 0)).publicHex;
  },
  derive: async (op) => {
    const seed = await x.seedFromSignature(op.signature, op.index);
    return { seed: hex(seed), publicKey: (await x.keyFromSeed(seed)).publicHex };
  },
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const results = [];
for (const op of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  try {
    results.push({ ok: await operations[op.op](op) });
  } catch (error) {
    results.push({ error: { reason: error.reason ?? error.name, message: error.message } });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
