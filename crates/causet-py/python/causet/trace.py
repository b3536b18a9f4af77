"""Record a threading program as a RAPID STD trace, and find its data races.

Python threads share memory; what orders their accesses is synchronisation: a thread's
``start`` (fork), ``join``, and a lock's release followed by its next acquire. Record a
program by using the drop-in types of this module while a recording is active:

>>> import causet
>>> from causet import trace
>>> with trace.record() as recording:
...     glob_val = trace.Shared([], name="glob_val")
...     def worker(i):
...         glob_val.append(i)
...     threads = [trace.Thread(target=worker, args=(i,)) for i in range(3)]
...     for t in threads: t.start()
...     for t in threads: t.join()
>>> report = causet.races(recording)
>>> report.racy_variables
['glob_val']

- :class:`Thread`: ``threading.Thread`` whose ``start`` and ``join`` are recorded.
- :class:`Lock` (and :class:`RLock`): ``threading.Lock`` whose ``acquire`` and
  ``release`` are recorded (also as a context manager).
- :class:`Shared`: wraps an object (a list, dict, set, any object); calls of its methods
  are recorded as reads or writes of one variable (``append``, ``extend``, ``x[i] = v``, ...
  write; ``len``, iteration, ``x[i]``, ``print(x)`` ... read).

**The GIL is not synchronisation.** CPython's global interpreter lock makes a single
``list.append`` atomic, so the five appends of the lesson's threads never corrupt the list;
but nothing orders them: which thread appends first changes from run to run, and no
happens-before edge says otherwise. ``causet.races`` reports such unordered conflicting
accesses as races; a :class:`Lock` held around the accesses orders them and the report is
empty (so is a program whose threads are joined before the next one starts).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Callable, Iterator, Optional, Union

from causet import _causet

__all__ = ["Lock", "RLock", "Recording", "Shared", "Thread", "record", "races"]

# The recorder's own lock: never traced, held only while an event is appended (and while
# a Shared object's operation runs, so that the trace's order is the accesses' order).
# Re-entrant: an operation on one Shared object may use another (a list of Shared lists).
_guard = threading.RLock()
_active: Optional["Recording"] = None
_HERE = os.path.dirname(os.path.abspath(__file__))


class Recording:
    """The events recorded by :func:`record`, as STD lines (``T0|fork(T1)|file.py:12``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._names: dict[int, str] = {}
        self._threads = 0
        self._variables = 0
        self._locks = 0
        self._names[threading.get_ident()] = "T0"

    # Names ---------------------------------------------------------------------------
    def _thread_name(self) -> str:
        ident = threading.get_ident()
        name = self._names.get(ident)
        if name is None:  # a thread not started through causet.trace.Thread
            self._threads += 1
            name = self._names[ident] = f"T{self._threads}"
        return name

    def _new_thread(self) -> str:
        self._threads += 1
        return f"T{self._threads}"

    def _new_variable(self) -> str:
        self._variables += 1
        return f"v{self._variables}"

    def _new_lock(self) -> str:
        self._locks += 1
        return f"l{self._locks}"

    def _add(self, op: str, operand: str, thread: Optional[str] = None) -> None:
        """Appends one event (the caller holds ``_guard``)."""
        self.lines.append(f"{thread or self._thread_name()}|{op}({operand})|{_location()}")

    # Output --------------------------------------------------------------------------
    def text(self) -> str:
        """The trace in RAPID's STD format, one event a line."""
        return "".join(line + "\n" for line in self.lines)

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes :meth:`text` to ``path`` (for ``causet races PATH``)."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.text())

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.lines))

    def __enter__(self) -> "Recording":
        global _active
        with _guard:
            if _active is not None:
                raise RuntimeError("a causet.trace recording is already active")
            _active = self
        return self

    def __exit__(self, *exc: object) -> bool:
        global _active
        with _guard:
            _active = None
        return False


def record() -> Recording:
    """A new recording; ``with trace.record() as recording:`` records the block."""
    return Recording()


def _clean(text: str) -> str:
    """A name or location as an STD field (no separators, no line breaks)."""
    return "".join("_" if c in "|()\n\r\t " else c for c in text) or "_"


def _location() -> str:
    """``file.py:LINE`` of the first caller outside this module and threading."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if os.path.dirname(os.path.abspath(path)) != _HERE and not path.endswith("threading.py"):
            return _clean(f"{os.path.basename(path)}:{frame.f_lineno}")
        frame = frame.f_back
    return "?"


def _event(op: str, operand: str) -> None:
    recording = _active
    if recording is not None:
        with _guard:
            recording._add(op, operand)


class Thread(threading.Thread):
    """``threading.Thread`` whose ``start`` (a fork) and ``join`` are recorded."""

    def start(self) -> None:
        """As ``threading.Thread.start``, recorded as a fork of the new thread."""
        recording = _active
        if recording is None:
            return super().start()
        with _guard:
            child = recording._new_thread()
            self._causet_name = child
            recording._add("fork", child)
        super().start()

    def run(self) -> None:
        """Runs the target in the thread, whose events carry the forked thread's name."""
        recording = _active
        name = getattr(self, "_causet_name", None)
        if recording is not None and name is not None:
            with _guard:
                recording._names[threading.get_ident()] = name
        super().run()

    def join(self, timeout: Optional[float] = None) -> None:
        """As ``threading.Thread.join``; the first join that sees the thread finished is recorded."""
        super().join(timeout)
        name = getattr(self, "_causet_name", None)
        # The first join that sees the thread finished is the synchronisation; later ones
        # add nothing (and a trace joins a thread once).
        if name is not None and not self.is_alive() and not getattr(self, "_causet_joined", False):
            self._causet_joined = True
            _event("join", name)


class Lock:
    """``threading.Lock`` whose ``acquire`` and ``release`` are recorded."""

    _factory: Callable[[], Any] = threading.Lock

    def __init__(self, name: Optional[str] = None) -> None:
        self._lock = type(self)._factory()
        recording = _active
        with _guard:
            self.name = _clean(name) if name else (recording._new_lock() if recording is not None else "lock")

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """As ``threading.Lock.acquire``; a successful acquire is recorded (``acq``)."""
        acquired = self._lock.acquire(blocking, timeout)
        if acquired:
            _event("acq", self.name)
        return acquired

    def release(self) -> None:
        """As ``threading.Lock.release``, recorded (``rel``)."""
        # Recorded before the release, so that the next acquire comes after it in the trace.
        _event("rel", self.name)
        self._lock.release()

    def locked(self) -> bool:
        """Whether the lock is held (not recorded)."""
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class RLock(Lock):
    """``threading.RLock`` recorded as :class:`Lock` (re-entrant: nested pairs are fine)."""

    _factory = threading.RLock

    def locked(self) -> bool:  # RLock has no locked() before Python 3.14
        """Not available for a re-entrant lock."""
        raise NotImplementedError("RLock.locked")


# Methods of the common containers that change them; every other call is a read.
_WRITES = {
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
    "add", "discard", "update", "difference_update", "intersection_update",
    "symmetric_difference_update", "setdefault", "popitem",
    "__setitem__", "__delitem__", "__iadd__", "__imul__", "__ior__", "__iand__",
    "__isub__", "__ixor__",
}  # fmt: skip


class Shared:
    """A shared object whose uses are recorded as reads and writes of one variable.

    ``glob_val = Shared([], name="glob_val")`` behaves as the list (``append``, ``len``,
    indexing, iteration, ``print``); each call is one event, ``w(glob_val)`` for the methods
    that change a list, dict or set, ``r(glob_val)`` for the others. ``.value`` is the
    object itself (not recorded).
    """

    __slots__ = ("_value", "_name")

    def __init__(self, value: Any, name: Optional[str] = None) -> None:
        recording = _active
        with _guard:
            variable = _clean(name) if name else (recording._new_variable() if recording is not None else "shared")
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_name", variable)

    @property
    def value(self) -> Any:
        return self._value

    @property
    def name(self) -> str:
        return self._name

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        recording = _active
        function = getattr(self._value, method)
        if recording is None:
            return function(*args, **kwargs)
        with _guard:
            # Recorded with the operation under the recorder's lock: the trace's order is
            # the order the accesses happened in.
            result = function(*args, **kwargs)
            recording._add("w" if method in _WRITES else "r", self._name)
        return result

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._value, attribute)
        if not callable(target):
            _event("r", self._name)
            return target
        return lambda *args, **kwargs: self._call(attribute, *args, **kwargs)

    def __setattr__(self, attribute: str, value: Any) -> None:
        _event("w", self._name)
        setattr(self._value, attribute, value)

    def __len__(self) -> int:
        return self._call("__len__")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._call("copy") if hasattr(self._value, "copy") else list(self._call("__iter__")))

    def __contains__(self, item: Any) -> bool:
        return self._call("__contains__", item)

    def __getitem__(self, key: Any) -> Any:
        return self._call("__getitem__", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._call("__setitem__", key, value)

    def __delitem__(self, key: Any) -> None:
        self._call("__delitem__", key)

    def __iadd__(self, other: Any) -> "Shared":
        self._call("__iadd__", other)
        return self

    def __bool__(self) -> bool:
        return bool(self._call("__len__")) if hasattr(self._value, "__len__") else bool(self._value)

    def __eq__(self, other: Any) -> bool:
        return self._call("__eq__", other.value if isinstance(other, Shared) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return self._call("__repr__")

    def __str__(self) -> str:
        return self._call("__str__")


def races(
    trace: Union[Recording, str, os.PathLike],
    *,
    engine: str = "epoch",
    list: int = 100,  # noqa: A002 (causet races --list)
) -> "_causet.RaceReport":
    """The happens-before data races of a trace: a :class:`Recording`, the text of an STD
    trace, or the path of an STD trace file, as ``causet races`` reports them.

    ``engine`` is ``"epoch"`` (FastTrack, the default), ``"vc"`` (DJIT+) or ``"tree"``
    (tree clocks): all give the same answer. ``ValueError`` names the line of an
    ill-formed trace.
    """
    if isinstance(trace, Recording):
        with _guard:
            text = trace.text()
        return _causet.races_in_text(text, engine=engine, source="<recording>", list=list)
    if isinstance(trace, os.PathLike) or (isinstance(trace, str) and "|" not in trace and os.path.exists(trace)):
        path = os.fspath(trace)
        with open(path, encoding="utf-8") as source:
            return _causet.races_in_text(source.read(), engine=engine, source=path, list=list)
    return _causet.races_in_text(trace, engine=engine, source="<trace>", list=list)
