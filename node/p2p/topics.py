"""The gossip topics this node has joined: one per scope it serves (:mod:`node.p2p.gossip`).

A node serving some communities joins the base topic and theirs when it starts, and joins or
leaves a community's topic when it starts or stops serving it at run time. A node serving
every community cannot list them: it joins the topic of each community a peer announces (so it
relays between peers of that community; peers announce their topics when they connect), of each
community a message it accepts names (a charter, a membership, a post: :meth:`Topics.learn`)
and of each it publishes in, up to ``p2p.max_topics`` community topics; past that, those
communities reach it by sync only. Joining a topic sets its
validator first (it admits that scope's messages alone), then subscribes, then reads the
subscription forever.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from node.messages import SignedMessage
from node.messages.scope import BASE, Scopes, community_named, scope_name
from node.p2p.gossip import GuardedPubsub, scope_of_topic, topic_for

log = logging.getLogger(__name__)

__all__ = ["Topics"]


class Topics:
    """Joins the topics of the scopes this node serves, once each."""

    def __init__(
        self,
        pubsub: GuardedPubsub,
        chain_id: int,
        served: Callable[[], Scopes],
        max_topics: int,
        *,
        validator: Callable[[bytes], Callable[[Any, Any], Awaitable[bool]]],
        drain: Callable[[Any], Awaitable[None]],
        start: Callable[..., None],
    ) -> None:
        self._pubsub = pubsub
        self._chain_id = chain_id
        self._served = served  # served(): the scopes the node serves now
        self._max_topics = max_topics
        self._validator = validator  # validator(scope): the topic validator of scope's topic
        self._drain = drain  # drain(subscription): reads it forever
        self._start = start  # start(fn, *args): runs fn in the service's nursery
        self._joined: set[bytes] = set()

    def joined(self) -> list[str]:
        """The topics joined, sorted."""
        return sorted(topic_for(self._chain_id, s) for s in self._joined)

    async def join_served(self) -> None:
        """Join the base topic and the topic of each community served by name; serving every
        community, also the topics peers announced before this ran."""
        for scope in (BASE, *sorted(self._served().communities or ())):
            await self.join(scope)
        for topic in list(self._pubsub.peer_topics):
            self.on_peer_topic(topic)

    async def join(self, scope: bytes) -> str | None:
        """``scope``'s topic, joined now if it was not; ``None`` if this node does not serve
        the scope or holds ``max_topics`` community topics already."""
        topic = topic_for(self._chain_id, scope)
        if scope in self._joined:
            return topic
        served = self._served()
        if not served.serves(scope):
            return None
        if scope != BASE and served.everything and len(self._joined) > self._max_topics:
            log.warning(
                "not joining the topic of %s: %d topics joined already", scope_name(scope), self._max_topics
            )
            return None
        self._joined.add(scope)  # before the await: a second join of the same scope returns
        try:
            self._pubsub.set_topic_validator(topic, self._validator(scope), True)
            subscription = await self._pubsub.subscribe(topic)
        except BaseException:
            self._joined.discard(scope)
            self._pubsub.remove_topic_validator(topic)
            raise
        self._start(self._drain, subscription)
        return topic

    def learn(self, messages: list[SignedMessage]) -> None:
        """Serving every community: join the topic of each community ``messages`` name."""
        if not self._served().everything:
            return
        for community in {community_named(m) for m in messages} - {None}:
            if community not in self._joined:
                self._start(self.join, community)

    def on_peer_topic(self, topic: str) -> None:
        """A peer announced ``topic``: join it if it is the topic of a scope this node serves."""
        scope = scope_of_topic(self._chain_id, topic)
        if scope is not None and scope not in self._joined and self._served().serves(scope):
            self._start(self.join, scope)

    async def leave(self, scope: bytes) -> None:
        """Leave ``scope``'s topic, if joined (never the base topic): peers are told, the
        topic's reader ends, and what still arrives on it is not validated (nor relayed)."""
        if scope == BASE or scope not in self._joined:
            return
        topic = topic_for(self._chain_id, scope)
        self._joined.discard(scope)
        await self._pubsub.unsubscribe(topic)
        self._pubsub.remove_topic_validator(topic)
