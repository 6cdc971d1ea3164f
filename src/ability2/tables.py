"""A result's three tables as polars DataFrames: teachers, groups and schools.

:func:`table_frame` gives :attr:`Result.teachers <ability2.Result.teachers>`,
:attr:`~ability2.Result.groups` and :attr:`~ability2.Result.schools` column for column as
polars DataFrames, with the same column names and codes as the Python tables and the JSON
report (``status`` is ``pass``, ``fail``, ``excellent`` or ``pending``; one true/false column
per rule; rates as floats; ``failed_rules`` a list of rule ids). The CSV and Parquet exports (:mod:`ability2.reports.export`)
and partitioned evaluation (:mod:`ability2.partition`) write them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from ability2.result import Result

__all__ = ["TABLES", "TEACHER_SLICE", "reasons_frame", "table_frame", "table_frames"]

#: the tables of a result, in this order
TABLES = ("teachers", "groups", "schools")

#: teachers per frame of :func:`table_frames` (bounds the memory a table being written takes)
TEACHER_SLICE = 100_000


def table_frame(result: Result, name: str) -> pl.DataFrame:
    """``teachers``, ``groups`` or ``schools`` as a polars DataFrame, column for column the pandas table."""
    import polars as pl

    _check_name(name)
    if name == "teachers":
        return _TeacherTable(result).frame(0, len(result), consume=True)
    if name == "groups" and len(result.group_keys):
        return _groups_frame(result)
    frame: pd.DataFrame = getattr(result, name)
    table = pl.DataFrame([_series(str(column), frame[column]) for column in frame.columns])
    # rates are fractions: a column of zeros (no school graded yet) is still a column of floats
    rates = [column for column in table.columns if column.endswith("_rate")]
    return table.with_columns(pl.col(rates).cast(pl.Float64)) if rates else table


def table_frames(result: Result, name: str, rows: int | None = None) -> Iterator[pl.DataFrame]:
    """:func:`table_frame`, ``rows`` rows at a time (:data:`TEACHER_SLICE` by default; at least one frame).

    The teachers table of a large result is built a slice at a time from the result's
    arrays, so writing it slice by slice never holds it whole; groups and schools come in
    one frame.
    """
    _check_name(name)
    step = max(TEACHER_SLICE if rows is None else rows, 1)
    if name != "teachers" or len(result) <= step:
        yield table_frame(result, name)
        return
    table = _TeacherTable(result)
    for start in range(0, len(result), step):
        yield table.frame(start, min(start + step, len(result)))


def _check_name(name: str) -> None:
    if name not in TABLES:
        from ability2.messages import msg

        raise Ability2Error(msg("tables.unknown", name=str(name), tables=TABLES))


class _TeacherTable:
    """The teachers table's columns as arrays, and the texts held as codes; frames of any slice of rows.

    School, group, subject and status are gathered from their few distinct texts by the
    codes the roster and the evaluator keep (no text object per teacher); ``failed_rules``
    from the distinct lists of failed rules.
    """

    def __init__(self, result: Result) -> None:
        import numpy as np
        import polars as pl

        from ability2.roster import Factorized

        # texts as polars Series (ids, names) or the roster's codes (schools, groups, subjects)
        self.data = result._teacher_data(failed=False, decode=False)
        codes, distinct = result._failed_sets()
        self.failed = (pl.Series("failed_rules", [list(rules) for rules in distinct], dtype=pl.List(pl.String)), codes)
        self.coded: dict[str, tuple[pl.Series, np.ndarray[Any, Any]]] = {}
        for column, values in self.data.items():
            if isinstance(values, Factorized):
                self.coded[column] = (_texts(column, values.values), np.asarray(values.codes))
        status = result._status_codes()
        if status is not None and "status" in self.data:
            self.coded["status"] = (_texts("status", status[1]), np.asarray(status[0]))

    def frame(self, start: int, stop: int, *, consume: bool = False) -> pl.DataFrame:
        """Rows ``start`` to ``stop`` of the teachers table.

        ``consume`` lets each array go once it is a polars column (the whole table at once:
        the arrays and the frame are not both whole in memory); the table makes no frame after.
        """
        import polars as pl

        columns = []
        for key in list(self.data):
            values = self.data.pop(key) if consume else self.data[key]
            if key == "failed_rules":
                lists, codes = self.failed
                columns.append(lists.gather(codes[start:stop]) if len(lists) else lists.clear(stop - start))
            elif key in self.coded:
                texts, codes = self.coded[key]
                columns.append(texts.gather(codes[start:stop]))
            elif isinstance(values, pl.Series):
                columns.append(values.slice(start, stop - start).alias(key))
            else:
                columns.append(_series(key, values[start:stop]))
        return pl.DataFrame(columns)


def _texts(name: str, values: Any) -> pl.Series:
    """Distinct texts as a polars column (``None`` stays null, as :func:`_series` reads it)."""
    import numpy as np

    table = np.empty(len(values), dtype=object)
    table[:] = list(values)
    return _series(name, table)


def _groups_frame(result: Result) -> pl.DataFrame:
    """The groups table from the result's columns (not row by row through pandas)."""
    import numpy as np
    import polars as pl

    fields: dict[str, Any] = dict(result._group_fields())
    for column in result.group_columns:
        if column.rule in fields:  # a rule named like a field: as the pandas table reads it
            frame: pd.DataFrame = result.groups
            return pl.DataFrame([_series(str(name), frame[name]) for name in frame.columns])
        fields[column.rule] = np.asarray(column.ok, dtype=bool)
    return pl.DataFrame(
        [
            _series(name, np.asarray(values, dtype=np.int64) if name == "teachers" else _array(values))
            for name, values in fields.items()
        ]
    )


def _array(values: Any) -> Any:
    import numpy as np

    if isinstance(values, np.ndarray):
        return values
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table


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
    teachers = pl.DataFrame([result.text_column("teacher_id"), result.text_column("school")])
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
