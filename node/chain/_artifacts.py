"""Contract artifacts: ABIs and bytecode from Ape's build manifest, addresses from a deployment.

Ape compiles into ``.build/__local__.json``, an EthPM v3 manifest whose ``contractTypes`` maps
each contract name to its ``abi`` and ``deploymentBytecode``. Ape records no local deployments,
so ``scripts/deploy.py`` writes ``config/deployments/<chainId>.json`` (format version 1; it
also records hashes and parameters, which the node does not need)::

    {"formatVersion": 1, "chainId": 31337, "startBlock": 1,
     "contracts": {"CreatorTokenFactory": {"address": "0x...", "block": 1, ...},
                   "TipJar": {"address": "0x...", "block": 2, ...},
                   "CollectiveFactory": {"address": "0x...", "block": 7, ...}}, ...}

``startBlock`` is where the indexer starts (default: the earliest contract ``block``, else 0).

Test-only contracts (in ``contracts/``, named ``Mock...`` or ``Test...``) are compiled into the
same manifest. :meth:`Artifacts.load` leaves them out unless asked (the contract tests and
fixtures ask), so the node can never take one, e.g. ``MockERC20`` which anyone can mint, for a
product contract; the deploy script refuses them too (:func:`is_test_contract`).

Nothing here talks to a chain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress

from ..errors import ConfigError, InvalidInput
from . import _inputs as inputs

FACTORY = "CreatorTokenFactory"
TIP_JAR = "TipJar"
TOKEN = "CreatorToken"
COLLECTIVE_FACTORY = "CollectiveFactory"
COLLECTIVE_SHARES = "CollectiveShares"
COLLECTIVE_GOVERNOR = "CollectiveGovernor"

#: The deployments-file format this module reads (``formatVersion`` in the file).
FORMAT_VERSION = 1

#: Name prefixes of the test-only contracts (fixtures) in ``contracts/``.
TEST_CONTRACT_PREFIXES = ("Mock", "Test")


def is_test_contract(name: str) -> bool:
    """Whether ``name`` is a test-only contract (a fixture), never to be deployed or used by the node."""
    return name.startswith(TEST_CONTRACT_PREFIXES)


class Artifacts:
    """The ABIs and bytecode of every contract in one Ape build manifest."""

    def __init__(self, contract_types: Mapping[str, Mapping[str, Any]]) -> None:
        self._types = dict(contract_types)

    @classmethod
    def load(cls, path: str | Path, *, test_contracts: bool = False) -> Artifacts:
        """Read an Ape build manifest, without the test-only contracts unless ``test_contracts``.
        Raises :class:`~node.errors.ConfigError` when the file is missing (run ``ape compile``)
        or is not a manifest with ``contractTypes``."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"build manifest {path} not found: run `ape compile`") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read build manifest {path}: {exc}") from exc
        types = doc.get("contractTypes") if isinstance(doc, dict) else None
        if not isinstance(types, dict):
            raise ConfigError(f"build manifest {path} has no contractTypes")
        return cls({name: t for name, t in types.items() if test_contracts or not is_test_contract(name)})

    def abi(self, name: str) -> list[dict[str, Any]]:
        """The ABI of contract ``name``; raises :class:`~node.errors.ConfigError` if absent."""
        return list(self._get(name).get("abi") or [])

    def bytecode(self, name: str) -> str:
        """The deployment (creation) bytecode of contract ``name``, ``0x``-prefixed."""
        code = (self._get(name).get("deploymentBytecode") or {}).get("bytecode")
        if not code:
            raise ConfigError(f"contract {name} has no deployment bytecode in the build manifest")
        return code

    def errors(self) -> list[dict[str, Any]]:
        """Every custom-error ABI entry of every contract (duplicates included)."""
        return [e for t in self._types.values() for e in t.get("abi") or [] if e.get("type") == "error"]

    def _get(self, name: str) -> Mapping[str, Any]:
        try:
            return self._types[name]
        except KeyError:
            if is_test_contract(name):
                raise ConfigError(f"contract {name} is test-only: the node does not load it") from None
            raise ConfigError(f"contract {name} is not in the build manifest (stale build?)") from None


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where the contracts live on one chain, and the first block worth indexing.

    ``collectives`` is the collective factory's address, ``None`` in a deployment made before
    collectives existed (the node then follows none)."""

    chain_id: int
    factory: ChecksumAddress
    tip_jar: ChecksumAddress
    start_block: int = 0
    collectives: ChecksumAddress | None = None

    @classmethod
    def load(cls, deployments_dir: str | Path, chain_id: int) -> Deployment:
        """Read ``<deployments_dir>/<chain_id>.json``. Raises :class:`~node.errors.ConfigError`
        when it is missing (run the deploy script) or lacks a contract's address."""
        path = Path(deployments_dir) / f"{chain_id}.json"
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(
                f"no deployment for chain {chain_id}: {path} not found (run `ape run deploy`)"
            ) from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read deployment {path}: {exc}") from exc
        return cls.from_json(doc, chain_id=chain_id, source=str(path))

    @classmethod
    def from_json(cls, doc: Any, *, chain_id: int, source: str = "deployment") -> Deployment:
        """Parse a deployment document (see the module docstring)."""
        if not isinstance(doc, dict):
            raise ConfigError(f"{source}: not a JSON object")
        if doc.get("formatVersion", FORMAT_VERSION) != FORMAT_VERSION:
            raise ConfigError(
                f"{source}: format version {doc['formatVersion']}, this node reads {FORMAT_VERSION}"
            )
        declared = _integer(doc.get("chainId", doc.get("chain_id", chain_id)), "chainId", source)
        if declared != chain_id:
            raise ConfigError(f"{source}: deployed on chain {declared}, not {chain_id}")
        contracts = doc.get("contracts", doc)
        factory, factory_block = _entry(contracts, FACTORY, source)
        tip_jar, tip_jar_block = _entry(contracts, TIP_JAR, source)
        collectives = None
        if isinstance(contracts, dict) and contracts.get(COLLECTIVE_FACTORY) is not None:
            collectives, _ = _entry(contracts, COLLECTIVE_FACTORY, source)
        blocks = [b for b in (factory_block, tip_jar_block) if b is not None]
        start = doc.get("startBlock", doc.get("block", min(blocks) if blocks else 0))
        return cls(chain_id, factory, tip_jar, _integer(start, "startBlock", source), collectives)

    def to_json(self) -> dict[str, Any]:
        """The document :meth:`from_json` reads (tests use it to write a deployment)."""
        contracts = {
            FACTORY: {"address": self.factory, "block": self.start_block},
            TIP_JAR: {"address": self.tip_jar, "block": self.start_block},
        }
        if self.collectives is not None:
            contracts[COLLECTIVE_FACTORY] = {"address": self.collectives, "block": self.start_block}
        return {
            "formatVersion": FORMAT_VERSION,
            "chainId": self.chain_id,
            "startBlock": self.start_block,
            "contracts": contracts,
        }


def _integer(value: object, title: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{source}: {title} must be an integer, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{source}: {title} must be an integer, not {value!r}") from None


def _entry(contracts: Any, name: str, source: str) -> tuple[ChecksumAddress, int | None]:
    entry = contracts.get(name) if isinstance(contracts, dict) else None
    if isinstance(entry, dict):
        address = entry.get("address")
        block = entry.get("block", entry.get("blockNumber", entry.get("deployBlock")))
    else:
        address, block = entry, None
    try:
        checksummed = inputs.address(address, name)
    except InvalidInput as exc:
        raise ConfigError(f"{source}: no valid address for {name} ({exc})") from None
    return checksummed, None if block is None else _integer(block, f"{name} block", source)
