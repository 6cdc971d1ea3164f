"""Clause inventories: a region's own layer as a page a reader can hold beside the document.

For each region: the documents its layer cites, every rule it states (value, boundary word,
basis, dates, the clause and its words, the reading decision), the values it replaces, and
the clauses deliberately not encoded with the reason. Rendered as Markdown (MyST) for the
documentation site and for ``ability2 inventory``.
"""

from __future__ import annotations

from ability2.layer import Layer, RuleEntry
from ability2.notencoded import label_text
from ability2.policy import describe_value
from ability2.registry import Registry

__all__ = ["inventory_markdown"]


def _escape(text: str) -> str:
    return text.replace("\n", " ").strip()


def _entry_lines(registry: Registry, entry: RuleEntry) -> list[str]:
    spec = registry.catalogue.find(entry.rule_id)
    assert spec is not None
    lines = [f"### `{entry.rule_id}`: {spec.title} ({spec.title_en})", ""]
    lines.append(f"- **Value:** {describe_value(spec, entry, 'en')}")
    until = f" until {entry.valid_until}" if entry.valid_until else ""
    lines.append(f"- **In force:** from {entry.valid_from}{until}")
    if entry.replaces:
        lines.append(f"- **Replaces:** the value inherited from `{entry.replaces}`")
    for citation in entry.sources:
        lines.append(f"- **Source:** {citation.document.label} · {_escape(citation.clause)}")
        if citation.quote:
            lines.append(f"  > {_escape(citation.quote)}")
    if entry.decision:
        lines.append(f"- **Reading decision:** {_escape(entry.decision)}")
    if entry.note:
        lines.append(f"- **Note:** {_escape(entry.note)}")
    lines.append("")
    return lines


def inventory_markdown(registry: Registry, region_id: str, heading_level: int = 1) -> str:
    """The clause inventory of one region's own layer, as Markdown."""
    layer: Layer = registry.layer(region_id)
    region = layer.region
    hashes = "#" * heading_level
    code = f", code {region.code}" if region.code else ""
    lines = [
        f"{hashes} {region.name} · `{region.id}`",
        "",
        f"Level: {region.level.value}{code}; parent: `{region.parent or '—'}`; "
        f"plugin: `{layer.plugin or '—'}`; file: `{layer.file.rsplit('/', 1)[-1] if layer.file else '—'}`.",
        "",
    ]
    if layer.documents:
        lines += ["## Documents", ""]
        for document in layer.documents:
            parts = [f"**{document.label}**"]
            if document.number:
                parts.append(f"《{document.title}》")
            if document.date:
                parts.append(f"dated {document.date}" + (f" ({document.date_note})" if document.date_note else ""))
            if document.url:
                parts.append(f"<{document.url}>")
            lines.append("- " + ", ".join(parts))
            if document.note:
                lines.append(f"  {_escape(document.note)}")
        lines.append("")
    lines += ["## Rules", ""]
    if not layer.entries:
        lines += ["This layer states no rules of its own: the region inherits its ancestors' policy.", ""]
    for entry in layer.entries:
        lines += _entry_lines(registry, entry)
    if layer.supersedes:
        lines += ["## Inherited rules set aside", ""]
        for gone in layer.supersedes:
            lines.append(f"### `{gone.rule_id}`")
            lines.append("")
            lines.append(f"- **Set aside:** from {gone.valid_from}, for this region and the regions below it")
            if gone.by:
                lines.append("- **In its place:** " + ", ".join(f"`{rule}`" for rule in gone.by))
            for citation in gone.sources:
                lines.append(f"- **Source:** {citation.document.label} · {_escape(citation.clause)}")
                if citation.quote:
                    lines.append(f"  > {_escape(citation.quote)}")
            if gone.decision:
                lines.append(f"- **Reading decision:** {_escape(gone.decision)}")
            lines.append("")
    lines += ["## Clauses not encoded", ""]
    if not layer.not_encoded:
        lines += ["None.", ""]
    for item in layer.not_encoded:
        lines.append(f"- **{item.source.document.label} · {_escape(item.source.clause)}**")
        if item.source.quote:
            lines.append(f"  > {_escape(item.source.quote)}")
        lines.append("")
        if item.label is not None:
            lines.append(f"  Label: `{item.label}` ({label_text(item.label, 'en')})")
            lines.append("")
        lines.append(f"  Reason: {_escape(item.reason)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
