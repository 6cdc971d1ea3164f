"""The bounds of one request: its body's size, its work's time, the work in progress at once.

* :class:`BodyLimit` (ASGI middleware) refuses a body past ``max_body_bytes`` with 413: at
  once when ``Content-Length`` says so, else as the bytes arrive (a chunked upload).
* :class:`WorkGate` runs the heavy part of a request (reading, evaluating, rendering) in a
  pool of ``max_concurrent`` threads under the reader limits of :mod:`ability2.limits`
  (context-local, so each request has its own). A request whose work has not started within
  ``max_seconds`` gets 503 with ``Retry-After`` and its work never starts; one whose work
  runs past ``max_seconds`` from its start (the wait for a thread not counted) gets 413 (the
  input is too large for this server). Python cannot stop a thread, so that work finishes in
  the background, holding its place in the pool (and its temporary files, removed when it
  ends): however many requests time out, no more than ``max_concurrent`` evaluations run at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ability2.messages import msg
from ability2.service.problems import RequestProblem

__all__ = ["BodyLimit", "WorkGate"]

T = TypeVar("T")

#: how often (seconds) a request waiting for a thread checks whether its work has started
_POLL = 0.05


def _too_large(limit: int) -> RequestProblem:
    return RequestProblem(
        "body_too_large",
        msg("serve.body_too_large", limit=limit),
    )


class BodyLimit:
    """ASGI middleware: a request body past ``limit`` bytes raises :class:`RequestProblem` (413)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """Pass the request on, counting the bytes of its body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._refuse(scope, send)
                    return
        received = 0
        limit = self.limit

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: dict[str, Any], send: Callable[..., Any]) -> None:
        from ability2.service.problems import problem_response

        response = problem_response(_too_large(self.limit), scope)
        await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


class WorkGate:
    """A pool of ``threads`` threads for the heavy work, each call bounded by ``seconds``."""

    def __init__(self, threads: int, seconds: float, limits: dict[str, int]) -> None:
        self.seconds = seconds
        self.limits = dict(limits)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ability2-work")

    def _bounded(self, work: Callable[[], T], started: list[float]) -> T:
        from ability2.limits import limited

        started.append(time.monotonic())
        with limited(**self.limits):
            return work()

    async def run(self, work: Callable[[], T], cleanup: Callable[[], object] | None = None) -> T:
        """``work()`` in the pool under the reader limits; :class:`RequestProblem` when time runs out.

        ``max_seconds`` bounds the wait for a thread (past it, 503 ``busy`` and the work never
        starts) and, separately, the run (past it, 413 ``time_limit``): a request that waited
        long for a thread has its whole ``max_seconds`` to run. ``cleanup()`` is called once
        the work is over, done or never started, even when its request has been answered
        already (a timed-out work still running keeps its temporary files until it ends).
        """
        started: list[float] = []
        try:
            future = self.pool.submit(self._bounded, work, started)
        except BaseException:
            if cleanup is not None:
                cleanup()
            raise
        if cleanup is not None:
            future.add_done_callback(lambda _: cleanup())
        waiting = asyncio.wrap_future(future)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        try:
            # the wait: until the work starts (or ends); polled, since only the thread knows when it starts
            while not started and not future.done():
                if loop.time() >= deadline:
                    if future.cancel():  # never started: the server is busy
                        raise RequestProblem(
                            "busy",
                            msg("serve.busy", seconds=self.seconds),
                            headers={"Retry-After": str(max(1, round(self.seconds)))},
                        )
                    break  # it started just now
                await asyncio.wait({waiting}, timeout=min(_POLL, max(0.0, deadline - loop.time())))
            # the run: max_seconds from its start
            begun = started[0] if started else time.monotonic()
            left = max(0.0, begun + self.seconds - time.monotonic())
            return await asyncio.wait_for(asyncio.shield(waiting), left)
        except TimeoutError:
            raise RequestProblem(
                "time_limit",
                msg("serve.time_limit", seconds=self.seconds),
            ) from None
        except asyncio.CancelledError:  # the client went away: work not started yet never starts
            future.cancel()
            raise

    def close(self) -> None:
        """Stop taking work; work already running finishes."""
        self.pool.shutdown(wait=False, cancel_futures=True)
