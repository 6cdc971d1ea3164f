"""The ``ability2`` command line (also ``python -m ability2``).

Exit codes (contract §3): 0 done, 2 bad usage or bad input (a clear message on stderr, no
traceback), 1 internal error. Set ``ABILITY2_DEBUG=1`` to see the traceback of an
internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from ability2.errors import Ability2Error, RegionUnavailableError
from ability2.files import Stopped, writes_stopped
from ability2.messages import msg

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class UsageError(Ability2Error):
    """Bad command-line usage (exit 2)."""


def iso_date(text: str) -> dt.date:
    """Argparse type for ``--on``: an ISO date ``YYYY-MM-DD``."""
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise _TypeError(msg("cli.arg.not_date", text=text))
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _TypeError(msg("cli.arg.not_date", text=text)) from None


def compare_date(text: str) -> dt.date | str:
    """Argparse type for ``compare --on``: an ISO date, or ``documents`` (each region's own first day)."""
    return "documents" if text.strip() == "documents" else iso_date(text)


def region_on_date(text: str) -> str | tuple[str, dt.date]:
    """Argparse type for ``compare --region``: ``REGION`` or ``REGION@YYYY-MM-DD``."""
    region, at, day = text.rpartition("@")
    if not at:
        return text
    if not region:
        raise _TypeError(msg("cli.arg.region_before_at", text=text))
    return region, iso_date(day)


def partition_count(text: str) -> int | str:
    """Argparse type for ``--partitions``: a whole number ≥ 1, or ``auto``."""
    if text.strip() == "auto":
        return "auto"
    try:
        count = int(text)
    except ValueError:
        raise _TypeError(msg("cli.arg.not_parts", text=text)) from None
    if count < 1:
        raise _TypeError(msg("cli.arg.at_least_one", text=text))
    return count


def limit_assignment(text: str) -> tuple[str, int]:
    """Argparse type for ``--limit``: ``NAME=VALUE`` (:func:`ability2.limits.parse_limit`)."""
    from ability2.limits import parse_limit

    try:
        return parse_limit(text)
    except ValueError as exc:
        raise _TypeError(exc.args[0]) from None


def row_count(text: str) -> int:
    """Argparse type for ``--html-max-teachers`` and ``--html-max-schools``: a whole number 0 or more.

    Digits may be grouped with ``_`` or ``,``; a suffix ``K`` or ``M`` multiplies by 1,000 or
    1,000,000 (``20K``, ``1M``).
    """
    import re

    match = re.fullmatch(r"\s*([0-9][0-9_,]*)\s*([kKmM]?)\s*", text)
    if match is None:
        raise _TypeError(msg("cli.arg.not_row_count", text=text))
    digits, suffix = match.groups()
    return int(digits.replace("_", "").replace(",", "")) * {"": 1, "k": 1000, "m": 1000**2}[suffix.lower()]


def positive_int(text: str) -> int:
    """Argparse type: a whole number 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise _TypeError(msg("cli.arg.not_whole", text=text)) from None
    if value < 1:
        raise _TypeError(msg("cli.arg.at_least_one", text=text))
    return value


def positive_float(text: str) -> float:
    """Argparse type: a number above 0 (seconds)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise _TypeError(msg("cli.arg.not_number", text=text)) from None
    if not (value > 0 and math.isfinite(value)):
        raise _TypeError(msg("cli.arg.above_zero", text=text))
    return value


def port_number(text: str) -> int:
    """Argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise _TypeError(msg("cli.arg.not_port", text=text)) from None
    if not 1 <= value <= 65535:
        raise _TypeError(msg("cli.arg.port_range", text=text))
    return value


def byte_size(text: str) -> int:
    """Argparse type: a size in bytes, with an optional suffix K, M or G (powers of 1024): ``32M``."""
    import re

    match = re.fullmatch(r"\s*([0-9][0-9_,]*)\s*([kKmMgG]?)\s*", text)
    if match is None:
        raise _TypeError(msg("cli.arg.not_size", text=text))
    digits, suffix = match.groups()
    power: int = {"": 0, "k": 1, "m": 2, "g": 3}[suffix.lower()]
    value = int(digits.replace("_", "").replace(",", "")) * (1 << (10 * power))
    if not 0 < value <= 2**62:
        raise _TypeError(msg("cli.arg.size_range", text=text))
    return value


class _TypeError(argparse.ArgumentTypeError):
    """A bad option value: its message by code, shown in the language of the command line (see :class:`_Parser`)."""

    def __str__(self) -> str:
        from ability2.messages import render

        return render(self.args[0])


class _Parser(argparse.ArgumentParser):
    """An argument parser whose own errors (a required argument, an invalid choice) read in the chosen language.

    argparse words its errors in English through gettext; :meth:`error` reads the sentence
    back by its template and says it by message code (``cli.usage.*``) in the language of
    ``--lang`` (looked for in the arguments before they are parsed). In JSON mode (``--json``,
    ``--format json``/``jsonl``) the error is one JSON object on stderr, as other errors are.
    """

    #: the language and the output mode the arguments ask for (set by :func:`main` before parsing)
    lang = "zh"
    json_mode = False

    def error(self, message: str) -> NoReturn:
        """Say argparse's ``message`` in the chosen language (or as JSON), after the usage; exit 2."""
        from ability2.messages import render

        said = _usage_message(message)
        if _Parser.json_mode:
            import json

            data = {
                "code": "bad_input",
                "exit_code": EXIT_USAGE,
                "message": render(said, _Parser.lang),
                "message_code": said.code,
                "usage": self.format_usage().strip(),
            }
            sys.stderr.write(json.dumps(data, ensure_ascii=False) + "\n")
            self.exit(EXIT_USAGE)
        usage = self.format_usage()
        if _Parser.lang == "zh":
            usage = usage.replace("usage: ", "用法：", 1)
        sys.stderr.write(usage)
        self.exit(EXIT_USAGE, f"{self.prog}: {render(msg('cli.error'), _Parser.lang)}: {render(said, _Parser.lang)}\n")


#: argparse's own error sentences (Python 3.10 to 3.13), read back into message codes
_ARGPARSE_ERRORS: tuple[tuple[str, Callable[..., Any]], ...] = (
    (r"the following arguments are required: (?P<names>.+)", lambda **found: msg("cli.usage.required", **found)),
    (
        r"argument (?P<name>\S+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
        lambda **found: msg("cli.usage.choice", **found),
    ),
    (
        r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
        lambda **found: msg("cli.usage.choice_bare", **found),
    ),
    (r"unrecognized arguments: (?P<names>.+)", lambda **found: msg("cli.usage.unrecognized", **found)),
    (r"argument (?P<name>\S+): expected one argument", lambda **found: msg("cli.usage.expected_one", **found)),
    (
        r"argument (?P<name>\S+): expected at least one argument",
        lambda **found: msg("cli.usage.expected_some", **found),
    ),
    (
        r"argument (?P<name>\S+): invalid (?P<type>\S+) value: (?P<value>.+)",
        lambda **found: msg("cli.usage.invalid_value", **found),
    ),
    (
        r"argument (?P<name>\S+): not allowed with argument (?P<other>\S+)",
        lambda **found: msg("cli.usage.not_allowed_with", **found),
    ),
    (
        r"argument (?P<name>\S+): ignored explicit argument (?P<value>.+)",
        lambda **found: msg("cli.usage.ignored_value", **found),
    ),
    (
        r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)",
        lambda **found: msg("cli.usage.ambiguous", **found),
    ),
    (r"one of the arguments (?P<names>.+) is required", lambda **found: msg("cli.usage.one_of", **found)),
    (r"argument (?P<name>\S+): (?P<problem>.+)", lambda **found: msg("cli.usage.argument", **found)),
)


def _usage_message(message: str) -> Any:
    """Argparse's English error as a message by code (an unknown sentence as ``cli.usage.other``)."""
    import re

    text = " ".join(message.split())
    for pattern, build in _ARGPARSE_ERRORS:
        found = re.fullmatch(pattern, text, flags=re.DOTALL)
        if found:
            return build(**found.groupdict())
    return msg("cli.usage.other", detail=text)


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked (reading package metadata costs start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=str(kwargs.get("help")))

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: object, values: object, option: object = None
    ) -> None:
        from ability2.cli import commands

        sys.stdout.write(f"ability2 {commands.version()}\n")
        parser.exit()


def _add_plugin_options(parser: argparse.ArgumentParser, *, after: bool) -> None:
    """``--plugins-dir`` and ``--no-installed-plugins``, before the command or after it (kept apart, then joined)."""
    suffix = "_after" if after else ""
    parser.add_argument(
        "--plugins-dir",
        dest="plugins_dirs" + suffix,
        action="append",
        default=[],
        metavar="DIR",
        help="also load the plugin in folder DIR without installing it (a project as 'ability2 new-plugin' writes "
        "it, or a folder of such projects); its Python code runs, as if installed (repeatable; also: environment "
        "variable ABILITY2_PLUGINS_DIR)",
    )
    parser.add_argument(
        "--no-installed-plugins",
        dest="no_installed" + suffix,
        action="store_true",
        help="load no installed plugin: only the core and the --plugins-dir folders "
        "(also: environment variable ABILITY2_NO_INSTALLED_PLUGINS=1)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from ability2.cli import commands

    parser = _Parser(
        prog="ability2",
        description="Teacher IT competency programme 2.0 (能力提升工程2.0) rules as code.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the installed version and exit")
    _add_plugin_options(parser, after=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        command.add_argument(
            "--limit",
            dest="limits",
            action="append",
            type=limit_assignment,
            default=[],
            metavar="NAME=N",
            help="change an input limit for this run, e.g. max_rows=20M (repeatable; 'ability2 limits' lists them)",
        )
        command.add_argument(
            "--strict-plugins",
            action="store_true",
            help="stop with an error when any installed plugin is broken, instead of leaving it out "
            "(also: environment variable ABILITY2_STRICT_PLUGINS=1)",
        )
        _add_plugin_options(command, after=True)
        return command

    def add_lang(command: argparse.ArgumentParser) -> None:
        command.add_argument("--lang", choices=("zh", "en"), default="zh", help="label language (default: zh)")

    regions = add("regions", commands.cmd_regions, "list every known region (id, name, level, parent, code)")
    regions.add_argument("--json", action="store_true", help="print JSON (contract §3.3)")
    add_lang(regions)

    policy = add(
        "policy", commands.cmd_policy, "show a region's effective policy: every rule with value, layer and source"
    )
    policy.add_argument("region", metavar="REGION", help="region id (shandong/jining/yanzhou) or code (370812)")
    policy.add_argument("--on", type=iso_date, default=None, metavar="DATE", help="date YYYY-MM-DD (default: today)")
    policy.add_argument("--json", action="store_true", help="print JSON")
    add_lang(policy)

    plugins = add("plugins", commands.cmd_plugins, "list plugins: name, version, regions, hooks implemented")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    add_lang(plugins)

    rules = add("rules", commands.cmd_rules, "list the rule catalogue: every rule id a policy file may set")
    rules.add_argument("--json", action="store_true", help="print JSON")
    add_lang(rules)

    evaluate = add(
        "evaluate",
        commands.cmd_evaluate,
        "evaluate a roster under a region's policy: every teacher, group and school, with reasons",
    )
    evaluate.add_argument("roster", metavar="ROSTER", help="CSV (UTF-8 or GBK), XLSX or Parquet roster (contract §2)")
    evaluate.add_argument(
        "--region",
        metavar="REGION",
        help="region id or code (required, unless the roster names each school's region in a column region or "
        "地区: then each row is judged by its own region's policy, and REGION, when given, must hold every row's)",
    )
    evaluate.add_argument(
        "--plot",
        metavar="FILE",
        help="a roster with a region column: also draw the roll-up (pass and excellent rates, schools by status, "
        "by province, city or county) to FILE (.png, .svg or .pdf; needs pip install 'ability2[plot]')",
    )
    evaluate.add_argument(
        "--rollup-level",
        choices=("nation", "province", "city", "county"),
        default="province",
        help="a roster with a region column: print the roll-up's areas down to this level in full (default: "
        "province), then the weakest areas below it by pass rate",
    )
    evaluate.add_argument(
        "--rollup-weakest",
        type=row_count,
        default=None,
        metavar="N",
        help="a roster with a region column: how many of the weakest areas below --rollup-level to print (default: 10)",
    )
    evaluate.add_argument(
        "--rollup-all", action="store_true", help="a roster with a region column: print every area of the roll-up"
    )
    evaluate.add_argument("--on", type=iso_date, default=None, metavar="DATE", help="date YYYY-MM-DD (default: today)")
    evaluate.add_argument(
        "--format",
        choices=("table", "json", "jsonl", "xlsx", "html", "csv", "parquet"),
        default="table",
        help="output format (default: table); csv and parquet write the teachers, groups and schools tables",
    )
    evaluate.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (required for xlsx and html); for csv and parquet a folder",
    )
    evaluate.add_argument(
        "--schools",
        metavar="FILE",
        help="a school table (CSV or XLSX): facts about schools and research groups for the rules that need them",
    )
    evaluate.add_argument(
        "--partitions",
        type=partition_count,
        metavar="N",
        help="evaluate a UTF-8 CSV or Parquet roster split by school into N parts ('auto': about 500,000 rows "
        "each), each part in bounded memory; with --format csv or parquet -o FOLDER",
    )
    evaluate.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --partitions: evaluate N parts at a time, each in its own process (default: 1); with "
        "--engine dask: the local cluster's worker processes (default: one per core)",
    )
    evaluate.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="dask: evaluate on a Dask cluster (ROSTER may be a glob such as 'data/*.parquet'; --partitions N "
        "sets how many parts the rows are shuffled into by school); needs pip install 'ability2[dask]' "
        "(default: local)",
    )
    evaluate.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the scheduler to run on (tcp://host:8786) instead of a local cluster",
    )
    evaluate.add_argument(
        "--html-max-teachers",
        type=row_count,
        default=None,
        metavar="N",
        help="html: list every teacher and research group up to N (default 10,000); past it, only those that "
        "failed or are pending, up to N, and the page says what it leaves out",
    )
    evaluate.add_argument(
        "--html-max-schools",
        type=row_count,
        default=None,
        metavar="N",
        help="html: list every school up to N (default 1,000); past it, only those with a failed check, up to N",
    )
    add_lang(evaluate)

    compare = add(
        "compare", commands.cmd_compare, "evaluate one roster under several regions (or a what-if) and compare"
    )
    compare.add_argument("roster", metavar="ROSTER", help="CSV (UTF-8 or GBK), XLSX or Parquet roster (contract §2)")
    compare.add_argument(
        "--region",
        action="append",
        required=True,
        type=region_on_date,
        metavar="REGION[@DATE]",
        help="a region id or code, optionally on its own date (370812@2022-11-20); repeat for each "
        "(the first is the baseline)",
    )
    compare.add_argument(
        "--on",
        type=compare_date,
        default=None,
        metavar="DATE",
        help="date YYYY-MM-DD for the regions given without one (default: today); "
        "'documents': each region on the first day its own documents' rules hold",
    )
    compare.add_argument(
        "--what-if",
        metavar="FILE",
        help="a YAML change set {rule: value} applied to the first region, compared as one more policy",
    )
    compare.add_argument(
        "--format", choices=("table", "json", "xlsx", "html"), default="table", help="output format (default: table)"
    )
    compare.add_argument("-o", "--output", metavar="FILE", help="write to FILE (required for xlsx and html)")
    compare.add_argument(
        "--schools",
        metavar="FILE",
        help="a school table (CSV or XLSX): facts about schools and research groups for the rules that need them",
    )
    add_lang(compare)

    timeline = add("timeline", commands.cmd_timeline, "a region's phases, the current ones and the next deadline")
    timeline.add_argument("region", metavar="REGION", help="region id or code")
    timeline.add_argument("--on", type=iso_date, default=None, metavar="DATE", help="date YYYY-MM-DD (default: today)")
    timeline.add_argument("--json", action="store_true", help="print JSON (contract §3.2)")
    timeline.add_argument("--ics", metavar="FILE", help="also write the phases as an iCalendar file")
    add_lang(timeline)

    form = add("form", commands.cmd_form, "a region's scoring forms (考核表)")
    form.add_argument("region", metavar="REGION", help="region id or code")
    form.add_argument("--on", type=iso_date, default=None, metavar="DATE", help="date YYYY-MM-DD (default: today)")
    form.add_argument("--json", action="store_true", help="print JSON (contract §3.4)")
    form.add_argument(
        "--scores", metavar="FILE", help="fill the form: a YAML file {schools: {school: {section: {item: points}}}}"
    )
    form.add_argument(
        "--roster", metavar="ROSTER", help="pre-fill the items that follow from an evaluation of this roster"
    )
    form.add_argument(
        "--district-schools",
        type=int,
        default=None,
        metavar="N",
        help="the district's number of schools, when the policy reads the excellent cap over them "
        "(scoring.excellent_cap_of: district)",
    )
    add_lang(form)

    demo = add("demo", commands.cmd_demo, "evaluate the bundled sample school under every seed region and compare")
    demo.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default="ability2-demo",
        help="folder for the report files (default: ./ability2-demo)",
    )
    add_lang(demo)

    new_plugin = add("new-plugin", commands.cmd_new_plugin, "scaffold an installable regional plugin package")
    new_plugin.add_argument(
        "name", metavar="NAME", help="the region's id segment in lowercase pinyin, e.g. sichuan or chengdu"
    )
    new_plugin.add_argument(
        "--parent", default="cn", metavar="REGION", help="the parent region id or code (default: cn)"
    )
    new_plugin.add_argument("-o", "--output", metavar="DIR", help="the folder to create (default: ./ability2-NAME)")
    add_lang(new_plugin)

    inventory = add(
        "inventory",
        commands.cmd_inventory,
        "print a region's clause inventory (Markdown): its rules, sources and clauses not encoded",
    )
    inventory.add_argument("region", metavar="REGION", help="region id or code")

    limits = add("limits", commands.cmd_limits, "list the limits on input (file size, rows, cells, YAML) in force")
    limits.add_argument("--json", action="store_true", help="print JSON")
    add_lang(limits)

    serve = add(
        "serve",
        commands.cmd_serve,
        "serve the library over HTTP (needs pip install 'ability2[serve]'); --limit sets each request's reader limits",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8000, help="the port (default: 8000)")
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="worker processes, each with its own registry (default: 1)",
    )
    serve.add_argument(
        "--max-body",
        type=byte_size,
        default=None,
        metavar="SIZE",
        help="largest request body, e.g. 32M (K, M, G: powers of 1024; default: 32M); past it, 413",
    )
    serve.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="seconds a request's work may wait for a thread (past it, 503) and, apart, run (past it, 413) (default: 60)",
    )
    serve.add_argument(
        "--max-compare-regions",
        type=positive_int,
        default=None,
        metavar="N",
        help="regions one POST /compare may name (default: 20); past it, 400",
    )
    serve.add_argument(
        "--concurrency",
        type=positive_int,
        default=None,
        metavar="N",
        help="evaluations each worker runs at once; more wait their turn (default: 2)",
    )
    serve.add_argument(
        "--cors-origin",
        dest="cors_origins",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin browsers may call from (https://example.org, or * for any); repeatable (default: none)",
    )
    serve.add_argument(
        "--root-path", default="", metavar="PATH", help="the path prefix a reverse proxy serves this under (/ability2)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="addresses of reverse proxies whose X-Forwarded-* headers are trusted (default: 127.0.0.1)",
    )
    serve.add_argument(
        "--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info", help="(default: info)"
    )
    add_lang(serve)

    validate = add("validate", commands.cmd_validate, "check a policy YAML file or a plugin folder")
    validate.add_argument("path", metavar="PATH", help="a policy file or a folder (every YAML file with a region: key)")
    validate.add_argument(
        "--import",
        dest="import_plugins",
        action="store_true",
        help="also import the plugin packages under PATH, so that their own rule kinds are known (runs their code)",
    )
    add_lang(validate)
    return parser


def _asked(argv: Sequence[str]) -> tuple[str, bool]:
    """The language (``--lang``) and whether the output is JSON (``--json``, ``--format json``), read before parsing."""
    lang, json_mode = "zh", False
    for k, word in enumerate(argv):
        value = word.split("=", 1)[1] if "=" in word else (argv[k + 1] if k + 1 < len(argv) else "")
        if word == "--lang" or word.startswith("--lang="):
            lang = value if value in ("zh", "en") else lang
        elif word == "--json":
            json_mode = True
        elif word == "--format" or word.startswith("--format="):
            json_mode = value in ("json", "jsonl")
    return lang, json_mode


def _json_mode(args: argparse.Namespace) -> bool:
    """Whether the command writes JSON: ``--json``, or ``--format json``/``jsonl`` to standard output."""
    return bool(getattr(args, "json", False)) or getattr(args, "format", None) in ("json", "jsonl")


def _print_failure_json(data: dict[str, Any]) -> None:
    """An error as one JSON object on a line of stderr (JSON mode)."""
    import json

    print(json.dumps(data, ensure_ascii=False, default=str), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    An error is said on stderr as ``ability2: 错误: ...`` (``--lang en``: ``ability2: error:
    ...``), or, when the command's output is JSON (``--json``, ``--format json``/``jsonl``), as
    one JSON object (:meth:`ability2.failures.Failure.to_dict`); the exit code is the same.
    """
    from ability2.messages import language

    given = list(sys.argv[1:] if argv is None else argv)
    _Parser.lang, _Parser.json_mode = _asked(given)
    parser = build_parser()
    with language(_Parser.lang):  # argparse's type errors are worded while parsing
        args = parser.parse_args(given)
    restore = _exit_cleanly_on_signals()
    lang = getattr(args, "lang", "zh")
    json_mode = _json_mode(args)

    with language(lang):
        try:
            from ability2.limits import limited

            with (
                limited(**dict(args.limits)),
                _plugin_environment(
                    [*args.plugins_dirs, *args.plugins_dirs_after], args.no_installed or args.no_installed_after, lang
                ),
                _plugin_problems_reported(lang, strict=args.strict_plugins),
            ):
                result: int = args.func(args)
            if writes_stopped():  # the signal's exception was swallowed, but no write was kept
                return _stopped_exit()
            return result
        except RegionUnavailableError as exc:
            from ability2.messages import render

            if json_mode:
                from ability2.failures import classify

                data = classify(exc, lang).to_dict()
                data["problems"] = [p.to_dict(lang) for p in exc.problems]
                _print_failure_json(data)
                return EXIT_USAGE
            print(f"ability2: {render(msg('cli.error'))}: {exc.describe(lang)}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            return EXIT_OK
        except Exception as exc:  # one mapping for the CLI and the service (ability2.failures)
            if writes_stopped():  # native code failed after swallowing the signal's exception
                return _stopped_exit()
            from ability2.failures import classify

            failure = classify(exc, lang)
            if failure.internal and os.environ.get("ABILITY2_DEBUG"):
                import traceback

                traceback.print_exc()
            if json_mode:
                _print_failure_json(failure.to_dict())
                return failure.exit_code
            for line in failure.lines():
                print(line, file=sys.stderr)
            return failure.exit_code
        except KeyboardInterrupt:
            return _stopped_exit(interrupted=True)
        except Stopped:
            return _stopped_exit(interrupted=False)
        finally:
            restore()


@contextlib.contextmanager
def _plugin_problems_reported(lang: str, *, strict: bool) -> Iterator[None]:
    """While a command runs: each plugin left out is told on stderr once, in ``lang``.

    ``strict`` (``--strict-plugins``) sets ``ABILITY2_STRICT_PLUGINS=1`` for the command (and
    any worker process it starts), so that a broken plugin stops it instead.
    """
    import warnings

    from ability2.errors import PluginLoadWarning
    from ability2.regioncache import STRICT_ENV  # not ability2.registry: `regions` may need no registry

    told: set[object] = set()
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
        if isinstance(message, PluginLoadWarning):
            if message.problem not in told:
                told.add(message.problem)
                from ability2.messages import render

                print(
                    f"ability2: {render(msg('cli.warning'), lang)}: {message.problem.describe(lang)}", file=sys.stderr
                )
            return
        shown(message, category, *args, **kwargs)  # type: ignore[arg-type]

    saved = os.environ.get(STRICT_ENV)
    if strict:
        os.environ[STRICT_ENV] = "1"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", PluginLoadWarning)
            warnings.showwarning = show
            yield
    finally:
        if strict:
            if saved is None:
                os.environ.pop(STRICT_ENV, None)
            else:
                os.environ[STRICT_ENV] = saved


@contextlib.contextmanager
def _plugin_environment(dirs: Sequence[str], no_installed: bool, lang: str) -> Iterator[None]:
    """While a command runs: the ``--plugins-dir`` folders and ``--no-installed-plugins`` in the environment.

    They are put where :func:`ability2.load_registry` reads its defaults
    (``ABILITY2_PLUGINS_DIR``, before the folders it named already, and
    ``ABILITY2_NO_INSTALLED_PLUGINS``), so that every registry the command loads, and every
    worker process it starts (``serve --workers``, ``--partitions``), loads the same
    plugins. A folder that does not exist is refused here, before any work.
    """
    from ability2.messages import msg
    from ability2.regioncache import NO_INSTALLED_ENV, PLUGINS_DIR_ENV

    for folder in dirs:
        if not os.path.isdir(folder):
            if not os.path.exists(folder):
                raise UsageError(msg("cli.plugins_dir_missing", folder=folder))
            raise UsageError(msg("cli.plugins_dir_not_folder", folder=folder))
    saved = {name: os.environ.get(name) for name in (PLUGINS_DIR_ENV, NO_INSTALLED_ENV)}
    if dirs:
        given = [os.path.abspath(folder) for folder in dirs]
        os.environ[PLUGINS_DIR_ENV] = os.pathsep.join([*given, *filter(None, [saved[PLUGINS_DIR_ENV]])])
    if no_installed:
        os.environ[NO_INSTALLED_ENV] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


#: the signals received while the command ran (SIGINT or SIGTERM), in order
_RECEIVED: list[int] = []


def _exit_cleanly_on_signals() -> Callable[[], None]:
    """Turn SIGTERM and SIGINT into exceptions while the command runs, so that writers clean up; returns the undo.

    SIGTERM raises :class:`~ability2.files.Stopped`, SIGINT ``KeyboardInterrupt``. Each also
    stops every write from being moved into place (:func:`ability2.files.stop_writes`) and
    is remembered: native code (polars, Arrow) may swallow the exception when the signal
    arrives during one of its calls, or fail with another error after it, and the command
    then ends as stopped all the same (:func:`_stopped_exit`).
    """
    import signal
    import threading

    from ability2.files import Stopped, stop_writes

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def terminate(signum: int, frame: object) -> None:
        stop_writes()
        _RECEIVED.append(signum)
        raise Stopped

    def interrupt(signum: int, frame: object) -> None:
        stop_writes()
        _RECEIVED.append(signum)
        raise KeyboardInterrupt

    _RECEIVED.clear()
    # a signal the process was started ignoring (a background job of a script) stays ignored
    handlers = {
        number: handler
        for number, handler in ((signal.SIGTERM, terminate), (signal.SIGINT, interrupt))
        if signal.getsignal(number) is not signal.SIG_IGN
    }
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}

    def restore() -> None:
        # a signal arriving meanwhile waits, then goes to the handlers restored
        blocking = hasattr(signal, "pthread_sigmask")
        if blocking:
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, set(previous))
        try:
            for number, handler in previous.items():
                signal.signal(number, handler)
            stop_writes(False)
            _RECEIVED.clear()
        finally:
            if blocking:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    return restore


def _stopped_exit(*, interrupted: bool | None = None) -> int:
    """Say the command was interrupted (SIGINT: 130) or terminated (SIGTERM: 143), and return that exit code.

    Which of the two: the first signal received; without one (the exception was raised
    some other way), ``interrupted``.
    """
    import signal

    from ability2.messages import render

    if _RECEIVED:
        interrupted = _RECEIVED[0] == signal.SIGINT
    if interrupted:
        print(f"ability2: {render(msg('cli.interrupted'))}", file=sys.stderr)
        return 130
    print(f"ability2: {render(msg('cli.terminated'))}", file=sys.stderr)
    return 143
