"""The effective policy of one region on one date: every rule with its value, layer and source.

A policy is resolved by :meth:`ability2.Registry.policy`: the layers of the region tree are
stacked from ``cn`` down to the region, and for each rule the lowest layer whose value holds
on the date wins. The policy records which layer supplied each rule and which inherited
values that layer replaced. A layer may also set an inherited rule aside (``supersedes:``):
its document restates the schedule from its own start, or sets its own window; the rule is
then not in the policy, and :attr:`Policy.superseded` lists it with the clause that sets it
aside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ability2.errors import UnknownRuleError
from ability2.framework import Framework
from ability2.layer import NotEncoded
from ability2.messages import msg
from ability2.model import Region
from ability2.resolved import InactiveRule, ResolvedRule, SupersededRule, describe_value
from ability2.rules.catalogue import Catalogue, Kind, Scope, builtin_catalogue
from ability2.rules.values import Phase, ScoringForm

__all__ = ["InactiveRule", "Policy", "ResolvedRule", "SupersededRule", "describe_value"]


def _frozen_mapping(rules: Mapping[str, ResolvedRule]) -> Mapping[str, ResolvedRule]:
    return MappingProxyType(dict(rules))


@attrs.frozen(eq=False)
class Policy:
    """The resolved rules of ``region`` on date ``on``; immutable and cheap to share."""

    region: Region
    on: dt.date
    chain: tuple[Region, ...]
    rules: Mapping[str, ResolvedRule] = attrs.field(converter=_frozen_mapping)
    framework: Framework = attrs.field(repr=False)
    inactive: tuple[InactiveRule, ...] = ()
    not_encoded: tuple[tuple[str, NotEncoded], ...] = attrs.field(default=(), repr=False)
    label: str | None = None
    #: the rule catalogue the policy was resolved with: which kind evaluates each rule
    catalogue: Catalogue = attrs.field(factory=builtin_catalogue, repr=False)
    #: inherited rules a lower layer's document sets aside on this date (not applied; shown)
    superseded: tuple[SupersededRule, ...] = attrs.field(default=(), repr=False)

    @property
    def name(self) -> str:
        """How comparisons and reports name this policy: its label, else the region id."""
        return self.label or self.region.id

    def with_changes(
        self,
        changes: Mapping[str, Any],
        *,
        note: str | None = None,
        label: str | None = None,
        source: str | None = None,
        lang: str = "zh",
    ) -> Policy:
        """A what-if overlay of this policy (see :func:`ability2.whatif.apply_changes`)."""
        from ability2.whatif import apply_changes

        return apply_changes(self, changes, note=note, label=label, source=source, lang=lang)

    def __getitem__(self, rule_id: str) -> ResolvedRule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise UnknownRuleError(
                rule_id, msg("rule.where_policy", region=self.region.id, on=self.on.isoformat())
            ) from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __iter__(self) -> Iterator[ResolvedRule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> ResolvedRule | None:
        """The rule ``rule_id``, or ``None`` when the policy does not have it."""
        return self.rules.get(rule_id)

    def value(self, rule_id: str, default: Any = None) -> Any:
        """The value of ``rule_id``, or ``default`` when the policy does not have it."""
        rule = self.rules.get(rule_id)
        return default if rule is None else rule.value

    def by_scope(self, scope: Scope) -> tuple[ResolvedRule, ...]:
        """The rules checked against one scope (teacher, group, school ...)."""
        return tuple(rule for rule in self if rule.spec.scope is scope)

    def phases(self) -> tuple[tuple[ResolvedRule, Phase], ...]:
        """The timeline phases, by start date then end date.

        When the policy reads "X日前" as excluding day X (``deadline.before_exclusive`` true), a
        phase whose end is written that way (``end_before``) ends the day before, unless that
        would end it before it starts.
        """
        exclusive = self.value("deadline.before_exclusive") is True
        found = []
        for rule in self:
            if rule.spec.kind is not Kind.PHASE:
                continue
            phase: Phase = rule.value
            if exclusive and phase.end_before and phase.end > phase.start:
                phase = attrs.evolve(phase, end=phase.end - dt.timedelta(days=1))
            found.append((rule, phase))
        return tuple(sorted(found, key=lambda pair: (pair[1].start, pair[1].end, pair[0].id)))

    def forms(self) -> tuple[tuple[ResolvedRule, ScoringForm], ...]:
        """The scoring forms."""
        return tuple((rule, rule.value) for rule in self if rule.spec.kind is Kind.FORM)

    def __repr__(self) -> str:
        return f"<Policy {self.name} on {self.on}: {len(self.rules)} rules>"

    def _repr_html_(self) -> str:
        from ability2.display import policy_html

        return policy_html(self)
