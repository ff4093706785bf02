// Discover creators: the node's ranking by engagement relative to audience (GET
// /v1/discover/creators, docs/discovery.md), filtered by follower band and community topic, each
// creator with the numbers that made its score in words.
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { useLoad } from "../hooks";
import { Address, Empty, ErrorNote, Loading, TopicForm } from "../ui";

type Band = "nano" | "micro" | "mid" | "macro";
type KindPart = { engagers: number; points: number };
/** The numbers that made a score (ScoreExplanation). */
type Explanation = {
  engagement: number;
  audience: number;
  follower_prior: number;
  engagers: number;
  by_kind: Record<string, KindPart>;
  fresh_engagers: number;
  fresh_pool: number;
  fresh_points: number;
};
type CreatorScore = { creator: string; score: number; band: Band; followers: number; explanation: Explanation };
type DiscoverOut = { now: number; window_days: number; chain_head: number | null; creators: CreatorScore[] };

/** The follower bands the node filters by, as a reader would name them. */
const BANDS: [Band | "", string][] = [
  ["", "Any size"],
  ["nano", "Nano (under 1k)"],
  ["micro", "Micro (1k–10k)"],
  ["mid", "Mid (10k–100k)"],
  ["macro", "Macro (100k+)"],
];

/** What an engager did, by the kind of their strongest signal, for one and for several. */
const DID: Record<string, [string, string]> = {
  tip: ["tipped", "tipped"],
  buy: ["bought the token", "bought the token"],
  hold: ["holds the token", "hold the token"],
  reply: ["replied", "replied"],
  reaction: ["reacted", "reacted"],
};

const NUMBER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const num = (x: number) => NUMBER.format(x);
const plural = (n: number, one: string, many: string) => `${num(n)} ${n === 1 ? one : many}`;

/** A score's numbers as sentences: the division, then who added the engagement and how. */
function explainScore(s: CreatorScore): string[] {
  const e = s.explanation;
  const lines = [
    `Score ${num(s.score)} = engagement ${num(e.engagement)} ÷ audience ${num(e.audience)} ` +
      `(${plural(s.followers, "follower", "followers")} + ${num(e.follower_prior)} added to every audience).`,
  ];
  for (const [kind, part] of Object.entries(e.by_kind)) {
    const [one, many] = DID[kind] ?? [kind, kind];
    lines.push(`${plural(part.engagers, `account ${one}`, `accounts ${many}`)}: ${num(part.points)} points.`);
  }
  if (e.fresh_engagers > 0)
    lines.push(
      `${plural(e.fresh_engagers, "account", "accounts")} without a history on chain: ` +
        `${num(e.fresh_points)} points (their ${num(e.fresh_pool)}, counted on a log scale).`,
    );
  return lines;
}

function CreatorLine({ s }: { s: CreatorScore }) {
  return (
    <li class="creator-line" data-address={s.creator}>
      <Address value={s.creator} link />
      <strong class="score">score {num(s.score)}</strong>
      <span class="tag">{s.band}</span>
      <span class="muted">{plural(s.followers, "follower", "followers")}</span>
      <ul class="why">
        {explainScore(s).map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </li>
  );
}

export default function Discover(_: PageProps) {
  const [band, setBand] = useState<Band | "">("");
  const [topic, setTopic] = useState("");
  const query = new URLSearchParams();
  if (band) query.set("band", band);
  if (topic) query.set("topic", topic);
  const found = useLoad(() => getJson<DiscoverOut>(`/v1/discover/creators?${query}`), [`${query}`]);
  return (
    <section>
      <h1>Discover creators</h1>
      <p class="muted">
        Ranked by engagement per follower: distinct people who tipped, bought or hold a creator's token, replied or
        reacted, recent ones weighing more. What costs money counts most; likes from brand-new keys count little.
      </p>
      <fieldset class="row">
        <legend>Followers</legend>
        {BANDS.map(([value, label]) => (
          <label key={value}>
            <input type="radio" name="band" value={value} checked={band === value} onChange={() => setBand(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      <TopicForm id="discover-topic" initial="" button="Apply" onTopic={setTopic} />
      <h2>
        {topic ? `Engaging in #${topic}` : "Most engaging"}
        {found.data && `, last ${found.data.window_days} days`}
      </h2>
      {found.loading && !found.data && <Loading what="creators" />}
      {found.error !== undefined && <ErrorNote error={found.error} />}
      {found.data && found.data.creators.length === 0 && (
        <Empty>No creator drew engagement here in this window yet.</Empty>
      )}
      {found.data && found.data.creators.length > 0 && (
        <ol class="plain" id="creators">
          {found.data.creators.map((s) => (
            <CreatorLine key={s.creator} s={s} />
          ))}
        </ol>
      )}
    </section>
  );
}
