"""One sync session's bookkeeping, the same whichever side opened it.

Both sides of ``/mecenate/sync/2.0.0`` (:mod:`node.p2p.sync`: ``run_client`` when we dial,
``run_server`` when the peer does) need the same around the protocol: refuse a banned peer
or one with ``MAX_SESSIONS_PER_PEER`` sessions open, count the session while it runs, record
its :class:`~node.p2p.peers.SyncState` on the peer, close the stream when it went well and
reset it when not, count a fault when the peer broke the protocol, and log one line.
:class:`Sessions` does that once for both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from node.errors import PeerMisbehaved, StoreError
from node.p2p import sync as _sync
from node.p2p.config import GOODBYE_TIMEOUT, OPEN_STREAM_TIMEOUT
from node.p2p.framing import StreamBroken
from node.p2p.peers import FAULT_PROTOCOL, PeerBook, SyncState

log = logging.getLogger(__name__)

__all__ = ["INBOUND", "OUTBOUND", "Sessions", "reset"]

OUTBOUND, INBOUND = "outbound", "inbound"

#: The protocol side run on an open stream (``sync.run_client`` or ``sync.run_server``).
Protocol = Callable[[Any, SyncState], Awaitable[None]]


async def reset(stream: Any) -> None:
    """Reset ``stream`` (if any), giving up after ``GOODBYE_TIMEOUT``; never raises."""
    if stream is None:
        return
    try:
        with trio.move_on_after(GOODBYE_TIMEOUT):
            await stream.reset()
    except Exception:
        pass


async def _tell_why(stream: Any, exc: PeerMisbehaved) -> None:
    try:
        with trio.move_on_after(GOODBYE_TIMEOUT):
            await _sync._send(stream, _sync.ERROR, str(exc)[: _sync.ERROR_TEXT].encode())
    except Exception:
        pass


class Sessions:
    """Runs sync sessions with the bookkeeping above; ``penalize(peer_id, points, why)`` counts
    a fault (see :meth:`node.p2p.peering.Peering.penalize`); ``again(peer_id)`` starts the sync
    asked for while sessions with the peer ran (:attr:`~node.p2p.peers.PeerState.sync_again`),
    once the last of them ends."""

    def __init__(
        self,
        peers: PeerBook,
        penalize: Callable[[str, float, str], Awaitable[None]],
        again: Callable[[str], None],
    ) -> None:
        self._peers = peers
        self._penalize = penalize
        self._again = again

    async def run(
        self,
        peer_id: str,
        direction: str,
        protocol: Protocol,
        *,
        stream: Any = None,
        open_stream: Callable[[], Awaitable[Any]] | None = None,
    ) -> SyncState:
        """One session with ``peer_id`` over ``stream`` (inbound) or a stream from
        ``open_stream()`` (outbound); returns its outcome. Never raises an error of the
        session's (a failure is the returned state's ``error``)."""
        peer = self._peers.get(peer_id)
        state = SyncState(state="running", direction=direction, started_at=time.time())
        if self._peers.is_banned(peer_id) or peer.active_sessions >= _sync.MAX_SESSIONS_PER_PEER:
            state.state, state.error = "failed", "busy or banned"
            await reset(stream)
            return state
        peer.active_sessions += 1
        peer.sync = state
        try:
            if stream is None:
                assert open_stream is not None, "an outbound session needs open_stream"
                with trio.fail_after(OPEN_STREAM_TIMEOUT):
                    stream = await open_stream()
            await protocol(stream, state)
            state.state = "ok"
            peer.last_sync_ok = time.monotonic()
            await stream.close()
        except PeerMisbehaved as exc:
            state.state, state.error = "failed", str(exc)
            if direction == INBOUND:
                await _tell_why(stream, exc)
            await reset(stream)
            await self._penalize(peer_id, FAULT_PROTOCOL, f"sync: {exc}")
        except (StreamBroken, trio.TooSlowError) as exc:
            state.state, state.error = "failed", str(exc) or "timed out"
            await reset(stream)
        except StoreError as exc:  # ours, not the peer's: say so loudly
            state.state, state.error = "failed", f"local store: {exc}"
            log.error("sync with %s stopped: the local store failed: %s", peer_id, exc)
            await reset(stream)
        except Exception as exc:  # libp2p dial, negotiation and stream errors
            state.state, state.error = "failed", f"{type(exc).__name__}: {exc}"
            log.debug("sync with %s failed", peer_id, exc_info=True)
            await reset(stream)
        finally:
            peer.active_sessions -= 1
            state.finished_at = time.time()
        if peer.sync_again and not peer.active_sessions:  # not when cancelled: the node stops
            peer.sync_again = False
            self._again(peer_id)
        log.info(
            "sync with %s (%s): %s (rounds %d, need %d, have %d, received %d, %d B in, %d B out)%s",
            peer_id,
            direction,
            state.state,
            state.rounds,
            state.need,
            state.have,
            state.received,
            state.bytes_in,
            state.bytes_out,
            f" {state.error}" if state.error else "",
        )
        return state
