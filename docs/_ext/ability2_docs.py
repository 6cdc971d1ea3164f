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


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _schema_name(schema: dict[str, Any]) -> str:
    """A schema as a few words: its $ref's name, or its type."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_schema_name(part) for part in schema["allOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _openapi_page(root: Path) -> str:
    """The endpoints of the committed OpenAPI document (``docs/openapi.json``) as a plain listing."""
    import json

    spec = json.loads((root / "openapi.json").read_text(encoding="utf-8"))
    components = spec.get("components", {})

    def resolve(item: dict[str, Any], kind: str) -> dict[str, Any]:
        if "$ref" in item:
            resolved: dict[str, Any] = components[kind][item["$ref"].rsplit("/", 1)[-1]]
            return resolved
        return item

    lines = [
        "# HTTP API reference",
        "",
        "Generated from {download}`openapi.json <../openapi.json>`, the OpenAPI document `ability2 serve`",
        "serves at `/openapi.json` (a test checks the committed copy equals the service's). Every",
        "error answers `application/problem+json` ({doc}`the problem details <../serve>`).",
        "",
    ]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            lines += [f"## `{method.upper()} {path}`", "", _cell(operation.get("summary", "")), ""]
            parameters = [resolve(p, "parameters") for p in operation.get("parameters", [])]
            if parameters:
                lines += ["| parameter | in | required | type | meaning |", "| --- | --- | --- | --- | --- |"]
                for parameter in parameters:
                    lines.append(
                        f"| `{parameter['name']}` | {parameter['in']} | {'yes' if parameter.get('required') else 'no'} "
                        f"| {_schema_name(parameter.get('schema', {}))} | {_cell(parameter.get('description', ''))} |"
                    )
                lines.append("")
            body = operation.get("requestBody")
            if body:
                lines += ["Request body (by `Content-Type`):", ""]
                for media, content in body["content"].items():
                    lines.append(f"- `{media}`: {_schema_name(content.get('schema', {}))}")
                lines.append("")
            lines += ["| status | meaning | body (by `Accept`) |", "| --- | --- | --- |"]
            for status, response in operation["responses"].items():
                response = resolve(response, "responses")
                media = ", ".join(
                    f"`{name}` ({_schema_name(content.get('schema', {}))})"
                    for name, content in response.get("content", {}).items()
                )
                lines.append(f"| {status} | {_cell(response.get('description', ''))} | {media} |")
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in components.get("schemas", {}).items():
        required = set(schema.get("required", ()))
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        properties = schema.get("properties", {})
        if properties:
            lines += ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
            for field, sub in properties.items():
                kind = _schema_name(sub) + (" or null" if sub.get("nullable") else "")
                if sub.get("enum"):
                    kind += ": " + ", ".join(f"`{value}`" for value in sub["enum"])
                lines.append(
                    f"| `{field}` | {_cell(kind)} | {'yes' if field in required else 'no'} | {_cell(sub.get('description', ''))} |"
                )
            lines.append("")
        else:
            lines += [f"{_schema_name(schema)}", ""]
    return "\n".join(lines)


def _template(text: str) -> str:
    """A message template as a table cell: Markdown's marks escaped outside its code spans."""
    import re

    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd backtick: no code spans
        parts = ["`".join(parts)]
    escaped = [
        part if k % 2 else re.sub(r"([\\*_\[\]<>{}#~^$])", r"\\\1", part) for k, part in enumerate(parts)
    ]
    return _cell("`".join(escaped))


def _messages_page() -> str:
    """Every message code of the catalogue (``ability2/locale/*.yaml``) with its Chinese and English text."""
    from importlib import resources

    import yaml

    lines = [
        "# Message codes",
        "",
        "Every message ability2 shows, by code, in Chinese and English, as the catalogue",
        "(`ability2/locale/*.yaml`) holds it; generated when the documentation is built.",
        "`{name}` stands for a value filled in when the message is shown.",
        "",
    ]
    folder = resources.files("ability2").joinpath("locale")
    for part in sorted(folder.iterdir(), key=lambda p: p.name):
        if not part.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(part.read_text(encoding="utf-8")) or {}
        lines += [f"## `{part.name}`", "", "| code | 中文 | English |", "| --- | --- | --- |"]
        for code, entry in data.items():
            lines.append(f"| `{code}` | {_template(entry['zh'])} | {_template(entry['en'])} |")
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
    _write(root / "_generated" / "http-api.md", _openapi_page(root))
    _write(root / "_generated" / "messages.md", _messages_page())


def setup(app: Any) -> dict[str, Any]:
    """Register the generator."""
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "version": "1"}
