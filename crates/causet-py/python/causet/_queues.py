"""Queue and pipe wrappers that stamp on ``put``/``send`` and merge on ``get``/``recv``.

They wrap ``multiprocessing.Queue``, ``queue.Queue`` (anything with ``put`` and ``get``)
and ``multiprocessing.Pipe``'s connections: each item travels with the sender's clock, as
bytes from :meth:`causet.Node.prepare_send`, and the receiver's node merges it. The
wrappers hold only the wrapped queue, so they pass to ``multiprocessing.Process`` and
``threading.Thread`` like the queue itself.
"""

from __future__ import annotations

import multiprocessing
from typing import Any, Optional

from causet._node import Node, current_node

_TEXT = 60


def _shown(item: Any) -> str:
    text = repr(item)
    return text if len(text) <= _TEXT else text[: _TEXT - 1] + "…"


class Queue:
    """A queue whose ``put`` stamps with the current node and whose ``get`` merges.

    ``Queue()`` wraps a new ``multiprocessing.Queue``; ``Queue(queue.Queue())`` wraps any
    queue with ``put`` and ``get``. ``put(item)`` logs ``put ITEM`` (a send),
    ``get()`` logs ``get ITEM`` (a receive); ``text=`` chooses the event's text, ``node=``
    the node (default: :func:`causet.current_node`).
    """

    def __init__(self, queue: Any = None) -> None:
        self.queue = multiprocessing.Queue() if queue is None else queue

    def put(
        self,
        item: Any,
        block: bool = True,
        timeout: Optional[float] = None,
        *,
        node: Optional[Node] = None,
        text: Optional[str] = None,
    ) -> None:
        """Logs a send on ``node`` (default: the current node) and puts ``item`` with its stamp."""
        node = node or current_node()
        stamp = node.prepare_send(text if text is not None else f"put {_shown(item)}")
        self.queue.put((stamp, item), block, timeout)

    def get(
        self,
        block: bool = True,
        timeout: Optional[float] = None,
        *,
        node: Optional[Node] = None,
        text: Optional[str] = None,
    ) -> Any:
        """Gets an item, merges its stamp into ``node`` (default: the current node), logs the receive."""
        node = node or current_node()
        stamp, item = self.queue.get(block, timeout)
        node.unpack_receive(text if text is not None else f"get {_shown(item)}", stamp)
        return item

    def empty(self) -> bool:
        """The wrapped queue's ``empty()``."""
        return self.queue.empty()

    def qsize(self) -> int:
        """The wrapped queue's ``qsize()``."""
        return self.queue.qsize()


class Connection:
    """One end of :func:`Pipe`: ``send`` stamps, ``recv`` merges (as :class:`Queue`)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def send(self, item: Any, *, node: Optional[Node] = None, text: Optional[str] = None) -> None:
        """Logs a send on ``node`` (default: the current node) and sends ``item`` with its stamp."""
        node = node or current_node()
        stamp = node.prepare_send(text if text is not None else f"send {_shown(item)}")
        self.connection.send((stamp, item))

    def recv(self, *, node: Optional[Node] = None, text: Optional[str] = None) -> Any:
        """Receives an item, merges its stamp into ``node`` (default: the current node), logs it."""
        node = node or current_node()
        stamp, item = self.connection.recv()
        node.unpack_receive(text if text is not None else f"recv {_shown(item)}", stamp)
        return item

    def poll(self, timeout: Optional[float] = 0.0) -> bool:
        """The wrapped connection's ``poll()``."""
        return self.connection.poll(timeout)

    def close(self) -> None:
        """Closes the wrapped connection."""
        self.connection.close()


def Pipe(duplex: bool = True) -> tuple[Connection, Connection]:  # noqa: N802 (multiprocessing's name)
    """``multiprocessing.Pipe`` with both ends wrapped in :class:`Connection`."""
    a, b = multiprocessing.Pipe(duplex)
    return Connection(a), Connection(b)
