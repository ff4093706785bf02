// Settings: the wallet, this browser's app key (add it with one wallet prompt, see and revoke
// every app key of the account), and an export of your signed messages as JSON Lines.
import { useState } from "preact/hooks";
import type { PageProps } from "../app";
import { getJson } from "../api";
import { appKey, forgetAppKey, newAppKey } from "../appkey";
import { useAction, useLoad } from "../hooks";
import { signAndSubmit } from "../messages";
import { Address, Empty, ErrorNote, Loading, type MessagePage } from "../ui";
import { useSession, type Session } from "../wallet";
import { EncryptionKeySetup } from "./exclusive";

/** Every message of yours the node holds, signed by your wallet or any of your app keys, in
 * the node's export order (app keys' SignerAdd first): one JSON object a line, which
 * `mecenate import` or another node's `POST /v1/messages/batch` takes whole. */
async function exportLines(address: string): Promise<string> {
  const lines: string[] = [];
  let cursor: string | null = null;
  do {
    const page: MessagePage = await getJson(`/v1/users/${address}/messages?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    for (const m of page.items)
      lines.push(JSON.stringify({ type: m.type, chainId: m.chainId, message: m.message, signature: m.signature }) + "\n");
    cursor = page.next_cursor;
  } while (cursor);
  return lines.join("");
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/jsonl" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function AppKeys({ session }: { session: Session }) {
  const { address, chainId } = session;
  const [, setTick] = useState(0);
  const [confirming, setConfirming] = useState<string | null>(null);
  const mine = appKey(address, chainId);
  const signers = useLoad(() => getJson<string[]>(`/v1/users/${address}/signers`), [address]);
  const add = useAction(async () => {
    const key = newAppKey(address, chainId);
    try {
      await signAndSubmit("SignerAdd", { signer: key.address, label: key.label }, { withWallet: true });
    } catch (e) {
      forgetAppKey(address, chainId);
      throw e;
    }
    signers.reload();
  });
  const revoke = useAction(async (signer: string) => {
    await signAndSubmit("SignerRemove", { signer }, { withWallet: true });
    if (mine && signer.toLowerCase() === mine.address.toLowerCase()) forgetAppKey(address, chainId);
    setConfirming(null);
    setTick((t) => t + 1);
    signers.reload();
  });
  const held = mine && signers.data?.some((s) => s.toLowerCase() === mine.address.toLowerCase());
  return (
    <>
      <h2>App keys</h2>
      <p>
        An app key lives in this browser and signs your likes, follows, replies and posts without a wallet prompt.
        It cannot move money: tips, buys and sells always go through your wallet. Adding or removing one takes
        one wallet signature.
      </p>
      {held ? (
        <p class="ok-note" id="app-key-status">
          This browser holds app key <Address value={mine.address} /> ({mine.label}).
        </p>
      ) : (
        <p class="row">
          <button type="button" class="primary" disabled={add.running} onClick={() => void add.run()}>
            {add.running ? "Check your wallet…" : "Add an app key for this browser"}
          </button>
        </p>
      )}
      {add.error !== undefined && <ErrorNote error={add.error} />}
      <h3>Your account's app keys</h3>
      <p class="muted">
        Revoking a key is for good, and every node then drops what it signed: the posts, replies, likes and
        follows made with it. Export your messages first if you want a copy.
      </p>
      {signers.loading && <Loading what="app keys" />}
      {signers.error !== undefined && <ErrorNote error={signers.error} />}
      {signers.data && signers.data.length === 0 && <Empty>No app keys.</Empty>}
      <ul class="plain" id="signers">
        {signers.data?.map((s) => (
          <li key={s}>
            <Address value={s} />
            <span class="muted">
              {mine && s.toLowerCase() === mine.address.toLowerCase() ? mine.label + " (this browser)" : "another app or browser"}
            </span>
            {confirming === s ? (
              <>
                <button type="button" class="danger" disabled={revoke.running} onClick={() => void revoke.run(s)}>
                  Revoke for good
                </button>
                <button type="button" onClick={() => setConfirming(null)}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="button" onClick={() => setConfirming(s)} aria-label={`Revoke app key ${s}`}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      {revoke.error !== undefined && <ErrorNote error={revoke.error} />}
    </>
  );
}

export default function Settings(_: PageProps) {
  const session = useSession();
  const exporting = useAction(async (address: string) => {
    download(`mecenate-${address}.jsonl`, await exportLines(address));
  });
  if (!session)
    return (
      <section>
        <h1>Settings</h1>
        <p>Connect your wallet to manage app keys and export your messages.</p>
      </section>
    );
  return (
    <section>
      <h1>Settings</h1>
      <p>
        Signed in as <Address value={session.address} link /> on chain {session.chainId}.
      </p>
      <AppKeys session={session} />
      <EncryptionKeySetup />
      <h2>Your data</h2>
      <p>
        Every message this node holds that you signed, with your wallet or an app key, one JSON object a line, as
        the node and every peer accept them.
      </p>
      <button type="button" disabled={exporting.running} onClick={() => void exporting.run(session.address)}>
        Export my messages (JSON Lines)
      </button>
      {exporting.error !== undefined && <ErrorNote error={exporting.error} />}
    </section>
  );
}
