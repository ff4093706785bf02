/**
 * Gates as data, exactly as the node reads them (node/messages/gate.py).
 *
 * A gate is a `balance` leaf ("holds at least `minBalance` base units of ERC-20 `token` on chain
 * `chainId`") or an `all` (AND) / `any` (OR) of conditions. Its canonical JSON is part of the
 * protocol: a `Post` carries it and the content ciphertext's associated data binds it, so the
 * bytes must be the node's byte for byte: sorted keys, no whitespace, ASCII, integers as decimal
 * strings, EIP-55 token addresses, children in the author's order. The node refuses anything
 * else, so the limits below are the node's, checked here first to say what is wrong in words.
 */

import { formatUnits, getAddress } from "viem";
import { ExclusiveError } from "./errors";

export type Balance = { type: "balance"; chainId: bigint; token: `0x${string}`; minBalance: bigint };
export type Combined = { type: "all" | "any"; of: Gate[] };
export type Gate = Balance | Combined;

/** Deepest nesting (a lone balance is 1), most balance leaves, longest encoding: the node's. */
export const MAX_DEPTH = 4;
export const MAX_CONDITIONS = 8;
export const MAX_GATE_BYTES = 2048;

const UINT256_MAX = 2n ** 256n - 1n;
const CHAIN_ID_MAX = 2n ** 64n - 1n;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function fail(title: string, detail: string): never {
  throw new ExclusiveError("invalid_gate", `${title} ${detail}`);
}

function checksummed(value: unknown, title: string): `0x${string}` {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    fail(title, `must be an address (0x and 40 hex digits), got ${JSON.stringify(value)}`);
  }
  const address = getAddress(value);
  if (address !== value) fail(title, `must be an EIP-55 checksum address, got ${value}`);
  return address;
}

function inRange(value: bigint, title: string, low: bigint, high: bigint): bigint {
  if (value < low || value > high) fail(title, `must be between ${low} and ${high}, got ${value}`);
  return value;
}

/** A leaf: at least `minBalance` base units of `token` on `chainId`. The token may be in any
 * case (it is checksummed here); throws `invalid_gate` for a bad address or a minimum of 0. */
export function balance(chainId: bigint | number, token: string, minBalance: bigint): Balance {
  if (typeof token !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(token)) {
    fail("token", `must be an address (0x and 40 hex digits), got ${JSON.stringify(token)}`);
  }
  return {
    type: "balance",
    chainId: inRange(BigInt(chainId), "chainId", 1n, CHAIN_ID_MAX),
    token: getAddress(token),
    minBalance: inRange(minBalance, "minBalance", 1n, UINT256_MAX),
  };
}

/** Every one of `conditions` (AND); throws `invalid_gate` when empty, too deep or too large. */
export function all(conditions: Gate[]): Gate {
  return combine("all", conditions);
}

/** At least one of `conditions` (OR); the same limits as {@link all}. */
export function any(conditions: Gate[]): Gate {
  return combine("any", conditions);
}

function combine(type: "all" | "any", of: Gate[]): Gate {
  const gate: Combined = { type, of: [...of] };
  checkShape(gate, "gate");
  return gate;
}

function depth(gate: Gate): number {
  return gate.type === "balance" ? 1 : 1 + Math.max(...gate.of.map(depth));
}

function size(gate: Gate): number {
  return gate.type === "balance" ? 1 : gate.of.reduce((n, child) => n + size(child), 0);
}

function checkShape(gate: Gate, title: string): void {
  if (gate.type !== "balance" && gate.of.length === 0) {
    fail(`${title}.of`, "must hold at least one condition");
  }
  if (depth(gate) > MAX_DEPTH) fail(title, `nests ${depth(gate)} levels deep, the limit is ${MAX_DEPTH}`);
  if (size(gate) > MAX_CONDITIONS) fail(title, `holds ${size(gate)} conditions, the limit is ${MAX_CONDITIONS}`);
}

function toJson(gate: Gate): string {
  // Keys written in sorted order by hand: chainId < minBalance < token < type, and of < type.
  if (gate.type === "balance") {
    return `{"chainId":"${gate.chainId}","minBalance":"${gate.minBalance}","token":"${gate.token}","type":"balance"}`;
  }
  return `{"of":[${gate.of.map(toJson).join(",")}],"type":"${gate.type}"}`;
}

/** The canonical encoding the node expects in `Post.gate` (and binds into the ciphertext). */
export function encodeGate(gate: Gate): string {
  checkShape(gate, "gate");
  const text = toJson(gate);
  if (text.length > MAX_GATE_BYTES) fail("gate", `is ${text.length} bytes, the limit is ${MAX_GATE_BYTES}`);
  return text;
}

function decimal(value: unknown, title: string, low: bigint, high: bigint): bigint {
  if (typeof value !== "string") fail(title, `must be a decimal string, got ${typeof value}`);
  if (!DECIMAL.test(value) || value.length > 78) {
    fail(title, `must be a decimal string without sign or leading zeros, got ${JSON.stringify(value)}`);
  }
  return inRange(BigInt(value), title, low, high);
}

function fields(obj: Record<string, unknown>, title: string, expected: string[]): void {
  for (const key of Object.keys(obj)) if (!expected.includes(key)) fail(`${title}.${key}`, "unknown field");
  for (const key of expected) if (!(key in obj)) fail(`${title}.${key}`, "missing field");
}

function fromJson(obj: unknown, title: string, level: number): Gate {
  if (level > MAX_DEPTH) fail(title, `nests deeper than the limit of ${MAX_DEPTH}`);
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) fail(title, "must be an object");
  const record = obj as Record<string, unknown>;
  if (record.type === "balance") {
    fields(record, title, ["chainId", "minBalance", "token", "type"]);
    return {
      type: "balance",
      chainId: decimal(record.chainId, `${title}.chainId`, 1n, CHAIN_ID_MAX),
      token: checksummed(record.token, `${title}.token`),
      minBalance: decimal(record.minBalance, `${title}.minBalance`, 1n, UINT256_MAX),
    };
  }
  if (record.type === "all" || record.type === "any") {
    fields(record, title, ["of", "type"]);
    if (!Array.isArray(record.of)) fail(`${title}.of`, "must be a list");
    const of = record.of.map((child, index) => fromJson(child, `${title}.of[${index}]`, level + 1));
    const gate: Combined = { type: record.type, of };
    checkShape(gate, title);
    return gate;
  }
  fail(`${title}.type`, `must be 'balance', 'all' or 'any', got ${JSON.stringify(record.type)}`);
}

/** Parse a post's `gate` field; throws `invalid_gate` unless it is a valid gate in canonical form. */
export function parseGate(text: string): Gate {
  if (text.length > MAX_GATE_BYTES) fail("gate", `is ${text.length} bytes, the limit is ${MAX_GATE_BYTES}`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    fail("gate", `is not valid JSON: ${(e as Error).message}`);
  }
  const gate = fromJson(obj, "gate", 1);
  if (toJson(gate) !== text) fail("gate", "is not in canonical form (sorted keys, no whitespace, decimal strings)");
  return gate;
}

/** What a token is called on screen; creator tokens have 18 decimals, the default. */
export type TokenName = { symbol: string; decimals?: number };

function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** The gate in plain words, e.g. "at least 5 CRE, and at least 1 of 0xe7f1…0512".
 * `names` maps a checksum token address to its symbol when the caller knows it. */
export function describeGate(gate: Gate, names: Record<string, TokenName> = {}): string {
  if (gate.type === "balance") {
    const name = names[gate.token];
    const amount = formatUnits(gate.minBalance, name?.decimals ?? 18);
    return `at least ${amount} ${name ? name.symbol : `of token ${shortAddress(gate.token)}`}`;
  }
  const parts = gate.of.map((child) => (child.type === "balance" ? describeGate(child, names) : `(${describeGate(child, names)})`));
  return parts.join(gate.type === "all" ? ", and " : ", or ");
}

/** The distinct tokens a gate reads, for looking their names up. */
export function gateTokens(gate: Gate): `0x${string}`[] {
  if (gate.type === "balance") return [gate.token];
  return [...new Set(gate.of.flatMap(gateTokens))];
}
