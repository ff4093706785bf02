// Launch your creator token (#/launch): one per creator, named and symbolled within the factory's
// byte limits, sent from your wallet; then links to your creator page and its trade page.
import { useState } from "preact/hooks";
import type { Address as Addr } from "viem";
import type { PageProps } from "../app";
import { launchToken, launchedToken } from "../chain/money";
import { tokenOf } from "../chain/reads";
import { deployment, payerOf } from "../chain/session";
import { useLoad } from "../hooks";
import { Address, ErrorNote, Loading } from "../ui";
import { TxStatus, useTx } from "../ui/tx";
import { useSession } from "../wallet";

/** The factory's limits, in bytes of UTF-8 (CreatorTokenFactory.MAX_NAME_BYTES / MAX_SYMBOL_BYTES). */
const MAX_NAME_BYTES = 31;
const MAX_SYMBOL_BYTES = 11;

const bytes = (s: string) => new TextEncoder().encode(s).length;

function problem(name: string, symbol: string): string | null {
  if (!name.trim() || bytes(name) > MAX_NAME_BYTES) return `The name must be 1 to ${MAX_NAME_BYTES} bytes long.`;
  if (!symbol.trim() || bytes(symbol) > MAX_SYMBOL_BYTES) return `The symbol must be 1 to ${MAX_SYMBOL_BYTES} bytes long.`;
  return null;
}

function Launched(p: { me: Addr; token: Addr }) {
  return (
    <p class="ok-note" id="launched">
      Your token is live at <Address value={p.token} />. See it on <a href={`#/u/${p.me}`}>your page</a> or{" "}
      <a href={`#/trade/${p.me}`}>trade it</a>.
    </p>
  );
}

export default function Launch(_: PageProps) {
  const session = useSession();
  const payer = session && payerOf(session);
  const [name, setName] = useState("");
  const [symbol, setSymbol] = useState("");
  const [launched, setLaunched] = useState<Addr | null>(null);
  const tx = useTx();
  const existing = useLoad(
    async () => (payer ? tokenOf(payer.public, payer.deployment, session!.address) : undefined),
    [payer?.public, session?.address],
  );
  const invalid = problem(name, symbol);

  const submit = async () => {
    if (!payer || invalid) return;
    const receipt = await tx.run(payer.public, () => launchToken(payer, name.trim(), symbol.trim()));
    if (receipt) setLaunched(launchedToken(receipt));
  };

  return (
    <section>
      <h1>Launch your token</h1>
      <p>
        Your fans buy and sell your token on a bonding curve: the price rises with every token bought. You receive a
        creator fee on every trade. One token per creator, and it cannot be renamed.
      </p>
      {!deployment() && <p class="muted">This node does not follow a chain, so no token can be launched here.</p>}
      {deployment() && !session && <p class="muted">Connect your wallet on this node's chain to launch your token.</p>}
      {existing.loading && existing.data === undefined && session && <Loading what="your token" />}
      {existing.error !== undefined && <ErrorNote error={existing.error} />}
      {session && (launched ?? existing.data) ? (
        <Launched me={session.address} token={(launched ?? existing.data)!} />
      ) : (
        payer &&
        existing.data === null && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <label for="launch-name">Name</label>
            <input id="launch-name" value={name} placeholder="Ada Lovelace" onInput={(e) => setName(e.currentTarget.value)} />
            <label for="launch-symbol">Symbol</label>
            <input id="launch-symbol" value={symbol} placeholder="ADA" onInput={(e) => setSymbol(e.currentTarget.value.toUpperCase())} />
            {(name || symbol) && invalid && <p class="error-note">{invalid}</p>}
            <p>
              <button type="submit" class="primary" disabled={!!invalid || tx.busy}>
                Launch
              </button>
            </p>
            <TxStatus tx={tx} done="Launched." />
          </form>
        )
      )}
    </section>
  );
}
