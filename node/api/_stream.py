"""Fan-out of accepted messages to live subscribers (the SSE stream).

The store calls its listeners from whichever thread ingested (an API worker thread, or the
trio thread for gossip and sync), so the hand-off goes through ``TrioToken.run_sync_soon``,
which is safe from any thread. Each subscriber has its own bounded buffer; one that falls
behind by more than ``buffer`` messages is cut off rather than slowing everyone else.
"""

from __future__ import annotations

import trio

from node.messages import SignedMessage


class Broadcaster:
    def __init__(self, buffer: int = 1024) -> None:
        self._buffer = buffer
        self._token: trio.lowlevel.TrioToken | None = None
        self._subscribers: set[trio.MemorySendChannel[SignedMessage]] = set()

    def bind(self) -> None:
        """Attach to the running trio loop; call once from inside it before publishing."""
        self._token = trio.lowlevel.current_trio_token()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, messages: list[SignedMessage]) -> None:
        """Queue ``messages`` for every subscriber; callable from any thread."""
        if self._token is None or not self._subscribers:
            return
        try:
            self._token.run_sync_soon(self._fan_out, messages)
        except trio.RunFinishedError:
            pass

    def _fan_out(self, messages: list[SignedMessage]) -> None:
        for send in list(self._subscribers):
            try:
                for m in messages:
                    send.send_nowait(m)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.discard(send)
                send.close()

    def subscribe(self) -> trio.MemoryReceiveChannel[SignedMessage]:
        send, receive = trio.open_memory_channel[SignedMessage](self._buffer)
        self._subscribers.add(send)
        return receive
