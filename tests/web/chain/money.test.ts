// The app's money helpers (web/src/chain) against a real anvil with the contracts deployed and a
// real node indexing it: launch, buy with a slippage bound, sell, tip in ETH and in the
// creator's token with a permit (the node shows both tips on the post), a split, a buy whose
// quote moved past its bound, and a rejected wallet prompt. Run by tests/web/test_money_chain.py,
// which starts the chain and the node and passes them in the environment.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  parseEther,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { creatorTokenAbi } from "../../../web/src/chain/abi.gen";
import { quoteBuy, quoteSell, reserveAt } from "../../../web/src/chain/curve";
import { TxReverted, describeChainError, reasonOf } from "../../../web/src/chain/errors";
import { buy, confirm, launchToken, launchedToken, sell, setSplit, splitOf, tipEth, tipToken, type Payer } from "../../../web/src/chain/money";
import { balanceOf, readMarket, tokenOf, type Deployment } from "../../../web/src/chain/reads";

const env = process.env as Record<string, string>;
const deployment: Deployment = { chainId: Number(env.CHAIN_ID), factory: env.FACTORY as Address, tipJar: env.TIP_JAR as Address };
const keys: Hex[] = JSON.parse(env.DEV_KEYS);
const chain = defineChain({
  id: deployment.chainId, name: "devnet", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [env.RPC_URL] } },
});
const reader = createPublicClient({ chain, transport: http(env.RPC_URL), pollingInterval: 50 }) as PublicClient;
const devnet = createTestClient({ mode: "anvil", chain, transport: http(env.RPC_URL) });
const measured: Record<string, number | string> = {};

function payer(i: number): Payer {
  const account = privateKeyToAccount(keys[i]);
  return { wallet: createWalletClient({ account, chain, transport: http(env.RPC_URL) }), public: reader, account, deployment };
}
const [creator, fan, otherFan, coCreator] = [payer(2), payer(3), payer(4), payer(5)];
const who = (p: Payer) => (p.account as { address: Address }).address;
const post: Hex = `0x${randomBytes(32).toString("hex")}`;
let token: Address;

async function mined(label: string, sent: Promise<Hex>) {
  const receipt = await confirm(reader, await sent);
  measured[`${label}_gas`] = Number(receipt.gasUsed);
  return receipt;
}

/** The node's confirmed tips on `post`, once there are `count`; mines blocks so the node's
 * confirmations pass, and gives up after 30 s. */
async function indexedTips(count: number): Promise<Record<string, string | null>[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const tips = await (await fetch(`${env.NODE_URL}/v1/posts/${post}/tips`)).json();
    if (tips.length >= count) return tips;
    if (Date.now() > until) throw new Error(`the node indexed ${tips.length} tips, expected ${count}`);
    await devnet.mine({ blocks: 1 });
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a creator launches a token at its predicted address", async () => {
  assert.equal(await tokenOf(reader, deployment, who(creator)), null);
  const receipt = await mined("launch", launchToken(creator, "Ada Lovelace", "ADA"));
  token = launchedToken(receipt);
  assert.equal(await tokenOf(reader, deployment, who(creator)), token);
  const market = await readMarket(reader, token);
  assert.deepEqual([market.name, market.symbol, market.creator, market.supply], ["Ada Lovelace", "ADA", who(creator), 0n]);
});

test("the app's quotes equal the contract's at every supply it passes through", async () => {
  for (const amount of [1n, 10n ** 18n / 3n, 5n * 10n ** 18n, 123_456_789_012_345_678_901n]) {
    const market = await readMarket(reader, token);
    const q = quoteBuy(market, amount);
    assert.equal(q.total, await reader.readContract({ address: token, abi: creatorTokenAbi, functionName: "quoteBuy", args: [amount] }));
    await mined("buy", buy(otherFan, token, amount, { quote: q.total, slippageBps: 0n }));
    const after = await readMarket(reader, token);
    assert.equal(reserveAt(after.basePrice, after.slope, after.supply), await reader.readContract({ address: token, abi: creatorTokenAbi, functionName: "reserve" }));
    const s = quoteSell(after, amount);
    assert.equal(s.total, await reader.readContract({ address: token, abi: creatorTokenAbi, functionName: "quoteSell", args: [amount] }));
    assert.ok(s.creatorFee > 0n && s.protocolFee > 0n || amount === 1n);
  }
});

test("a fan buys within the slippage bound and pays exactly the quote", async () => {
  const amount = parseEther("5");
  const q = quoteBuy(await readMarket(reader, token), amount);
  const before = await reader.getBalance({ address: who(fan) });
  const receipt = await mined("buy", buy(fan, token, amount, { quote: q.total, slippageBps: 100n, deadlineSeconds: 300 }));
  assert.equal(await balanceOf(reader, token, who(fan)), amount);
  const spent = before - (await reader.getBalance({ address: who(fan) }));
  assert.equal(spent, q.total + receipt.gasUsed * receipt.effectiveGasPrice); // the bound's excess came back
});

test("a buy whose quote moved past its bound reverts, in plain words", async () => {
  const amount = parseEther("2");
  const stale = quoteBuy(await readMarket(reader, token), amount).total;
  await mined("buy", buy(otherFan, token, parseEther("3"), { quote: quoteBuy(await readMarket(reader, token), parseEther("3")).total }));
  const now = quoteBuy(await readMarket(reader, token), amount).total;
  assert.ok(now > stale + stale / 100n, "the other buy moved the price by more than 1%");

  // Refused by the simulation before any wallet prompt: nothing is sent.
  const error = await buy(fan, token, amount, { quote: stale, slippageBps: 100n }).catch((e) => e);
  assert.match(describeChainError(error), /^The price moved: the buy now costs [\d.]+ ETH, more than your limit of [\d.]+ ETH\./);
  assert.equal(reasonOf("CreatorTokenMaxCostExceeded"), "slippage_exceeded");
  assert.equal(await balanceOf(reader, token, who(fan)), parseEther("5"));

  // Mined and reverted (sent with a fixed gas limit, as a wallet may): confirm says why.
  const deadline = (await reader.getBlock()).timestamp + 600n;
  const hash = await fan.wallet.writeContract({
    account: fan.account, chain, address: token, abi: creatorTokenAbi, functionName: "buy",
    args: [amount, stale, deadline], value: stale, gas: 200_000n,
  });
  const reverted = await confirm(reader, hash).catch((e) => e);
  assert.ok(reverted instanceof TxReverted, String(reverted));
  assert.equal(reverted.hash, hash);
  assert.match(reverted.message, /^The price moved: the buy now costs/);
  assert.equal(await balanceOf(reader, token, who(fan)), parseEther("5"));
});

test("a fan sells back and receives at least the bound", async () => {
  const amount = parseEther("1");
  const q = quoteSell(await readMarket(reader, token), amount);
  const before = await reader.getBalance({ address: who(fan) });
  const receipt = await mined("sell", sell(fan, token, amount, { quote: q.total }));
  assert.equal(await balanceOf(reader, token, who(fan)), parseEther("4"));
  assert.equal((await reader.getBalance({ address: who(fan) })) - before, q.total - receipt.gasUsed * receipt.effectiveGasPrice);
});

test("a fan tips the post in ETH and the node shows the tip on the post", async () => {
  const before = await reader.getBalance({ address: who(creator) });
  const started = performance.now();
  await mined("tip_eth", tipEth(fan, who(creator), parseEther("0.01"), post, "thanks"));
  assert.equal((await reader.getBalance({ address: who(creator) })) - before, parseEther("0.01"));
  const [tip] = await indexedTips(1);
  measured.tip_eth_indexed_ms = Math.round(performance.now() - started);
  assert.deepEqual(
    { tipper: tip.tipper, creator: tip.creator, token: tip.token, amount: tip.amount, post: tip.post_id, memo: tip.memo },
    { tipper: who(fan), creator: who(creator), token: null, amount: parseEther("0.01").toString(), post, memo: "thanks" },
  );
});

test("a fan tips in the creator's token with a permit: one transaction, no approval left", async () => {
  const amount = parseEther("1.5");
  const nonce = await reader.readContract({ address: token, abi: creatorTokenAbi, functionName: "nonces", args: [who(fan)] });
  const started = performance.now();
  await mined("tip_token_permit", tipToken(fan, token, who(creator), amount, post, "in ADA"));
  assert.equal(await balanceOf(reader, token, who(creator)), amount);
  assert.equal(await balanceOf(reader, token, who(fan)), parseEther("2.5"));
  assert.equal(await reader.readContract({ address: token, abi: creatorTokenAbi, functionName: "nonces", args: [who(fan)] }), nonce + 1n);
  const tips = await indexedTips(2);
  measured.tip_token_indexed_ms = Math.round(performance.now() - started);
  assert.deepEqual([tips[1].token, tips[1].amount, tips[1].memo], [token, amount.toString(), "in ADA"]);
});

test("a creator sets a revenue split and the next tip is divided by it", async () => {
  await mined("set_split", setSplit(creator, [{ account: who(coCreator), bps: 7000 }, { account: who(creator), bps: 3000 }]));
  assert.deepEqual(await splitOf(reader, deployment, who(creator)), [{ account: who(coCreator), bps: 7000 }, { account: who(creator), bps: 3000 }]);
  const before = await reader.getBalance({ address: who(coCreator) });
  await mined("tip_eth_split", tipEth(fan, who(creator), 1000n, post));
  assert.equal((await reader.getBalance({ address: who(coCreator) })) - before, 700n);
  const refused = await setSplit(creator, [{ account: who(coCreator), bps: 5000 }]).catch((e) => e);
  assert.equal(describeChainError(refused), "The shares add up to 50%, not 100%.");
});

test("a launch the contract refuses, and a rejected wallet prompt, read as plain messages", async () => {
  const again = await launchToken(creator, "Twice", "TWO").catch((e) => e);
  assert.equal(describeChainError(again), "You have already launched your token (one per creator).");

  // A wallet (EIP-1193) whose user clicks "Reject": viem's own error for code 4001.
  const rejecting = createWalletClient({
    chain,
    transport: custom({
      async request({ method, params }) {
        if (method === "eth_sendTransaction") throw Object.assign(new Error("User rejected the request."), { code: 4001 });
        return reader.request({ method, params } as never);
      },
    }),
  });
  const wallet = { ...fan, wallet: rejecting, account: who(fan) };
  const q = quoteBuy(await readMarket(reader, token), parseEther("1"));
  const error = await buy(wallet, token, parseEther("1"), { quote: q.total }).catch((e) => e);
  assert.equal(describeChainError(error), "You rejected the request in your wallet.");
});

test("measured", () => {
  console.log(`MEASURED ${JSON.stringify(measured)}`);
});
