"""Pause Python's cyclic garbage collector around bulk work.

Reading and evaluating a large roster creates millions of small objects (strings) and no
reference cycles; the generational collector would walk them again and again, making the
work grow faster than the roster. The collector is paused for the duration and restored
after, whatever happens.

The collector is one switch for the whole process, and threads (a server's requests) pause
it at the same time: the pauses are counted, so that the first block to enter turns the
collector off and the last to leave turns it back on (if it was on before the first).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block, then restore it once no other thread's block is open."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
