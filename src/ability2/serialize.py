"""Policies, regions and rule values as plain JSON-ready data (the contract's shapes)."""

from __future__ import annotations

from typing import Any

from ability2.layer import RuleEntry
from ability2.model import Citation, Region
from ability2.policy import Policy, ResolvedRule, describe_value
from ability2.rules.types import plain_json

__all__ = ["citation_to_dict", "policy_to_dict", "region_to_dict", "value_to_json"]


def value_to_json(value: Any) -> Any:
    """A rule value as JSON data: numbers stay numbers, dates become ISO strings."""
    return plain_json(value)


def region_to_dict(region: Region) -> dict[str, Any]:
    """``{"id", "name", "level", "parent", "code"}`` as contract §3.3 lists them."""
    return {
        "id": region.id,
        "name": region.name,
        "level": region.level.value,
        "parent": region.parent,
        "code": region.code,
    }


def citation_to_dict(citation: Citation) -> dict[str, Any]:
    """A citation with its document's number, title and URL."""
    document = citation.document
    return {
        "document": document.label,
        "title": document.title,
        "number": document.number,
        "clause": citation.clause,
        "quote": citation.quote,
        "url": document.url,
    }


def _entry_to_dict(rule: ResolvedRule | None, entry: RuleEntry, layer: str) -> dict[str, Any]:
    spec = rule.spec if rule is not None else None
    out: dict[str, Any] = {
        "value": spec.value_type.to_json(entry.value) if spec is not None else value_to_json(entry.value),
        "bound": entry.bound.word if entry.bound else None,
        "basis": entry.basis,
        "layer": layer,
        "source": "; ".join(str(c) for c in entry.sources),
        "sources": [citation_to_dict(c) for c in entry.sources],
        "from": entry.valid_from.isoformat(),
        "until": entry.valid_until.isoformat() if entry.valid_until else None,
    }
    if spec is not None:
        out["display"] = describe_value(spec, entry, "en")  # data: one language, as it always was
    return out


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The effective policy: every rule with value, layer and source, plus what is not in force."""
    rules = []
    for rule in policy:
        item = {
            "rule": rule.id,
            "title": rule.spec.title,
            "title_en": rule.spec.title_en,
            "kind": rule.spec.type_name,
            "scope": rule.spec.scope.value,
            **_entry_to_dict(rule, rule.entry, rule.layer),
            "replaces": rule.entry.replaces,
            "overridden": [
                {
                    "layer": layer,
                    "value": rule.spec.value_type.to_json(entry.value),
                    "source": "; ".join(str(c) for c in entry.sources),
                }
                for layer, entry in rule.overridden
            ],
            "decision": rule.entry.decision,
            "note": rule.entry.note,
        }
        rules.append(item)
    return {
        "region": policy.region.id,
        "name": policy.region.name,
        "on": policy.on.isoformat(),
        "chain": [region.id for region in policy.chain],
        "rules": rules,
        "inactive": [
            {
                "rule": item.id,
                "layer": item.layer,
                "value": value_to_json(item.entry.value),
                "from": item.entry.valid_from.isoformat(),
                "until": item.entry.valid_until.isoformat() if item.entry.valid_until else None,
                "source": "; ".join(str(c) for c in item.entry.sources),
            }
            for item in policy.inactive
        ],
        "superseded": [
            {
                "rule": item.id,
                "layer": item.layer,
                "value": item.rule.spec.value_type.to_json(item.rule.value),
                "source": item.rule.source,
                "superseded_by": item.by,
                "superseded_source": item.source,
                "replaced_by": list(item.supersession.by),
                "decision": item.supersession.decision,
            }
            for item in policy.superseded
        ],
        "not_encoded": [
            {
                "layer": layer,
                "source": str(item.source),
                "quote": item.source.quote,
                "label": item.label,
                "reason": item.reason,
            }
            for layer, item in policy.not_encoded
        ],
    }
