"""Fan-out of accepted messages to live subscribers (the SSE stream).

The store calls its listeners from whichever thread ingested (an API worker thread, or the
event-loop thread for gossip and sync), so the hand-off goes through the loop's thread-safe
"call soon" (``TrioToken.run_sync_soon`` under trio, ``call_soon_threadsafe`` under asyncio,
which test tools use). Each subscriber has its own bounded buffer; one that falls behind by
more than ``buffer`` messages is cut off rather than slowing everyone else.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import anyio
import sniffio
import trio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from node.messages import SignedMessage


def _call_soon_threadsafe() -> Callable[..., Any]:
    if sniffio.current_async_library() == "trio":
        return trio.lowlevel.current_trio_token().run_sync_soon
    return asyncio.get_running_loop().call_soon_threadsafe


class Broadcaster:
    def __init__(self, buffer: int = 1024) -> None:
        self._buffer = buffer
        self._call_soon: Callable[..., Any] | None = None
        self._subscribers: set[MemoryObjectSendStream[SignedMessage]] = set()

    def bind(self) -> None:
        """Attach to the running event loop; call once from inside it before publishing."""
        self._call_soon = _call_soon_threadsafe()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, messages: list[SignedMessage]) -> None:
        """Queue ``messages`` for every subscriber; callable from any thread."""
        if self._call_soon is None or not self._subscribers:
            return
        try:
            self._call_soon(self._fan_out, messages)
        except (trio.RunFinishedError, RuntimeError):  # the loop has ended: nobody is listening
            pass

    def _fan_out(self, messages: list[SignedMessage]) -> None:
        for send in list(self._subscribers):
            try:
                for m in messages:
                    send.send_nowait(m)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.discard(send)
                send.close()

    def subscribe(self) -> MemoryObjectReceiveStream[SignedMessage]:
        """A receive stream of every message published from now on; close it to unsubscribe."""
        send, receive = anyio.create_memory_object_stream[SignedMessage](self._buffer)
        self._subscribers.add(send)
        return receive
