"""The private-modules import contract (scripts/import_contracts.py): it passes imports inside a
package and public names across packages, and fails on a private module reached from outside."""

from __future__ import annotations

import grimp

from scripts.import_contracts import PrivateModulesContract, private_owner


def _check(*imports: tuple[str, str]) -> list[tuple[str, str, str]]:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    contract = PrivateModulesContract(name="private", session_options={}, contract_options={})
    check = contract.check(graph, verbose=False)
    found = [(link.importer, link.imported, link.owner) for link in check.metadata["private_imports"]]
    assert check.kept == (not found)
    return found


def test_a_module_is_private_to_the_package_above_its_first_underscore() -> None:
    assert private_owner("node.store._body") == "node.store"
    assert private_owner("node.grants._vault.inner") == "node.grants"
    assert private_owner("node.a.b._c") == "node.a.b"
    assert private_owner("node.store.schema") is None
    assert private_owner("node.cli.__main__") is None


def test_imports_inside_a_package_and_of_public_names_are_kept() -> None:
    assert (
        _check(
            ("node.store._store", "node.store._body"),  # inside its own package
            ("node.store", "node.store._store"),  # the package's __init__ re-exporting
            ("node.store._store", "node.messages"),  # another package's public names
            ("node.service", "node.store.schema"),  # a public submodule
        )
        == []
    )


def test_a_private_module_reached_from_another_package_breaks_it() -> None:
    assert _check(
        ("node.store._body", "node.messages._crypto"),
        ("node.service", "node.grants._vault"),
        ("node.messages._codec", "node.messages._crypto"),
    ) == [
        ("node.service", "node.grants._vault", "node.grants"),
        ("node.store._body", "node.messages._crypto", "node.messages"),
    ]
