"""``mecenate export`` and ``mecenate import``: a user's graph as JSON Lines of signed messages.

Export writes one wire-form message per line, signer messages first. Import trusts nothing:
every line is decoded, its signature verified and its fields validated before it is merged,
exactly as if it came from a peer; a bad line is reported and skipped, the rest merge.

A running node is its store's one writer (it holds the store's claim, ``node.store.StoreClaim``,
which names its API): import then sends the lines to that node's API, so its status, sync index
and gossip see them; with no node running it claims the store itself and writes the file.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any, Protocol

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import InvalidInput, InvalidMessage, StoreError
from ..messages import RetryAtEnd, coerce_address, decode_message, message_to_json
from ..redact import redact_url
from ..store import Outcome, Result, Store, StoreClaim, store_holder
from ._app import ChainOption, DbOption, app, err, store_location
from ._session import NodeClient

#: Lines merged (or sent to a running node) together; the API takes at most 1,000 per request.
IMPORT_BATCH = 1000
#: Lines refused as ``bad_signature`` kept for the one retry at the end (a delegate's message
#: can precede its ``SignerAdd`` in a foreign file); beyond this many, the refusal stands.
IMPORT_RETRY_LIMIT = 100_000
#: Most wire bytes per request to a running node, well under its default ``api.max_body_bytes``
#: (1 MiB; the JSON of a request is a little larger than its lines).
IMPORT_REQUEST_BYTES = 512 * 1024


def _open(path: Path, mode: str) -> IO[bytes]:
    try:
        return open(path, mode)
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror}") from exc


@app.command("export")
def export_cmd(
    author: str | None = typer.Option(None, "--author", "-a", help="Only this user's messages."),
    output: Path = typer.Option(Path("-"), "--output", "-o", help="File to write; '-' is stdout."),
    db: Path | None = DbOption,
    chain_id: int | None = ChainOption,
) -> None:
    """Write signed messages (one user's, or all) as JSON Lines."""
    if author is not None:
        author = coerce_address(author, "--author")  # InvalidMessage (bad_field), the user's input
    path, cid = store_location(db, chain_id)
    if not path.exists():
        raise InvalidInput(f"no store at {path}")
    n = 0
    with Store(path, cid) as store:
        out: IO[bytes] = sys.stdout.buffer if str(output) == "-" else _open(output, "wb")
        try:
            for line in store.export(author):
                out.write(line + b"\n")
                n += 1
        finally:
            if out is not sys.stdout.buffer:
                out.close()
            else:
                out.flush()
    err.print(f"exported {n} messages" + (f" by {author}" if author else ""))


class _Sink(Protocol):
    """Where imported lines merge: each line's :class:`~node.store.Result`, in order."""

    def merge(self, lines: list[bytes]) -> list[Result]: ...


class _StoreSink:
    """Straight into a store file nobody else writes (this process holds its claim)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def merge(self, lines: list[bytes]) -> list[Result]:
        return list(self.store.ingest(lines).results)


class _NodeSink:
    """Through the running node that holds the store, so it counts, indexes and gossips what
    it accepts as it does for any client: ``POST /v1/messages/batch``. Lines are decoded and
    verified here first, so a bad line is refused alone (a request the API could not parse
    would refuse its whole batch), and each request stays under the node's body limit."""

    def __init__(self, client: NodeClient, chain_id: int) -> None:
        self.client, self.chain_id = client, chain_id

    def merge(self, lines: list[bytes]) -> list[Result]:
        outcomes: list[Result | None] = [None] * len(lines)
        pending: list[tuple[int, dict[str, Any]]] = []
        size = 0
        for i, line in enumerate(lines):
            try:
                message = decode_message(line, self.chain_id)
            except InvalidMessage as exc:
                outcomes[i] = Result(Outcome.REJECTED, reason=exc.reason, detail=exc.detail)
                continue
            if pending and size + len(line) > IMPORT_REQUEST_BYTES:
                self._send(pending, outcomes)
                pending, size = [], 0
            pending.append((i, message_to_json(message)))
            size += len(line)
        if pending:
            self._send(pending, outcomes)
        return outcomes  # type: ignore[return-value]

    def _send(self, pending: list[tuple[int, dict[str, Any]]], outcomes: list[Any]) -> None:
        answer = self.client.request("POST", "/v1/messages/batch", json={"messages": [m for _, m in pending]})
        for (i, _), r in zip(pending, answer["results"], strict=False):
            outcomes[i] = Result(Outcome(r["outcome"]), reason=r.get("reason"), detail=r.get("detail"))


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., help="JSON Lines file of signed messages ('-' for stdin).", allow_dash=True
    ),
    db: Path | None = DbOption,
    chain_id: int | None = ChainOption,
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 if any line is rejected."),
    show: int = typer.Option(10, "--show", help="How many rejected lines to list."),
) -> None:
    """Verify every line of FILE and merge the valid ones into the store.

    When a node is running on that store, the lines go through its API (so its status, sync
    and gossip see them); otherwise straight into the file, which no node may open meanwhile.
    """
    path, cid = store_location(db, chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as resources:
        holder = store_holder(path)
        if holder is not None:
            if not holder.api_url:
                raise StoreError(
                    f"the store {path} is held by process {holder.pid}, which has no API (yet): "
                    "try again once the node is up, or stop it"
                )
            client = NodeClient(holder.api_url)
            err.print(
                f"a node is running on this store: importing through its API at {redact_url(holder.api_url)}"
            )
            sink: _Sink = _NodeSink(client, client.get("/health")["chain_id"])
        else:
            resources.enter_context(StoreClaim(path))  # no node may start on it while we write
            sink = _StoreSink(resources.enter_context(Store(path, cid)))
        _import_lines(sink, file, strict=strict, show=show)


def _import_lines(sink: _Sink, file: Path, *, strict: bool, show: int) -> None:
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rejected: list[tuple[int, str, str]] = []
    retry = RetryAtEnd[tuple[int, bytes]](IMPORT_RETRY_LIMIT)
    src: IO[bytes] = sys.stdin.buffer if str(file) == "-" else _open(file, "rb")
    total = None if src is sys.stdin.buffer else file.stat().st_size

    def merge(batch: list[tuple[int, bytes]], final: bool) -> None:
        for (lineno, line), (outcome, _id, reason, detail) in zip(
            batch, sink.merge([line for _, line in batch]), strict=False
        ):
            if outcome is Outcome.REJECTED:
                if not final and retry.keep((lineno, line), reason):
                    continue
                reasons[reason or "?"] += 1
                rejected.append((lineno, reason or "?", detail or ""))
            counts[outcome.value] += 1

    with Progress(
        TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err
    ) as progress:
        task = progress.add_task("import", total=total)
        batch: list[tuple[int, bytes]] = []
        try:
            for lineno, raw in enumerate(src, 1):
                progress.advance(task, len(raw))
                line = raw.strip()
                if not line:
                    continue
                batch.append((lineno, line))
                if len(batch) >= IMPORT_BATCH:
                    merge(batch, final=False)
                    batch = []
            if batch:
                merge(batch, final=False)
            if again := retry.take():
                merge(again, final=True)
        finally:
            if src is not sys.stdin.buffer:
                src.close()
    err.print(
        f"accepted {counts['accepted']}, duplicate {counts['duplicate']}, rejected {counts['rejected']}"
    )
    if reasons:
        err.print("rejected by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
        for lineno, reason, detail in sorted(rejected)[:show]:
            err.print(f"  line {lineno}: {reason}: {detail}")
    if strict and counts["rejected"]:
        raise typer.Exit(1)
