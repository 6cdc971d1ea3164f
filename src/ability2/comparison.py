"""Compare regions' policies, or what-if overlays, on one cohort.

:func:`compare` evaluates one roster under several policies (regions named by id or code,
or :class:`~ability2.policy.Policy` objects such as what-if overlays) and returns a
:class:`Comparison`: tidy tables of school metrics, a teacher × policy status matrix, the
teachers whose status differs with the rules that make the difference, a rule × policy
table of values, layers and sources, and deltas against a baseline (who wins, who loses,
which schools change status). Every table is pandas by default; ``backend="polars"`` gives
polars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from ability2.converting import quoted
from ability2.errors import Ability2Error, ProblemListError
from ability2.i18n import STATUS_ORDER
from ability2.messages import msg

if TYPE_CHECKING:
    import pandas as pd

    from ability2.plots import ComparisonPlots
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.result import Result

__all__ = ["DOCUMENT_DATES", "STATUS_RANK", "Comparison", "PolicyItem", "compare", "resolve_policies"]

#: statuses from worst to best, for winners and losers
#: teacher statuses ranked worst first (a change up the rank is "better")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}

_METRICS = ("teachers", "passed", "excellent", "pass_rate", "excellent_rate", "checks_failed")


#: columns holding a list of texts per row (rule ids, school names)
_LIST_COLUMNS = ("failed_only_under_a", "failed_only_under_b", "schools_changed")


def _to_backend(frame: pd.DataFrame, backend: str) -> Any:
    if backend == "pandas":
        return frame
    if backend == "polars":
        import polars as pl

        lists = {str(c): pl.List(pl.String) for c in frame.columns if c in _LIST_COLUMNS}
        return pl.from_dict({str(c): frame[c].tolist() for c in frame.columns}, schema_overrides=lists)
    raise ValueError(msg("compare.unknown_backend", backend=str(backend)))


@attrs.define(eq=False)
class Comparison:
    """One cohort under several policies. The first policy is the baseline."""

    policies: tuple[Policy, ...]
    results: tuple[Result, ...]

    @property
    def labels(self) -> list[str]:
        """The policies' names, in order (region ids, or what-if labels)."""
        return [policy.name for policy in self.policies]

    @property
    def baseline(self) -> Policy:
        """The policy the deltas are taken against (the first one)."""
        return self.policies[0]

    def result(self, label: str) -> Result:
        """The evaluation under the policy named ``label``."""
        for policy, result in zip(self.policies, self.results, strict=True):
            if policy.name == label:
                return result
        raise Ability2Error(msg("compare.no_policy", label=label, labels=tuple(quoted(x) for x in self.labels)))

    # -- tables --------------------------------------------------------------------------------
    @cached_property
    def _schools(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for policy, result in zip(self.policies, self.results, strict=True):
            frame = result.schools
            failed = [sum(not bool(c.ok[i]) for c in result.school_columns) for i in range(len(result.school_names))]
            frame = frame.assign(
                checks_failed=failed, policy=policy.name, region=policy.region.id, on=policy.on.isoformat()
            )
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def schools(self, backend: str = "pandas") -> Any:
        """Tidy: one row per policy × school × metric (teachers, passed, excellent, rates, checks failed)."""
        frame = self._schools.melt(
            id_vars=["policy", "region", "on", "school"],
            value_vars=list(_METRICS),
            var_name="metric",
            value_name="value",
        )
        return _to_backend(frame, backend)

    def school_table(self, backend: str = "pandas") -> Any:
        """Wide: one row per policy × school, the metrics and the school status as columns."""
        extra = [c for c in ("ability_pass_rate", "ability_excellent_rate") if c in self._schools.columns]
        frame = self._schools[["policy", "region", "on", "school", *_METRICS, *extra, "status"]]
        return _to_backend(frame.reset_index(drop=True), backend)

    @cached_property
    def _status(self) -> pd.DataFrame:
        import pandas as pd

        first = self.results[0]
        data: dict[str, Any] = {
            "teacher_id": [str(t) for t in first.teacher_ids],
            "school": [str(s) for s in first.teacher_schools],
        }
        for policy, result in zip(self.policies, self.results, strict=True):
            data[policy.name] = list(result.status)
        return pd.DataFrame(data)

    def status(self, backend: str = "pandas") -> Any:
        """The teacher × policy status matrix (roster order)."""
        return _to_backend(self._status, backend)

    def _failed_rules(self, result: Result, index: int) -> set[str]:
        failed = {column.rule for column in result.teacher_columns if not bool(column.ok[index])}
        if result.roster is not None:
            lo, hi = int(result.roster.ability_offsets[index]), int(result.roster.ability_offsets[index + 1])
            if (result.roster.grades[lo:hi] == 0).any():
                failed.add("grades (不合格)")
        return failed

    def differences(self, backend: str = "pandas", *, pairs: str = "baseline") -> Any:
        """Teachers whose status differs between two policies, with the rules that make the difference.

        One row per teacher and pair of policies: the baseline (policy ``a``) against each
        other policy (``b``) by default; ``pairs="all"`` takes every pair once, in order.
        ``failed_only_under_a`` and ``_b`` are lists of the rules that fail under one policy
        and not under the other (sorted).
        """
        import numpy as np
        import pandas as pd

        if pairs not in ("baseline", "all"):
            raise Ability2Error(msg("compare.unknown_pairs", pairs=str(pairs)))
        rows = []
        statuses = [np.asarray(result.status, dtype=object) for result in self.results]
        for a in range(len(self.policies) if pairs == "all" else 1):
            for b in range(a + 1, len(self.policies)):
                for index in np.nonzero(statuses[a] != statuses[b])[0]:
                    i = int(index)
                    failed_a = self._failed_rules(self.results[a], i)
                    failed_b = self._failed_rules(self.results[b], i)
                    rows.append(
                        {
                            "teacher_id": str(self.results[a].teacher_ids[i]),
                            "school": str(self.results[a].teacher_schools[i]),
                            "policy_a": self.policies[a].name,
                            "status_a": statuses[a][i],
                            "policy_b": self.policies[b].name,
                            "status_b": statuses[b][i],
                            "failed_only_under_a": sorted(failed_a - failed_b),
                            "failed_only_under_b": sorted(failed_b - failed_a),
                        }
                    )
        columns = [
            "teacher_id",
            "school",
            "policy_a",
            "status_a",
            "policy_b",
            "status_b",
            "failed_only_under_a",
            "failed_only_under_b",
        ]
        return _to_backend(pd.DataFrame(rows, columns=columns), backend)

    def policy_table(
        self, backend: str = "pandas", *, long: bool = False, timeline: bool = False, lang: str = "zh"
    ) -> Any:
        """Rule × policy: each rule's value per policy, as a person reads it (wide) or as data (``long=True``).

        Wide: one row per rule, one column per policy with the value written as a person
        writes it, in ``lang`` (``≥ 50（不少于）``); a rule a policy does not have shows as
        empty; the ``differs`` column marks rules whose values are not the same under every
        policy.

        Long (tidy): one row per rule × policy with ``value`` a number (hours, a fraction for
        a share, a count or years; empty for a value that is not a number: a list, a phase, a
        form), ``unit`` (the value type: ``hours``, ``share``, ``count`` ...), ``word`` (the
        document's boundary word, ``不少于``), ``direction`` (``min``, ``max``, ``exact`` or
        ``approx``), ``inclusive`` (whether the limit itself passes), ``basis`` (what a share
        is counted over), ``display`` (the value as the wide table writes it, in ``lang``),
        ``layer`` and ``source``.

        The timeline's phases and deadlines (rules of scope ``timeline``) differ from region to
        region by nature and are left out unless ``timeline=True``.
        """
        import pandas as pd

        from ability2.rules.spec import Scope
        from ability2.serialize import value_to_json

        records = []
        rule_ids: dict[str, None] = {}
        meaning: dict[str, set[str]] = {}
        for policy in self.policies:
            for rule in policy:
                if rule.spec.scope is Scope.TIMELINE and not timeline:
                    continue
                rule_ids.setdefault(rule.id)
                bound = rule.bound
                records.append(
                    {
                        "rule": rule.id,
                        "policy": policy.name,
                        "value": _number(rule.value),
                        "unit": rule.spec.value_type.name,
                        "word": bound.word if bound else None,
                        "direction": bound.direction.value if bound else None,
                        "inclusive": bound.inclusive if bound else None,
                        "basis": rule.basis,
                        "display": rule.describe_value(lang),
                        "layer": rule.layer,
                        "source": rule.source,
                    }
                )
                # what the rule means, apart from its wording: the same ≥ 50 from 不少于 and from 至少 agree
                key = repr((value_to_json(rule.value), rule.bound.symbol if rule.bound else None, rule.basis))
                meaning.setdefault(rule.id, set()).add(key)
        columns = ["rule", "policy", "value", "unit", "word", "direction", "inclusive", "basis", "display"]
        frame = pd.DataFrame(records, columns=[*columns, "layer", "source"])
        if long:
            frame["value"] = frame["value"].astype("float64")
            return _to_backend(frame, backend)
        wide = (
            frame.pivot(index="rule", columns="policy", values="display")
            .reindex(index=list(rule_ids), columns=self.labels)
            .fillna("")
        )
        present = wide.ne("").sum(axis=1)
        wide["differs"] = [len(meaning[rule]) > 1 or int(present[rule]) < len(self.labels) for rule in wide.index]
        wide = wide.reset_index()
        wide.columns.name = None
        return _to_backend(wide, backend)

    def deltas(self, backend: str = "pandas") -> Any:
        """Against the baseline, per other policy: teachers who win or lose, schools that change status.

        ``schools_changed`` is the list of schools whose status differs from the baseline's
        (in order of first appearance); ``schools_now_pass`` and ``schools_now_fail`` count them.
        """
        import numpy as np
        import pandas as pd

        base = self.results[0]
        base_rank = np.array([STATUS_RANK[str(s)] for s in base.status])
        base_schools = dict(zip(base.school_names, base.school_status(), strict=True))
        rows = []
        for policy, result in zip(self.policies[1:], self.results[1:], strict=True):
            rank = np.array([STATUS_RANK[str(s)] for s in result.status])
            schools = dict(zip(result.school_names, result.school_status(), strict=True))
            changed = [school for school, status in schools.items() if base_schools.get(school) != status]
            rows.append(
                {
                    "policy": policy.name,
                    "baseline": self.baseline.name,
                    "winners": int((rank > base_rank).sum()),
                    "losers": int((rank < base_rank).sum()),
                    "unchanged": int((rank == base_rank).sum()),
                    "schools_now_pass": sum(1 for s in changed if schools[s] == "pass"),
                    "schools_now_fail": sum(1 for s in changed if schools[s] == "fail"),
                    "schools_changed": changed,
                }
            )
        return _to_backend(pd.DataFrame(rows), backend)

    def winners_and_losers(self, label: str) -> tuple[list[str], list[str]]:
        """The teacher ids whose status improves, and worsens, under ``label`` against the baseline."""
        base = self.results[0]
        other = self.result(label)
        winners, losers = [], []
        for i, teacher in enumerate(base.teacher_ids):
            before, after = STATUS_RANK[str(base.status[i])], STATUS_RANK[str(other.status[i])]
            if after > before:
                winners.append(str(teacher))
            elif after < before:
                losers.append(str(teacher))
        return winners, losers

    # -- output --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: policies, school table, status matrix, differences, policy table, deltas."""
        import json

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return list(json.loads(frame.to_json(orient="records", force_ascii=False)))

        return {
            "policies": [
                {
                    "name": p.name,
                    "region": p.region.id,
                    "on": p.on.isoformat(),
                    **({"unchecked": r.unchecked_dicts()} if r.unchecked else {}),
                }
                for p, r in zip(self.policies, self.results, strict=True)
            ],
            "schools": records(self.school_table()),
            "status": records(self.status()),
            "differences": records(self.differences()),
            "policy_table": records(self.policy_table(long=True)),
            "deltas": records(self.deltas()),
        }

    @property
    def plot(self) -> ComparisonPlots:
        """Plots of this comparison (matplotlib): see :class:`ability2.plots.ComparisonPlots`."""
        from ability2.plots import ComparisonPlots

        return ComparisonPlots(self)

    def __repr__(self) -> str:
        return f"<Comparison of {len(self.policies)} policies on {len(self.results[0])} teachers: {', '.join(self.labels)}>"

    def _repr_html_(self) -> str:
        from ability2.display import comparison_html

        return comparison_html(self)


def _number(value: Any) -> float | None:
    """A rule's value as a number (a fraction for a share), or ``None`` when it is not one."""
    from fractions import Fraction

    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        return None
    return float(value)


#: what :func:`compare` compares: a region (id or code), a region on its own date, or a policy
PolicyItem: TypeAlias = "str | int | tuple[str | int, dt.date] | Policy"

#: ``on="documents"``: each region on the first day its own documents' rules hold
DOCUMENT_DATES = "documents"


def compare(
    roster: Any,
    policies: Sequence[PolicyItem] | Iterable[PolicyItem],
    *,
    on: dt.date | str | None = None,
    registry: Registry | None = None,
    schools: Any = None,
) -> Comparison:
    """Evaluate ``roster`` under each of ``policies``: regions, regions on their own dates, policies.

    Each item is a region id or code, a ``(region, date)`` pair (兖州 in 2022 against 开原
    in 2024), or a :class:`~ability2.policy.Policy` (a what-if overlay), which keeps its own
    date. ``on`` is the date of the regions named without one: a date (default: today), or
    ``"documents"`` for each region's own first day (:meth:`Registry.effective_from`). When
    the policies are not all of one date, each region's policy is named ``region@date``.
    ``schools`` is an optional school table (see :func:`ability2.evaluate`), used for every policy.

    Every region is resolved, and the roster read and validated, before any evaluation: an
    unknown region, a date a region's rules do not cover, or a bad roster is one error up
    front.
    """
    from ability2.evaluation import evaluate
    from ability2.io.roster import read_roster
    from ability2.roster import Roster

    resolved = resolve_policies(policies, on=on, registry=registry)
    names = [policy.name for policy in resolved]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise Ability2Error(msg("compare.same_name", names=tuple(quoted(x) for x in duplicates)))
    if not isinstance(roster, Roster):
        roster = read_roster(roster, framework=resolved[0].framework)
    if schools is not None:
        from ability2.io.schools import read_schools
        from ability2.schools import SchoolTable

        if not isinstance(schools, SchoolTable):
            schools = read_schools(schools)
    results = tuple(evaluate(roster, policy, schools=schools) for policy in resolved)
    return Comparison(tuple(resolved), results)


def resolve_policies(
    policies: Sequence[PolicyItem] | Iterable[PolicyItem],
    *,
    on: dt.date | str | None = None,
    registry: Registry | None = None,
) -> list[Policy]:
    """The policies :func:`compare` compares, each item resolved as it describes (one error for every problem).

    Raises :class:`~ability2.errors.Ability2Error` listing every unknown region and every
    date a region's rules do not cover.
    """
    from ability2.errors import PolicyDateError, UnknownRegionError
    from ability2.policy import Policy

    items = list(policies)
    if not items:
        raise Ability2Error(msg("compare.nothing"))
    if isinstance(on, str) and on != DOCUMENT_DATES:
        raise Ability2Error(msg("compare.bad_on", word=DOCUMENT_DATES, value=on))
    needs_registry = any(not isinstance(item, Policy) for item in items)
    if needs_registry and registry is None:
        from ability2.registry import default_registry

        registry = default_registry()
    resolved: list[Policy] = []
    named: list[bool] = []  # resolved here from a region (may be renamed region@date)
    problems: list[Ability2Error] = []
    for item in items:
        if isinstance(item, Policy):
            resolved.append(item)
            named.append(False)
            continue
        assert registry is not None
        try:
            region, day = _region_and_date(item, on, registry)
            resolved.append(registry.policy(region, on=day))
            named.append(True)
        except (UnknownRegionError, PolicyDateError, Ability2Error) as exc:
            problems.append(exc)
    if problems:
        raise ProblemListError(msg("compare.cannot"), problems)
    if len({policy.on for policy in resolved}) > 1:
        resolved = [
            attrs.evolve(policy, label=f"{policy.region.id}@{policy.on.isoformat()}")
            if own and policy.label is None
            else policy
            for policy, own in zip(resolved, named, strict=True)
        ]
    return resolved


def _region_and_date(item: Any, on: dt.date | str | None, registry: Registry) -> tuple[str | int, dt.date | None]:
    """The region of a compare item and the date to resolve it on."""
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[1], dt.date) or isinstance(item[1], dt.datetime):
            raise Ability2Error(msg("compare.bad_pair", value=repr(item)[:80]))
        return item[0], item[1]
    if on == DOCUMENT_DATES:
        first = registry.effective_from(item)
        if first is None:
            raise Ability2Error(msg("compare.undated", region=str(item)))
        return item, first
    assert on is None or isinstance(on, dt.date)
    return item, on
