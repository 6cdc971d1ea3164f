"""The collector pause is shared by threads: on while nobody works, off while anybody does."""

from __future__ import annotations

import gc
import threading

from ability2.gcpause import paused_gc


def test_overlapping_pauses_in_two_threads_keep_the_collector_off_until_the_last_leaves() -> None:
    assert gc.isenabled()
    entered, leave_first, first_left = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with paused_gc():
            entered.set()
            leave_first.wait(10)
        first_left.set()

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(10)
    with paused_gc():
        leave_first.set()
        first_left.wait(10)
        seen.append(gc.isenabled())  # the first thread has left; this block is still open
    thread.join()
    assert seen == [False]
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_after_an_error() -> None:
    try:
        with paused_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
