"""The evaluator: a roster under a policy, batch first, every verdict explained.

One implementation serves one teacher and a million. The roster is encoded once into a
:class:`~ability2.batch.Batch`; then, scope by scope (teachers, then groups, then schools),
each rule of the policy is handed to the :class:`~ability2.rules.kind.RuleKind` that owns
it, in the catalogue's order. A kind evaluates its rule over whole columns and returns a
:class:`~ability2.result.RuleColumn`: per teacher (or group, or school) the value, the
verdict and the rule it came from. Explanations are read from the same columns.

This module names no rule: what a rule means lives in its kind (:mod:`ability2.rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ability2.batch import Batch, EvaluationError, TeacherRow
from ability2.i18n import STATUSES
from ability2.messages import msg
from ability2.roster import Roster, RosterError, RosterProblem
from ability2.rules.compare import compare_ratio, compare_scaled
from ability2.rules.kind import Reach
from ability2.rules.spec import Scope
from ability2.schools import SchoolTable

if TYPE_CHECKING:
    import numpy as np

    from ability2.cohort import Cohort
    from ability2.policy import Policy
    from ability2.resolved import ResolvedRule
    from ability2.result import Result, RuleColumn
    from ability2.rules.kind import Exemption, RuleKind

__all__ = ["STATUSES", "EvaluationError", "TeacherRow", "compare_ratio", "compare_scaled", "evaluate"]


Progress = Callable[[str, int, int], None]
Plan = list[tuple["RuleKind", "ResolvedRule"]]


def evaluate(
    roster: Roster | Any,
    policy: Policy,
    *,
    schools: SchoolTable | Any | None = None,
    progress: Progress | None = None,
    cohort: Cohort | None = None,
) -> Result:
    """Evaluate every teacher, group and school of ``roster`` under ``policy``.

    ``roster`` is a :class:`~ability2.roster.Roster` or anything :func:`ability2.read_roster`
    reads (a path, a pandas or polars DataFrame). ``schools`` is an optional school table
    (:class:`~ability2.schools.SchoolTable` or anything :func:`ability2.read_schools` reads)
    for the rules about schools and groups that no roster carries; without it those rules
    are listed in ``Result.unchecked``. ``progress(stage, done, total)`` is called on long
    work. Returns a :class:`~ability2.result.Result`.

    A school table with a region column gives only the rows of ``policy``'s region
    (:func:`ability2.school_regions.for_policy`). Every row is judged by ``policy``: a roster
    whose region column (``region``/``地区``) names another region is refused; evaluate it with :func:`ability2.evaluate_regions`,
    which judges each row by its own region's policy.

    ``cohort`` (:class:`ability2.cohort.Cohort`) marks ``roster`` as one part of a cohort
    split by school, with the figures of the whole cohort's rules known so far: a rule whose
    kind needs the whole cohort (:attr:`ability2.Reach.COHORT`) is judged by its figure, and
    one whose figure is not known yet raises :class:`~ability2.cohort.PartialsNeeded` with
    this part's partial (the engines that evaluate parts catch it). Without it, the roster is
    the whole cohort.
    """
    if not isinstance(roster, Roster):
        from ability2.io.roster import read_roster

        roster = read_roster(roster, framework=policy.framework)
    if roster.extra_columns:
        from ability2.region_column import check_single_region

        check_single_region(roster, policy)
    if schools is not None and not isinstance(schools, SchoolTable):
        from ability2.io.schools import read_schools

        schools = read_schools(schools)
    if schools is not None:
        from ability2.school_regions import for_policy

        schools = for_policy(schools, policy)  # a table naming schools' regions: this region's rows
    from ability2.gcpause import paused_gc

    with paused_gc():
        return _evaluate(roster, policy, schools, progress, cohort)


def _evaluate(
    roster: Roster, policy: Policy, schools: SchoolTable | None, progress: Progress | None, cohort: Cohort | None
) -> Result:
    from ability2.result import Result

    batch = Batch(roster, policy, schools)
    batch.progress = progress  # type: ignore[attr-defined]
    batch.cohort_input = cohort  # type: ignore[attr-defined]
    plan: Plan = []
    unchecked: list[tuple[ResolvedRule, tuple[str, str]]] = []
    for kind, rule in policy.catalogue.plan(policy):
        reason = _call(kind, rule, "missing_input", batch)
        if reason is None and rule.spec.scope is Scope.GROUP and batch.group_idx is None:
            reason = ("花名册没有教研组列", "the roster has no group column")
        if reason is None:
            plan.append((kind, rule))
        else:
            unchecked.append((rule, reason))
    _check_columns(batch, plan)
    teacher_plan = [(kind, rule) for kind, rule in plan if rule.spec.scope is Scope.TEACHER]
    exemptions = _exemptions(batch, teacher_plan)
    teacher_columns = _run(batch, teacher_plan)
    _exempt(batch, exemptions, teacher_columns)
    codes = _statuses(batch, teacher_columns)
    batch.status = codes
    group_columns = _run(batch, [(kind, rule) for kind, rule in plan if rule.spec.scope is Scope.GROUP])
    school_columns = _run(batch, [(kind, rule) for kind, rule in plan if rule.spec.scope is Scope.SCHOOL])
    return Result.from_batch(
        policy=policy,
        roster=roster,
        status=None,  # made from the codes when first asked for
        teacher_columns=teacher_columns,
        group_keys=batch.group_keys_made,  # the names made when first asked for
        group_sizes=batch.group_size,
        group_columns=group_columns,
        school_names=batch.school_names,
        school_stats=_school_stats(batch, codes),
        school_columns=school_columns,
        unchecked=[_unchecked(rule, reason) for rule, reason in unchecked],
        status_codes=codes,
        # per teacher: abilities chosen, not graded, 不合格, 合格, 优秀 (the teachers table's counts)
        grade_counts=(batch.k, batch.n_ungraded, batch.n_fail, batch.n_pass, batch.n_excellent),
    )


def _unchecked(rule: ResolvedRule, reason: tuple[str, str]) -> dict[str, Any]:
    """A rule the input could not check, as ``Result.unchecked`` lists it."""
    return {
        "rule": rule.id,
        "scope": rule.spec.scope.value,
        "reason": reason[0],
        "reason_en": reason[1],
        "source": rule.source,
        "layer": rule.layer,
    }


def _check_columns(batch: Batch, plan: Plan) -> None:
    """Every column the policy's kinds need is in the roster, or one error lists the missing ones."""
    problems: list[RosterProblem] = []
    seen: set[str] = set()
    for kind, rule in plan:
        for column in kind.requires:
            if column.name in seen or batch.has_column(column):
                continue
            seen.add(column.name)
            problems.append(
                RosterProblem(
                    batch.roster.source,
                    None,
                    column.name,
                    msg("eval.missing_column", rule=rule.id, name=column.name, alias=column.alias),
                    alias=column.alias,
                )
            )
    if problems:
        raise RosterError(problems)


def _call(kind: RuleKind, rule: ResolvedRule, method: str, batch: Batch) -> Any:
    """Call one method of a kind; a failure that is not an ability2 error names the rule and the kind."""
    from ability2.errors import Ability2Error

    try:
        return getattr(kind, method)(batch, rule)
    except Ability2Error:
        raise
    except Exception as exc:
        plugin = batch.policy.catalogue.plugin_of_kind(kind) or "?"
        raise EvaluationError(
            msg(
                "eval.kind_failed",
                rule=rule.id,
                kind=kind.label,
                plugin=plugin,
                method=method,
                error=f"{type(exc).__name__}: {exc}",
            ),
            rule=rule.id,
            kind=kind.label,
            plugin=plugin,
        ) from exc


#: the entities of a rule's scope, as a message names them
_SCOPE_WORDS = {
    Scope.TEACHER: msg("eval.scope.teacher"),
    Scope.GROUP: msg("eval.scope.group"),
    Scope.SCHOOL: msg("eval.scope.school"),
}


def _checked(batch: Batch, kind: RuleKind, rule: ResolvedRule, column: Any) -> RuleColumn | None:
    """A kind's column, checked: one value and one verdict per entity of the rule's scope."""
    from ability2.result import RuleColumn

    if column is None:
        return None
    size = {Scope.TEACHER: batch.n, Scope.GROUP: batch.n_groups, Scope.SCHOOL: batch.n_schools}[rule.spec.scope]
    plugin = batch.policy.catalogue.plugin_of_kind(kind) or "?"
    where = {"rule": rule.id, "kind": kind.label, "plugin": plugin}
    if not isinstance(column, RuleColumn):
        said = msg("eval.not_a_column", **where, type=type(column).__name__)
        raise EvaluationError(said, **where)
    # values made when first read (a function, see RuleColumn.value) are checked then
    for name in ("ok",) if callable(column._value) else ("ok", "value"):
        length = len(getattr(column, name))
        if length != size:
            said = msg(
                "eval.wrong_length", **where, length=length, name=name, size=size, scope=_SCOPE_WORDS[rule.spec.scope]
            )
            raise EvaluationError(said, **where)
    return column


def _run(batch: Batch, plan: Plan) -> list[RuleColumn]:
    """Preparation steps first (their own columns lead), then every check, in plan order."""
    gates = [
        column for kind, rule in plan if (column := _checked(batch, kind, rule, _call(kind, rule, "prepare", batch)))
    ]
    checks = []
    for kind, rule in plan:
        if getattr(kind, "reach", Reach.SCHOOL) is Reach.COHORT:
            _cohort_figure(batch, kind, rule)
        if column := _checked(batch, kind, rule, _call(kind, rule, "evaluate", batch)):
            checks.append(column)
    return gates + checks


def _cohort_figure(batch: Batch, kind: RuleKind, rule: ResolvedRule) -> None:
    """Give a cohort rule its whole-cohort figure (:mod:`ability2.cohort`) before its kind evaluates it.

    The whole cohort in hand: ``combine([partial(batch)])``, or nothing for a kind that
    reads the batch itself. One part of a cohort: the figure the driver combined, else this
    part's partial is handed up (:class:`~ability2.cohort.PartialsNeeded`); a kind that
    cannot be combined is refused.
    """
    from ability2.cohort import PartialsNeeded, UncombinableRule

    cohort = getattr(batch, "cohort_input", None)
    plugin = batch.policy.catalogue.plugin_of_kind(kind)
    combinable = bool(getattr(kind, "combinable", False))
    if cohort is None:
        if combinable:
            partial = _call(kind, rule, "partial", batch)
            batch.cohort_figures[rule.id] = _combined(kind, rule, [partial], plugin)
        return
    if not combinable:
        raise UncombinableRule.of(rule.id, kind, plugin)
    known, figure = cohort.figure(batch.policy.region.id, rule.id)
    if known:
        batch.cohort_figures[rule.id] = figure
        return
    raise PartialsNeeded({(batch.policy.region.id, rule.id): _call(kind, rule, "partial", batch)})


def _combined(kind: RuleKind, rule: ResolvedRule, partials: list[Any], plugin: str | None) -> Any:
    """``kind.combine(partials)``; a failure names the rule and the kind."""
    from ability2.errors import Ability2Error

    try:
        return kind.combine(partials)
    except Ability2Error:
        raise
    except Exception as exc:
        raise EvaluationError(
            msg(
                "eval.combine_failed",
                rule=rule.id,
                kind=kind.label,
                plugin=plugin or "?",
                error=f"{type(exc).__name__}: {exc}",
            ),
            rule=rule.id,
            kind=kind.label,
            plugin=plugin,
        ) from exc


def _exemptions(batch: Batch, plan: Plan) -> list[tuple[str, Exemption]]:
    """Every exemption of the teacher rules, found before any preparation step runs.

    A preparation step honours them through :meth:`~ability2.Batch.exempt_from` (an exempt
    teacher keeps the offline hours a gate would withhold).
    """
    import numpy as np

    found: list[tuple[str, Exemption]] = []
    for kind, rule in plan:
        exemption = _call(kind, rule, "exemptions", batch)
        if exemption is None:
            continue
        rows = np.asarray(exemption.rows, dtype=bool)
        if len(rows) != batch.n:
            raise EvaluationError(
                msg("eval.exemption_rows", rule=rule.id, rows=len(rows), teachers=batch.n),
                rule=rule.id,
                kind=kind.label,
                plugin=batch.policy.catalogue.plugin_of_kind(kind),
            )
        found.append((rule.id, exemption))
        for _, other in plan:
            if exemption.covers(other.id, rule.id):
                batch.exempt_rows[other.id] = batch.exempt_rows.get(other.id, np.zeros(batch.n, dtype=bool)) | rows
    return found


def _exempt(batch: Batch, exemptions: list[tuple[str, Exemption]], columns: list[RuleColumn]) -> None:
    """Apply every exemption: an exempt teacher holds the rules it covers, and the message says why."""
    import numpy as np

    for own, exemption in exemptions:
        rows = np.asarray(exemption.rows, dtype=bool)
        if not rows.any():
            continue
        reasons = exemption.reason
        if isinstance(reasons, str):
            reasons = np.full(batch.n, reasons, dtype=object)
        for column in columns:
            if not exemption.covers(column.rule, own):
                continue
            fresh = rows if column.exempt is None else rows & ~np.asarray(column.exempt, dtype=bool)
            if not fresh.any():
                continue
            if column.exempt is None:
                column.exempt = np.zeros(batch.n, dtype=bool)
                column.exempt_reason = np.full(batch.n, "", dtype=object)
                column.exempt_label = exemption.label
            column.exempt = column.exempt | fresh
            column.exempt_reason = np.where(fresh, reasons, column.exempt_reason)
            column.ok = np.asarray(column.ok, dtype=bool) | fresh


def _statuses(batch: Batch, columns: list[RuleColumn]) -> np.ndarray[Any, Any]:
    """Each teacher's status code: fail if a rule fails, pending if one is undecided, excellent if granted."""
    import numpy as np

    failed = np.zeros(batch.n, dtype=bool)
    pending = np.zeros(batch.n, dtype=bool)
    granting = [column for column in columns if column.excellent is not None]
    excellent = np.ones(batch.n, dtype=bool) if granting else np.zeros(batch.n, dtype=bool)
    for column in columns:
        exempt = np.zeros(batch.n, dtype=bool) if column.exempt is None else np.asarray(column.exempt, dtype=bool)
        failed |= ~np.asarray(column.ok, dtype=bool)
        if column.pending is not None:
            pending |= np.asarray(column.pending, dtype=bool) & ~exempt
        if column.excellent is not None:
            excellent &= np.asarray(column.excellent, dtype=bool) & ~exempt
    pending &= ~failed
    excellent &= ~failed & ~pending
    codes = np.full(batch.n, 2, dtype=np.int8)
    codes[excellent] = 3
    codes[pending] = 1
    codes[failed] = 0
    return codes


def _school_stats(batch: Batch, codes: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The counts of the schools table: teachers, passed, excellent, certifications."""
    certifications = batch.certifications()
    return {
        "teachers": batch.school_size,
        # certifications made: ungraded selections are not yet certifications
        "certifications": certifications["graded"],
        "passed": batch.per_school(codes >= 2),
        "excellent": batch.per_school(codes == 3),
        "selections": batch.per_school(batch.k),
        "certifications_passed": certifications["passed"],
        "certifications_excellent": certifications["excellent"],
    }
