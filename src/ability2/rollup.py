"""The national roll-up: teachers and schools counted by nation, province, city and county.

:func:`rollup` turns counts per region (:class:`~ability2.partition.Totals`, added up from
the parts of a partitioned or Dask evaluation, never recomputed) into one table with a row
per area:

* ``nation``: every row;
* ``province``, ``city``, ``county``: keyed by the GB/T 2260 code's first 2, 4 and 6 digits
  (``370000``, ``370800``, ``370812``) of the region that judged the rows, or of its nearest
  ancestor with a code (a school-level region such as ``jiangsu/changzhou/jintan/baita``
  counts in its county, 320413). A region above a level (a province's own rows) is counted at
  its level and above only: the city and county rows hold the rows of some city and county.
  A region without any code (a third-party plugin may leave it out) is keyed by the id of its
  ancestor at each level.

Columns: ``level``, ``code`` (six digits, zeros past the level; empty for the nation or an
area known by id only), ``region`` (the installed region with that code or id, else empty),
``name`` (its Chinese name; ``name_en`` in English when the plugin gives one), ``teachers``,
``passed``, ``excellent``, ``failed``, ``pending``, ``pass_rate``, ``excellent_rate``,
``schools``, ``schools_passed``, ``schools_failed``, ``school_pass_rate``. Rows: the nation,
then each province with its cities and their counties, by code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ability2.totals import Totals

if TYPE_CHECKING:
    import polars as pl

    from ability2.model import Region
    from ability2.registry import Registry

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "ROLLUP_COLUMNS",
    "area_label",
    "read_regions",
    "rollup",
    "rollup_rows",
]

#: the levels of the roll-up, widest first
LEVELS = ("nation", "province", "city", "county")
#: the digits of a GB/T 2260 code that name an area of each level
_DIGITS = {"province": 2, "city": 4, "county": 6}
#: the roll-up's columns, in order
ROLLUP_COLUMNS = (
    "level",
    "code",
    "region",
    "name",
    "name_en",
    "teachers",
    "passed",
    "excellent",
    "failed",
    "pending",
    "pass_rate",
    "excellent_rate",
    "schools",
    "schools_passed",
    "schools_failed",
    "school_pass_rate",
)


def _area_keys(region: Region, registry: Registry) -> list[tuple[str, str, str]]:
    """The areas a region's rows count in: (level, code, id) for each level it reaches."""
    chain = registry.chain(region)
    coded = next((r for r in reversed(chain) if r.code and len(r.code) == 6 and r.code.isdigit()), None)
    keys = [("nation", "", "cn")]
    for level, digits in _DIGITS.items():
        at_level = next((r for r in chain if r.level.value == level), None)
        if coded is not None:
            prefix = coded.code[:digits] if coded.code else ""
            if digits > 2 and set(prefix[digits - 2 :]) == {"0"}:
                continue  # the region is above this level (a province's or city's own rows)
            keys.append((level, prefix.ljust(6, "0"), ""))
        elif at_level is not None:
            keys.append((level, "", at_level.id))
    return keys


def rollup(regions: Mapping[str, Totals], registry: Registry | None = None) -> pl.DataFrame:
    """The roll-up table of counts per region id (``{region id: Totals}``): one row per area, nation first."""
    import polars as pl

    if registry is None:
        from ability2.registry import default_registry

        registry = default_registry()
    by_code = {r.code: r for r in registry.regions() if r.code}
    areas: dict[tuple[str, str, str], Totals] = {}
    for region_id, totals in regions.items():
        for key in _area_keys(registry.region(region_id), registry):
            areas[key] = areas.get(key, Totals()) + totals
    records = []
    for (level, code, rid), totals in areas.items():
        known = by_code.get(code) if code else (registry.region(rid) if rid else None)
        schools_failed = totals.schools - totals.schools_passed
        records.append(
            {
                "level": level,
                "code": code,
                "region": known.id if known is not None else "",
                "name": "全国" if level == "nation" else (known.name if known is not None else ""),
                "name_en": "China" if level == "nation" else ((known.name_en or "") if known is not None else ""),
                "teachers": totals.teachers,
                "passed": totals.passed,
                "excellent": totals.excellent,
                "failed": totals.failed,
                "pending": totals.pending,
                "pass_rate": totals.pass_rate,
                "excellent_rate": totals.excellent_rate,
                "schools": totals.schools,
                "schools_passed": totals.schools_passed,
                "schools_failed": schools_failed,
                "school_pass_rate": round(totals.schools_passed / totals.schools, 6) if totals.schools else 0.0,
            }
        )
    schema = {
        **{name: pl.String for name in ROLLUP_COLUMNS[:5]},
        **{name: pl.Int64 for name in ("teachers", "passed", "excellent", "failed", "pending")},
        "pass_rate": pl.Float64,
        "excellent_rate": pl.Float64,
        **{name: pl.Int64 for name in ("schools", "schools_passed", "schools_failed")},
        "school_pass_rate": pl.Float64,
    }
    frame = pl.DataFrame(records, schema=schema)
    order = {level: k for k, level in enumerate(LEVELS)}

    def sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
        # a province, then its cities each followed by its counties: by code, the nation first
        code = row["code"] or "~" + row["region"]
        return (
            row["level"] != "nation",
            code[:2],
            code[2:4] if row["level"] != "province" else "",
            order[row["level"]],
            code,
        )

    rows = sorted(frame.iter_rows(named=True), key=sort_key)
    return pl.DataFrame(rows, schema=schema) if rows else frame


def read_regions(totals_file: str | os.PathLike[str]) -> dict[str, Totals]:
    """The counts per region a ``totals.json`` of a regional evaluation holds (``{}`` for one region)."""
    record = json.loads(Path(totals_file).read_text(encoding="utf-8"))
    return {rid: Totals(**counts) for rid, counts in record.get("regions", {}).items()}


#: the roll-up's shown columns (``rollup_rows``), in Chinese and English
_SHOWN = (
    ("level", "级别", "level"),
    ("code", "代码", "code"),
    ("name", "地区", "area"),
    ("teachers", "教师", "teachers"),
    ("passed", "合格", "passed"),
    ("excellent", "优秀", "excellent"),
    ("pass_rate", "合格率", "pass rate"),
    ("excellent_rate", "优秀率", "excellent rate"),
    ("schools", "学校", "schools"),
    ("schools_passed", "学校达标", "schools passed"),
    ("schools_failed", "学校未达标", "schools failed"),
)
#: each level's name, in Chinese and English
LEVEL_NAMES = {
    "nation": ("全国", "nation"),
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
}


def area_label(row: Mapping[str, Any], lang: str = "zh") -> str:
    """An area's name in ``lang`` (its code, or its region id, when the name is not known)."""
    if lang == "en":
        return str(row["name_en"] or row["region"] or row["code"])
    return str(row["name"] or row["region"] or row["code"])


def rollup_rows(frame: pl.DataFrame, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """The roll-up as text: the header and one line per area, in ``lang`` (``zh`` or ``en``)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}; use 'zh' or 'en'")
    pick = 1 if lang == "zh" else 2
    header = [names[pick] for names in _SHOWN]
    lines = []
    for row in frame.iter_rows(named=True):
        cells = []
        for column, *_ in _SHOWN:
            value = row[column]
            if column == "level":
                cells.append(LEVEL_NAMES[value][pick - 1])
            elif column == "name":
                cells.append(area_label(row, lang))
            elif column.endswith("_rate"):
                cells.append(f"{value:.1%}")
            elif isinstance(value, int):
                cells.append(f"{value:,}")
            else:
                cells.append(str(value))
        lines.append(cells)
    return header, lines
