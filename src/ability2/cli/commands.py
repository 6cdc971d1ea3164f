"""The subcommands of ``ability2``: each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from ability2.i18n import label, status_label
from ability2.messages import Message, msg, render

__all__ = [
    "cmd_demo",
    "cmd_evaluate",
    "cmd_form",
    "cmd_inventory",
    "cmd_plugins",
    "cmd_policy",
    "cmd_regions",
    "cmd_rules",
    "cmd_serve",
    "cmd_timeline",
    "cmd_validate",
    "version",
]


def version() -> str:
    """The installed ability2 version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("ability2")
    except PackageNotFoundError:
        return "unknown"


def _print_json(data: Any) -> None:
    import json

    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _console() -> Any:
    import os

    from rich.console import Console

    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    # no markup: region names, sources and roster cells are printed as written ("[甲]" is text)
    return Console(highlight=False, soft_wrap=False, width=width, markup=False)


def _heading(bold: str, rest: str = "") -> Any:
    """``bold`` in bold, then ``rest``, as rich text (never parsed as markup)."""
    from rich.text import Text

    return Text.assemble((bold, "bold"), rest)


#: environment variables through which rich changes what a console prints (colour, terminal, width)
_RICH_ENVIRONMENT = (
    "FORCE_COLOR",
    "NO_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "COLUMNS",
    "LINES",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
    "DATABRICKS_RUNTIME_VERSION",
)
#: the width ``_console()`` gives rich when the output is not a terminal
_PLAIN_WIDTH = 160


def _plain_width(text: str) -> int | None:
    """The columns ``text`` takes where rich prints it unchanged, else ``None``.

    Plain text is printable ASCII without ``[`` (rich markup) or ``:`` (emoji codes), one
    column a character, and CJK ideographs (U+4E00 to U+9FFF), two columns each, as rich
    measures them.
    """
    width = 0
    for character in text:
        code = ord(character)
        if 0x20 <= code < 0x7F and character not in "[:":
            width += 1
        elif 0x4E00 <= code <= 0x9FFF:
            width += 2
        else:
            return None
    return width


def _plain_table(columns: list[str], rows: list[list[str]]) -> str | None:
    """The text rich prints for ``_table(None, columns)`` with ``rows`` into ``_console()``, where that is plain.

    It is plain where the output is not a terminal and nothing in the environment changes how
    rich prints (colour forced, another width, Jupyter, Windows' console, a non-UTF-8 encoding),
    every cell is plain text (:func:`_plain_width`) and the table fits the console's 160
    columns: then rich prints each line as edge, cells padded by one space and separated by
    one, edge, under a line of spaces, with a rule under the header and a line of spaces last.
    Anywhere else this returns ``None`` and rich prints the table.
    """
    import builtins

    out = sys.stdout
    if (
        not rows
        or out is None
        or sys.platform == "win32"
        or hasattr(out, "rich_proxied_file")
        or hasattr(builtins, "get_ipython")
        or any(name in os.environ for name in _RICH_ENVIRONMENT)
        or out.isatty()
        or not (getattr(out, "encoding", "utf-8") or "utf-8").lower().startswith("utf")
    ):
        return None
    lines = [columns, *rows]
    measured = [[_plain_width(cell) for cell in line] for line in lines]
    sizes: list[list[int]] = []
    for measured_line in measured:
        if None in measured_line or len(measured_line) != len(columns):
            return None
        sizes.append([size for size in measured_line if size is not None])
    widths = [max(line_sizes[index] for line_sizes in sizes) + 2 for index in range(len(columns))]
    total = sum(widths) + len(widths) + 1
    if total > _PLAIN_WIDTH:
        return None
    text = [" " * total]
    for index, (line, line_sizes) in enumerate(zip(lines, sizes, strict=True)):
        cells = (
            " " + cell + " " * (width - size - 1) for cell, size, width in zip(line, line_sizes, widths, strict=True)
        )
        text.append(" " + " ".join(cells) + " ")
        if index == 0:
            text.append(" " + "─" * (total - 2) + " ")
    text.append(" " * total)
    return "\n".join(text) + "\n"


def _print_table(columns: list[str], rows: list[list[str]]) -> None:
    """Print a table as ``_table(None, columns)`` into ``_console()`` prints it.

    A plain table (:func:`_plain_table`) is written directly, the same text without importing
    rich (tens of milliseconds of a command's start-up); any other is printed by rich.
    """
    plain = _plain_table(columns, rows)
    if plain is None:
        table = _table(None, columns)
        for row in rows:
            table.add_row(*row)
        _console().print(table)
        return
    sys.stdout.write(plain)
    sys.stdout.flush()


def _table(title: str | None, columns: list[str]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_lines=False)
    for index, column in enumerate(columns):
        table.add_column(column, overflow="fold", no_wrap=index == 0)
    return table


def cmd_regions(args: argparse.Namespace) -> int:
    """``ability2 regions [--json]``.

    The regions of a load that found nothing wrong are kept (:mod:`ability2.regioncache`): the
    next ``regions`` prints them without building the registry when nothing they depend on
    has changed. With ``--limit`` the registry is always loaded.
    """
    from ability2 import regioncache

    strict = regioncache.strict_default()
    key = None if getattr(args, "limits", None) else regioncache.tree_key(strict)
    kept = None if key is None else regioncache.lookup(key)
    if kept is not None:
        print_regions(kept, as_json=args.json, lang=args.lang)
        return 0
    from ability2.registry import load_registry

    registry = load_registry()
    regions = registry.regions()
    if key is not None and not registry.problems and not registry.unavailable() and regioncache.tree_key(strict) == key:
        regioncache.store(key, regions)
    print_regions(
        [
            {
                "id": r.id,
                "name": r.name,
                "level": r.level.value,
                "parent": r.parent,
                "code": r.code,
                "name_en": r.name_en,
            }
            for r in regions
        ],
        as_json=args.json,
        lang=args.lang,
    )
    return 0


def print_regions(regions: list[dict[str, Any]], *, as_json: bool, lang: str) -> None:
    """Print regions (``{"id", "name", "level", "parent", "code", "name_en"}`` each) as ``ability2 regions`` does."""
    if as_json:
        _print_json([{key: region[key] for key in ("id", "name", "level", "parent", "code")} for region in regions])
        return
    rows = [
        [
            region["id"],
            region["name"] if lang == "zh" else (region["name_en"] or region["name"]),
            label(region["level"], lang),
            region["parent"] or "",
            region["code"] or "",
        ]
        for region in regions
    ]
    _print_table([label(k, lang) for k in ("id", "name", "level", "parent", "code")], rows)


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
        _heading(
            f"{label('policy_of', lang)} {policy.region.id} ({policy.region.name})",
            f"  {label('on', lang)} {policy.on}",
        )
    )
    console.print(f"{label('chain', lang)}: {chain}  ·  {len(policy)} {label('rules_count', lang)}")
    table = _table(None, [label(k, lang) for k in ("rule", "title", "value", "layer", "source")])
    for rule in policy:
        title = rule.spec.title if lang == "zh" else rule.spec.title_en
        layer = rule.layer
        if rule.overridden:
            layer += f" ({label('replaces', lang)} {rule.overridden[0][0]})"
        source = "\n".join(str(c) for c in rule.sources)
        table.add_row(rule.id, title, rule.describe_value(lang), layer, source)
    console.print(table)
    if policy.inactive:
        console.print(_heading(label("not_in_force", lang)))
        for item in policy.inactive:
            until = f" – {item.entry.valid_until}" if item.entry.valid_until else ""
            console.print(f"  {item.id} ({item.layer}): {item.entry.valid_from}{until}")
    if policy.superseded:
        console.print(_heading(label("superseded", lang)))
        for gone in policy.superseded:
            console.print(f"  {gone.id} ({gone.layer}): {gone.rule.describe_value(lang)} · {gone.by}: {gone.source}")
    if policy.not_encoded:
        console.print(
            _heading(
                label("not_encoded", lang), f": {len(policy.not_encoded)} (see --json or the region's inventory page)"
            )
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
                    "folder": p.folder,
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
        if plugin.folder is not None:  # loaded from a plugin folder (--plugins-dir), not installed
            name += f"\n{plugin.folder}"
        table.add_row(name, plugin.version or "", "\n".join(plugin.regions), "\n".join(plugin.hooks))
    _console().print(table)
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """``ability2 rules [--json]``: the rule catalogue."""
    from ability2.registry import load_registry

    catalogue = load_registry().catalogue

    def evaluated_by(spec: Any) -> tuple[str | None, str | None]:
        kind = catalogue.kind_of(spec)
        if kind is None or not kind.checks:
            return None, None
        return kind.label, catalogue.plugin_of_kind(kind)

    rows: list[dict[str, Any]] = [
        {
            "rule": spec.id + (".*" if spec.family else ""),
            "kind": spec.type_name,
            "evaluated_by": evaluated_by(spec)[0],
            "plugin": catalogue.plugins.get(spec.id),
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
    table = _table(None, [label(k, lang) for k in ("rule", "kind", "scope", "evaluated_by", "title")])
    for row in rows:
        bases = f" [{'/'.join(row['bases'])}]" if row["bases"] else ""
        table.add_row(
            row["rule"],
            row["kind"] + (f" ({row['direction']})" if row["direction"] else ""),
            row["scope"],
            row["evaluated_by"] or label("recorded", lang),
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


def cmd_limits(args: argparse.Namespace) -> int:
    """``ability2 limits [--json]``: the input limits in force (after any ``--limit``)."""
    from ability2.limits import describe, shown

    rows = describe(lang=args.lang)
    if args.json:
        _print_json(
            [{"limit": name, "value": value, "unit": unit, "meaning": meaning} for name, value, unit, meaning in rows]
        )
        return 0
    table = _table(None, [label(k, args.lang) for k in ("limit", "value", "title")])
    for name, value, _, meaning in rows:
        table.add_row(name, render(shown(name, value)), meaning)
    _console().print(table)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``ability2 validate PATH``: check policy files as the registry would load them."""
    from ability2.validate import validate_path

    report = validate_path(Path(args.path), import_plugins=args.import_plugins)
    for line in report.lines:
        print(line)
    return 0


#: formats that write a folder of tables
_TABLE_FORMATS = ("csv", "parquet")


def _check_output(path: str | None, fmt: str, inputs: tuple[str | None, ...] = ()) -> Path | None:
    """Refuse a bad output path before any work is done: a missing folder, a folder, an input file."""
    from ability2.errors import Ability2Error

    if path is None:
        if fmt in ("xlsx", "html"):
            raise Ability2Error(msg("cli.needs_output_file", format=fmt))
        if fmt in _TABLE_FORMATS:
            raise Ability2Error(msg("cli.needs_output_folder", format=fmt))
        return None
    target = Path(path)
    if fmt in _TABLE_FORMATS:
        from ability2.reports.export import check_folder

        for source in inputs:
            if source is not None and Path(source).exists() and Path(source).resolve().parent == target.resolve():
                name = Path(source).name
                if name in {f"{table}.{fmt}" for table in ("teachers", "groups", "schools")}:
                    raise Ability2Error(msg("cli.would_overwrite_input", path=path, source=source))
        return check_folder(target, create=False)  # made when the tables are written, not before the work
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise Ability2Error(msg("cli.no_such_folder", path=path, folder=folder))
    if target.is_dir():
        raise Ability2Error(msg("cli.output_is_folder", path=path))
    for source in inputs:
        if source is not None and target.exists() and Path(source).exists() and os.path.samefile(target, source):
            raise Ability2Error(msg("cli.output_is_input", path=path, source=source))
    return target


def _table_to_file(render: Any, target: Path) -> None:
    """Write a table output as plain text (no colours) to ``target``, all or nothing."""
    import io

    from rich.console import Console

    from ability2.files import write_text_atomic

    buffer = io.StringIO()
    render(Console(file=buffer, color_system=None, width=160, soft_wrap=False))
    write_text_atomic(target, buffer.getvalue())


class _Stages:
    """Progress on stderr, drawn only when stderr is a terminal: one step per stage of the work."""

    def __init__(self, stages: list[Message]) -> None:
        self.progress: Any = None
        self.task: Any = None
        self.stages = [render(stage) for stage in stages]
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.stages[0], total=len(stages))

    def step(self, index: int) -> None:
        """Mark the stages before ``index`` done and show stage ``index``."""
        if self.progress is not None:
            description = self.stages[index] if index < len(self.stages) else ""
            self.progress.update(self.task, completed=index, description=description)

    def rule_progress(self, stage: str, done: int, total: int) -> None:
        """A callback for per-teacher plugin rules: shows how far the current rule is."""
        if self.progress is not None:
            self.progress.update(self.task, description=f"{stage} {done}/{total}")

    def count(self, description: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` things (parts evaluated) as the bar itself."""
        if self.progress is not None:
            self.progress.update(self.task, description=f"{description} {done}/{total}", completed=done, total=total)

    def close(self) -> None:
        """Remove the progress display."""
        if self.progress is not None:
            self.progress.stop()


def _read_schools(path: str | None) -> Any:
    """The school table named by ``--schools``, or ``None``."""
    if path is None:
        return None
    from ability2.io.schools import read_schools

    return read_schools(path)


def _utf8_stdout() -> TextIO | BinaryIO:
    """Standard output as bytes when it writes UTF-8 as it is (a large JSON then skips a decode), else as text."""
    import codecs

    stdout = sys.stdout
    binary = getattr(stdout, "buffer", None)
    encoding = getattr(stdout, "encoding", None)
    if binary is None or not encoding or codecs.lookup(encoding).name != "utf-8" or os.linesep != "\n":
        return stdout
    stdout.flush()
    return binary  # type: ignore[no-any-return]


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``ability2 evaluate ROSTER --region REGION [--on] [--format] [-o]``."""
    from ability2.errors import Ability2Error
    from ability2.evaluation import evaluate
    from ability2.registry import load_registry

    if args.engine != "dask" and args.scheduler is not None:
        raise Ability2Error(msg("cli.scheduler_needs_dask"))
    target = _check_output(args.output, args.format, (args.roster, args.schools))
    plot = _check_plot(args.plot, (args.roster, args.schools))
    registry = load_registry()
    # without --region (a roster naming each school's region) the nation holds every row
    policy = registry.policy(args.region if args.region is not None else "cn", on=args.on)
    if args.engine != "dask" and args.partitions is None and args.workers is None and args.format in _TABLE_FORMATS:
        from ability2.partition import AUTO_PARTITION_ROWS, partitions_by_default

        if partitions_by_default(args.roster):
            args.partitions = "auto"  # read whole, a cohort this large would need gigabytes
            print(f"ability2: {render(msg('cli.auto_partitions', rows=AUTO_PARTITION_ROWS))}", file=sys.stderr)
    if args.engine == "dask" or args.partitions is not None or args.workers is not None:
        from ability2.national import region_column

        # with --region, the column is an ordinary one (contract §2; refused if it names other regions)
        regional = args.region is None and bool(region_column(_header_of(args.roster, args.engine == "dask")))
        _check_regional(args, regional, plot)
        if args.engine == "dask":
            return _evaluate_dask(args, policy, target, plot)
        return _evaluate_partitioned(args, policy, target, plot)
    stages = _Stages([msg("cli.stage.reading"), msg("cli.stage.evaluating"), msg("cli.stage.writing")])
    try:
        from ability2.gcpause import paused_gc
        from ability2.io.roster import _build, _load
        from ability2.national import region_column

        with paused_gc():
            name, table = _load(args.roster)
            if args.region is None and region_column(table.header):
                _check_regional(args, True, plot)
                schools = _read_schools(args.schools)
                stages.close()
                return _evaluate_regions(args, registry, policy, name, table.with_texts(), schools, target, plot)
            _check_regional(args, False, plot)
            roster = _build(name, table, policy.framework)
        del table
        schools = _read_schools(args.schools)
        stages.step(1)
        result = evaluate(roster, policy, schools=schools, progress=stages.rule_progress)
        stages.step(2)
        if args.format == "table":
            from ability2.reports.table import render_table

            stages.close()
            if target is None:
                render_table(result, lang=args.lang, console=_console())
                return 0
            _table_to_file(lambda console: render_table(result, lang=args.lang, console=console), target)
            print(f"{target}", file=sys.stderr)
            return 0
        if args.format in ("json", "jsonl") and target is None:
            from ability2.resultjson import write_json, write_jsonl

            stages.close()
            out = _utf8_stdout()
            if args.format == "json":
                write_json(result, out, lang=args.lang, indent=2)
            else:
                write_jsonl(result, out, lang=args.lang)
            out.flush()
            return 0
        assert target is not None
        if args.format in _TABLE_FORMATS:
            from ability2.reports.export import write_tables

            for path in write_tables(result, target, args.format):
                print(f"{path}", file=sys.stderr)
            return 0
        from ability2.reports import write_report

        caps = {"max_teachers": args.html_max_teachers, "max_schools": args.html_max_schools}
        write_report(result, target, args.format, lang=args.lang, **caps)
        if args.format == "html":  # what the page leaves out, said here as well as on the page
            from ability2.reports.html import plan_html

            stages.close()
            for sentence in plan_html(result, **caps).statements(args.lang):
                print(f"ability2: {sentence}", file=sys.stderr)
    finally:
        stages.close()
    print(f"{target}", file=sys.stderr)
    return 0


def _check_plot(path: str | None, inputs: tuple[str | None, ...]) -> Path | None:
    """The ``--plot`` file, checked before any work (its folder exists; it is not an input or a folder)."""
    if path is None:
        return None
    from ability2.errors import Ability2Error

    target = _check_output(path, "png", inputs)
    assert target is not None
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise Ability2Error(msg("cli.plot_suffix", path=path))
    return target


def _header_of(roster: str, many: bool) -> tuple[str, ...]:
    """The header of a roster file (the first file of a glob with ``many``), read without its rows."""
    from ability2.partition import scan_roster

    if many:
        from ability2.reports.distributed import roster_files

        roster = roster_files(roster)[0]
    return scan_roster(roster).header


def _check_regional(args: argparse.Namespace, regional: bool, plot: Path | None) -> None:
    """What a roster with (or without) a region column allows: ``--region`` optional, ``--plot``, the formats."""
    from ability2.errors import Ability2Error

    if not regional:
        if args.region is None:
            raise Ability2Error(msg("cli.needs_region"))
        if plot is not None:
            raise Ability2Error(msg("cli.plot_needs_regions"))
        return
    if args.format not in ("table", *_TABLE_FORMATS):
        raise Ability2Error(msg("cli.regional_formats"))


def _evaluate_regions(
    args: argparse.Namespace,
    registry: Any,
    policy: Any,
    name: str,
    table: Any,
    schools: Any,
    target: Path | None,
    plot: Path | None,
) -> int:
    """A roster with a region column, in this process: the roll-up printed, or the tables and roll-up written."""
    from ability2.national import evaluate_cells

    within = None if args.region is None else policy.region.id
    outcome = evaluate_cells(
        table.data,
        table.header,
        name=name,
        header_row=table.header_row,
        on=policy.on,
        registry=registry,
        within=within,
        schools=schools,
        problems=table.problems,
    )
    frame = outcome.rollup(registry)
    if args.format == "table":
        from ability2.rollup import rollup_rows

        columns, rows = rollup_rows(frame, args.lang)
        if target is None:
            _print_rollup(frame, args)
        else:

            def render(console: Any) -> None:
                table = _table(None, columns)
                for row in rows:
                    table.add_row(*row)
                console.print(table)

            _table_to_file(render, target)
            print(f"{target}", file=sys.stderr)
    else:
        assert target is not None
        from ability2.files import write_atomic
        from ability2.reports.export import check_folder, write_frame
        from ability2.reports.partitioned import write_totals

        folder = check_folder(target)
        for table_name in ("teachers", "groups", "schools"):
            frame_of = getattr(outcome, table_name)

            def write(temporary: Path, data: Any = frame_of) -> None:
                write_frame(data, temporary, args.format)

            print(f"{write_atomic(folder / f'{table_name}.{args.format}', write)}", file=sys.stderr)
        write_totals(folder, policy, 1, outcome.totals, outcome.regions, args.format)
        print(f"{folder / f'rollup.{args.format}'}", file=sys.stderr)
        _print_rollup(frame, args, str(folder / f"rollup.{args.format}"))
    if plot is not None:
        _draw_rollup(frame, plot, args.lang, policy.on)
    return 0


def _print_rollup(frame: Any, args: argparse.Namespace, full: str | None = None) -> None:
    """Print the roll-up readably: areas down to ``--rollup-level``, the weakest below it, what was left out.

    ``--rollup-all`` prints every area. ``full`` is the roll-up file written (``-o``), named
    in the note on what was left out.
    """
    from ability2.rollup import rollup_rows
    from ability2.rollup_view import DEFAULT_WEAKEST, digest, digest_notes

    weakest = getattr(args, "rollup_weakest", None)
    if getattr(args, "rollup_all", False):
        view = digest(frame, "county", 0)
    else:
        level = getattr(args, "rollup_level", None) or "province"
        view = digest(frame, level, DEFAULT_WEAKEST if weakest is None else weakest)
    columns, rows = rollup_rows(view.shown, args.lang)
    _print_table(columns, rows)
    notes = digest_notes(view, args.lang, full)
    if view.weakest.height:
        print(f"\n{notes['weakest']}")
        _print_table(columns, rollup_rows(view.weakest, args.lang)[1])
    if notes["left_out"]:
        print(notes["left_out"])
    sys.stdout.flush()


def _draw_rollup(frame: Any, plot: Path, lang: str, on: Any) -> None:
    """Draw the roll-up to ``plot`` (all or nothing) and name the file."""
    from ability2.files import write_atomic
    from ability2.reports.rollup_plot import plot_rollup

    figure = plot_rollup(frame, lang=lang, on=on)

    def write(temporary: Path) -> None:
        figure.savefig(temporary, format=plot.suffix.lstrip(".").lower())

    write_atomic(plot, write)
    print(f"{plot}", file=sys.stderr)


def _evaluate_partitioned(args: argparse.Namespace, policy: Any, target: Path | None, plot: Path | None = None) -> int:
    """``evaluate --partitions N [--workers W] --format csv|parquet -o FOLDER``."""
    from ability2.errors import Ability2Error
    from ability2.reports.partitioned import evaluate_partitioned

    if args.partitions is None:
        raise Ability2Error(msg("cli.workers_needs_partitions"))
    if args.format not in _TABLE_FORMATS or target is None:
        raise Ability2Error(msg("cli.partitions_formats"))
    workers = 1 if args.workers is None else args.workers
    if workers < 1:
        raise Ability2Error(msg("cli.workers_at_least_one", workers=workers))
    zh = args.lang == "zh"
    stages = _Stages([msg("cli.stage.splitting"), msg("cli.stage.parts")])

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "split":
            stages.step(1)
        elif stage == "parts":
            stages.rule_progress(render(msg("cli.stage.parts")), done, total)

    try:
        parts = None if args.partitions == "auto" else int(args.partitions)
        outcome = evaluate_partitioned(
            args.roster,
            policy,
            target,
            parts=parts,
            workers=workers,
            fmt=args.format,
            progress=progress,
            schools=args.schools,
        )
    finally:
        stages.close()
    _print_parts_summary(outcome, zh)
    if outcome.regions:
        _print_rollup(outcome.rollup(), args, str(outcome.folder / f"rollup.{outcome.fmt}"))
    if plot is not None and outcome.regions:
        _draw_rollup(outcome.rollup(), plot, args.lang, policy.on)
    return 0


def _print_parts_summary(outcome: Any, zh: bool) -> None:
    """The totals of a partitioned evaluation, one line, and the folder written."""
    totals = outcome.totals
    lang = "zh" if zh else "en"
    summary = msg(
        "cli.parts_summary",
        parts=outcome.parts,
        teachers=totals.teachers,
        passed=totals.passed,
        rate=totals.pass_rate,
        excellent=totals.excellent,
        schools=totals.schools,
        schools_passed=totals.schools_passed,
    )
    print(render(summary, lang), file=sys.stderr)
    if outcome.regions:
        said = msg("cli.parts_regions", regions=len(outcome.regions), rollup=outcome.folder / f"rollup.{outcome.fmt}")
        print(render(said, lang), file=sys.stderr)
    print(f"{outcome.folder}", file=sys.stderr)


def _evaluate_dask(args: argparse.Namespace, policy: Any, target: Path | None, plot: Path | None = None) -> int:
    """``evaluate ROSTER_OR_GLOB --engine dask [--scheduler ADDRESS] [--workers N] --format csv|parquet -o FOLDER``."""
    from ability2.errors import Ability2Error
    from ability2.reports.distributed import evaluate_dask

    zh = args.lang == "zh"
    if args.format not in _TABLE_FORMATS or target is None:
        raise Ability2Error(msg("cli.dask_formats"))
    if args.workers is not None and args.workers < 1:
        raise Ability2Error(msg("cli.workers_at_least_one", workers=args.workers))
    if args.scheduler is not None and args.workers is not None:
        raise Ability2Error(msg("cli.workers_with_scheduler"))
    evaluating = render(msg("cli.stage.parts"))
    stages = _Stages([msg("cli.stage.dask"), msg("cli.stage.parts")])

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "parts":
            stages.count(evaluating, done, total)

    partitions = None if args.partitions in (None, "auto") else int(args.partitions)
    try:
        outcome = evaluate_dask(
            args.roster,
            policy,
            target,
            scheduler=args.scheduler,
            workers=args.workers,
            partitions=partitions,
            fmt=args.format,
            progress=progress,
            schools=args.schools,
        )
    finally:
        stages.close()
    _print_parts_summary(outcome, zh)
    if outcome.regions:
        _print_rollup(outcome.rollup(), args, str(outcome.folder / f"rollup.{outcome.fmt}"))
    if plot is not None and outcome.regions:
        _draw_rollup(outcome.rollup(), plot, args.lang, policy.on)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``ability2 compare ROSTER --region R1 --region R2 ... [--what-if FILE] [--format] [-o]``."""
    from ability2.comparison import compare, resolve_policies
    from ability2.errors import Ability2Error
    from ability2.io.roster import read_roster
    from ability2.registry import load_registry
    from ability2.reports.comparison import render_comparison_table, write_comparison

    target = _check_output(args.output, args.format, (args.roster, args.schools, args.what_if))
    registry = load_registry()
    policies: list[Any] = resolve_policies(args.region, on=args.on, registry=registry)
    if args.what_if:
        from ability2.loading import read_source_text
        from ability2.yamlio import read_yaml

        text, name = read_source_text(args.what_if)
        changes = read_yaml(text, name).data
        if not isinstance(changes, dict):
            raise Ability2Error(msg("cli.change_set_not_mapping", file=name))
        import warnings

        from ability2.whatif import WhatIfWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", WhatIfWarning)
            policies.append(policies[0].with_changes(changes, note=f"{Path(name).name}", source=name, lang=args.lang))
        for warning in caught:
            if issubclass(warning.category, WhatIfWarning):
                print(f"{render(msg('cli.note'))}: {warning.message}", file=sys.stderr)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    roster = read_roster(args.roster, framework=registry.framework)
    comparison = compare(roster, policies, registry=registry, schools=_read_schools(args.schools))
    if args.format == "table":
        if target is None:
            render_comparison_table(comparison, lang=args.lang, console=_console())
            return 0
        _table_to_file(lambda console: render_comparison_table(comparison, lang=args.lang, console=console), target)
        print(f"{target}", file=sys.stderr)
        return 0
    if target is None and args.format == "json":
        _print_json(comparison.to_dict())
        return 0
    assert target is not None
    write_comparison(comparison, target, args.format, lang=args.lang)
    print(f"{target}", file=sys.stderr)
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    """``ability2 timeline REGION [--on] [--json] [--ics FILE]``."""
    from ability2.registry import load_registry
    from ability2.timeline import timeline, to_ics

    ics_target = _check_output(args.ics, "ics") if args.ics else None
    policy = load_registry().policy(args.region, on=args.on)
    view = timeline(policy)
    if ics_target is not None:
        from ability2.files import write_text_atomic

        write_text_atomic(ics_target, to_ics(policy, lang=args.lang))
    if args.json:
        _print_json(view.to_dict())
        return 0
    lang = args.lang
    console = _console()
    zh = lang == "zh"
    console.print(_heading(f"{policy.region.id} ({policy.region.name})", f"  {label('on', lang)} {view.on}"))
    table = _table(
        None,
        [
            "阶段" if zh else "phase",
            "开始" if zh else "start",
            "结束" if zh else "end",
            label("layer", lang),
            label("source", lang),
        ],
    )
    for phase in view.phases:
        mark = " ◀" if phase in view.current else ""
        start = phase.start.isoformat()
        if not phase.start_stated:
            start = f"{'未载明' if zh else 'not stated'} ({'自' if zh else 'from'} {start})"
        table.add_row(phase.name + mark, start, phase.end.isoformat(), phase.layer, phase.source)
    console.print(table)
    if view.superseded:
        console.print(
            _heading(
                "被本地区文件取代的上级阶段（不适用）"
                if zh
                else "ancestors' phases set aside by the region's own document (not applied)"
            )
        )
        for item in view.superseded:
            console.print(
                f"  {item.phase.name} ({item.phase.layer}): {item.phase.start} – {item.phase.end} · {item.by}: {item.source}"
            )
    if view.next_deadline is not None:
        what = "下一截止" if zh else "next deadline"
        console.print(f"{what}: {view.next_deadline.end} {view.next_deadline.name} ({view.next_deadline.source})")
    else:
        console.print("没有未到的截止日期" if zh else "no deadline on or after this date")
    if ics_target is not None:
        print(f"{ics_target}", file=sys.stderr)
    return 0


def cmd_form(args: argparse.Namespace) -> int:
    """``ability2 form REGION [--json]``."""
    from ability2.forms import forms
    from ability2.registry import load_registry

    policy = load_registry().policy(args.region, on=args.on)
    found = forms(policy)
    if args.scores or args.roster:
        return _fill_forms(args, policy)
    if args.json:
        _print_json(found)
        return 0
    console = _console()
    zh = args.lang == "zh"
    if not found:
        console.print(
            ("该地区政策中没有考核表" if zh else "this region's policy has no scoring form")
            + f" ({policy.region.id}, {policy.on})"
        )
        return 0
    for form in found:
        head = _heading(str(form["name"]), f"  {form['total']}{'分' if zh else ' points'}")
        if form["pass_min"] is not None:
            head += f" · {'合格' if zh else 'pass'} {form['pass_min']} ({form['pass_bound']})"
        if form["excellent_cap"] is not None:
            head += f" · {'优秀学校' if zh else 'excellent schools'} ≤ {form['excellent_cap'] * 100:g}% ({form['excellent_cap_bound']})"
        console.print(head)
        console.print(f"{label('source', args.lang)}: {form['source']} [{form['layer']}]")
        table = _table(
            None, ["考核项目" if zh else "section", "考核指标" if zh else "item", "分值" if zh else "points"]
        )
        for section in form["sections"]:
            for position, item in enumerate(section["items"]):
                name = f"{section['name']} ({section['points']})" if position == 0 else ""
                parts = f"\n  {' / '.join(item['parts'])}" if item["parts"] else ""
                table.add_row(name, item["name"] + parts, str(item["points"]))
        console.print(table)
    return 0


def _fill_forms(args: argparse.Namespace, policy: Any) -> int:
    """``ability2 form REGION --scores FILE [--roster ROSTER]``: totals, pass line, excellent cap."""
    from ability2.errors import Ability2Error
    from ability2.forms import FormReadings, load_scores, prefill, score_schools

    pairs = policy.forms()
    if not pairs:
        raise Ability2Error(msg("cli.no_form", region=policy.region.id, on=policy.on.isoformat()))
    rule, form = pairs[0]
    readings = FormReadings.of(policy, getattr(args, "district_schools", None))
    scores = load_scores(args.scores) if args.scores else {}
    prefilled = None
    if args.roster:
        from ability2.evaluation import evaluate
        from ability2.io.roster import read_roster

        prefilled = prefill(form, evaluate(read_roster(args.roster, framework=policy.framework), policy), readings)
    rows = score_schools(form, scores, prefilled, readings)
    if args.json:
        _print_json({"form": rule.id, "name": form.name, "schools": rows})
        return 0
    zh = args.lang == "zh"
    table = _table(
        form.name,
        [
            "学校" if zh else "school",
            "总分" if zh else "total",
            "合格" if zh else "pass",
            "等次" if zh else "grade",
            "预填" if zh else "pre-filled",
        ],
    )
    for row in rows:
        table.add_row(
            row["school"],
            f"{row['total']:g}",
            "✓" if row["passed"] else "✗",
            status_label(row["grade"], "zh" if zh else "en"),
            "\n".join(row["prefilled"]),
        )
    console = _console()
    console.print(table)
    for row in rows:
        for text in row["overrides"]:
            console.print(("注意: " if zh else "note: ") + f"{row['school']}: {text}")
    return 0


def cmd_new_plugin(args: argparse.Namespace) -> int:
    """``ability2 new-plugin NAME [--parent REGION] [-o DIR]``."""
    from ability2.scaffold import scaffold_plugin

    folder = scaffold_plugin(args.name, parent=args.parent, output=args.output)
    print(f"created {folder}")
    print(f"try it without installing: ability2 --plugins-dir {folder} regions")
    print(f"next: pip install -e '{folder}[test]' && ability2 regions && python -m pytest {folder / 'tests'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``ability2 demo``: the bundled sample school under every seed region."""
    from ability2.demo import run_demo

    return run_demo(Path(args.output_dir), lang=args.lang, console=_console())


def cmd_serve(args: argparse.Namespace) -> int:
    """``ability2 serve [--host] [--port] [--workers N]``: the HTTP service (:mod:`ability2.service`)."""
    import socket

    from ability2.service import require_extra

    require_extra(args.lang)
    from ability2.service.config import CONFIG_VARIABLE, ServiceConfig

    settings: dict[str, Any] = {"limits": dict(args.limits), "cors_origins": tuple(args.cors_origins)}
    for name, value in (
        ("max_body_bytes", args.max_body),
        ("max_seconds", args.timeout),
        ("max_concurrent", args.concurrency),
        ("max_compare_regions", args.max_compare_regions),
    ):
        if value is not None:
            settings[name] = value
    config = ServiceConfig(**settings)
    # the address is tried before the workers start, so that one in use is a clear error (exit 2)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as exc:
        from ability2.errors import Ability2Error
        from ability2.failures import os_reason

        said = msg("cli.cannot_listen", host=args.host, port=args.port, reason=os_reason(exc))
        raise Ability2Error(said) from None
    # each worker process builds its application from the settings in the environment
    os.environ[CONFIG_VARIABLE] = config.to_json()
    import uvicorn

    uvicorn.run(
        "ability2.service.app:create_app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        root_path=args.root_path,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=args.log_level,
        timeout_graceful_shutdown=max(5, round(config.max_seconds)),
    )
    return 0
