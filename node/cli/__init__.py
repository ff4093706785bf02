"""The ``mecenate`` command line.

Layout: ``_app`` holds the root Typer app, the shared options and the one place where domain
errors become exit codes; each command group lives in its own module and registers itself
on the app (``portability``: ``export`` and ``import``). Add a group by writing a module
that imports ``app`` from ``_app`` and importing it below.
"""

from . import portability  # noqa: F401  (registers its commands)
from ._app import app, main

__all__ = ["app", "main"]
