"""causet: vector clocks, GoVector-style logging and happens-before analysis, with a Rust core.

>>> from causet import VectorClock, Causality
>>> a = VectorClock(); a.tick("alice")
1
>>> b = a.copy(); b.tick("bob")
1
>>> a < b, a.compare(b)
(True, Causality.BEFORE)

- :class:`VectorClock`: a clock keyed by node name (``tick``, ``merge``, ``compare``).
- :class:`Node`: GoVector's API (``prepare_send``, ``unpack_receive``, ``log_local``),
  one log file per node; ``with Node(...)`` also makes it the thread's current node,
  which :class:`Queue` and :func:`Pipe` stamp with.
- :class:`Process` and :class:`Thread`: ``multiprocessing.Process`` and
  ``threading.Thread`` whose start and join are messages, each worker a node of its own.
- :func:`read_log`, :func:`merge_logs`, :func:`view`: the logs, as ``causet`` reads them.
- :mod:`causet.trace` and :func:`races`: shared-memory traces of threading programs and
  their happens-before data races.
"""

from causet._causality import Causality
from causet._causet import (
    Event,
    Execution,
    Race,
    RaceReport,
    VectorClock,
    __version__,
    merge_logs,
    read_log,
    view,
)
from causet._lesson import Process, Thread
from causet._node import Node, current_node, log_local
from causet._queues import Connection, Pipe, Queue
from causet.trace import races

__all__ = [
    "Causality",
    "Connection",
    "Event",
    "Execution",
    "Node",
    "Pipe",
    "Process",
    "Queue",
    "Race",
    "RaceReport",
    "Thread",
    "VectorClock",
    "__version__",
    "current_node",
    "log_local",
    "merge_logs",
    "races",
    "read_log",
    "view",
]
