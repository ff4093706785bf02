"""What the demo's stories share: anvil's public dev keys (so only on a development chain), the
node and chain they talk to, a bounded wait for the node's chain index, and the creator's token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from rich.console import Console

from ..chain import ChainClient
from ..config import Settings
from ..errors import ChainError, ConfigError
from ..identity import Key, import_key
from ..messages import SignedMessage
from ._session import NodeClient, settings
from .money import chain

out = Console()
DEV_MNEMONIC = "test test test test test test test test test test test junk"  # anvil's default
DEV_CHAIN_IDS = {31337, 1337}


@dataclass(frozen=True)
class DevChain:
    """A story's stage: the settings, the node's API and the chain (a development one)."""

    settings: Settings
    api: NodeClient
    chain: ChainClient
    node: str | None  # the --node the user gave, for the commands a story runs in-process
    timeout: float  # the longest wait for the node's chain index

    @classmethod
    def connect(cls, node: str | None, timeout: float) -> DevChain:
        """The stage, once the node answers; refused unless the chain is a development one."""
        s = settings()
        if s.chain_id not in DEV_CHAIN_IDS:
            raise ConfigError(
                f"demo uses public dev keys: only for chains {sorted(DEV_CHAIN_IDS)}, not {s.chain_id}"
            )
        api = NodeClient.of(s, node)
        api.get("/health")
        return cls(s, api, chain(s), node, timeout)

    def sign(self, key: Key, type_: str, fields: dict[str, Any]) -> SignedMessage:
        """A message of ``type_`` signed by ``key`` for this chain."""
        return key.sign(type_, fields, chain_id=self.settings.chain_id)

    def wait_until(self, check: Callable[[], object], what: str) -> None:
        """Poll ``check`` until it holds, at most ``timeout`` seconds (then ChainError naming ``what``)."""
        deadline = time.monotonic() + self.timeout
        while not check():
            if time.monotonic() > deadline:
                raise ChainError(f"timed out after {self.timeout:.0f}s waiting for {what}")
            time.sleep(0.5)

    def creator_token(self, creator: Key) -> str:
        """``creator``'s token, ADA, launched first if it is not yet."""
        token = self.chain.token_of(creator.address)
        if token is None:
            token = self.chain.launch_token(creator, "Ada Lovelace", "ADA").token
            out.print(f"launched ADA at {token}")
        else:
            out.print(f"ADA already launched at {token}")
        return token


def dev_keys(n: int) -> list[Key]:
    """Anvil's first ``n`` funded dev accounts' keys."""
    Account.enable_unaudited_hdwallet_features()
    return [
        import_key(bytes(Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key))
        for i in range(n)
    ]
