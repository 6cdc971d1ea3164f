"""Timelines: a region's dated phases, the ones current on a date, the next deadline, ICS.

Contract §3.2: ``current`` lists every phase whose inclusive date range holds the date;
``next_deadline`` is the earliest phase end on or after the date (``None`` when none).

Extensions (the contract's keys keep their meaning): each phase also carries ``rule``,
``layer`` and ``start_stated``. ``start_stated: false`` marks a phase whose start no document
states ("到6月30日前完成…"): its ``start`` is then the day the rule takes effect, the earliest
day the phase can hold, not a date the document gives. ``superseded`` lists the ancestors'
phases that the region's own document sets aside (a county that restates the yearly schedule
from its own start), each with ``superseded_by`` and the clause that does so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ability2.policy import Policy, ResolvedRule
from ability2.rules.values import Phase

__all__ = ["PhaseView", "SupersededPhase", "Timeline", "timeline", "to_ics"]


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
    start_stated: bool = True

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "start", "end", "source"}`` (plus rule, layer and start_stated)."""
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source": self.source,
            "rule": self.rule,
            "layer": self.layer,
            "start_stated": self.start_stated,
        }


@attrs.frozen
class SupersededPhase:
    """An ancestor's phase that the region's own document sets aside, and the clause that does."""

    phase: PhaseView
    by: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The phase's JSON plus ``superseded_by`` (the region) and ``superseded_source``."""
        return {**self.phase.to_dict(), "superseded_by": self.by, "superseded_source": self.source}


@attrs.frozen
class Timeline:
    """A region's phases on a date: all of them, the current ones, the next deadline."""

    region: str
    on: dt.date
    phases: tuple[PhaseView, ...]
    current: tuple[PhaseView, ...]
    next_deadline: PhaseView | None
    superseded: tuple[SupersededPhase, ...] = ()

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
            "superseded": [item.to_dict() for item in self.superseded],
        }


def _view(rule: ResolvedRule, phase: Phase) -> PhaseView:
    return PhaseView(
        rule.id,
        phase.name,
        phase.start,
        phase.end,
        rule.source,
        rule.layer,
        rule.sources[0].quote if rule.sources else None,
        phase.start_stated,
    )


def timeline(policy: Policy) -> Timeline:
    """The timeline of ``policy``'s region on ``policy.on``."""
    phases = tuple(_view(rule, phase) for rule, phase in policy.phases())
    day = policy.on
    current = tuple(p for p in phases if p.start <= day <= p.end)
    upcoming = sorted((p for p in phases if p.end >= day), key=lambda p: (p.end, p.start, p.rule))
    superseded = tuple(
        SupersededPhase(_view(item.rule, item.rule.value), item.by, item.source)
        for item in policy.superseded
        if isinstance(item.rule.value, Phase)
    )
    return Timeline(policy.region.id, day, phases, current, upcoming[0] if upcoming else None, superseded)


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


def to_ics(policy: Policy, *, stamp: dt.datetime | None = None, lang: str = "zh") -> str:
    """An iCalendar (RFC 5545) file of the region's phases; each event's text cites its source.

    Phases are all-day events: ``DTEND`` is the day after the phase's (inclusive) end. A
    phase whose start no document states is its deadline day only, its summary marked
    截止 (``Deadline`` with ``lang="en"``) and its description saying the start is not
    stated; no start is invented. Names are the documents' own (Chinese); with
    ``lang="en"`` a phase's English name is used where the policy gives one.
    """
    stamp = stamp or dt.datetime.now(dt.UTC)
    en = lang == "en"
    calendar = (
        f"{policy.region.name_en or policy.region.name} ICT competence programme 2.0"
        if en
        else f"{policy.region.name} 能力提升工程2.0"
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//ability2//timeline//{'EN' if en else 'ZH'}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(calendar)}",
    ]
    for rule, phase in policy.phases():
        description = f"{rule.source} · {rule.id} · {rule.layer}"
        quote = rule.sources[0].quote if rule.sources else None
        if quote:
            description += f"\n{quote}"
        name = (phase.name_en or phase.name) if en else phase.name
        first, summary = phase.start, name
        if not phase.start_stated:
            first = phase.end
            if en:
                summary = f"Deadline: {name}"
                description += f"\nStart date: not stated in the documents (applies from {phase.start})"
            else:
                summary = f"截止：{name}"
                description += f"\n开始日期：文件未载明（自 {phase.start} 起适用）"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{rule.id}.{first:%Y%m%d}@{policy.region.id.replace('/', '.')}.ability2",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
            f"DTEND;VALUE=DATE:{phase.end + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = [piece for line in lines for piece in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
