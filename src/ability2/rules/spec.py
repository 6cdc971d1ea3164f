"""What a rule id means: its value type, its scope, its direction and its bases.

A :class:`RuleSpec` is the catalogue entry of one rule id (or one family of ids, such as
``timeline.*``). The :class:`~ability2.rules.kind.RuleKind` that owns the spec evaluates it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ability2.rules.bounds import Direction

if TYPE_CHECKING:
    from ability2.rules.types import ValueType

__all__ = ["Kind", "RuleSpec", "Scope", "spec"]


class Kind(enum.Enum):
    """The built-in types of a rule's value (their readers: :data:`ability2.rules.types.VALUE_TYPES`)."""

    HOURS = "hours"  #: a number of 学时, ≥ 0, with a boundary word
    SHARE = "share"  #: a fraction between 0 and 1 (``30%`` or ``0.3``), with a boundary word
    COUNT = "count"  #: a whole number, with a boundary word
    YEARS = "years"  #: a period in whole years (a training cycle)
    FLAG = "flag"  #: a condition that holds or not (``true`` / ``false``)
    ENVIRONMENTS = "environments"  #: a list of environment ids
    ABILITIES = "abilities"  #: a list of micro-ability codes (A1 ... C7)
    PHASE = "phase"  #: a dated phase with a name, a start and an end
    FORM = "form"  #: a scoring form with sections and items
    STEPS = "steps"  #: an ordered review chain
    METHOD = "method"  #: the name of a built-in method (such as a grading rule)

    @property
    def bounded(self) -> bool:
        """Whether values of this kind are limits that need a boundary word."""
        from ability2.rules.types import VALUE_TYPES

        return VALUE_TYPES[self.value].bounded


class Scope(enum.Enum):
    """What a rule is checked against."""

    TEACHER = "teacher"  #: each teacher's row of a roster
    GROUP = "group"  #: each research group (教研组) of a school
    SCHOOL = "school"  #: each school of a roster
    REGION = "region"  #: the bureau's own process (sampling, credit): recorded, not checked on a roster
    TIMELINE = "timeline"  #: dated phases and deadlines
    FORM = "form"  #: scoring forms
    GRADING = "grading"  #: how evidence grades combine


@attrs.frozen
class RuleSpec:
    """What one rule id means: its kind, scope, direction and allowed bases.

    ``bases`` lists the readings a share rule can be counted on (per teacher, per ability
    certification ...); the first is the default, and a policy file picks one with ``basis``.

    ``tags`` say what the rule measures, so that the official summary table and the plots
    find a plugin's rules as they find the core's (a plugin's hours rule tagged ``hours``
    counts in 课程学时合格人数).

    ``check`` is for a plugin's own teacher rule written in plain Python:
    ``check(teacher, rule) -> (value, ok)``, called with a :class:`ability2.TeacherRow`
    and the resolved rule; the evaluator runs it over every teacher of the batch.
    """

    id: str
    kind: Kind | ValueType
    scope: Scope
    title: str
    title_en: str
    direction: Direction | None = None
    bases: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    family: bool = False
    description: str = ""
    #: what the rule measures, for reports and plots that read rules by meaning, not by id:
    #: ``hours`` (课程学时), ``practice`` (校本实践), ``grading`` (校本应用考核),
    #: ``rate:pass``, ``rate:excellent``, ``environment:<env id>``
    tags: tuple[str, ...] = ()
    check: Callable[[Any, Any], tuple[Any, bool]] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def value_type(self) -> ValueType:
        """How the rule's value is read, shown and written (:mod:`ability2.rules.types`)."""
        from ability2.rules.types import value_type_of

        return value_type_of(self.kind)

    @property
    def type_name(self) -> str:
        """The value type's name: ``hours``, ``share`` ... or a plugin type's own."""
        return self.value_type.name

    def matches(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is this spec's id (or, for a family, one of its members)."""
        if self.family:
            prefix = self.id + "."
            return rule_id.startswith(prefix) and len(rule_id) > len(prefix)
        return rule_id == self.id


def spec(
    rule_id: str,
    kind: Kind | ValueType,
    scope: Scope,
    title: str,
    title_en: str,
    direction: Direction | None = None,
    **extra: object,
) -> RuleSpec:
    """A :class:`RuleSpec` with the common fields positional (for the built-in families)."""
    return RuleSpec(rule_id, kind, scope, title, title_en, direction, **extra)  # type: ignore[arg-type]
