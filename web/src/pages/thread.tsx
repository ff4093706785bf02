// A post with its ancestors and replies, its reactions and the on-chain tips it received.
import type { PageProps } from "../app";
import { getJson, NodeError } from "../api";
import { useLoad } from "../hooks";
import { Address, Amount, Empty, ErrorNote, Loading, Post, type MessageOut, type MessagePage } from "../ui";
import { PostForm } from "./compose";

type PostOut = { post: MessageOut; reactions: Record<string, number> };
type TipOut = { tipper: string; token: string | null; amount: string; tx_hash: string; memo: string };

/** The thread's pages, all of them up to `MAX_PAGES` (a thread longer than that shows a link). */
const MAX_PAGES = 10;

async function thread(id: string): Promise<{ items: MessageOut[]; more: boolean }> {
  const items: MessageOut[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: MessagePage = await getJson(`/v1/posts/${id}/thread?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    items.push(...page.items);
    if (!(cursor = page.next_cursor)) return { items, more: false };
  }
  return { items, more: true };
}

async function tips(id: string): Promise<TipOut[] | null> {
  try {
    return await getJson<TipOut[]>(`/v1/posts/${id}/tips`);
  } catch (e) {
    if (e instanceof NodeError && e.reason === "no_chain") return null;
    throw e;
  }
}

export default function Thread({ params }: PageProps) {
  const id = params.id as `0x${string}`;
  const loaded = useLoad(async () => {
    const [post, t, tipped] = await Promise.all([getJson<PostOut>(`/v1/posts/${id}`), thread(id), tips(id)]);
    return { post, thread: t, tipped };
  }, [id]);
  if (loaded.loading && !loaded.data) return <Loading what="the thread" />;
  if (loaded.error !== undefined)
    return (
      <section>
        <h1>Post</h1>
        <ErrorNote error={loaded.error} />
      </section>
    );
  const { post, thread: t, tipped } = loaded.data!;
  const at = t.items.findIndex((m) => m.id === id);
  const ancestors = t.items.slice(0, Math.max(at, 0));
  const replies = t.items.slice(at + 1);
  const reactions = Object.entries(post.reactions);
  return (
    <section>
      <h1>Post</h1>
      {ancestors.map((m) => (
        <Post key={m.id} m={m} />
      ))}
      <Post m={post.post} focus onLiked={loaded.reload}>
        <span class="muted" id="reactions">
          {reactions.length ? reactions.map(([k, n]) => `${n} ${k}${n === 1 ? "" : "s"}`).join(", ") : "No reactions yet"}
        </span>
      </Post>
      <h2>Tips</h2>
      {tipped === null ? (
        <p class="muted">This node does not follow the chain, so it shows no tips.</p>
      ) : tipped.length === 0 ? (
        <Empty>No tips on this post yet.</Empty>
      ) : (
        <ul class="plain" id="tips">
          {tipped.map((tip) => (
            <li key={tip.tx_hash}>
              <Address value={tip.tipper} link />
              <Amount wei={BigInt(tip.amount)} symbol={tip.token ? "tokens" : "ETH"} />
              {tip.memo && <span>“{tip.memo}”</span>}
            </li>
          ))}
        </ul>
      )}
      <h2>Replies</h2>
      {replies.length === 0 && <Empty>No replies yet.</Empty>}
      {replies.map((m) => (
        <Post key={m.id} m={m} />
      ))}
      {t.more && <p class="muted">This thread is longer than this page shows.</p>}
      <PostForm replyTo={id} label="Your reply" onPosted={() => loaded.reload()} />
    </section>
  );
}
