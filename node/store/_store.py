"""The SQLite store: its lifecycle, ingest (verify, merge, commit, announce) and the fingerprint.

The merge rules are in ``_rules`` (a table of pure functions per message type), the writer
that applies them in ``_writer``, the reads in ``_reads``, every statement in ``schema``.

Ingest reports what it did to the id set: the messages it added and the sync keys of those
that left the log (a post its author deleted, a revoked delegate's messages), so a listener
keeps a set index of :meth:`Store.sync_keys` in step without reading it again.

Durability: the promise is that a message ``ingest`` acknowledged survives ``kill -9`` (the
node crashing, not the machine). WAL with ``synchronous=NORMAL``, the default, keeps it: the
commit has written the transaction to the WAL file, so it sits in the OS page cache and a dead
process cannot take it back; ``tests/store/test_crash.py`` kills ingesting processes to check.
What NORMAL gives up is the last transactions on power loss or a kernel crash (the file stays
consistent, ``PRAGMA integrity_check`` ok). ``synchronous="FULL"`` adds an fsync per commit to
survive those too, at about 1.3 ms per ``ingest`` call on this machine's disk: ten times the
cost of a one-message ingest (an API submit), a few percent of a 1,000-message batch.

Fingerprint: negentropy's: ``sha256(sum of ids as little-endian uint256 mod 2**256 ||
varint(count))[:16]``, kept incrementally, so a whole-store fingerprint equals negentropy's
fingerprint of the full range and costs nothing to read.

A :class:`Store` is safe to share between threads (a lock serialises its calls), so
``trio.to_thread.run_sync`` can call it; the event loop's small writes (an API submit, a
gossiped batch) go through its :class:`~._lane.WriteLane`, a thread of its own that takes them
at less cost. Besides the file it keeps a little state in memory
(counters for the fingerprint, a Bloom filter over ids so that ingest asks SQLite only about
ids it may hold, the ids of tombstoned posts, address numbers): when another process has
written to the file (``mecenate import`` beside a running node), the next ingest sees SQLite's
``data_version`` change and reloads it, so two writers stay correct, if not fast.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InvalidMessage, StoreError
from ..fingerprint import fingerprint_of
from ..messages import Reason, SignedMessage, verify_batch
from ..messages.scope import EVERYTHING, Scopes, scope_name, scope_of
from . import schema as S
from ._checkpoint import CHECKPOINT_INTERVAL_SECONDS, Checkpointer
from ._lane import WriteLane
from ._merge import IDLE_SECONDS, IndexMerger
from ._reads import Reads
from ._views import IngestReport, Outcome, Result
from ._writer import Writer

log = logging.getLogger(__name__)

#: Messages :meth:`Store.drop_unserved` drops per transaction, holding the store's lock: about
#: 65 ms here for 500 community posts or reactions (a post's search entry goes with it), so a
#: write waits at most that long; 2,000 took 330 ms a chunk. About 7,500 messages a second.
DROP_CHUNK = 500
#: The ``origin`` of the reports of :meth:`Store.drop_unserved`.
DROP_ORIGIN = "scopes"


class Store(Reads):
    """A node's message store in one SQLite file (created if missing).

    ``synchronous`` is SQLite's durability mode, ``NORMAL`` (survives the process dying) or
    ``FULL`` (also survives power loss); see the module docstring. The write-ahead log is
    copied back into the file every ``checkpoint_seconds`` by a thread (``_checkpoint``); the
    posts' search index is merged by another (``_merge``), which looks for work every
    ``merge_idle_seconds`` while it has none.

    Raises :class:`~node.errors.StoreError` when the file cannot be opened, belongs to another
    chain id, or has a newer schema than this code knows.
    """

    def __init__(
        self,
        path: str | Path,
        chain_id: int,
        *,
        synchronous: str = "NORMAL",
        checkpoint_seconds: float = CHECKPOINT_INTERVAL_SECONDS,
        merge_idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if synchronous not in S.SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be FULL, NORMAL, EXTRA or OFF, not {synchronous!r}")
        self.path = Path(path)
        self.chain_id = chain_id
        self._lock = threading.RLock()
        self._listeners: list[Callable[[IngestReport], None]] = []
        self._db = S.connect(self.path, chain_id, synchronous)
        try:
            self._writer = Writer(self._db, chain_id)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        self._open_readers()
        self._committed = self._writer_summary()
        stored = dict(self._db.execute(S.SELECT_META).fetchall()).get(S.META_SCOPES)
        self._served = EVERYTHING if stored is None else Scopes.from_names(stored.split(","))
        self._checkpointer = Checkpointer(self.path, synchronous, self._lock, checkpoint_seconds)
        self._merger = IndexMerger(self._db, self._lock, merge_idle_seconds)
        #: The thread the event loop hands its small writes to (``await store.lane.run(...)``).
        self.lane = WriteLane(f"store writes {self.path.name}")

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the file. Further calls raise :class:`~node.errors.StoreError`."""
        self._merger.stop()  # first, and outside the lock: their threads take it for a moment
        self._checkpointer.stop()
        with self._lock:
            try:
                self._close_readers()
                self._db.close()
            except sqlite3.Error as exc:  # pragma: no cover
                raise StoreError(str(exc)) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_listener(self, listener: Callable[[IngestReport], None]) -> Callable[[], None]:
        """Call ``listener(report)`` after every commit that added or removed messages.

        It runs in the ingesting thread, right after the commit and still under the store's
        lock, so listeners see the reports in commit order (what a set index needs to stay in
        step): keep it short, hand the work to another thread or loop. Exceptions are logged and
        swallowed. Returns a function that removes the listener.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _announce(self, report: IngestReport) -> None:
        """Fill in the count and fingerprint, then call every listener with ``report`` (under
        the lock, right after its commit) if it added or removed anything."""
        self._committed = report.count, report.fingerprint = self._writer_summary()
        if not (report.accepted or report.removed):
            return
        for listener in list(self._listeners):
            try:
                listener(report)
            except Exception:  # a listener's bug must not undo an acknowledged write
                log.exception("store listener %r failed", listener)

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Writer]:
        """One write transaction under the lock. On any failure it rolls back and reloads the
        writer's memory; SQLite's errors become :class:`~node.errors.StoreError`."""
        db = self._db
        with self._lock:
            try:
                db.execute(S.BEGIN)
                try:
                    if self._writer.stale():
                        self._writer.load()  # another process wrote to the file
                    yield self._writer
                    db.execute(S.COMMIT)
                except BaseException:
                    db.execute(S.ROLLBACK)
                    self._writer.load()
                    self._committed = self._writer_summary()
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"{what} failed: {exc}") from exc

    # ------------------------------------------------------------------ writes

    def ingest(
        self,
        messages: Iterable[bytes | str | SignedMessage],
        *,
        now: float | None = None,
        origin: str | None = None,
        scopes: Scopes = EVERYTHING,
    ) -> IngestReport:
        """Verify, validate and merge a batch in one transaction.

        Each input is a wire-form message or a :class:`SignedMessage`. Invalid inputs are
        reported (``REJECTED`` with a reason) and never written; the rest commit together and
        are durable when this returns. The report also says which messages left the log.
        ``now`` overrides the clock for the future-timestamp rule; ``origin`` (where the batch
        came from, ``None`` for this node itself) is passed through to the report and its
        listeners. ``scopes`` are the scopes this batch may hold (the node's, or a gossip topic's):
        a message of another scope (:func:`~node.messages.scope.scope_of`) is ``REJECTED`` as
        ``out_of_scope`` and never written; one of those scopes that the store no longer keeps
        (:attr:`served`, read under the lock: it changed while the batch was on its way) as
        ``no_longer_served``. Raises :class:`~node.errors.StoreError` only when SQLite fails, in
        which case nothing of the batch is written.
        """
        items = list(messages)
        checked = verify_batch(items, self.chain_id, now=now)
        results: list[Result | None] = [None] * len(items)
        admitted: list[tuple[int, SignedMessage]] = []
        for i, r in enumerate(checked):
            if isinstance(r, InvalidMessage):
                results[i] = Result(Outcome.REJECTED, None, r.reason, r.detail)
            elif not scopes.admits(r):
                results[i] = Result(
                    Outcome.REJECTED, r.id, Reason.OUT_OF_SCOPE, f"scope {scope_name(scope_of(r))}"
                )
            else:
                admitted.append((i, r))
        report = IngestReport(results, origin=origin)  # type: ignore[arg-type]  # filled below
        with self._lock:
            candidates = self._still_served(admitted, results)
            if candidates:
                with self._transaction("ingest") as writer:
                    report.accepted = writer.merge(candidates, results, report.removed)
            self._announce(report)
        return report

    def _still_served(
        self, admitted: list[tuple[int, SignedMessage]], results: list[Result | None]
    ) -> list[tuple[int, SignedMessage]]:
        """The messages of ``admitted`` of a scope the store keeps; the others' results say
        ``no_longer_served``. Under the lock, so no message of a scope passes once
        :meth:`serve` has left it out."""
        served = self._served
        if served.everything:
            return admitted
        kept = []
        for i, m in admitted:
            if served.admits(m):
                kept.append((i, m))
            else:
                detail = f"scope {scope_name(scope_of(m))} is no longer served"
                results[i] = Result(Outcome.REJECTED, m.id, Reason.NO_LONGER_SERVED, detail)
        return kept

    # ------------------------------------------------------------------ scopes

    @property
    def served(self) -> Scopes:
        """The scopes this store keeps (``node.messages.scope``): ingest refuses the others.
        Every scope until :meth:`serve` says otherwise; kept in the file across restarts."""
        return self._served

    def serve_configured(self, configured: Scopes) -> Scopes:
        """Settle the scopes to keep when a node starts, given its configured ones
        (``p2p.scopes``), and return them: those last set at run time (:meth:`serve`) while the
        configuration still says what it said when they were set, else the configured ones
        (the operator changed the configuration since: the newest decision wins)."""
        with self._lock:
            meta = dict(self._db.execute(S.SELECT_META).fetchall())
            said = ",".join(configured.names())
            if meta.get(S.META_SCOPES_CONFIGURED) != said or S.META_SCOPES not in meta:
                self._write_served(configured, said)
            return self._served

    def serve(self, scopes: Scopes) -> bool:
        """Keep ``scopes`` from now on, also after a restart (until the configured scopes
        change: :meth:`serve_configured`); whether that changed anything. Messages already held
        of a scope left out stay until :meth:`drop_unserved`."""
        with self._lock:
            if scopes == self._served:
                return False
            said = dict(self._db.execute(S.SELECT_META).fetchall()).get(S.META_SCOPES_CONFIGURED, "all")
            self._write_served(scopes, said)
            return True

    def _write_served(self, scopes: Scopes, configured: str) -> None:
        with self._transaction("setting the scopes served"):
            self._db.execute(S.UPSERT_META, (S.META_SCOPES, ",".join(scopes.names())))
            self._db.execute(S.UPSERT_META, (S.META_SCOPES_CONFIGURED, configured))
        self._served = scopes

    def drop_unserved(self, chunk: int = DROP_CHUNK) -> int:
        """Drop every message of a community the store does not keep (:attr:`served`), with
        the rows derived from them (posts and their search entries, reactions, hides), and
        return how many. The work goes in transactions of at most ``chunk`` messages, each
        announced to the listeners like an ingest (its report's ``removed``), so a set index
        stays in step and other writes get the lock in between. Raises
        :class:`~node.errors.StoreError` if SQLite fails; the chunks committed before stay
        dropped, and a later call drops the rest."""
        served = self._served
        if served.everything:
            return 0
        rows = self._read(lambda db: db.execute(S.SELECT_COMMUNITY_SEQS).fetchall())
        seqs = [seq for seq, community in rows if not served.serves(bytes(community))]
        dropped = 0
        for start in range(0, len(seqs), chunk):
            report = IngestReport([], origin=DROP_ORIGIN)
            with self._lock:
                with self._transaction("dropping unserved scopes") as writer:
                    report.removed = writer.drop_unserved(seqs[start : start + chunk], self._served)
                self._announce(report)
            dropped += len(report.removed)
        return dropped

    def rebuild(self) -> None:
        """Recompute every derived table from the message log, in one transaction.

        The log is the source of truth: after a fix to a merge rule, or to check a store, this
        merges the logged messages again into empty tables (signer messages first, then
        deletes, then the rest, in chunks). The messages are trusted (they were verified when
        they came in), so no signature is recovered again. Messages the rules no longer keep
        leave the log; listeners get a report of them. Raises
        :class:`~node.errors.StoreError` if SQLite fails; nothing changes then.
        """
        report = IngestReport([])
        with self._lock:
            with self._transaction("rebuild") as writer:
                report.removed = writer.rebuild()
            self._announce(report)

    # ------------------------------------------------------------------ set reconciliation

    def fingerprint(self) -> bytes:
        """16 bytes that equal another store's exactly when both hold the same message set."""
        return self.summary()[1]

    def summary(self) -> tuple[int, bytes]:
        """``(len(store), fingerprint())`` of the last commit, read together (one tuple, replaced
        whole after each commit), so no ingest falls between the two and no reader waits for one."""
        return self._committed

    def __len__(self) -> int:
        return self._committed[0]

    def _writer_summary(self) -> tuple[int, bytes]:
        count = self._writer.count
        return count, fingerprint_of(self._writer.fp_sum, count)
