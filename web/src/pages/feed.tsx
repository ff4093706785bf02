// The feed: posts of the people you follow, newest first, a page at a time; new ones arrive live
// from the node's event stream (/v1/stream).
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { useLoad } from "../hooks";
import { AppKeyHint, Empty, ErrorNote, Loading, mergePages, PostList, ShowHidden, type MessageOut, type PostPage } from "../ui";
import { useSession, useWallet } from "../wallet";

const PAGE = 50;
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
  const [showHidden, setShowHidden] = useState(false);
  const [more, setMore] = useState<PostPage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const feed = `/v1/users/${me}/feed?limit=${PAGE}&show_hidden=${showHidden}`;
  const first = useLoad(async () => {
    if (!me) return null;
    const page = await getJson<PostPage>(feed);
    setMore([]);
    setCursor(page.next_cursor);
    return page;
  }, [me, showHidden]);
  // Whom live posts are kept from: loaded beside the first page, not before it.
  const follows = useLoad(async () => (me ? following(me) : undefined), [me]);
  const live = useLivePosts(follows.data);

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
      {first.loading && <Loading what="your feed" />}
      {first.error !== undefined && <ErrorNote error={first.error} />}
      {first.data && posts.length === 0 && hiddenCount === 0 && (
        <Empty>
          No posts yet from people you follow. Find people on their pages (<code>#/u/&lt;address&gt;</code>) and
          follow them, or <a href="#/compose">write the first post</a>.
        </Empty>
      )}
      <ShowHidden count={hiddenCount} shown={showHidden} onToggle={() => setShowHidden(!showHidden)} />
      <div aria-live="polite" id="feed">
        <PostList page={merged} />
      </div>
      {cursor && first.data && (
        <button type="button" onClick={() => void loadMore()}>
          Older posts
        </button>
      )}
    </section>
  );
}
