"""The answer of a clock comparison (kept apart so the Rust module can import it)."""

import enum


class Causality(enum.Enum):
    """How event ``a`` relates to event ``b`` (``a.compare(b)``).

    The values are the words ``causet order`` prints.
    """

    BEFORE = "before"
    """``a`` happened before ``b``: every entry of ``a`` <= ``b``'s, one strictly less."""
    AFTER = "after"
    """``a`` happened after ``b``."""
    EQUAL = "equal"
    """The same clock."""
    CONCURRENT = "concurrent"
    """Neither happened before the other."""

    def __repr__(self) -> str:
        return f"Causality.{self.name}"
