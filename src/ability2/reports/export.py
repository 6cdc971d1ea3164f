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
  ``failed_rules`` (a list in the DataFrames) is one cell of rule ids joined by ``;``.
* **Parquet**: typed columns (text, booleans, integers, hours and rates as floats,
  ``failed_rules`` a list of texts), zstd compressed, text stored as written.

Each file is written beside its target and renamed into place when complete
(:func:`~ability2.files.write_atomic`), so an error never leaves a partial file.
polars writes the files; it is imported when a table is written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ability2.errors import Ability2Error
from ability2.messages import msg
from ability2.tables import TABLES, table_frame, table_frames

if TYPE_CHECKING:
    import polars as pl

    from ability2.result import Result

__all__ = [
    "TABLES",
    "TABLE_FORMATS",
    "check_folder",
    "output_folder",
    "table_frame",
    "write_csv_frames",
    "write_frame",
    "write_tables",
]

#: the formats :func:`write_tables` writes
TABLE_FORMATS = ("csv", "parquet")

#: a text cell a spreadsheet would read as a formula: = + - @ after optional whitespace
_FORMULA = r"^\s*[=+\-@]"


def write_tables(result: Result, folder: str | os.PathLike[str], fmt: str) -> list[Path]:
    """Write the ``teachers``, ``groups`` and ``schools`` tables into ``folder`` as ``csv`` or ``parquet``.

    ``folder`` is created when its parent exists; files already there under the same names
    are replaced, others are left alone. Returns the paths written. Raises
    :class:`~ability2.errors.Ability2Error` before any work when the format is unknown or
    the folder cannot be written.
    """
    from ability2.files import open_temporary, write_atomic

    if fmt not in TABLE_FORMATS:
        raise Ability2Error(msg("reports.unknown_table_format", fmt=str(fmt), formats=tuple(TABLE_FORMATS)))
    target = check_folder(folder)
    written: list[Path] = []
    for name in TABLES:

        def write(temporary: Path, name: str = name) -> None:
            if fmt == "csv":  # a slice of rows at a time: the table is never whole in memory
                with open_temporary(temporary) as handle:
                    write_csv_frames(table_frames(result, name), handle)
            else:
                write_frame(table_frame(result, name), temporary, fmt)

        written.append(write_atomic(target / f"{name}.{fmt}", write))
    return written


def write_csv_frames(frames: Iterable[pl.DataFrame], handle: BinaryIO) -> None:
    """Write the slices of one table to ``handle`` as one CSV file: what :func:`write_frame` writes of them joined."""
    for number, frame in enumerate(frames):
        first = number == 0
        _neutralised(_joined(frame)).write_csv(handle, include_bom=first, include_header=first)


def write_frame(frame: pl.DataFrame, path: str | os.PathLike[str], fmt: str) -> None:
    """Write one table to ``path`` as ``csv`` (UTF-8 with BOM, formulas guarded) or ``parquet`` (zstd)."""
    path = Path(path)
    if fmt == "csv":
        _neutralised(_joined(frame)).write_csv(path, include_bom=True)
    elif fmt == "parquet":
        frame.write_parquet(path, compression="zstd")
    else:
        raise Ability2Error(msg("reports.unknown_table_format", fmt=str(fmt), formats=tuple(TABLE_FORMATS)))


def check_folder(folder: str | os.PathLike[str], *, create: bool = True) -> Path:
    """``folder``, created when missing and its parent exists; refuses a file or an unwritable folder.

    With ``create=False`` a missing folder is only checked (its parent exists and is
    writable), not made: a command checks its output before any work, and makes the folder
    only when it writes.
    """
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise Ability2Error(msg("reports.folder_is_file", folder=str(path)))
    if not path.exists():
        if not path.parent.is_dir():
            raise Ability2Error(msg("reports.no_parent", folder=str(path), parent=str(path.parent)))
        if not create:
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise Ability2Error(msg("reports.parent_not_writable", folder=str(path), parent=str(path.parent)))
            return path
        try:
            path.mkdir()
        except OSError as exc:
            raise Ability2Error(
                msg("reports.cannot_create", folder=str(path), reason=exc.strerror or str(exc))
            ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise Ability2Error(msg("reports.not_writable", folder=str(path)))
    return path


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """:func:`check_folder` for a run that may fail: a folder it made is removed again (when empty) on failure."""
    path = Path(folder)
    existed = path.exists()
    target = check_folder(path)
    try:
        yield target
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                target.rmdir()  # only an empty folder: nothing of the run is left, nothing else is touched
        raise


def _joined(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns (``failed_rules``) as one text cell each, ``;``-joined: a CSV cell holds no list."""
    import polars as pl

    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(name).list.join(";") for name in lists) if lists else frame


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
