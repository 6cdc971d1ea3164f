"""A result's three tables as polars DataFrames: teachers, groups and schools.

:func:`table_frame` gives :attr:`Result.teachers <ability2.Result.teachers>`,
:attr:`~ability2.Result.groups` and :attr:`~ability2.Result.schools` column for column as
polars DataFrames, with the same column names and codes as the Python tables and the JSON
report (``status`` is ``pass``, ``fail``, ``excellent`` or ``pending``; one true/false column
per rule; rates as floats; ``failed_rules`` a list of rule ids). The CSV and Parquet exports (:mod:`ability2.reports.export`)
and partitioned evaluation (:mod:`ability2.partition`) write them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from ability2.result import Result

__all__ = ["TABLES", "reasons_frame", "table_frame"]

#: the tables of a result, in this order
TABLES = ("teachers", "groups", "schools")


def table_frame(result: Result, name: str) -> pl.DataFrame:
    """``teachers``, ``groups`` or ``schools`` as a polars DataFrame, column for column the pandas table."""
    import polars as pl

    if name not in TABLES:
        from ability2.messages import msg

        raise Ability2Error(msg("tables.unknown", name=str(name), tables=TABLES))
    if name == "teachers":
        return _teachers_frame(result)
    frame: pd.DataFrame = getattr(result, name)
    table = pl.DataFrame([_series(str(column), frame[column]) for column in frame.columns])
    # rates are fractions: a column of zeros (no school graded yet) is still a column of floats
    rates = [column for column in table.columns if column.endswith("_rate")]
    return table.with_columns(pl.col(rates).cast(pl.Float64)) if rates else table


def _teachers_frame(result: Result) -> pl.DataFrame:
    """The teachers table from the result's columns (not through pandas); ``failed_rules`` a list column made once per distinct list."""
    import polars as pl

    data = result._teacher_data(failed=False)
    codes, distinct = result._failed_sets()
    lists = pl.Series("failed_rules", [list(rules) for rules in distinct], dtype=pl.List(pl.String))
    failed = lists.gather(codes) if len(distinct) else pl.Series("failed_rules", [], dtype=pl.List(pl.String))
    return pl.DataFrame([failed if key == "failed_rules" else _series(key, values) for key, values in data.items()])


#: the columns of :func:`reasons_frame`, in order, with their types
_REASON_COLUMNS = {
    "teacher_id": "String",
    "school": "String",
    "rule": "String",
    "value": "Float64",
    "limit": "Float64",
    "unit": "String",
    "ok": "Boolean",
    "pending": "Boolean",
    "layer": "String",
    "source": "String",
}


def reasons_frame(result: Result) -> pl.DataFrame:
    """:meth:`Result.reasons_table <ability2.Result.reasons_table>` as a polars DataFrame, built rule by rule."""
    import numpy as np
    import polars as pl

    size, rules = len(result), len(result.teacher_columns)
    schema = {name: getattr(pl, dtype) for name, dtype in _REASON_COLUMNS.items()}
    if not size or not rules:
        return pl.DataFrame(schema=schema)
    teachers = pl.DataFrame(
        [
            pl.Series("teacher_id", np.asarray(result.teacher_ids, dtype=object), dtype=pl.String, strict=False),
            pl.Series("school", np.asarray(result.teacher_schools, dtype=object), dtype=pl.String, strict=False),
        ]
    )
    parts = []
    for column in result.teacher_columns:
        values = None if column.value is None else np.asarray(column.value)
        numeric = values is not None and values.dtype.kind in "iuf" and len(values) == size
        limit = column.limit if isinstance(column.limit, int | float) and not isinstance(column.limit, bool) else None
        pending = np.zeros(size, dtype=bool) if column.pending is None else np.asarray(column.pending, dtype=bool)
        parts.append(
            teachers.with_columns(
                pl.lit(column.rule, dtype=pl.String).alias("rule"),
                # a value that is not a number (a list of abilities, a text) is left empty: the message says it
                pl.Series("value", values, dtype=pl.Float64)
                if numeric
                else pl.lit(None, dtype=pl.Float64).alias("value"),
                pl.lit(limit, dtype=pl.Float64).alias("limit"),
                pl.lit(column.unit, dtype=pl.String).alias("unit"),
                pl.Series("ok", np.asarray(column.ok, dtype=bool)),
                pl.Series("pending", pending),
                pl.lit(column.layer, dtype=pl.String).alias("layer"),
                pl.lit(column.source, dtype=pl.String).alias("source"),
            )
        )
    # rule by rule as built; read teacher by teacher (rules in the policy's order)
    order = np.arange(size * rules, dtype=np.int64).reshape(rules, size).T.ravel()
    return pl.concat(parts).select(list(schema))[order]


def _series(name: str, column: Any) -> pl.Series:
    import numpy as np
    import polars as pl

    values = column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)
    if values.dtype.kind in "biuf":
        return pl.Series(name, values)
    # text (pandas str or object): None stays null, everything else its text
    texts = np.asarray(values, dtype=object)
    return pl.Series(name, texts, dtype=pl.String, strict=False)
