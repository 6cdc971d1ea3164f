"""Rosters that mix regions: each row evaluated under its own region's policy.

A national (or provincial) file holds schools of many regions. Its optional column
``region`` (alias ``地区``, :data:`REGION_COLUMN`) names each school's region: an installed
region's id (``shandong/jining/yanzhou``) or GB/T 2260 code (``370812``). Every row is
evaluated under the policy of its own region on the date given, exactly as if each region's
rows were evaluated on their own (rules never look past a school, and a school is in one
region), and the counts are kept per region (:class:`~ability2.partition.Totals`) for the
roll-up by county, city and province (:mod:`ability2.rollup`).

* :func:`evaluate_regions` evaluates a roster (a path or a DataFrame) in this process.
* :func:`evaluate_cells` evaluates one partition of such a roster (its cells and row
  numbers, as the partitioned path and the Dask engine hold them).

The region column is checked as every other column is, row by row: an empty cell, a region
no installed plugin declares, a region without a policy on the date, a region outside the
one asked for (``within``) are row errors (``FILE:ROW:region (地区)``); a roster with any
problem is refused whole. A school is its region and its name: the same name under two
regions (实验小学 in two counties) is two schools, each judged and counted in its region.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import PolicyDateError, RegionUnavailableError, RosterError, RosterProblem, UnknownRegionError
from ability2.messages import Message, msg
from ability2.region_column import REGION_COLUMN, check_single_region, region_column, roster_regions
from ability2.roster import COLUMNS
from ability2.totals import Totals

if TYPE_CHECKING:
    import polars as pl

    from ability2.cohort import Cohort
    from ability2.model import Region
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.result import Result

__all__ = [
    "REGION_COLUMN",
    "RegionalResult",
    "check_single_region",
    "evaluate_cells",
    "evaluate_regions",
    "region_column",
    "roster_regions",
]

#: the order of a row's problems: the contract's columns, then the region
_RANK = {column.name: k for k, column in enumerate((*COLUMNS, REGION_COLUMN))}


@attrs.frozen(eq=False)
class RegionalResult:
    """A roster of several regions evaluated: every row under its own region's policy.

    The tables are those of ``--format parquet`` (:func:`ability2.tables.table_frame`) with
    ``region`` (the id of the region whose policy judged the row) in front; the teachers
    table starts with ``row``, each teacher's row number in the file, and is in file order.
    A rule of one region only is empty (null) in the rows of the others.
    """

    on: dt.date
    teachers: pl.DataFrame
    groups: pl.DataFrame
    schools: pl.DataFrame
    regions: Mapping[str, Totals]  #: each region's counts, regions in order of first appearance
    results: Mapping[str, Result]  #: each region's rows evaluated (one :class:`~ability2.result.Result` each)

    @property
    def totals(self) -> Totals:
        """The counts of every region together."""
        return sum(self.regions.values(), Totals())

    def rollup(self, registry: Registry | None = None) -> pl.DataFrame:
        """The counts by nation, province, city and county (:func:`ability2.rollup.rollup`)."""
        from ability2.rollup import rollup

        return rollup(self.regions, registry)


def evaluate_regions(
    roster: Any,
    *,
    on: dt.date | None = None,
    within: str | Region | None = None,
    registry: Registry | None = None,
    schools: Any = None,
) -> RegionalResult:
    """Evaluate a roster that names each school's region, every row under its own region's policy.

    ``roster`` is anything :func:`ability2.read_roster` reads (a path, a pandas or polars
    DataFrame) with a ``region`` (``地区``) column. ``on`` is the date of every policy
    (default: today). ``within`` (a region id or code) refuses rows outside that region
    (each row is still judged by its own region's policy). ``schools`` is an optional school
    table, as :func:`ability2.evaluate` takes it. Raises :class:`~ability2.errors.RosterError`
    listing every problem by row (a missing or unknown region, and everything :func:`ability2.read_roster` checks).
    """
    from ability2.gcpause import paused_gc
    from ability2.io.roster import _load

    if registry is None:
        from ability2.registry import default_registry

        registry = default_registry()
    if schools is not None:
        from ability2.schools import SchoolTable

        if not isinstance(schools, SchoolTable):
            from ability2.io.schools import read_schools

            schools = read_schools(schools)
    with paused_gc():
        name, table = _load(roster, texts=True)
        return evaluate_cells(
            table.data,
            table.header,
            name=name,
            header_row=table.header_row,
            on=on or dt.date.today(),
            registry=registry,
            within=within,
            schools=schools,
            problems=table.problems,
        )


def evaluate_cells(
    data: pl.DataFrame,
    header: Sequence[str],
    *,
    name: str,
    header_row: int | None,
    on: dt.date,
    registry: Registry,
    within: str | Region | None = None,
    schools: Any = None,
    problems: Sequence[RosterProblem] = (),
    row_text: Callable[[int], Message | str] = str,
    cohort: Cohort | None = None,
) -> RegionalResult:
    """Evaluate one roster, or one partition of one (every row of each school it has), region by region.

    ``data`` holds ``__row`` (each row's number in the file ``name``) and the cells ``c0``
    ... of the ``header``'s columns (any type: turned to text as a DataFrame's are), as
    :func:`ability2.io.roster.read_roster_part` takes them; one column is the region. Rows
    whose cells are all empty are skipped. ``problems`` are those found while reading the
    file (a ragged row), listed with the rest; ``row_text`` words a row named in a message
    (``first used on row 5``: a partition's row numbers may stand for rows of several files). Raises :class:`~ability2.errors.RosterError`
    with every problem, in row order.

    ``schools`` (a :class:`~ability2.schools.SchoolTable`) gives each region's schools their
    facts: by region and name when the table has a region column (``region``/``地区``), else
    by name, and then a name the table gives that the roster has under two regions is
    refused (:func:`ability2.school_regions.schools_by_region`). ``cohort`` marks ``data`` as
    one part of a cohort (:class:`ability2.cohort.Cohort`): every region's cohort figures
    that are not known yet are asked for together (:class:`~ability2.cohort.PartialsNeeded`).
    """
    import polars as pl

    from ability2.io.roster import _BY_NAME, _canonical, _polars_texts

    header = [str(cell) for cell in header]
    found = region_column(header)
    label, alias = REGION_COLUMN.name, REGION_COLUMN.alias
    if not found:
        missing = msg("national.missing_region_column", name=REGION_COLUMN.name, alias=REGION_COLUMN.alias)
        raise RosterError([RosterProblem(name, None, label, missing, alias=alias)])
    if len(found) > 1:
        twice = msg("roster.column_twice", first=header[found[0]].strip(), second=header[found[1]].strip())
        raise RosterError([RosterProblem(name, header_row, label, twice, alias=alias)])
    where = found[0]
    width = len(header)
    canonical = [_canonical(cell) for cell in header]

    def text(j: int) -> pl.Series:
        series: pl.Series = _polars_texts(data.get_column(f"c{j}")).fill_null("").str.strip_chars()
        return series

    blank = [pl.col(f"c{j}").cast(pl.String).fill_null("").str.strip_chars() != "" for j in range(width)]
    keep = data.select(pl.any_horizontal(blank).alias("keep")).to_series() if width else None
    cells = pl.DataFrame(
        {
            "__row": data.get_column("__row").cast(pl.Int64),
            "region": text(where),
            "school": text(canonical.index("school")) if "school" in canonical else pl.Series([""] * data.height),
            "tid": text(canonical.index("teacher_id")) if "teacher_id" in canonical else pl.Series([""] * data.height),
        }
    ).with_row_index("__at")
    if keep is not None:
        cells = cells.filter(keep)

    # -- each distinct region text, resolved once
    issues: list[RosterProblem] = list(problems)
    resolved: dict[str, str | None] = {}
    said: dict[str, Message] = {}
    policies: dict[str, Policy] = {}
    ancestor = registry.region(within) if within is not None else None
    for value in cells.get_column("region").unique(maintain_order=True).to_list():
        region_id, message = _resolve(value, registry, on, ancestor, policies)
        resolved[value] = region_id
        if message is not None:
            said[value] = message
    ids = cells.get_column("region").replace_strict(resolved, return_dtype=pl.String)
    cells = cells.with_columns(ids.alias("rid"))
    bad = cells.filter(pl.col("rid").is_null())
    for row, value in zip(bad.get_column("__row").to_list(), bad.get_column("region").to_list(), strict=True):
        issues.append(RosterProblem(name, row, label, said[value], alias=alias))

    # a school is its region and its name: 实验小学 under two counties are two schools

    # -- teacher ids are unique over the whole roster, whichever region a row is in
    id_column = _BY_NAME["teacher_id"]
    if "teacher_id" in canonical:
        used = cells.filter(pl.col("tid") != "").with_columns(pl.col("__row").first().over("tid").alias("first"))
        repeated = used.filter(pl.col("__row") != pl.col("first"))
        for row, tid, first in repeated.select("__row", "tid", "first").iter_rows():
            issues.append(
                RosterProblem(
                    name,
                    row,
                    id_column.name,
                    msg("roster.id_duplicate_elsewhere", id=tid, first=shown)
                    if isinstance(shown := row_text(first), Message)
                    else msg("roster.id_duplicate", id=tid, first=shown),
                    alias=id_column.alias,
                )
            )

    # -- read each region's rows (those without a region too, for their other issues)
    others = [j for j in range(width) if j != where]
    part_header = [header[j] for j in others]
    rows_of = cells.with_columns(pl.col("rid").fill_null("")).group_by("rid", maintain_order=True).agg("__at")
    rosters: dict[str, Any] = {}
    framework = registry.framework
    for rid, positions in rows_of.iter_rows():
        subset = data[positions] if len(positions) != data.height else data
        subset = subset.select(
            pl.col("__row").cast(pl.Int64), *(pl.col(f"c{j}").alias(f"c{k}") for k, j in enumerate(others))
        )
        try:
            from ability2.io.roster import read_roster_part

            roster = read_roster_part(subset, part_header, name=name, header_row=header_row, framework=framework)
        except RosterError as exc:
            issues += [
                p
                for p in exc.problems
                if p.code not in ("roster.id_duplicate", "roster.id_duplicate_elsewhere", "roster.no_teachers")
            ]
            continue
        if rid:
            rosters[rid] = roster
    if not issues and not rosters:
        issues.append(RosterProblem(name, None, None, msg("roster.no_teachers")))
    if issues:
        unique = list(dict.fromkeys(issues))
        unique.sort(key=lambda p: (p.row is not None, p.row or 0, _RANK.get(p.column or "", len(_RANK))))
        raise RosterError(unique)
    tables: Mapping[str, Any] | None = None
    if schools is not None:
        from ability2.school_regions import schools_by_region

        names = cells.filter(pl.col("rid").is_not_null()).select("rid", "school").unique()
        tables = schools_by_region(schools, registry, names.iter_rows())
    return _evaluated(rosters, policies, on, tables, cohort)


def _resolve(
    value: str, registry: Registry, on: dt.date, ancestor: Region | None, policies: dict[str, Policy]
) -> tuple[str | None, Message | None]:
    """A region cell's region id (with its policy on ``on`` kept in ``policies``), or why it has none."""
    if not value:
        return (
            None,
            msg("national.empty_region"),
        )
    try:
        region = registry.region(value)
    except RegionUnavailableError as exc:  # installed, but its plugin (or an ancestor's) is broken
        plugins = tuple(dict.fromkeys(p.cause or p.plugin for p in exc.problems))
        return None, msg("national.region_unavailable", region=value, plugins=plugins)
    except UnknownRegionError as exc:
        if exc.suggestions:
            return None, msg("national.unknown_region_suggest", region=value, names=exc.suggestions)
        return None, msg("national.unknown_region", region=value)
    if ancestor is not None and ancestor.id not in {r.id for r in registry.chain(region)}:
        return None, msg("national.outside", region=value, id=region.id, within=ancestor.id, name=ancestor.name)
    if region.id not in policies:
        try:
            policies[region.id] = registry.policy(region, on=on)
        except PolicyDateError as exc:
            return None, msg("national.policy_date", region=value, reason=exc.message)
    return region.id, None


def _evaluated(
    rosters: Mapping[str, Any],
    policies: Mapping[str, Policy],
    on: dt.date,
    schools: Mapping[str, Any] | None,
    cohort: Cohort | None = None,
) -> RegionalResult:
    """Each region's roster evaluated under its policy; the tables joined, with ``region`` in front.

    On a part of a cohort, the cohort figures every region still needs are asked for together.
    """
    import polars as pl

    from ability2.cohort import PartialsNeeded
    from ability2.evaluation import evaluate
    from ability2.tables import table_frame

    results: dict[str, Result] = {}
    totals: dict[str, Totals] = {}
    tables: dict[str, list[pl.DataFrame]] = {"teachers": [], "groups": [], "schools": []}
    needed: dict[tuple[str, str], Any] = {}
    for rid, roster in rosters.items():
        own = None if schools is None else schools.get(rid)
        try:
            result = evaluate(roster, policies[rid], schools=own, cohort=cohort)
        except PartialsNeeded as asked:
            needed.update(asked.partials)
            continue
        if needed:
            continue  # another pass follows: this region's tables are made then
        results[rid] = result
        totals[rid] = Totals.of(result)
        for table in tables:
            frame = table_frame(result, table)
            frame = frame.insert_column(0, pl.Series("region", [rid] * frame.height, dtype=pl.String))
            if table == "teachers":
                frame = frame.insert_column(0, pl.Series("row", roster.rows, dtype=pl.Int64))
            tables[table].append(frame)
    if needed:
        raise PartialsNeeded(needed)
    # a region without groups has an empty groups table whose count columns are text: the
    # regions with rows say the types
    joined = {
        name: pl.concat([f for f in frames if f.height] or frames[:1], how="diagonal_relaxed")
        for name, frames in tables.items()
    }
    return RegionalResult(
        on,
        joined["teachers"].sort("row", maintain_order=True),
        joined["groups"],
        joined["schools"],
        totals,
        results,
    )
