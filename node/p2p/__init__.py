"""Peer-to-peer: a libp2p host, gossipsub propagation and negentropy set reconciliation.

Layout: ``negentropy`` is the pure reconciliation protocol (v1 wire format) and its storage;
``framing`` the length-prefixed frames, message batches and the one budget packer (gossip,
sync PUSH and WANT replies fill batches with it); ``host`` the libp2p host
(identity, noise, yamux); ``inbound`` the limits on connections other nodes open to us
(caps per IP and in total, handshake deadline, idle timeout, IP cool-down); ``logs`` one
throttled line per peer-caused event; ``peers`` fault points, bans, backoff and sync state;
``gossip`` the topic, relay rule and outbound batching; ``sync`` the ``/mecenate/sync/1.0.0`` protocol (its spec is
the module docstring); ``service`` ties them into one trio service.

Start it from the node service::

    config = P2PConfig.from_settings(settings)
    p2p = await nursery.start(serve, config, store)   # -> P2PNode
    p2p.status()                                      # for /v1/status and `mecenate peers`
"""

from node.p2p.gossip import topic_for
from node.p2p.peers import SyncState
from node.p2p.service import P2PConfig, P2PNode, serve
from node.p2p.sync import SYNC_PROTOCOL

__all__ = ["SYNC_PROTOCOL", "P2PConfig", "P2PNode", "SyncState", "serve", "topic_for"]
