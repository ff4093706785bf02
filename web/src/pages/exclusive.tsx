/**
 * Exclusive posts on screen: the gate editor and composer for creators, the locked post with
 * its unlock for readers, and the encryption-key set-up (docs/web-keys.md).
 *
 * The components take what they need from the app as {@link ExclusiveDeps} (the node's HTTP API,
 * the connected account and signing functions), from the session by default. The wallet (or the
 * app key, for messages it may sign) does every signature; the derived encryption key stays in
 * this tab's memory.
 */

import { useEffect, useState } from "preact/hooks";
import { getAddress, parseUnits } from "viem";
import { getJson, postJson } from "../api";
import { signMessage } from "../messages";
import { useSession } from "../wallet";
import {
  all,
  any,
  balance,
  composeExclusive,
  creatorTokens,
  deriveCheckedKey,
  deriveKey,
  describeGate,
  ExclusiveError,
  gatedParts,
  gateTokens,
  publishKey,
  readWithGrant,
  unlockOnline,
  type CreatorToken,
  type EncryptionKey,
  type Gate,
  type NodeHttp,
  type SignMessage,
  type SignText,
  type TokenName,
  type WireMessage,
} from "../exclusive";
import { explain, reasonOf } from "../exclusive/words";

export type ExclusiveDeps = {
  http: NodeHttp;
  address: `0x${string}`;
  chainId: number;
  signText: SignText; // personal_sign by the wallet
  sign: SignMessage; // EIP-712, by the app key or (withWallet) the wallet
  submit: (message: WireMessage) => Promise<unknown>; // POST /v1/messages
};

const APP_HTTP: NodeHttp = { get: getJson, post: postJson };

/** The app's node and the connected wallet as {@link ExclusiveDeps}; `null` until connected. */
export function useExclusiveDeps(): ExclusiveDeps | null {
  const session = useSession();
  if (!session) return null;
  return {
    http: APP_HTTP,
    address: session.address,
    chainId: session.chainId,
    signText: (message) => session.wallet.signMessage({ account: session.address, message }),
    sign: signMessage,
    submit: (message) => postJson("/v1/messages", message),
  };
}

/** `given` deps, or the app's when the caller passed none (`null`: not connected). */
function useDeps(given: ExclusiveDeps | null | undefined): ExclusiveDeps | null {
  const app = useExclusiveDeps();
  return given === undefined ? app : given;
}

// One derived key per account per tab: one wallet prompt, then none until the tab closes.
const keys = new Map<string, Promise<EncryptionKey>>();

function derivedKey(deps: ExclusiveDeps): Promise<EncryptionKey> {
  let key = keys.get(deps.address);
  if (!key) {
    key = deriveKey(deps.address, deps.signText);
    key.catch(() => keys.delete(deps.address)); // a rejected prompt may be tried again
    keys.set(deps.address, key);
  }
  return key;
}

// The node's creator tokens, shared by every post on a page and asked again after a while (a
// token launched meanwhile gets its name); a publish always asks afresh (see ComposeExclusive).
const CREATORS_TTL_MS = 30_000;
let creators: { at: number; list: Promise<CreatorToken[]> } | null = null;

/** The creators, asked again at once whenever `unknown` (addresses the list does not name) changes. */
function useCreators(http: NodeHttp, unknown = ""): CreatorToken[] {
  const [list, setList] = useState<CreatorToken[]>([]);
  useEffect(() => {
    if (!creators || unknown !== "" || Date.now() - creators.at > CREATORS_TTL_MS) {
      const asked = { at: Date.now(), list: creatorTokens(http) };
      asked.list.catch(() => {
        if (creators === asked) creators = null; // the node was unreachable: ask again next time
      });
      creators = asked;
    }
    creators.list.then(setList, () => setList([]));
  }, [http, unknown]);
  return list;
}

/** The addresses typed in `draft` that `list` names neither as a creator nor as a token. */
function unknownAddresses(draft: GateDraft, list: CreatorToken[]): string {
  const known = new Set(list.flatMap((c) => [c.creator.toLowerCase(), c.token.toLowerCase()]));
  const typed = draft.rows.map((row) => row.token.trim().toLowerCase());
  return typed.filter((a) => /^0x[0-9a-f]{40}$/.test(a) && !known.has(a)).join(" ");
}

function namesOf(list: CreatorToken[]): Record<string, TokenName> {
  return Object.fromEntries(list.map((c) => [getAddress(c.token), { symbol: c.symbol }]));
}

type Status = { state: "idle" } | { state: "working"; what: string } | { state: "done"; text: string } | { state: "failed"; error: unknown };

function StatusLine({ status, gate }: { status: Status; gate?: string }) {
  if (status.state === "working") return <p role="status" class="pending">{status.what}</p>;
  if (status.state === "failed") {
    return (
      <p role="alert" class="error-note" data-reason={reasonOf(status.error)}>
        {explain(status.error, gate)}
      </p>
    );
  }
  return null;
}

// ------------------------------------------------------------------ encryption key set-up

/** Create (two signatures, to be sure the wallet re-creates it) and publish the account's
 * encryption key, which creators' nodes wrap key grants to. */
export function EncryptionKeySetup(props: { deps?: ExclusiveDeps | null }) {
  const deps = useDeps(props.deps);
  const [status, setStatus] = useState<Status>({ state: "idle" });
  async function setUp() {
    if (!deps) return;
    try {
      setStatus({ state: "working", what: "Sign the key message twice in your wallet…" });
      const key = await deriveCheckedKey(deps.address, deps.signText);
      keys.set(deps.address, Promise.resolve(key));
      setStatus({ state: "working", what: "Publishing your encryption key…" });
      await publishKey(key, async (type, body) => deps.submit(await deps.sign(type, body)));
      setStatus({ state: "done", text: key.publicHex });
    } catch (error) {
      setStatus({ state: "failed", error });
    }
  }
  return (
    <section class="encryption-key" aria-labelledby="encryption-key-title">
      <h2 id="encryption-key-title">Encryption key for exclusive posts</h2>
      <p>
        Creators' nodes send you the keys of exclusive posts you qualify for, encrypted to a key of yours. Your wallet
        creates it by signing a fixed message; any device with this wallet creates the same key again.
      </p>
      {deps === null ? (
        <p class="muted">Connect your wallet to create your encryption key.</p>
      ) : (
        <button type="button" onClick={setUp} disabled={status.state === "working"}>
          Create and publish my encryption key
        </button>
      )}
      <StatusLine status={status} />
      {status.state === "done" && (
        <p role="status" class="done">
          Published. Your encryption key is <code data-testid="encryption-key">{status.text}</code>
        </p>
      )}
    </section>
  );
}

// ------------------------------------------------------------------ gate editor

export type GateRow = { token: string; min: string };
export type GateDraft = { mode: "all" | "any"; rows: GateRow[] };

/** The token a gate row names: a token's address, or a creator's (their token, as the CLI's
 * `--gate CREATOR:MIN` takes it). */
function tokenOf(input: string, list: CreatorToken[]): string {
  const found = list.find((c) => c.creator.toLowerCase() === input.toLowerCase());
  return found ? found.token : input;
}

/** The gate a draft describes (whole tokens, 18 decimals); throws `invalid_gate` in words. */
export function gateFromDraft(draft: GateDraft, chainId: number, list: CreatorToken[] = []): Gate {
  const leaves = draft.rows.map((row, index) => {
    let min: bigint;
    try {
      min = parseUnits(row.min.trim() || "0", 18);
    } catch {
      throw new ExclusiveError("invalid_gate", `condition ${index + 1}: "${row.min}" is not an amount of tokens`);
    }
    try {
      return balance(chainId, tokenOf(row.token.trim(), list), min);
    } catch (error) {
      throw new ExclusiveError("invalid_gate", `condition ${index + 1}: ${(error as Error).message}`);
    }
  });
  if (leaves.length === 1) return leaves[0];
  return draft.mode === "all" ? all(leaves) : any(leaves);
}

/** At least N of a token, or several such conditions joined by AND / OR. */
export function GateEditor({
  draft,
  onChange,
  legend = "Who can read it",
}: {
  draft: GateDraft;
  onChange: (draft: GateDraft) => void;
  legend?: string;
}) {
  const setRow = (index: number, row: Partial<GateRow>) =>
    onChange({ ...draft, rows: draft.rows.map((old, i) => (i === index ? { ...old, ...row } : old)) });
  return (
    <fieldset class="gate-editor">
      <legend>{legend}</legend>
      {draft.rows.map((row, index) => (
        <div class="gate-row" key={index}>
          <label>
            Token or creator address
            <input
              name={`gate-token-${index}`}
              value={row.token}
              placeholder="0x…"
              spellcheck={false}
              onInput={(e) => setRow(index, { token: (e.target as HTMLInputElement).value })}
            />
          </label>
          <label>
            At least (tokens)
            <input
              name={`gate-min-${index}`}
              value={row.min}
              inputMode="decimal"
              onInput={(e) => setRow(index, { min: (e.target as HTMLInputElement).value })}
            />
          </label>
          {draft.rows.length > 1 && (
            <button type="button" onClick={() => onChange({ ...draft, rows: draft.rows.filter((_, i) => i !== index) })}>
              Remove condition {index + 1}
            </button>
          )}
        </div>
      ))}
      {draft.rows.length > 1 && (
        <label>
          Readers must meet
          <select name="gate-mode" value={draft.mode} onChange={(e) => onChange({ ...draft, mode: (e.target as HTMLSelectElement).value as "all" | "any" })}>
            <option value="all">all of these conditions</option>
            <option value="any">any one of these conditions</option>
          </select>
        </label>
      )}
      <button type="button" onClick={() => onChange({ ...draft, rows: [...draft.rows, { token: "", min: "1" }] })}>
        Add a condition
      </button>
    </fieldset>
  );
}

// ------------------------------------------------------------------ compose

const TOKEN_STORE = "mecenate.adminToken";

/** Compose an exclusive post; its key goes to the creator's own node (admin token). */
export function ComposeExclusive(props: { deps?: ExclusiveDeps | null }) {
  const deps = useDeps(props.deps);
  const [teaser, setTeaser] = useState("");
  const [body, setBody] = useState("");
  const [draft, setDraft] = useState<GateDraft>({ mode: "all", rows: [{ token: "", min: "1" }] });
  const [unknown, setUnknown] = useState("");
  const list = useCreators(deps?.http ?? APP_HTTP, unknown);
  useEffect(() => setUnknown(unknownAddresses(draft, list)), [draft, list]);
  const [adminToken, setAdminToken] = useState(() => sessionStorage.getItem(TOKEN_STORE) ?? "");
  const [status, setStatus] = useState<Status>({ state: "idle" });
  let preview = "";
  try {
    preview = deps ? describeGate(gateFromDraft(draft, deps.chainId, list), namesOf(list)) : "";
  } catch {
    preview = "";
  }

  async function publish(event: Event) {
    event.preventDefault();
    if (!deps) return;
    try {
      // The creators as the node knows them now: a creator's address must never be taken for a
      // token's because the list shown was older than their launch.
      const gate = gateFromDraft(draft, deps.chainId, await creatorTokens(deps.http));
      sessionStorage.setItem(TOKEN_STORE, adminToken);
      setStatus({ state: "working", what: "Encrypting, signing and handing the key to your node…" });
      const answer = await composeExclusive(
        deps.http,
        { author: deps.address, chainId: deps.chainId, body, teaser, gate, adminToken },
        deps.sign,
        deps.submit,
      );
      setStatus({ state: "done", text: answer.post });
    } catch (error) {
      setStatus({ state: "failed", error });
    }
  }

  return (
    <form class="compose-exclusive" onSubmit={publish} aria-labelledby="compose-exclusive-title">
      <h2 id="compose-exclusive-title">Exclusive post</h2>
      <label>
        Public teaser (everyone sees it)
        <textarea name="teaser" value={teaser} maxLength={1024} onInput={(e) => setTeaser((e.target as HTMLTextAreaElement).value)} />
      </label>
      <label>
        Exclusive text (encrypted in this browser)
        <textarea name="body" value={body} required onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
      </label>
      <GateEditor draft={draft} onChange={setDraft} />
      {preview && <p class="gate-preview">Readers need {preview}.</p>}
      <label>
        Your node's admin token
        <input
          name="admin-token"
          type="password"
          autoComplete="off"
          value={adminToken}
          onInput={(e) => setAdminToken((e.target as HTMLInputElement).value)}
        />
      </label>
      <p class="hint">The post's key goes only to your own node, which grants it to qualifying holders.</p>
      <button type="submit" class="primary" disabled={deps === null || status.state === "working"}>
        Publish exclusive post
      </button>
      {deps === null && <p class="muted">Connect your wallet to publish.</p>}
      <StatusLine status={status} />
      {status.state === "done" && (
        <p role="status" class="done">
          Published: <a href={`#/p/${status.text}`}>
            <code data-testid="exclusive-post-id">{status.text}</code>
          </a>
        </p>
      )}
    </form>
  );
}

// ------------------------------------------------------------------ read

/** Read with a grant when this node has one that opens, else unlock online. */
async function unlock(deps: ExclusiveDeps, post: WireMessage & { id: `0x${string}` }): Promise<string> {
  try {
    const text = await readWithGrant(deps.http, post, deps.address, () => derivedKey(deps));
    if (text !== null) return text;
  } catch (error) {
    // A grant to an older key (or the CLI's key): the node may still unlock online.
    if (!(error instanceof ExclusiveError)) throw error;
  }
  return unlockOnline(deps.http, post, deps.address, deps.signText, () => derivedKey(deps));
}

/** An exclusive post: locked with its gate in words, unlocked to its text. */
export function ExclusiveBody(props: { deps?: ExclusiveDeps | null; post: WireMessage & { id: `0x${string}` } }) {
  const { post } = props;
  const deps = useDeps(props.deps);
  const [status, setStatus] = useState<Status>({ state: "idle" });
  const list = useCreators(deps?.http ?? APP_HTTP);
  const { gate } = gatedParts(post);
  const words = describeGate(gate, namesOf(list));

  async function open() {
    if (!deps) return;
    try {
      setStatus({ state: "working", what: "Unlocking…" });
      setStatus({ state: "done", text: await unlock(deps, post) });
    } catch (error) {
      setStatus({ state: "failed", error });
    }
  }

  if (status.state === "done") {
    return (
      <div class="exclusive unlocked" data-testid="exclusive-text">
        {status.text}
      </div>
    );
  }
  return (
    <div class="exclusive locked" data-tokens={gateTokens(gate).join(" ")}>
      <p>
        Exclusive: for holders of {words}.
      </p>
      {deps === null ? (
        <p>Connect your wallet to unlock it.</p>
      ) : (
        <button type="button" onClick={open} disabled={status.state === "working"}>
          Unlock
        </button>
      )}
      <StatusLine status={status} gate={words} />
    </div>
  );
}
