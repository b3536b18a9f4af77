"""Type stubs of the Rust extension module ``causet._causet`` (re-exported by ``causet``)."""

from collections.abc import Iterable, Mapping
from os import PathLike
from typing import Optional, Union

from causet._causality import Causality

__version__: str

class VectorClock:
    """A vector clock keyed by node name; an absent node's entry is 0.

    ``a < b`` means ``a`` happened before ``b``; ``==`` the same clock; clocks for which
    neither ``<``, ``>`` nor ``==`` holds are concurrent. Mutable, hence unhashable.
    """

    def __init__(
        self, entries: Union[Mapping[str, int], Iterable[tuple[str, int]], None] = None
    ) -> None: ...
    def tick(self, node: str) -> int:
        """Counts an event of ``node``; returns its new entry."""
    def merge(self, other: VectorClock) -> None:
        """Element-wise maximum with ``other``, in place."""
    def compare(self, other: VectorClock) -> Causality:
        """``BEFORE``, ``AFTER``, ``EQUAL`` or ``CONCURRENT``, in one pass."""
    def concurrent_with(self, other: VectorClock) -> bool: ...
    def dominates(self, other: VectorClock) -> bool:
        """Every entry at least ``other``'s (``other <= self``)."""
    def get(self, node: str) -> int: ...
    def __getitem__(self, node: str) -> int: ...
    def __contains__(self, node: object) -> bool: ...
    def __len__(self) -> int: ...
    def nodes(self) -> list[str]: ...
    def items(self) -> list[tuple[str, int]]: ...
    def to_dict(self) -> dict[str, int]: ...
    def total(self) -> int:
        """Sum of the entries (saturating at 2**64 - 1)."""
    def copy(self) -> VectorClock: ...
    def __copy__(self) -> VectorClock: ...
    def __deepcopy__(self, memo: object) -> VectorClock: ...
    def to_json(self) -> str:
        """GoVector's JSON clock, e.g. ``{"alice":2, "bob":1}``."""
    @classmethod
    def from_json(cls, text: str) -> VectorClock:
        """Parses a GoVector/ShiViz JSON clock; ``ValueError`` otherwise."""
    def to_bytes(self) -> bytes:
        """causet's binary encoding (format ``0x03``)."""
    def __bytes__(self) -> bytes: ...
    @classmethod
    def from_bytes(cls, data: bytes) -> VectorClock:
        """Decodes ``to_bytes()``; ``ValueError`` for anything else."""
    def __lt__(self, other: VectorClock) -> bool: ...
    def __le__(self, other: VectorClock) -> bool: ...
    def __gt__(self, other: VectorClock) -> bool: ...
    def __ge__(self, other: VectorClock) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

class Node:
    """One node: a vector clock and its own GoVector log file.

    ``cluster`` (every node's name) makes it a node of a fixed cluster, speaking the Rust
    runtime's messages (``causet node``); without it, membership is open.
    """

    def __init__(
        self,
        name: str,
        log_path: Union[str, PathLike[str]],
        *,
        cluster: Optional[list[str]] = None,
        flush: bool = True,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def log_path(self) -> str: ...
    @property
    def cluster(self) -> Optional[list[str]]: ...
    @property
    def closed(self) -> bool: ...
    @property
    def clock(self) -> VectorClock:
        """A copy of the current clock."""
    def log_local(self, text: str) -> None:
        """Ticks and logs a local event."""
    def prepare_send(self, text: str, payload: bytes = b"") -> bytes:
        """Ticks, logs the send, returns the payload with the clock attached."""
    def unpack_receive(self, text: str, data: bytes) -> bytes:
        """Merges the clock ``data`` carries, ticks, logs; returns the payload."""
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Node: ...
    def __exit__(self, *args: object) -> bool: ...

class Event:
    """One event of an execution read from a log."""

    @property
    def index(self) -> int: ...
    @property
    def id(self) -> str:
        """``node:n``, n the node's own entry."""
    @property
    def node(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def line(self) -> int:
        """The 1-based line of the event's entry."""
    @property
    def clock(self) -> VectorClock: ...

class Execution:
    """One execution of a log."""

    @property
    def name(self) -> str: ...
    @property
    def nodes(self) -> list[str]: ...
    @property
    def events(self) -> list[Event]: ...
    def __len__(self) -> int: ...
    def order(self, a: Union[str, int], b: Union[str, int]) -> Causality:
        """How event ``a`` relates to ``b`` (ids ``"alice:2"`` or indices)."""
    def concurrent_pairs(self) -> int: ...
    def messages(self) -> list[tuple[str, str]]:
        """(send id, receive id) of the messages inferred from the clocks."""
    def check(self, *, lenient: bool = False) -> None:
        """ShiViz's rules; ``ValueError("FILE:LINE: ...")`` for the first broken one."""
    def summary(self) -> dict[str, Union[str, int]]: ...

def read_log(
    path: Union[str, PathLike[str]], regex: Optional[str] = None, *, delimiter: Optional[str] = None
) -> list[Execution]:
    """The executions of a GoVector/ShiViz log; ``ValueError`` naming the line otherwise."""

def merge_logs(paths: list[Union[str, PathLike[str]]], out: Union[str, PathLike[str]]) -> int:
    """Merges node logs into one (sends before receives); returns the events written."""

def view(path: Union[str, PathLike[str]], out: Union[str, PathLike[str]], *, regex: Optional[str] = None) -> int:
    """Writes the interactive HTML viewer of a log; returns the events drawn."""

class Race:
    """An access and an earlier conflicting access that does not happen before it."""

    @property
    def variable(self) -> str: ...
    @property
    def access(self) -> tuple[int, str, str, str]:
        """(line, thread, "r" or "w", location)."""
    @property
    def prior(self) -> tuple[int, str, str, str]: ...

class RaceReport:
    """What ``causet races`` reports; true when there is a race."""

    @property
    def events(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def racy_events(self) -> int: ...
    @property
    def racy_variables(self) -> list[str]: ...
    @property
    def races(self) -> list[Race]: ...
    def __bool__(self) -> bool: ...

def races_in_text(trace: str, *, engine: str = "epoch", source: str = "<trace>", list: int = 100) -> RaceReport: ...
