"""The p2p service's fixed numbers: part of how it behaves rather than knobs, each saying where
its value comes from. What an operator tunes is :class:`node.config.P2PSettings`, read by the
service directly.
"""

from __future__ import annotations

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
#: Periodic sync rounds are spread over +-20 % of ``sync_interval_seconds``, so peers do not align.
SYNC_JITTER = 0.2
#: How often expired bans are lifted.
BAN_CHECK_SECONDS = 1.0
#: Upper bound on telling a misbehaving peer why its session ends, and on resetting a stream.
GOODBYE_TIMEOUT = 1.0
#: A long-lived loop that failed is restarted after this pause.
RESTART_DELAY = 1.0
