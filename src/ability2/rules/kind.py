"""Rule kinds: the code that gives a kind of rule its meaning, registered as a plugin.

A policy file states values ("不少于50学时"); a *kind* knows what such a value means for a
roster. Each kind owns its specs (rule ids, value type, scope, direction, bases) and
evaluates one rule at a time over a whole :class:`~ability2.batch.Batch`, in the rule's
scope: every teacher, every research group or every school. It returns a
:class:`~ability2.result.RuleColumn`: per entity the value found, the verdict, the limit and
what the message needs. The core's own kinds and a plugin's are registered the same way,
through the :func:`~ability2.hookspecs.ability2_rule_kinds` hook.

A kind may also

* :meth:`RuleKind.prepare` the batch before any check (the peer-review gate sets the
  offline hours that count; its own verdict comes first in an explanation);
* :meth:`RuleKind.exemptions`: exempt teachers from rules (an exempt teacher holds the rule,
  and the explanation says why);
* declare the roster columns it needs (:attr:`RuleKind.requires`): a roster without one is
  refused with the column's canonical and Chinese names;
* declare its :attr:`RuleKind.reach`: whether its verdicts follow from one school's rows
  (:attr:`Reach.SCHOOL`, the default, which every core kind keeps) or need a figure over the
  whole cohort (:attr:`Reach.COHORT`: a county's pass rate, a share across a county). A
  cohort kind that gives :meth:`RuleKind.partial` and :meth:`RuleKind.combine` is combined
  across the parts of a partitioned or Dask evaluation, never computed per part; one
  without them is refused on those paths (:mod:`ability2.cohort`).

Order is the core's, never pluggy's: built-in kinds in their fixed order, then plugins' kinds
by plugin name; inside a kind, its specs in order, and a spec's rules in policy order.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ability2.messages import msg
from ability2.rules.spec import RuleSpec, Scope

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch, TeacherRow
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn
    from ability2.roster import Column

__all__ = ["CHECKED_SCOPES", "EntityView", "Exemption", "PerEntity", "Reach", "RuleKind"]

#: the scopes a roster checks; a rule in one of them must have a kind that evaluates it
CHECKED_SCOPES = (Scope.TEACHER, Scope.GROUP, Scope.SCHOOL)


@attrs.frozen(eq=False)
class Exemption:
    """Teachers exempt from some rules: they hold them, and the explanation says why.

    ``rows`` is a boolean array over the batch's teachers; ``rules`` the ids exempted from
    (empty: every teacher rule but the exemption's own); ``reason`` one text for all or an
    array of texts, one per teacher; ``label`` the exemption's name (zh, en), such as
    ``("免测", "exempt from assessment")``.
    """

    rows: Any
    rules: tuple[str, ...] = ()
    reason: Any = ""
    label: tuple[str, str] = ("免", "exempt")

    def covers(self, rule_id: str, own: str) -> bool:
        """Whether this exemption applies to rule ``rule_id`` (never to its own rule ``own``)."""
        if rule_id == own:
            return False
        return not self.rules or rule_id in self.rules


class Reach(enum.Enum):
    """What a kind's verdicts need to see: one school's rows, or the whole cohort.

    Teacher, group and school rules never look past a school, so a cohort split by school
    gives the same verdicts part by part (:mod:`ability2.partition`). A kind declares which
    it is through :attr:`RuleKind.reach`.
    """

    #: the verdicts follow from one school's rows (its teachers, its groups): safe per part
    SCHOOL = "school"
    #: the verdicts need a figure over the whole cohort (the rows judged under the same
    #: policy: a region's rows on a roster of several regions): see :meth:`RuleKind.partial`
    COHORT = "cohort"


class RuleKind:
    """Base class of a rule kind. Subclass it, set :attr:`specs`, implement :meth:`evaluate`.

    A minimal vectorised school kind::

        class CertifiedShare(ability2.RuleKind):
            specs = (CERTIFIED_SHARE,)
            requires = (ability2.Column("certified_on", "认证日期", False, "date"),)

            def evaluate(self, batch, rule):
                dates = batch.column("certified_on", "date")  # NaT when blank: compares False
                count, total = batch.share(dates <= np.datetime64(rule.value.by, "D"), by="school")
                ok = compare_ratio(rule.bound, count, total, rule.value.share)
                return self.column(rule, count / total, ok, float(rule.value.share), "share", (count, total))
    """

    #: a short name shown by ``ability2 rules`` and in errors (defaults to the class name)
    name: str = ""
    #: the specs this kind owns and evaluates; they join the rule catalogue
    specs: tuple[RuleSpec, ...] = ()
    #: roster columns this kind's rules need (checked before any rule runs)
    requires: tuple[Column, ...] = ()
    #: ``False`` for kinds that only record rules (region process, timeline, forms)
    checks: bool = True
    #: what the verdicts need (:class:`Reach`): one school's rows (the default, and every core
    #: kind's), or the whole cohort; a cohort kind gives :meth:`partial` and :meth:`combine`
    #: to be evaluated part by part, and is refused there without them
    reach: Reach = Reach.SCHOOL

    @property
    def label(self) -> str:
        """The kind's name, or its class name."""
        return self.name or type(self).__name__

    def owns(self, spec: RuleSpec) -> bool:
        """Whether this kind evaluates ``spec`` (by default: it is one of :attr:`specs`)."""
        return any(own.id == spec.id for own in self.specs)

    def prepare(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Change what later checks see, before any check runs; return this rule's own column, if any.

        Called once per rule of this kind in the policy, in order, before every
        :meth:`evaluate`. A gate's column (the peer-review gate) is listed before all checks.
        """
        return None

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Check ``rule`` over every entity of its scope; ``None`` when :meth:`prepare` gave the verdict.

        The default gives none: a kind implements ``evaluate``, ``prepare`` or both (one
        with neither is refused when the registry loads).
        """
        return None

    def exemptions(self, batch: Batch, rule: ResolvedRule) -> Exemption | None:
        """Teachers this rule exempts from other rules (``None``: none)."""
        return None

    def missing_input(self, batch: Batch, rule: ResolvedRule) -> tuple[str, str] | None:
        """Why ``rule`` cannot be checked on this input, in Chinese and English, or ``None``.

        For rules that read an optional input (the school table, an optional roster column):
        when it is absent the rule is listed in ``Result.unchecked`` with this reason, and
        neither passes nor fails anyone. A column the rule cannot do without belongs in
        :attr:`requires` instead (its absence is an error).
        """
        return None

    def partial(self, batch: Batch, rule: ResolvedRule) -> Any:
        """A cohort kind's figure over this batch's rows, to be added to the other parts' (:meth:`combine`).

        Called right before :meth:`evaluate` (teacher statuses are known to a school or group
        rule, as ``batch.status``), on each part of a partitioned cohort, and once on a cohort
        evaluated whole. The value must pickle (numbers, text, tuples, lists, dicts): it
        travels between processes and machines. Only for kinds of :attr:`Reach.COHORT`.
        """
        raise NotImplementedError

    def combine(self, partials: Sequence[Any]) -> Any:
        """The whole cohort's figure from the parts' :meth:`partial` values (one per part with rows).

        It must not depend on how the cohort was split: ``combine([partial(a), partial(b)])``
        equals ``combine([partial(a + b)])`` for any split by school. :meth:`evaluate` reads
        the result with :meth:`ability2.Batch.cohort`. :func:`ability2.cohort.add_counts`
        combines the common case, counts by key.
        """
        raise NotImplementedError

    @property
    def combinable(self) -> bool:
        """Whether this kind gives both :meth:`partial` and :meth:`combine` (a cohort kind that can be split)."""
        base = RuleKind.__dict__
        return all(getattr(type(self), name, None) is not base[name] for name in ("partial", "combine"))

    def column(
        self,
        rule: ResolvedRule,
        value: Any,
        ok: Any,
        limit: Any,
        unit: str = "",
        counts: tuple[Any, Any] | None = None,
        *,
        formatter: Callable[[RuleColumn, int, str], str] | None = None,
    ) -> RuleColumn:
        """A :class:`~ability2.result.RuleColumn` for ``rule`` (see its ``from_rule``)."""
        from ability2.result import RuleColumn

        return RuleColumn.from_rule(rule, value, ok, limit, unit, counts, formatter=formatter)

    def __repr__(self) -> str:
        return f"<rule kind {self.label}: {', '.join(spec.id for spec in self.specs) or 'by scope'}>"


@attrs.frozen
class EntityView:
    """A school or research group as a plain-Python rule sees it: its name and its teachers."""

    school: str
    group: str | None
    teachers: tuple[TeacherRow, ...]

    @property
    def size(self) -> int:
        """How many teachers it has."""
        return len(self.teachers)


Check = Callable[[Any, Any], tuple[Any, bool]]


class PerEntity(RuleKind):
    """A rule written in plain Python, one teacher (or school, or group) at a time.

    ``check(entity, rule) -> (value, ok)`` is called with a :class:`~ability2.batch.TeacherRow`
    for a teacher-scope spec, an :class:`EntityView` for a school or group spec. The engine
    runs it over the whole batch. Exceptions name the rule and the entity.
    """

    def __init__(self, spec: RuleSpec, check: Check, name: str = "") -> None:
        self.specs = (spec,)
        self.check = check
        self.name = name or f"python:{spec.id}"

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Run the check over every entity of the rule's scope."""
        import numpy as np

        from ability2.batch import EvaluationError

        scope = rule.spec.scope
        if scope is Scope.TEACHER:
            count = batch.n
        elif scope is Scope.SCHOOL:
            count = batch.n_schools
        else:
            count = batch.n_groups
        values: list[Any] = []
        oks: np.ndarray[Any, Any] = np.zeros(count, dtype=bool)
        progress = getattr(batch, "progress", None)
        step = max(1, count // 100)
        absent: set[str] = set()  # extra columns the check asked for that the roster lacks
        for i in range(count):
            entity = _watched(self._entity(batch, scope, i), absent)
            try:
                value, ok = self.check(entity, rule)
            except Exception as exc:
                if absent:  # a KeyError on the absent column, most likely: say what is missing
                    raise _absent_columns(rule, absent, batch) from exc
                from ability2.messages import msg

                said = msg(
                    "eval.plugin_rule_failed",
                    rule=rule.id,
                    entity=_describe(entity),
                    error=f"{type(exc).__name__}: {exc}",
                )
                raise EvaluationError(said, rule=rule.id, kind=self.label) from exc
            if absent:
                raise _absent_columns(rule, absent, batch)
            values.append(value)
            oks[i] = bool(ok)
            if progress is not None and i % step == 0:
                progress(f"rule {rule.id}", i, count)
        return self.column(rule, np.array(values, dtype=object), oks, _limit(rule), "", formatter=_message(rule))

    @staticmethod
    def _entity(batch: Batch, scope: Scope, index: int) -> Any:
        if scope is Scope.TEACHER:
            return batch.teacher(index)
        if scope is Scope.SCHOOL:
            rows = tuple(batch.teacher(i) for i in batch.teachers_of(index, "school"))
            return EntityView(batch.school_names[index], None, rows)
        school, group = batch.group_keys[index]
        rows = tuple(batch.teacher(i) for i in batch.teachers_of(index, "group"))
        return EntityView(school, group, rows)


class _WatchedColumns(dict[str, Any]):
    """A teacher's extra columns that remember which absent column a rule asked for.

    Reading a column (``extra[name]``, ``extra.get(name)``) that the roster lacks is noted;
    asking whether it is there (``name in extra``) is not: a rule that tests first handles
    an optional column itself.
    """

    def __init__(self, values: dict[str, Any], absent: set[str]) -> None:
        super().__init__(values)
        self.absent = absent

    def __missing__(self, key: str) -> Any:
        self.absent.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override, unused-ignore]
        """The column's value, or ``default`` (and the column noted as absent)."""
        if key not in self:
            self.absent.add(key)
            return default
        return self[key]


def _watched(entity: Any, absent: set[str]) -> Any:
    """``entity`` (a teacher, or a school or group of teachers) with its extra columns watched."""
    if isinstance(entity, EntityView):
        return attrs.evolve(entity, teachers=tuple(_watched(row, absent) for row in entity.teachers))
    extra = getattr(entity, "extra", None)
    if not isinstance(extra, dict):
        return entity
    return attrs.evolve(entity, extra=_WatchedColumns(extra, absent))


def _absent_columns(rule: ResolvedRule, absent: set[str], batch: Batch) -> Exception:
    """The error for a plugin rule that reads roster columns the roster does not have."""
    from ability2.batch import EvaluationError

    present = batch.roster.extra_columns or msg("eval.none")
    said = msg("eval.absent_columns", rule=rule.id, names=sorted(absent), present=present)
    return EvaluationError(said, rule=rule.id)


def _limit(rule: ResolvedRule) -> Any:
    """A plugin rule's limit as a plain value: a number when the rule's value is one, else its reading."""
    from decimal import Decimal
    from fractions import Fraction

    value = rule.value
    if isinstance(value, bool):
        return value
    if isinstance(value, Fraction | Decimal):
        return float(value)
    if isinstance(value, int | float | str):
        return value
    return rule.describe_value("zh")


def _message(rule: ResolvedRule) -> Callable[[RuleColumn, int, str], str]:
    """The sentence of a plugin rule: the value its check found, and the rule's value as a reader writes it.

    The check's value has no unit the core knows, so it is shown as it is; the rule's value
    is shown once, with its sign and the document's word (``≥ 50%（不少于）``), in one language.
    """
    asks = {"zh": rule.describe_value("zh"), "en": rule.describe_value("en")}

    def message(column: RuleColumn, index: int, lang: str) -> str:
        from ability2.result import verdict_sentence

        return verdict_sentence(column, index, lang, column.display_value(index, lang), asks.get(lang, asks["en"]))

    return message


def _describe(entity: Any) -> Any:

    if isinstance(entity, EntityView):
        if entity.group:
            return msg("eval.entity_group", school=entity.school, group=entity.group)
        return msg("eval.entity_school", school=entity.school)
    return msg("eval.entity_teacher", id=entity.teacher_id)
