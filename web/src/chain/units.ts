// Amounts as people type them ("2.5" tokens, "0.01" ETH) to exact base units, and back.

/** `text` in whole units of 18 decimals as base units, exactly; a RangeError in plain words for
 * anything that is not a positive number with at most 18 decimals. */
export function parseAmount(text: string): bigint {
  const t = text.trim();
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!t || !m || (m[1] === "" && !m[2])) throw new RangeError("Enter an amount, like 2.5.");
  const decimals = m[2] ?? "";
  if (decimals.length > 18) throw new RangeError("At most 18 decimals.");
  const units = BigInt(m[1] || "0") * 10n ** 18n + BigInt((decimals || "0").padEnd(18, "0"));
  if (units === 0n) throw new RangeError("The amount must be more than zero.");
  return units;
}

/** A percentage as typed ("0.5") as basis points; a RangeError outside 0 to `maxPercent`. */
export function parsePercentBps(text: string, maxPercent: number): bigint {
  const n = Number(text.trim());
  if (!text.trim() || !Number.isFinite(n) || n < 0 || n > maxPercent) throw new RangeError(`Enter a percentage from 0 to ${maxPercent}.`);
  return BigInt(Math.round(n * 100));
}
