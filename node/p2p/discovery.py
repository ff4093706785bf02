"""Peering by scope: nodes serving a community find each other and connect.

A community's messages travel by gossip on its topic and by sync of the scopes two peers
share, so they reach only the nodes serving it that are connected through nodes serving it.
In a random topology those are rarely all of them. So every node keeps, for each community it
serves, ``p2p.scope_peers`` connections to peers that serve it too:

* it learns of other nodes (peer id, scopes served, listen addresses) from its connected peers
  over ``/mecenate/peers/1.0.0`` (:mod:`node.p2p.peerlist`): right after it dials a peer, then
  every ``p2p.peer_exchange_seconds`` with each connected peer (at most ``ASKS_PER_ROUND`` at a
  time); what it learns goes into the :class:`~node.p2p.peers.PeerBook`, as does what a peer
  says of itself in a sync's SCOPES frame;
* after each round of asking (and as soon as a peer list told it something new), it counts,
  for each community it serves, the connected peers serving it, and dials known peers for the
  communities short of ``scope_peers`` (:func:`plan_dials`: the peers serving the most of
  them first), at most ``DIALS_PER_ROUND`` at a time and ``p2p.max_scope_connections`` in
  all, with :class:`~node.p2p.peering.Peering`'s dial backoff per peer.

A node serving every community counts the communities its peers' records name (at most
``MAX_WANTED`` of them a round, drawn at random) and stops at ``max_scope_connections`` like any
other: it does not dial the network.

Peer lists are not signed, so what a node passes on is bounded to what it checked: a reply
names only peers this node heard from themselves (it was connected to them), a second-hand
record whose dial fails is forgotten, rounds are at least ``MIN_ROUND_SECONDS`` apart however
often peer lists wake them, and a peer asking again within half of
``peer_exchange_seconds`` is not answered. A made-up record so costs one dial, on one node.
The scopes served are read at every use: a scope added or removed at run time changes what the
node dials for and what its own record says at the next round (which the change starts). Connections are not pruned; a peer that leaves is
replaced at the next round. Every step is bounded (records kept, records per reply, asks and
dials per round, a deadline on each exchange and dial), and runs on the trio loop.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID

from node.config import P2PSettings
from node.errors import PeerMisbehaved
from node.messages.scope import Scopes
from node.p2p.peering import Peering
from node.p2p.peerlist import MAX_RECORDS, PEERS_PROTOCOL, answer, ask
from node.p2p.peers import FAULT_PROTOCOL, JITTER, PeerRecord, jittered
from node.p2p.session import reset

log = logging.getLogger(__name__)

__all__ = ["ScopePeering", "plan_dials"]

#: Peers asked for their lists at once, in one round.
ASKS_PER_ROUND = 8
#: Peers dialled at once, in one round.
DIALS_PER_ROUND = 4
#: Upper bound on one peer-list exchange, stream opening included.
EXCHANGE_TIMEOUT = 15.0
#: Most communities a node serving all of them looks at in one round.
MAX_WANTED = 256
#: Least seconds between two rounds, however often peer lists bring news.
MIN_ROUND_SECONDS = 1.0
#: Addresses a node never tells others it listens at (a listener on every interface).
UNSPECIFIED = ("/ip4/0.0.0.0/", "/ip6/::/")


def plan_dials(short: dict[bytes, int], candidates: Sequence[tuple[str, Scopes]], budget: int) -> list[str]:
    """The candidates to dial, at most ``budget``, for the communities ``short`` of peers
    (community -> peers missing): each time the candidate serving the most communities still
    short (the first in ``candidates`` among equals), until none is short or no candidate
    serves one. Pure."""
    missing = {c: n for c, n in short.items() if n > 0}
    left = list(candidates)
    picks: list[str] = []
    while missing and left and len(picks) < budget:
        best = max(range(len(left)), key=lambda i: len(_covered(left[i][1], missing)))
        peer_id, scopes = left.pop(best)
        covered = _covered(scopes, missing)
        if not covered:
            break
        picks.append(peer_id)
        for community in covered:
            missing[community] -= 1
            if not missing[community]:
                del missing[community]
    return picks


def _covered(scopes: Scopes, missing: dict[bytes, int]) -> set[bytes]:
    """The communities of ``missing`` that ``scopes`` serves."""
    return set(missing) if scopes.communities is None else set(scopes.communities & missing.keys())


class ScopePeering:
    """Keeps peers for every community served (see the module docstring). Trio-thread only."""

    def __init__(
        self, host: Any, peering: Peering, scopes: Callable[[], Scopes], settings: P2PSettings
    ) -> None:
        self.host = host
        self.peering = peering
        self.peers = peering.peers
        self.scopes = scopes  # what the node serves now (it changes at run time)
        self.want = settings.scope_peers
        self.max_dialled = settings.max_scope_connections
        self.interval = settings.peer_exchange_seconds
        self._dialled: set[str] = set()  # connected peers dialled for peering by scope
        self._wake = trio.Event()

    @property
    def dialled(self) -> frozenset[str]:
        """The peers this node dialled for peering by scope (connected at the last round)."""
        return frozenset(self._dialled)

    def own_record(self) -> PeerRecord:
        """This node as its peer lists name it."""
        addrs = (str(a) for a in self.host.get_transport_addrs())
        return PeerRecord(
            self.peering.peer_id, self.scopes(), tuple(a for a in addrs if not a.startswith(UNSPECIFIED))
        )

    def wake(self) -> None:
        """Run a round now (the scopes served changed)."""
        self._wake.set()

    # -- the protocol, both sides -------------------------------------------------------------

    async def exchange(self, peer_id: ID) -> None:
        """Ask a connected peer for its list and learn from it. Never raises."""
        pid = peer_id.to_string()
        self.peers.get(pid).asked_at = time.monotonic()
        stream = None
        try:
            with trio.fail_after(EXCHANGE_TIMEOUT):
                stream = await self.host.new_stream(peer_id, [TProtocol(PEERS_PROTOCOL)])
                records = await ask(stream, self.own_record())
                await stream.close()
        except PeerMisbehaved as exc:
            await reset(stream)
            await self.peering.penalize(pid, FAULT_PROTOCOL, f"peer list: {exc}")
            return
        except Exception as exc:  # the stream failed or timed out, or the peer left
            await reset(stream)
            log.debug("peer-list exchange with %s failed: %s", pid, exc)
            return
        self.learn(pid, records)

    def learn(self, sender: str, records: Iterable[PeerRecord]) -> None:
        """Note ``sender``'s records: its own first hand, the others second hand."""
        new = False
        for record in records:
            if record.peer_id != self.peering.peer_id:
                new |= self.peers.heard(
                    record.peer_id,
                    scopes=record.scopes,
                    addrs=record.addrs,
                    first_hand=record.peer_id == sender,
                )
        if new:
            self._wake.set()

    async def handle(self, stream: INetStream) -> None:
        """Stream handler: answer one exchange. Never raises (that would kill the host)."""
        try:
            pid = stream.muxed_conn.peer_id.to_string()
            peer = self.peers.get(pid)
            now = time.monotonic()
            if self.peers.is_banned(pid) or now - peer.answered_at < self.interval / 2:
                await reset(stream)  # banned, or asking again too soon: not worth a reply
                return
            peer.answered_at = now
            try:
                with trio.fail_after(EXCHANGE_TIMEOUT):
                    record = await answer(stream, pid, self._reply_for)
                    await stream.close()
            except PeerMisbehaved as exc:
                await reset(stream)
                await self.peering.penalize(pid, FAULT_PROTOCOL, f"peer list: {exc}")
                return
            except Exception as exc:  # the stream failed or timed out
                await reset(stream)
                log.debug("answering a peer list to %s failed: %s", pid, exc)
                return
            self.learn(pid, [record])
        except Exception:
            log.exception("peer-list stream handler failed")

    def _reply_for(self, client: PeerRecord) -> list[PeerRecord]:
        others = self.peers.records(
            client.scopes,
            leave_out=(client.peer_id, self.peering.peer_id),
            limit=MAX_RECORDS - 1,
            first_hand=True,
        )
        return [self.own_record(), *others]

    # -- the loop -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: ask the connected peers due for it, then dial for the communities short of
        peers; again after ``peer_exchange_seconds``, or as soon as a peer list told something
        new. Returns at once when peering by scope is off (``scope_peers`` 0)."""
        if not self.want:
            return
        while True:
            self._wake = trio.Event()
            await self._ask_due()
            await self._dial_short()
            with trio.move_on_after(jittered(self.interval)):
                await trio.sleep(MIN_ROUND_SECONDS)
                await self._wake.wait()

    async def _ask_due(self) -> None:
        now = time.monotonic()
        due = [
            peer_id
            for peer_id in self.host.get_connected_peers()
            if now - self.peers.get(peer_id.to_string()).asked_at >= self.interval * (1 - JITTER)
        ]
        due.sort(key=lambda peer_id: self.peers.get(peer_id.to_string()).asked_at)
        async with trio.open_nursery() as nursery:
            for peer_id in due[:ASKS_PER_ROUND]:
                nursery.start_soon(self.exchange, peer_id)

    def short(self, connected: set[str]) -> dict[bytes, int]:
        """Community -> how many more connected peers serving it this node wants."""
        serving = [s for pid in connected if (s := self.peers.peek(pid).scopes) is not None]
        out = {}
        for community in self._wanted():
            have = sum(1 for s in serving if s.serves(community))
            if have < self.want:
                out[community] = self.want - have
        return out

    def _wanted(self) -> list[bytes]:
        """The communities to keep peers for: those served, or (serving all) those the known
        peers serve, at most ``MAX_WANTED`` of them."""
        communities = self.scopes().communities
        if communities is not None:
            return sorted(communities)
        known: set[bytes] = set()
        for p in self.peers.all():
            if p.scopes is not None and p.scopes.communities:
                known |= p.scopes.communities
        return random.sample(sorted(known), min(len(known), MAX_WANTED))

    async def _dial_short(self) -> None:
        connected = {peer_id.to_string() for peer_id in self.host.get_connected_peers()}
        self._dialled &= connected
        budget = min(DIALS_PER_ROUND, self.max_dialled - len(self._dialled))
        short = self.short(connected) if budget > 0 else {}
        if not short:
            return
        now, me = time.monotonic(), self.peering.peer_id
        candidates = [
            (p.peer_id, p.scopes)
            for p in self.peers.all()
            if p.scopes is not None
            and p.addrs
            and p.peer_id not in connected
            and p.peer_id != me
            and p.dial_after <= now
            and not self.peers.is_banned(p.peer_id)
        ]
        random.shuffle(candidates)  # among equals, spread the dials
        async with trio.open_nursery() as nursery:
            for peer_id in plan_dials(short, candidates, budget):
                nursery.start_soon(self._dial, peer_id)

    async def _dial(self, peer_id: str) -> None:
        if await self.peering.dial_known(peer_id):
            self._dialled.add(peer_id)
            log.info("connected to %s for peering by scope", peer_id)
        elif not self.peers.peek(peer_id).first_hand:
            self.peers.forget(peer_id)  # only heard of, and unreachable: told to nobody else
