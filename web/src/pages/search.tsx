// Search: posts, profiles or communities matching every word typed, best first (GET /v1/search,
// docs/discovery.md). The words and the kind live in the route (#/search/<kind>/<words>), so a
// search can be linked to and the back button returns to it.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { useLoad } from "../hooks";
import { Address, Empty, ErrorNote, Loading, Post, type MessageOut } from "../ui";

/** Results asked per page. */
const PAGE = 20;

type Kind = "posts" | "profiles" | "communities";
const KINDS: [Kind, string][] = [
  ["posts", "Posts"],
  ["profiles", "People"],
  ["communities", "Communities"],
];

type Hit =
  | { kind: "post"; score: number; post: MessageOut }
  | { kind: "profile"; score: number; address: string; name: string; bio: string }
  | { kind: "community"; score: number; id: string; name: string; about: string; topics: string[] };
type SearchPage = { items: Hit[]; next_cursor: string | null };

const hitKey = (h: Hit) => (h.kind === "post" ? h.post.id : h.kind === "profile" ? h.address : h.id);
const route = (kind: Kind, q: string) => `#/search/${kind}${q ? `/${encodeURIComponent(q)}` : ""}`;

function Result({ hit }: { hit: Hit }) {
  if (hit.kind === "post") return <Post m={hit.post} />;
  if (hit.kind === "profile")
    return (
      <li class="profile-hit" data-address={hit.address}>
        {hit.name && (
          <a href={`#/u/${hit.address}`}>
            <strong>{hit.name}</strong>
          </a>
        )}
        <Address value={hit.address} link />
        {hit.bio && <p class="bio">{hit.bio}</p>}
      </li>
    );
  return (
    <li class="community-line" data-id={hit.id}>
      <a href={`#/c/${hit.id}`}>
        <strong>{hit.name || "A community without a name"}</strong>
      </a>
      {hit.topics.map((t) => (
        <a key={t} class="tag" href={`#/communities/${t}`}>
          #{t}
        </a>
      ))}
      {hit.about && <p class="bio">{hit.about}</p>}
    </li>
  );
}

export default function Search({ params }: PageProps) {
  const kind: Kind = KINDS.some(([k]) => k === params.kind) ? (params.kind as Kind) : "posts";
  const q = params.q ?? "";
  const [typed, setTyped] = useState(q);
  useEffect(() => setTyped(q), [q]);
  const [more, setMore] = useState<SearchPage[]>([]);
  const search = `/v1/search?${new URLSearchParams({ q, kind, limit: String(PAGE) })}`;
  const first = useLoad(async () => {
    setMore([]);
    return q.trim() ? getJson<SearchPage>(search) : null;
  }, [search]);
  const pages = first.data ? [first.data, ...more] : [];
  const hits = pages.flatMap((p) => p.items);
  const cursor = pages.length ? pages[pages.length - 1].next_cursor : null;
  const [moreError, setMoreError] = useState<unknown>(undefined);
  const loadMore = async () => {
    try {
      const page = await getJson<SearchPage>(`${search}&cursor=${encodeURIComponent(cursor!)}`);
      setMore((ps) => [...ps, page]);
      setMoreError(undefined);
    } catch (e) {
      setMoreError(e);
    }
  };
  return (
    <section>
      <h1>Search</h1>
      <form
        class="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = route(kind, typed.trim());
        }}
      >
        <label for="search-words" class="inline">
          Words
        </label>
        <input
          id="search-words"
          class="grow"
          type="search"
          value={typed}
          placeholder="watercolour"
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <nav class="row kinds" aria-label="Search in">
        {KINDS.map(([k, label]) => (
          <a key={k} class="button" href={route(k, q)} aria-current={k === kind ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {!q.trim() && <p class="muted">Every word must match, as the start of a word: "waterc" finds "watercolour".</p>}
      {first.loading && <Loading what="results" />}
      {first.error !== undefined && <ErrorNote error={first.error} />}
      {first.data && hits.length === 0 && <Empty>Nothing matches “{q}”.</Empty>}
      {kind === "posts" ? (
        <div id="results" aria-live="polite">
          {hits.map((h) => (
            <Result key={hitKey(h)} hit={h} />
          ))}
        </div>
      ) : (
        <ul class="plain" id="results" aria-live="polite">
          {hits.map((h) => (
            <Result key={hitKey(h)} hit={h} />
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          More results
        </button>
      )}
      {moreError !== undefined && <ErrorNote error={moreError} />}
    </section>
  );
}
