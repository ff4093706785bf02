// The feed the user chooses: posts of the people they follow, newest first (new ones arrive live
// from the node's event stream, /v1/stream), their communities' posts, or those ranked by
// engagement with the numbers behind each score; a page at a time.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { useLoad } from "../hooks";
import { AppKeyHint, Empty, ErrorNote, Loading, mergePages, PostList, ShowHidden, type MessageOut, type PostPage, type Ranking } from "../ui";
import { useSession, useWallet } from "../wallet";

const PAGE = 50;
type Algorithm = "following" | "communities" | "engagement";
/** The node's feeds (`?algorithm=`), as the chooser names them. */
const ALGORITHMS: [Algorithm, string][] = [
  ["following", "People you follow"],
  ["communities", "Your communities"],
  ["engagement", "Most engaging in your communities"],
];
const EMPTY: Record<Algorithm, string> = {
  following: "No posts yet from people you follow.",
  communities: "No posts yet in your communities.",
  engagement: "No posts in your communities from the last three days.",
};

/** Why a post ranks where it does: its score and the numbers that made it. */
function RankingNote({ r }: { r: Ranking }) {
  return (
    <span class="muted ranking">
      Score {r.score.toFixed(2)}: {r.reactors} reacted, {r.repliers} replied, {r.tips} tips, {Math.round(r.age_hours)} h
      old
    </span>
  );
}
/** Whom the live stream's posts are kept from: the first pages of who you follow. */
const FOLLOWING_PAGES = 10;

async function following(address: string): Promise<Set<string>> {
  const out = new Set<string>();
  let cursor: string | null = null;
  for (let i = 0; i < FOLLOWING_PAGES; i++) {
    const page: { items: { target: string }[]; next_cursor: string | null } = await getJson(
      `/v1/users/${address}/following?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
    );
    for (const e of page.items) out.add(e.target.toLowerCase());
    if (!(cursor = page.next_cursor)) break;
  }
  return out;
}

type Live = { posts: MessageOut[]; paidBy: Record<string, string[]> };

/** Posts by `authors` as the node accepts them, newest first, and their authors' disclosures of
 * who paid (which follow the post) (until the page changes). */
function useLivePosts(authors: Set<string> | undefined): Live {
  const [live, setLive] = useState<Live>({ posts: [], paidBy: {} });
  useEffect(() => {
    setLive({ posts: [], paidBy: {} });
    if (!authors) return;
    const source = new EventSource("/v1/stream");
    source.addEventListener("message", (event) => {
      const m = JSON.parse((event as MessageEvent).data) as MessageOut;
      if (!authors.has(String(m.message.author).toLowerCase())) return;
      if (m.type === "Post")
        setLive((l) => (l.posts.some((x) => x.id === m.id) ? l : { ...l, posts: [m, ...l.posts] }));
      else if (m.type === "Disclosure")
        setLive((l) => ({ ...l, paidBy: addPayer(l.paidBy, m.message.post, m.message.paidBy) }));
    });
    return () => source.close();
  }, [authors]);
  return live;
}

function addPayer(paidBy: Record<string, string[]>, post: string, payer: string): Record<string, string[]> {
  const now = paidBy[post] ?? [];
  return now.includes(payer) ? paidBy : { ...paidBy, [post]: [...now, payer] };
}

export default function Feed(_: PageProps) {
  const session = useSession();
  const wallet = useWallet();
  const me = session?.address;
  const [algorithm, setAlgorithm] = useState<Algorithm>("following");
  const [showHidden, setShowHidden] = useState(false);
  const [more, setMore] = useState<PostPage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const feed = `/v1/users/${me}/feed?limit=${PAGE}&show_hidden=${showHidden}&algorithm=${algorithm}`;
  const first = useLoad(async () => {
    if (!me) return null;
    const page = await getJson<PostPage>(feed);
    setMore([]);
    setCursor(page.next_cursor);
    return page;
  }, [feed]);
  // Whom live posts are kept from: loaded beside the first page, not before it.
  const follows = useLoad(async () => (me ? following(me) : undefined), [me]);
  const live = useLivePosts(algorithm === "following" ? follows.data : undefined);

  if (!me)
    return (
      <section>
        <h1>Feed</h1>
        <p>
          {wallet.address
            ? "Switch your wallet to this node's chain to see your feed."
            : "Connect your wallet to see the posts of the people you follow."}
        </p>
      </section>
    );
  const livePage = { items: live.posts, next_cursor: null, hidden_count: 0, hidden: {}, paid_by: live.paidBy };
  const merged = mergePages(first.data ? [livePage, first.data, ...more] : []);
  const posts = merged.items;
  const hiddenCount = merged.hidden_count;
  const loadMore = async () => {
    const page = await getJson<PostPage>(`${feed}&cursor=${cursor}`);
    setMore((ps) => [...ps, page]);
    setCursor(page.next_cursor);
  };
  return (
    <section>
      <h1>Feed</h1>
      <AppKeyHint />
      <fieldset class="row feed-choice">
        <legend>Show</legend>
        {ALGORITHMS.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="algorithm"
              value={value}
              checked={algorithm === value}
              onChange={() => setAlgorithm(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {first.loading && <Loading what="your feed" />}
      {first.error !== undefined && <ErrorNote error={first.error} />}
      {first.data && posts.length === 0 && hiddenCount === 0 && (
        <Empty>
          {EMPTY[algorithm]} Find people on their pages (<code>#/u/&lt;address&gt;</code>) and follow them, join{" "}
          <a href="#/communities">communities</a>, or <a href="#/compose">write the first post</a>.
        </Empty>
      )}
      <ShowHidden count={hiddenCount} shown={showHidden} onToggle={() => setShowHidden(!showHidden)} />
      <div aria-live="polite" id="feed">
        <PostList page={merged} actions={(m) => merged.ranking?.[m.id] && <RankingNote r={merged.ranking[m.id]} />} />
      </div>
      {cursor && first.data && (
        <button type="button" onClick={() => void loadMore()}>
          Older posts
        </button>
      )}
    </section>
  );
}
