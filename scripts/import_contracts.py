"""A custom import-linter contract: a package's private modules are its own.

A module whose name starts with an underscore is private to the package that holds it, and so
is everything below it: ``node.store._body`` belongs to ``node.store``, ``node.grants._vault``
to ``node.grants``. Any module inside that package may import it; a module anywhere else must
go through the package's public names (its ``__init__``, or a public submodule such as
``node.store.schema``). Dunder modules (``__main__``) are not private.

Import-linter's own contract types cannot say this once for every package: their wildcards
match whole name segments only (``node.*._*`` is not an expression), so a ``forbidden`` or
``protected`` contract would have to list each package's private modules by name and would go
stale with the next one. This check reads the import graph instead, so a new package or module
is covered the day it appears. ``pyproject.toml`` registers it (``[tool.importlinter]``
``contract_types``) and ``./scripts/lint.sh`` runs it with the other contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, output


def private_owner(module: str) -> str | None:
    """The package ``module`` is private to, or ``None`` when it is public."""
    parts = module.split(".")
    for depth, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:depth])
    return None


def is_within(module: str, package: str) -> bool:
    """Whether ``module`` is ``package`` or lies below it."""
    return module == package or module.startswith(package + ".")


@dataclass(frozen=True, slots=True)
class PrivateImport:
    importer: str
    imported: str
    owner: str
    line_numbers: tuple[int, ...]


class PrivateModulesContract(Contract):
    """Fails on every direct import of a private module from outside the package that owns it,
    anywhere in the graph of the root packages. No options."""

    type_name = "private_modules"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        found = []
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                owner = private_owner(imported)
                if owner is None or is_within(importer, owner):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = tuple(detail["line_number"] for detail in details)
                found.append(PrivateImport(importer, imported, owner, lines))
        return ContractCheck(kept=not found, metadata={"private_imports": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["private_imports"]:
            lines = ", ".join(map(str, link.line_numbers))
            output.print_error(
                f"- {link.importer} -> {link.imported} (l.{lines}): private to {link.owner}; "
                f"import it from {link.owner}'s public names",
                bold=False,
            )
            output.new_line()
