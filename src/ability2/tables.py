"""A result's three tables as polars DataFrames: teachers, groups and schools.

:func:`table_frame` gives :attr:`Result.teachers <ability2.Result.teachers>`,
:attr:`~ability2.Result.groups` and :attr:`~ability2.Result.schools` column for column as
polars DataFrames, with the same column names and codes as the Python tables and the JSON
report (``status`` is ``pass``, ``fail``, ``excellent`` or ``pending``; one true/false column
per rule; rates as floats). The CSV and Parquet exports (:mod:`ability2.reports.export`)
and partitioned evaluation (:mod:`ability2.partition`) write them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from ability2.result import Result

__all__ = ["TABLES", "table_frame"]

#: the tables of a result, in this order
TABLES = ("teachers", "groups", "schools")


def table_frame(result: Result, name: str) -> pl.DataFrame:
    """``teachers``, ``groups`` or ``schools`` as a polars DataFrame, column for column the pandas table."""
    import polars as pl

    if name not in TABLES:
        raise Ability2Error(f"unknown table {name!r}; use {', '.join(TABLES)}")
    frame: pd.DataFrame = getattr(result, name)
    table = pl.DataFrame([_series(str(column), frame[column]) for column in frame.columns])
    # rates are fractions: a column of zeros (no school graded yet) is still a column of floats
    rates = [column for column in table.columns if column.endswith("_rate")]
    return table.with_columns(pl.col(rates).cast(pl.Float64)) if rates else table


def _series(name: str, column: Any) -> pl.Series:
    import numpy as np
    import polars as pl

    values = column.to_numpy()
    if values.dtype.kind in "biuf":
        return pl.Series(name, values)
    # text (pandas str or object): None stays null, everything else its text
    texts = np.asarray(values, dtype=object)
    return pl.Series(name, texts, dtype=pl.String, strict=False)
