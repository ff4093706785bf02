"""The ``mecenate profile`` command group, in a module of its own because two modules add to it:
``social`` (``set``, ``show``) and ``exclusive`` (``encryption-key``), which need not import
each other for it."""

from __future__ import annotations

import typer

from ._app import app

profile = typer.Typer(help="Your profile: one signed message per field.", no_args_is_help=True)
app.add_typer(profile, name="profile")
