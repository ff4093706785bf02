// The app's curve and bounds (web/src/chain/curve.ts) against node/chain/_curve.py and the
// node client's max_cost/min_proceeds: the vectors file is written by the Python test from the
// Python functions themselves. (money.test.ts holds the same functions to the contract.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { maxCost, minProceeds, price, reserveAt, curvePoints, deadlineAfter } from "../../../web/src/chain/curve";

type Vectors = {
  curve: [string, string, string, string, string][]; // base, slope, supply, price, reserve
  bounds: [string, string, string, string][]; // quote, slippage bps, max_cost, min_proceeds
};
const vectors: Vectors = JSON.parse(readFileSync(process.env.CURVE_VECTORS!, "utf8"));

test("price and reserve agree with node/chain/_curve.py", () => {
  assert.ok(vectors.curve.length > 100);
  for (const [base, slope, supply, p, r] of vectors.curve) {
    const args = [BigInt(base), BigInt(slope), BigInt(supply)] as const;
    assert.equal(price(...args), BigInt(p), `price(${args})`);
    assert.equal(reserveAt(...args), BigInt(r), `reserveAt(${args})`);
  }
});

test("slippage bounds agree with the node client's max_cost and min_proceeds", () => {
  for (const [quote, bps, max, min] of vectors.bounds) {
    assert.equal(maxCost(BigInt(quote), BigInt(bps)), BigInt(max));
    assert.equal(minProceeds(BigInt(quote), BigInt(bps)), BigInt(min));
  }
  assert.throws(() => maxCost(1n, 10_001n), RangeError);
  assert.throws(() => minProceeds(1n, -1n), RangeError);
});

test("a deadline is chain time plus whole seconds", () => {
  assert.equal(deadlineAfter(1_000n, 600), 1_600n);
  assert.throws(() => deadlineAfter(1_000n, 0), RangeError);
  assert.throws(() => deadlineAfter(1_000n, 1.5), RangeError);
});

test("the chart's points run along the price line from zero supply", () => {
  const points = curvePoints(10n ** 13n, 10n ** 12n, 100n * 10n ** 18n, 4);
  assert.equal(points.length, 5);
  assert.deepEqual(points[0], [0, 1e-5]);
  assert.deepEqual(points[4], [100, 0.00011]);
});
