// Compose a public post (or a reply, with #/compose?reply=<id> handled by the thread page's form).
import { useState } from "preact/hooks";
import { getAddress, isAddress } from "viem";
import type { PageProps } from "../app";
import { useAction } from "../hooks";
import { signAndSubmit } from "../messages";
import { AppKeyHint, ErrorNote } from "../ui";
import { useSession } from "../wallet";
import { ComposeExclusive } from "./exclusive";

/** The node's bound on a post's text (UTF-8 bytes): node/messages/_types.py MAX_POST_TEXT. */
export const MAX_POST_TEXT = 1024;

/** The paid-partnership field's value: the payer's address ("" when none), or what is wrong. */
function payer(input: string): { address: `0x${string}` | "" } | { error: string } {
  const value = input.trim();
  if (value === "") return { address: "" };
  if (!isAddress(value, { strict: false })) return { error: `"${value}" is not an address (0x and 40 hex digits).` };
  return { address: getAddress(value) };
}

/** A text box and a button that signs and submits a Post (`replyTo` for a reply), or a
 * CommunityPost when `community` names one. A top-level post may name who paid for it: a
 * Disclosure signed right after the post says so, for every interface to show. */
export function PostForm(p: {
  replyTo?: `0x${string}`;
  community?: string;
  label: string;
  onPosted: (id: `0x${string}`) => void;
}) {
  const session = useSession();
  const [text, setText] = useState("");
  const [paidBy, setPaidBy] = useState("");
  const bytes = new TextEncoder().encode(text).length;
  const paid = payer(paidBy);
  const post = useAction(async () => {
    const payerAddress = "address" in paid ? paid.address : "";
    const body = { text, ...(p.replyTo ? { replyTo: p.replyTo } : {}) };
    const { id } = p.community
      ? await signAndSubmit("CommunityPost", { community: p.community, ...body })
      : await signAndSubmit("Post", body);
    if (payerAddress) await signAndSubmit("Disclosure", { post: id, paidBy: payerAddress });
    setText("");
    setPaidBy("");
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
      {!p.replyTo && (
        <>
          <label for={`${id}-paid-by`}>Paid partnership with (optional)</label>
          <input
            id={`${id}-paid-by`}
            value={paidBy}
            placeholder="0x… who paid for this post"
            spellcheck={false}
            aria-describedby={`${id}-paid-by-hint`}
            onInput={(e) => setPaidBy(e.currentTarget.value)}
          />
          <p id={`${id}-paid-by-hint`} class="muted">
            A signed disclosure beside the post, shown by every interface. It cannot be taken back.
          </p>
          {"error" in paid && <p class="error-note">{paid.error}</p>}
        </>
      )}
      <div class="row">
        <span id={`${id}-count`} class={bytes > MAX_POST_TEXT ? "error-note" : "muted"}>
          {bytes} / {MAX_POST_TEXT} bytes
        </span>
        <button
          type="submit"
          class="primary"
          disabled={!session || post.running || text.trim() === "" || bytes > MAX_POST_TEXT || "error" in paid}
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
