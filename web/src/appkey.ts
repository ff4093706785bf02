// The app key: a key this browser holds (localStorage, per user and chain) that the user's wallet
// delegates to once with SignerAdd, so follows, likes, replies and posts need no wallet prompt.
// It can sign only social messages (the node refuses it for SignerAdd/SignerRemove), never money.
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

type Stored = { key: `0x${string}`; label: string };

const slot = (user: string, chainId: number) => `mecenate.appkey.${chainId}.${user.toLowerCase()}`;

/** The app key this browser holds for `user`, or null. */
export function appKey(user: string, chainId: number): (PrivateKeyAccount & { label: string }) | null {
  const raw = localStorage.getItem(slot(user, chainId));
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Stored;
    return Object.assign(privateKeyToAccount(s.key), { label: s.label });
  } catch {
    return null;
  }
}

/** A new key for `user` (replacing any held), labelled with the app and the browser. */
export function newAppKey(user: string, chainId: number): PrivateKeyAccount & { label: string } {
  const stored: Stored = { key: generatePrivateKey(), label: appKeyLabel() };
  localStorage.setItem(slot(user, chainId), JSON.stringify(stored));
  return Object.assign(privateKeyToAccount(stored.key), { label: stored.label });
}

export function forgetAppKey(user: string, chainId: number): void {
  localStorage.removeItem(slot(user, chainId));
}

/** "Mecenate web, Chrome on Linux": what the settings page shows next to the key. */
export function appKeyLabel(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "a browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return `Mecenate web, ${browser}${os ? ` on ${os}` : ""}`.slice(0, 64);
}
