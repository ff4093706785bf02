"""Web app benchmark: the first load and the feed's render in headless Chromium, 100,000 messages stored.

A real node process serves the built app (``scripts/build-web.sh``) and a store pre-filled with
100,000 signed messages (``_corpus``: 500 users following 30 each, posts with realistic text).
Chromium (Debian's, as in the browser tests) opens the app as one of those users, whose wallet
(the test wallet of ``tests/web``, already connected: no prompt) the app finds and restores.

* **First load**: the bytes transferred (compressed, headers excluded) for the app's own files
  (``index.html``, script, stylesheet) and for everything until the feed shows (its API calls
  too; the live stream, which never ends, aside). Target: <= 300 KB.
* **Time to first feed render**: from navigation start to the first post of the feed in the
  page, over ``--loads`` cold loads (a fresh browser context each: empty cache); p50 and p90.
  Target: p50 <= 500 ms on loopback.
* **A 50-post page**: in a warm page, from leaving another route to 50 posts rendered (two API
  calls and the render), next to ``/health``'s round trip from the same page, p50 each.

Prints the figures, then, as its last line, one JSON object. Run:

    .venv/bin/python benchmarks/web.py [--messages 100000] [--loads 20] [--out FILE]

``--corpus-cache DIR`` keeps the filled store in DIR and reuses it on the next run of that size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _corpus import CHAIN_ID, fill_store
from _report import emit, machine_info

from benchmarks._processes import node_env, running_node
from node.config import STORE_FILE

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WALLET_JS = ROOT / "tests" / "web" / "wallet.js"
#: Posts a feed page shows (web/src/pages/feed.tsx PAGE).
PAGE_POSTS = 50
#: Round trips of the warm measurements.
WARM_RUNS = 20

#: Set before the app runs: remember the test wallet (the app restores it without a prompt) and
#: note when the feed's first post, and its 50th, are in the page.
WATCH = """
localStorage.setItem("mecenate.wallet", "local.mecenate.testwallet");
new MutationObserver(() => {
  const n = document.querySelectorAll("#feed article.post").length;
  if (n > 0 && window.__firstPostAt === undefined) window.__firstPostAt = performance.now();
}).observe(document, { childList: true, subtree: true });
"""

#: In a warm page: leave the feed, come back, time until 50 posts are in it.
FEED_AGAIN = """
async (posts) => {
  location.hash = "#/settings";
  await new Promise((r) => { const t = () => document.querySelector("#feed") ? requestAnimationFrame(t) : r(); t(); });
  const start = performance.now();
  location.hash = "#/";
  await new Promise((r) => {
    const t = () => document.querySelectorAll("#feed article.post").length >= posts ? r() : requestAnimationFrame(t);
    t();
  });
  return performance.now() - start;
}
"""

HEALTH = """
async () => { const t = performance.now(); await (await fetch("/health", {cache: "no-store"})).json(); return performance.now() - t; }
"""


def _wallet(address: str) -> Any:
    """The test wallet's Python side, reduced to what the feed needs: an account, connected."""

    def handle(method: str, _params: str) -> dict[str, Any]:
        answers = {"eth_accounts": [address], "eth_requestAccounts": [address], "eth_chainId": hex(CHAIN_ID)}
        if method in answers:
            return {"result": answers[method]}
        return {"error": {"code": 4200, "message": f"{method}: not in this benchmark"}}

    return handle


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 1),
    }


def _context(browser: Any, address: str) -> Any:
    """A fresh browser context (empty cache) whose pages hold ``address``'s wallet, connected."""
    context = browser.new_context()
    context.expose_function("__mecenateWallet", _wallet(address))
    context.add_init_script(path=str(WALLET_JS))
    context.add_init_script(WATCH)
    return context


def cold_load(browser: Any, url: str, address: str) -> tuple[float, int, int]:
    """One load in a fresh context: (ms to the first feed post, app bytes, bytes until then)."""
    context = _context(browser, address)
    try:
        page = context.new_page()
        responses: list[Any] = []
        page.on("response", lambda r: responses.append(r))
        page.goto(url + "/#/")
        page.wait_for_selector("#feed article.post", timeout=30_000)
        first = page.evaluate("window.__firstPostAt")
        app_bytes = total = 0
        for r in responses:
            if "/v1/stream" in r.url:
                continue
            size = r.request.sizes()["responseBodySize"]
            total += size
            if r.url.rstrip("/") == url or "/assets/" in r.url:
                app_bytes += size
        return first, app_bytes, total
    finally:
        context.close()


def warm(browser: Any, url: str, address: str) -> tuple[list[float], list[float]]:
    """(ms to render a 50-post feed page, ms of /health's round trip), ``WARM_RUNS`` each."""
    context = _context(browser, address)
    try:
        page = context.new_page()
        page.goto(url + "/#/")
        page.locator("#feed article.post").nth(PAGE_POSTS - 1).wait_for()
        pages = [page.evaluate(FEED_AGAIN, PAGE_POSTS) for _ in range(WARM_RUNS)]
        health = [page.evaluate(HEALTH) for _ in range(WARM_RUNS)]
        return pages, health
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--corpus-cache", type=Path, help="keep filled stores in this folder and reuse them")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    subprocess.run([ROOT / "scripts" / "build-web.sh"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = node_env(Path(tmp), MECENATE_WEB__DIST_DIR=str(ROOT / "web" / "dist"))
        Path(env["MECENATE_DATA_DIR"]).mkdir(parents=True)
        t = time.perf_counter()
        users = fill_store(Path(env["MECENATE_DATA_DIR"]) / STORE_FILE, args.messages, args.corpus_cache)
        print(
            f"filled the store with {args.messages:,} messages in {time.perf_counter() - t:.1f}s", flush=True
        )
        address = users[0].address
        with running_node(env), sync_playwright() as p:
            url = env["MECENATE_NODE_URL"]
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            try:
                cold_load(browser, url, address)  # the node's and the browser's first time: not counted
                loads = [cold_load(browser, url, address) for _ in range(args.loads)]
                pages, health = warm(browser, url, address)
            finally:
                browser.close()

    first = _quantiles([ms for ms, _, _ in loads])
    summary = {
        "benchmark": "web",
        "messages_stored": args.messages,
        "cold_loads": args.loads,
        "first_load_app_bytes": loads[-1][1],
        "first_load_bytes_until_feed": loads[-1][2],
        "target_first_load_bytes": 300 * 1024,
        "first_feed_render_p50_ms": first["p50_ms"],
        "first_feed_render_p90_ms": first["p90_ms"],
        "target_first_feed_render_p50_ms": 500,
        "feed_page_50_posts_p50_ms": _quantiles(pages)["p50_ms"],
        "health_round_trip_p50_ms": _quantiles(health)["p50_ms"],
        "machine": machine_info(),
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "machine"}, indent=2))
    emit(summary, args.out)


if __name__ == "__main__":
    main()
