"""The one-machine partitioned path: a roster file evaluated part by part into table files.

:func:`evaluate_partitioned` splits a roster file by school (:func:`ability2.partition.
split_roster`), checks that no teacher id is used twice across parts, evaluates each part
on its own (in worker processes when asked), and writes each part's ``teachers``,
``groups`` and ``schools`` tables (``teachers/part-00000.parquet`` ...) and the cohort's
totals, combined from the parts' counts (``totals.json``). Memory stays near one part's,
whatever the file's size.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error, RosterError, RosterProblem, SchoolTableError
from ability2.messages import msg
from ability2.partition import Split, Totals, default_parts, duplicate_ids, evaluate_part, split_roster

if TYPE_CHECKING:
    import polars as pl

    from ability2.cohort import Cohort
    from ability2.policy import Policy
    from ability2.registry import Registry

__all__ = ["PartitionedResult", "evaluate_partitioned", "read_school_table", "write_totals"]

Progress = Callable[[str, int, int], None]

_PART_FILE = re.compile(r"part-\d{5}\.(parquet|csv)")


@attrs.frozen
class PartitionedResult:
    """What :func:`evaluate_partitioned` wrote: the folder, its tables' files and the totals."""

    folder: Path
    parts: int
    fmt: str
    totals: Totals
    files: dict[
        str, tuple[Path, ...]
    ]  #: table name -> its part files, in part order (none for a part without teachers)
    #: a roster with a region column: each region's counts, added up from the parts' (else empty)
    regions: Mapping[str, Totals] = attrs.field(factory=dict)

    def table(self, name: str) -> pl.LazyFrame:
        """``teachers``, ``groups`` or ``schools`` over every part, as a polars LazyFrame.

        Parts of a roster of several regions may hold different rule columns: they are
        joined by name, a column a part lacks empty (null) in its rows.
        """
        import polars as pl

        files = [str(path) for path in self.files[name]]
        if self.fmt == "parquet" and len(files) > 1:
            # a part without groups has an empty groups table whose count columns have no type
            # of their own (text): the parts with rows say the table's types
            counted = [(path, pl.scan_parquet(path).select(pl.len()).collect().item()) for path in files]
            files = [path for path, rows in counted if rows] or files[:1]
        if len(files) < 2 or not self.regions:  # the parts of one region have the same columns
            return pl.scan_csv(files, infer_schema=False) if self.fmt == "csv" else pl.scan_parquet(files)
        if self.fmt == "csv":
            return pl.concat([pl.scan_csv(path, infer_schema=False) for path in files], how="diagonal_relaxed")
        return pl.concat([pl.scan_parquet(path) for path in files], how="diagonal_relaxed")

    def rollup(self, registry: Registry | None = None) -> pl.DataFrame:
        """The roll-up by nation, province, city and county of a roster with a region column (:mod:`ability2.rollup`)."""
        from ability2.rollup import rollup

        if not self.regions:
            raise Ability2Error(msg("engine.rollup_needs_regions"))
        return rollup(self.regions, registry)


def evaluate_partitioned(
    source: str | os.PathLike[str],
    policy: Policy,
    folder: str | os.PathLike[str],
    *,
    parts: int | None = None,
    workers: int = 1,
    fmt: str = "parquet",
    progress: Progress | None = None,
    schools: Any = None,
) -> PartitionedResult:
    """Evaluate a roster file part by part and write each part's tables into ``folder``.

    The file (UTF-8 CSV or Parquet) is split into ``parts`` by a hash of the school
    (default: one part per :data:`ROWS_PER_PART` rows); each part is read, validated and
    evaluated on its own, in ``workers`` processes. ``folder`` receives ``teachers/``,
    ``groups/`` and ``schools/`` with one ``part-NNNNN.parquet`` (or ``.csv``) per part, and
    ``totals.json`` (the cohort's counts and rates, combined from the parts'). A teacher's
    row carries its row number in the file (``row``). ``progress(stage, done, total)`` is
    called as parts finish. ``schools`` is a school table (a
    :class:`~ability2.schools.SchoolTable` or anything :func:`ability2.read_schools` reads),
    read once and given to every part (a part's schools find their facts in it; the others'
    rows are not read). Raises :class:`~ability2.errors.RosterError` listing every
    problem of every part, and writes nothing, when the roster has problems.
    """
    from ability2.reports.export import TABLE_FORMATS, output_folder

    if fmt not in TABLE_FORMATS:
        raise Ability2Error(msg("engine.table_format", format=fmt, formats=TABLE_FORMATS))
    if workers < 1:
        raise Ability2Error(msg("engine.workers_at_least_one", workers=workers))
    if workers > 1 and policy.label is not None:
        raise Ability2Error(msg("engine.what_if_workers", name=policy.name))
    schools = read_school_table(schools)  # a problem of the school table is said before any work
    with (
        output_folder(folder) as target,  # a folder made here is removed again when the roster is refused
        tempfile.TemporaryDirectory(prefix="ability2-parts-", dir=target) as scratch,
    ):
        parts = parts if parts is not None else default_parts(source)
        split = split_roster(source, Path(scratch) / "split", parts)
        if progress is not None:
            progress("split", 1, 1)
        problems = duplicate_ids(split)
        out = Path(scratch) / "out"
        summaries = _passes(split, policy, out, fmt, workers, progress, schools, problems)
        said = [problem for summary in summaries for problem in summary.get("school_problems", [])]
        if said:
            raise SchoolTableError(sorted(dict.fromkeys(said), key=lambda p: p.row or 0))
        for summary in summaries:
            problems.extend(summary["problems"])
        totals = sum((Totals(**summary["totals"]) for summary in summaries), Totals())
        regions: dict[str, Totals] = {}
        for summary in summaries:
            for rid, counts in summary.get("regions", {}).items():
                regions[rid] = regions.get(rid, Totals()) + Totals(**counts)
        if not problems and not totals.teachers:
            problems.append(RosterProblem(split.source, None, None, msg("roster.no_teachers")))
        if problems:
            # a problem of the whole file (a missing column) is found by every part: once
            unique = list(dict.fromkeys(problems))
            unique.sort(key=lambda p: (p.row is not None, p.row or 0))
            raise RosterError(unique)
        files: dict[str, tuple[Path, ...]] = {}
        written = [summary["index"] for summary in summaries if summary["written"]]
        for name in ("teachers", "groups", "schools"):
            (target / name).mkdir(exist_ok=True)
            for old in (target / name).iterdir():
                if _PART_FILE.fullmatch(old.name) and old.is_file():
                    old.unlink()  # an earlier run's parts: the folder holds this run's only
            moved = []
            for index in written:
                final = target / name / f"part-{index:05d}.{fmt}"
                os.replace(out / name / final.name, final)
                moved.append(final)
            files[name] = tuple(moved)
        write_totals(target, policy, split.parts, totals, regions, fmt)
    return PartitionedResult(target, split.parts, fmt, totals, files, regions)


def read_school_table(schools: Any) -> Any:
    """A school table given to a path that evaluates parts, read and checked once, before any work.

    A :class:`~ability2.schools.SchoolTable` or anything :func:`ability2.read_schools` reads
    (``None`` stays ``None``); the cells of its region column, when it has one, must name
    installed regions (:mod:`ability2.school_regions`).
    """
    if schools is None:
        return None
    from ability2.schools import SchoolTable

    if not isinstance(schools, SchoolTable):
        from ability2.io.schools import read_schools

        schools = read_schools(schools)
    from ability2.school_regions import schools_by_region, table_region_column

    if table_region_column(schools) is not None:
        from ability2.partition import installed_registry

        schools_by_region(schools, installed_registry(), [])  # every row's region is known
    return schools


def _passes(
    split: Split,
    policy: Policy,
    out: Path,
    fmt: str,
    workers: int,
    progress: Progress | None,
    schools: Any,
    problems: list[RosterProblem],
) -> list[dict[str, Any]]:
    """Every part evaluated, as many times as the cohort rules need (:mod:`ability2.cohort`): the last pass's summaries.

    A pass in which a part reaches a cohort rule whose figure is not known gives that part's
    partial; the partials are combined and every part evaluated again with the figures. A
    policy without cohort rules takes one pass; a roster with problems stops after the first.
    """
    from ability2.cohort import Cohort, check_partitionable, combine_partials, policy_lookup
    from ability2.region_column import region_column

    if not region_column(split.header):
        check_partitionable(policy)  # a rule that cannot be split is refused before any part is evaluated
    policy_of = policy_lookup(None, policy)
    figures: dict[tuple[str, str], Any] = {}
    while True:
        summaries = list(_run_parts(split, policy, out, fmt, workers, progress, schools, Cohort(figures)))
        partials = [summary["partials"] for summary in summaries if summary.get("partials")]
        stop = problems or any(summary["problems"] or summary.get("school_problems") for summary in summaries)
        if not partials or stop:
            return summaries
        figures = combine_partials(partials, figures, policy_of)


def write_totals(
    target: Path, policy: Policy, parts: int, totals: Totals, regions: Mapping[str, Totals], fmt: str
) -> None:
    """``totals.json`` (and, for a roster with a region column, its counts per region and ``rollup.FMT``)."""
    record: dict[str, Any] = {
        "region": policy.region.id,
        "on": policy.on.isoformat(),
        "parts": parts,
        **totals.to_dict(),
    }
    old = target / f"rollup.{fmt}"
    if regions:
        from ability2.partition import installed_registry
        from ability2.reports.export import write_frame
        from ability2.rollup import rollup

        record["regions"] = {rid: attrs.asdict(counts) for rid, counts in sorted(regions.items())}
        write_frame(rollup(regions, installed_registry()), target / f"rollup.{fmt}", fmt)
    elif old.is_file():
        old.unlink()  # an earlier run's roll-up: not this cohort's
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    (target / "totals.json").write_text(text, encoding="utf-8")


def _run_parts(
    split: Split,
    policy: Policy,
    out: Path,
    fmt: str,
    workers: int,
    progress: Progress | None,
    schools: Any = None,
    cohort: Cohort | None = None,
) -> Iterator[dict[str, Any]]:
    """Each part evaluated (here, or in ``workers`` processes), as it finishes, in part order."""
    for name in ("teachers", "groups", "schools"):
        (out / name).mkdir(parents=True, exist_ok=True)
    jobs = [(attrs.asdict(split), index, str(out), fmt) for index in range(split.parts)]
    if workers == 1 or split.parts == 1:
        for done, job in enumerate(jobs, start=1):
            yield _part_job(*job, policy=policy, schools=schools, cohort=cohort)
            if progress is not None:
                progress("parts", done, split.parts)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from ability2.limits import current

    context = multiprocessing.get_context("spawn")  # polars runs threads: no fork
    results: dict[int, dict[str, Any]] = {}
    limits = attrs.asdict(current())  # a new process starts with the defaults
    with ProcessPoolExecutor(max_workers=min(workers, split.parts), mp_context=context) as pool:
        futures = {
            pool.submit(
                _part_job_in_worker,
                *job,
                region=policy.region.id,
                on=policy.on.isoformat(),
                limits=limits,
                schools=schools,
                cohort=cohort,
            ): job[1]
            for job in jobs
        }
        from concurrent.futures import as_completed

        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress("parts", done, split.parts)
    for index in range(split.parts):
        yield results[index]


def _part_job_in_worker(
    split: dict[str, Any],
    index: int,
    out: str,
    fmt: str,
    *,
    region: str,
    on: str,
    limits: dict[str, int],
    schools: Any = None,
    cohort: Cohort | None = None,
) -> dict[str, Any]:
    """A part evaluated in a worker process, under the policy of ``region`` on ``on`` (loaded here) and ``limits``."""
    import datetime as dt

    from ability2.limits import limited
    from ability2.registry import load_registry

    policy = load_registry(warn=False).policy(region, on=dt.date.fromisoformat(on))  # the parent told the problems
    with limited(**limits):
        return _part_job(split, index, out, fmt, policy=policy, schools=schools, cohort=cohort)


def _part_job(
    split: dict[str, Any],
    index: int,
    out: str,
    fmt: str,
    *,
    policy: Policy,
    schools: Any = None,
    cohort: Cohort | None = None,
) -> dict[str, Any]:
    """Read, evaluate and write part ``index``; its counts, its roster's problems, or its cohort partials."""
    from ability2.cohort import PartialsNeeded
    from ability2.reports.export import write_frame

    plan = Split(**{**split, "header": tuple(split["header"])})
    empty: dict[str, Any] = {"index": index, "problems": [], "totals": attrs.asdict(Totals()), "written": False}
    try:
        tables, problems = evaluate_part(plan, index, policy, schools=schools, cohort=cohort)
    except PartialsNeeded as asked:  # evaluated again once every part's partial is combined
        return {**empty, "partials": asked.partials}
    except SchoolTableError as exc:  # said by the driver, as one school-table error
        return {**empty, "school_problems": list(exc.problems)}
    if tables is None:  # problems, or no teacher in this part: no files
        return {"index": index, "problems": problems, "totals": attrs.asdict(Totals()), "written": False}
    for name in ("teachers", "groups", "schools"):
        write_frame(getattr(tables, name), Path(out) / name / f"part-{index:05d}.{fmt}", fmt)
    regions = {rid: attrs.asdict(counts) for rid, counts in tables.regions.items()}
    return {"index": index, "problems": [], "totals": attrs.asdict(tables.totals), "written": True, "regions": regions}
