// A user's page: profile, follow/unfollow, mute/block (and undo), followers and following, posts
// as the connected user sees them; your own profile is editable here (one Profile message per
// changed field).
import { useState } from "preact/hooks";
import { getAddress, isAddress } from "viem";
import type { PageProps } from "../app";
import { getJson, NodeError } from "../api";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import { Address, Empty, ErrorNote, Loading, PostList, ShowHidden, type PostPage } from "../ui";
import { useSession } from "../wallet";
import { CreatorSection } from "./creator";

type Profile = { address: string; fields: Record<string, string>; updated: number };
type EdgePage = { items: { follower: string; target: string }[]; next_cursor: string | null };

/** The profile fields a user edits here (node/messages/_types.py PROFILE_FIELDS, bounds in bytes). */
const EDITABLE: [string, string, number][] = [
  ["name", "Name", 64],
  ["bio", "Bio", 512],
  ["url", "Website", 256],
  ["location", "Location", 64],
  ["avatar", "Avatar image URL", 512],
];
const EDGE_PAGES = 10;

async function profile(address: string): Promise<Profile | null> {
  try {
    return await getJson<Profile>(`/v1/users/${address}/profile`);
  } catch (e) {
    if (e instanceof NodeError && e.reason === "no_profile") return null;
    throw e;
  }
}

/** Whether `me` follows `target` now: `me`'s following list, up to EDGE_PAGES pages. */
async function follows(me: string, target: string): Promise<boolean> {
  let cursor: string | null = null;
  for (let i = 0; i < EDGE_PAGES; i++) {
    const page: EdgePage = await getJson(`/v1/users/${me}/following?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    if (page.items.some((e) => e.target.toLowerCase() === target.toLowerCase())) return true;
    if (!(cursor = page.next_cursor)) return false;
  }
  return false;
}

/** Whether `me` mutes or blocks `target` now ("block" when both), or null. */
async function muteOf(me: string, target: string): Promise<string | null> {
  const mutes = await getJson<{ target: string; kind: string }[]>(`/v1/users/${me}/mutes`);
  return mutes.find((m) => m.target.toLowerCase() === target.toLowerCase())?.kind ?? null;
}

/** Mute (their posts leave your views) and block (also their replies under your posts, for
 * everyone), each undone by the same button; a Mute or Block message signed by the app key. */
function MuteControls(p: { target: string; kind: string | null; onDone: () => void }) {
  const act = useAction(async (type: "Mute" | "Block", active: boolean) => {
    await signAndSubmit(type, { target: p.target, active });
    p.onDone();
  });
  return (
    <>
      <p class="row" id="mute-controls">
        {p.kind === "block" ? (
          <span>You block this user: you do not see their posts, and their replies under yours are hidden.</span>
        ) : p.kind === "mute" ? (
          <span>You mute this user: their posts are left out of your views.</span>
        ) : null}
        {p.kind !== "block" && (
          <button type="button" disabled={act.running} onClick={() => void act.run("Mute", p.kind !== "mute")}>
            {p.kind === "mute" ? "Unmute" : "Mute"}
          </button>
        )}
        <button type="button" disabled={act.running} onClick={() => void act.run("Block", p.kind !== "block")}>
          {p.kind === "block" ? "Unblock" : "Block"}
        </button>
      </p>
      {act.error !== undefined && <ErrorNote error={act.error} />}
    </>
  );
}

const count = (page: EdgePage) => `${page.items.length}${page.next_cursor ? "+" : ""}`;

function ProfileEditor(p: { current: Record<string, string>; onSaved: () => void }) {
  const [values, setValues] = useState<Record<string, string>>(() => ({ ...p.current }));
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    for (const [field] of EDITABLE) {
      const value = values[field] ?? "";
      if (value !== (p.current[field] ?? "")) await signAndSubmit("Profile", { field, value });
    }
    setSaved(true);
    p.onSaved();
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <h2>Edit your profile</h2>
      {EDITABLE.map(([field, label, max]) => (
        <div key={field}>
          <label for={`profile-${field}`}>{label}</label>
          {field === "bio" ? (
            <textarea
              id={`profile-${field}`}
              maxLength={max}
              value={values[field] ?? ""}
              onInput={(e) => setValues({ ...values, [field]: e.currentTarget.value })}
            />
          ) : (
            <input
              id={`profile-${field}`}
              maxLength={max}
              value={values[field] ?? ""}
              onInput={(e) => setValues({ ...values, [field]: e.currentTarget.value })}
            />
          )}
        </div>
      ))}
      <p class="row">
        <button type="submit" class="primary" disabled={save.running}>
          {save.running ? "Signing…" : "Save profile"}
        </button>
        {saved && <span class="ok-note">Saved.</span>}
      </p>
      {save.error !== undefined && <ErrorNote error={save.error} />}
    </form>
  );
}

export default function User({ params }: PageProps) {
  const session = useSession();
  const me = session?.address;
  const valid = isAddress(params.address);
  const address = valid ? getAddress(params.address) : params.address;
  const own = me === address;
  const [showHidden, setShowHidden] = useState(false);
  const loaded = useLoad(async () => {
    if (!valid) throw new NodeError(400, "InvalidInput", "invalid_input", "that is not an Ethereum address");
    const [prof, posts, followers, following, followed, muted] = await Promise.all([
      profile(address),
      getJson<PostPage>(`/v1/users/${address}/posts?limit=50&show_hidden=${showHidden}${me ? `&viewer=${me}` : ""}`),
      getJson<EdgePage>(`/v1/users/${address}/followers?limit=200`),
      getJson<EdgePage>(`/v1/users/${address}/following?limit=200`),
      me && !own ? follows(me, address) : Promise.resolve(false),
      me && !own ? muteOf(me, address) : Promise.resolve(null),
    ]);
    return { prof, posts, followers, following, followed, muted };
  }, [address, me, showHidden]);
  const toggle = useAction(async (active: boolean) => {
    await signAndSubmit("Follow", { target: address, active });
    loaded.reload();
  });
  const d = loaded.data;
  const name = d?.prof?.fields.name;
  return (
    <section>
      <h1>{name || "User"}</h1>
      <p class="row">
        <Address value={address} />
        {me && !own && d && (
          <button
            type="button"
            class={d.followed ? "" : "primary"}
            disabled={toggle.running}
            onClick={() => void toggle.run(!d.followed)}
          >
            {d.followed ? "Unfollow" : "Follow"}
          </button>
        )}
      </p>
      {toggle.error !== undefined && <ErrorNote error={toggle.error} />}
      {me && !own && d && <MuteControls target={address} kind={d.muted} onDone={loaded.reload} />}
      {loaded.loading && !d && <Loading what="this user" />}
      {loaded.error !== undefined && <ErrorNote error={loaded.error} />}
      {d && (
        <>
          {d.prof?.fields.bio && <p>{d.prof.fields.bio}</p>}
          {d.prof?.fields.url && (
            <p>
              {/^https?:\/\//i.test(d.prof.fields.url) ? (
                <a href={d.prof.fields.url} rel="noopener noreferrer nofollow">
                  {d.prof.fields.url}
                </a>
              ) : (
                d.prof.fields.url /* anything but http(s) is shown, never linked (javascript:, data:) */
              )}
            </p>
          )}
          {d.prof?.fields.location && <p class="muted">{d.prof.fields.location}</p>}
          <p class="stats">
            <span id="followers">{count(d.followers)} followers</span>
            <span id="following">{count(d.following)} following</span>
          </p>
          {own && <ProfileEditor current={d.prof?.fields ?? {}} onSaved={loaded.reload} />}
          <CreatorSection address={address} />
          <h2>Posts</h2>
          <ShowHidden count={d.posts.hidden_count} shown={showHidden} onToggle={() => setShowHidden(!showHidden)} />
          {d.posts.items.length === 0 && d.posts.hidden_count === 0 && <Empty>No posts yet.</Empty>}
          <div id="posts">
            <PostList page={d.posts} />
          </div>
        </>
      )}
    </section>
  );
}
