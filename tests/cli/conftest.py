"""The CLI tests' shared fixture: ``people(n)``, users with a key each, from
``test_community_cli``; it runs against the ``env`` and ``node`` of the module that asks for it."""

from tests.cli.test_community_cli import people

__all__ = ["people"]
