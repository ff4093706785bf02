"""Live propagation over gossipsub: one topic per chain id, verify-and-merge before relay.

Payload of every gossip message: one ``Batch`` (``node.p2p.framing``) of wire-form messages.

Relay rule (the topic validator, which gossipsub runs before it relays anything):

* our own publishes pass (their messages are already in our store);
* a payload that is not a well-formed batch: dropped, 5 fault points to the forwarder;
* otherwise the batch is merged into the store first; if any message is forged or malformed
  (a fault reason, see ``node.p2p.sync.FAULT_REASONS``) the batch is dropped and each such
  message costs the forwarder 1 point; a batch with nothing new is dropped silently (whoever
  sent it to us has relayed it already); otherwise it is relayed as is.

Outbound: messages accepted from the API wait in a bounded queue; one sender task publishes
whatever is queued as a single batch (up to ``MAX_GOSSIP_BYTES``), so a burst travels in few
frames while a lone message leaves at once. py-libp2p writes a whole pubsub RPC with one
noise write, which fails above 65,535 bytes: batches stay well under that.
"""

from __future__ import annotations

import logging

__all__ = ["topic_for", "MAX_GOSSIP_BYTES", "MAX_GOSSIP_COUNT"]

log = logging.getLogger(__name__)

MAX_GOSSIP_BYTES = 48 * 1024
MAX_GOSSIP_COUNT = 512


def topic_for(chain_id: int) -> str:
    """The gossipsub topic of a network: ``mecenate/<chainId>/messages``."""
    return f"mecenate/{chain_id}/messages"
