"""The result's three tables as files: CSV or Parquet, for cohorts that outgrow a workbook.

:func:`write_tables` writes ``teachers``, ``groups`` and ``schools`` (the tables of
:attr:`Result.teachers <ability2.Result.teachers>`, :attr:`~ability2.Result.groups` and
:attr:`~ability2.Result.schools`) into one folder, one file each: ``teachers.csv``,
``groups.csv``, ``schools.csv`` (or ``.parquet``). These are data for programs, with the
same column names and codes as the Python tables and the JSON report (``status`` is
``pass``, ``fail``, ``excellent`` or ``pending``; one true/false column per rule); people
read the xlsx or HTML report.

* **CSV**: UTF-8 with a byte-order mark (so Excel and WPS open Chinese text correctly),
  comma separated, a header row; true/false as ``true``/``false``. Every text cell and
  header that a spreadsheet would run as a formula (``= + - @``, see
  :mod:`~ability2.reports.safety`) is written with a leading ``'``.
* **Parquet**: typed columns (text, booleans, integers, rates as floats), zstd compressed,
  text stored as written.

Each file is written beside its target and renamed into place when complete
(:func:`~ability2.files.write_atomic`), so an error never leaves a partial file.
polars writes the files; it is imported when a table is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from ability2.result import Result

__all__ = ["TABLES", "TABLE_FORMATS", "table_frame", "write_tables"]

#: the tables written, in this order
TABLES = ("teachers", "groups", "schools")
#: the formats :func:`write_tables` writes
TABLE_FORMATS = ("csv", "parquet")

#: a text cell a spreadsheet would read as a formula: = + - @ after optional whitespace
_FORMULA = r"^\s*[=+\-@]"


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


def write_tables(result: Result, folder: str | os.PathLike[str], fmt: str) -> list[Path]:
    """Write the ``teachers``, ``groups`` and ``schools`` tables into ``folder`` as ``csv`` or ``parquet``.

    ``folder`` is created when its parent exists; files already there under the same names
    are replaced, others are left alone. Returns the paths written. Raises
    :class:`~ability2.errors.Ability2Error` before any work when the format is unknown or
    the folder cannot be written.
    """
    from ability2.files import write_atomic

    if fmt not in TABLE_FORMATS:
        raise Ability2Error(f"unknown table format {fmt!r}; expected one of: {', '.join(TABLE_FORMATS)}")
    target = check_folder(folder)
    written: list[Path] = []
    for name in TABLES:
        frame = table_frame(result, name)

        def write(temporary: Path, frame: pl.DataFrame = frame) -> None:
            if fmt == "csv":
                _neutralised(frame).write_csv(temporary, include_bom=True)
            else:
                frame.write_parquet(temporary, compression="zstd")

        written.append(write_atomic(target / f"{name}.{fmt}", write))
    return written


def check_folder(folder: str | os.PathLike[str]) -> Path:
    """``folder``, created when missing and its parent exists; refuses a file or an unwritable folder."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise Ability2Error(f"cannot write the tables into {path}: it is a file; give a folder")
    if not path.exists():
        if not path.parent.is_dir():
            raise Ability2Error(f"cannot write the tables into {path}: folder {path.parent} does not exist")
        try:
            path.mkdir()
        except OSError as exc:
            raise Ability2Error(f"cannot create folder {path}: {exc.strerror or exc}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise Ability2Error(f"cannot write the tables into {path}: the folder is not writable")
    return path


def _neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as formulas, prefixed with ``'``."""
    import polars as pl

    from ability2.reports.safety import neutralise

    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    frame = frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )
    # a roster's extra column may be headed like a formula too
    return frame.rename({name: neutralise(name) for name in frame.columns if neutralise(name) != name})
