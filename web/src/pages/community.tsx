// One community: its charter, moderators and members, its collective when the charter names
// one (ui/collective.tsx: standing, shareholders, proposals, treasury, claims and votes), joining and leaving, its posts as the
// connected user sees them (a moderator hides one with a reason; the hidden ones are listed on
// request with who hid each and why), and a form to post into it.
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { MAX_HIDE_REASON, type CommunityOut, type MemberPage } from "../community";
import { describeGate, parseGate } from "../exclusive";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import {
  Address,
  AppKeyHint,
  Empty,
  ErrorNote,
  Loading,
  mergePages,
  PostList,
  ShowHidden,
  when,
  type HiddenOut,
  type MessageOut,
  type PostPage,
} from "../ui";
import { CollectivePanel, CollectiveStandingNote } from "../ui/collective";
import { useSession } from "../wallet";
import { CharterForm } from "./communities";
import { PostForm } from "./compose";

const POSTS = 50;
const MEMBERS = 100;

/** The gate in words, or the reason it cannot be read (the node stores what was signed). */
function gateWords(gate: string): string {
  try {
    return describeGate(parseGate(gate));
  } catch {
    return "a gate this app cannot read";
  }
}

/** A moderator's "Hide…": a reason, then a ModHide naming the community; "Unhide" undoes it. */
function ModHideControl(p: { community: string; post: `0x${string}`; hidden: boolean; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const act = useAction(async (active: boolean) => {
    await signAndSubmit("ModHide", { community: p.community, post: p.post, reason: active ? reason.trim() : "", active });
    setOpen(false);
    setReason("");
    p.onDone();
  });
  if (p.hidden)
    return (
      <>
        <button type="button" disabled={act.running} onClick={() => void act.run(false)}>
          Unhide post
        </button>
        {act.error !== undefined && <ErrorNote error={act.error} />}
      </>
    );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Hide with reason…
      </button>
    );
  const field = `hide-reason-${p.post}`;
  return (
    <form
      class="hide-form"
      onSubmit={(e) => {
        e.preventDefault();
        void act.run(true);
      }}
    >
      <label for={field}>Why hide this post from the community?</label>
      <input
        id={field}
        value={reason}
        maxLength={MAX_HIDE_REASON}
        autoFocus
        onInput={(e) => setReason(e.currentTarget.value)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
      />
      <p class="row">
        <button type="submit" class="danger" disabled={act.running || reason.trim() === ""}>
          Hide post
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
      {act.error !== undefined && <ErrorNote error={act.error} />}
    </form>
  );
}

export default function Community({ params }: PageProps) {
  const id = params.id as `0x${string}`;
  const me = useSession()?.address;
  const [showHidden, setShowHidden] = useState(false);
  const loaded = useLoad(async () => {
    const [community, members, mine] = await Promise.all([
      getJson<CommunityOut>(`/v1/communities/${id}`),
      getJson<MemberPage>(`/v1/communities/${id}/members?limit=${MEMBERS}`),
      me ? getJson<{ community: string }[]>(`/v1/users/${me}/communities`) : Promise.resolve([]),
    ]);
    return { community, members, member: mine.some((e) => e.community.toLowerCase() === id.toLowerCase()) };
  }, [id, me]);
  const [older, setOlder] = useState<PostPage[]>([]);
  const view = `/v1/communities/${id}/posts?limit=${POSTS}&show_hidden=${showHidden}${me ? `&viewer=${me}` : ""}`;
  const posts = useLoad(async () => {
    const first = await getJson<PostPage>(view);
    setOlder([]);
    return first;
  }, [view]);
  const shown = posts.data ? mergePages([posts.data, ...older]) : undefined;
  const loadOlder = useAction(async () => {
    const page = await getJson<PostPage>(`${view}&cursor=${shown!.next_cursor}`);
    setOlder((pages) => [...pages, page]);
  });
  const join = useAction(async (active: boolean) => {
    await signAndSubmit("Membership", { community: id, active });
    loaded.reload();
    posts.reload();
  });
  if (loaded.loading && !loaded.data) return <Loading what="the community" />;
  if (loaded.error !== undefined)
    return (
      <section>
        <h1>Community</h1>
        <ErrorNote error={loaded.error} />
        <p>
          <a href="#/communities">All communities</a>
        </p>
      </section>
    );
  const { community: c, members, member } = loaded.data!;
  const mine = me?.toLowerCase();
  const moderator = !!mine && c.moderators.some((m) => m.toLowerCase() === mine);
  const founder = !!mine && c.founder.toLowerCase() === mine;
  const a = c.activity;
  const modActions = (m: MessageOut, hidden: HiddenOut[] | undefined) =>
    moderator ? (
      <ModHideControl
        community={id}
        post={m.id}
        hidden={!!hidden?.some((h) => h.reason === "hidden_by_moderator")}
        onDone={posts.reload}
      />
    ) : null;
  return (
    <section>
      <h1>{c.charter.name || c.handle}</h1>
      <p class="row muted">
        <span>
          <code>{c.handle}</code>, founded by
        </span>
        <Address value={c.founder} link />
      </p>
      {c.topics.length > 0 && (
        <p class="row">
          {c.topics.map((t) => (
            <a key={t} class="tag" href={`#/communities/${t}`}>
              #{t}
            </a>
          ))}
        </p>
      )}
      {c.charter.about && <p class="text">{c.charter.about}</p>}
      <p class="stats" id="activity">
        <span>
          {a.members} {a.members === 1 ? "member" : "members"}
        </span>
        <span>{a.posts_week} posts this week</span>
        <span>
          {a.authors_week} {a.authors_week === 1 ? "author" : "authors"} this week
        </span>
        {a.tips_week !== null && <span>{a.tips_week} tips this week</span>}
      </p>
      {c.gated && (
        <p class="muted" id="gate">
          Members count while they hold {gateWords(c.charter.gate)}.
        </p>
      )}
      {c.collective && <CollectiveStandingNote standing={c.collective} />}
      {me && (
        <p class="row">
          <button
            type="button"
            class={member ? "" : "primary"}
            disabled={join.running}
            onClick={() => void join.run(!member)}
          >
            {member ? "Leave" : "Join"}
          </button>
          {member && <span class="ok-note">You are a member.</span>}
        </p>
      )}
      {join.error !== undefined && <ErrorNote error={join.error} />}
      {c.charter.rules && (
        <>
          <h2>Rules</h2>
          <p class="text" id="rules">
            {c.charter.rules}
          </p>
        </>
      )}
      <h2>Moderators</h2>
      {c.collective?.moderatorsSince != null && (
        <p class="muted" id="moderators-chosen">
          Chosen by the members on chain since block {c.collective.moderatorsSince}.
        </p>
      )}
      {c.moderators.length === 0 && <Empty>Nobody moderates this community now.</Empty>}
      <ul class="plain" id="moderators">
        {c.moderators.map((m) => (
          <li key={m}>
            <Address value={m} link />
            {m === c.founder && <span class="muted">founder</span>}
          </li>
        ))}
      </ul>
      <h2>Members</h2>
      {members.items.length === 0 && <Empty>No members yet.</Empty>}
      <ul class="plain" id="members">
        {members.items.map((m) => (
          <li key={m.address}>
            <Address value={m.address} link />
            <span class="muted">since {when(m.since)}</span>
            {!m.counts && <span class="muted">(does not meet the gate now)</span>}
          </li>
        ))}
      </ul>
      {members.next_cursor && <p class="muted">More members than this page shows.</p>}
      {c.collective && c.collective.status !== "unverifiable" && <CollectivePanel shares={c.collective.address} />}
      <h2>Posts</h2>
      <ShowHidden count={shown?.hidden_count ?? 0} shown={showHidden} onToggle={() => setShowHidden(!showHidden)} />
      {posts.loading && !posts.data && <Loading what="the posts" />}
      {posts.error !== undefined && <ErrorNote error={posts.error} />}
      {shown && shown.items.length === 0 && shown.hidden_count === 0 && <Empty>No posts yet.</Empty>}
      <div id="community-posts">{shown && <PostList page={shown} actions={modActions} />}</div>
      {shown?.next_cursor && (
        <button type="button" disabled={loadOlder.running} onClick={() => void loadOlder.run()}>
          Older posts
        </button>
      )}
      {loadOlder.error !== undefined && <ErrorNote error={loadOlder.error} />}
      {me && (
        <>
          <h2>Post to {c.charter.name || c.handle}</h2>
          <AppKeyHint />
          {!member && <p class="muted">Join first: a post by someone who is not a member is listed only as hidden.</p>}
          <PostForm community={id} label="Your post" onPosted={() => posts.reload()} />
        </>
      )}
      {founder && (
        <details class="edit-charter">
          <summary>Edit the charter</summary>
          <CharterForm current={c} onSaved={() => loaded.reload()} />
        </details>
      )}
    </section>
  );
}
