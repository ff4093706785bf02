"""The browser tests' harness: anvil with the contracts, a real node process serving the built
web app, headless Chromium (Debian's, driven by Playwright), and an injected test wallet.

* ``devnet`` (session): anvil on a free port, the factory and tip jar deployed
  (``benchmarks._devnet``), mining a block a second so the node's chain index confirms.
* ``node`` (session): ``mecenate node run`` on free ports against that chain, serving
  ``web/dist`` (built first by ``scripts/build-web.sh``); ``stop()`` and ``start()`` it to take it
  away and bring it back on the same address.
* ``browser`` (session): Chromium from ``$MECENATE_CHROMIUM`` (default ``/usr/bin/chromium``);
  when it is missing every browser test is skipped, saying so (``scripts/test.sh`` installs it).
* ``app`` (per test): a fresh browser context whose pages carry ``wallet.js``, an EIP-1193
  wallet announced by EIP-6963 that defers to a :class:`TestWallet` here: it signs with a dev
  key (eth-account), sends transactions to anvil, and has switches to reject the next prompt
  (``reject_next``) and to sit on another chain (``chain_id``). It counts the prompts a real
  wallet would show (``prompts``). ``app.shot(name)`` saves a screenshot into the run's
  temporary directory (``screenshots/``); ``app.axe()`` runs axe-core (injected
  into every page) on the page.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from benchmarks._devnet import ROOT, dev_accounts, mecenate_devnet
from benchmarks._processes import node_env, running_node

CHROMIUM = Path(os.environ.get("MECENATE_CHROMIUM", "/usr/bin/chromium"))
WALLET_JS = Path(__file__).with_name("wallet.js")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: Milliseconds a browser test waits for anything it expects to appear.
WAIT_MS = 15_000
#: The chain the test wallet starts on when told to be elsewhere (Ethereum mainnet's id).
OTHER_CHAIN = 1
#: Wallet methods a real wallet asks its user about.
PROMPTING = frozenset(
    {
        "eth_requestAccounts",
        "eth_signTypedData_v4",
        "personal_sign",
        "eth_sendTransaction",
        "wallet_switchEthereumChain",
        "wallet_addEthereumChain",
    }
)
USER_REJECTED = {"code": 4001, "message": "User rejected the request."}


@dataclass
class Devnet:
    rpc_url: str
    deployments: Path
    #: Anvil's funded dev accounts; 0 owns the factory, 1 takes the protocol fee.
    accounts: list[LocalAccount]


@pytest.fixture(scope="session")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    directory = tmp_path_factory.mktemp("deployments")
    with mecenate_devnet(directory) as (url, _artifacts, _keys):
        Web3(HTTPProvider(url)).provider.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]
        yield Devnet(url, directory, dev_accounts(10))


@pytest.fixture(scope="session")
def web_dist() -> Path:
    done = subprocess.run([ROOT / "scripts" / "build-web.sh"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return ROOT / "web" / "dist"


class NodeProcess:
    """A node process that a test may stop and start again on the same address."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.url = env["MECENATE_NODE_URL"]
        self._running: contextlib.ExitStack | None = None

    def start(self) -> None:
        if self._running is None:
            stack = contextlib.ExitStack()
            stack.enter_context(running_node(self.env))
            self._running = stack

    def stop(self) -> None:
        if self._running is not None:
            self._running.close()
            self._running = None


@pytest.fixture(scope="session")
def node(devnet: Devnet, web_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    env = node_env(
        tmp_path_factory.mktemp("node"),
        MECENATE_CHAIN__RPC_URL=devnet.rpc_url,
        MECENATE_CHAIN__DEPLOYMENTS_DIR=str(devnet.deployments),
        MECENATE_CHAIN__CONFIRMATIONS="1",
        MECENATE_CHAIN__POLL_INTERVAL_SECONDS="0.3",
        MECENATE_WEB__DIST_DIR=str(web_dist),
    )
    process = NodeProcess(env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def _node_back_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that stops the session's node leaves it running for the next one."""
    yield
    if "node" in request.fixturenames:
        request.getfixturevalue("node").start()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: the browser tests need it "
            "(./scripts/test.sh installs it with apt-get as root; or set MECENATE_CHROMIUM)"
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class TestWallet:
    """The Python side of wallet.js: one account, one chain, switches for the tests."""

    account: LocalAccount
    rpc_url: str
    chain_id: int
    #: The chains the wallet knows (it must be told of others with wallet_addEthereumChain).
    known_chains: set[int] = field(default_factory=set)
    #: Reject the next prompt (as a user clicking "Reject" would), then go back to approving.
    reject_next: bool = False
    #: Whether the site is connected (eth_accounts answers the account only then).
    connected: bool = False
    #: Every prompt a real wallet would have shown, by method, in order.
    prompts: list[str] = field(default_factory=list)

    __test__ = False  # not a test class, despite its name

    @property
    def address(self) -> str:
        return self.account.address

    def handle(self, method: str, params_json: str) -> dict[str, Any]:
        params = json.loads(params_json)
        if method in PROMPTING:
            self.prompts.append(method)
            if self.reject_next:
                self.reject_next = False
                return {"error": USER_REJECTED}
        try:
            return self._answer(method, params)
        except Exception as exc:  # the page sees a wallet error, the test its message
            return {"error": {"code": -32603, "message": f"test wallet: {exc}"}}

    def _answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method == "eth_requestAccounts":
            self.connected = True
            return {"result": [self.address]}
        if method == "eth_accounts":
            return {"result": [self.address] if self.connected else []}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known_chains:
                return {"error": {"code": 4902, "message": "Unrecognized chain ID."}}
            return self._switch(wanted)
        if method == "wallet_addEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            self.known_chains.add(wanted)
            return self._switch(wanted)
        if method == "eth_signTypedData_v4":
            data = params[1] if isinstance(params[1], dict) else json.loads(params[1])
            return {"result": self.account.sign_typed_data(full_message=data).signature.to_0x_hex()}
        if method == "personal_sign":
            signed = self.account.sign_message(encode_defunct(hexstr=params[0]))
            return {"result": signed.signature.to_0x_hex()}
        if method == "eth_sendTransaction":
            return {"result": self._send(params[0])}
        return self._forward(method, params)

    def _switch(self, chain_id: int) -> dict[str, Any]:
        self.chain_id = chain_id
        return {"result": None, "events": [["chainChanged", hex(chain_id)]]}

    def _forward(self, method: str, params: list[Any]) -> dict[str, Any]:
        """A read: anvil answers it."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer = httpx.post(self.rpc_url, json=body, timeout=30).json()
        return {"error": answer["error"]} if "error" in answer else {"result": answer["result"]}

    def _send(self, tx: dict[str, Any]) -> str:
        w3 = Web3(HTTPProvider(self.rpc_url))
        full: dict[str, Any] = {
            "from": self.address,
            "to": tx.get("to"),
            "data": tx.get("data") or tx.get("input") or "0x",
            "value": int(tx.get("value") or "0x0", 16),
            "chainId": self.chain_id,
            "nonce": w3.eth.get_transaction_count(self.address, "pending"),
        }
        full["gas"] = int(tx["gas"], 16) if tx.get("gas") else w3.eth.estimate_gas(full) * 12 // 10
        full["maxPriorityFeePerGas"] = 10**9
        full["maxFeePerGas"] = 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 10**9
        full.pop("from")
        if full["to"] is None:
            full.pop("to")
        raw = self.account.sign_transaction(full).raw_transaction
        return w3.eth.send_raw_transaction(raw).to_0x_hex()


class App:
    """One test's browser context: a page on the node's web app with the test wallet in it."""

    def __init__(self, context: Any, node: NodeProcess, wallet: TestWallet, shots: Path) -> None:
        self.context = context
        self.node = node
        self.wallet = wallet
        self.shots = shots
        context.expose_function("__mecenateWallet", wallet.handle)
        context.add_init_script(path=str(WALLET_JS))
        # axe-core, ready in every page: an init script is outside the page's CSP, a script tag is not.
        context.add_init_script(path=str(AXE_JS))
        self.page = context.new_page()
        self.page.set_default_timeout(WAIT_MS)

    def goto(self, route: str = "/") -> Any:
        """Open ``#<route>`` of the app; a fresh load the first time, a hash change after. The
        page is brought to the front first: with another test's page still open in the browser,
        keyboard focus would be inactive in this one."""
        self.page.bring_to_front()
        if self.page.url.startswith(self.node.url):
            self.page.evaluate("r => { location.hash = r }", route)
        else:
            self.page.goto(f"{self.node.url}/#{route}")
        return self.page

    def connect(self) -> None:
        """Connect the test wallet, as a user clicking "Connect wallet" would."""
        self.page.get_by_role("button", name="Connect wallet").click()
        self.page.get_by_role("button", name="Disconnect").wait_for()

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]],
            }
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots", numbered=False)


@pytest.fixture
def open_app(
    browser: Any, node: NodeProcess, devnet: Devnet, screenshots: Path
) -> Iterator[Callable[..., App]]:
    """Opens a fresh context (a user of their own) each call: ``open_app()`` has a wallet with a
    new key and no funds, ``open_app(devnet.accounts[2])`` one of anvil's funded accounts;
    ``width`` sets the viewport's. All are closed after the test."""
    chain_id = Web3(HTTPProvider(devnet.rpc_url)).eth.chain_id
    contexts: list[Any] = []

    def open_one(account: LocalAccount | None = None, *, width: int = 1024) -> App:
        wallet = TestWallet(
            account or Account.create(), devnet.rpc_url, chain_id, known_chains={chain_id, OTHER_CHAIN}
        )
        context = browser.new_context(viewport={"width": width, "height": 800})
        contexts.append(context)
        return App(context, node, wallet, screenshots)

    try:
        yield open_one
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def app(open_app: Callable[..., App]) -> App:
    """One user's fresh context: a wallet with a new key (no funds) on the node's chain."""
    return open_app()
