"""The subcommands of ``ability2``: each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ability2.i18n import label

__all__ = ["cmd_inventory", "cmd_plugins", "cmd_policy", "cmd_regions", "cmd_rules", "cmd_validate", "version"]


def version() -> str:
    """The installed ability2 version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("ability2")
    except PackageNotFoundError:
        return "unknown"


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _console() -> Any:
    import os

    from rich.console import Console

    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    return Console(highlight=False, soft_wrap=False, width=width)


def _table(title: str | None, columns: list[str]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_lines=False)
    for index, column in enumerate(columns):
        table.add_column(column, overflow="fold", no_wrap=index == 0)
    return table


def cmd_regions(args: argparse.Namespace) -> int:
    """``ability2 regions [--json]``."""
    from ability2.registry import load_registry
    from ability2.serialize import region_to_dict

    regions = load_registry().regions()
    if args.json:
        _print_json([region_to_dict(region) for region in regions])
        return 0
    lang = args.lang
    table = _table(None, [label(k, lang) for k in ("id", "name", "level", "parent", "code")])
    for region in regions:
        table.add_row(
            region.id,
            region.name if lang == "zh" else (region.name_en or region.name),
            label(region.level.value, lang),
            region.parent or "",
            region.code or "",
        )
    _console().print(table)
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    """``ability2 policy REGION [--on DATE] [--json]``."""
    from ability2.registry import load_registry
    from ability2.serialize import policy_to_dict

    registry = load_registry()
    policy = registry.policy(args.region, on=args.on)
    if args.json:
        _print_json(policy_to_dict(policy))
        return 0
    lang = args.lang
    console = _console()
    chain = " → ".join(region.id for region in policy.chain)
    console.print(
        f"[bold]{label('policy_of', lang)} {policy.region.id} ({policy.region.name})[/bold]  {label('on', lang)} {policy.on}"
    )
    console.print(f"{label('chain', lang)}: {chain}  ·  {len(policy)} {label('rules_count', lang)}")
    table = _table(None, [label(k, lang) for k in ("rule", "title", "value", "layer", "source")])
    for rule in policy:
        title = rule.spec.title if lang == "zh" else rule.spec.title_en
        layer = rule.layer
        if rule.overridden:
            layer += f" ({label('replaces', lang)} {rule.overridden[0][0]})"
        source = "\n".join(str(c) for c in rule.sources)
        table.add_row(rule.id, title, rule.describe_value(), layer, source)
    console.print(table)
    if policy.inactive:
        console.print(f"[bold]{label('not_in_force', lang)}[/bold]")
        for item in policy.inactive:
            until = f" – {item.entry.valid_until}" if item.entry.valid_until else ""
            console.print(f"  {item.id} ({item.layer}): {item.entry.valid_from}{until}")
    if policy.not_encoded:
        console.print(
            f"[bold]{label('not_encoded', lang)}[/bold]: {len(policy.not_encoded)} (see --json or the region's inventory page)"
        )
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    """``ability2 plugins [--json]``."""
    from ability2.registry import load_registry

    plugins = load_registry().plugins()
    if args.json:
        _print_json(
            [
                {
                    "name": p.name,
                    "version": p.version,
                    "distribution": p.distribution,
                    "regions": list(p.regions),
                    "hooks": list(p.hooks),
                }
                for p in plugins
            ]
        )
        return 0
    lang = args.lang
    table = _table(None, [label(k, lang) for k in ("plugin", "version", "regions", "hooks")])
    for plugin in plugins:
        name = (
            plugin.name
            if not plugin.distribution or plugin.distribution == plugin.name
            else f"{plugin.name} ({plugin.distribution})"
        )
        table.add_row(name, plugin.version or "", "\n".join(plugin.regions), "\n".join(plugin.hooks))
    _console().print(table)
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """``ability2 rules [--json]``: the rule catalogue."""
    from ability2.registry import load_registry

    catalogue = load_registry().catalogue
    rows: list[dict[str, Any]] = [
        {
            "rule": spec.id + (".*" if spec.family else ""),
            "kind": spec.kind.value,
            "scope": spec.scope.value,
            "direction": spec.direction.value if spec.direction else None,
            "bases": list(spec.bases),
            "title": spec.title,
            "title_en": spec.title_en,
            "description": spec.description,
        }
        for spec in catalogue
    ]
    if args.json:
        _print_json(rows)
        return 0
    lang = args.lang
    table = _table(None, [label(k, lang) for k in ("rule", "kind", "scope", "title")])
    for row in rows:
        bases = f" [{'/'.join(row['bases'])}]" if row["bases"] else ""
        table.add_row(
            row["rule"],
            row["kind"] + (f" ({row['direction']})" if row["direction"] else ""),
            row["scope"],
            (row["title"] if lang == "zh" else row["title_en"]) + bases,
        )
    _console().print(table)
    return 0


def cmd_inventory(args: argparse.Namespace) -> int:
    """``ability2 inventory REGION``: the region's clause inventory as Markdown."""
    from ability2.inventory import inventory_markdown
    from ability2.registry import load_registry

    registry = load_registry()
    sys.stdout.write(inventory_markdown(registry, registry.region(args.region).id))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``ability2 validate PATH``: check policy files as the registry would load them."""
    from ability2.validate import validate_path

    report = validate_path(Path(args.path))
    for line in report.lines:
        print(line)
    return 0
