"""The core's own rule kinds, registered through the same hooks as a plugin's, first.

Like pytest and tox, ability2 registers its built-in behaviour as a plugin
(:data:`BUILTIN_KINDS_PLUGIN`) before any third-party plugin: the built-in specs come through
:func:`~ability2.hookspecs.ability2_rule_specs` (in catalogue order) and the built-in kinds
through :func:`~ability2.hookspecs.ability2_rule_kinds` (in evaluation order).
"""

from __future__ import annotations

from ability2.hookspecs import hookimpl
from ability2.rules import facts, grading, hours, readings, recorded, scope, selection, shares, tables, videos
from ability2.rules.kind import RuleKind
from ability2.rules.spec import RuleSpec

__all__ = ["BUILTIN_KINDS_PLUGIN", "BUILTIN_SPECS", "builtin_kinds"]

#: the name the built-in kinds are registered under
BUILTIN_KINDS_PLUGIN = "ability2.rules"

#: every built-in spec, in the order ``ability2 rules`` and policies list them
BUILTIN_SPECS: tuple[RuleSpec, ...] = (
    *hours.SPECS,
    *selection.SPECS,
    *grading.SPECS,
    *readings.SPECS,
    *tables.SPECS,
    videos.GROUP_SHARE,
    *shares.RATE_SPECS,
    *shares.ENVIRONMENT_SPECS,
    *scope.SPECS,
    videos.SCHOOL_SHARE,
    videos.EVERY_SUBJECT,
    *facts.SPECS[:-1],
    *recorded.SCHOOL_PROCESS_SPECS,
    *recorded.REGION_SPECS,
    facts.SCHOOL_BASED_CREDIT,
    *recorded.FAMILY_SPECS,
)


def builtin_kinds() -> list[RuleKind]:
    """The built-in kinds, in evaluation order: gates, teacher checks, group checks, school checks."""
    return [
        hours.PeerReviewGate(),
        hours.HoursFloor(),
        hours.PracticeShare(),
        selection.SelectionCount(),
        selection.DimensionsCovered(),
        selection.AllowedChoices(),
        grading.TeacherGrading(),
        readings.PendingAfterDeadline(),
        shares.SchoolRate(),
        shares.EnvironmentShare(),
        scope.ScopeCount(),
        videos.VideoShare(),
        videos.EverySubjectVideo(),
        facts.TeacherFactFlag(),
        facts.AssignedEnvironment(),
        facts.SchoolFactFlag(),
        facts.SchoolFactCount(),
        recorded.Recorded(),
    ]


class BuiltinKinds:
    """The plugin object that registers the core's specs and kinds."""

    @hookimpl
    def ability2_rule_specs(self) -> list[RuleSpec]:
        """Every built-in spec, in catalogue order."""
        return list(BUILTIN_SPECS)

    @hookimpl
    def ability2_rule_kinds(self) -> list[RuleKind]:
        """Every built-in kind, in evaluation order."""
        return builtin_kinds()
