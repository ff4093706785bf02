// The creator tokens' bonding curve and trade bounds, as pure functions on bigints: the same
// arithmetic as CreatorToken.sol and node/chain/_curve.py (the tests hold all three to the same
// numbers), so the trade page quotes as you type without a round trip per keystroke.

/** Base units in one whole token (18 decimals). */
export const WAD = 10n ** 18n;
/** Basis points in 100%. */
export const BPS = 10_000n;
/** The contract's supply cap: one billion whole tokens. */
export const MAX_SUPPLY = 10n ** 9n * WAD;

/** A token's curve and the fees in force: what a quote needs, read once per block. */
export type Market = {
  basePrice: bigint; // wei per whole token at zero supply
  slope: bigint; // wei per whole token, per whole token of supply
  supply: bigint; // base units
  creatorFeeBps: bigint;
  protocolFeeBps: bigint;
};

/** A trade's amounts in wei: the curve's part and each fee; `total` is what the trader pays
 * (buy) or receives (sell). */
export type Quote = { curve: bigint; creatorFee: bigint; protocolFee: bigint; total: bigint };

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Marginal price in wei of one whole token at `supply` base units. */
export function price(basePrice: bigint, slope: bigint, supply: bigint): bigint {
  return basePrice + (slope * supply) / WAD;
}

/** Wei backing `supply` base units: the area under the price line, each term rounded up. */
export function reserveAt(basePrice: bigint, slope: bigint, supply: bigint): bigint {
  return ceilDiv(basePrice * supply, WAD) + ceilDiv(slope * supply * supply, 2n * WAD * WAD);
}

function fees(m: Market, curveAmount: bigint): [bigint, bigint] {
  return [ceilDiv(curveAmount * m.creatorFeeBps, BPS), ceilDiv(curveAmount * m.protocolFeeBps, BPS)];
}

/** What buying `amount` base units costs, fees on top (the contract's `quoteBuy`). Throws a
 * RangeError for a zero amount or one past the supply cap, as the contract reverts. */
export function quoteBuy(m: Market, amount: bigint): Quote {
  if (amount <= 0n) throw new RangeError("amount: must be more than zero");
  if (amount > MAX_SUPPLY - m.supply) throw new RangeError("amount: would pass the supply cap");
  const curve = reserveAt(m.basePrice, m.slope, m.supply + amount) - reserveAt(m.basePrice, m.slope, m.supply);
  const [creatorFee, protocolFee] = fees(m, curve);
  return { curve, creatorFee, protocolFee, total: curve + creatorFee + protocolFee };
}

/** What selling `amount` base units returns, fees taken out and clipped so they never exceed
 * the refund (the contract's `quoteSell`). */
export function quoteSell(m: Market, amount: bigint): Quote {
  if (amount <= 0n) throw new RangeError("amount: must be more than zero");
  if (amount > m.supply) throw new RangeError("amount: more than the whole supply");
  const curve = reserveAt(m.basePrice, m.slope, m.supply) - reserveAt(m.basePrice, m.slope, m.supply - amount);
  let [creatorFee, protocolFee] = fees(m, curve);
  if (creatorFee > curve) creatorFee = curve;
  if (protocolFee > curve - creatorFee) protocolFee = curve - creatorFee;
  return { curve, creatorFee, protocolFee, total: curve - creatorFee - protocolFee };
}

/** The `maxCost` of a buy quoted at `quote` wei with `slippageBps` of tolerance, rounded up
 * (the bound never cuts the tolerance short); node/chain/_client.py's `max_cost`. */
export function maxCost(quote: bigint, slippageBps: bigint): bigint {
  checkSlippage(slippageBps);
  return quote + ceilDiv(quote * slippageBps, BPS);
}

/** The `minProceeds` of a sell quoted at `quote` wei with `slippageBps` of tolerance, rounded
 * down; node/chain/_client.py's `min_proceeds`. */
export function minProceeds(quote: bigint, slippageBps: bigint): bigint {
  checkSlippage(slippageBps);
  return (quote * (BPS - slippageBps)) / BPS;
}

function checkSlippage(bps: bigint): void {
  if (bps < 0n || bps > BPS) throw new RangeError("slippage: must be from 0 to 100%");
}

/** A trade's deadline `seconds` after the latest block's timestamp: chain time, not the
 * browser's clock (a devnet's clock can run ahead of it). */
export function deadlineAfter(latestBlockTimestamp: bigint, seconds: number): bigint {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new RangeError("deadline: must be a positive number of seconds");
  return latestBlockTimestamp + BigInt(seconds);
}

/** `count + 1` points (supply in whole tokens, price in ETH) of the price line from zero to
 * `upTo` base units, for the chart: plain numbers, precise enough to draw. */
export function curvePoints(basePrice: bigint, slope: bigint, upTo: bigint, count = 32): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i <= count; i++) {
    const supply = (upTo * BigInt(i)) / BigInt(count);
    points.push([toNumber(supply), toNumber(price(basePrice, slope, supply))]);
  }
  return points;
}

/** An 18-decimal amount as a float (for drawing only, never for arithmetic). */
export function toNumber(units: bigint): number {
  return Number(units / 10n ** 9n) / 1e9;
}
