"""The effective policy of one region on one date: every rule with its value, layer and source.

A policy is resolved by :meth:`ability2.Registry.policy`: the layers of the region tree are
stacked from ``cn`` down to the region, and for each rule the lowest layer whose value holds
on the date wins. The policy records which layer supplied each rule and which inherited
values that layer replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs

from ability2.errors import UnknownRuleError
from ability2.framework import Framework
from ability2.layer import NotEncoded, RuleEntry
from ability2.model import Citation, Region
from ability2.rules.bounds import Bound
from ability2.rules.catalogue import Catalogue, Kind, RuleSpec, Scope, builtin_catalogue
from ability2.rules.values import Phase, ScoringForm

__all__ = ["InactiveRule", "Policy", "ResolvedRule"]


@attrs.frozen
class ResolvedRule:
    """One rule of an effective policy.

    ``layer`` is the id of the region whose document supplied the value in force;
    ``overridden`` lists the inherited values it replaced, nearest ancestor first.
    """

    id: str
    spec: RuleSpec
    entry: RuleEntry
    layer: str
    overridden: tuple[tuple[str, RuleEntry], ...] = ()

    @property
    def value(self) -> Any:
        """The rule's value: a number, a flag, a :class:`Phase`, a :class:`ScoringForm` ..."""
        return self.entry.value

    @property
    def bound(self) -> Bound | None:
        """The boundary word of a limit (``None`` for rules that are not limits)."""
        return self.entry.bound

    @property
    def basis(self) -> str | None:
        """For share rules: what the share is counted over."""
        return self.entry.basis

    @property
    def sources(self) -> tuple[Citation, ...]:
        """Every citation of the value in force."""
        return self.entry.sources

    @property
    def source(self) -> str:
        """The citations as one line of text, for tables and JSON."""
        return "; ".join(str(c) for c in self.entry.sources)

    def holds(self, value: Fraction | int) -> bool:
        """Whether ``value`` satisfies this limit (exactly, by the rule's boundary word)."""
        if self.bound is None:
            raise TypeError(f"{self.id} is not a limit")
        return self.bound.holds(value, self.value)

    def describe_value(self, lang: str = "en") -> str:
        """The value as a reader would write it: ``≥ 50``, ``≤ 60%``, ``2022-04-07 – 2022-04-13``."""
        return describe_value(self.spec, self.entry, lang)


def describe_value(spec: RuleSpec, entry: RuleEntry, lang: str = "en") -> str:
    """A short human-readable rendering of an entry's value (``lang`` ``zh`` or ``en``)."""
    zh = lang == "zh"
    text = spec.value_type.describe(entry.value, lang)
    if entry.bound is not None:
        text = f"{entry.bound.symbol} {text} ({entry.bound.word})"
    if entry.basis is not None and len(spec.bases) > 1:
        basis_zh = {
            "teachers": "按教师",
            "abilities": "按能力点认证",
            "selections": "按选课",
            "done": "按已完成学时",
            "required": "按规定学时",
        }
        text += f" [{basis_zh.get(entry.basis, entry.basis)}]" if zh else f" [per {entry.basis}]"
    return text


@attrs.frozen
class InactiveRule:
    """A value a layer states that is not in force on the policy's date (shown, not applied)."""

    id: str
    layer: str
    entry: RuleEntry


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
    ) -> Policy:
        """A what-if overlay of this policy (see :func:`ability2.whatif.apply_changes`)."""
        from ability2.whatif import apply_changes

        return apply_changes(self, changes, note=note, label=label, source=source)

    def __getitem__(self, rule_id: str) -> ResolvedRule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id, f"the policy of {self.region.id} on {self.on}") from None

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
        """The timeline phases, by start date then end date."""
        found = [(rule, rule.value) for rule in self if rule.spec.kind is Kind.PHASE]
        return tuple(sorted(found, key=lambda pair: (pair[1].start, pair[1].end, pair[0].id)))

    def forms(self) -> tuple[tuple[ResolvedRule, ScoringForm], ...]:
        """The scoring forms."""
        return tuple((rule, rule.value) for rule in self if rule.spec.kind is Kind.FORM)

    def __repr__(self) -> str:
        return f"<Policy {self.name} on {self.on}: {len(self.rules)} rules>"

    def _repr_html_(self) -> str:
        from ability2.display import policy_html

        return policy_html(self)
