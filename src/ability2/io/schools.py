"""Read a school table (CSV, XLSX, pandas or polars) with the roster's rules.

The same formats, encodings and header search as a roster; every problem is reported as
``FILE:ROW:COLUMN: message`` and the table is rejected whole
(:class:`~ability2.errors.SchoolTableError`). Blank rows are skipped; every other row is
kept: rows in, rows out.
"""

from __future__ import annotations

import os
from typing import Any

from ability2.errors import RosterProblem, SchoolTableError
from ability2.messages import msg
from ability2.schools import SCHOOL_COLUMNS, SCHOOL_KEYS, SchoolTable

__all__ = ["read_schools"]

#: the key columns and the core's fact columns, by name or alias in any case: stored under the canonical name
_ALIASES = {column.name: column.alias for column in (*SCHOOL_KEYS, *SCHOOL_COLUMNS)}
_KEYS = {
    name.casefold(): column.name for column in (*SCHOOL_KEYS, *SCHOOL_COLUMNS) for name in (column.name, column.alias)
}
#: the reader's own row-number column (a name no header cell can produce)
_ROW = "\x00row"


def read_schools(source: str | os.PathLike[str] | Any) -> SchoolTable:
    """Read and validate a school table: a ``school`` (学校) column, optionally ``group`` (教研组).

    One row per school, or per school and research group for facts about a group; a
    ``(school, group)`` pair given twice is an error naming both rows. Fact columns are kept
    as text and read by the rules that need them, which name the row and column of a bad cell.
    """
    import polars as pl

    from ability2.gcpause import paused_gc
    from ability2.io.roster import _header_text, _load

    with paused_gc():
        name, table = _load(source, texts=True)
    problems = list(table.problems)
    if problems:
        raise SchoolTableError(problems)
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for j, cell in enumerate(table.header):
        written = _header_text(cell)
        canonical = _KEYS.get(written.casefold())
        key = canonical or written
        if not key:
            continue
        if key in columns:
            problems.append(
                RosterProblem(
                    name,
                    table.header_row,
                    key,
                    msg("roster.column_twice", first=headers.get(key, key), second=written),
                    alias=_ALIASES.get(key),
                )
            )
            continue
        columns[key] = j
        headers[key] = written
    if "school" not in columns:
        problems.append(
            RosterProblem(name, None, "school", msg("roster.missing_column", name="school", alias="学校"), alias="学校")
        )
        raise SchoolTableError(problems)
    data = table.data
    frame = data.select(
        pl.col("__row").alias(_ROW),
        *[
            (
                pl.col(f"c{j}").fill_null("").str.strip_chars()
                if key in ("school", "group")
                else pl.col(f"c{j}").fill_null("")
            ).alias(key)
            for key, j in columns.items()
        ],
    )
    if "group" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("group"))
    blank = frame.select(
        pl.all_horizontal([pl.col(c).str.strip_chars() == "" for c in frame.columns if c != _ROW]).alias("blank")
    ).get_column("blank")
    frame = frame.filter(~blank)
    rows = frame.get_column(_ROW).to_list()
    # a table for a roster of several regions may name each school's region: a school is then
    # its region and its name (the region is checked against the installed ones where it is used)
    from ability2.region_column import region_column

    where = region_column(list(frame.columns))
    regions = frame.get_column(frame.columns[where[0]]).str.strip_chars().to_list() if where else [""] * frame.height
    seen: dict[tuple[str, str, str], int] = {}
    for row, region, school, group in zip(
        rows, regions, frame.get_column("school").to_list(), frame.get_column("group").to_list(), strict=True
    ):
        if not school:
            problems.append(RosterProblem(name, row, "school", msg("schools.school_empty"), alias="学校"))
            continue
        first = seen.setdefault((region, school, group), row)
        if first != row:
            named = (
                msg("schools.in_region", school=school, region=region)
                if region
                else msg("schools.named", school=school)
            )
            said = (
                msg("schools.group_twice", school=named, group=group, first=first, row=row)
                if group
                else msg("schools.school_twice", school=named, first=first, row=row)
            )
            problems.append(RosterProblem(name, row, "school", said, alias="学校"))
    if problems:
        raise SchoolTableError(sorted(problems, key=lambda p: p.row or 0))
    return SchoolTable(name, frame.drop(_ROW), frame.get_column(_ROW).to_numpy(), headers)
