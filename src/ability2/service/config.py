"""The settings of ``ability2 serve``: per-request limits, CORS, the work in progress.

A :class:`ServiceConfig` travels to uvicorn's worker processes as JSON in the environment
variable :data:`CONFIG_VARIABLE` (each worker builds its application from it), so every
worker serves under the same settings. Nothing here imports the web stack.
"""

from __future__ import annotations

import json
import os
from typing import Any

import attrs

__all__ = ["CONFIG_VARIABLE", "DEFAULT_LIMITS", "ServiceConfig"]

#: the environment variable that carries the settings to worker processes
CONFIG_VARIABLE = "ABILITY2_SERVE_CONFIG"

#: the reader limits a request is held to unless ``--limit`` changes them: tighter than the
#: command line's, since a request's roster is one school, county or city, not a province
DEFAULT_LIMITS: dict[str, int] = {
    "max_rows": 200_000,
    "max_unpacked_bytes": 512 * 1024**2,
    "max_sheet_cells": 5_000_000,
}


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        from ability2.messages import msg

        raise ValueError(msg("serve.not_positive", name=attribute.name, value=repr(value)))


def _limits(value: Any) -> dict[str, int]:
    """The reader limits, checked against :mod:`ability2.limits` (a bad name or value is a ValueError)."""
    from ability2.limits import limited

    merged = {**DEFAULT_LIMITS, **dict(value)}
    with limited(**merged):
        pass
    return merged


@attrs.frozen
class ServiceConfig:
    """What the service allows a request, and whom it answers (every field has a default)."""

    #: bytes of a request body (a roster upload, JSON rows); past it, 413
    max_body_bytes: int = attrs.field(default=32 * 1024**2, validator=_positive)
    #: seconds a request's work may wait for a thread (past it, 503) and, apart, run (past it, 413)
    max_seconds: float = attrs.field(default=60.0, validator=_positive)
    #: evaluations (and comparisons) one worker process runs at once; more wait their turn
    max_concurrent: int = attrs.field(default=2, validator=_positive)
    #: the reader limits of :mod:`ability2.limits`, by name, applied to each request
    limits: dict[str, int] = attrs.field(factory=lambda: dict(DEFAULT_LIMITS), converter=_limits)
    #: regions one ``/compare`` may name; past it, 400
    max_compare_regions: int = attrs.field(default=20, validator=_positive)
    #: origins allowed by CORS (``*`` for any); empty: no CORS headers
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def reader_limits(self) -> dict[str, int]:
        """The reader limits of a request: these plus ``max_file_bytes`` no larger than the body allows."""
        limits = dict(self.limits)
        limits.setdefault("max_file_bytes", self.max_body_bytes)
        return limits

    def to_json(self) -> str:
        """The settings as JSON (:meth:`from_json` reads them back)."""
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        """Settings written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(**data)

    @classmethod
    def from_environment(cls) -> ServiceConfig:
        """The settings in :data:`CONFIG_VARIABLE`, or the defaults when it is not set."""
        text = os.environ.get(CONFIG_VARIABLE)
        return cls() if not text else cls.from_json(text)
