// The app's curve and bounds (web/src/chain/curve.ts) against node/chain/_curve.py and the
// node client's max_cost/min_proceeds: the vectors file is written by the Python test from the
// Python functions themselves. (money.test.ts holds the same functions to the contract.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { maxCost, minProceeds, price, reserveAt, curvePoints, deadlineAfter } from "../../../web/src/chain/curve";
import { parseAmount, parsePercentBps } from "../../../web/src/chain/units";

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

test("typed amounts become exact base units, or a plain refusal", () => {
  assert.equal(parseAmount("2.5"), 2_500_000_000_000_000_000n);
  assert.equal(parseAmount(" .000000000000000001 "), 1n);
  assert.equal(parseAmount("12"), 12n * 10n ** 18n);
  for (const bad of ["", ".", "0", "0.0", "-1", "1e3", "abc", "1.0000000000000000001"]) {
    assert.throws(() => parseAmount(bad), RangeError, bad);
  }
  assert.equal(parsePercentBps("0.5", 50), 50n);
  assert.throws(() => parsePercentBps("51", 50), RangeError);
});
