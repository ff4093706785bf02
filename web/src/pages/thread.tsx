// A post with its ancestors and replies, its reactions and the on-chain tips it received, as the
// connected user sees it (their mutes and blocks apply); the author of a post hides and unhides
// replies under it here, and the hidden ones are listed on request with who hid them.
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson, NodeError } from "../api";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import {
  Address,
  Amount,
  Empty,
  ErrorNote,
  Loading,
  mergePages,
  Post,
  PostList,
  ShowHidden,
  type HiddenOut,
  type MessageOut,
  type PostPage,
} from "../ui";
import { TipControl } from "../ui/tip";
import { useSession } from "../wallet";
import { PostForm } from "./compose";

type PostOut = { post: MessageOut; reactions: Record<string, number>; paid_by: string[] };
type TipOut = { tipper: string; token: string | null; amount: string; tx_hash: string; memo: string };

/** The thread's pages, all of them up to `MAX_PAGES` (a thread longer than that shows a link). */
const MAX_PAGES = 10;

type Thread = PostPage & { more: boolean };

/** The thread as `viewer` sees it, its pages merged. */
async function thread(id: string, viewer: string | undefined, showHidden: boolean): Promise<Thread> {
  const pages: PostPage[] = [];
  const query = `limit=200&show_hidden=${showHidden}${viewer ? `&viewer=${viewer}` : ""}`;
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: PostPage = await getJson(`/v1/posts/${id}/thread?${query}${cursor ? `&cursor=${cursor}` : ""}`);
    pages.push(page);
    if (!(cursor = page.next_cursor)) break;
  }
  return { ...mergePages(pages), more: cursor !== null };
}

/** "Hide reply" under the user's own post, or "Unhide" when they hid it: a ReplyHide. */
function ReplyHideButton(p: { reply: `0x${string}`; hidden: boolean; onDone: () => void }) {
  const act = useAction(async () => {
    await signAndSubmit("ReplyHide", { post: p.reply, active: !p.hidden });
    p.onDone();
  });
  return (
    <>
      <button type="button" disabled={act.running} onClick={() => void act.run()}>
        {p.hidden ? "Unhide reply" : "Hide reply"}
      </button>
      {act.error !== undefined && <ErrorNote error={act.error} />}
    </>
  );
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
  const me = useSession()?.address;
  const [showHidden, setShowHidden] = useState(false);
  const loaded = useLoad(async () => {
    const [post, t, tipped] = await Promise.all([
      getJson<PostOut>(`/v1/posts/${id}`),
      thread(id, me, showHidden),
      tips(id),
    ]);
    return { post, thread: t, tipped };
  }, [id, me, showHidden]);
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
  const mine = me?.toLowerCase();
  const authorOf = new Map([...t.items, post.post].map((m) => [m.id, String(m.message.author).toLowerCase()]));
  /** Under the connected user's own post: they may hide the reply (or unhide what they hid). */
  const replyActions = (m: MessageOut, hidden: HiddenOut[] | undefined) =>
    mine && authorOf.get(m.message.replyTo) === mine ? (
      <ReplyHideButton
        reply={m.id}
        hidden={!!hidden?.some((h) => h.reason === "hidden_by_post_author" && h.by?.toLowerCase() === mine)}
        onDone={loaded.reload}
      />
    ) : null;
  return (
    <section>
      <h1>Post</h1>
      <PostList page={t} items={ancestors} />
      <Post m={post.post} focus paidBy={post.paid_by} onLiked={loaded.reload}>
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
      {tipped !== null && <TipControl post={id} creator={post.post.message.author} onIndexed={loaded.reload} />}
      <h2>Replies</h2>
      <ShowHidden count={t.hidden_count} shown={showHidden} onToggle={() => setShowHidden(!showHidden)} />
      {replies.length === 0 && <Empty>No replies yet.</Empty>}
      <div id="replies">
        <PostList page={t} items={replies} actions={replyActions} />
      </div>
      {t.more && <p class="muted">This thread is longer than this page shows.</p>}
      <PostForm replyTo={id} community={post.post.message.community} label="Your reply" onPosted={() => loaded.reload()} />
    </section>
  );
}
