import { formatUnits } from "viem";

/** `wei` (base units) in `decimals` (18 by default), rounded for reading: 4 significant digits
 * below 1, 4 decimals up to 1,000, whole units above; the exact value in the title. */
export function formatAmount(wei: bigint, decimals = 18): string {
  const exact = formatUnits(wei, decimals);
  const n = Number(exact);
  if (n === 0) return "0";
  if (Math.abs(n) < 1e-6) return "< 0.000001";
  if (Math.abs(n) < 1) return n.toPrecision(4).replace(/\.?0+$/, "");
  if (Math.abs(n) < 1000) return n.toFixed(4).replace(/\.?0+$/, "");
  return Math.round(n).toLocaleString("en-US");
}

export function Amount(p: { wei: bigint; symbol: string; decimals?: number }) {
  const decimals = p.decimals ?? 18;
  return (
    <span class="amount" title={`${formatUnits(p.wei, decimals)} ${p.symbol}`}>
      {formatAmount(p.wei, decimals)} {p.symbol}
    </span>
  );
}
