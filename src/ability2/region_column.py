"""The roster's optional column ``region`` (``地区``): each school's region, for a roster of several regions.

An extension of contract §2 (see the docs' *Rosters* page). This module only finds the column
and refuses it where one policy is asked for; a roster of several regions is evaluated by
:mod:`ability2.national`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.roster import Column

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["REGION_COLUMN", "check_single_region", "region_column", "roster_regions"]

#: the roster column naming each school's region (an extension of contract §2)
REGION_COLUMN = Column(
    "region", "地区", False, "the school's region: an installed region's id or GB/T 2260 code (e.g. 370812)"
)
_KEYS = frozenset({REGION_COLUMN.name.casefold(), REGION_COLUMN.alias.casefold()})


def region_column(header: Sequence[str]) -> list[int]:
    """The positions of the columns of ``header`` headed ``region`` or ``地区`` (any case, spaces around)."""
    from ability2.io.roster import _header_text

    return [j for j, cell in enumerate(header) if _header_text(str(cell)).casefold() in _KEYS]


def roster_regions(roster: Any) -> list[str] | None:
    """The distinct values (stripped) of a read roster's region column, or ``None`` without one."""
    names = [column for column in getattr(roster, "extra_columns", ()) if column.strip().casefold() in _KEYS]
    if not names:
        return None
    values = roster.column(names[0]).str.strip_chars().unique(maintain_order=True)
    return [str(value) for value in values.to_list()]


def check_single_region(roster: Any, policy: Policy) -> None:
    """Refuse a roster whose region column names another region than ``policy``'s.

    With one policy asked for, the column is an ordinary column, kept and passed through as
    contract §2 says of every column it does not name (a district written out, 兖州区, is
    fine). Only cells written as a region (an id such as ``shandong/jining/yanzhou`` or a
    six-digit GB/T 2260 code) are compared: one naming another region means the roster mixes
    regions, and judging its rows by ``policy`` would be wrong, so it is refused with the way
    to evaluate it region by region.
    """
    import re

    values = roster_regions(roster)
    if not values:
        return
    own = {policy.region.id, *([policy.region.code] if policy.region.code else [])}
    written_as_region = re.compile(r"[a-z]+(/[a-z]+)*|[0-9]{6}")
    other = [
        value
        for value in values
        if written_as_region.fullmatch(value.strip("/").lower()) and value.strip("/").lower() not in own
    ]
    if other:
        from ability2.messages import msg

        raise Ability2Error(msg("national.mixed_regions", value=other[0], region=policy.region.id))
