// Whether the node and the chain answer: each polled every few seconds (more often while it is
// down, not at all while the tab is hidden); any failed call to the node marks it down at once.
// The banners in app.tsx show while either is down and clear when it answers again.
import { useEffect, useState } from "preact/hooks";
import { deployment, readerOf } from "./chain/session";
import { currentSession } from "./wallet";

const POLL_UP_MS = 5000;
const POLL_DOWN_MS = 2000;

/** One thing the app polls: its state, who listens, and how to ask it. */
class Watch {
  up = true;
  private readonly listeners = new Set<(up: boolean) => void>();
  private polling = false;

  constructor(private readonly answers: () => Promise<boolean>) {}

  set(value: boolean): void {
    if (value === this.up) return;
    this.up = value;
    for (const l of this.listeners) l(value);
  }

  /** Preact hook: true while it answers. */
  use(): boolean {
    const [value, setValue] = useState(this.up);
    useEffect(() => {
      this.poll();
      this.listeners.add(setValue);
      setValue(this.up);
      return () => void this.listeners.delete(setValue);
    }, []);
    return value;
  }

  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    const tick = async () => {
      if (!document.hidden) this.set(await this.answers().catch(() => false));
      setTimeout(tick, this.up ? POLL_UP_MS : POLL_DOWN_MS);
    };
    setTimeout(tick, POLL_UP_MS);
  }
}

const node = new Watch(async () => (await fetch("/health", { cache: "no-store" })).ok);

/** The chain as the app reads it (the wallet's connection, else the node's public RPC URL);
 * a node without a chain, or no way to read it, is not a chain that is down. */
const chain = new Watch(async () => {
  const reader = readerOf(currentSession());
  if (!reader || !deployment()) return true;
  await reader.getBlockNumber({ cacheTime: 0 });
  return true;
});

export function markNodeDown(): void {
  node.set(false);
}

/** Preact hook: true while the node answers /health. */
export function useNodeUp(): boolean {
  return node.use();
}

/** Preact hook: true while the chain answers (or the app has no chain to read). */
export function useChainUp(): boolean {
  return chain.use();
}
