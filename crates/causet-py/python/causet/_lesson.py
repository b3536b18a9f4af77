"""``causet.Process`` and ``causet.Thread``: a start and a join that are messages.

Drop-in ``multiprocessing.Process`` and ``threading.Thread``: ``start()`` logs a send on the
starting thread's current node, the new process or thread runs its target inside a node of
its own (named after it, logging beside the starter's log) whose first event receives that
send, and its last event (``exit``) is a send that the ``join()``-ing thread's current node
receives. So the start happens before everything the worker does, and everything it did
happens before the join: the fork and join edges of happens-before, in the merged log.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from typing import Any, Optional

from causet._node import Node, current_node


def _node_name(name: str) -> str:
    """A thread's or process's name as a node name (``Thread-1 (worker)`` → ``Thread-1-worker``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:64] or "worker"


class _Worker:
    """What Process and Thread share: the node, the start stamp, the join."""

    _causet_node: str
    _causet_log: Optional[str]
    _causet_start: Optional[bytes]
    _causet_joined: bool

    def _causet_init(self, log_dir: Optional[str]) -> None:
        self._causet_log_dir = log_dir
        self._causet_start = None
        self._causet_joined = False

    def _causet_before_start(self) -> None:
        starter = current_node()
        self._causet_node = _node_name(self.name)  # type: ignore[attr-defined]
        directory = self._causet_log_dir or os.path.dirname(os.path.abspath(starter.log_path))
        self._causet_log = os.path.join(directory, f"{self._causet_node}.log")
        self._causet_starter = starter.name
        self._causet_start = starter.prepare_send(f"start {self._causet_node}")

    def _causet_run(self, run: Any, deliver: Any) -> None:
        """Runs `run` inside the worker's node; the exit stamp goes to `deliver`, also when
        `run` raises."""
        with Node(self._causet_node, self._causet_log) as node:
            node.unpack_receive(f"started by {self._causet_starter}", self._causet_start)
            try:
                run()
            finally:
                deliver(node.prepare_send("exit"))

    def _causet_after_join(self, final: Optional[bytes], alive: bool) -> None:
        if alive or self._causet_joined or self._causet_start is None:
            return
        self._causet_joined = True
        node = current_node()
        if final is None:
            node.log_local(f"join {self._causet_node} (it sent no exit stamp)")
        else:
            node.unpack_receive(f"join {self._causet_node}", final)


class Process(_Worker, multiprocessing.Process):
    """``multiprocessing.Process`` whose start and join are messages (see the module).

    ``log_dir`` is where the process's node logs (``NAME.log``); by default beside the
    starter's log. ``start()`` and ``join()`` need a current node (``with causet.Node(...)``).
    """

    def __init__(self, *args: Any, log_dir: Optional[str] = None, **kwargs: Any) -> None:
        multiprocessing.Process.__init__(self, *args, **kwargs)
        self._causet_init(log_dir)
        self._causet_exit_reader, self._causet_exit_writer = multiprocessing.Pipe(duplex=False)

    def start(self) -> None:
        """Logs the start on the current node, then starts the process."""
        self._causet_before_start()
        multiprocessing.Process.start(self)

    def run(self) -> None:
        """Runs the target inside the process's own node."""
        self._causet_run(lambda: multiprocessing.Process.run(self), self._causet_exit_writer.send_bytes)

    def join(self, timeout: Optional[float] = None) -> None:
        """Joins the process; the first join that sees it ended receives its exit stamp."""
        multiprocessing.Process.join(self, timeout)
        alive = self.exitcode is None
        final = None
        if not alive and not self._causet_joined and self._causet_exit_reader.poll():
            final = self._causet_exit_reader.recv_bytes()
        self._causet_after_join(final, alive)


class Thread(_Worker, threading.Thread):
    """``threading.Thread`` whose start and join are messages (see the module).

    ``log_dir`` is where the thread's node logs (``NAME.log``); by default beside the
    starter's log. ``start()`` and ``join()`` need a current node (``with causet.Node(...)``).
    """

    def __init__(self, *args: Any, log_dir: Optional[str] = None, **kwargs: Any) -> None:
        threading.Thread.__init__(self, *args, **kwargs)
        self._causet_init(log_dir)
        self._causet_final: Optional[bytes] = None

    def start(self) -> None:
        """Logs the start on the current node, then starts the thread."""
        self._causet_before_start()
        threading.Thread.start(self)

    def run(self) -> None:
        """Runs the target inside the thread's own node."""
        self._causet_run(lambda: threading.Thread.run(self), lambda final: setattr(self, "_causet_final", final))

    def join(self, timeout: Optional[float] = None) -> None:
        """Joins the thread; the first join that sees it ended receives its exit stamp."""
        threading.Thread.join(self, timeout)
        self._causet_after_join(self._causet_final, self.is_alive())
