"""Timelines: a region's dated phases, the ones current on a date, the next deadline, ICS.

Contract §3.2: ``current`` lists every phase whose inclusive date range holds the date;
``next_deadline`` is the earliest phase end on or after the date (``None`` when none).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ability2.policy import Policy

__all__ = ["PhaseView", "Timeline", "timeline", "to_ics"]


@attrs.frozen
class PhaseView:
    """One phase of a region's timeline, with its rule id, layer and source."""

    rule: str
    name: str
    start: dt.date
    end: dt.date
    source: str
    layer: str
    quote: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "start", "end", "source"}`` (plus rule and layer)."""
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source": self.source,
            "rule": self.rule,
            "layer": self.layer,
        }


@attrs.frozen
class Timeline:
    """A region's phases on a date: all of them, the current ones, the next deadline."""

    region: str
    on: dt.date
    phases: tuple[PhaseView, ...]
    current: tuple[PhaseView, ...]
    next_deadline: PhaseView | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of contract §3.2."""
        deadline = None
        if self.next_deadline is not None:
            deadline = {
                "name": self.next_deadline.name,
                "date": self.next_deadline.end.isoformat(),
                "source": self.next_deadline.source,
            }
        return {
            "region": self.region,
            "on": self.on.isoformat(),
            "phases": [p.to_dict() for p in self.phases],
            "current": [p.to_dict() for p in self.current],
            "next_deadline": deadline,
        }


def timeline(policy: Policy) -> Timeline:
    """The timeline of ``policy``'s region on ``policy.on``."""
    phases = tuple(
        PhaseView(
            rule.id,
            phase.name,
            phase.start,
            phase.end,
            rule.source,
            rule.layer,
            rule.sources[0].quote if rule.sources else None,
        )
        for rule, phase in policy.phases()
    )
    day = policy.on
    current = tuple(p for p in phases if p.start <= day <= p.end)
    upcoming = sorted((p for p in phases if p.end >= day), key=lambda p: (p.end, p.start, p.rule))
    return Timeline(policy.region.id, day, phases, current, upcoming[0] if upcoming else None)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return out


def to_ics(policy: Policy, *, stamp: dt.datetime | None = None) -> str:
    """An iCalendar (RFC 5545) file of the region's phases; each event's text cites its source.

    Phases are all-day events: ``DTEND`` is the day after the phase's (inclusive) end.
    """
    stamp = stamp or dt.datetime.now(dt.UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ability2//timeline//ZH",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(policy.region.name + ' 能力提升工程2.0')}",
    ]
    for rule, phase in policy.phases():
        description = f"{rule.source} · {rule.id} · {rule.layer}"
        quote = rule.sources[0].quote if rule.sources else None
        if quote:
            description += f"\n{quote}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{rule.id}.{phase.start:%Y%m%d}@{policy.region.id.replace('/', '.')}.ability2",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{phase.start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{phase.end + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(phase.name)}",
            f"DESCRIPTION:{_escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = [piece for line in lines for piece in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
