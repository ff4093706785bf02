// A bare page that mounts the exclusive-content components (web/src/pages/exclusive.tsx) with
// the node's HTTP API and a test wallet, for tests/web/test_exclusive_pages.py. The wallet is two
// functions the test exposes from Python (eth-account signs; the page never holds a key):
// window.walletPersonalSign(address, text) and window.walletSignMessage(address, type, body, withWallet).
// Routes: #key, #compose, #post/<id>.
import { render } from "preact";
import { ComposeExclusive, EncryptionKeySetup, ExclusiveBody, type ExclusiveDeps } from "../../../web/src/pages/exclusive";
import type { NodeHttp, WireMessage } from "../../../web/src/exclusive";

declare global {
  interface Window {
    walletAddress: () => Promise<`0x${string}`>;
    walletPersonalSign: (address: string, text: string) => Promise<`0x${string}`>;
    walletSignMessage: (address: string, type: string, body: unknown, withWallet: boolean) => Promise<WireMessage>;
  }
}

async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.detail), { status: response.status, reason: data.reason, detail: data.detail });
  return data as T;
}

const http: NodeHttp = {
  get: (path, headers) => call("GET", path, undefined, headers),
  post: (path, body, headers) => call("POST", path, body, headers),
};

async function main() {
  const address = await window.walletAddress();
  const { chain_id: chainId } = await http.get<{ chain_id: number }>("/health");
  const deps: ExclusiveDeps = {
    http,
    address,
    chainId,
    signText: (text) => window.walletPersonalSign(address, text),
    sign: (type, body, opts) => window.walletSignMessage(address, type, body, opts?.withWallet ?? false),
    submit: (message) => http.post("/v1/messages", message),
  };
  const [route, arg] = location.hash.slice(1).split("/");
  const root = document.getElementById("app")!;
  if (route === "key") render(<EncryptionKeySetup deps={deps} />, root);
  if (route === "compose") render(<ComposeExclusive deps={deps} />, root);
  if (route === "post") {
    const { post } = await http.get<{ post: WireMessage & { id: `0x${string}` } }>(`/v1/posts/${arg}`);
    render(<ExclusiveBody deps={deps} post={post} />, root);
  }
}

main();
