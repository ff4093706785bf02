// The app's frame: a hash router over a table of routes, the header (navigation, wallet), and the
// banners (node or chain unreachable, wrong chain, a wallet prompt's failure). A page module default-exports
// a component taking { params }.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { config } from "./config";
import { useChainUp, useNodeUp } from "./health";
import Communities from "./pages/communities";
import Community from "./pages/community";
import Compose from "./pages/compose";
import Discover from "./pages/discover";
import Feed from "./pages/feed";
import Launch from "./pages/launch";
import Search from "./pages/search";
import Settings from "./pages/settings";
import Thread from "./pages/thread";
import Trade from "./pages/trade";
import User from "./pages/user";
import { Address } from "./ui";
import { connect, disconnect, dismissWalletError, switchToNodeChain, useWallet } from "./wallet";

export type PageProps = { params: Record<string, string> };

/** The routes: a pattern of "#/..." with :named parts, and its page. First match wins. */
export const ROUTES: [string, ComponentType<PageProps>][] = [
  ["/", Feed],
  ["/u/:address", User],
  ["/p/:id", Thread],
  ["/compose", Compose],
  ["/settings", Settings],
  ["/trade/:address", Trade],
  ["/launch", Launch],
  ["/communities", Communities],
  ["/communities/:topic", Communities],
  ["/c/:id", Community],
  ["/discover", Discover],
  ["/search", Search],
  ["/search/:kind", Search],
  ["/search/:kind/:q", Search],
];

export function match(path: string): [ComponentType<PageProps>, Record<string, string>] | null {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i])))
      return [page, params];
  }
  return null;
}

function useHashPath(): string {
  const read = () => location.hash.replace(/^#/, "").split("?")[0] || "/";
  const [path, setPath] = useState(read);
  useEffect(() => {
    const on = () => setPath(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return path;
}

function WalletButton() {
  const w = useWallet();
  const [choosing, setChoosing] = useState(false);
  if (w.address)
    return (
      <div class="wallet">
        <Address value={w.address} />
        <button type="button" onClick={disconnect}>
          Disconnect
        </button>
      </div>
    );
  if (choosing && w.providers.length > 1)
    return (
      <div class="wallet" role="group" aria-label="Choose a wallet">
        {w.providers.map((p) => (
          <button
            type="button"
            key={p.info.uuid}
            onClick={() => {
              setChoosing(false);
              void connect(p);
            }}
          >
            {p.info.icon && <img src={p.info.icon} alt="" width={16} height={16} />} {p.info.name}
          </button>
        ))}
      </div>
    );
  return (
    <div class="wallet">
      <button
        type="button"
        class="primary"
        disabled={w.busy}
        aria-busy={w.busy}
        onClick={() => (w.providers.length > 1 ? setChoosing(true) : void connect())}
      >
        {w.busy ? "Check your wallet…" : "Connect wallet"}
      </button>
    </div>
  );
}

function Banners() {
  const up = useNodeUp();
  const chainUp = useChainUp();
  const w = useWallet();
  const wrongChain = w.address !== null && w.chainId !== null && w.chainId !== config().chain_id;
  return (
    <div class="banners">
      {!up && (
        <div class="banner danger" role="alert" id="node-down">
          The node cannot be reached. Retrying every few seconds; what you see may be out of date.
        </div>
      )}
      {up && !chainUp && (
        <div class="banner danger" role="alert" id="chain-down">
          The chain cannot be reached. Prices, trades and tips wait until it answers; balances shown
          may be out of date.
        </div>
      )}
      {wrongChain && (
        <div class="banner warn" role="alert" id="wrong-chain">
          Your wallet is on chain {w.chainId}; this node works on chain {config().chain_id}.{" "}
          <button type="button" onClick={() => void switchToNodeChain()} disabled={w.busy}>
            Switch network
          </button>
        </div>
      )}
      {w.error && (
        <div class="banner warn" role="alert" id="wallet-error">
          {w.error}{" "}
          <button type="button" onClick={dismissWalletError} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
    </div>
  );
}

/** Whether the nav's `href` names the page at `path`: the feed exactly, any other by its first part
 * (#/search/posts/jazz is Search). */
function current(path: string, href: string): boolean {
  const first = (p: string) => p.split("/").filter(Boolean)[0] ?? "";
  return href === "#/" ? path === "/" : first(path) === first(href.slice(1));
}

export function App() {
  const path = useHashPath();
  const found = match(path);
  useEffect(() => {
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);
  const nav: [string, string][] = [
    ["#/", "Feed"],
    ["#/communities", "Communities"],
    ["#/discover", "Discover"],
    ["#/search", "Search"],
    ["#/compose", "Compose"],
    ["#/settings", "Settings"],
  ];
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Mecenate
        </a>
        <nav aria-label="Main">
          {nav.map(([href, label]) => (
            <a key={href} href={href} aria-current={current(path, href) ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <WalletButton />
      </header>
      <Banners />
      <main id="main" tabIndex={-1}>
        {found ? (
          (() => {
            const [Page, params] = found;
            return <Page params={params} />;
          })()
        ) : (
          <section>
            <h1>Not found</h1>
            <p>
              Nothing at this address. <a href="#/">Back to the feed</a>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}
