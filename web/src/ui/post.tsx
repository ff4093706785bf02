import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useAction } from "../hooks";
import { signAndSubmit } from "../messages";
import { ExclusiveBody } from "../pages/exclusive";
import { useSession } from "../wallet";
import { Address } from "./address";
import { ErrorNote } from "./error";

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

const ZERO32 = `0x${"0".repeat(64)}`;

export function isReply(m: MessageOut): boolean {
  return m.message.replyTo && m.message.replyTo !== ZERO32;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A message's timestamp (Unix seconds) in the reader's locale. */
export function when(seconds: number): string {
  return DATE_TIME.format(new Date(seconds * 1000));
}

/** Like a post (a Reaction "like"), signed by the app key when this browser holds one. */
export function LikeButton(p: { post: `0x${string}`; count?: number; onLiked?: () => void }) {
  const session = useSession();
  const [liked, setLiked] = useState(false);
  const like = useAction(async () => {
    await signAndSubmit("Reaction", { post: p.post, kind: "like", active: !liked });
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

/** One post: author, time, text (or that it is exclusive), links to its thread and parent. */
export function Post(p: { m: MessageOut; focus?: boolean; onLiked?: () => void; children?: ComponentChildren }) {
  const { m } = p;
  const exclusive = typeof m.message.gate === "string" && m.message.gate !== "";
  return (
    <article class={`post${p.focus ? " focus" : ""}`} aria-label={`Post by ${m.message.author}`} data-id={m.id}>
      <header>
        <Address value={m.message.author} link />
        <a href={`#/p/${m.id}`}>
          <time dateTime={new Date(m.message.timestamp * 1000).toISOString()}>{when(m.message.timestamp)}</time>
        </a>
        {isReply(m) && <a href={`#/p/${m.message.replyTo}`}>in reply to a post</a>}
      </header>
      {m.message.text && <p class="text">{m.message.text}</p>}
      {exclusive && <ExclusiveBody post={m} />}
      <footer>
        <LikeButton post={m.id} onLiked={p.onLiked} />
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
