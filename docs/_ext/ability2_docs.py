"""Sphinx extension: pages generated from the installed data (region inventories, framework).

The pages are written into ``regions/_generated/`` and ``framework/_generated/`` when the
build starts, from the same registry ``ability2`` loads, so the documentation can never
drift from the plugin data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _framework_page() -> str:
    from ability2 import load_framework

    framework = load_framework()
    lines = [
        "# The 30 micro-abilities",
        "",
        "Generated from `src/ability2/framework/data/abilities.yaml`. Environments (环境) and",
        "dimensions (维度) as the national rubric defines them; `sheet` tells what our sources",
        "give of the ability's submission sheet (提交指南和评价标准).",
        "",
        "| code | name | English | dimension | environment | sheet |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for ability in framework.abilities:
        sheet = framework.sheet(ability.code)
        state = "complete" if sheet and sheet.complete else ("partial" if sheet else "not in our sources")
        lines.append(
            f"| {ability.code} | {ability.name} | {ability.name_en} | {ability.dimension.name} ({ability.dimension.name_en}) "
            f"| {ability.environment.short_name} ({ability.environment.id}) | {state} |"
        )
    lines += ["", "## Environments", ""]
    for env in framework.environments:
        lines += [f"- **{env.letter} {env.name}** (`{env.id}`, {env.name_en}): {env.definition}"]
    lines.append("")
    return "\n".join(lines)


def _rules_page() -> str:
    from ability2 import load_registry

    catalogue = load_registry().catalogue
    lines = [
        "# Rule kinds and the rule catalogue",
        "",
        "Generated from the rule catalogue (`ability2 rules`). A policy file may set only these",
        "rule ids (plus those a plugin adds through `ability2_rule_specs`). `timeline.*` and",
        "`form.*` take any suffix. Value types: `hours` (学时, with a boundary word), `share` (a",
        "fraction 0–1, with a boundary word and, for some rules, a basis), `count`, `count_range`,",
        "`years`, `flag`, `environments`, `abilities`, `phase`, `form`, `steps`, `method`. Scopes:",
        "what a rule is checked against (a teacher, a research group 教研组, a school, the bureau's",
        "own process, the timeline, a scoring form, grading). Each checked rule names the rule",
        "kind that evaluates it; the others are recorded.",
        "",
    ]
    for spec in catalogue:
        rule_id = spec.id + (".*" if spec.family else "")
        lines.append(f"## `{rule_id}`")
        lines.append("")
        lines.append(f"{spec.title} ({spec.title_en}).")
        lines.append("")
        details = [f"value type `{spec.type_name}`", f"scope `{spec.scope.value}`"]
        kind = catalogue.kind_of(spec)
        details.append(f"evaluated by `{kind.label}`" if kind is not None and kind.checks else "recorded")
        if spec.direction is not None:
            details.append(f"direction `{spec.direction.value}`")
        if spec.bases:
            details.append("bases " + ", ".join(f"`{b}`" for b in spec.bases) + f" (default `{spec.bases[0]}`)")
        if spec.methods:
            details.append("methods " + ", ".join(f"`{m}`" for m in spec.methods))
        lines.append("- " + "; ".join(details))
        if spec.description:
            lines.append(f"- {spec.description}")
        lines.append("")
    return "\n".join(lines)


def generate(app: Any) -> None:
    """Write the generated pages before Sphinx reads its sources."""
    from ability2 import load_registry
    from ability2.inventory import inventory_markdown

    root = Path(app.srcdir)
    registry = load_registry()
    generated = root / "regions" / "_generated"
    wanted = set()
    for region in registry.regions():
        name = region.id.replace("/", "__") + ".md"
        wanted.add(name)
        _write(generated / name, inventory_markdown(registry, region.id))
    for stale in generated.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    _write(root / "framework" / "_generated" / "abilities.md", _framework_page())
    _write(root / "framework" / "_generated" / "rules.md", _rules_page())


def setup(app: Any) -> dict[str, Any]:
    """Register the generator."""
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "version": "1"}
