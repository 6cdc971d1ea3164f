"""Content negotiation: the media type a client accepts (``Accept``) and its language (``Accept-Language``).

Both follow RFC 9110 §12.5: a list of ranges with optional ``q`` weights; ``q=0`` refuses.
A missing or empty header accepts anything. Nothing here imports the web stack.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["JSON", "PROBLEM_JSON", "XLSX", "choose_language", "choose_media_type"]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"
CALENDAR = "text/calendar"


def _weighted(header: str) -> list[tuple[str, float, int]]:
    """``(range, q, position)`` for each item of an Accept-style header (malformed weights count as 0)."""
    items = []
    for position, part in enumerate(header.split(",")):
        fields = [field.strip() for field in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for parameter in fields[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        items.append((fields[0].lower(), q, position))
    return items


def _specificity(media_range: str, offered: str) -> int | None:
    """How closely ``media_range`` names ``offered`` (2 exactly, 1 ``type/*``, 0 ``*/*``), or ``None``."""
    if media_range == offered:
        return 2
    kind, _, sub = media_range.partition("/")
    if sub == "*" and offered.split("/")[0] == kind:
        return 1
    if media_range in ("*/*", "*"):
        return 0
    return None


def choose_media_type(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the client prefers, the first offered on a tie; ``None`` when it accepts none.

    Each offered type takes the weight of the most specific range that names it (RFC 9110
    §12.5.1). A missing or blank header accepts the first offered type.
    """
    if accept is None or not accept.strip():
        return offered[0]
    ranges = _weighted(accept)
    best: tuple[float, int] | None = None
    chosen = None
    for index, media in enumerate(offered):
        matches = [(spec, q) for r, q, _ in ranges if (spec := _specificity(r, media)) is not None]
        if not matches:
            continue
        q = max(matches, key=lambda match: match[0])[1]
        if q <= 0:
            continue
        key = (q, -index)
        if best is None or key > best:
            best, chosen = key, media
    return chosen


def choose_language(accept_language: str | None) -> str:
    """``"en"`` when the client prefers English to Chinese, else ``"zh"`` (the default)."""
    if not accept_language:
        return "zh"
    weights = {"zh": -1.0, "en": -1.0}
    for tag, q, _ in _weighted(accept_language):
        primary = tag.split("-")[0]
        if primary in weights:
            weights[primary] = max(weights[primary], q)
        elif primary == "*":
            weights["zh"] = max(weights["zh"], q)
    return "en" if weights["en"] > 0 and weights["en"] > weights["zh"] else "zh"
