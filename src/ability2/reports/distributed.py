"""The Dask engine: a cohort past one machine, evaluated on ``dask.distributed``.

:func:`evaluate_dask` evaluates roster files (a glob or a list of UTF-8 CSV and Parquet
files) or a Dask DataFrame on a Dask cluster: a :class:`distributed.LocalCluster` of worker
processes by default, or the scheduler at a given address. It needs the optional extra
``ability2[dask]`` (``pip install 'ability2[dask]'``); nothing here imports Dask until it runs.

1. Each input file is read by a task of its own (a large Parquet file by slices of
   :data:`~ability2.partition.ROWS_PER_PART` rows), every row keeping its file and its row
   number in that file, its cells turned to text as :func:`ability2.read_roster` turns them.
2. The rows are shuffled on a hash of the stripped school text, so that every row of a
   school, whichever files it came from, lands in the same partition.
3. Each partition is read, validated and evaluated on a worker as one roster
   (:func:`ability2.io.roster.read_roster_part`, :func:`ability2.evaluate`); the worker writes
   its ``teachers``, ``groups`` and ``schools`` tables into the output folder and returns its
   :class:`~ability2.partition.Totals` and its problems.
4. Alongside, the teacher ids are counted over the whole cohort (by hash), and an id used
   twice is named by file and row.

The driver adds the totals up (``totals.json``), or, when any part of the roster has a
problem, raises one :class:`~ability2.errors.RosterError` listing every problem by file and
row, and leaves nothing in the folder. The output folder must be one the workers can write
to at the same path (on a cluster: a shared file system).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error, RosterError, RosterProblem, SchoolTableError
from ability2.io.parquet_extent import parquet_problem
from ability2.messages import Message, msg
from ability2.partition import ROWS_PER_PART, Totals
from ability2.reports.partitioned import PartitionedResult, write_totals

if TYPE_CHECKING:
    import polars as pl

    from ability2.policy import Policy

__all__ = [
    "CONNECT_TIMEOUT",
    "DASK_EXTRA",
    "EngineError",
    "EngineUnavailable",
    "SchedulerUnreachable",
    "evaluate_dask",
    "roster_files",
]

#: how to install what the engine needs
DASK_EXTRA = "pip install 'ability2[dask]'"
#: seconds to wait for a scheduler to answer, and for a worker to join it
CONNECT_TIMEOUT = 15

Progress = Callable[[str, int, int], None]

#: the name the partition reader gives its problems; they are renamed by file and row
_HERE = "<partition>"
#: the header row of the reader of a partition (the first file's header row, by file)
_HEADER = -1
_PART_FILE = re.compile(r"part-\d{5}\.(parquet|csv)")
_TABLES = ("teachers", "groups", "schools")
#: the row numbers of a school table saved for the workers
_SCHOOL_ROW = "__ability2_row"


class EngineError(Ability2Error):
    """The Dask engine could not run; the message by code (``engine.*``), in the reader's language."""

    def __init__(self, message: Message, **fields: Any) -> None:
        super().__init__(message)
        self._fields = fields

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """What the engine was given: ``scheduler``, ``missing`` (the module not installed), as it applies."""
        return dict(self._fields)


class EngineUnavailable(EngineError):
    """Dask or distributed is not installed: the extra ``ability2[dask]`` is missing."""


class SchedulerUnreachable(EngineError):
    """The Dask scheduler at the given address did not answer, or has no worker."""


def _dask() -> None:
    """Import Dask (and say which extra to install when it is missing)."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "dask"
        raise EngineUnavailable(msg("engine.no_dask", missing=missing, extra=DASK_EXTRA), missing=missing) from None


# --------------------------------------------------------------------------- the input


def roster_files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The roster files ``source`` names: a glob (``data/*.parquet``), a file, a folder or a list of them.

    A folder gives its ``*.parquet`` and ``*.csv`` files. Files come in name order (a
    list keeps its order; each glob in it is sorted). Raises
    :class:`~ability2.errors.RosterError` when a pattern matches no file.
    """
    import glob

    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    files: list[str] = []
    missing: list[RosterProblem] = []
    for item in items:
        text = os.fsdecode(os.fspath(item))
        if "://" in text:
            missing.append(RosterProblem(text, None, None, msg("engine.url")))
        elif os.path.isdir(text):
            found = sorted(glob.glob(os.path.join(glob.escape(text), "*.parquet")))
            found += sorted(glob.glob(os.path.join(glob.escape(text), "*.csv")))
            if not found:
                missing.append(RosterProblem(text, None, None, msg("engine.empty_folder")))
            files += found
        elif glob.has_magic(text):
            found = sorted(path for path in glob.glob(text) if os.path.isfile(path))
            if not found:
                missing.append(RosterProblem(text, None, None, msg("engine.no_match")))
            files += found
        else:
            files.append(text)  # a missing file is named when it is opened
    if missing:
        raise RosterError(missing)
    if not files:
        raise RosterError([RosterProblem(str(source), None, None, msg("engine.no_files"))])
    unique: dict[str, str] = {}
    for path in files:
        unique.setdefault(os.path.abspath(path), path)
    return list(unique.values())


@attrs.frozen
class _Plan:
    """What every task needs to know: the files, the shared header, and where each file keeps its columns."""

    sources: tuple[str, ...]  #: the input files as named (or the DataFrame's partitions), in order
    paths: tuple[str, ...]  #: the input files, absolute (the workers read them)
    header: tuple[str, ...]  #: the first file's header: the columns c0 ... of every piece
    header_source: str
    header_row: int
    columns: tuple[tuple[int, ...], ...]  #: per file, the file's column of each header column
    school: int  #: the school column (an index into ``header``)
    teacher_id: int | None
    limits: dict[str, int]
    region: str
    on: str
    fmt: str
    scratch: str  #: where the parts write their tables before the driver moves them
    schools: str = ""  #: the school table, saved in the scratch folder for the workers (else empty)
    figures: str = ""  #: the cohort figures known so far (:mod:`ability2.cohort`), pickled, base64


def _header_key(cell: str) -> str:
    from ability2.io.roster import _canonical, _header_text
    from ability2.region_column import region_column

    if region_column([cell]):
        return "region"  # region or 地区: one column under either name
    return _canonical(cell) or "=" + _header_text(cell).casefold()


def _plan_files(
    files: list[str],
) -> tuple[list[tuple[int, int, int | None]], list[tuple[str, ...]], list[int], int, list[RosterProblem]]:
    """Each file opened and measured: the pieces to read, each file's header and header row, the rows, the problems.

    A file that cannot be read (its header is then empty) is a problem; so is one past the limits.
    """
    from ability2.limits import current, hint
    from ability2.partition import scan_roster

    limits = current()
    problems: list[RosterProblem] = []
    pieces: list[tuple[int, int, int | None]] = []
    headers: list[tuple[str, ...]] = []
    header_rows: list[int] = []
    rows = 0
    for index, path in enumerate(files):
        try:
            opened = scan_roster(path)
        except RosterError as exc:
            problems += exc.problems
            headers.append(())
            header_rows.append(1)
            continue
        headers.append(opened.header)
        header_rows.append(opened.header_row)
        size = os.path.getsize(path)
        if not opened.parquet:
            if size > limits.max_file_bytes:
                problems.append(
                    RosterProblem(
                        path,
                        None,
                        None,
                        msg(
                            "engine.csv_too_large", size=size, limit=limits.max_file_bytes, hint=hint("max_file_bytes")
                        ),
                    )
                )
                continue
            with open(path, "rb") as handle:
                head = handle.read(1 << 20)
            rows += max(1, int(size * head.count(b"\n") / max(1, len(head))))
            pieces.append((index, 0, None))
            continue
        count, problem = parquet_problem(opened, size)
        if problem is not None:
            problems.append(RosterProblem(path, None, None, problem))
            continue
        rows += count
        pieces += [(index, start, ROWS_PER_PART) for start in range(0, max(count, 1), ROWS_PER_PART)]
    return pieces, headers, header_rows, rows, problems


def _check_headers(
    files: list[str], headers: list[tuple[str, ...]], header_rows: list[int], first: int
) -> tuple[tuple[tuple[int, ...], ...], list[RosterProblem]]:
    """Each file's column of each column of file ``first``; a file with other columns is a problem."""
    reference = [_header_key(cell) for cell in headers[first]]
    columns: list[tuple[int, ...]] = []
    problems: list[RosterProblem] = []
    for path, header, header_row in zip(files, headers, header_rows, strict=True):
        if not header:
            columns.append(())
            continue  # the file cannot be read: said already
        keys = [_header_key(cell) for cell in header]
        where: dict[str, list[int]] = {}
        for j, key in enumerate(keys):
            where.setdefault(key, []).append(j)
        if sorted(keys) != sorted(reference):
            names = {_header_key(cell): cell.strip() for cell in (*headers[first], *header)}
            lacking = [names[k] for k in dict.fromkeys(reference) if keys.count(k) < reference.count(k)]
            extra = [names[k] for k in dict.fromkeys(keys) if keys.count(k) > reference.count(k)]
            said = (
                msg("engine.columns_differ", first=files[first], lacking=lacking, extra=extra)
                if lacking and extra
                else msg("engine.columns_lacking", first=files[first], lacking=lacking)
                if lacking
                else msg("engine.columns_extra", first=files[first], extra=extra)
            )
            problems.append(RosterProblem(path, header_row, None, said))
            columns.append(())
            continue
        taken: dict[str, int] = {}
        mapping = []
        for key in reference:
            mapping.append(where[key][taken.get(key, 0)])
            taken[key] = taken.get(key, 0) + 1
        columns.append(tuple(mapping))
    return tuple(columns), problems


def _header_problems(header: Sequence[str], source: str, header_row: int) -> list[RosterProblem]:
    """What the roster reader says of the header itself: a missing required column, a column given twice."""
    import polars as pl

    from ability2.io.roster import read_roster_part

    empty = pl.DataFrame(schema={"__row": pl.Int64, **{f"c{j}": pl.String for j in range(len(header))}})
    try:
        read_roster_part(empty, header, name=source, header_row=header_row)
    except RosterError as exc:
        # the only other problem of a header without rows is that it has none
        return [p for p in exc.problems if p.row is not None or p.code != "roster.no_teachers"]
    return []


# --------------------------------------------------------------------------- on the workers


def _piece_frame(plan: _Plan, index: int, data: pl.DataFrame, problems: Sequence[RosterProblem] = ()) -> Any:
    """A piece as the shuffle carries it: cells ``c0`` ..., ``__file``, ``__row``, the school and id hashes.

    ``data`` holds ``__row`` and text columns ``c0`` ... in the plan's header order. A problem
    of the file (it cannot be read) travels as a row of its own, in ``__problem``.
    """
    import polars as pl

    width = len(plan.header)
    school = pl.col(f"c{plan.school}").fill_null("").str.strip_chars()
    if plan.teacher_id is None:
        tid: pl.Expr = pl.lit(0, dtype=pl.UInt64)
    else:
        ids = pl.col(f"c{plan.teacher_id}").fill_null("").str.strip_chars()
        tid = pl.when(ids != "").then(ids.hash(seed=1)).otherwise(pl.lit(0, dtype=pl.UInt64))
    frame = data.select(
        *(pl.col(f"c{j}").cast(pl.String) for j in range(width)),
        pl.lit(index, dtype=pl.Int32).alias("__file"),
        pl.col("__row").cast(pl.Int64),
        school.hash(seed=0).alias("__key"),
        tid.alias("__tid"),
        pl.lit(None, dtype=pl.String).alias("__problem"),
    )
    if problems:
        said = pl.DataFrame(
            {
                "__file": [index] * len(problems),
                "__row": [0] * len(problems),
                "__key": [0] * len(problems),
                "__tid": [0] * len(problems),
                "__problem": [json.dumps(p.to_data(), ensure_ascii=False) for p in problems],
            },
            schema={
                "__file": pl.Int32,
                "__row": pl.Int64,
                "__key": pl.UInt64,
                "__tid": pl.UInt64,
                "__problem": pl.String,
            },
        )
        frame = pl.concat([frame, said], how="diagonal_relaxed").select(frame.columns)
    return frame.to_pandas()


def _empty_piece(plan: _Plan) -> Any:
    import polars as pl

    data = pl.DataFrame(schema={"__row": pl.Int64, **{f"c{j}": pl.String for j in range(len(plan.header))}})
    return _piece_frame(plan, 0, data)


def _read_piece(piece: tuple[int, int, int | None], plan: _Plan) -> Any:
    """Read one piece of one input file (a whole CSV, or a slice of a Parquet file)."""
    import polars as pl

    from ability2.io.roster import _polars_texts
    from ability2.limits import limited
    from ability2.partition import scan_roster

    index, offset, length = piece
    path, name = plan.paths[index], plan.sources[index]
    empty = pl.DataFrame(schema={"__row": pl.Int64, **{f"c{j}": pl.String for j in range(len(plan.header))}})
    with limited(**plan.limits):
        try:
            opened = scan_roster(path)
            frame = opened.frame if length is None else opened.frame.slice(offset, length)
            data = frame.collect()
        except RosterError as exc:
            return _piece_frame(plan, index, empty, [attrs.evolve(p, file=name) for p in exc.problems])
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a malformed CSV row; a damaged Parquet page can make polars panic
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            said = (
                msg("roster.parquet_damaged", detail=first)
                if path.lower().endswith(".parquet")
                else msg("engine.unreadable_csv", detail=first)
            )
            problem = RosterProblem(name, None, None, said)
            return _piece_frame(plan, index, empty, [problem])
        cells = [_polars_texts(data.get_column(f"c{j}")).alias(f"c{k}") for k, j in enumerate(plan.columns[index])]
        return _piece_frame(plan, index, data.select(pl.col("__row"), *cells))


def _frame_piece(frame: Any, plan: _Plan, partition_info: dict[str, Any] | None = None) -> Any:
    """One partition of a Dask DataFrame, read as :func:`ability2.read_roster` reads a pandas DataFrame."""
    from ability2.io.roster import DATAFRAME_SOURCE, _from_pandas
    from ability2.limits import limited

    index = int(partition_info["number"]) if partition_info else 0
    with limited(**plan.limits):
        table = _from_pandas(frame)
    source = plan.sources[index]
    problems = [attrs.evolve(p, file=source) if p.file == DATAFRAME_SOURCE else p for p in table.problems]
    return _piece_frame(plan, index, table.data, problems)


def _problem_from(text: str) -> RosterProblem:
    return RosterProblem.from_data(json.loads(text))


@functools.lru_cache(maxsize=4)
def _worker_policy(region: str, on: str) -> Policy:
    """The policy of ``region`` on ``on``, loaded once per worker process."""
    import datetime as dt

    from ability2.registry import load_registry

    return load_registry(warn=False).policy(region, on=dt.date.fromisoformat(on))  # the client told the problems


def _evaluate_partition(frame: Any, plan: _Plan, partition_info: dict[str, Any] | None = None) -> Any:
    """Evaluate one shuffled partition: write its tables, report its totals and problems (one row of JSON)."""
    import pandas as pd

    index = int(partition_info["number"]) if partition_info else 0
    report = _evaluate_rows(frame, plan, index)
    return pd.DataFrame({"report": [json.dumps(report, ensure_ascii=False)]})


def _evaluate_rows(frame: Any, plan: _Plan, index: int) -> dict[str, Any]:
    import numpy as np
    import polars as pl

    from ability2.evaluation import evaluate
    from ability2.io.roster import read_roster_part
    from ability2.limits import limited
    from ability2.reports.export import write_frame
    from ability2.tables import table_frame

    report: dict[str, Any] = {"index": index, "totals": attrs.asdict(Totals()), "problems": [], "written": False}
    data = pl.from_pandas(frame) if len(frame) else pl.DataFrame(schema={"__problem": pl.String, "__row": pl.Int64})
    del frame
    said = data.get_column("__problem").drop_nulls().to_list() if "__problem" in data.columns else []
    problems = [_problem_from(text) for text in said]
    width = len(plan.header)
    data = data.filter(pl.col("__problem").is_null())
    cells = [pl.col(f"c{j}").fill_null("").str.strip_chars() != "" for j in range(width)]
    if not data.height or not data.select(pl.any_horizontal(cells).any()).item():
        report["problems"] = [p.to_data() for p in problems]
        return report  # the reader drops blank rows: nothing to read here
    data = data.sort("__file", "__row")
    files = data.get_column("__file").to_numpy()
    rows = data.get_column("__row").to_numpy()
    part = data.select(pl.int_range(0, data.height, dtype=pl.Int64).alias("__row"), *(f"c{j}" for j in range(width)))
    del data
    policy = _worker_policy(plan.region, plan.on)
    from ability2.region_column import region_column

    if region_column(plan.header):
        return _evaluate_regions(part, plan, index, policy, problems, files, rows, report)
    from ability2.cohort import PartialsNeeded

    with limited(**plan.limits):
        try:
            roster = read_roster_part(part, plan.header, name=_HERE, header_row=_HEADER, framework=policy.framework)
        except RosterError as exc:
            for problem in exc.problems:
                if problem.code in ("roster.id_duplicate", "roster.id_duplicate_elsewhere"):
                    continue  # the cohort's count of ids names them, with the first use in any file
                problems.append(_renamed(problem, plan, files, rows))
            report["problems"] = [p.to_data() for p in problems]
            return report
    del part
    if problems:
        report["problems"] = [p.to_data() for p in problems]
        return report
    try:
        result = evaluate(roster, policy, schools=_worker_schools(plan.schools), cohort=_cohort(plan))
    except PartialsNeeded as asked:  # the driver combines every partition's and evaluates again
        report["partials"] = _packed(asked.partials)
        return report
    except SchoolTableError as exc:  # the school table's problem: said by the driver, as one error
        report["school_problems"] = [p.to_data() for p in exc.problems]
        return report
    positions = np.asarray(roster.rows)
    teachers = table_frame(result, "teachers").insert_column(0, pl.Series("row", rows[positions], dtype=pl.Int64))
    sources = pl.Series("file", plan.sources, dtype=pl.String)
    teachers = teachers.insert_column(0, sources.gather(files[positions]))
    tables = {"teachers": teachers, "groups": table_frame(result, "groups"), "schools": table_frame(result, "schools")}
    for name, table in tables.items():
        write_frame(table, Path(plan.scratch) / name / f"part-{index:05d}.{plan.fmt}", plan.fmt)
    report.update(totals=attrs.asdict(Totals.of(result)), written=True)
    return report


def _evaluate_regions(
    part: pl.DataFrame,
    plan: _Plan,
    index: int,
    policy: Policy,
    problems: list[RosterProblem],
    files: Any,
    rows: Any,
    report: dict[str, Any],
) -> dict[str, Any]:
    """A partition of a roster with a region column: each row under its own region's policy."""
    import polars as pl

    from ability2.cohort import PartialsNeeded
    from ability2.limits import limited
    from ability2.national import evaluate_cells
    from ability2.partition import installed_registry
    from ability2.reports.export import write_frame

    with limited(**plan.limits):
        try:
            out = evaluate_cells(
                part,
                plan.header,
                name=_HERE,
                header_row=_HEADER,
                on=policy.on,
                registry=installed_registry(),
                within=plan.region,
                row_text=lambda at: msg("engine.row_of_file", row=rows[at], file=plan.sources[int(files[at])]),
                schools=_worker_schools(plan.schools),
                cohort=_cohort(plan),
            )
        except PartialsNeeded as asked:  # the driver combines every partition's and evaluates again
            report["partials"] = _packed(asked.partials)
            return report
        except SchoolTableError as exc:  # the school table's problem: said by the driver, as one error
            report["school_problems"] = [p.to_data() for p in exc.problems]
            report["problems"] = [attrs.astuple(p) for p in problems]
            return report
        except RosterError as exc:
            for problem in exc.problems:
                if problem.code in ("roster.id_duplicate", "roster.id_duplicate_elsewhere"):
                    continue  # the cohort's count of ids names them, with the first use in any file
                problems.append(_renamed(problem, plan, files, rows))
            report["problems"] = [p.to_data() for p in problems]
            return report
    if problems:
        report["problems"] = [p.to_data() for p in problems]
        return report
    positions = out.teachers.get_column("row").to_numpy()
    sources = pl.Series("file", plan.sources, dtype=pl.String)
    teachers = out.teachers.with_columns(pl.Series("row", rows[positions], dtype=pl.Int64))
    teachers = teachers.insert_column(0, sources.gather(files[positions]))
    tables = {"teachers": teachers, "groups": out.groups, "schools": out.schools}
    for name, table in tables.items():
        write_frame(table, Path(plan.scratch) / name / f"part-{index:05d}.{plan.fmt}", plan.fmt)
    regions = {rid: attrs.asdict(counts) for rid, counts in out.regions.items()}
    report.update(totals=attrs.asdict(out.totals), written=True, regions=regions)
    return report


def _packed(value: Any) -> str:
    """A value pickled, as base64 text (cohort partials and figures travel in the JSON report and the plan)."""
    import base64
    import pickle

    return base64.b64encode(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)).decode("ascii")


def _unpacked(text: str) -> Any:
    """What :func:`_packed` packed (made by this run's driver or its workers)."""
    import base64
    import pickle

    return pickle.loads(base64.b64decode(text))


def _cohort(plan: _Plan) -> Any:
    """The cohort figures the plan carries (:class:`ability2.cohort.Cohort`): none on the first pass."""
    from ability2.cohort import Cohort

    return Cohort(_unpacked(plan.figures)) if plan.figures else Cohort()


def _save_schools(table: Any, folder: Path) -> str:
    """Save a school table where the workers read it (the output folder is shared with them): its path."""
    import polars as pl

    path = folder / "schools.parquet"
    table.frame.with_columns(pl.Series(_SCHOOL_ROW, table.rows, dtype=pl.Int64)).write_parquet(path)
    meta = {"source": table.source, "headers": dict(table.headers)}
    (folder / "schools.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return str(path)


@functools.lru_cache(maxsize=2)
def _worker_schools(path: str) -> Any:
    """The school table saved at ``path``, read once per worker process (``None`` for no path)."""
    if not path:
        return None
    import polars as pl

    from ability2.schools import SchoolTable

    frame = pl.read_parquet(path)
    meta = json.loads((Path(path).parent / "schools.json").read_text(encoding="utf-8"))
    rows = frame.get_column(_SCHOOL_ROW).to_numpy()
    return SchoolTable(meta["source"], frame.drop(_SCHOOL_ROW), rows, meta["headers"])


def _renamed(problem: RosterProblem, plan: _Plan, files: Any, rows: Any) -> RosterProblem:
    """A problem of the partition reader, named by its file and its row in that file."""
    if problem.row is None:
        if problem.file != _HERE:
            return problem
        used = sorted(set(files.tolist()))
        names = [plan.sources[i] for i in used[:3]]
        where = ", ".join(names) + (f" … ({len(used)})" if len(used) > 3 else "")
        return attrs.evolve(problem, file=where)
    if problem.row == _HEADER:
        return attrs.evolve(problem, file=plan.header_source, row=plan.header_row)
    return attrs.evolve(problem, file=plan.sources[int(files[problem.row])], row=int(rows[problem.row]))


def _suspect_rows(frame: Any, suspects: list[int], plan: _Plan) -> Any:
    """The rows whose teacher id hashes to a value seen twice: the id (stripped), the file and the row."""
    import pandas as pd
    import polars as pl

    assert plan.teacher_id is not None
    data = pl.from_pandas(frame[["__tid", "__file", "__row", f"c{plan.teacher_id}"]])
    found = data.filter(pl.col("__tid").is_in(pl.Series(suspects, dtype=pl.UInt64).implode())).select(
        pl.col(f"c{plan.teacher_id}").fill_null("").str.strip_chars().alias("id"), "__file", "__row"
    )
    if not found.height:
        return pd.DataFrame({"id": pd.Series([], dtype=object), "__file": [], "__row": []}).astype(
            {"__file": "int32", "__row": "int64"}
        )
    return found.to_pandas()


def _worker_check(region: str, on: str, expected: dict[str, Any]) -> Any:
    """On a worker: whether it has the driver's ability2 and plugins and knows the policy (else what differs)."""
    here = _installed()
    if here != expected:
        return msg("engine.versions_differ", worker=str(here), driver=str(expected)).to_data()
    try:
        _worker_policy(region, on)
    except Ability2Error as exc:
        return msg("engine.worker_policy", reason=exc.message).to_data()
    return None


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, Any]:
    """The versions of ability2, its plugins and polars (whose hash sends a school to its partition) here."""
    from importlib.metadata import PackageNotFoundError, version

    import polars as pl

    from ability2.registry import load_registry

    try:
        core = version("ability2")
    except PackageNotFoundError:
        core = "unknown"
    plugins = sorted((p.name, p.version or "") for p in load_registry(warn=False).plugins())
    return {"ability2": core, "polars": pl.__version__, "plugins": [list(p) for p in plugins]}


# --------------------------------------------------------------------------- the driver


@contextlib.contextmanager
def _connected(client: Any, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The client to run on: the one given, one for the scheduler at ``scheduler``, or a new LocalCluster's."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            opened = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise SchedulerUnreachable(
                msg("engine.unreachable", scheduler=scheduler, detail=detail), scheduler=scheduler
            ) from None
        with opened:
            try:
                opened.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except (TimeoutError, OSError):
                raise SchedulerUnreachable(
                    msg("engine.no_worker", scheduler=scheduler, seconds=CONNECT_TIMEOUT), scheduler=scheduler
                ) from None
            yield opened
        return
    count = workers if workers is not None else max(1, os.cpu_count() or 1)
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as local,  # type: ignore[no-untyped-call]
    ):
        yield local


def evaluate_dask(
    source: Any,
    policy: Policy,
    folder: str | os.PathLike[str],
    *,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    fmt: str = "parquet",
    progress: Progress | None = None,
    schools: Any = None,
) -> PartitionedResult:
    """Evaluate a cohort on Dask and write each partition's tables into ``folder``.

    ``source`` is a Dask DataFrame (a roster's columns, one row per teacher), or roster
    files: a glob (``"data/*.parquet"``), a file, a folder, or a list of them, each a UTF-8
    CSV or a Parquet file with the same columns (in any order). The work runs on
    ``client`` when given, else on the scheduler at ``scheduler`` (``tcp://host:8786``), else
    on a new :class:`distributed.LocalCluster` of ``workers`` processes (default: one per
    core) with one thread each, closed at the end. The rows are shuffled by school into
    ``partitions`` partitions (default: one per :data:`~ability2.partition.ROWS_PER_PART`
    rows); each is evaluated as one roster under ``policy`` (each worker loads the policy of
    the same region and date from its own installation: workers need ability2 and the same
    plugins).

    ``folder`` receives ``teachers/``, ``groups/`` and ``schools/`` with one
    ``part-NNNNN.parquet`` (or ``.csv``) per partition with teachers (part files of an
    earlier run there are removed), and ``totals.json``. Each teacher's row starts with
    ``file`` and ``row``: the input file (for a DataFrame, its partition) and the row number
    in it (the header is row 1 of a Parquet file or a DataFrame). ``progress(stage, done,
    total)`` is called with ``"parts"`` as partitions finish.

    ``schools`` is a school table (a :class:`~ability2.schools.SchoolTable` or anything
    :func:`ability2.read_schools` reads), read and checked once here, saved in ``folder``'s
    scratch space and read once by each worker; on a roster of several regions a school is
    its region and its name (:mod:`ability2.school_regions`). A rule whose kind needs the
    whole cohort is combined from the partitions' partials, every partition evaluated again
    with the figures (:mod:`ability2.cohort`); one that cannot be combined is refused
    (:class:`~ability2.cohort.UncombinableRule`).

    Raises :class:`~ability2.errors.RosterError` listing every problem of every file by row
    (nothing is written), :class:`EngineUnavailable` without Dask, :class:`SchedulerUnreachable`
    when the scheduler does not answer.
    """
    from ability2.limits import current
    from ability2.reports.export import TABLE_FORMATS, output_folder

    if fmt not in TABLE_FORMATS:
        raise Ability2Error(msg("engine.table_format", format=fmt, formats=TABLE_FORMATS))
    if workers is not None and workers < 1:
        raise Ability2Error(msg("engine.workers_at_least_one", workers=workers))
    if partitions is not None and partitions < 1:
        raise Ability2Error(msg("engine.parts_at_least_one", parts=partitions))
    if policy.label is not None:
        raise Ability2Error(msg("engine.what_if", name=policy.name))
    _dask()
    import dask.dataframe as dd

    frame_input = isinstance(source, dd.DataFrame)
    if not frame_input:
        files = roster_files(source)
        pieces, headers, header_rows, rows, problems = _plan_files(files)
        first = next((k for k, cells in enumerate(headers) if cells), None)
        if first is None:
            raise RosterError(problems)
        columns, differ = _check_headers(files, headers, header_rows, first)
        problems += differ
        header, header_source, header_row = headers[first], files[first], header_rows[first]
        sources = tuple(files)
    else:
        header = tuple(str(c) for c in source.columns)
        header_source, header_row = f"<dask DataFrame, {source.npartitions} partitions>", 1
        sources = tuple(f"<dask DataFrame, partition {k}>" for k in range(source.npartitions))
        columns, problems, pieces, rows = (), [], [], source.npartitions * ROWS_PER_PART
    problems = _header_problems(header, header_source, header_row) + problems
    if problems:
        raise RosterError(problems)
    from ability2.cohort import check_partitionable, combine_partials, policy_lookup
    from ability2.io.roster import _canonical
    from ability2.region_column import region_column
    from ability2.reports.partitioned import read_school_table

    if not region_column(header):
        check_partitionable(policy)  # a rule that cannot be split is refused before any work
    table = read_school_table(schools)

    canonical = [_canonical(cell) for cell in header]
    count = partitions if partitions is not None else max(1, math.ceil(rows / ROWS_PER_PART))
    with _connected(client, scheduler, workers) as running, output_folder(folder) as made:
        target = made.resolve()
        scratch = Path(tempfile.mkdtemp(prefix=".ability2-dask-", dir=target))
        try:
            for name in _TABLES:
                (scratch / name).mkdir()
            plan = _Plan(
                sources=sources,
                paths=tuple(os.path.abspath(name) for name in sources) if not frame_input else sources,
                header=header,
                header_source=header_source,
                header_row=header_row,
                columns=columns,
                school=canonical.index("school"),
                teacher_id=canonical.index("teacher_id") if "teacher_id" in canonical else None,
                limits=attrs.asdict(current()),
                region=policy.region.id,
                on=policy.on.isoformat(),
                fmt=fmt,
                scratch=str(scratch),
                schools=_save_schools(table, scratch) if table is not None else "",
            )
            _check_workers(running, plan)
            policy_of = policy_lookup(None, policy)
            figures: dict[tuple[str, str], Any] = {}
            duplicates: list[RosterProblem] | None = None
            while True:  # one pass, and one more for each cohort rule (ability2.cohort)
                meta = _empty_piece(plan)
                if frame_input:
                    read = source.map_partitions(_frame_piece, plan, meta=meta, enforce_metadata=False)
                else:
                    read = dd.from_map(_read_piece, pieces, args=(plan,), meta=meta, label="ability2-read")  # type: ignore[no-untyped-call]
                reports, found = _run(running, read, plan, count, progress, count_ids=duplicates is None)
                duplicates = found if duplicates is None else duplicates
                partials = [_unpacked(report["partials"]) for report in reports if report.get("partials")]
                said = [RosterProblem.from_data(p) for report in reports for p in report.get("school_problems", [])]
                if said:
                    raise SchoolTableError(sorted(dict.fromkeys(said), key=lambda p: p.row or 0))
                if not partials or duplicates or any(report["problems"] for report in reports):
                    break
                figures = combine_partials(partials, figures, policy_of)
                plan = attrs.evolve(plan, figures=_packed(figures))
            totals = sum((Totals(**report["totals"]) for report in reports), Totals())
            problems = [problem for report in reports for problem in report["problems"]] + (duplicates or [])
            if not problems and not totals.teachers:
                problems.append(RosterProblem(header_source, None, None, msg("roster.no_teachers")))
            if problems:
                order = {name: k for k, name in enumerate(sources)}
                unique = list(dict.fromkeys(problems))
                unique.sort(key=lambda p: (p.row is not None, order.get(p.file, len(order)), p.row or 0))
                raise RosterError(unique)
            files_written = _publish(target, scratch, [r["index"] for r in reports if r["written"]], fmt)
            regions: dict[str, Totals] = {}
            for report in reports:
                for rid, counts in report.get("regions", {}).items():
                    regions[rid] = regions.get(rid, Totals()) + Totals(**counts)
            write_totals(target, policy, count, totals, regions, fmt)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return PartitionedResult(target, count, fmt, totals, files_written, regions)


def _check_workers(client: Any, plan: _Plan) -> None:
    """Every worker has the driver's ability2 and plugins and can load the policy."""
    answers = client.run(_worker_check, plan.region, plan.on, _installed())
    wrong = {worker: said for worker, said in answers.items() if said is not None}
    if wrong:
        worker, said = sorted(wrong.items())[0]
        raise Ability2Error(
            msg(
                "engine.worker_cannot",
                worker=worker,
                reason=Message.from_data(said) if isinstance(said, dict) else str(said),
                wrong=len(wrong),
                workers=len(answers),
            )
        )


def _run(
    client: Any, read: Any, plan: _Plan, count: int, progress: Progress | None, *, count_ids: bool = True
) -> tuple[list[dict[str, Any]], list[RosterProblem]]:
    """Shuffle, evaluate and count the ids on the cluster: each partition's report, and the duplicate ids.

    ``count_ids=False`` (a later pass for cohort figures) leaves the ids, counted already.
    """
    import pandas as pd
    from distributed import as_completed, futures_of

    ids = read["__tid"]
    counted = ids[ids != 0].value_counts()
    twice = counted[counted > 1]
    shuffled = read.drop(columns=["__tid"]).shuffle(on="__key", npartitions=count)
    meta = pd.DataFrame({"report": pd.Series([], dtype=object)})
    evaluated = shuffled.map_partitions(_evaluate_partition, plan, meta=meta, enforce_metadata=False)
    held = client.persist([evaluated, twice] if count_ids else [evaluated])
    futures = futures_of(held[0])  # type: ignore[no-untyped-call]
    reports: list[dict[str, Any]] = []
    try:
        if progress is not None:
            progress("parts", 0, len(futures))
        for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):  # type: ignore[no-untyped-call]
            frame = _result(future)
            reports += [json.loads(text) for text in frame["report"]]
            if progress is not None:
                progress("parts", done, len(futures))
        suspects = [int(value) for value in _result(client.compute(held[1])).index] if count_ids else []
    finally:
        client.cancel([future for item in held for future in futures_of(item)])  # type: ignore[no-untyped-call]
    for report in reports:
        report["problems"] = [RosterProblem.from_data(p) for p in report["problems"]]
    duplicates = _duplicates(client, read, plan, suspects) if suspects else []
    return reports, duplicates


def _result(future: Any) -> Any:
    """A future's result; a worker lost (out of memory) said plainly."""
    from distributed.scheduler import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise Ability2Error(
            f"a Dask worker died while evaluating the cohort ({exc}): most often it ran out of memory; give the "
            "workers more memory, or the cohort more partitions"
        ) from None


def _duplicates(client: Any, read: Any, plan: _Plan, suspects: list[int]) -> list[RosterProblem]:
    """The teacher ids used twice in the cohort: every use after the first, named by file and row."""
    import pandas as pd

    from ability2.io.roster import _BY_NAME

    meta = pd.DataFrame({"id": pd.Series([], dtype=object), "__file": [], "__row": []}).astype(
        {"__file": "int32", "__row": "int64"}
    )
    found = client.compute(read.map_partitions(_suspect_rows, suspects, plan, meta=meta, enforce_metadata=False))
    rows = _result(found).sort_values(["__file", "__row"], kind="stable")
    column = _BY_NAME["teacher_id"]
    first: dict[str, tuple[int, int]] = {}
    problems = []
    for tid, file, row in zip(rows["id"].tolist(), rows["__file"].tolist(), rows["__row"].tolist(), strict=True):
        if tid not in first:
            first[tid] = (file, row)
            continue
        first_file, first_row = first[tid]
        said = (
            first_row if first_file == file else msg("engine.row_of_file", row=first_row, file=plan.sources[first_file])
        )
        problems.append(
            RosterProblem(
                plan.sources[file],
                row,
                column.name,
                msg("roster.id_duplicate_elsewhere", id=tid, first=said)
                if isinstance(said, Message)
                else msg("roster.id_duplicate", id=tid, first=said),
                alias=column.alias,
            )
        )
    return problems


def _publish(target: Path, scratch: Path, written: list[int], fmt: str) -> dict[str, tuple[Path, ...]]:
    """Move the parts' tables into ``target``; part files of an earlier run are removed first."""
    files: dict[str, tuple[Path, ...]] = {}
    for name in _TABLES:
        folder = target / name
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            if _PART_FILE.fullmatch(old.name) and old.is_file():
                old.unlink()
        moved = []
        for index in sorted(written):
            final = folder / f"part-{index:05d}.{fmt}"
            os.replace(scratch / name / final.name, final)
            moved.append(final)
        files[name] = tuple(moved)
    return files
