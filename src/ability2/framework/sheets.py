"""Submission sheets (提交指南和评价标准): the evidence items of a micro-ability.

Each sheet lists the items a teacher submits for one ability, what each must contain, its
time limit, and the criteria for 优秀 (excellent) and 合格 (pass). An item earns a level only
if it meets every criterion of that level (national rubric, 使用说明).
"""

from __future__ import annotations

import attrs

from ability2.model import Citation
from ability2.rules.bounds import Bound

__all__ = ["Criteria", "EvidenceItem", "SubmissionSheet", "TimeLimit"]


@attrs.frozen
class TimeLimit:
    """A limit on a recording's length, with the sheet's own boundary word.

    ``in_principle`` is true where the sheet says 原则上 or 一般 (in principle, usually).
    """

    minutes: int
    bound: Bound
    in_principle: bool = False


@attrs.frozen
class Criteria:
    """The criteria an item must all meet for 优秀 and for 合格."""

    excellent: tuple[str, ...]
    passing: tuple[str, ...]


@attrs.frozen
class EvidenceItem:
    """One item of a submission sheet (a design, a video, a reflection ...).

    An item with ``alternatives`` asks the teacher to choose one of them; it has no
    criteria of its own.
    """

    id: str
    number: int
    name: str
    task: str
    form: str | None = None
    copies: int = 1
    time_limit: TimeLimit | None = None
    teacher_on_screen: bool = False
    criteria: Criteria | None = None
    alternatives: tuple[EvidenceItem, ...] = ()
    note: str | None = None


@attrs.frozen
class SubmissionSheet:
    """The submission sheet of one micro-ability, complete or as far as our sources go."""

    ability: str
    complete: bool
    items: tuple[EvidenceItem, ...]
    source: Citation
    description: str | None = None
    note: str | None = None

    def item(self, item_id: str) -> EvidenceItem:
        """The item with id ``item_id`` (alternatives included)."""
        for item in self.items:
            if item.id == item_id:
                return item
            for alternative in item.alternatives:
                if alternative.id == item_id:
                    return alternative
        from ability2.messages import msg

        raise KeyError(msg("framework.no_item", ability=self.ability, item=item_id))
