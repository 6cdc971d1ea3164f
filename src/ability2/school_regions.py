"""The school table of a roster of several regions: a school is its region and its name.

On a national roster, 实验小学 under two counties is two schools (:mod:`ability2.national`).
A school table for such a roster may say which is which with its own region column
(``region``/``地区``, an installed region's id or GB/T 2260 code, as in the roster): each row
then gives the facts of the school of that name in that region. Without the column a row
is matched by the school's name alone, which is right as long as the name is one school:
a name the table gives that the roster has under two regions is refused, since its facts
would be given to both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ability2.errors import RosterProblem, SchoolTableError
from ability2.messages import msg
from ability2.region_column import REGION_COLUMN, region_column

if TYPE_CHECKING:
    from ability2.policy import Policy
    from ability2.registry import Registry
    from ability2.schools import SchoolTable

__all__ = ["for_policy", "schools_by_region", "table_region_column"]


def table_region_column(table: SchoolTable) -> str | None:
    """The name of the school table's region column (``region`` or ``地区``), or ``None``."""
    found = region_column(list(table.frame.columns))
    return str(table.frame.columns[found[0]]) if found else None


def schools_by_region(
    table: SchoolTable, registry: Registry, schools: Iterable[tuple[str, str]]
) -> Mapping[str, SchoolTable]:
    """The school table of each region of the roster: ``{region id: its rows}``.

    ``schools`` are the roster's ``(region id, school name)`` pairs. With a region column,
    each row goes to the region its cell names (an empty cell, or a region no installed
    plugin declares, is an error naming the row); without one, every region gets the whole
    table, and a name the table gives under two regions of the roster is an error. Raises
    :class:`~ability2.errors.SchoolTableError`.
    """
    import polars as pl

    from ability2.errors import Ability2Error
    from ability2.schools import SchoolTable

    pairs = list(schools)
    regions = sorted({rid for rid, _ in pairs})
    column = table_region_column(table)
    label = REGION_COLUMN.label
    if column is None:
        named = set(table.frame.get_column("school").to_list())
        seen: dict[str, list[str]] = {}
        for rid, school in pairs:
            if school in named:
                seen.setdefault(school, []).append(rid)
        twice = {school: sorted(set(rids)) for school, rids in seen.items() if len(set(rids)) > 1}
        if twice:
            school, rids = sorted(twice.items())[0]
            more = f" ({len(twice)} such names)" if len(twice) > 1 else ""
            raise SchoolTableError(
                [
                    RosterProblem(
                        table.source,
                        None,
                        label,
                        f"school {school!r} is in {len(rids)} regions of the roster ({', '.join(rids)}){more}: "
                        "a school is its region and its name, so give the school table a region (地区) column "
                        "saying which row is which",
                    )
                ]
            )
        return dict.fromkeys(regions, table)
    cells = table.frame.get_column(column).cast(pl.String).fill_null("").str.strip_chars()
    resolved: dict[str, str | None] = {}
    problems: list[RosterProblem] = []
    for value in cells.unique(maintain_order=True).to_list():
        try:
            resolved[value] = registry.region(value).id if value else None
        except Ability2Error:
            resolved[value] = None
    ids = cells.replace_strict(resolved, return_dtype=pl.String)
    for at, (value, rid) in enumerate(zip(cells.to_list(), ids.to_list(), strict=True)):
        if rid is None:
            why = (
                "empty region: on a school table with a region column every row names its school's region"
                if not value
                else f"unknown region {value!r}: no installed plugin declares this id or GB/T 2260 code"
            )
            problems.append(RosterProblem(table.source, int(table.rows[at]), label, why))
    groups = table.frame.get_column("group").to_list()
    first: dict[tuple[str, str, str], int] = {}
    names = table.frame.get_column("school").to_list()
    for at, (rid, school, group) in enumerate(zip(ids.to_list(), names, groups, strict=True)):
        if rid is None:
            continue
        row = int(table.rows[at])
        earlier = first.setdefault((rid, school, group), row)
        if earlier != row:  # the region written once as an id, once as a code
            where = msg("schools.in_region", school=school, region=rid)
            said = (
                msg("schools.group_twice", school=where, group=group, first=earlier, row=row)
                if group
                else msg("schools.school_twice", school=where, first=earlier, row=row)
            )
            problems.append(RosterProblem(table.source, row, "school", said, alias="学校"))
    if problems:
        raise SchoolTableError(sorted(problems, key=lambda p: p.row or 0))
    out: dict[str, SchoolTable] = {}
    for rid in regions:
        keep = (ids == rid).to_numpy()
        out[rid] = SchoolTable(
            table.source,
            table.frame.filter(pl.Series(keep)).drop(column),
            table.rows[keep],
            {k: v for k, v in table.headers.items() if k != column},
        )
    return out


def for_policy(table: SchoolTable, policy: Policy) -> SchoolTable:
    """The rows of ``table`` about schools of ``policy``'s region, when one policy judges the roster.

    A row whose region cell is written as a region (an id such as ``hebei/baoding/xushui`` or a
    six-digit code) and names another region than ``policy``'s is about another school of the
    same name and is left out; other cells (``兖州区`` written out) are ordinary text, kept, as
    :func:`ability2.region_column.check_single_region` reads a roster's. A table without a
    region column is returned as it is.
    """
    import re

    import polars as pl

    from ability2.schools import SchoolTable

    column = table_region_column(table)
    if column is None:
        return table
    own = {policy.region.id, *([policy.region.code] if policy.region.code else [])}
    written_as_region = re.compile(r"[a-z]+(/[a-z]+)*|[0-9]{6}")
    cells = [str(value).strip().strip("/").lower() for value in table.frame.get_column(column).to_list()]
    keep = [not (written_as_region.fullmatch(cell) and cell not in own) for cell in cells]
    if all(keep):
        return table
    mask = pl.Series(keep)
    return SchoolTable(table.source, table.frame.filter(mask), table.rows[mask.to_numpy()], dict(table.headers))
