"""The bounds of one request: its body's size, its work's time, the work in progress at once.

* :class:`BodyLimit` (ASGI middleware) refuses a body past ``max_body_bytes`` with 413: at
  once when ``Content-Length`` says so, else as the bytes arrive (a chunked upload).
* :class:`WorkGate` runs the heavy part of a request (reading, evaluating, rendering) in a
  pool of ``max_concurrent`` threads under the reader limits of :mod:`ability2.limits`
  (context-local, so each request has its own). A request whose work has not started within
  ``max_seconds`` gets 503 with ``Retry-After`` and its work never starts; one whose work
  runs past ``max_seconds`` gets 413 (the input is too large for this server). Python cannot
  stop a thread, so that work finishes in the background, holding its place in the pool:
  however many requests time out, no more than ``max_concurrent`` evaluations run at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

from ability2.service.problems import RequestProblem

__all__ = ["BodyLimit", "WorkGate"]

T = TypeVar("T")


def _too_large(limit: int) -> RequestProblem:
    return RequestProblem(
        "body_too_large",
        f"the request body is larger than {limit:,} bytes, the limit of this server (ability2 serve --max-body)",
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

    def _bounded(self, work: Callable[[], T]) -> T:
        from ability2.limits import limited

        with limited(**self.limits):
            return work()

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in the pool under the reader limits; :class:`RequestProblem` when time runs out."""
        future = self.pool.submit(self._bounded, work)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.seconds)
        except TimeoutError:
            if future.cancel():  # never started: the server is busy
                raise RequestProblem(
                    "busy",
                    f"the server is busy: the work did not start within {self.seconds:g} s; retry later",
                    headers={"Retry-After": str(max(1, round(self.seconds)))},
                ) from None
            raise RequestProblem(
                "time_limit",
                f"the work took longer than {self.seconds:g} s, the limit of this server (ability2 serve "
                "--timeout); send a smaller roster (a school or a county at a time)",
            ) from None

    def close(self) -> None:
        """Stop taking work; work already running finishes."""
        self.pool.shutdown(wait=False, cancel_futures=True)
