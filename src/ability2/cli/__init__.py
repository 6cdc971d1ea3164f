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

from ability2.errors import Ability2Error, RegionUnavailableError

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class UsageError(Ability2Error):
    """Bad command-line usage (exit 2)."""


def iso_date(text: str) -> dt.date:
    """Argparse type for ``--on``: an ISO date ``YYYY-MM-DD``."""
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date YYYY-MM-DD (e.g. 2022-11-20)")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date YYYY-MM-DD (e.g. 2022-11-20)") from None


def compare_date(text: str) -> dt.date | str:
    """Argparse type for ``compare --on``: an ISO date, or ``documents`` (each region's own first day)."""
    return "documents" if text.strip() == "documents" else iso_date(text)


def region_on_date(text: str) -> str | tuple[str, dt.date]:
    """Argparse type for ``compare --region``: ``REGION`` or ``REGION@YYYY-MM-DD``."""
    region, at, day = text.rpartition("@")
    if not at:
        return text
    if not region:
        raise argparse.ArgumentTypeError(f"{text!r}: give the region before @ (e.g. 370812@2022-11-20)")
    return region, iso_date(day)


def partition_count(text: str) -> int | str:
    """Argparse type for ``--partitions``: a whole number ≥ 1, or ``auto``."""
    if text.strip() == "auto":
        return "auto"
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of parts (or 'auto')") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1 part")
    return count


def limit_assignment(text: str) -> tuple[str, int]:
    """Argparse type for ``--limit``: ``NAME=VALUE`` (:func:`ability2.limits.parse_limit`)."""
    from ability2.limits import parse_limit

    try:
        return parse_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def row_count(text: str) -> int:
    """Argparse type for ``--html-max-teachers`` and ``--html-max-schools``: a whole number 0 or more.

    Digits may be grouped with ``_`` or ``,``; a suffix ``K`` or ``M`` multiplies by 1,000 or
    1,000,000 (``20K``, ``1M``).
    """
    import re

    match = re.fullmatch(r"\s*([0-9][0-9_,]*)\s*([kKmM]?)\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number 0 or more (e.g. 20000 or 20K)")
    digits, suffix = match.groups()
    return int(digits.replace("_", "").replace(",", "")) * {"": 1, "k": 1000, "m": 1000**2}[suffix.lower()]


def positive_int(text: str) -> int:
    """Argparse type: a whole number 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1")
    return value


def positive_float(text: str) -> float:
    """Argparse type: a number above 0 (seconds)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: a number above 0")
    return value


def port_number(text: str) -> int:
    """Argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is 1 to 65535")
    return value


def byte_size(text: str) -> int:
    """Argparse type: a size in bytes, with an optional suffix K, M or G (powers of 1024): ``32M``."""
    import re

    match = re.fullmatch(r"\s*([0-9][0-9_,]*)\s*([kKmMgG]?)\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 32M)")
    digits, suffix = match.groups()
    power: int = {"": 0, "k": 1, "m": 2, "g": 3}[suffix.lower()]
    value = int(digits.replace("_", "").replace(",", "")) * (1 << (10 * power))
    if not 0 < value <= 2**62:
        raise argparse.ArgumentTypeError(f"{text!r}: a size from 1 byte")
    return value


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from ability2.cli import commands

    parser = argparse.ArgumentParser(
        prog="ability2",
        description="Teacher IT competency programme 2.0 (能力提升工程2.0) rules as code.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    restore = _exit_cleanly_on_sigterm()
    lang = getattr(args, "lang", "zh")
    from ability2.messages import language

    with language(lang):
        try:
            from ability2.limits import limited

            with limited(**dict(args.limits)), _plugin_problems_reported(lang, strict=args.strict_plugins):
                result: int = args.func(args)
            return result
        except RegionUnavailableError as exc:
            from ability2.messages import msg, render

            print(f"ability2: {render(msg('cli.error'))}: {exc.describe(lang)}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            return EXIT_OK
        except Exception as exc:  # one mapping for the CLI and the service (ability2.failures)
            from ability2.failures import classify

            failure = classify(exc, lang)
            if failure.internal and os.environ.get("ABILITY2_DEBUG"):
                import traceback

                traceback.print_exc()
            for line in failure.lines():
                print(line, file=sys.stderr)
            return failure.exit_code
        except KeyboardInterrupt:
            from ability2.messages import msg, render

            print(f"ability2: {render(msg('cli.interrupted'))}", file=sys.stderr)
            return 130
        except _Terminated:
            from ability2.messages import msg, render

            print(f"ability2: {render(msg('cli.terminated'))}", file=sys.stderr)
            return 143
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
    from ability2.registry import STRICT_ENV

    told: set[object] = set()
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
        if isinstance(message, PluginLoadWarning):
            if message.problem not in told:
                told.add(message.problem)
                print(
                    f"ability2: {'警告' if lang == 'zh' else 'warning'}: {message.problem.describe(lang)}",
                    file=sys.stderr,
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


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (removing half-written temporary files), then exit 143."""


def _exit_cleanly_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into an exception while the command runs, so that writers clean up; returns the undo."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def terminate(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
