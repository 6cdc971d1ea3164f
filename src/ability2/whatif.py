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

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ability2.converting import did_you_mean, quoted
from ability2.errors import ChangeSetError, Problem
from ability2.layer import RuleEntry
from ability2.loading import ParsedLayer, _LayerBuilder
from ability2.messages import msg
from ability2.model import Document
from ability2.resolved import InactiveRule, ResolvedRule
from ability2.rules.bounds import Direction
from ability2.rules.catalogue import Catalogue
from ability2.schema import RawLayerFile, RawRegion
from ability2.yamlio import YamlDocument

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["WHAT_IF_LAYER", "ChangeSetError", "WhatIfWarning", "apply_changes", "derived_bound"]

#: the layer name changed rules report
WHAT_IF_LAYER = "what-if"

_ENTRY_KEYS = {"value", "bound", "basis", "from", "until", "note"}

#: the word a change that gives only a value gets, by the rule's direction, when the
#: document's own word does not go the rule's way (为 "exactly", 左右 "about")
_DIRECTION_WORDS = {Direction.MIN: "不少于", Direction.MAX: "不超过"}


class WhatIfWarning(UserWarning):
    """A change set was read in a way it does not state: the boundary word was derived.

    Raised as a warning (see :mod:`warnings`) by :func:`apply_changes`; the CLI prints it.
    """


def derived_bound(rule: ResolvedRule) -> str | None:
    """The boundary word a new value of ``rule`` gets when a change gives no word (``None``: keep the document's).

    The document's word is kept when it goes the rule's way (a floor's 不少于 or 超过).
    Where it does not, because the document states an exact value (开原: 合格率**为**100%,
    where exactly and at least coincide) or an approximate one, a new value keeps the rule's
    own direction: 不少于 for a floor (``*_min``), 不超过 for a cap (``*_max``). Keeping 为
    would make a 60% floor fail a school at 65%.
    """
    direction = rule.spec.direction
    if rule.bound is None or direction not in _DIRECTION_WORDS or rule.bound.direction is direction:
        return None
    return _DIRECTION_WORDS[direction]


def _derivation_note(rule: ResolvedRule, word: str, lang: str) -> str:
    """What :func:`derived_bound` did, for the warning and the changed rule's source."""
    assert rule.bound is not None
    floor = rule.spec.direction is Direction.MIN
    if lang == "en":
        return (
            f"{rule.id}: the document's boundary word {rule.bound.word} means {rule.bound.gloss}; the change gives "
            f"only a value, so the rule's direction ({'a floor' if floor else 'a cap'}) gives {word} "
            f"({'at least' if floor else 'at most'}). Give bound: to choose another word."
        )
    return (
        f"{rule.id}：文件的边界词“{rule.bound.word}”表示{'恰好等于' if rule.bound.direction is Direction.EXACT else '约为'}；"
        f"此改动只给了数值，按规则方向（{'下限' if floor else '上限'}）改用“{word}”。"
        "如需其他边界词，请写明 bound。"
    )


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
    lang: str = "zh",
) -> Policy:
    """A new policy with ``changes`` applied over ``policy`` (which is left untouched).

    Raises :class:`ChangeSetError` listing every unknown rule, wrong type, out-of-range
    share or bad boundary word in the change set; ``source`` names the change set in those
    messages (a file name), default ``<what-if>``. A change that gives a value without a
    boundary word keeps the document's word, unless that word does not go the rule's way
    (see :func:`derived_bound`): then the rule's direction gives the word, the changed rule's
    source says so, and a :class:`WhatIfWarning` (in ``lang``) is issued.
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
    derivations: list[str] = []
    if not isinstance(changes, Mapping) or not changes:
        raise ChangeSetError([Problem(source_name, "", msg("whatif.not_mapping"))])
    for rule_id, change in changes.items():
        path = (str(rule_id),)
        current = policy.get(str(rule_id)) if isinstance(rule_id, str) else None
        if current is None:
            problems.append(
                Problem(
                    source_name,
                    str(rule_id),
                    msg(
                        "whatif.no_rule",
                        region=policy.region.id,
                        date=policy.on.isoformat(),
                        rule=str(rule_id),
                        hint=did_you_mean(str(rule_id), policy.rules),
                    ),
                )
            )
            continue
        if isinstance(change, Mapping) and "value" in change:
            unknown = set(change) - _ENTRY_KEYS
            if unknown:
                problems.append(
                    Problem(
                        source_name,
                        str(rule_id),
                        msg(
                            "whatif.unknown_keys",
                            keys=tuple(quoted(k) for k in sorted(unknown, key=str)),
                            hint=did_you_mean(str(min(unknown, key=str)), _ENTRY_KEYS),
                            known=tuple(quoted(k) for k in sorted(_ENTRY_KEYS)),
                        ),
                    )
                )
                continue
            entry_data = dict(change)
        else:
            entry_data = {"value": change}
        derivation = None
        if current.bound is not None and "bound" not in entry_data:
            word = derived_bound(current)
            entry_data["bound"] = word or current.bound.word
            if word is not None:
                derivation = _derivation_note(current, word, lang)
        if current.basis is not None:
            entry_data.setdefault("basis", current.basis)
        entry_data.setdefault("from", policy.on)
        entry_data["source"] = {"document": WHAT_IF_LAYER, "clause": rule_id, "note": entry_data.pop("note", None)}
        if derivation is not None:
            entry_data["decision"] = derivation  # how the change was read, as a policy file records a reading
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
        if derivation is not None:
            derivations.append(derivation)
    if problems:
        raise ChangeSetError(problems)
    for text in derivations:
        warnings.warn(WhatIfWarning(text), stacklevel=3)
    rules = {rule_id: changed.get(rule_id, rule) for rule_id, rule in policy.rules.items()}
    return attrs.evolve(
        policy,
        rules=rules,
        inactive=(*policy.inactive, *inactive),
        label=label or f"{policy.name} (what-if: {description})",
    )
