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
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error
from ability2.i18n import STATUS_ORDER

if TYPE_CHECKING:
    import pandas as pd

    from ability2.plots import ComparisonPlots
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.result import Result

__all__ = ["STATUS_RANK", "Comparison", "compare"]

#: statuses from worst to best, for winners and losers
#: teacher statuses ranked worst first (a change up the rank is "better")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}

_METRICS = ("teachers", "passed", "excellent", "pass_rate", "excellent_rate", "checks_failed")


def _to_backend(frame: pd.DataFrame, backend: str) -> Any:
    if backend == "pandas":
        return frame
    if backend == "polars":
        import polars as pl

        return pl.from_dict({str(c): frame[c].tolist() for c in frame.columns})
    raise ValueError(f"unknown backend {backend!r}; use 'pandas' or 'polars'")


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
        raise Ability2Error(f"no policy {label!r} in this comparison; it has {self.labels}")

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

    def differences(self, backend: str = "pandas") -> Any:
        """Teachers whose status differs between two policies, with the rules that make the difference.

        One row per teacher and pair of policies (each pair once, in order); ``rules`` lists
        the rules that fail under one policy and not under the other.
        """
        import numpy as np
        import pandas as pd

        rows = []
        statuses = [np.asarray(result.status, dtype=object) for result in self.results]
        for a in range(len(self.policies)):
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
                            "failed_only_under_a": ";".join(sorted(failed_a - failed_b)),
                            "failed_only_under_b": ";".join(sorted(failed_b - failed_a)),
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

    def policy_table(self, backend: str = "pandas", *, long: bool = False) -> Any:
        """Rule × policy: each rule's value per policy (``long=True``: value, layer and source rows).

        A rule a policy does not have shows as empty; the ``differs`` column marks rules
        whose values are not the same under every policy.
        """
        import pandas as pd

        from ability2.serialize import value_to_json

        records = []
        rule_ids: dict[str, None] = {}
        meaning: dict[str, set[str]] = {}
        for policy in self.policies:
            for rule in policy:
                rule_ids.setdefault(rule.id)
                records.append(
                    {
                        "rule": rule.id,
                        "policy": policy.name,
                        "value": rule.describe_value(),
                        "layer": rule.layer,
                        "source": rule.source,
                    }
                )
                # what the rule means, apart from its wording: the same ≥ 50 from 不少于 and from 至少 agree
                key = repr((value_to_json(rule.value), rule.bound.symbol if rule.bound else None, rule.basis))
                meaning.setdefault(rule.id, set()).add(key)
        frame = pd.DataFrame(records, columns=["rule", "policy", "value", "layer", "source"])
        if long:
            return _to_backend(frame, backend)
        wide = (
            frame.pivot(index="rule", columns="policy", values="value")
            .reindex(index=list(rule_ids), columns=self.labels)
            .fillna("")
        )
        present = wide.ne("").sum(axis=1)
        wide["differs"] = [len(meaning[rule]) > 1 or int(present[rule]) < len(self.labels) for rule in wide.index]
        wide = wide.reset_index()
        wide.columns.name = None
        return _to_backend(wide, backend)

    def deltas(self, backend: str = "pandas") -> Any:
        """Against the baseline, per other policy: teachers who win or lose, schools that change status."""
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
                    "schools_changed": ";".join(changed),
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


def compare(
    roster: Any,
    policies: Sequence[str | Policy] | Iterable[str | Policy],
    *,
    on: dt.date | None = None,
    registry: Registry | None = None,
    schools: Any = None,
) -> Comparison:
    """Evaluate ``roster`` under each of ``policies`` (region ids or codes, or Policy objects).

    ``schools`` is an optional school table (see :func:`ability2.evaluate`), used for every policy.

    Every region is resolved, and the roster read and validated, before any evaluation: an
    unknown region, a date a region's rules do not cover, or a bad roster is one error up
    front. ``on`` (default: today) applies to regions named by id; Policy objects keep their
    own date.
    """
    from ability2.errors import PolicyDateError, UnknownRegionError
    from ability2.evaluation import evaluate
    from ability2.io.roster import read_roster
    from ability2.policy import Policy
    from ability2.roster import Roster

    items = list(policies)
    if not items:
        raise Ability2Error("compare needs at least one region or policy")
    needs_registry = any(not isinstance(item, Policy) for item in items)
    if needs_registry and registry is None:
        from ability2.registry import load_registry

        registry = load_registry()
    resolved: list[Policy] = []
    problems: list[str] = []
    for item in items:
        if isinstance(item, Policy):
            resolved.append(item)
            continue
        assert registry is not None
        try:
            resolved.append(registry.policy(item, on=on))
        except (UnknownRegionError, PolicyDateError) as exc:
            problems.append(str(exc))
    if problems:
        raise Ability2Error("cannot compare:\n  " + "\n  ".join(problems))
    names = [policy.name for policy in resolved]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise Ability2Error(f"two policies share a name {duplicates}; give what-if policies a label")
    if not isinstance(roster, Roster):
        roster = read_roster(roster, framework=resolved[0].framework)
    if schools is not None:
        from ability2.io.schools import read_schools
        from ability2.schools import SchoolTable

        if not isinstance(schools, SchoolTable):
            schools = read_schools(schools)
    results = tuple(evaluate(roster, policy, schools=schools) for policy in resolved)
    return Comparison(tuple(resolved), results)
