import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useAction } from "../hooks";
import { signAndSubmit } from "../messages";
import { ExclusiveBody } from "../pages/exclusive";
import { useSession } from "../wallet";
import { Address } from "./address";
import { ErrorNote } from "./error";
import { HiddenNote, PaidBy } from "./hidden";

/** A message as the node serves it (MessageOut). */
export type MessageOut = {
  id: `0x${string}`;
  type: string;
  chainId: number;
  message: Record<string, any>;
  signature: `0x${string}`;
  signer: string;
};
export type MessagePage = { items: MessageOut[]; next_cursor: string | null };
/** One reason a view hides a post (HiddenOut): who decided it (null: a community's rules), why. */
export type HiddenOut = { reason: string; by: string | null; detail: string };
/** A page of posts as a view shows them (PostPage): how many it hides, and with show_hidden
 * why each is hidden; who paid for a post, by its author's disclosures. */
export type PostPage = MessagePage & {
  hidden_count: number;
  hidden: Record<string, HiddenOut[]>;
  paid_by: Record<string, string[]>;
  /** In the engagement-ranked feed: each post's score and the numbers that made it. */
  ranking?: Record<string, Ranking>;
};
export type Ranking = { score: number; reactors: number; repliers: number; tips: number; age_hours: number };

const ZERO32 = `0x${"0".repeat(64)}`;

export function isReply(m: MessageOut): boolean {
  return m.message.replyTo && m.message.replyTo !== ZERO32;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A message's timestamp (Unix seconds) in the reader's locale. */
export function when(seconds: number): string {
  return DATE_TIME.format(new Date(seconds * 1000));
}

/** Like a post (a Reaction "like", or a CommunityReaction naming the community of a community's
 * post), signed by the app key when this browser holds one. */
export function LikeButton(p: { post: `0x${string}`; community?: string; count?: number; onLiked?: () => void }) {
  const session = useSession();
  const [liked, setLiked] = useState(false);
  const like = useAction(async () => {
    const reaction = { post: p.post, kind: "like", active: !liked };
    if (p.community) await signAndSubmit("CommunityReaction", { community: p.community, ...reaction });
    else await signAndSubmit("Reaction", reaction);
    setLiked(!liked);
    p.onLiked?.();
  });
  return (
    <>
      <button type="button" disabled={!session || like.running} aria-pressed={liked} onClick={() => void like.run()}>
        {liked ? "Liked" : "Like"}
        {p.count ? ` (${p.count})` : ""}
      </button>
      {like.error !== undefined && <ErrorNote error={like.error} />}
    </>
  );
}

/** One post: author, time, text (or that it is exclusive), links to its thread, parent and
 * community; who paid for it (`paidBy`, its author's disclosures) and, when a view hides it but
 * was asked to list it, who hid it and why (`hidden`). */
export function Post(p: {
  m: MessageOut;
  focus?: boolean;
  paidBy?: string[];
  hidden?: HiddenOut[];
  onLiked?: () => void;
  children?: ComponentChildren;
}) {
  const { m } = p;
  const exclusive = typeof m.message.gate === "string" && m.message.gate !== "";
  const community: string | undefined = m.message.community;
  return (
    <article
      class={`post${p.focus ? " focus" : ""}${p.hidden?.length ? " hidden-post" : ""}`}
      aria-label={`Post by ${m.message.author}`}
      data-id={m.id}
    >
      <header>
        <Address value={m.message.author} link />
        <a href={`#/p/${m.id}`}>
          <time dateTime={new Date(m.message.timestamp * 1000).toISOString()}>{when(m.message.timestamp)}</time>
        </a>
        {isReply(m) && <a href={`#/p/${m.message.replyTo}`}>in reply to a post</a>}
        {community && <a href={`#/c/${community}`}>in a community</a>}
      </header>
      {p.hidden?.length ? <HiddenNote reasons={p.hidden} /> : null}
      {p.paidBy?.length ? <PaidBy payers={p.paidBy} /> : null}
      {m.message.text && <p class="text">{m.message.text}</p>}
      {exclusive && <ExclusiveBody post={m} />}
      <footer>
        <LikeButton post={m.id} community={community} onLiked={p.onLiked} />
        {!p.focus && (
          <a class="button" href={`#/p/${m.id}`}>
            Reply
          </a>
        )}
        {p.children}
      </footer>
    </article>
  );
}

/** Pages of one view as one: items in order (each once), hidden counts summed, reasons and
 * payers merged. */
export function mergePages(pages: PostPage[]): PostPage {
  const seen = new Set<string>();
  return {
    items: pages.flatMap((page) => page.items).filter((m) => !seen.has(m.id) && seen.add(m.id)),
    next_cursor: pages.length ? pages[pages.length - 1].next_cursor : null,
    hidden_count: pages.reduce((n, page) => n + page.hidden_count, 0),
    hidden: Object.assign({}, ...pages.map((page) => page.hidden)),
    paid_by: Object.assign({}, ...pages.map((page) => page.paid_by)),
    ranking: Object.assign({}, ...pages.map((page) => page.ranking ?? {})),
  };
}

/** A view's posts, each with who paid for it and, when listed though hidden, why; `actions`
 * adds a post's own buttons (hide, unhide) to its footer. */
export function PostList(p: {
  page: Pick<PostPage, "items" | "hidden" | "paid_by">;
  items?: MessageOut[];
  actions?: (m: MessageOut, hidden: HiddenOut[] | undefined) => ComponentChildren;
  onLiked?: () => void;
}) {
  return (
    <>
      {(p.items ?? p.page.items).map((m) => (
        <Post key={m.id} m={m} paidBy={p.page.paid_by[m.id]} hidden={p.page.hidden[m.id]} onLiked={p.onLiked}>
          {p.actions?.(m, p.page.hidden[m.id])}
        </Post>
      ))}
    </>
  );
}
