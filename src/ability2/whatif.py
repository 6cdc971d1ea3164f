"""What-if changes: an immutable overlay on a policy, validated whole before use.

A change set maps rule ids to new values, the way PolicyEngine writes reforms::

    {"school.excellent_rate_max": 0.3}                       # a value (30%)
    {"school.excellent_rate_max": "30%"}                     # the same
    {"hours.online_min": {"value": 30, "bound": "不少于"}}    # with a boundary word
    {"school.pass_rate_min": {"value": "90%", "basis": "abilities"}}
    {"hours.online_min": {"value": 30, "from": "2023-01-01"}}  # in force from a date

Every value is checked exactly as a policy file's would be (kind, range, boundary word,
basis); every problem of the change set is reported at once, before anything is evaluated.
Only rules the policy has can change. The result is a new :class:`~ability2.policy.Policy`
that shares every unchanged rule with the baseline (no copies); each changed rule records
the value it replaced and cites the what-if as its source, on the layer ``what-if``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import ChangeSetError, Problem
from ability2.layer import RuleEntry
from ability2.loading import ParsedLayer, _LayerBuilder
from ability2.model import Document
from ability2.resolved import InactiveRule, ResolvedRule
from ability2.rules.catalogue import Catalogue
from ability2.schema import RawLayerFile, RawRegion
from ability2.yamlio import YamlDocument

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["WHAT_IF_LAYER", "ChangeSetError", "apply_changes"]

#: the layer name changed rules report
WHAT_IF_LAYER = "what-if"

_ENTRY_KEYS = {"value", "bound", "basis", "from", "until", "note"}


def _describe(changes: Mapping[str, Any]) -> str:
    parts = []
    for rule_id, change in changes.items():
        value = change.get("value") if isinstance(change, Mapping) and "value" in change else change
        parts.append(f"{rule_id}={value}")
    return ", ".join(parts)


def apply_changes(
    policy: Policy,
    changes: Mapping[str, Any],
    *,
    note: str | None = None,
    label: str | None = None,
    source: str | None = None,
) -> Policy:
    """A new policy with ``changes`` applied over ``policy`` (which is left untouched).

    Raises :class:`ChangeSetError` listing every unknown rule, wrong type, out-of-range
    share or bad boundary word in the change set; ``source`` names the change set in those
    messages (a file name), default ``<what-if>``.
    """
    description = note or _describe(changes)
    document = Document(
        key=WHAT_IF_LAYER,
        title=f"what-if: {description}",
        date=policy.on,
        note="a change set applied to the policy, not a document",
    )
    source_name = source or "<what-if>"
    catalogue = Catalogue(tuple({rule.spec.id: rule.spec for rule in policy}.values()))
    parsed = ParsedLayer(
        YamlDocument(source_name, dict(changes), None),
        RawLayerFile(
            region=RawRegion(
                id=policy.region.id,
                name=policy.region.name,
                level=policy.region.level.value,
                parent=policy.region.parent,
            )
        ),
    )
    builder = _LayerBuilder(parsed, {WHAT_IF_LAYER: document}, catalogue, policy.framework)
    problems: list[Problem] = []
    changed: dict[str, ResolvedRule] = {}
    inactive: list[InactiveRule] = []
    if not isinstance(changes, Mapping) or not changes:
        raise ChangeSetError([Problem(source_name, "", "a change set is a non-empty mapping of rule ids to values")])
    for rule_id, change in changes.items():
        path = (str(rule_id),)
        current = policy.get(str(rule_id)) if isinstance(rule_id, str) else None
        if current is None:
            close = difflib.get_close_matches(str(rule_id), list(policy.rules), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            problems.append(
                Problem(
                    source_name,
                    str(rule_id),
                    f"the policy of {policy.region.id} on {policy.on} has no rule {rule_id!r}{hint}",
                )
            )
            continue
        if isinstance(change, Mapping) and "value" in change:
            unknown = set(change) - _ENTRY_KEYS
            if unknown:
                problems.append(
                    Problem(source_name, str(rule_id), f"unknown key(s) {sorted(unknown)}; use {sorted(_ENTRY_KEYS)}")
                )
                continue
            entry_data = dict(change)
        else:
            entry_data = {"value": change}
        if current.bound is not None:
            entry_data.setdefault("bound", current.bound.word)
        if current.basis is not None:
            entry_data.setdefault("basis", current.basis)
        entry_data.setdefault("from", policy.on)
        entry_data["source"] = {"document": WHAT_IF_LAYER, "clause": rule_id, "note": entry_data.pop("note", None)}
        before = len(builder.problems)
        entry: RuleEntry | None = builder.entry(current.spec, rule_id, entry_data, path)
        problems.extend(builder.problems[before:])
        if entry is None:
            continue
        if not entry.holds_on(policy.on):
            inactive.append(InactiveRule(rule_id, WHAT_IF_LAYER, entry))
            continue
        overridden = ((current.layer, current.entry), *current.overridden)
        changed[rule_id] = ResolvedRule(rule_id, current.spec, entry, WHAT_IF_LAYER, overridden)
    if problems:
        raise ChangeSetError(problems)
    rules = {rule_id: changed.get(rule_id, rule) for rule_id, rule in policy.rules.items()}
    return attrs.evolve(
        policy,
        rules=rules,
        inactive=(*policy.inactive, *inactive),
        label=label or f"{policy.name} (what-if: {description})",
    )
