// Whether the node answers: /health polled every few seconds (more often while it is down, not at
// all while the tab is hidden), and any failed call to the node marks it down at once. The banner
// in app.tsx shows while it is down and clears when it answers again.
import { useEffect, useState } from "preact/hooks";

const POLL_UP_MS = 5000;
const POLL_DOWN_MS = 2000;
let up = true;
const listeners = new Set<(up: boolean) => void>();

function set(value: boolean): void {
  if (value === up) return;
  up = value;
  for (const l of listeners) l(up);
}

export function markNodeDown(): void {
  set(false);
}

async function check(): Promise<void> {
  try {
    const r = await fetch("/health", { cache: "no-store" });
    set(r.ok);
  } catch {
    set(false);
  }
}

let polling = false;
function poll(): void {
  if (polling) return;
  polling = true;
  const tick = async () => {
    if (!document.hidden) await check();
    setTimeout(tick, up ? POLL_UP_MS : POLL_DOWN_MS);
  };
  setTimeout(tick, POLL_UP_MS);
}

/** Preact hook: true while the node answers /health. */
export function useNodeUp(): boolean {
  const [value, setValue] = useState(up);
  useEffect(() => {
    poll();
    listeners.add(setValue);
    setValue(up);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}
