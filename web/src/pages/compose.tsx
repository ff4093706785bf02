// Compose a public post (or a reply, with #/compose?reply=<id> handled by the thread page's form).
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { useAction } from "../hooks";
import { signAndSubmit } from "../messages";
import { AppKeyHint, ErrorNote } from "../ui";
import { useSession } from "../wallet";
import { ComposeExclusive } from "./exclusive";

/** The node's bound on a post's text (UTF-8 bytes): node/messages/_types.py MAX_POST_TEXT. */
export const MAX_POST_TEXT = 1024;

/** A text box and a button that signs and submits a Post (`replyTo` for a reply). */
export function PostForm(p: { replyTo?: `0x${string}`; label: string; onPosted: (id: `0x${string}`) => void }) {
  const session = useSession();
  const [text, setText] = useState("");
  const bytes = new TextEncoder().encode(text).length;
  const post = useAction(async () => {
    const { id } = await signAndSubmit("Post", { text, ...(p.replyTo ? { replyTo: p.replyTo } : {}) });
    setText("");
    p.onPosted(id);
  });
  const id = p.replyTo ? "reply-text" : "post-text";
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void post.run();
      }}
    >
      <label for={id}>{p.label}</label>
      <textarea id={id} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby={`${id}-count`} />
      <div class="row">
        <span id={`${id}-count`} class={bytes > MAX_POST_TEXT ? "error-note" : "muted"}>
          {bytes} / {MAX_POST_TEXT} bytes
        </span>
        <button
          type="submit"
          class="primary"
          disabled={!session || post.running || text.trim() === "" || bytes > MAX_POST_TEXT}
          aria-busy={post.running}
        >
          {post.running ? "Signing…" : p.replyTo ? "Reply" : "Post"}
        </button>
      </div>
      {!session && <p class="muted">Connect your wallet to post.</p>}
      {post.error !== undefined && <ErrorNote error={post.error} />}
    </form>
  );
}

export default function Compose(_: PageProps) {
  return (
    <section>
      <h1>New post</h1>
      <AppKeyHint />
      <PostForm label="What do you want to say?" onPosted={(id) => (location.hash = `#/p/${id}`)} />
      <ComposeExclusive />
    </section>
  );
}
