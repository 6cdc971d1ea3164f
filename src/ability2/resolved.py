"""Resolved rules: one rule of an effective policy, with the layer that supplied it.

A :class:`ResolvedRule` is what a policy holds for each rule id: the spec, the entry in
force, the layer it came from and the inherited values it replaced. What-if overlays
(:mod:`ability2.whatif`) build new ones; :class:`~ability2.policy.Policy` holds them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import attrs

from ability2.layer import RuleEntry, Supersession
from ability2.model import Citation
from ability2.rules.bounds import Bound
from ability2.rules.spec import RuleSpec

__all__ = ["InactiveRule", "ResolvedRule", "SupersededRule", "describe_value"]


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
            from ability2.messages import msg

            raise TypeError(msg("rule.not_a_limit", rule=self.id))
        return self.bound.holds(value, self.value)

    def describe_value(self, lang: str = "zh") -> str:
        """The value as a reader would write it: ``≥ 50``, ``≤ 60%``, ``2022-04-07 – 2022-04-13``."""
        return describe_value(self.spec, self.entry, lang)


def describe_value(spec: RuleSpec, entry: RuleEntry, lang: str = "zh") -> str:
    """A short human-readable rendering of an entry's value, in one language (``zh`` or ``en``).

    ``≥ 50（不少于）``, ``≥ 50 (at least)``: a limit shows the document's boundary word in
    Chinese and what it means in English.
    """
    zh = lang == "zh"
    text = spec.value_type.describe(entry.value, lang)
    if entry.bound is not None:  # the document's own word; in English, what it means
        text = (
            f"{entry.bound.symbol} {text}（{entry.bound.word}）"
            if zh
            else f"{entry.bound.symbol} {text} ({entry.bound.gloss})"
        )
    if entry.basis is not None and len(spec.bases) > 1:
        basis = _BASES.get(entry.basis, (entry.basis, f"per {entry.basis}"))
        text += f" [{basis[0] if zh else basis[1]}]"
    return text


#: the bases of a rate or share in words: (Chinese, English)
_BASES = {
    "teachers": ("按教师", "per teacher"),
    "abilities": ("按能力点认证", "per ability certification"),
    "selections": ("按选课", "per selected ability"),
    "done": ("按已完成学时", "of hours done"),
    "required": ("按规定学时", "of hours required"),
}


@attrs.frozen
class InactiveRule:
    """A value a layer states that is not in force on the policy's date (shown, not applied)."""

    id: str
    layer: str
    entry: RuleEntry


@attrs.frozen
class SupersededRule:
    """An inherited rule that a lower layer's document sets aside (shown, not applied).

    ``rule`` is the rule as it would have resolved; ``by`` the region whose document sets it
    aside, and ``supersession`` that document's clause and the rules that take its place.
    """

    rule: ResolvedRule
    by: str
    supersession: Supersession

    @property
    def id(self) -> str:
        """The rule id."""
        return self.rule.id

    @property
    def layer(self) -> str:
        """The ancestor layer that states the rule."""
        return self.rule.layer

    @property
    def source(self) -> str:
        """The clauses that set the rule aside, as one line of text."""
        return "; ".join(str(c) for c in self.supersession.sources)
