"""``causet.Node`` with the thread's current node (for the queue and pipe wrappers)."""

from __future__ import annotations

import threading
from typing import Optional

from causet import _causet

_current = threading.local()


class Node(_causet.Node):
    """One node of a message-passing program: its vector clock and its own log file.

    ``Node(name, log_path)`` creates (truncates) ``log_path`` and logs every event in the
    GoVector format (``name {"a":1, "b":2}``, then the event's text), flushed after each
    event unless ``flush=False``. Every event ticks the node's own entry.

    - ``log_local(text)``: a local event.
    - ``prepare_send(text, payload)``: a send; returns the bytes to put on the wire (the
      payload with the clock attached).
    - ``unpack_receive(text, data)``: a receive of such bytes; merges their clock, returns
      the payload. Bytes that are not a message raise ``ValueError`` and change nothing.

    Used as a context manager (``with Node(...) as node:``), the node is also the
    *current node* of the thread inside the block (what :class:`causet.Queue`,
    :func:`causet.Pipe` and :func:`causet.log_local` use), and is closed at the end.

    Each process creates its own nodes (a node inherited through ``fork`` raises
    ``RuntimeError`` when used); a node is used by one thread at a time.

    Without ``cluster``, membership is open (GoVector's way): the node is causet-tracing's
    open node, whose messages Rust services instrumented with causet-tracing understand.
    ``cluster=[names]`` makes a node of a fixed cluster instead: it is then causet-runtime's
    node, whose messages ``causet node`` and Rust nodes of that cluster understand.
    """

    __slots__ = ()

    def __enter__(self) -> "Node":
        stack = _current.__dict__.setdefault("stack", [])
        stack.append(self)
        return self

    def __exit__(self, *exc: object) -> bool:
        stack = _current.__dict__.get("stack", [])
        if stack and stack[-1] is self:
            stack.pop()
        self.close()
        return False


def current_node() -> Node:
    """The innermost ``with Node(...)`` block's node of this thread.

    ``RuntimeError`` when there is none (or it belongs to another process).
    """
    stack = _current.__dict__.get("stack")
    if not stack:
        raise RuntimeError(
            "no current causet.Node in this thread: wrap the code in `with causet.Node(name, log_path):` "
            "or pass node= explicitly"
        )
    return stack[-1]


def log_local(text: str, node: Optional[Node] = None) -> None:
    """Logs a local event on ``node``, by default the current node."""
    (node or current_node()).log_local(text)
