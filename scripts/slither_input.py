"""Write the solc standard-JSON input that Slither analyses (see scripts/slither.sh).

Slither cannot compile this project by itself: our solc is solc-js behind a shim that speaks only
`--standard-json`, and Ape's import remappings name Ape's own dependency cache. So this builds the
standard-JSON input at run time, never a committed copy that could drift:

- the sources are the contracts `scripts/deploy.py` deploys (its `CONTRACTS`), by `urls`; solc
  follows their imports, so every product contract they use (CreatorToken, EthPush) is analysed
  and test-only contracts, which nothing deployed imports, are not;
- OpenZeppelin resolves from node_modules (`npm ci`), where Ape's `npm:` dependencies come from too;
- the compiler settings (optimizer, runs, via-IR, EVM version) are read from ape-config.yaml, so
  Slither analyses the build we deploy; only the AST is requested (see OUTPUT_SELECTION).

    python scripts/slither_input.py OUT.json
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = "contracts"
DEPLOY_SCRIPT = ROOT / "scripts" / "deploy.py"
APE_CONFIG = ROOT / "ape-config.yaml"
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]
# Only the AST: Slither's detectors read nothing else, and asking for no bytecode spares solc the
# via-IR code generation, half the stage's time. The settings above it still shape the AST
# (evmVersion decides which builtins exist), so it is the AST of the build we deploy.
OUTPUT_SELECTION = {"*": {"": ["ast"]}}


def deployed_contracts(deploy_script: Path) -> tuple[str, ...]:
    """The `CONTRACTS` tuple of the deploy script, read without importing it (it needs Ape)."""
    for node in ast.parse(deploy_script.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "CONTRACTS" for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise ValueError(f"{deploy_script} defines no CONTRACTS")


def compiler_settings(solidity: dict[str, Any]) -> dict[str, Any]:
    """Standard-JSON `settings` equivalent to the `solidity:` section of ape-config.yaml."""
    return {
        "optimizer": {"enabled": bool(solidity["optimize"]), "runs": int(solidity["optimization_runs"])},
        "viaIR": bool(solidity["via_ir"]),
        "evmVersion": solidity["evm_version"],
        "remappings": REMAPPINGS,
        "outputSelection": OUTPUT_SELECTION,
    }


def standard_json_input(contracts: tuple[str, ...], solidity: dict[str, Any]) -> dict[str, Any]:
    """The input: each contract's file by `urls` (paths relative to the project root)."""
    sources = {}
    for name in contracts:
        path = f"{CONTRACTS_DIR}/{name}.sol"
        if not (ROOT / path).is_file():
            raise ValueError(f"scripts/deploy.py deploys {name}, but {path} does not exist")
        sources[path] = {"urls": [path]}
    return {"language": "Solidity", "sources": sources, "settings": compiler_settings(solidity)}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    solidity = yaml.safe_load(APE_CONFIG.read_text())["solidity"]
    document = standard_json_input(deployed_contracts(DEPLOY_SCRIPT), solidity)
    Path(argv[0]).write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
