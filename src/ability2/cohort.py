"""Rules that need the whole cohort: figures taken part by part and combined, never recomputed per part.

Most rule kinds judge within a school (:attr:`ability2.Reach.SCHOOL`), so a cohort split by
school gives the same verdicts part by part. A kind that needs a figure over the whole cohort
(a county's pass rate, a share across a county) declares :attr:`ability2.Reach.COHORT` and
gives two methods: :meth:`~ability2.RuleKind.partial` (the figure of one part's rows) and
:meth:`~ability2.RuleKind.combine` (the whole cohort's figure from the parts'). Its
:meth:`~ability2.RuleKind.evaluate` reads the combined figure with :meth:`ability2.Batch.cohort`.

* Evaluated whole (:func:`ability2.evaluate`, one process), the figure is
  ``combine([partial(batch)])``: the same code as part by part.
* Evaluated part by part (:func:`~ability2.reports.partitioned.evaluate_partitioned`, the Dask
  engine, :func:`~ability2.partition.evaluate_frame`), each part is evaluated up to the first
  cohort rule whose figure is not known yet; it gives its partial (:class:`PartialsNeeded`)
  and stops. The driver combines the parts' partials (:func:`combine_partials`) and evaluates
  every part again with the figures known (:class:`Cohort`), until no part needs one: one
  pass more than there are cohort rules in a policy, one pass for a policy without any.
* A cohort kind without ``partial`` and ``combine`` cannot be split: the partitioned path and
  the Dask engine refuse it (:class:`UncombinableRule`, naming the rule, the kind and the
  plugin) rather than judge each part as if it were the cohort.

On a roster of several regions, the cohort of a rule is the rows judged under the policy
that holds it (its region's rows), so figures are kept by ``(region id, rule id)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error
from ability2.messages import msg

if TYPE_CHECKING:
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.resolved import ResolvedRule
    from ability2.rules.kind import RuleKind

__all__ = [
    "Cohort",
    "FigureKey",
    "PartialsNeeded",
    "UncombinableRule",
    "add_counts",
    "check_partitionable",
    "cohort_rules",
    "combine_partials",
    "policy_lookup",
]

#: a combined figure's key: the region whose policy holds the rule, and the rule's id
FigureKey = tuple[str, str]


class UncombinableRule(Ability2Error):
    """A rule whose kind needs the whole cohort and cannot be combined from parts (no partial/combine)."""

    @classmethod
    def of(cls, rule_id: str, kind: RuleKind, plugin: str | None) -> UncombinableRule:
        """The error for ``rule_id`` of ``kind`` (registered by ``plugin``)."""
        return cls(msg("cohort.uncombinable", rule=rule_id, kind=kind.label, plugin=plugin or "?"))


class PartialsNeeded(Exception):
    """A part reached cohort rules whose figures are not known yet: its partial figure of each.

    Raised by :func:`ability2.evaluate` given a :class:`Cohort` (a part of a cohort), caught by
    the engine that evaluates the parts; ``partials`` maps each ``(region id, rule id)`` to
    the part's :meth:`~ability2.RuleKind.partial`.
    """

    def __init__(self, partials: Mapping[FigureKey, Any]) -> None:
        super().__init__(f"cohort figures needed: {', '.join(rule for _, rule in partials)}")
        self.partials = dict(partials)

    def __reduce__(self) -> Any:  # it crosses process boundaries
        return (PartialsNeeded, (self.partials,))


@attrs.frozen
class Cohort:
    """What a part of a cohort knows of the whole: the combined figures of the cohort rules so far.

    Given to :func:`ability2.evaluate` (``cohort=``), it marks the roster as one part: a cohort
    rule whose figure is in :attr:`figures` is evaluated with it; the first whose figure is
    not raises :class:`PartialsNeeded` with this part's partial; one whose kind cannot be
    combined raises :class:`UncombinableRule`.
    """

    figures: Mapping[FigureKey, Any] = attrs.field(factory=dict)

    def figure(self, region: str, rule: str) -> tuple[bool, Any]:
        """Whether the figure of ``rule`` under ``region``'s policy is known, and the figure."""
        key = (region, rule)
        return (key in self.figures, self.figures.get(key))


def add_counts(partials: Sequence[Mapping[Any, Any]]) -> dict[Any, Any]:
    """Counts by key added up: ``[{k: (1, 2)}, {k: (3, 4)}] -> {k: (4, 6)}`` (numbers or tuples of numbers).

    The combiner of the common cohort figure: counts (or sums) per group of the cohort, each
    part counting its own rows.
    """
    out: dict[Any, Any] = {}
    for partial in partials:
        for key, value in partial.items():
            if key not in out:
                out[key] = value
            elif isinstance(value, tuple):
                out[key] = tuple(a + b for a, b in zip(out[key], value, strict=True))
            else:
                out[key] = out[key] + value
    return out


def cohort_rules(policy: Policy) -> list[tuple[RuleKind, ResolvedRule]]:
    """The checked rules of ``policy`` whose kind needs the whole cohort, in evaluation order."""
    from ability2.rules.kind import Reach

    plan = policy.catalogue.plan(policy)
    return [(kind, rule) for kind, rule in plan if getattr(kind, "reach", Reach.SCHOOL) is Reach.COHORT]


def check_partitionable(policy: Policy) -> None:
    """Refuse ``policy`` on a path that evaluates parts when one of its rules cannot be combined.

    Raises :class:`UncombinableRule` naming the first such rule, its kind and plugin.
    """
    for kind, rule in cohort_rules(policy):
        if not getattr(kind, "combinable", False):
            raise UncombinableRule.of(rule.id, kind, policy.catalogue.plugin_of_kind(kind))


def combine_partials(
    partials: Iterable[Mapping[FigureKey, Any]],
    known: Mapping[FigureKey, Any],
    policy_of: Any,
) -> dict[FigureKey, Any]:
    """``known`` with the figures of every key the parts gave partials of, each combined by its kind.

    ``partials`` are the parts' :attr:`PartialsNeeded.partials` (in part order);
    ``policy_of(region id)`` gives the policy the rule is read from. A key given again once
    known means a part did not use the figure: an internal error, raised rather than looped on.
    """
    gathered: dict[FigureKey, list[Any]] = {}
    for part in partials:
        for key, value in part.items():
            gathered.setdefault(key, []).append(value)
    figures = dict(known)
    for key, values in gathered.items():
        if key in figures:
            raise Ability2Error(msg("cohort.asked_again", rule=key[1], region=key[0]))
        region, rule_id = key
        policy = policy_of(region)
        kind = policy.catalogue.kind_of(policy[rule_id].spec)
        figures[key] = kind.combine(values)
    return figures


def policy_lookup(registry: Registry | None, policy: Policy) -> Any:
    """``region id -> policy`` on ``policy``'s date (``policy`` itself for its region), each loaded once."""
    cache: dict[str, Policy] = {policy.region.id: policy}

    def policy_of(region: str) -> Policy:
        if region not in cache:
            from ability2.registry import default_registry

            found = registry if registry is not None else default_registry()  # the installed plugins, loaded once
            cache[region] = found.policy(region, on=policy.on)
        return cache[region]

    return policy_of
