"""The node as one trio process: the store, the HTTP API, the libp2p host, the chain indexer
and, with the chain, the grant service for exclusive content.

Structured concurrency is the spine: :func:`serve` opens one nursery, starts each part with
``nursery.start`` (so it is ready, or has failed, before the next starts), reports the
:class:`RunningNode` through ``task_status``, and runs until cancelled. :func:`run` is the
blocking entry point for ``mecenate node run``: it cancels :func:`serve` on SIGINT or SIGTERM,
so every part shuts down cleanly (peers disconnected, store closed).

The accepted-messages feed (:mod:`node.accepted`) starts first: it is the one way what the
store accepts and removes reaches the parts on the event loop (the p2p service's gossip and
sync index, the live stream, grant work), each through its own bounded subscription.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import trio
from fastapi import FastAPI
from hypercorn.trio import serve as hypercorn_serve

from node import accepted
from node.api import READ_BUDGET_SECONDS, ApiContext, Broadcaster, create_app, public_rpc_url
from node.chain import ChainClient, Indexer, Transfer
from node.config import STORE_FILE, Settings
from node.errors import ConfigError, MecenateError
from node.grants import VAULT_FILE, Gatekeeper, Vault, load_signer, serve_grants
from node.http_server import hypercorn_config, listening_socket, serve_handed_over, socket_url, warm_up
from node.loopwatch import LoopWatch, favour_the_loop, keep_out_of_collections
from node.p2p import P2PNode
from node.p2p import serve as p2p_serve
from node.read_worker import WorkerSpec, serve_read_worker
from node.store import SearchRules, Store, StoreClaim

log = logging.getLogger("node.service")

CHAIN_INDEX_FILE = "chain.sqlite"


@dataclass
class RunningNode:
    """What a started node tells its starter: where it listens and what it serves from."""

    settings: Settings
    store: Store
    api_url: str
    p2p: P2PNode
    #: ``None`` when the node runs without a chain (no build manifest or deployment).
    indexer: Indexer | None
    #: Exclusive content: held keys, grants, unlock (gate checks need the chain).
    gating: Gatekeeper


def _open_indexer(settings: Settings) -> Indexer | None:
    """The chain index, or ``None`` (logged) when this chain has no deployment to follow."""
    try:
        client = ChainClient.from_settings(settings.chain, settings.chain_id)
    except ConfigError as exc:
        log.warning("running without the chain: %s", exc)
        return None
    return Indexer(
        client, Path(settings.data_dir) / CHAIN_INDEX_FILE, confirmations=settings.chain.confirmations
    )


def _gatekeeper(settings: Settings, store: Store, vault: Vault, indexer: Indexer | None) -> Gatekeeper:
    """The node's gatekeeper: its grant signer and vault, and the chain when there is one."""
    balance_of = holders = None
    if indexer is not None:
        client = indexer.client
        balance_of = client.balance_of  # at the latest block: a gate decision is about now

        def holders(token: str) -> list[str]:
            return [h.holder for h in indexer.holders(token)]

    return Gatekeeper(
        store,
        vault,
        load_signer(settings.data_dir),
        chain_id=settings.chain_id,
        balance_of=balance_of,
        holders=holders,
        challenge_ttl=timedelta(seconds=settings.gating.challenge_ttl_seconds),
    )


async def serve(
    settings: Settings, *, task_status: trio.TaskStatus[RunningNode] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run a node with ``settings`` until cancelled."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    loop_watch = LoopWatch()
    trio.lowlevel.add_instrument(loop_watch)
    with contextlib.ExitStack() as resources:
        resources.callback(
            trio.lowlevel.remove_instrument, loop_watch
        )  # closed in reverse order, each even if another fails
        favour_the_loop()
        # The node is the store's one writer while it runs (``mecenate import`` goes through its API).
        claim = resources.enter_context(StoreClaim(data_dir / STORE_FILE))
        store = resources.enter_context(Store(data_dir / STORE_FILE, settings.chain_id))
        store.keep_reader(READ_BUDGET_SECONDS)  # this is the event loop's thread: it serves the API's reads
        vault = resources.enter_context(
            contextlib.closing(
                Vault(
                    data_dir / VAULT_FILE,
                    nonce_capacity=settings.gating.nonce_capacity,
                    per_client=settings.gating.nonces_per_client,
                    per_address=settings.gating.nonces_per_address,
                )
            )
        )
        indexer = _open_indexer(settings)
        if indexer is not None:
            resources.enter_context(indexer)
        keeper = _gatekeeper(settings, store, vault, indexer)
        async with trio.open_nursery() as nursery:
            # First: every part below subscribes to it for what the store accepts and removes.
            feed = await nursery.start(accepted.serve, store)
            p2p = await nursery.start(
                p2p_serve, settings.p2p, settings.data_dir, settings.chain_id, store, feed
            )
            if indexer is not None:
                send_transfers, receive_transfers = trio.open_memory_channel[Transfer](1024)
                await nursery.start(
                    partial(
                        serve_grants,
                        keeper,
                        receive_transfers,
                        holder_batch=settings.gating.grant_batch,
                        reconcile_interval=settings.gating.reconcile_interval_seconds,
                        retry_interval=settings.gating.grant_retry_seconds,
                        feed=feed,
                    )
                )
                await nursery.start(
                    partial(
                        indexer.serve,
                        poll_interval=settings.chain.poll_interval_seconds,
                        transfers=send_transfers,
                    )
                )
            api = settings.api
            broadcaster = Broadcaster(
                buffer=api.stream_buffer_messages, max_subscribers=api.stream_max_subscribers
            )
            await nursery.start(broadcaster.serve, feed)
            ctx = ApiContext(
                store,
                settings.chain_id,
                admin_token=api.admin_token,
                broadcaster=broadcaster,
                p2p=p2p,
                chain=indexer,
                gating=keeper,
                loop_watch=loop_watch,
                deployment=None if indexer is None else indexer.client.deployment,
                app_rpc_url=public_rpc_url(settings.web.rpc_url, settings.chain.rpc_url),
                search=SearchRules(**settings.search.model_dump()),
                discover=settings.discover,
            )
            app = create_app(
                ctx,
                max_body_bytes=api.max_body_bytes,
                body_timeout_seconds=api.body_timeout_seconds,
                web=settings.web,
            )
            status = await trio.to_thread.run_sync(warm_up, app)  # FastAPI's lazy setup, off the loop
            if status != 200:
                log.warning("the API's warm-up request was answered %d, not 200", status)
            keep_out_of_collections()  # the node's long-lived state is built
            resources.callback(gc.unfreeze)
            api_url = await _serve_api(nursery, resources, app, settings)
            keeper.bind(api_url, domain=settings.gating.domain)
            claim.announce(api_url)
            log.info("API listening on %s (OpenAPI at %s/docs)", api_url, api_url)
            task_status.started(RunningNode(settings, store, api_url, p2p, indexer, keeper))


async def _serve_api(
    nursery: trio.Nursery, resources: contextlib.ExitStack, app: FastAPI, settings: Settings
) -> str:
    """Serve ``app`` on the API's port, alone or with ``api.read_workers`` read workers
    (:mod:`node.read_worker`: they answer the polled reads and hand every other connection over
    to ``app`` on a Unix socket in a private directory); returns the API's URL."""
    api = settings.api
    where = f"{api.host}:{api.port}"
    if not api.read_workers:
        try:
            binds = await nursery.start(hypercorn_serve, app, hypercorn_config(api))
        except* OSError as group:  # Hypercorn's bind fails inside its own nursery
            reason = next(e for e in _leaves(group) if isinstance(e, OSError))
            raise ConfigError(f"api: cannot listen on {where}: {reason.strerror or reason}") from group
        return str(binds[0])
    try:
        public = resources.enter_context(listening_socket(api))
    except OSError as reason:
        raise ConfigError(f"api: cannot listen on {where}: {reason.strerror or reason}") from reason
    private = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="mecenate-")))
    # The workers ask the core's /metrics on one socket and hand it connections on the other.
    core_socket, handover_socket = private / "api.sock", private / "handover.sock"
    config = hypercorn_config(api, f"unix:{core_socket}")
    await nursery.start(hypercorn_serve, app, config)
    await nursery.start(serve_handed_over, app, config, str(handover_socket))
    for index in range(api.read_workers):
        spec = WorkerSpec(
            index=index,
            store=str(Path(settings.data_dir) / STORE_FILE),
            chain_id=settings.chain_id,
            listen_fd=public.fileno(),
            core_socket=str(core_socket),
            handover_socket=str(handover_socket),
            api=api.model_dump(mode="json", exclude={"admin_token"}),
            log_level=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        )
        await nursery.start(serve_read_worker, spec)
    return socket_url(public)


def run(settings: Settings) -> None:
    """Run a node in the foreground until SIGINT or SIGTERM."""

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                node = await nursery.start(serve, settings)
                print(f"node running: API {node.api_url}  p2p {' '.join(node.p2p.addrs)}", flush=True)
                async for signum in signals:
                    log.info("received %s, shutting down", signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()
                    break

    try:
        trio.run(main)
    except BaseExceptionGroup as group:
        # A part that fails to start (a port in use, a bad address) surfaces inside the
        # nurseries' groups: hand the CLI the domain error itself, so it prints one line.
        errors = _leaves(group)
        if len(errors) == 1 and isinstance(errors[0], MecenateError):
            raise errors[0] from group
        raise


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out += _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
    return out
