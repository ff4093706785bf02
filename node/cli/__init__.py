"""The ``mecenate`` command line.

Layout: ``_app`` holds the root Typer app, the shared options and the one place where domain
errors become exit codes; each command group lives in its own module and registers itself
on the app (``portability``: ``export`` and ``import``; ``keys``; ``social``: profile, follow, post,
feed, thread; ``community``: found, join, post to and read communities; ``collective``: a community owned
by its members on chain (launch, propose, vote, execute, claim, show); ``discover``: creators
ranked by engagement, and search; ``moderation``: mute, block, hide a reply, a moderator's
hide; ``node_cmd``: node run, status, peers; ``money``: token, tip, split; ``exclusive``: gated
posts, unlock, read, encryption key; ``demo``: the walkthrough's stories (tips;
``_community_demo``: communities; ``_dev``: what they share, dev keys on a dev chain);
``_profile``: the ``profile`` group, which ``social`` and ``exclusive`` both add to; ``_parse``:
what the user types, checked and canonical; ``_posts``: a page of posts as views print it). Add a
group by writing a module that imports ``app`` from ``_app`` and importing it below. Errors
are the node's domain errors (``node.errors``), an API answer's rebuilt by ``_session``.
"""

from . import (  # noqa: F401  (each registers its commands)
    collective,
    community,
    demo,
    discover,
    exclusive,
    keys,
    moderation,
    money,
    node_cmd,
    portability,
    social,
)
from ._app import app, main

__all__ = ["app", "main"]
