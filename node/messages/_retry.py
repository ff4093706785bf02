"""The one place that decides which refused messages get a second chance.

A message signed by a delegate is refused as ``bad_signature`` while the store has not seen the
author's ``SignerAdd`` for that key. Nothing orders a delegate's messages after their
``SignerAdd`` in a foreign export file or in the batches of one sync session, so a reader that
merges in batches keeps such messages aside and offers them once more at the end, when every
``SignerAdd`` of the input is in. Once: a message still refused then is refused for good.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from ._model import Reason

T = TypeVar("T")


class RetryAtEnd(Generic[T]):
    """Collects inputs refused as ``bad_signature`` (at most ``limit``) for one retry at the end.

    ``limit`` bounds the memory a hostile input can claim; an input refused beyond it is not
    kept (it counts as refused, like any other).
    """

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        self.limit = limit
        self._kept: list[T] = []

    def keep(self, item: T, reason: str | None) -> bool:
        """Keep ``item`` for the retry if ``reason`` is ``bad_signature`` and there is room;
        return whether it was kept (if not, the refusal stands)."""
        if reason != Reason.BAD_SIGNATURE or len(self._kept) >= self.limit:
            return False
        self._kept.append(item)
        return True

    def take(self) -> list[T]:
        """The kept inputs, in the order they were refused; the collector is empty afterwards."""
        kept, self._kept = self._kept, []
        return kept
