"""``mecenate export`` and ``mecenate import``: a user's graph as JSON Lines of signed messages.

Export writes one wire-form message per line, signer messages first. Import trusts nothing:
every line is decoded, its signature verified and its fields validated before it is merged,
exactly as if it came from a peer; a bad line is reported and skipped, the rest merge.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import IO, Optional

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import InvalidInput
from ..messages._validation import coerce_address
from ..store import Outcome, Store
from ._app import ChainOption, DbOption, app, err, store_location

IMPORT_BATCH = 1000


def _open(path: Path, mode: str) -> IO[bytes]:
    try:
        return open(path, mode)
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror}") from exc


@app.command("export")
def export_cmd(
    author: Optional[str] = typer.Option(None, "--author", "-a", help="Only this user's messages."),
    output: Path = typer.Option(Path("-"), "--output", "-o", help="File to write; '-' is stdout."),
    db: Optional[Path] = DbOption,
    chain_id: Optional[int] = ChainOption,
) -> None:
    """Write signed messages (one user's, or all) as JSON Lines."""
    if author is not None:
        try:
            author = coerce_address(author, "--author")
        except Exception as exc:
            raise InvalidInput(str(exc)) from exc
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


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="JSON Lines file of signed messages ('-' for stdin).", allow_dash=True),
    db: Optional[Path] = DbOption,
    chain_id: Optional[int] = ChainOption,
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 if any line is rejected."),
    show: int = typer.Option(10, "--show", help="How many rejected lines to list."),
) -> None:
    """Verify every line of FILE and merge the valid ones into the store."""
    path, cid = store_location(db, chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rejected: list[tuple[int, str, str]] = []
    retry: list[tuple[int, bytes]] = []
    src: IO[bytes] = sys.stdin.buffer if str(file) == "-" else _open(file, "rb")
    total = None if src is sys.stdin.buffer else file.stat().st_size

    def merge(store: Store, batch: list[tuple[int, bytes]], final: bool) -> None:
        report = store.ingest(line for _, line in batch)
        for (lineno, line), r in zip(batch, report.results):
            if r.outcome is Outcome.REJECTED:
                # A delegate's message can precede its SignerAdd in a foreign file: retry once.
                if not final and r.reason == "bad_signature":
                    retry.append((lineno, line))
                    continue
                reasons[r.reason or "?"] += 1
                rejected.append((lineno, r.reason or "?", r.detail or ""))
            counts[r.outcome.value] += 1

    with Store(path, cid) as store, Progress(
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
                    merge(store, batch, final=False)
                    batch = []
            if batch:
                merge(store, batch, final=False)
            if retry:
                merge(store, retry, final=True)
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
