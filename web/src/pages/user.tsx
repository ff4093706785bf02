// A user's page: profile, follow/unfollow, followers and following, posts; your own profile is
// editable here (one Profile message per changed field).
import { useState } from "preact/hooks";
import { getAddress, isAddress } from "viem";
import type { PageProps } from "../app";
import { getJson, NodeError } from "../api";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import { Address, Empty, ErrorNote, Loading, Post, type MessagePage } from "../ui";
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
  const loaded = useLoad(async () => {
    if (!valid) throw new NodeError(400, "InvalidInput", "invalid_input", "that is not an Ethereum address");
    const [prof, posts, followers, following, followed] = await Promise.all([
      profile(address),
      getJson<MessagePage>(`/v1/users/${address}/posts?limit=50`),
      getJson<EdgePage>(`/v1/users/${address}/followers?limit=200`),
      getJson<EdgePage>(`/v1/users/${address}/following?limit=200`),
      me && !own ? follows(me, address) : Promise.resolve(false),
    ]);
    return { prof, posts, followers, following, followed };
  }, [address, me]);
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
          {d.posts.items.length === 0 && <Empty>No posts yet.</Empty>}
          {d.posts.items.map((m) => (
            <Post key={m.id} m={m} />
          ))}
        </>
      )}
    </section>
  );
}
