"""Structured rule values: timeline phases, scoring forms, review chains.

Numeric rules (hours, shares, counts) hold a plain exact number: ``int`` or
:class:`fractions.Fraction`. The classes here hold the values that have parts.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import attrs

from ability2.rules.bounds import Bound

__all__ = ["FormItem", "FormPart", "FormSection", "Phase", "ReviewChain", "ReviewStep", "ScoringForm"]


@attrs.frozen
class Phase:
    """A dated stage of the programme; both ends are inclusive. A deadline is its ``end``.

    ``start_stated`` is ``False`` for a phase whose start no document states ("到2024年6月30日
    前完成…", written ``start: null`` in a policy file): ``start`` is then the day the rule
    takes effect (its document's date), the earliest day the phase can hold, not a date any
    document gives. Timelines show such a start as unknown.
    """

    name: str
    start: dt.date
    end: dt.date
    name_en: str | None = None
    start_stated: bool = True
    #: the document writes the end as "X日前" (before day X): ``deadline.before_exclusive`` decides
    #: whether day X itself is in time (see :meth:`ability2.Policy.phases`)
    end_before: bool = False

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` falls inside the phase (both ends included)."""
        return self.start <= day <= self.end


@attrs.frozen
class FormPart:
    """A sub-criterion of a form item that shares the item's points (a merged cell)."""

    name: str
    criterion: str | None = None


@attrs.frozen
class FormItem:
    """One scored line of a scoring form: its indicator, its criterion and its points.

    ``rules`` names the school checks the item's points follow from (合格率 follows from
    ``school.pass_rate_min``): an evaluation pre-fills the item with full points when all of
    them hold for the school, else 0.
    """

    name: str
    points: int
    criterion: str | None = None
    parts: tuple[FormPart, ...] = ()
    clause: str | None = None
    rules: tuple[str, ...] = ()


@attrs.frozen
class FormSection:
    """A section of a scoring form (考核项目); its items' points add up to ``points``."""

    name: str
    points: int
    items: tuple[FormItem, ...]


@attrs.frozen
class ScoringForm:
    """A 100-point (or other) scoring form a school is assessed with.

    ``pass_min`` with ``pass_bound`` is the pass line (``80`` with ``及以上`` reads as
    ``以上``: 80 passes). ``excellent_cap`` is the share of assessed schools that may be
    rated excellent (``30%`` with ``以内``).
    """

    name: str
    total: int
    sections: tuple[FormSection, ...]
    pass_min: int | None = None
    pass_bound: Bound | None = None
    excellent_cap: Fraction | None = None
    excellent_cap_bound: Bound | None = None
    name_en: str | None = None


@attrs.frozen
class ReviewStep:
    """One step of a review chain, such as 组内互评 (peer review inside the group)."""

    name: str
    name_en: str | None = None
    sample_share: Fraction | None = None
    sample_bound: Bound | None = None


@attrs.frozen
class ReviewChain:
    """The ordered steps a teacher's evidence goes through before it counts."""

    steps: tuple[ReviewStep, ...]
