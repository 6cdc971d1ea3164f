"""A layer: the rules one region's own documents state, each dated and sourced.

The effective policy of a region stacks the layers of the region tree, from ``cn`` down to
the region itself (see :mod:`ability2.policy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ability2.errors import Problem
from ability2.messages import Message, msg
from ability2.model import Citation, Document, Region
from ability2.rules.bounds import Bound

__all__ = ["Layer", "NotEncoded", "RuleEntry", "Supersession", "check_overrides", "check_supersessions"]


@attrs.frozen
class RuleEntry:
    """One value of one rule, as a layer states it, for the dates it holds.

    ``valid_from`` defaults to the date of the first cited document; ``valid_until`` is
    ``None`` while no document ends it. ``replaces`` names the ancestor region whose value
    this entry overrides (a layer must say so to override). ``decision`` records how an
    ambiguous clause was read, and why.
    """

    rule_id: str
    value: Any
    sources: tuple[Citation, ...]
    valid_from: dt.date
    valid_until: dt.date | None = None
    bound: Bound | None = None
    basis: str | None = None
    note: str | None = None
    decision: str | None = None
    replaces: str | None = None
    file: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False)

    def holds_on(self, day: dt.date) -> bool:
        """Whether this value is in force on ``day``."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@attrs.frozen
class NotEncoded:
    """A clause of a document that is deliberately not a rule, with the reason.

    ``label`` names the kind of reason from the controlled vocabulary
    (:data:`ability2.notencoded.LABELS`), so that the same kind of clause gets the same
    label in every plugin; ``None`` when the file gives none.
    """

    source: Citation
    reason: str
    label: str | None = None


@attrs.frozen
class Supersession:
    """An inherited rule that a layer's own document sets aside, with the clause that does so.

    A county whose plan restates the yearly schedule from its own start sets aside the
    city's steps it does not restate; a county that sets its own window sets aside the
    national five-year cycle. From ``valid_from`` on, the rule is not part of the policy of
    this region or its descendants (unless a lower layer states it again); the policy lists
    it as superseded, with ``by`` (this layer's rules that take its place) and the source.
    """

    rule_id: str
    sources: tuple[Citation, ...]
    valid_from: dt.date
    by: tuple[str, ...] = ()
    decision: str | None = None
    file: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False)

    def holds_on(self, day: dt.date) -> bool:
        """Whether the rule is set aside on ``day``."""
        return self.valid_from <= day


@attrs.frozen
class Layer:
    """One region and the rules its own documents state."""

    region: Region
    entries: tuple[RuleEntry, ...]
    documents: tuple[Document, ...] = ()
    not_encoded: tuple[NotEncoded, ...] = ()
    file: str | None = None
    supersedes: tuple[Supersession, ...] = ()
    plugin: str | None = None

    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules this layer states, in file order, without repeats."""
        return tuple(dict.fromkeys(entry.rule_id for entry in self.entries))

    def entries_for(self, rule_id: str) -> tuple[RuleEntry, ...]:
        """Every dated value this layer gives ``rule_id``."""
        return tuple(entry for entry in self.entries if entry.rule_id == rule_id)

    @property
    def effective_from(self) -> dt.date | None:
        """The first day any rule of this layer is in force (``None`` for an empty layer)."""
        return min((entry.valid_from for entry in self.entries), default=None)

    def own_effective_from(self, reported: Callable[[RuleEntry], bool]) -> dt.date | None:
        """The first day a rule of this layer's own documents is in force.

        ``reported(entry)`` tells a rule known only through a lower region's document (a
        province's completion date, reported by a county's notice); such rules do not set
        the date from which the region has a policy of its own.
        """
        return min((entry.valid_from for entry in self.entries if not reported(entry)), default=None)


def check_overrides(layers: Mapping[str, Layer]) -> list[Problem]:
    """A layer that replaces an inherited rule must name the layer it replaces."""
    problems: list[Problem] = []

    def ancestors(region_id: str) -> list[str]:
        out = []
        parent = layers[region_id].region.parent
        while parent is not None and parent in layers and parent not in out:
            out.append(parent)
            parent = layers[parent].region.parent
        return out

    for region_id, layer in layers.items():
        chain = ancestors(region_id)
        for entry in layer.entries:
            holder = next((a for a in chain if entry.rule_id in layers[a].rule_ids()), None)
            where = Problem(entry.file or str(layer.file), f'rules["{entry.rule_id}"]', "", entry.line)
            if holder is not None and entry.replaces != holder:
                message: Message
                if entry.replaces is None:
                    message = msg("tree.override_unsaid", holder=holder, file=str(layers[holder].file))
                else:
                    message = msg("tree.replaces_wrong", replaces=entry.replaces, holder=holder)
                problems.append(attrs.evolve(where, message=message))
            elif holder is None and entry.replaces is not None:
                problems.append(
                    attrs.evolve(
                        where,
                        message=msg("tree.replaces_nothing", replaces=entry.replaces),
                    )
                )
    return problems


def check_supersessions(layers: Mapping[str, Layer]) -> list[Problem]:
    """A layer may set aside only a rule that an ancestor layer states."""
    problems: list[Problem] = []
    for region_id, layer in layers.items():
        ancestors = []
        parent = layer.region.parent
        while parent is not None and parent in layers and parent not in ancestors:
            ancestors.append(parent)
            parent = layers[parent].region.parent
        for item in layer.supersedes:
            if not any(item.rule_id in layers[a].rule_ids() for a in ancestors):
                problems.append(
                    Problem(
                        item.file or str(layer.file),
                        f'supersedes["{item.rule_id}"]',
                        msg("tree.supersedes_nothing", region=region_id, rule=item.rule_id),
                        item.line,
                    )
                )
    return problems
