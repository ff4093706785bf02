"""Discovery runs over a real store file and, where tips and buys are needed, a real anvil with
the contracts deployed and a real indexer: the chain tests' fixtures, shared."""

from tests.chain.conftest import (  # noqa: F401  (fixtures, used by name)
    accounts,
    anvil_url,
    artifacts,
    chain_snapshot,
    client,
    deployed,
    keys,
    make_indexer,
    w3,
)
