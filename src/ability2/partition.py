"""Partitioned evaluation: a cohort split by school, evaluated part by part, combined from counts.

No teacher, group or school rule looks past its school, so a cohort split by school can be
evaluated one part at a time, each part in bounded memory, and the parts' verdicts are the
whole cohort's. Figures over the whole cohort (teachers who pass, schools that pass, the
rates) are sums of the parts' counts (:class:`Totals`), combined, never recomputed.

* :func:`evaluate_frame` evaluates one partition: a roster frame in (polars, pandas, or
  anything Arrow), the ``teachers``, ``groups`` and ``schools`` tables and the part's
  :class:`Totals` out. Any engine that can bring a school's rows together can call it.
* :func:`split_roster` streams a roster file (UTF-8 CSV or Parquet) into ``parts`` Parquet
  files by a hash of the school, every row keeping its row number in the file.
* :func:`evaluate_part` reads, validates and evaluates one part of a split file, and
  :func:`duplicate_ids` finds the teacher ids used in two parts. The one-machine path that
  writes every part's tables is :func:`ability2.reports.partitioned.evaluate_partitioned`.

A roster with problems is refused whole, as :func:`ability2.read_roster` refuses it: every
part is read, the problems of all parts are listed by row, and nothing is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error, RosterError, RosterProblem, SchoolTableError
from ability2.messages import msg
from ability2.totals import Totals

if TYPE_CHECKING:
    import polars as pl

    from ability2.cohort import Cohort
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.result import Result

__all__ = [
    "AUTO_PARTITION_ROWS",
    "ROWS_PER_PART",
    "PartTables",
    "RosterScan",
    "Split",
    "Totals",
    "default_parts",
    "duplicate_ids",
    "estimated_rows",
    "evaluate_frame",
    "evaluate_part",
    "installed_registry",
    "partitions_by_default",
    "scan_roster",
    "split_roster",
]

#: rows a part holds at most when the number of parts is left to ability2
ROWS_PER_PART = 500_000
#: ``ability2 evaluate ... --format csv|parquet -o FOLDER`` splits a CSV or Parquet roster of
#: more rows than this by itself (``--partitions auto``): read whole, 2M teachers take about 1.5 GB
AUTO_PARTITION_ROWS = 2_000_000
#: the column of a split part that holds each row's number in the file
ROW_COLUMN = "__row"
_PART_KEY = "__part"
_HEAD_BYTES = 1 << 20

Progress = Callable[[str, int, int], None]


@attrs.frozen(eq=False)
class PartTables:
    """One partition evaluated: its three tables (polars) and its counts (per region, for a roster of several)."""

    teachers: pl.DataFrame
    groups: pl.DataFrame
    schools: pl.DataFrame
    totals: Totals
    #: a roster with a region column: the counts of each region's rows (else empty)
    regions: Mapping[str, Totals] = attrs.field(factory=dict)


def evaluate_frame(frame: Any, policy: Policy, *, schools: Any = None, cohort: Cohort | None = None) -> PartTables:
    """Evaluate one partition: every school's rows, in a frame, to the three tables and the counts.

    ``frame`` is a roster as :func:`ability2.read_roster` reads a DataFrame (polars, pandas,
    or an Arrow table / anything with ``__arrow_c_stream__``), holding every row of each
    school it has. The tables are those of ``--format parquet`` (:func:`ability2.reports.
    export.table_frame`). Raises :class:`~ability2.errors.RosterError` as ``read_roster`` does.
    A frame with a region column (``region``/``地区``) is evaluated row by row under each
    region's policy on ``policy.on`` (every row within ``policy.region``); its tables then
    start with ``row`` (teachers) and ``region``, and :attr:`PartTables.regions` holds the
    counts of each region.

    A rule that needs the whole cohort (:attr:`ability2.Reach.COHORT`) is judged by its
    figure in ``cohort`` (default: none known yet); until it is known the call raises
    :class:`~ability2.cohort.PartialsNeeded` with this partition's partial, for the engine
    to combine with the other partitions' and call again (:mod:`ability2.cohort`).
    """
    from ability2.cohort import Cohort

    cohort = cohort if cohort is not None else Cohort()
    import polars as pl

    from ability2.evaluation import evaluate
    from ability2.io.roster import read_roster

    pandas = sys.modules.get("pandas")
    if not isinstance(frame, pl.DataFrame) and not (
        pandas is not None and isinstance(frame, getattr(pandas, "DataFrame", ()))  # pandas may be half-imported
    ):
        frame = pl.DataFrame(frame)  # an Arrow table, or anything polars can take
    from ability2.national import evaluate_cells
    from ability2.region_column import region_column

    if region_column([str(column) for column in frame.columns]):
        from ability2.io.roster import _load

        name, table = _load(frame, texts=True)
        out = evaluate_cells(
            table.data,
            table.header,
            name=name,
            header_row=table.header_row,
            on=policy.on,
            registry=installed_registry(),
            within=policy.region.id,
            schools=_school_table(schools),
            problems=table.problems,
            cohort=cohort,
        )
        return PartTables(out.teachers, out.groups, out.schools, out.totals, dict(out.regions))
    roster = read_roster(frame, framework=policy.framework)
    return _tables(evaluate(roster, policy, schools=schools, cohort=cohort))


def _school_table(schools: Any) -> Any:
    """``schools`` read as a :class:`~ability2.schools.SchoolTable` (``None`` stays ``None``)."""
    from ability2.schools import SchoolTable

    if schools is None or isinstance(schools, SchoolTable):
        return schools
    from ability2.io.schools import read_schools

    return read_schools(schools)


def _tables(result: Result, rows: Any = None) -> PartTables:
    import polars as pl

    from ability2.tables import table_frame

    teachers = table_frame(result, "teachers")
    if rows is not None:
        teachers = teachers.insert_column(0, pl.Series("row", rows, dtype=pl.Int64))
    return PartTables(teachers, table_frame(result, "groups"), table_frame(result, "schools"), Totals.of(result))


# --------------------------------------------------------------------------- splitting


@attrs.frozen
class Split:
    """A roster file split by school: where the parts are and how to read them."""

    source: str  #: the file split (problems name it)
    header: tuple[str, ...]  #: its header cells; part files hold them as ``c0`` ... in this order
    header_row: int  #: the header's row number in the file
    folder: str  #: the parts, ``__part=K/*.parquet``
    parts: int
    rows: int  #: data rows in the file (blank rows included; the reader drops them)

    def files(self, index: int) -> list[Path]:
        """The Parquet files of part ``index`` (none: no school hashed to it)."""
        return sorted((Path(self.folder) / f"{_PART_KEY}={index}").glob("*.parquet"))

    def part(self, index: int) -> pl.DataFrame:
        """Part ``index``'s rows, in file order (``c0`` ... and ``__row``)."""
        import polars as pl

        files = self.files(index)
        schema = {ROW_COLUMN: pl.Int64, **{f"c{j}": pl.String for j in range(len(self.header))}}
        if not files:
            return pl.DataFrame(schema=schema)
        return pl.concat([pl.read_parquet(path) for path in files], how="vertical_relaxed").sort(ROW_COLUMN)


def split_roster(source: str | os.PathLike[str], folder: str | os.PathLike[str], parts: int) -> Split:
    """Stream ``source`` (a UTF-8 CSV, or Parquet) into ``parts`` Parquet files by a hash of the school.

    Rows keep their number in the file (``__row``); cells stay as written. A Parquet file
    is first measured by its own metadata against the input limits and its columns' types
    checked (:func:`ability2.io.parquet_extent.parquet_problem`), as the Dask engine checks
    its files. Raises :class:`~ability2.errors.RosterError` for a file ability2 cannot split:
    no school column, a CSV that is not UTF-8, a malformed row, a Parquet file past the
    limits or with nested columns.
    """
    import polars as pl

    from ability2.io.roster import _canonical

    path = os.fsdecode(os.fspath(source))
    if parts < 1:
        raise Ability2Error(msg("engine.parts_at_least_one", parts=parts))
    opened = scan_roster(path)
    if opened.parquet:
        # measured by its own metadata before a page is read, as the Dask engine measures its files
        from ability2.io.parquet_extent import parquet_problem

        _, problem = parquet_problem(opened, os.path.getsize(path))
        if problem is not None:
            raise RosterError([RosterProblem(path, None, None, problem)])
    scan, header, header_row = opened.frame, list(opened.header), opened.header_row
    canonical = [_canonical(cell) for cell in header]
    if "school" not in canonical:
        said = msg("engine.split_needs_school")
        raise RosterError([RosterProblem(path, header_row, "school", said, alias="学校")])
    school = f"c{canonical.index('school')}"
    key = (pl.col(school).cast(pl.String).fill_null("").str.strip_chars().hash(seed=0) % parts).alias(_PART_KEY)
    target = Path(folder)
    try:
        # the parts are read once, soon: fast compression
        scan.with_columns(key).sink_parquet(
            pl.PartitionBy(str(target), key=_PART_KEY, include_key=False), mkdir=True, compression="lz4"
        )
        files = sorted(str(found) for found in target.glob("*/*.parquet"))
        count = pl.scan_parquet(files).select(pl.len()).collect().item() if files else 0
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RosterError(
            [
                RosterProblem(
                    path,
                    None,
                    None,
                    msg("engine.cannot_split", detail=first[:300]),
                )
            ]
        ) from None
    return Split(path, tuple(header), header_row, str(target), parts, int(count))


@attrs.frozen(eq=False)
class RosterScan:
    """A roster file as polars will stream it: its cells as ``c0`` ... (in the header's order) and ``__row``."""

    source: str  #: the file (problems name it)
    frame: pl.LazyFrame  #: ``__row`` (the row number in the file), then ``c0`` ... as written
    header: tuple[str, ...]  #: the header cells, as written
    header_row: int  #: the header's row number in the file
    parquet: bool  #: a Parquet file (else a UTF-8 CSV)


def scan_roster(source: str | os.PathLike[str]) -> RosterScan:
    """``source`` (a UTF-8 CSV, or Parquet) opened for streaming, without reading its rows.

    A CSV's header is found as :func:`ability2.read_roster` finds it (the first rows that
    name the columns); a Parquet file's column names are its header, and its first record
    is row 2. Raises :class:`~ability2.errors.RosterError` for a missing file, a CSV that is
    not UTF-8, or a file with no header.
    """
    path = os.fsdecode(os.fspath(source))
    if not os.path.isfile(path):
        raise RosterError([RosterProblem(path, None, None, msg("engine.not_a_file"))])
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    parquet = head.startswith(b"PAR1") or path.lower().endswith(".parquet")
    scan, header, header_row = _parquet_scan(path) if parquet else _csv_scan(path, head)
    return RosterScan(path, scan, tuple(header), header_row, parquet)


def _csv_scan(path: str, head: bytes) -> tuple[pl.LazyFrame, list[str], int]:
    import polars as pl

    from ability2.io.roster import _locate_header

    text = head.decode("utf-8", errors="ignore") if _is_utf8(head) else None  # ignore: a character cut at the end
    if text is None:
        raise RosterError(
            [
                RosterProblem(
                    path,
                    None,
                    None,
                    msg("engine.not_utf8"),
                )
            ]
        )
    text = text.removeprefix("\ufeff")
    delimiter, header_index, header = _locate_header(text)
    if header is None:
        raise RosterError([RosterProblem(path, None, None, msg("roster.empty_file"))])
    scan = pl.scan_csv(
        path,
        has_header=False,
        separator=delimiter,
        schema={f"c{j}": pl.String for j in range(len(header))},
        skip_rows=header_index + 1,
        encoding="utf8",
        raise_if_empty=False,
    ).with_row_index(ROW_COLUMN, offset=header_index + 2)
    return scan.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)), [str(cell) for cell in header], header_index + 1


def _is_utf8(head: bytes) -> bool:
    """Whether the first bytes read as UTF-8 (a character cut at the end of the sample is allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _parquet_scan(path: str) -> tuple[pl.LazyFrame, list[str], int]:
    import polars as pl

    try:
        scan = pl.scan_parquet(path)
        names = scan.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        said = msg("roster.parquet_damaged", detail=str(exc)[:300])
        raise RosterError([RosterProblem(path, None, None, said)]) from None
    renamed = scan.select([pl.col(name).alias(f"c{j}") for j, name in enumerate(names)])
    scan = renamed.with_row_index(ROW_COLUMN, offset=2).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
    return scan, names, 1


def _duplicate_ids(split: Split) -> list[RosterProblem]:
    """Teacher ids used in two parts (each part's reader finds those within it), by row."""
    import numpy as np
    import polars as pl

    from ability2.io.roster import _BY_NAME, _canonical

    canonical = [_canonical(cell) for cell in split.header]
    if "teacher_id" not in canonical:
        return []  # the parts' readers say the column is missing
    column = f"c{canonical.index('teacher_id')}"
    ids = pl.col(column).cast(pl.String).fill_null("").str.strip_chars()
    scan = pl.scan_parquet(f"{split.folder}/*/*.parquet", hive_partitioning=True) if split.rows else None
    if scan is None:
        return []
    hashes = scan.select(ids.hash(seed=1)).collect().to_series().to_numpy()
    values, counts = np.unique(hashes, return_counts=True)
    suspects = values[counts > 1]
    if not len(suspects):
        return []
    rows = (
        scan.filter(ids.hash(seed=1).is_in(pl.lit(pl.Series(suspects, dtype=pl.UInt64)).implode()) & (ids != ""))
        .select(ids.alias("id"), pl.col(ROW_COLUMN), pl.col(_PART_KEY).cast(pl.Int64))
        .collect()
        .sort(ROW_COLUMN)
    )
    problems = []
    id_column = _BY_NAME["teacher_id"]  # as the reader names the column
    first: dict[str, tuple[int, int]] = {}
    seen_in_part: set[tuple[str, int]] = set()
    for tid, row, part in rows.iter_rows():
        if tid not in first:
            first[tid] = (row, part)
        elif (tid, part) not in seen_in_part and first[tid][1] != part:
            # the part's own reader cannot know the first use: it is in another part
            problems.append(
                RosterProblem(
                    split.source,
                    row,
                    id_column.name,
                    msg("roster.id_duplicate", id=tid, first=first[tid][0]),
                    alias=id_column.alias,
                )
            )
        seen_in_part.add((tid, part))
    return problems


def estimated_rows(source: str | os.PathLike[str]) -> int:
    """The data rows of a CSV or Parquet roster: a Parquet file's own count, a CSV's estimated from its first lines."""
    import polars as pl

    path = os.fsdecode(os.fspath(source))
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
        size = os.fstat(handle.fileno()).st_size
    if head.startswith(b"PAR1"):
        return int(_parquet_scan(path)[0].select(pl.len()).collect().item())
    lines = head.count(b"\n")
    return size if not lines else int(size / (len(head) / lines))


def default_parts(source: str | os.PathLike[str]) -> int:
    """How many parts ``source`` is split into when not told: about :data:`ROWS_PER_PART` rows each.

    A Parquet file states its rows; a CSV's are estimated from its size and the length of
    its first lines.
    """
    return max(1, -(-estimated_rows(source) // ROWS_PER_PART))


def partitions_by_default(source: str | os.PathLike[str]) -> bool:
    """Whether ``ability2 evaluate`` splits ``source`` by itself (a large UTF-8 CSV or Parquet file).

    It does past :data:`AUTO_PARTITION_ROWS` rows; a workbook, or a CSV in another encoding,
    is read whole.
    """
    path = os.fsdecode(os.fspath(source))
    try:
        scan_roster(path)
        return estimated_rows(path) > AUTO_PARTITION_ROWS
    except (RosterError, OSError):
        return False


def evaluate_part(
    split: Split,
    index: int,
    policy: Policy,
    *,
    registry: Registry | None = None,
    schools: Any = None,
    cohort: Cohort | None = None,
) -> tuple[PartTables | None, list[RosterProblem]]:
    """Read, validate and evaluate part ``index`` of ``split``: its tables, or its roster's problems.

    The teachers table starts with ``row``, each teacher's row number in the file split. A
    part without a teacher (no school hashed to it, or only blank rows) gives ``(None, [])``.
    A roster with a region column (:data:`ability2.national.REGION_COLUMN`) is evaluated row
    by row under each region's policy on ``policy.on``, every row's region within
    ``policy.region`` (:func:`ability2.national.evaluate_cells`; ``registry`` default: the
    installed one); its tables then have ``region`` in front. ``schools`` is the cohort's
    school table (:class:`~ability2.schools.SchoolTable`), as :func:`ability2.evaluate` takes it.
    ``cohort`` holds the whole cohort's figures known so far (:mod:`ability2.cohort`; default:
    none): a cohort rule without its figure raises :class:`~ability2.cohort.PartialsNeeded`.
    """
    from ability2.cohort import Cohort

    cohort = cohort if cohort is not None else Cohort()
    import polars as pl

    from ability2.evaluation import evaluate
    from ability2.io.roster import read_roster_part

    data = split.part(index)
    cells = [pl.col(f"c{j}").cast(pl.String).fill_null("").str.strip_chars() != "" for j in range(len(split.header))]
    if not cells or not data.select(pl.any_horizontal(cells).any()).item():
        return None, []  # the reader drops blank rows: nothing to read here
    from ability2.region_column import region_column

    if region_column(split.header):
        return _regional_part(split, data, policy, registry, schools, cohort)
    try:
        roster = read_roster_part(
            data, split.header, name=split.source, header_row=split.header_row, framework=policy.framework
        )
    except RosterError as exc:
        return None, list(exc.problems)
    del data
    return _tables(evaluate(roster, policy, schools=schools, cohort=cohort), rows=roster.rows), []


def duplicate_ids(split: Split) -> list[RosterProblem]:
    """Teacher ids used in two parts of ``split`` (each part's reader finds those used twice within it)."""
    return _duplicate_ids(split)


def installed_registry() -> Registry:
    """The installed registry, loaded once per process (parts and workers share it): :func:`ability2.default_registry`."""
    from ability2.registry import default_registry

    return default_registry()


def _regional_part(
    split: Split, data: pl.DataFrame, policy: Policy, registry: Registry | None, schools: Any, cohort: Cohort
) -> tuple[PartTables | None, list[RosterProblem]]:
    """A part of a roster with a region column, each row under its region's policy."""
    from ability2.national import evaluate_cells

    try:
        out = evaluate_cells(
            data,
            split.header,
            name=split.source,
            header_row=split.header_row,
            on=policy.on,
            registry=registry if registry is not None else installed_registry(),
            within=policy.region.id,
            schools=schools,
            cohort=cohort,
        )
    except SchoolTableError:
        raise  # the school table's problem, not the roster's
    except RosterError as exc:
        return None, list(exc.problems)
    return PartTables(out.teachers, out.groups, out.schools, out.totals, dict(out.regions)), []
