"""Peer-to-peer: a libp2p host, gossipsub propagation and negentropy set reconciliation.

Layout: ``negentropy`` is the pure reconciliation protocol (v1 wire format) and its storage;
``framing`` the length-prefixed frames, message batches and the one budget packer (gossip,
sync PUSH and WANT replies fill batches with it); ``host`` the libp2p host
(identity, noise, yamux); ``inbound`` the limits on connections other nodes open to us
(caps per IP and in total, handshake deadline, idle timeout, IP cool-down); ``logs`` one
throttled line per peer-caused event; ``peers`` fault points, bans, backoff and sync state;
``gossip`` the topics (one per scope), relay rule and outbound batching; ``sync`` the ``/mecenate/sync/2.0.0``
protocol (its spec is the module docstring); ``index`` the in-memory sync index (sorted keys in
chunks, changed key by key). The running service: ``config`` (the fixed numbers; what an
operator tunes is :class:`node.config.P2PSettings`), ``bridge`` (the store in worker threads;
the index kept in step from the store's reports), ``relay`` (gossip validators and sender), ``topics`` (the topics joined, one per scope served),
``peering`` (dialling, faults, bans), ``peerlist`` (the ``/mecenate/peers/1.0.0`` peer lists:
its spec is the module docstring), ``discovery`` (peering by scope: peers kept per community
served), ``session`` (one sync session's bookkeeping, either
side), ``status`` (counters, peer table), and ``service``, which ties them into one trio service.

Start it from the node service, after the accepted-messages feed (:mod:`node.accepted`)::

    p2p = await nursery.start(serve, settings.p2p, data_dir, chain_id, store, feed)  # -> P2PNode
    p2p.status()  # for /v1/status and `mecenate peers`
"""

from node.p2p.gossip import topic_for
from node.p2p.peers import SyncState
from node.p2p.service import P2PNode, serve
from node.p2p.sync import SYNC_PROTOCOL

__all__ = ["SYNC_PROTOCOL", "P2PNode", "SyncState", "serve", "topic_for"]
