"""Who writes a store file: one claim at a time, so the node never has a writer behind its back.

A running node keeps state beside the file that only its own writes update: the message count
and fingerprint in ``/v1/status``, the sync index, the gossip of what it accepts. A second
process merging into the same file (``mecenate import`` into a running node's data dir) would
leave all of those stale, so a writer first *claims* the store: an exclusive ``flock`` on
``<store file>.lock``, held for as long as it writes. The claim file also says who holds it,
``{"pid": ..., "api_url": ...}``, so ``mecenate import`` can hand its messages to the running
node's API instead (:func:`store_holder`).

The lock belongs to the open file, not to the file on disk: it goes away when its holder exits,
``kill -9`` included, so a stale ``.lock`` file never blocks anyone. Readers (``mecenate
export``) need no claim: SQLite's WAL gives them a consistent snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import StoreError

CLAIM_SUFFIX = ".lock"


@dataclass(frozen=True)
class Holder:
    """The process that holds a store's claim: its pid, and its API's URL once it has one."""

    pid: int | None
    api_url: str | None


def claim_path(store_path: str | Path) -> Path:
    """The claim file of the store at ``store_path``."""
    path = Path(store_path)
    return path.with_name(path.name + CLAIM_SUFFIX)


def _describe(holder: Holder) -> str:
    who = f"process {holder.pid}" if holder.pid else "another process"
    return who + (f", a node serving {holder.api_url}" if holder.api_url else "")


def _read(f: IO[str]) -> Holder:
    f.seek(0)
    try:
        doc = json.loads(f.read() or "{}")
    except ValueError:
        doc = {}
    pid, url = doc.get("pid"), doc.get("api_url")
    return Holder(pid if isinstance(pid, int) else None, url if isinstance(url, str) else None)


class StoreClaim:
    """An exclusive claim on the store at ``store_path``: taken on construction, released by
    :meth:`release` (or leaving the ``with`` block, or the process ending).

    Raises :class:`~node.errors.StoreError` naming the holder when another process (a running
    node, an import) holds the store.
    """

    def __init__(self, store_path: str | Path) -> None:
        self.path = claim_path(store_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._file: IO[str] | None = open(self.path, "a+")  # noqa: SIM115 (held open: it is the lock)
        except OSError as exc:
            raise StoreError(f"cannot open the store's claim file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read(self._file)
            self._file.close()
            self._file = None
            raise StoreError(
                f"the store {store_path} is in use by {_describe(holder)}: stop it first, or import through it"
            ) from None
        self._write(Holder(os.getpid(), None))

    def announce(self, api_url: str) -> None:
        """Say where the holder's API answers, for ``mecenate import`` to send its messages to."""
        self._write(Holder(os.getpid(), api_url))

    def _write(self, holder: Holder) -> None:
        assert self._file is not None, "the claim was released"
        self._file.seek(0)
        self._file.truncate()
        self._file.write(json.dumps({"pid": holder.pid, "api_url": holder.api_url}))
        self._file.flush()

    def release(self) -> None:
        """Give the store up (idempotent)."""
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.close()  # closing the file drops the lock
            self._file = None

    def __enter__(self) -> StoreClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def store_holder(store_path: str | Path) -> Holder | None:
    """Who holds the store at ``store_path`` now, or ``None`` when nobody does."""
    path = claim_path(store_path)
    try:
        f = open(path)  # noqa: SIM115 (closed by the `with f` below, after the error cases)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read the store's claim file {path}: {exc.strerror}") from exc
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read(f)
        return None  # we could lock it: nobody holds it (closing the file drops our lock)
