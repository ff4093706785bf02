// The feed: posts of the people you follow, newest first, a page at a time; new ones arrive live
// from the node's event stream (/v1/stream).
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { useLoad } from "../hooks";
import { AppKeyHint, Empty, ErrorNote, Loading, Post, type MessageOut, type MessagePage } from "../ui";
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

/** Posts by `authors` as the node accepts them, newest first (until the page changes). */
function useLivePosts(authors: Set<string> | undefined): MessageOut[] {
  const [live, setLive] = useState<MessageOut[]>([]);
  useEffect(() => {
    setLive([]);
    if (!authors) return;
    const source = new EventSource("/v1/stream");
    source.addEventListener("message", (event) => {
      const m = JSON.parse((event as MessageEvent).data) as MessageOut;
      if (m.type === "Post" && authors.has(String(m.message.author).toLowerCase()))
        setLive((ms) => (ms.some((x) => x.id === m.id) ? ms : [m, ...ms]));
    });
    return () => source.close();
  }, [authors]);
  return live;
}

export default function Feed(_: PageProps) {
  const session = useSession();
  const wallet = useWallet();
  const me = session?.address;
  const [more, setMore] = useState<MessageOut[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    if (!me) return null;
    const page = await getJson<MessagePage>(`/v1/users/${me}/feed?limit=${PAGE}`);
    setMore([]);
    setCursor(page.next_cursor);
    return page;
  }, [me]);
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
  const shown = first.data ? [...live, ...first.data.items, ...more] : [];
  const seen = new Set<string>();
  const posts = shown.filter((m) => !seen.has(m.id) && seen.add(m.id));
  const loadMore = async () => {
    const page = await getJson<MessagePage>(`/v1/users/${me}/feed?limit=${PAGE}&cursor=${cursor}`);
    setMore((ms) => [...ms, ...page.items]);
    setCursor(page.next_cursor);
  };
  return (
    <section>
      <h1>Feed</h1>
      <AppKeyHint />
      {first.loading && <Loading what="your feed" />}
      {first.error !== undefined && <ErrorNote error={first.error} />}
      {first.data && posts.length === 0 && (
        <Empty>
          No posts yet from people you follow. Find people on their pages (<code>#/u/&lt;address&gt;</code>) and
          follow them, or <a href="#/compose">write the first post</a>.
        </Empty>
      )}
      <div aria-live="polite" id="feed">
        {posts.map((m) => (
          <Post key={m.id} m={m} />
        ))}
      </div>
      {cursor && first.data && (
        <button type="button" onClick={() => void loadMore()}>
          Older posts
        </button>
      )}
    </section>
  );
}
