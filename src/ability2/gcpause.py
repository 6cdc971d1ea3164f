"""Pause Python's cyclic garbage collector around bulk work.

Reading and evaluating a large roster creates millions of small objects (strings) and no
reference cycles; the generational collector would walk them again and again, making the
work grow faster than the roster. The collector is paused for the duration and restored
after, whatever happens.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block (if it was enabled), then re-enable it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
