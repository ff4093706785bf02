"""What the p2p service is configured with: :class:`P2PConfig` and the protocol's fixed numbers.

``P2PConfig`` is a pydantic dataclass: its field types carry the validation (a non-positive
interval or an empty queue is refused when it is built, with pydantic's ``ValidationError``
naming the field), as the node's settings (:class:`node.config.P2PSettings`) do for what an
operator configures; :meth:`P2PConfig.from_settings` maps those onto it. The constants below
are part of how the service behaves rather than knobs: each says where its value comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, PositiveFloat, PositiveInt
from pydantic.dataclasses import dataclass

from node.config import Settings
from node.p2p.inbound import InboundLimits

__all__ = ["P2PConfig"]

# -- gossipsub (py-libp2p's GossipSub; the spec's defaults D=6, D_lo=4, D_hi=12) ----------------

#: Peers a node keeps in its topic mesh, and the bounds that trigger grafting or pruning.
GOSSIP_DEGREE = 6
GOSSIP_DEGREE_LOW = 4
GOSSIP_DEGREE_HIGH = 12
#: Seconds before the first heartbeat: the mesh fills only at a heartbeat, and gossipsub drops
#: what is published before it has mesh peers.
GOSSIP_FIRST_HEARTBEAT = 0.1
#: Seconds a topic we publish to without subscribing keeps its fanout peers (py-libp2p's
#: ``time_to_live``; we always subscribe, so this matters only while subscribing).
GOSSIP_FANOUT_TTL = 30

# -- dialling, sessions and loops ------------------------------------------------------------------

#: Upper bound on one dial of a bootstrap peer.
DIAL_TIMEOUT = 10.0
#: How often a connected (or banned) bootstrap peer is looked at again.
RECONNECT_CHECK_SECONDS = 0.5
#: Upper bound on opening a sync stream to a connected peer (protocol negotiation included).
OPEN_STREAM_TIMEOUT = 15.0
#: The dialler of a new connection starts its first sync this long after the connection is
#: up, so both sides have registered it (and the peer its stream handler).
FIRST_SYNC_DELAY = 0.2
#: Periodic sync rounds are spread over +-20 % of ``sync_interval``, so peers do not align.
SYNC_JITTER = 0.2
#: How often expired bans are lifted.
BAN_CHECK_SECONDS = 1.0
#: Upper bound on telling a misbehaving peer why its session ends, and on resetting a stream.
GOODBYE_TIMEOUT = 1.0
#: A long-lived loop that failed is restarted after this pause.
RESTART_DELAY = 1.0


@dataclass(frozen=True)
class P2PConfig:
    """Inputs of the p2p service; :meth:`from_settings` maps the node's settings onto it."""

    data_dir: Path
    chain_id: int
    listen: str = "/ip4/127.0.0.1/tcp/4001"
    bootstrap: tuple[str, ...] = ()
    #: Seconds between periodic sync rounds with each connected peer.
    sync_interval: PositiveFloat = 30.0
    #: Seconds between gossipsub heartbeats (mesh upkeep; py-libp2p's default is 120).
    gossip_heartbeat: PositiveFloat = 1.0
    #: Fault points (decaying, see :class:`~node.p2p.peers.PeerBook`) that get a peer banned.
    fault_threshold: PositiveFloat = 20.0
    ban_seconds: PositiveFloat = 300.0
    #: Messages accepted through the API waiting to be gossiped; past it, they reach peers by
    #: sync instead (counted as ``dropped_outbound``, and a sync round starts at once).
    gossip_queue: PositiveInt = 10_000
    #: Store reports (ingest batches) the service may fall behind by before it resyncs its
    #: sync index from the store in a worker thread (see :mod:`node.accepted`).
    feed_buffer: PositiveInt = 1024
    inbound: InboundLimits = Field(default_factory=InboundLimits)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> P2PConfig:
        p2p = settings.p2p
        values: dict[str, Any] = dict(
            data_dir=Path(settings.data_dir),
            chain_id=settings.chain_id,
            listen=p2p.listen,
            bootstrap=tuple(p2p.bootstrap),
            sync_interval=p2p.sync_interval_seconds,
            inbound=InboundLimits(
                handshake_timeout=p2p.handshake_timeout_seconds,
                idle_timeout=p2p.idle_timeout_seconds,
                max_inbound=p2p.max_inbound_connections,
                max_per_ip=p2p.max_connections_per_ip,
                ip_cooldown=p2p.ip_cooldown_seconds,
            ),
        )
        values.update(overrides)
        return cls(**values)
