"""The grant service: grants keys as holders qualify, a trio service for ``nursery.start``.

Events that call for grants (a gated post accepted whose key the node holds, a holder
publishing an encryption key: both from the node's accepted-messages feed; a confirmed token
``Transfer`` from the chain indexer) and a periodic reconciliation feed a :class:`~node.grants.GrantWork`, which coalesces them; a loop
takes batches from it and runs the :class:`~node.grants.Gatekeeper`'s blocking grant calls in
a worker thread, putting a failed batch back to retry.
"""

from __future__ import annotations

import contextlib
import logging

import trio

from node import accepted
from node.accepted import AcceptedFeed, Gap, Subscription
from node.chain import ZERO_ADDRESS, Transfer
from node.errors import ChainError, InvalidInput, StoreError
from node.grants._keeper import ENCRYPTION_KEY_FIELD, Gatekeeper
from node.grants._work import Batch, GrantWork
from node.messages import POST_TYPES

__all__ = ["serve"]

log = logging.getLogger(__name__)

#: Store reports the grant service may fall behind the accepted-messages feed by before it
#: rescans every held post instead (nothing is lost: the rescan finds what they asked for).
FEED_BUFFER = 1024


async def serve(
    keeper: Gatekeeper,
    transfers: trio.MemoryReceiveChannel[Transfer] | None = None,
    *,
    holder_batch: int = 512,
    reconcile_interval: float = 300.0,
    retry_interval: float = 5.0,
    feed: AcceptedFeed | None = None,
    task_status: trio.TaskStatus[GrantWork] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Grant keys as holders qualify, until cancelled; a trio service for ``nursery.start``,
    which reports the service's :class:`GrantWork` (for its statistics).

    Work comes from the node's accepted-messages ``feed`` (:mod:`node.accepted`; without one,
    the service runs its own over ``keeper.store``): a post accepted whose key this node holds
    (after :meth:`Gatekeeper.accept`), a holder publishing an encryption key, each confirmed ``Transfer`` received on
    ``transfers`` (from :meth:`Indexer.serve`, which waits when that channel is full), and a
    reconciliation every ``reconcile_interval`` seconds, starting now: every held
    post is rescanned against its indexed holders and the grants issued, which repairs whatever
    was missed (downtime, a write to the store from outside the node). Work is coalesced in a
    :class:`GrantWork`, never dropped: post rescans first, then at most ``holder_batch`` holder
    checks per round, in a worker thread. When the chain or the store fails, the round goes
    back into the set and is retried after ``retry_interval`` seconds.
    """
    for title, value in (
        ("holder_batch", holder_batch),
        ("reconcile_interval", reconcile_interval),
        ("retry_interval", retry_interval),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{title} must be positive, got {value!r}")
    work = GrantWork()
    ring_send, doorbell = trio.open_memory_channel[None](1)

    def ring() -> None:
        # already rung: the work itself waits in the set, not in the bell
        with contextlib.suppress(trio.WouldBlock, trio.ClosedResourceError):
            ring_send.send_nowait(None)

    async def follow(reports: Subscription) -> None:
        # Each store report, from the accepted-messages feed; a gap (this service fell
        # FEED_BUFFER reports behind) costs one rescan of every held post, which finds
        # whatever the missed reports asked for.
        async for delivery in reports:
            if isinstance(delivery, Gap):
                await rescan()
                continue
            messages = delivery.accepted
            posts = [m.id for m in messages if m.type in POST_TYPES and m.fields["gate"]]
            holders = [
                (m.author, None)
                for m in messages
                if m.type == "Profile" and m.fields["field"] == ENCRYPTION_KEY_FIELD and m.fields["value"]
            ]
            if posts or holders:
                work.add(posts, holders)
                ring()

    async def forward() -> None:
        assert transfers is not None
        async for transfer in transfers:
            if transfer.recipient != ZERO_ADDRESS:  # a sale burns to the zero address: nobody new holds
                work.add(holders=[(transfer.recipient, frozenset({transfer.token}))])
                ring()

    async def rescan() -> None:
        try:
            work.add(posts=await trio.to_thread.run_sync(keeper.vault.posts))
            ring()
        except StoreError as exc:
            log.warning("gating: reconciliation could not list held keys: %s", exc)

    async def reconcile() -> None:
        while True:
            await rescan()
            await trio.sleep(reconcile_interval)

    def handle(batch: Batch) -> None:
        for post_id in batch.posts:
            try:
                keeper.grant_post(post_id)
            except InvalidInput as exc:  # the post's own fault (a gate this node cannot check)
                log.warning("gating: cannot grant post 0x%s: %s", post_id.hex()[:12], exc)
        keeper.grant_holders(batch.holders)

    async with trio.open_nursery() as nursery:
        if feed is None:
            feed = await nursery.start(accepted.serve, keeper.store)
        with feed.subscription("grant work", FEED_BUFFER) as reports:
            nursery.start_soon(follow, reports)
            if transfers is not None:
                nursery.start_soon(forward)
            nursery.start_soon(reconcile)
            task_status.started(work)
            async for _ in doorbell:
                while batch := work.take(int(holder_batch)):
                    try:
                        await trio.to_thread.run_sync(handle, batch)
                    except (ChainError, StoreError) as exc:
                        work.put_back(batch)
                        log.warning("gating: grant work failed, retrying in %.1fs: %s", retry_interval, exc)
                        await trio.sleep(retry_interval)
                    else:
                        work.done(batch)
