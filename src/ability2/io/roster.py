"""Read a teacher roster (contract §2) into a validated, encoded :class:`~ability2.roster.Roster`.

:func:`read_roster` accepts a CSV or text file, a workbook (first sheet), or a pandas or
polars DataFrame. Every cell is read as text, so ids such as ``007`` keep their zeros. A
roster with any problem is rejected whole: :class:`~ability2.roster.RosterError` lists every
problem, in row order, as ``FILE:ROW:COLUMN: message`` (``-`` for no row or column).

Reading, beyond the letter of the contract:

* Text files: UTF-8 (BOM or not), else GB18030 (covers GBK); UTF-16 with a BOM (Excel's
  "Unicode text") too. Comma separated, or tab or semicolon when the header row reads
  correctly only with those. A file is a workbook when its bytes say so (ZIP or OLE2),
  whatever its suffix; text saved under an Excel suffix is read as text.
* Workbooks (XLSX, XLSM, XLSB, XLS, ODS via python-calamine): numbers shown as a spreadsheet
  shows them (15 significant digits, ``1001`` not ``1001.0``), booleans ``true``/``false``,
  dates ISO. DataFrame float columns are written the same way.
* The header row is the first of the first 20 non-blank rows that names every required
  column (canonical name, any case, or Chinese alias); title rows above it are skipped, in
  CSV files as in workbooks. Row numbers are those a spreadsheet shows: blank lines count.
* Blank rows (every cell empty) are not teachers and are skipped; an unnamed column with
  no data (trailing separators) is dropped, one with data is kept as ``column_N``.
* A row with more fields than the header is a problem, unless the extra fields are empty.
* Cells of recognised columns are stripped of surrounding whitespace; extra columns pass
  through as read. Ability codes are case-insensitive and may be full-width (``Ａ１``).
* Hours are parsed as :class:`~decimal.Decimal` and kept as exact hundredths: ``12.500``
  and ``1e1`` are fine, ``12.345``, negatives, NaN and infinities are problems.

Parsing is done with polars expressions over whole columns; Python only looks at the cells
that fail a check (to word the messages) and at the rare hours values polars does not read
as plain decimals. polars, numpy and python-calamine are imported inside the functions that
use them, so importing this module stays light.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import TYPE_CHECKING, Any

import attrs

from ability2.io.encoding import (
    AbilityLists,
    Distinct,
    GradeLists,
    distinct_columns,
    encode_abilities,
    encode_grades,
    gather_lists,
)
from ability2.messages import Message, msg
from ability2.roster import (
    COLUMNS,
    GRADE_EXCELLENT,
    GRADE_FAIL,
    GRADE_PASS,
    GRADE_UNGRADED,
    HOURS_SCALE,
    Column,
    Factorized,
    Roster,
    RosterError,
    RosterProblem,
)

if TYPE_CHECKING:
    import polars as pl

    from ability2.framework import Framework

__all__ = ["read_roster", "read_roster_part"]

#: the file name problems show for a DataFrame source
DATAFRAME_SOURCE = "<DataFrame>"

#: how many non-blank rows at the top of a file are searched for the header row
HEADER_SEARCH_ROWS = 20

_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
_REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
_REQUIRED_SET = frozenset(_REQUIRED)
_HEADER_KEYS: dict[str, str] = {
    **{c.name.casefold(): c.name for c in COLUMNS},
    **{c.alias.casefold(): c.name for c in COLUMNS},
}

#: separators between ability codes and between grades: ; , 、 ， ； and whitespace, any mix
# a file not in UTF-8 is transcoded this many bytes at a time (see _decode)
_TRANSCODE_BYTES = 1 << 20
_SEPARATORS = r"[;,、，；\s]+"
_SEPARATORS_RE = re.compile(_SEPARATORS)

#: explicit separators between grades; with them an empty slot ("合格;;合格") is a grade not given yet
_GRADE_SEPARATORS = r"\s*[;,、，；]\s*"
_GRADE_SEPARATORS_RE = re.compile(_GRADE_SEPARATORS)
#: joins grade slots: a private-use character, whitespace neither to Python nor to polars (\x1f is to Python)
_SLOT = "\ue000"

_GRADE_WORDS: dict[str, int] = {
    "优秀": GRADE_EXCELLENT,
    "合格": GRADE_PASS,
    "不合格": GRADE_FAIL,
    "excellent": GRADE_EXCELLENT,
    "pass": GRADE_PASS,
    "fail": GRADE_FAIL,
}
_YES_NO: dict[str, int] = {
    "yes": 1,
    "no": 0,
    "是": 1,
    "否": 0,
    "1": 1,
    "0": 0,
    "true": 1,
    "false": 0,
}
_UNKNOWN = -1
#: the columns encoded by their distinct texts (ids and names are not: they rarely repeat)
_CODED_COLUMNS = (
    "school",
    "group",
    "subject",
    "online_hours",
    "offline_hours",
    "abilities",
    "grades",
    "excellent_video",
    "peer_reviews",
)

#: hours that polars encodes directly; anything else goes through Decimal
_PLACES = len(str(HOURS_SCALE)) - 1  # HOURS_SCALE is 10**_PLACES
_PLAIN_HOURS = rf"^[0-9]{{1,{15 - _PLACES}}}(?:\.[0-9]{{0,{_PLACES}}})?$"
_INT64_MAX = 2**63 - 1

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET_MAGIC = b"PAR1"
_STDERR_LOCK = threading.Lock()
_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
_DELIMITERS = (",", "\t", ";")
#: the bytes a file's kind, encoding and header row are first looked for in
_HEAD_BYTES = 1 << 16


@attrs.define
class _Table:
    """A source read as text: header cells, data cells (``c0`` ...) and row numbers (``__row``)."""

    header: list[str]
    header_row: int | None
    data: Any  # pl.DataFrame: String columns c0..c{n-1} (nullable) and Int64 "__row"
    problems: list[RosterProblem] = attrs.field(factory=list)
    #: an upper bound of the cells' total bytes when the source tells one (a text file: its size)
    text_bytes: int | None = None
    #: columns ``c{j}`` read straight into their distinct texts (not in ``data``): unstripped, in order of first appearance
    coded: dict[str, Distinct] = attrs.field(factory=dict)
    #: the bytes of the longest cell of ``data``, when the parser measured it
    longest: int | None = None
    #: columns ``c{j}`` of ``data`` the parser found without a repeated cell
    distinct: frozenset[str] = frozenset()

    def with_texts(self) -> _Table:
        """The table with the columns held as distinct texts back in ``data`` as texts, in column order."""
        if not self.coded:
            return self
        import polars as pl

        data = self.data.with_columns(
            found.values.gather(found.index).alias(name) for name, found in self.coded.items()
        )
        ordered = sorted((c for c in data.columns if c != "__row"), key=_column_position)
        return attrs.evolve(
            self, data=data.select(pl.col("__row"), *ordered), coded={}, longest=None, distinct=frozenset()
        )


def read_roster(source: str | os.PathLike[str] | Any, *, framework: Framework | None = None) -> Roster:
    """Read, validate and encode a teacher roster (contract §2).

    ``source`` is a path (``str`` or path-like) to a CSV/text file or a workbook, or a
    pandas or polars DataFrame. Files are recognised by content (a ZIP or OLE2 container is
    a workbook) and by suffix. ``framework`` supplies the ability codes (default: the
    bundled national framework).

    Returns a :class:`~ability2.roster.Roster` with one teacher per non-blank row, in order.
    Raises :class:`~ability2.roster.RosterError` listing every problem found, in row order;
    bad input never raises anything else.
    """
    if framework is None:
        from ability2.framework import load_framework

        framework = load_framework()
    from ability2.gcpause import paused_gc

    with paused_gc():
        name, table = _load(source)
        return _build(name, table, framework)


def read_roster_part(
    data: Any, header: Sequence[str], *, name: str, header_row: int | None, framework: Framework | None = None
) -> Roster:
    """Read one part of a roster split by rows, naming the problems by the whole file's rows.

    ``data`` is a polars DataFrame with columns ``c0`` ... ``c{n-1}`` (the cells of the
    ``header``'s columns, any type: turned to text as a DataFrame's are) and ``__row``
    (each row's number in the file ``name``). Everything else is :func:`read_roster`: the
    same checks, limits and errors, the part counted on its own.
    """
    import polars as pl

    if framework is None:
        from ability2.framework import load_framework

        framework = load_framework()
    columns = [pl.col("__row").cast(pl.Int64)]
    columns += [_polars_texts(data.get_column(f"c{j}")).alias(f"c{j}") for j in range(len(header))]
    from ability2.gcpause import paused_gc

    with paused_gc():
        table = _within_limits(name, _Table([str(h) for h in header], header_row, data.select(columns)))
        return _build(name, table, framework)


# --------------------------------------------------------------------------- loading


def _load(source: Any, *, texts: bool = False) -> tuple[str, _Table]:
    """The source read as text cells, within the limits on rows and cell length.

    With ``texts``, every column is in the table's ``data`` (none held as distinct texts).
    """
    name, table = _read_source(source)
    table = _within_limits(name, table)
    return name, table.with_texts() if texts else table


def _read_source(source: Any) -> tuple[str, _Table]:
    pandas = sys.modules.get("pandas")
    polars = sys.modules.get("polars")
    # a module that another thread is still importing is in sys.modules without its names yet
    # (no DataFrame of it exists then): getattr, not the attribute, so that threads can read at once
    if polars is not None and isinstance(source, getattr(polars, "DataFrame", ())):
        return DATAFRAME_SOURCE, _from_polars(source)
    if pandas is not None and isinstance(source, getattr(pandas, "DataFrame", ())):
        return DATAFRAME_SOURCE, _from_pandas(source)
    if isinstance(source, str | os.PathLike):
        path = os.fsdecode(os.fspath(source))
        return path, _from_path(path)
    raise TypeError(msg("roster.bad_source", kind=type(source).__name__))


#: at most this many over-long cells are named one by one
_LONG_CELLS_NAMED = 50


def _within_limits(name: str, table: _Table) -> _Table:
    """The table, or a table of problems when it has more rows or longer cells than the limits allow."""
    import numpy as np
    import polars as pl

    from ability2.limits import current, hint

    limits = current()
    frame = table.data
    if frame.height > limits.max_rows:
        return _file_problem(
            name,
            msg("roster.too_many_rows", rows=frame.height, limit=limits.max_rows, hint=hint("max_rows")),
        )
    cells = [c for c in frame.columns if c != "__row"]
    if not (cells or table.coded) or frame.height == 0:
        return table
    # per distinct value of the columns read as distinct texts
    value_bytes = {c: found.values.str.len_bytes().to_numpy() for c, found in table.coded.items()}
    longest = max((int(lengths.max(initial=0)) for lengths in value_bytes.values()), default=0)
    if cells:
        # bytes bound characters from above: the exact count only where some cell could be too long
        measured = table.longest
        if measured is None:
            measured = frame.select(pl.max_horizontal([pl.col(c).str.len_bytes().max() for c in cells])).item() or 0
        longest = max(longest, measured)
    if table.text_bytes is None or table.text_bytes > limits.max_unpacked_bytes:
        # a Parquet dictionary (or a workbook's shared string) repeated on every row reads
        # small, but every cell becomes its own text from here on (the cells of a text file
        # are within its size)
        volume = sum(
            int(np.bincount(table.coded[c].index, minlength=len(lengths)) @ lengths.astype(np.int64))
            for c, lengths in value_bytes.items()
        )
        if cells:
            volume += frame.select(
                pl.sum_horizontal([pl.col(c).str.len_bytes().cast(pl.Int64).sum() for c in cells])
            ).item()
        if volume > limits.max_unpacked_bytes:
            return _file_problem(
                name,
                msg(
                    "roster.too_much_text",
                    volume=volume,
                    limit=limits.max_unpacked_bytes,
                    hint=hint("max_unpacked_bytes"),
                ),
            )
    if longest <= limits.max_cell_chars:
        return table
    problems: list[RosterProblem] = []
    for j, column in enumerate(sorted([*cells, *table.coded], key=_column_position)):
        rows, texts = _too_long_cells(frame, table.coded.get(column), column, limits.max_cell_chars)
        header = (
            table.header[int(column[1:])] if column[1:].isdigit() and int(column[1:]) < len(table.header) else column
        )
        for row, text in zip(rows, texts, strict=True):
            problems.append(
                _problem(
                    name,
                    row,
                    _header_text(header) or f"column_{j + 1}",
                    msg(
                        "roster.cell_too_long",
                        length=len(text),
                        limit=limits.max_cell_chars,
                        hint=hint("max_cell_chars"),
                    ),
                )
            )
    if not problems:
        return table
    problems.sort(key=lambda p: p.row or 0)
    return attrs.evolve(table, problems=[*table.problems, *problems[:_LONG_CELLS_NAMED]])


def _column_position(column: str) -> int:
    """A data column's position ``j`` from its name ``c{j}``."""
    return int(column[1:]) if column[1:].isdigit() else -1


def _too_long_cells(frame: Any, coded: Distinct | None, column: str, limit: int) -> tuple[list[int], list[str]]:
    """The row numbers and texts of the first cells of ``column`` longer than ``limit`` characters."""
    import numpy as np
    import polars as pl

    if coded is None:
        too_long = frame.filter(pl.col(column).str.len_chars() > limit).head(_LONG_CELLS_NAMED)
        return too_long.get_column("__row").to_list(), too_long.get_column(column).to_list()
    long_value = (coded.values.str.len_chars() > limit).to_numpy()
    where = np.flatnonzero(long_value[coded.index])[:_LONG_CELLS_NAMED]
    return frame.get_column("__row").gather(where).to_list(), coded.values.gather(coded.index[where]).to_list()


def _problem(file: str, row: int | None, column: Column | str | None, message: Message) -> RosterProblem:
    """A problem of ``column``: named by its canonical name with the contract's alias, or by its header as written."""
    if isinstance(column, str):
        column = _BY_NAME.get(_canonical(column) or "", column)
    if isinstance(column, Column):
        return RosterProblem(file, row, column.name, message, alias=column.alias)
    return RosterProblem(file, row, column, message)


def _file_problem(path: str, message: Message) -> _Table:
    import polars as pl

    return _Table([], None, pl.DataFrame(schema={"__row": pl.Int64}), [RosterProblem(path, None, None, message)])


def _from_path(path: str) -> _Table:
    import stat

    from ability2.limits import current, hint

    max_bytes = current().max_file_bytes
    not_regular = msg("roster.not_regular_file")
    arrow_tried = False
    try:
        # look before opening: opening a pipe for reading would wait for a writer
        if not stat.S_ISREG(os.stat(path).st_mode):
            return _file_problem(path, not_regular)
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return _file_problem(path, not_regular)
            if status.st_size > max_bytes:
                return _file_problem(
                    path, msg("roster.file_too_large", size=max_bytes / 1024**2, hint=hint("max_file_bytes"))
                )
            head = handle.read(len(codecs.BOM_UTF8) + _HEAD_BYTES)
            if _may_be_text(path, head) and hasattr(os, "pread"):
                # a UTF-8 text file is parsed from the file itself, never held whole
                direct, arrow_tried = _direct_text(handle.fileno(), head, status.st_size)
                if direct is not None:
                    return direct
            handle.seek(0)
            # read(n) reserves n bytes at once: ask for what the file holds (one more shows it grew past the limit)
            raw = handle.read(min(max_bytes, status.st_size) + 1)
            if len(raw) > status.st_size:  # it grew while being read: the rest in pieces, up to the limit
                pieces = [raw]
                size = len(raw)
                while size <= max_bytes and (piece := handle.read(min(1 << 24, max_bytes + 1 - size))):
                    pieces.append(piece)
                    size += len(piece)
                raw = b"".join(pieces)
    except OSError as exc:
        from ability2.failures import os_reason

        return _file_problem(path, msg("roster.cannot_read_file", reason=os_reason(exc)))
    if len(raw) > max_bytes:
        return _file_problem(path, msg("roster.file_too_large", size=max_bytes / 1024**2, hint=hint("max_file_bytes")))
    suffix = os.path.splitext(path)[1].lower()
    if raw.startswith(_PARQUET_MAGIC) or suffix == ".parquet":
        return _from_parquet(path, raw)
    if raw.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return _from_workbook(path, raw)
    if suffix in _WORKBOOK_SUFFIXES:
        # Some school systems export text (CSV, tab separated) under an Excel suffix.
        if b"\x00" not in raw[:65536] and raw.lstrip()[:1] != b"<" and _decode(raw) is not None:
            return _from_text(path, raw)
        return _from_workbook(path, raw)
    return _from_text(path, raw, arrow=not arrow_tried)


def _decode(raw: bytes) -> tuple[bytes, bool] | None:
    """The file's text as UTF-8 bytes and whether it was transcoded: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030.

    A file in another encoding is transcoded a piece at a time, so that the text of the
    whole file (two to four bytes a character in Python) is never held beside it.
    """
    from ability2.io.utf8_lines import is_utf8

    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if is_utf8(raw):
        return raw, False
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "gb18030"
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(raw)
    pieces = []
    try:
        for start in range(0, len(raw), _TRANSCODE_BYTES):
            pieces.append(decoder.decode(view[start : start + _TRANSCODE_BYTES], final=False).encode("utf-8"))
        pieces.append(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        return None
    return b"".join(pieces), True


def _utf8_head(data: bytes) -> str:
    """The first 64 KB of UTF-8 ``data`` as text (a character cut at the end left out)."""
    return codecs.getincrementaldecoder("utf-8")().decode(data[: 1 << 16], final=False)


def _from_text(path: str, raw: bytes, *, arrow: bool = True) -> _Table:
    body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    try:  # UTF-8 goes to polars as is: it rejects invalid UTF-8 itself, so no full decode here
        head = codecs.getincrementaldecoder("utf-8")().decode(body[: 1 << 16], final=False)
    except UnicodeDecodeError:
        head = None
    tried = False
    if head is not None:
        delimiter, header_index, header = _locate_header(head)
        if header is not None:
            tried = True
            table = _fast_csv(body, delimiter, header, header_index, arrow=arrow)
            if table is not None:
                return table
    from ability2.io.utf8_lines import mixed_encoding_lines

    mixed = mixed_encoding_lines(body)
    if mixed:
        message = msg("roster.mixed_encoding")
        problems = [RosterProblem(path, row, None, message) for row in mixed[:50]]
        return _Table([], None, _file_problem(path, message).data, problems)
    decoded = _decode(raw)
    if decoded is None:
        return _file_problem(path, msg("roster.undecodable"))
    data, reencoded = decoded
    delimiter, header_index, header = _locate_header(_utf8_head(data))
    if header is None:
        return _file_problem(path, msg("roster.empty_file"))
    if reencoded or not tried:
        table = _fast_csv(data, delimiter, header, header_index)
        if table is not None:
            return table
    return _python_csv(path, data.decode("utf-8"), delimiter, header, header_index)


def _locate_header(head: str) -> tuple[str, int, list[str] | None]:
    """The delimiter, the header row's record index and its cells (``None``: no non-blank row)."""
    sample = _head_records(head)
    delimiter, header_index = _choose_delimiter(head, sample)
    if header_index is None:
        return delimiter, 0, None
    return delimiter, header_index, sample[delimiter][header_index]


def _head_records(head: str) -> dict[str, list[list[str]]]:
    """The first records of ``head`` under each candidate delimiter (enough to find the header)."""
    records: dict[str, list[list[str]]] = {}
    for delimiter in _DELIMITERS:
        rows: list[list[str]] = []
        nonblank = 0
        try:
            for row in csv.reader(io.StringIO(head, newline=""), delimiter=delimiter):
                rows.append(row)
                nonblank += any(cell.strip() for cell in row)
                if nonblank > HEADER_SEARCH_ROWS:
                    break
        except csv.Error:
            pass
        records[delimiter] = rows
    return records


def _choose_delimiter(text: str, sample: Mapping[str, list[list[str]]]) -> tuple[str, int | None]:
    """The delimiter under which a header row names the required columns, and that row's index."""
    best: tuple[int, str, int | None] = (-1, ",", None)
    for delimiter in _DELIMITERS:
        index, found = _find_header(sample[delimiter])
        if index is not None and found >= _REQUIRED_SET:
            return delimiter, index
        if index is not None and len(found) > best[0]:
            best = (len(found), delimiter, index)
    if best[0] > 0:
        return best[1], best[2]
    # No recognisable header at all: the separator the first line uses most (comma on ties).
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=lambda d: (first.count(d), d == ","))
    return delimiter, _find_header(sample[delimiter])[0]


def _header_text(cell: str) -> str:
    """A header cell as compared and reported: surrounding whitespace (and stray BOMs) removed."""
    return cell.replace("\ufeff", "").strip()


def _canonical(cell: str) -> str | None:
    return _HEADER_KEYS.get(_header_text(cell).casefold())


def _find_header(rows: Sequence[Sequence[str]]) -> tuple[int | None, frozenset[str]]:
    """The header row among the first non-blank rows: the first naming every required column.

    Failing that, the row naming the most columns; failing that, the first non-blank row.
    Returns its index and the canonical columns it names.
    """
    first: int | None = None
    best: tuple[int | None, frozenset[str]] = (None, frozenset())
    seen = 0
    for index, row in enumerate(rows):
        if not any(cell.strip() for cell in row):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            break
        if first is None:
            first = index
        found = frozenset(name for name in map(_canonical, row) if name is not None)
        if found >= _REQUIRED_SET:
            return index, found
        if len(found) > len(best[1]):
            best = (index, found)
    if best[0] is not None:
        return best
    return first, frozenset()


def _fast_csv(
    data: bytes, delimiter: str, header: list[str], header_index: int, *, arrow: bool = True
) -> _Table | None:
    """Fast paths: Arrow (unless ``arrow`` is false: it failed already), then polars; ``None`` when neither can."""
    if arrow:  # quotes only where Arrow and the strict parsers read them alike (ability2.io.quotes)
        from ability2.io.quotes import well_quoted

        quoted = b'"' in data
        if not quoted or well_quoted(data, delimiter):
            table = _arrow_csv(data, len(data), delimiter, header, header_index, quoted=quoted)
            if table is not None:
                return table
    return _polars_csv(data, delimiter, header, header_index)


def _arrow_csv(
    source: bytes | Callable[[], Any],
    size: int,
    delimiter: str,
    header: list[str],
    header_index: int,
    *,
    quoted: bool = True,
) -> _Table | None:
    """Arrow parses the file (``size`` bytes), the repeated columns read as distinct texts; ``None`` when it cannot.

    ``quoted=False``: the caller drops the table when the file has a double quote.
    """
    from ability2.io.arrow_csv import read_coded_csv

    repeated = {j for j, cell in enumerate(header) if _canonical(cell) in _CODED_COLUMNS}
    ids = {j for j, cell in enumerate(header) if _canonical(cell) == "teacher_id"}
    parsed = read_coded_csv(
        source,
        delimiter=delimiter,
        header=header,
        header_index=header_index,
        coded=repeated,
        unique=ids,
        quoted=quoted,
        size=size,
    )
    if parsed is None:
        return None
    return _Table(
        header,
        header_index + 1,
        parsed.texts,
        text_bytes=size,
        coded=parsed.coded,
        longest=parsed.longest,
        distinct=parsed.distinct,
    )


def _may_be_text(path: str, head: bytes) -> bool:
    """Whether a file starting with ``head`` is read as text without looking further (no workbook or Parquet)."""
    suffix = os.path.splitext(path)[1].lower()
    return not (
        head.startswith((_PARQUET_MAGIC, _ZIP_MAGIC, _OLE_MAGIC))
        or suffix == ".parquet"
        or suffix in _WORKBOOK_SUFFIXES
    )


def _direct_text(fd: int, head: bytes, size: int) -> tuple[_Table | None, bool]:
    """A UTF-8 text file parsed by Arrow from the open file ``fd`` itself, block by block, and whether Arrow tried.

    ``head`` is the file's first bytes, ``size`` its size when opened: a file that grows
    while it is read is read as it was (that many bytes), and a file replaced meanwhile is
    not read (the open file is). The table is ``None`` when the head is not UTF-8, names no
    header, or Arrow cannot parse the file, and when a double quote is not well placed
    (:mod:`ability2.io.quotes`): Arrow reads ``"1"0`` as ``10`` where the csv module,
    strict, names the row, so such a file is left to the parsers that do. A file whose head
    has no quote is parsed without looking for quotes (a fifth faster), and again, reading
    them, when one turns up further on.
    """
    body = head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head
    try:  # as _from_text reads the head of a file held whole
        text = codecs.getincrementaldecoder("utf-8")().decode(body[:_HEAD_BYTES], final=False)
    except UnicodeDecodeError:
        return None, False
    delimiter, header_index, header = _locate_header(text)
    if header is None:
        return None, False
    quoted = b'"' in head
    table, streams = _arrow_direct(fd, size, delimiter, header, header_index, quoted=quoted)
    if not quoted and any(opened.quoted for opened in streams):  # a quote past the head: again, reading quotes
        quoted = True
        table, streams = _arrow_direct(fd, size, delimiter, header, header_index, quoted=True)
    # every quote of the file well placed (the head's stream stops early: the body's reads it all)
    if quoted and not all(opened.well_quoted() for opened in streams if opened.at_end):
        return None, True
    return table, True


def _arrow_direct(
    fd: int, size: int, delimiter: str, header: list[str], header_index: int, *, quoted: bool
) -> tuple[_Table | None, list[_Bounded]]:
    """Arrow's parse of the open file ``fd`` (see :func:`_direct_text`), and the streams it read through.

    ``quoted``: quotes are read as quotes, and checked as they are read; else as any other
    character (the caller drops the table when a stream saw one).
    """
    streams: list[_Bounded] = []

    def stream() -> Any:
        import pyarrow as pa

        streams.append(_Bounded(fd, size, delimiter if quoted else None))
        return pa.PythonFile(streams[-1], mode="r")

    try:
        return _arrow_csv(stream, size, delimiter, header, header_index, quoted=quoted), streams
    finally:
        for opened in streams:  # Arrow's read-ahead may still be asking: it gets nothing more
            opened.stop()


class _Bounded(io.RawIOBase):
    """The first ``size`` bytes of the open file ``fd``, read at offsets of its own (``pread``), noting a double quote.

    With a ``delimiter``, the quotes read are checked as they are read
    (:class:`~ability2.io.quotes.QuoteCheck`). The descriptor stays open when the stream is
    closed (its owner closes it), and several streams may read one descriptor at once.
    """

    def __init__(self, fd: int, size: int, delimiter: str | None = None) -> None:
        from ability2.io.quotes import QuoteCheck

        super().__init__()
        self._fd = fd
        self._at = 0
        self._size = size
        self._check = QuoteCheck(delimiter) if delimiter is not None else None
        self._ended = False
        # Arrow reads on threads of its own, and may read ahead after its parse has ended:
        # a read and the owner's questions take turns, and reads after stop() find nothing
        self._turn = threading.Lock()
        self._stopped = False
        #: whether a double quote was read
        self.quoted = False

    def stop(self) -> None:
        """End the reading: every later read returns nothing (the parse that wanted it is over)."""
        with self._turn:
            self._stopped = True

    @property
    def at_end(self) -> bool:
        """Whether every byte was read (or the file ended sooner: it was cut short meanwhile)."""
        with self._turn:
            return self._ended or self._at >= self._size

    def well_quoted(self) -> bool:
        """Whether every quote read was well placed (false when the quotes were not checked)."""
        with self._turn:
            return self._check is not None and self._check.finish()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """At most ``size`` bytes (all that is left when negative), read into one new ``bytes``."""
        with self._turn:
            left = self._size - self._at
            wanted = left if size < 0 else min(size, left)
            if wanted <= 0 or self._stopped:
                return b""
            got = os.pread(self._fd, wanted, self._at)
            self.quoted = self.quoted or b'"' in got
            if self._check is not None:
                self._check.feed(got)
            self._ended = not got  # the place moves once the bytes are checked
            self._at += len(got)
            return got

    def readinto(self, buffer: Any) -> int:
        got = self.read(len(memoryview(buffer).cast("B")))
        memoryview(buffer).cast("B")[: len(got)] = got
        return len(got)


def _polars_csv(data: bytes, delimiter: str, header: list[str], header_index: int) -> _Table | None:
    """Parse with polars; ``None`` when it cannot (ragged or odd rows, or a carriage return alone).

    polars ends lines at line feeds only, where Arrow and the csv module end them at a
    carriage return alone too: such a file is left to the csv module, rows as it counts them.
    """
    import polars as pl

    from ability2.io.quotes import lone_return

    if lone_return(data):
        return None
    width = len(header)
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            separator=delimiter,
            infer_schema=False,
            schema={f"c{j}": pl.String for j in range(width)},
            skip_rows=header_index,
            row_index_name="__row",
            row_index_offset=header_index + 1,
            raise_if_empty=False,
        )
    except Exception:  # polars rejects ragged lines and stray quotes: let the csv module decide
        return None
    if frame.height == 0 or [v if v is not None else "" for v in frame.row(0)[1:]] != header:
        return None
    return _Table(
        header, header_index + 1, frame.slice(1).with_columns(pl.col("__row").cast(pl.Int64)), text_bytes=len(data)
    )


def _python_csv(path: str, text: str, delimiter: str, header: list[str], header_index: int) -> _Table:
    """Slow path: the csv module, which also tells which rows have more fields than the header."""
    import polars as pl

    width = len(header)
    problems: list[RosterProblem] = []
    columns: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    index = -1
    try:
        for index, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)):
            if index <= header_index:
                continue
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                problems.append(
                    RosterProblem(
                        path,
                        index + 1,
                        None,
                        msg("roster.ragged_row", fields=len(record), width=width),
                    )
                )
            rows.append(index + 1)
            for j in range(width):
                columns[j].append(record[j] if j < len(record) else "")
    except csv.Error as exc:  # the rows after a broken quote cannot be told apart: stop here
        said = str(exc)
        detail = (
            msg("roster.csv_unclosed_quote")
            if "end of data" in said
            else msg("roster.csv_nul")
            if "NUL" in said
            else msg("roster.csv_malformed")
        )
        problems.append(RosterProblem(path, index + 2, None, msg("roster.bad_csv_row", detail=detail)))
    frame = pl.DataFrame(
        {
            "__row": pl.Series(rows, dtype=pl.Int64),
            **{f"c{j}": pl.Series(col, dtype=pl.String) for j, col in enumerate(columns)},
        }
    )
    return _Table(header, header_index + 1, frame, problems)


def _from_parquet(path: str, raw: bytes) -> _Table:
    """A Parquet file: measured by its own metadata first, then read by polars and turned to text as a DataFrame is."""
    import polars as pl

    from ability2.io.parquet_extent import ParquetTooLarge, check_parquet
    from ability2.limits import current, hint

    limits = current()
    try:
        check_parquet(
            raw,
            max_rows=limits.max_rows,
            max_unpacked_bytes=limits.max_unpacked_bytes,
            max_unpacked_ratio=limits.max_unpacked_ratio,
        )
    except ParquetTooLarge as exc:
        return _file_problem(path, msg("roster.parquet_unreadable", detail=exc.args[0]))
    failure: str | None = None
    with _stderr_captured() as captured:
        try:
            frame = pl.read_parquet(io.BytesIO(raw))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # corrupt pages, unsupported encodings; a damaged page can make polars panic
            failure = str(exc).strip() or captured() or type(exc).__name__
    if failure is not None:
        detail = failure.splitlines()[0][:300]
        return _file_problem(path, msg("roster.parquet_damaged", detail=detail))
    # a dictionary value repeated on every row reads small but becomes that many cells of text
    allowed = min(limits.max_unpacked_bytes, max(16 * 1024**2, limits.max_unpacked_ratio * len(raw)))
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Object]
    if nested:
        return _file_problem(path, msg("roster.parquet_unreadable", detail=msg("parquet.nested", column=nested[0])))
    sizes = []  # the bytes each text-like column becomes once every cell is its own text
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            sizes.append(pl.col(name).str.len_bytes().cast(pl.Int64).sum())
        elif dtype in (pl.Categorical, pl.Enum) or isinstance(dtype, pl.Categorical | pl.Enum):
            sizes.append(pl.col(name).cat.len_bytes().cast(pl.Int64).sum())
        elif dtype == pl.Binary:
            sizes.append(pl.col(name).bin.size().cast(pl.Int64).sum())
    volume = frame.select(pl.sum_horizontal(sizes)).item() if sizes else 0
    if volume is not None and volume > allowed:
        limit = "max_unpacked_bytes" if allowed >= limits.max_unpacked_bytes else "max_unpacked_ratio"
        return _file_problem(
            path,
            msg(
                "roster.parquet_unreadable",
                detail=msg("parquet.too_much_text", volume=volume, size=len(raw), limit=int(allowed), hint=hint(limit)),
            ),
        )
    return _from_polars(frame)  # rows numbered as in a CSV export: record 1 is row 2


@contextlib.contextmanager
def _stderr_captured() -> Iterator[Callable[[], str]]:
    """Hold what native code writes to the process's standard error (a Rust panic's message) while reading.

    Yields a function giving the text held; it is not shown, so a damaged file ends in one
    clear problem, not a panic report. Python's own ``sys.stderr`` is untouched. Threads
    reading Parquet at once take turns.
    """
    with _STDERR_LOCK:  # file descriptor 2 is the process's: one reader holds it at a time
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no file descriptor 2 (embedded interpreters): nothing to hold
            yield lambda: ""
            return
        with _held_stderr(saved) as text:
            yield text


@contextlib.contextmanager
def _held_stderr(saved: int) -> Iterator[Callable[[], str]]:
    import tempfile

    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)

        def text() -> str:
            held.seek(0)
            return held.read(4096).decode("utf-8", "replace").strip()

        try:
            yield text
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _from_workbook(path: str, raw: bytes) -> _Table:
    import polars as pl
    import python_calamine

    from ability2.io.extent import WorkbookTooLarge, check_workbook
    from ability2.limits import current, hint

    try:
        check_workbook(raw)
    except WorkbookTooLarge as exc:
        return _file_problem(path, msg("roster.workbook_unreadable", detail=exc.args[0]))
    max_cells = current().max_sheet_cells
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        try:
            if not workbook.sheet_names:
                return _file_problem(path, msg("roster.workbook_unreadable", detail=msg("workbook.no_sheets")))
            sheet = workbook.get_sheet_by_index(0)
            if sheet.height * sheet.width > max_cells:  # a second guard, before any Python object is built
                return _file_problem(
                    path,
                    msg(
                        "roster.workbook_unreadable",
                        detail=msg(
                            "workbook.sheet_cells",
                            rows=sheet.height,
                            columns=sheet.width,
                            limit=max_cells,
                            hint=hint("max_sheet_cells"),
                        ),
                    ),
                )
            rows = sheet.to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except Exception as exc:  # corrupt, encrypted or not a workbook at all
        detail = str(exc).strip() or type(exc).__name__
        if raw.startswith(_OLE_MAGIC) and os.path.splitext(path)[1].lower() in {".xlsx", ".xlsm"}:
            return _file_problem(path, msg("roster.workbook_encrypted", detail=detail))
        return _file_problem(path, msg("roster.workbook_unreadable", detail=msg("workbook.library", detail=detail)))
    head = [[_cell_text(v) for v in row] for row in rows[: 4 * HEADER_SEARCH_ROWS]]
    header_index, _ = _find_header(head)
    if header_index is None:
        return _file_problem(path, msg("roster.sheet_empty"))
    header = head[header_index]
    width = len(header)
    body = rows[header_index + 1 :]
    columns: dict[str, Any] = {"__row": pl.int_range(header_index + 2, header_index + 2 + len(body), eager=True)}
    if body:
        for j, cells in enumerate(zip(*body, strict=False)):
            if j < width:
                columns[f"c{j}"] = pl.Series(_texts(cells), dtype=pl.String)
    for j in range(width):
        columns.setdefault(f"c{j}", pl.Series([""] * len(body), dtype=pl.String))
    frame = pl.DataFrame(columns).with_columns(pl.col("__row").cast(pl.Int64))
    return _Table(header, header_index + 1, frame, _lost_digits(path, header, body, header_index + 2))


#: a number cell with this many significant digits has already lost its last ones
_EXACT_DIGITS = 15


def _lost_digits(
    path: str, header: list[str], body: list[Any], first_row: int, holder: str = "workbook"
) -> list[RosterProblem]:
    """Id cells stored as numbers too long for a spreadsheet to keep (18-digit ids).

    The workbook itself has rounded them (110101199001011234 is stored as 110101199001011000).
    """
    problems = []
    for j, cell in enumerate(header):
        if _canonical(cell) != "teacher_id":
            continue
        column = _BY_NAME["teacher_id"]
        for offset, row in enumerate(body):
            value = row[j] if j < len(row) else None
            if (
                isinstance(value, float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and abs(value) >= 10**_EXACT_DIGITS
            ):
                problems.append(
                    _problem(
                        path,
                        first_row + offset,
                        column,
                        msg("roster.id_rounded_workbook", value=_float_text(value), digits=_EXACT_DIGITS)
                        if holder == "workbook"
                        else msg("roster.id_rounded_dataframe", value=_float_text(value), digits=_EXACT_DIGITS),
                    )
                )
    return problems


def _not_unicode(cells: list[str]) -> list[int]:
    """Positions of the cells whose text cannot be written as UTF-8 (lone surrogates from a DataFrame)."""
    broken = []
    for i, cell in enumerate(cells):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:
            broken.append(i)
    return broken


def _texts(cells: Iterable[Any]) -> list[str]:
    return [v if v.__class__ is str else _cell_text(v) for v in cells]


def _float_text(value: float) -> str:
    """A float as a spreadsheet shows it: 15 significant digits, integral values without ``.0``."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    text = f"{value:.15g}"
    if "e" in text and value.is_integer():
        return str(int(value))
    return "0" if text == "-0" else text


def _cell_text(value: Any) -> str:
    """Any cell value as text: ``None`` and NaN are empty, integral floats lose ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if type(value).__name__ in {"NAType", "NaTType"}:
        return ""
    try:
        if value != value:  # NaN-like scalars (numpy, Decimal)
            return ""
    except Exception:
        pass
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return _cell_text(value.item())
    return str(value)


def _from_polars(frame: Any) -> _Table:
    import polars as pl

    header = [str(c) for c in frame.columns]
    columns: dict[str, Any] = {"__row": pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)}
    for j, series in enumerate(frame.get_columns()):
        columns[f"c{j}"] = _polars_texts(series).alias(f"c{j}")
    return _Table(header, 1, pl.DataFrame(columns))


def _polars_texts(series: Any) -> Any:
    """A polars Series of any type as a String Series (nulls stay null)."""
    import polars as pl

    dtype = series.dtype
    if dtype == pl.String:
        return series
    if dtype == pl.Null:
        return series.cast(pl.String)
    if dtype.is_float():
        # As a spreadsheet shows them (see _float_text); polars does the common cases.
        floats = series.cast(pl.Float64).fill_nan(None)
        shortest = floats.cast(pl.String)
        texts = (
            pl.select(
                pl.when((floats == floats.round(0)) & (floats.abs() < 1e15))
                .then(floats.cast(pl.Int64, strict=False).cast(pl.String))
                .when(shortest.str.contains(r"^-?[0-9]{1,13}\.[0-9]{1,2}$"))
                .then(shortest)
                .alias("t")
            )
            .to_series()
            .rename(series.name)
        )
        rest = (floats.is_not_null() & texts.is_null()).arg_true()
        if len(rest):
            fixed = [_float_text(v) for v in floats.gather(rest).to_list()]
            texts = texts.scatter(rest, pl.Series(fixed, dtype=pl.String))
        return texts
    if dtype.is_integer() or dtype == pl.Boolean:
        return series.cast(pl.String)
    try:
        return series.cast(pl.String)
    except Exception:  # nested or object columns
        return pl.Series([None if v is None else _cell_text(v) for v in series.to_list()], dtype=pl.String)


def _from_pandas(frame: Any) -> _Table:
    import numpy as np
    import polars as pl

    header = [str(c) for c in frame.columns]
    columns: dict[str, Any] = {"__row": pl.int_range(2, len(frame) + 2, dtype=pl.Int64, eager=True)}
    problems: list[RosterProblem] = []
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f" and _canonical(header[j]) == "teacher_id":
            # a float column cannot hold an 18-digit id: its last digits are already gone
            values = [[v] for v in column.tolist()]
            problems += _lost_digits(DATAFRAME_SOURCE, [header[j]], values, 2, "dataframe")
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            texts = _polars_texts(pl.Series(column.to_numpy()))
        else:
            values = column.to_numpy(dtype=object, na_value=None)
            try:
                texts = pl.Series(values, dtype=pl.String, strict=True)
            except Exception:
                cells = _texts(values)
                broken = _not_unicode(cells)
                for i in broken[:50]:
                    problems.append(_problem(DATAFRAME_SOURCE, i + 2, header[j], msg("roster.not_unicode")))
                for i in broken:
                    cells[i] = ""
                texts = pl.Series(cells, dtype=pl.String)
        columns[f"c{j}"] = texts.alias(f"c{j}")
    return _Table(header, 1, pl.DataFrame(columns), problems)


# --------------------------------------------------------------------------- validation


def _code_table(framework: Framework) -> tuple[dict[str, int], str]:
    """Every spelling of every ability code (any case, full-width too) -> index; the code ranges."""
    table: dict[str, int] = {}
    for index, ability in enumerate(framework.abilities):
        options = []
        for char in ability.code:
            variants = {char, char.upper(), char.lower()}
            variants |= {chr(ord(v) + 0xFEE0) for v in list(variants) if "!" <= v <= "~"}
            options.append(sorted(variants))
        for spelling in product(*options):
            table.setdefault("".join(spelling), index)
    ranges: dict[str, list[int]] = {}
    for ability in framework.abilities:
        match = re.fullmatch(r"([A-Za-z]+)(\d+)", ability.code)
        if match:
            ranges.setdefault(match[1], []).append(int(match[2]))
    described = ", ".join(f"{p}{min(n)}–{p}{max(n)}" for p, n in ranges.items())
    return table, described


def _tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS_RE.split(text) if t]


def _grade_slots(text: str) -> list[str]:
    """Grades split as the reader splits them: by explicit separators keeping empty slots, else by spaces."""
    slots = re.sub(r"\s+", _SLOT, _GRADE_SEPARATORS_RE.sub(_SLOT, text.strip()))
    return slots.split(_SLOT)


def _hours_value(text: str) -> tuple[int | None, Message | None]:
    """Hours text -> (hundredths, None) or (None, problem message)."""
    if not text:
        return None, msg("roster.hours_empty")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        number = None
    if number is None or "_" in text or not number.is_finite():
        return None, msg("roster.hours_not_number", text=text)
    if number < 0:
        return None, msg("roster.hours_negative", text=text)
    if number.is_zero():
        return 0, None
    # Exact, whatever the length: the coefficient's digits below a hundredth must be zeros.
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    shift = exponent + _PLACES
    if shift < 0 and (-shift > len(digits) or int("".join(map(str, digits[shift:]))) != 0):
        return None, msg("roster.hours_places", text=text)
    if number.adjusted() > 15:
        return None, msg("roster.hours_too_many", text=text)
    coefficient = int("".join(map(str, digits)))
    value = coefficient * 10**shift if shift >= 0 else coefficient // 10**-shift
    if value > _INT64_MAX:
        return None, msg("roster.hours_too_many", text=text)
    return value, None


def _build(name: str, table: _Table, framework: Framework) -> Roster:
    import numpy as np
    import polars as pl

    problems = list(table.problems)
    data = table.data

    # -- headers
    present: dict[str, int] = {}  # canonical name -> column index
    headers: dict[str, str] = {}
    extras: dict[str, int] = {}  # extra column name -> column index
    order: list[tuple[str, int]] = []  # frame columns in file order
    for j, cell in enumerate(table.header):
        written = _header_text(cell)
        canonical = _canonical(written)
        if canonical is not None:
            if canonical in present:
                problems.append(
                    _problem(
                        name,
                        table.header_row,
                        _BY_NAME[canonical],
                        msg("roster.column_twice", first=headers[canonical], second=written),
                    )
                )
                continue
            present[canonical] = j
            headers[canonical] = written
            order.append((canonical, j))
            continue
        if not written and f"c{j}" not in table.coded:
            column = data.get_column(f"c{j}")
            if column.null_count() == len(column) or not (column.fill_null("").str.strip_chars() != "").any():
                continue  # an unnamed, empty column (trailing separators)
            written = f"column_{j + 1}"
        unique, k = written, 2
        while unique in extras or unique in _BY_NAME or unique.startswith("__"):
            # a name the reader uses for its own work (__row ...) is kept under another name
            unique, k = (f"{written}_{k}" if not written.startswith("__") else f"column {written} ({j + 1})"), k + 1
        extras[unique] = j
        order.append((unique, j))
    if table.header or not problems:
        for column_name in _REQUIRED:
            if column_name not in present:
                col = _BY_NAME[column_name]
                problems.append(_problem(name, None, col, msg("roster.missing_column", name=col.name, alias=col.alias)))

    # -- the frame: every cell text ("" when empty); recognised columns stripped. Ids and names
    # are stripped here; the other recognised columns repeat few texts, so they are stripped
    # per distinct text when they are encoded (see coded() below), and in the frame only when
    # some text had spaces to strip.
    stripped_now = {"teacher_id", "name"}
    to_strip = {
        column_name
        for column_name, j in order
        if column_name in stripped_now and _has_spaces_to_strip(data.get_column(f"c{j}"))
    }
    selected = [
        (
            pl.col(f"c{j}").fill_null("").str.strip_chars()
            if column_name in to_strip
            else pl.col(f"c{j}").fill_null("")
        ).alias(column_name)
        for column_name, j in order
        if f"c{j}" not in table.coded
    ]
    # ids the parser found all different (none changed by stripping) need no hashing here
    ids_distinct = (
        "teacher_id" in present and "teacher_id" not in to_strip and f"c{present['teacher_id']}" in table.distinct
    )
    frame = data.select(pl.col("__row"), *selected)
    # the columns the parser read as distinct texts (unstripped)
    read_coded = {column_name: table.coded[f"c{j}"] for column_name, j in order if f"c{j}" in table.coded}
    del data
    table.data = None  # the cells as read are not needed past here: free them before encoding
    table.coded = {}
    if order:
        # a row with an id is not blank: the whole check only when some id is blank (or none is read)
        if "teacher_id" not in present or (frame.get_column("teacher_id") == "").any():
            in_frame = [c for c, _ in order if c not in read_coded]
            keep = np.zeros(frame.height, dtype=bool)
            if in_frame:
                nonblank = pl.any_horizontal(
                    [pl.col(c) != "" if c in stripped_now else pl.col(c).str.strip_chars() != "" for c in in_frame]
                )
                keep |= frame.select(nonblank.alias("keep")).get_column("keep").to_numpy()
            for cells in read_coded.values():
                keep |= cells.gather((cells.values.str.strip_chars() != "").to_numpy())
            if not keep.all():
                frame = frame.filter(pl.Series(keep))
                read_coded = {c: cells.rows(keep) for c, cells in read_coded.items()}
    else:
        frame = frame.clear()
        read_coded = {}
    n = frame.height

    codes_map, ranges = _code_table(framework)
    code_names = [ability.code for ability in framework.abilities]
    row_numbers = frame.get_column("__row").to_numpy()
    bad: dict[str, Any] = {}  # column -> per-row mask of cells with a problem
    detail: dict[str, Any] = {}  # column -> a per-row array its messages need
    distinct_of: dict[str, Distinct] = {}

    def has(column_name: str) -> bool:
        return column_name in present

    def coded(column_name: str, *, first_seen: bool = False) -> Distinct:
        """The column's distinct texts, stripped, and each row's position among them (in order of first appearance)."""
        del first_seen  # always so
        return distinct_of[column_name]

    # every coded column's distinct texts at once (Arrow encodes one column per core); the
    # coded columns live on as their distinct texts only: their cells as read are freed as
    # each is encoded, the frame keeps the rest
    texts = {
        c: frame.get_column(c) for c in _CODED_COLUMNS if c in present and c not in stripped_now and c not in read_coded
    }
    frame = frame.select([c for c in frame.columns if c not in texts])
    encoded = {**read_coded, **distinct_columns(texts)}
    distinct_of.update((c, encoded[c]) for c in _CODED_COLUMNS if c in encoded)
    del read_coded, encoded
    for column_name in list(distinct_of):
        distinct_of[column_name] = distinct_of[column_name].stripped()[0]

    def cell_texts(column_name: str, where: Any) -> list[str]:
        """The (stripped) texts of ``column_name`` at rows ``where``."""
        found = distinct_of.get(column_name)
        if found is None:
            texts: list[str] = frame.get_column(column_name).gather(where).to_list()
            return texts
        return found.values.gather(found.index[where]).to_list()  # type: ignore[no-any-return, unused-ignore]

    duplicated = np.zeros(n, dtype=bool)
    if has("teacher_id"):
        ids = frame.get_column("teacher_id")
        # distinct hashes mean distinct ids; equal hashes are checked exactly
        if not ids_distinct and ids.hash().n_unique() != n:
            duplicated = frame.select((pl.col("teacher_id") != "") & ~pl.col("teacher_id").is_first_distinct())
            duplicated = duplicated.to_series().to_numpy()
        bad["teacher_id"] = (ids == "").to_numpy() | duplicated
        detail["teacher_id"] = duplicated
    if has("school"):
        schools = coded("school", first_seen=True)
        bad["school"] = schools.gather((schools.values == "").to_numpy())
    hours: dict[str, Any] = {}
    for column_name in ("online_hours", "offline_hours"):
        if has(column_name):
            cells = coded(column_name)
            value, wrong = _hours_per_value(cells.values)
            hours[column_name] = cells.gather(value)
            bad[column_name] = cells.gather(wrong)
    abilities: AbilityLists | None = None
    if has("abilities"):
        cells = coded("abilities")
        abilities = encode_abilities(cells.values, codes_map, _SEPARATORS)
        bad["abilities"] = cells.gather(abilities.bad)
    grade_lists: GradeLists | None = None
    if has("grades"):
        cells = coded("grades")
        grade_lists = encode_grades(cells.values, _GRADE_WORDS, _GRADE_SEPARATORS, _SLOT, GRADE_UNGRADED)
        bad["grades"] = cells.gather(grade_lists.bad)
        if abilities is not None:
            listed = coded("abilities").gather(abilities.count)
            given = cells.gather(grade_lists.count)
            bad["grades"] |= (listed > 0) & (given >= 0) & (given != listed)
            detail["grades"] = listed
    flags: dict[str, Any] = {}
    for column_name in ("excellent_video", "peer_reviews"):
        if has(column_name):
            cells = coded(column_name)
            flag = cells.values.str.to_lowercase().replace_strict(
                {"": _UNKNOWN, **_YES_NO}, default=None, return_dtype=pl.Int8
            )
            flags[column_name] = cells.gather(flag.fill_null(_UNKNOWN).to_numpy().astype(np.int8))
            bad[column_name] = cells.gather(flag.is_null().to_numpy())

    # -- word the problems of the failing cells, column by column
    found: list[RosterProblem] = []
    if any(mask.any() for mask in bad.values()):
        first_rows: dict[str, int] = {}
        if duplicated.any():
            twice = frame.filter(pl.Series(duplicated))["teacher_id"].unique()
            firsts = frame.filter(pl.col("teacher_id").is_in(twice.implode()) & ~pl.Series(duplicated))
            first_rows = dict(zip(firsts["teacher_id"].to_list(), firsts["__row"].to_list(), strict=True))
        cells_problems = _CellProblems(name, codes_map, code_names, ranges, first_rows)
        for column in COLUMNS:
            if column.name in bad:
                where = np.flatnonzero(bad[column.name])
                if len(where):
                    found += cells_problems.problems(
                        column,
                        row_numbers[where].tolist(),
                        cell_texts(column.name, where),
                        None if column.name not in detail else detail[column.name][where].tolist(),
                    )
    problems = _merge_by_row(problems, found)
    if not problems and n == 0:
        problems.append(RosterProblem(name, None, None, msg("roster.no_teachers")))

    if problems:
        raise RosterError(problems)

    # -- encode
    assert abilities is not None
    offsets, flat_codes = gather_lists(abilities.codes, coded("abilities").index)
    flat_grades = np.full(int(offsets[-1]), GRADE_UNGRADED, dtype=np.int8)
    if grade_lists is not None:
        grade_cells = coded("grades")
        row_graded = grade_cells.gather(grade_lists.count) >= 0
        if row_graded.any():
            _, given = gather_lists(grade_lists.grades, grade_cells.index, row_graded)
            flat_grades[np.repeat(row_graded, np.diff(offsets))] = given

    def labels(column_name: str) -> Factorized | None:
        if column_name not in present:
            return None
        cells = coded(column_name, first_seen=True)
        return Factorized(cells.index, tuple(cells.values.to_list()))

    factorized = {c: f for c in ("school", "group", "subject") if (f := labels(c)) is not None}

    # the frame holds the uncoded texts (ids, names, extra columns); the rest, and the hours as
    # numbers (the text was checked; the encoded hundredths are exact), are made when asked
    return Roster(
        source=name,
        frame=frame.drop("__row"),
        coded_texts={c: found for c, found in distinct_of.items() if c not in hours},
        column_order=tuple(c for c, _ in order),
        rows=row_numbers,
        # ids, names, schools, groups and subjects: made from the frame or the codes when first read
        teacher_id=None,
        school=None,
        online=hours["online_hours"],
        offline=hours["offline_hours"],
        ability_offsets=offsets,
        ability_codes=flat_codes,
        grades=flat_grades,
        excellent_video=flags.get("excellent_video"),
        peer_reviews=flags.get("peer_reviews"),
        has_grades=has("grades"),
        extra_columns=tuple(extras),
        headers=headers,
        factorized=factorized,
    )


def _has_spaces_to_strip(cells: pl.Series) -> bool:
    """Whether some cell starts or ends with white space: ids and names are stripped only then (no copy of every text otherwise).

    The pattern's white space class is Unicode's, what ``str.strip_chars`` strips.
    """
    return bool(cells.str.contains(r"^\s|\s$").any())


def _hours_per_value(values: pl.Series) -> tuple[Any, Any]:
    """Distinct hours texts -> (hundredths, whether the text is a problem).

    Plain decimals with at most 2 places are read by polars, exactly in hundredths; the
    rest (``1e1``, ``12.500``, words) go through :func:`_hours_value` one distinct text at a time.
    """
    import numpy as np
    import polars as pl

    cell = pl.col("v")
    hundredths = cell.cast(pl.Decimal(18, _PLACES), strict=False).to_physical().cast(pl.Int64)
    parsed = pl.DataFrame({"v": values}).select(pl.when(cell.str.contains(_PLAIN_HOURS)).then(hundredths)).to_series()
    value = parsed.fill_null(0).to_numpy().astype(np.int64, copy=True)
    wrong = parsed.is_null().to_numpy().copy()
    for position in np.flatnonzero(wrong).tolist():
        number, message = _hours_value(values[position])
        if message is None and number is not None:
            value[position], wrong[position] = number, False
    return value, wrong


def _merge_by_row(first: list[RosterProblem], second: list[RosterProblem]) -> list[RosterProblem]:
    """Problems in row order, those of the whole file (row ``None``) first.

    Within a row, ``first`` (problems found while reading: ragged rows) comes before
    ``second`` (cell problems, listed column by column, hence in column order).
    """
    tagged = [(-1 if p.row is None else p.row, 0, i, p) for i, p in enumerate(first)]
    tagged += [(-1 if p.row is None else p.row, 1, i, p) for i, p in enumerate(second)]
    tagged.sort(key=lambda item: item[:3])
    return [item[3] for item in tagged]


@attrs.define
class _CellProblems:
    """Words the problems of the cells polars flagged; only those rows reach Python."""

    file: str
    codes_map: Mapping[str, int]
    code_names: Sequence[str]
    ranges: str
    first_rows: Mapping[str, int]

    def problems(
        self, column: Column, rows: Sequence[int], values: Sequence[str], detail: Sequence[Any] | None
    ) -> list[RosterProblem]:
        """The problems of ``column`` in the flagged cells ``values`` on spreadsheet ``rows``.

        ``detail`` is what the column's check needs beyond the text: whether the teacher id
        is a duplicate, how many abilities the row lists (for its grades).
        """
        check = getattr(self, f"_{column.name}")
        more = [()] * len(rows) if detail is None else [(d,) for d in detail]
        found: list[RosterProblem] = []
        for row, value, extra in zip(rows, values, more, strict=True):
            found += [_problem(self.file, row, column, m) for m in check(value, *extra)]
        return found

    def _teacher_id(self, tid: str, duplicate: bool) -> list[Message]:
        if not tid:
            return [msg("roster.id_empty")]
        return [msg("roster.id_duplicate", id=tid, first=self.first_rows.get(tid, "?"))] if duplicate else []

    def _school(self, _: str) -> list[Message]:
        return [msg("roster.school_empty")]

    def _hours(self, text: str) -> list[Message]:
        _, message = _hours_value(text)
        return [] if message is None else [message]

    _online_hours = _hours
    _offline_hours = _hours

    def _abilities(self, text: str) -> list[Message]:
        tokens = _tokens(text)
        if not tokens:
            return [msg("roster.abilities_empty")]
        messages = []
        unknown = list(dict.fromkeys(t for t in tokens if t not in self.codes_map))
        if unknown:
            messages.append(msg("roster.abilities_unknown", codes=unknown, ranges=self.ranges.split(", ")))
        seen: set[int] = set()
        twice: list[str] = []
        for token in tokens:
            index = self.codes_map.get(token)
            if index is not None:
                if index in seen and self.code_names[index] not in twice:
                    twice.append(self.code_names[index])
                seen.add(index)
        if twice:
            messages.append(msg("roster.abilities_twice", codes=twice))
        return messages

    def _grades(self, text: str, count: int | None = None) -> list[Message]:
        words = _grade_slots(text)
        messages = []
        if count and len(words) != count:  # count: how many abilities the row lists (0: none)
            messages.append(msg("roster.grades_count", given=len(words), count=count))
        unknown = list(dict.fromkeys(w for w in words if w and w.lower() not in _GRADE_WORDS))
        if unknown:
            messages.append(msg("roster.grades_unknown", words=unknown))
        return messages

    def _yes_no(self, text: str) -> list[Message]:
        return [msg("roster.not_yes_no", text=text)]

    _excellent_video = _yes_no
    _peer_reviews = _yes_no
