// Communities: the active ones by topic with their week's activity, the ones you belong to, and
// founding one (a handle, then one Charter message per field). The charter form is the founder's
// on the community's own page too.
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson, NodeError } from "../api";
import {
  canonicalModerators,
  canonicalTopics,
  CHARTER_TEXT,
  communityId,
  HANDLE,
  type CommunityOut,
} from "../community";
import { config } from "../config";
import { encodeGate, ExclusiveError } from "../exclusive";
import { explain } from "../exclusive/words";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import { AppKeyHint, Empty, ErrorNote, InputError, Loading, TopicForm } from "../ui";
import { useSession } from "../wallet";
import { gateFromDraft, GateEditor, type GateDraft } from "./exclusive";

/** How many of a user's communities the page names (one request each). */
const MY_COMMUNITIES_SHOWN = 50;

/** A community's line in a list: its name, topics and the week's activity, as the node counts it. */
export function CommunityLine({ c }: { c: CommunityOut }) {
  const a = c.activity;
  return (
    <li class="community-line" data-id={c.id}>
      <a href={`#/c/${c.id}`}>
        <strong>{c.charter.name || c.handle}</strong>
      </a>
      {c.gated && <span class="tag">token-gated</span>}
      {c.topics.map((t) => (
        <a key={t} class="tag" href={`#/communities/${t}`}>
          #{t}
        </a>
      ))}
      <span class="muted activity">
        {a.members} {a.members === 1 ? "member" : "members"} · {a.posts_week} posts this week · {a.authors_week}{" "}
        {a.authors_week === 1 ? "author" : "authors"}
        {a.tips_week !== null && ` · ${a.tips_week} tips`}
      </span>
    </li>
  );
}

type Draft = Record<string, string>;

/** The charter's fields as a draft sets them, in the node's canonical form (the gate apart);
 * throws InputError in words. */
function charterValues(draft: Draft, founder: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [field] of CHARTER_TEXT) values[field] = (draft[field] ?? "").trim();
  values.topics = canonicalTopics(draft.topics ?? "");
  values.moderators = canonicalModerators(draft.moderators ?? "", founder);
  return values;
}

/** The gate's canonical JSON ("" open), or undefined to keep a gated community's gate as it is
 * (the box ticked, no token named); throws InputError in words. */
function gateValue(withGate: boolean, gate: GateDraft, gated: boolean): string | undefined {
  if (!withGate) return "";
  if (gated && gate.rows.every((r) => r.token.trim() === "")) return undefined;
  try {
    return encodeGate(gateFromDraft(gate, config().chain_id));
  } catch (e) {
    throw new InputError(e instanceof ExclusiveError ? explain(e) : String(e));
  }
}

/** Found a community (no `current`: a handle, then its fields) or edit its charter: one signed
 * Charter message per field that changed (an empty value clears a field). */
export function CharterForm(p: { current?: CommunityOut; onSaved: (id: `0x${string}`) => void }) {
  const session = useSession();
  const c = p.current;
  const [handle, setHandle] = useState(c?.handle ?? "");
  const [draft, setDraft] = useState<Draft>(() => ({
    ...Object.fromEntries(CHARTER_TEXT.map(([f]) => [f, c?.charter[f] ?? ""])),
    topics: (c?.topics ?? []).join(", "),
    moderators: (c?.charter.moderators ?? "").split(",").filter(Boolean).join(", "),
  }));
  const [withGate, setWithGate] = useState(!!c?.gated);
  const [gate, setGate] = useState<GateDraft>({ mode: "all", rows: [{ token: "", min: "1" }] });
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    const founder = session!.address;
    if (!HANDLE.test(handle)) throw new InputError("A handle is 1-32 lower-case letters, digits and inner hyphens.");
    const id = communityId(founder, handle);
    if (!c && (await exists(id))) throw new InputError(`You already founded a community with the handle "${handle}".`);
    const values = charterValues(draft, founder);
    const gateJson = gateValue(withGate, gate, !!c?.gated);
    if (gateJson !== undefined) values.gate = gateJson;
    for (const [field, value] of Object.entries(values)) {
      if (value !== (c?.charter[field] ?? "")) await signAndSubmit("Charter", { handle, field, value });
    }
    setSaved(true);
    p.onSaved(id);
  });
  const set = (field: string) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [field]: e.currentTarget.value });
  const prefix = c ? "edit" : "new";
  return (
    <form
      class="charter-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      {!c && (
        <>
          <label for="new-handle">Handle</label>
          <input
            id="new-handle"
            value={handle}
            maxLength={32}
            spellcheck={false}
            aria-describedby="new-handle-hint"
            onInput={(e) => setHandle(e.currentTarget.value.trim().toLowerCase())}
          />
          <p id="new-handle-hint" class="muted">
            Lower-case letters, digits and hyphens. With your address it names the community for good.
          </p>
        </>
      )}
      {CHARTER_TEXT.map(([field, label, max]) => (
        <div key={field}>
          <label for={`${prefix}-${field}`}>{label}</label>
          {field === "name" ? (
            <input id={`${prefix}-${field}`} maxLength={max} value={draft[field]} onInput={set(field)} />
          ) : (
            <textarea id={`${prefix}-${field}`} maxLength={max} value={draft[field]} onInput={set(field)} />
          )}
        </div>
      ))}
      <label for={`${prefix}-topics`}>Topics</label>
      <input
        id={`${prefix}-topics`}
        value={draft.topics}
        spellcheck={false}
        placeholder="jazz, vinyl"
        aria-describedby={`${prefix}-topics-hint`}
        onInput={set("topics")}
      />
      <p id={`${prefix}-topics-hint`} class="muted">
        Up to 8 tags, separated by commas; people find the community by them.
      </p>
      <label for={`${prefix}-moderators`}>Moderators besides you</label>
      <input
        id={`${prefix}-moderators`}
        value={draft.moderators}
        spellcheck={false}
        placeholder="0x…, 0x…"
        onInput={set("moderators")}
      />
      <p class="row">
        <input
          type="checkbox"
          id={`${prefix}-gated`}
          checked={withGate}
          onChange={(e) => setWithGate(e.currentTarget.checked)}
        />
        <label for={`${prefix}-gated`} class="inline">
          Members must hold tokens
        </label>
      </p>
      {withGate && (
        <>
          {c?.gated && <p class="muted">Leave the token empty to keep the gate as it is.</p>}
          <GateEditor draft={gate} onChange={setGate} legend="Who counts as a member" />
        </>
      )}
      <p class="row">
        <button type="submit" class="primary" disabled={!session || save.running} aria-busy={save.running}>
          {save.running ? "Signing…" : c ? "Save the charter" : "Found the community"}
        </button>
        {saved && <span class="ok-note">Saved.</span>}
      </p>
      {!session && <p class="muted">Connect your wallet to found a community.</p>}
      {save.error !== undefined && <ErrorNote error={save.error} />}
    </form>
  );
}

async function exists(id: string): Promise<boolean> {
  try {
    await getJson(`/v1/communities/${id}`);
    return true;
  } catch (e) {
    if (e instanceof NodeError && e.reason === "no_community") return false;
    throw e;
  }
}

function MyCommunities({ me }: { me: string }) {
  const mine = useLoad(async () => {
    const edges = await getJson<{ community: string; since: number }[]>(`/v1/users/${me}/communities`);
    const shown = edges.slice(0, MY_COMMUNITIES_SHOWN);
    const found = await Promise.all(
      shown.map((e) => getJson<CommunityOut>(`/v1/communities/${e.community}`).catch(() => null)),
    );
    return found.filter((c): c is CommunityOut => c !== null);
  }, [me]);
  return (
    <>
      <h2>Your communities</h2>
      {mine.loading && !mine.data && <Loading what="your communities" />}
      {mine.error !== undefined && <ErrorNote error={mine.error} />}
      {mine.data && mine.data.length === 0 && <Empty>You have not joined a community yet.</Empty>}
      {mine.data && mine.data.length > 0 && (
        <ul class="plain" id="my-communities">
          {mine.data.map((c) => (
            <CommunityLine key={c.id} c={c} />
          ))}
        </ul>
      )}
    </>
  );
}

export default function Communities({ params }: PageProps) {
  const me = useSession()?.address;
  const topic = params.topic ?? "";
  const found = useLoad(
    () => getJson<CommunityOut[]>(`/v1/discover/communities${topic ? `?topic=${encodeURIComponent(topic)}` : ""}`),
    [topic],
  );
  return (
    <section>
      <h1>Communities</h1>
      <TopicForm
        id="topic"
        initial={topic}
        button="Find"
        onTopic={(t) => (location.hash = t ? `#/communities/${t}` : "#/communities")}
      />
      <h2>{topic ? `Active in #${topic}` : "Active this week"}</h2>
      {found.loading && !found.data && <Loading what="communities" />}
      {found.error !== undefined && <ErrorNote error={found.error} />}
      {found.data && found.data.length === 0 && (
        <Empty>{topic ? `No community has the topic #${topic} yet.` : "No communities yet: found the first."}</Empty>
      )}
      {found.data && found.data.length > 0 && (
        <ul class="plain" id="discovered">
          {found.data.map((c) => (
            <CommunityLine key={c.id} c={c} />
          ))}
        </ul>
      )}
      {me && <MyCommunities me={me} />}
      <h2>Found a community</h2>
      <AppKeyHint />
      <CharterForm onSaved={(id) => (location.hash = `#/c/${id}`)} />
    </section>
  );
}
