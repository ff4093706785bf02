// Communities as the node names and serves them (node/messages/community.py,
// node/api/_communities.py): the id a founder and a handle make, the canonical forms of the
// charter's list values (the node refuses any other spelling), and the answers' shapes.
import { encodePacked, getAddress, isAddress, keccak256 } from "viem";
import type { CollectiveStanding } from "./collective";
import { InputError } from "./ui/error";

/** A handle, and a topic tag: lower-case letters, digits and inner hyphens, 1-32 (the node's). */
export const HANDLE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
export const TOPIC = HANDLE;
export const MAX_TOPICS = 8;
export const MAX_MODERATORS = 20;
/** Charter fields the forms set, with the node's bound on each (UTF-8 bytes): CHARTER_FIELDS. */
export const CHARTER_TEXT: [field: string, label: string, max: number][] = [
  ["name", "Name", 64],
  ["about", "About", 1024],
  ["rules", "Rules", 2048],
];
/** The longest reason a moderator gives for hiding a post (MAX_HIDE_REASON). */
export const MAX_HIDE_REASON = 280;

export type Activity = { members: number; posts_week: number; authors_week: number; tips_week: number | null };
export type CommunityOut = {
  id: `0x${string}`;
  founder: string;
  handle: string;
  charter: Record<string, string>;
  topics: string[];
  moderators: string[];
  gated: boolean;
  updated: number;
  activity: Activity;
  /** The collective the charter names and how the charter stands with it (null: none). */
  collective: CollectiveStanding | null;
};
export type MemberOut = { address: string; since: number; counts: boolean };
export type MemberPage = { items: MemberOut[]; next_cursor: string | null };

/** keccak256(founder's 20 bytes ‖ handle's UTF-8 bytes), abi.encodePacked: the community's id. */
export function communityId(founder: string, handle: string): `0x${string}` {
  return keccak256(encodePacked(["address", "string"], [getAddress(founder), handle]));
}

/** "Jazz, vinyl jazz" -> "jazz,vinyl": the canonical topics value; throws InputError in words. */
export function canonicalTopics(input: string): string {
  const tags = [...new Set(input.split(/[,\s]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();
  const bad = tags.find((t) => !TOPIC.test(t));
  if (bad !== undefined) throw new InputError(`"${bad}" is not a topic: use lower-case letters, digits and hyphens (1-32).`);
  if (tags.length > MAX_TOPICS) throw new InputError(`At most ${MAX_TOPICS} topics.`);
  return tags.join(",");
}

/** Addresses separated by commas or spaces -> the canonical moderators value (EIP-55, by their
 * bytes, once each, the founder left out as the node requires); throws InputError in words. */
export function canonicalModerators(input: string, founder: string): string {
  const parts = input.split(/[,\s]+/).filter(Boolean);
  const bad = parts.find((a) => !isAddress(a, { strict: false }));
  if (bad !== undefined) throw new InputError(`"${bad}" is not an address.`);
  const unique = [...new Set(parts.map((a) => getAddress(a)))].filter((a) => a !== getAddress(founder));
  if (unique.length > MAX_MODERATORS) throw new InputError(`At most ${MAX_MODERATORS} moderators besides the founder.`);
  return unique.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)).join(",");
}
