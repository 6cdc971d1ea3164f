"""The xlsx report's workbook, written as XML parts: whole columns at a time, streamed into the ZIP.

A worksheet's rows are XML (``<row r="2"><c r="A2" t="inlineStr"><is><t>T1</t></is></c>…``).
Writing them cell by cell through a general library costs microseconds a cell, minutes for a
province. Here a sheet is described first (its header, its columns of values, its cells put
one by one, its widths and panes) and then written in blocks of :data:`CHUNK_ROWS` rows: each
column becomes the XML of its cells for the block at once (its texts between two literals, or
one lookup per distinct value), the block's rows are joined by Arrow's
``binary_join_element_wise`` into one buffer and deflated on their own by worker threads (Arrow
and ISA-L work without the interpreter lock), and the blocks are appended in order to the part
in the archive (:mod:`._zip`). A few blocks are in flight at a time, so memory stays bounded
whatever the size.

The worksheet XML is that of XlsxWriter's constant-memory mode, byte for byte but for the
style numbers (XlsxWriter numbered styles in order of first use; here they are fixed): inline strings
(with its ``_xHHHH_`` escapes for control characters, ``xml:space="preserve"`` for text with
leading or trailing white space), numbers as ``{:.16G}``, booleans as ``t="b"``, its panes,
column widths, autofilters; ``styles.xml`` has every style the report uses in a fixed order,
the theme and document properties are XlsxWriter's. Every text cell passes the formula guard
(:func:`~ability2.reports.safety.neutralise`) and Excel's 32,767-character limit (the cut says
so in the cell).

Columns are of two kinds. A :class:`DictColumn` holds integer codes into a table of distinct
values (statuses, schools, ✓/✗, numbers): each distinct value's cell XML and width is made once,
in Python, by :func:`cell`, the one reference of what a value becomes. A :class:`TextColumn`
holds texts that rarely repeat (ids, names): their XML is built by vectorised expressions
that give the same bytes as :func:`cell` (the rare text that needs an escape beyond ``& < >``,
or is near the length limit, goes through :func:`cell` itself).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from ability2.reports._xlsx_theme import THEME_XML
from ability2.reports._zip import ZIP32_LIMIT, ZipWriter
from ability2.reports.safety import neutralise

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
    import pyarrow as pa

    from ability2.reports.printing import PrintSetup

__all__ = [
    "EXCEL_MAX_CELL",
    "STYLES",
    "Column",
    "DictColumn",
    "Sheet",
    "TextColumn",
    "Workbook",
    "cell",
    "column",
    "display_width",
    "shown_text",
]

#: characters Excel keeps in one cell (UTF-16 units)
EXCEL_MAX_CELL = 32_767

#: the cell styles, by name, as their index in ``styles.xml`` (0 is the default, unstyled)
STYLES: dict[str, int] = {
    "header": 1,
    "excellent": 2,
    "ok": 3,
    "pass": 4,
    "pending": 5,
    "fail": 6,
    "bad": 7,
    "pct": 8,
    "wrap": 9,
    "total": 10,
    "total_pct": 11,
    "text": 12,
}

#: rows built and deflated at a time
CHUNK_ROWS = 4096
#: threads making and deflating blocks of rows ahead of the one that writes them (each holds a block or two)
WORKERS = max(2, min(4, os.cpu_count() or 2))

_MIN_WIDTH = 4
_MAX_WIDTH = 60

# -- one value ------------------------------------------------------------------------------

#: what Python counts as white space (str.isspace: what str.lstrip strips and re's \s matches), listed
#: (tests check it against str.isspace)
SPACE_CHARACTERS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# the same, as the inside of a character class for polars' regular expressions
_SPACE = "".join(f"\\x{{{ord(ch):x}}}" for ch in SPACE_CHARACTERS)
_FORMULA_RE = rf"^[{_SPACE}]*[=+\-@]"
_EDGE_SPACE_RE = rf"^[{_SPACE}]|[{_SPACE}]$"
# text that needs an escape beyond & < >: Excel's _xHHHH_ escapes (and text that looks like one)
_SPECIAL_RE = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]"
#: text that is not its own XML: guarded, escaped or with spaces to keep
_ODD_RE = rf"{_FORMULA_RE}|{_EDGE_SPACE_RE}|[&<>]|{_SPECIAL_RE}"
#: odd texts in a block made one by one; more, by expressions
_FEW = 64
_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
# control characters XML 1.0 cannot hold (tab and line feed it can), and lone surrogates UTF-8 cannot
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")
#: texts longer than this (in characters) may pass the limit in UTF-16 units: they go through :func:`cell`
_LONG = EXCEL_MAX_CELL // 2

_INLINE = ' t="inlineStr"><is><t'
_INLINE_END = "</t></is></c>"


def display_width(value: str) -> int:
    """Columns ``value`` takes on screen: wide (CJK) characters count double; the longest line."""
    if value.isascii() and "\n" not in value:  # ids, codes, numbers: one column a character
        return len(value)
    best = 0
    for line in value.split("\n"):
        width = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
        best = max(best, width)
    return best


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cut(text: str, units: int) -> str:
    """The longest start of ``text`` that fits in ``units`` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def shown_text(text: str) -> str:
    """``text`` as its cell shows it: formula-guarded, and cut to Excel's limit with a note saying so."""
    shown = neutralise(text)
    if len(shown) > _LONG and _utf16_len(shown) > EXCEL_MAX_CELL:
        # Excel holds 32,767 characters in a cell: say so in the cell, never cut without a word
        note = f"…[{len(shown):,} characters; Excel keeps {EXCEL_MAX_CELL:,}: the json report has the full text]"
        shown = _cut(shown, EXCEL_MAX_CELL - len(note)) + note
    return shown


def _escape(text: str) -> tuple[str, bool]:
    """``text`` for a ``<t>`` element, and whether it needs ``xml:space="preserve"``.

    Excel's escapes first (as XlsxWriter makes them): a text that already reads like an escape
    (``_x0041_``) gets its underscore escaped, then each control character becomes ``_xHHHH_``;
    then XML's ``& < >``.
    """
    if "_x" in text:
        text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = text[:1].isspace() or text[-1:].isspace()
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, preserve


def _style(style: str | None) -> str:
    return f' s="{STYLES[style]}"' if style is not None else ""


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return value
    return value


def cell(value: Any, style: str | None = None) -> tuple[str | None, int]:
    """What ``value`` becomes in a cell: the XML after ``<c r="A1"`` (``None``: no cell), and its width.

    ``None`` and NaN are an empty cell (written only to carry a style); booleans, numbers
    (``{:.16G}``, width of ``{:g}``, two more for a percentage) and infinities (as text) as
    XlsxWriter writes them; anything else is text: :func:`shown_text`, escaped.
    """
    value = _plain(value)
    attr = _style(style)
    if value is None:
        return (attr + "/>" if style is not None else None), 0
    if isinstance(value, bool):
        return f'{attr} t="b"><v>{1 if value else 0}</v></c>', 5
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            if math.isnan(value):
                return (attr + "/>" if style is not None else None), 0
            text = str(value)
            return f"{attr}{_INLINE}>{text}{_INLINE_END}", len(text)
        return f"{attr}><v>{value:.16G}</v></c>", len(f"{value:g}") + (2 if style == "pct" else 0)
    shown = shown_text(value if isinstance(value, str) else str(value))
    text, preserve = _escape(shown)
    space = ' xml:space="preserve"' if preserve else ""
    return f"{attr}{_INLINE}{space}>{text}{_INLINE_END}", display_width(shown)


def column_name(index: int) -> str:
    """Excel's letters for 0-based column ``index``: 0 is A, 26 is AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


# -- columns --------------------------------------------------------------------------------


class Column:
    """A column of cells for consecutive rows: the XML of a block of them, its width, its extent."""

    #: cells in the column (rows, counting those without a cell)
    size: int = 0
    #: the widest cell, in display columns (0: no cell has a width)
    width: int = 0
    #: index of the last row with a cell (-1: none)
    last: int = -1
    #: whether some row has no cell
    gaps: bool = False
    #: an upper bound of the bytes of XML the column writes
    bound: int = 0

    def bodies(self, start: int, stop: int, suffix: str = "") -> pl.Series:
        """For rows ``start:stop``, each cell's XML after ``<c r="A1"``, then ``suffix`` (null: no cell)."""
        raise NotImplementedError

    def parts(self, start: int, stop: int, suffix: str = "") -> list[str | pa.Array]:
        """:meth:`bodies` as pieces to join row by row: texts (the same in every row) and Arrow string arrays.

        Joined row by row (null when any piece is), the pieces are each cell's XML and
        ``suffix`` (null: no cell).
        """
        return [_arrow(self.bodies(start, stop, suffix))]


class DictColumn(Column):
    """Codes into a table of distinct values: ``values[codes[i]]`` is row ``i``'s value (code -1: no cell).

    ``style`` is one style for every cell, or a function of the value, or one style per value.
    """

    def __init__(
        self,
        codes: np.ndarray[Any, Any],
        values: Sequence[Any],
        style: str | Callable[[Any], str | None] | Sequence[str | None] | None = None,
    ) -> None:
        import numpy as np

        codes = np.asarray(codes, dtype=np.int64)
        count = len(values)
        if callable(style):
            styles = [style(value) for value in values]
        elif isinstance(style, str) or style is None:
            styles = [style] * count
        else:
            styles = list(style)
        missing = bool(len(codes)) and int(codes.min()) < 0
        codes = np.where(codes >= 0, codes, count) if missing else codes  # the last slot: "no cell"
        used = np.bincount(codes, minlength=count + 1) > 0
        made, self.width = _cells(list(values), styles, used[:count])
        present = np.array([body is not None for body in made] + [False], dtype=bool)
        self.size = len(codes)
        if present[used].all():  # every row has a cell
            self.last, self.gaps = self.size - 1, False
        else:
            found = np.flatnonzero(present[codes])
            self.last = int(found[-1]) if len(found) else -1
            self.gaps = bool(len(found) < len(codes))
        longest = max((len(body) for body in made if body is not None), default=0)
        self.bound = self.size * (4 * longest + 24)
        self._made = made
        self._tables: dict[str, pl.Series] = {}
        self._arrow_tables: dict[str, pa.Array] = {}
        # the smallest integers that hold the codes (✓/✗ in one byte a row)
        self._codes = codes.astype(np.min_scalar_type(count))

    def _table(self, suffix: str) -> pl.Series:
        """Each distinct value's cell XML and ``suffix``, then null (no cell), made once per suffix."""
        import polars as pl

        table = self._tables.get(suffix)
        if table is None:
            bodies = [None if body is None else body + suffix for body in self._made]
            table = self._tables[suffix] = pl.Series([*bodies, None], dtype=pl.String)
        return table

    def bodies(self, start: int, stop: int, suffix: str = "") -> pl.Series:
        """See :meth:`Column.bodies`."""
        import numpy as np
        import polars as pl

        return self._table(suffix).gather(pl.Series(self._codes[start:stop].astype(np.uint32)))

    def parts(self, start: int, stop: int, suffix: str = "") -> list[str | pa.Array]:
        """See :meth:`Column.parts`: the table (made once per suffix) looked up by the codes."""
        table = self._arrow_tables.get(suffix)
        if table is None:
            table = self._arrow_tables[suffix] = _arrow(self._table(suffix))
        return [table.take(self._codes[start:stop])]


def _cells(values: list[Any], styles: list[str | None], used: np.ndarray[Any, Any]) -> tuple[list[str | None], int]:
    """Each value's cell XML (as :func:`cell` makes it) and the widest of the ``used`` ones.

    Many texts of one style are made by :class:`TextColumn`'s expressions, many numbers by
    one format each; anything else (and few values) by :func:`cell`.
    """
    import polars as pl

    one_style = len(set(styles)) <= 1
    style = styles[0] if styles else None
    if one_style and len(values) > 256 and all(type(value) is str for value in values):
        texts = pl.Series(values, dtype=pl.String)
        bodies: list[str | None] = TextColumn(texts, style, measure=False).bodies(0, len(values)).to_list()
        return bodies, _text_width(texts.filter(pl.Series(used)))
    if one_style and len(values) > 256 and all(type(value) in (int, float) for value in values):
        attr = _style(style)
        extra = 2 if style == "pct" else 0
        bodies = []
        width = 0
        for value, seen in zip(values, used.tolist(), strict=True):
            if value != value or value in (math.inf, -math.inf):  # NaN, infinities: as cell() has them
                body, size = cell(value, style)
            else:
                body, size = f"{attr}><v>{value:.16G}</v></c>", len(f"{value:g}") + extra
            bodies.append(body)
            if seen and size > width:
                width = size
        return bodies, width
    made = [cell(value, name) for value, name in zip(values, styles, strict=True)]
    width = max((size for (_, size), seen in zip(made, used.tolist(), strict=True) if seen), default=0)
    return [body for body, _ in made], width


class TextColumn(Column):
    """Texts that rarely repeat (ids, names), made into cells by vectorised expressions (null: no cell)."""

    def __init__(self, texts: pl.Series, style: str | None = None, *, measure: bool = True) -> None:
        self._texts = texts
        self._style = style
        self.size = len(texts)
        nulls = texts.null_count()
        # a missing text is no cell, or an empty cell that carries the style
        self._missing = None if style is None else _style(style) + "/>"
        self.gaps = nulls > 0 and style is None
        if nulls == 0 or style is not None:
            self.last = len(texts) - 1
        elif nulls == len(texts):
            self.last = -1
        else:
            self.last = int(texts.is_not_null().arg_true()[-1])
        present = texts.drop_nulls() if nulls else texts
        self.width = _text_width(present) if measure else 0
        odd = (texts.str.contains(_ODD_RE) | (texts.str.len_chars() > _LONG)).fill_null(False)
        # the rows whose text is not its own XML (few, or none)
        self._odd = odd.arg_true().to_numpy()
        self.bound = 7 * int(present.str.len_bytes().sum() or 0) + self.size * (len(_INLINE) + len(_INLINE_END) + 48)
        self._prefix = f"{_style(style)}{_INLINE}"

    def bodies(self, start: int, stop: int, suffix: str = "") -> pl.Series:
        """See :meth:`Column.bodies`.

        A text with nothing to guard or escape (most ids and names) is its own XML: one
        expression wraps it. The few others are made by :func:`cell`; a block with many of
        them by :meth:`_escaped`.
        """
        import polars as pl

        texts = self._texts.slice(start, stop - start)
        out = pl.DataFrame({"v": texts}).select(
            pl.concat_str([pl.lit(self._prefix + ">"), pl.col("v"), pl.lit(_INLINE_END + suffix)]).alias("b"),
            odd=(pl.col("v").str.contains(_ODD_RE) | (pl.col("v").str.len_chars() > _LONG)).fill_null(False),
        )
        odd = out.get_column("odd")
        count = int(odd.sum())
        if count > _FEW:
            bodies = self._escaped(texts, suffix)
        else:
            bodies = out.get_column("b")
            if count:
                where = odd.arg_true()
                fixed = [f"{cell(text, self._style)[0]}{suffix}" for text in texts.gather(where).to_list()]
                bodies = bodies.scatter(where, pl.Series(fixed, dtype=pl.String))
        if self._missing is not None and bodies.null_count():
            bodies = bodies.fill_null(self._missing + suffix)
        return bodies

    def parts(self, start: int, stop: int, suffix: str = "") -> list[str | pa.Array]:
        """See :meth:`Column.parts`: a block without odd texts is its texts between two literals.

        A block with an odd text (or, with a style, a missing one) goes through :meth:`bodies`.
        """
        import numpy as np

        first, last = np.searchsorted(self._odd, [start, stop])
        if last > first or (self._missing is not None and self._texts.slice(start, stop - start).null_count()):
            return [_arrow(self.bodies(start, stop, suffix))]
        # the block's texts alone: an Arrow copy of the whole column would be held while the sheet is written
        return [self._prefix + ">", _arrow(self._texts.slice(start, stop - start)), _INLINE_END + suffix]

    def _escaped(self, texts: pl.Series, suffix: str) -> pl.Series:
        """Each text's cell XML by expressions: guarded, escaped, spaces kept (the rarest through :func:`cell`)."""
        import polars as pl

        frame = pl.DataFrame({"v": texts})
        shown = pl.when(pl.col("v").str.contains(_FORMULA_RE)).then(pl.lit("'") + pl.col("v")).otherwise(pl.col("v"))
        frame = frame.select(shown.alias("v"))
        escaped = (
            pl.col("v")
            .str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
        )
        space = pl.when(pl.col("v").str.contains(_EDGE_SPACE_RE))
        body = pl.concat_str(
            [
                pl.lit(self._prefix),
                space.then(pl.lit(' xml:space="preserve">')).otherwise(pl.lit(">")),
                escaped,
                pl.lit(_INLINE_END + suffix),
            ]
        )
        out = frame.select(
            body.alias("b"), special=pl.col("v").str.contains(_SPECIAL_RE) | (pl.col("v").str.len_chars() > _LONG)
        )
        bodies = out.get_column("b")
        special = out.get_column("special").fill_null(False)
        if special.any():
            where = special.arg_true()
            fixed = [f"{cell(text, self._style)[0]}{suffix}" for text in texts.gather(where).to_list()]
            bodies = bodies.scatter(where, pl.Series(fixed, dtype=pl.String))
        return bodies


def _text_width(texts: pl.Series) -> int:
    """The widest of ``texts`` (no nulls) as :func:`cell` measures them: :func:`display_width` of :func:`shown_text`.

    One column a character for ASCII text on one line (a vectorised maximum); for the rest, a
    character takes at most two columns, so only texts whose double length passes the best
    found so far are measured, longest first.
    """
    import polars as pl

    if not len(texts):
        return 0
    guarded = pl.when(pl.col("o").str.contains(_FORMULA_RE)).then(pl.lit("'") + pl.col("o")).otherwise(pl.col("o"))
    frame = pl.DataFrame({"o": texts}).with_columns(guarded.alias("v")).with_columns(n=pl.col("v").str.len_chars())
    simple = (
        (pl.col("n") == pl.col("v").str.len_bytes())
        & ~pl.col("v").str.contains("\n", literal=True)
        & (pl.col("n") <= _LONG)
    )
    best = int(frame.filter(simple).get_column("n").max() or 0)  # type: ignore[arg-type]
    rest = frame.filter(~simple & (2 * pl.col("n") > best)).unique("o").sort("n", descending=True)
    for text, _, length in rest.iter_rows():
        if 2 * min(length, EXCEL_MAX_CELL) <= best:
            break
        best = max(best, display_width(shown_text(text)))
    return best


def column(
    values: Any,
    style: str | Callable[[Any], str | None] | None = None,
    *,
    transform: Callable[[Any], Any] | None = None,
) -> Column:
    """A column of ``values`` (a sequence, numpy array or polars Series) with cells as :func:`cell` makes them.

    Texts that rarely repeat become a :class:`TextColumn`; everything else a :class:`DictColumn`
    over its distinct values (see :func:`encode`). ``transform`` is applied to each distinct
    value first; ``style`` is a style name or a function of the (transformed) value.
    """
    import polars as pl

    series = _strings(values)
    if series is not None and transform is None and not callable(style) and _rarely_repeated(series):
        return TextColumn(series, style)
    codes, table = encode(values if series is None else series)
    if transform is not None:
        table = [transform(value) for value in table]
    del pl
    return DictColumn(codes, table, style)


def _rarely_repeated(texts: pl.Series) -> bool:
    """Whether most of ``texts`` differ (judged on an even sample of at most 65,536)."""
    if len(texts) <= 64:
        return False
    step = max(1, len(texts) // 65_536)
    sample = texts.gather_every(step) if step > 1 else texts
    return bool(sample.n_unique() * 4 > len(sample) * 3)


def _strings(values: Any) -> pl.Series | None:
    """``values`` as a polars String Series when they are all texts (or missing), else ``None``."""
    import numpy as np
    import polars as pl

    if isinstance(values, pl.Series):
        return values if values.dtype == pl.String else None
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        return None
    try:
        return pl.Series(values, dtype=pl.String, strict=True)
    except (TypeError, ValueError, UnicodeError, OverflowError, pl.exceptions.PolarsError):
        return None


def encode(values: Any) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """``values`` as codes into a table of their distinct values: ``table[codes[i]]`` is ``values[i]``.

    Distinct by type and value (``1``, ``1.0`` and ``True`` stay apart; ``-0.0`` apart from
    ``0.0``); a missing value (``None``, a null) is an entry ``None``. Texts and numbers are
    encoded by polars and numpy; anything else one value at a time.
    """
    import numpy as np
    import polars as pl

    series = _strings(values)
    if series is not None:
        distinct = series.drop_nulls().unique(maintain_order=True)
        table: list[Any] = distinct.to_list()
        codes = series.replace_strict(
            distinct, pl.int_range(len(distinct), eager=True), default=len(table), return_dtype=pl.Int64
        )
        if series.null_count():
            table.append(None)
        return codes.fill_null(len(distinct)).to_numpy(), table
    if isinstance(values, pl.Series):
        if values.dtype == pl.Null:
            return np.zeros(len(values), dtype=np.int64), [None]
        if values.dtype.is_numeric() or values.dtype == pl.Boolean:
            missing = values.is_null().to_numpy()
            filled = values.fill_null(False if values.dtype == pl.Boolean else 0).to_numpy()
            return _numbers(filled, missing if missing.any() else None)
        return _objects(values.to_list())
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return _numbers(values, None)
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    numbers = _as_numbers(items)
    if numbers is not None:
        return _numbers(numbers, None)
    return _objects(items)


#: integers up to this size are exact as floats
_EXACT = 2**53


def _as_numbers(items: list[Any]) -> np.ndarray[Any, Any] | None:
    """``items`` as a numpy array when they are all ``int`` or all ``float``, or a mix that floats hold exactly.

    An ``int`` and the ``float`` of equal value make the same cell (``{:.16G}``, ``{:g}``), so
    a list of counts and rates is one float array; ``bool`` is no number here.
    """
    import numpy as np

    kinds = set(map(type, items))
    if not items or not kinds <= {int, float}:
        return None
    try:
        if kinds == {int}:
            return np.array(items, dtype=np.int64)
        if kinds == {int, float} and any(abs(item) > _EXACT for item in items if type(item) is int):
            return None
        return np.array(items, dtype=np.float64)
    except OverflowError:
        return None


def _numbers(
    values: np.ndarray[Any, Any], missing: np.ndarray[Any, Any] | None
) -> tuple[np.ndarray[Any, Any], list[Any]]:
    import numpy as np

    if values.dtype.kind == "f":
        # by bit pattern: -0.0 stays apart from 0.0 (it is written "-0")
        bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
        distinct, codes = np.unique(bits, return_inverse=True)
        table: list[Any] = distinct.view(np.float64).tolist()
    else:
        distinct, codes = np.unique(values, return_inverse=True)
        table = distinct.tolist()
    codes = codes.reshape(-1).astype(np.int64)
    if missing is not None:
        codes[missing] = len(table)
        table.append(None)
    return codes, table


def _objects(values: list[Any]) -> tuple[np.ndarray[Any, Any], list[Any]]:
    import numpy as np

    seen: dict[Any, int] = {}
    table: list[Any] = []
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        try:
            # a float by its digits: -0.0 is written "-0", apart from 0.0
            key: Any = (float, value.hex()) if type(value) is float else (type(value), value)
            hash(key)
        except TypeError:  # a list or a dict: each its own
            key = (type(value), id(value))
        code = seen.get(key)
        if code is None:
            code = seen[key] = len(table)
            table.append(value)
        codes[i] = code
    return codes, table


# -- sheets ---------------------------------------------------------------------------------


class Sheet:
    """A worksheet described before it is written: header, a table of columns, cells put one by one.

    The table's columns start at row ``first`` (0-based, 1 after the header) and column 0;
    :meth:`put` adds single cells anywhere outside the table. Widths follow the cells:
    :meth:`finish` sets them, as XlsxWriter's ``set_column`` would, and an autofilter.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns = 0  # header cells
        self.widths: dict[int, int] = {}
        self.table: list[Column | None] = []
        self.first = 1
        self.cells: dict[int, dict[int, str]] = {}
        self.freeze = (1, 0)
        self.header_height: int | None = None
        self.column_widths: list[float] = []
        self.filter_rows = 0
        #: how the sheet prints (page size, fit, header and footer); ``None``: Excel's defaults
        self.printing: PrintSetup | None = None

    def _width(self, col: int, width: int) -> None:
        if width > self.widths.get(col, 0):
            self.widths[col] = width

    def header(self, names: list[str]) -> None:
        """The header row: styled, frozen, as tall as its name of most lines."""
        lines = 1
        for col, name in enumerate(names):
            shown = neutralise(name)
            self.put(0, col, name, "header")
            lines = max(lines, shown.count("\n") + 1)
        self.columns = len(names)
        if lines > 1:
            self.header_height = 15 * lines
        self.freeze = (1, 0)

    def put(self, row: int, col: int, value: Any, style: str | None = None) -> None:
        """One cell (as :func:`cell` makes it) at 0-based ``row``, ``col``."""
        body, width = cell(value, style)
        if body is None:
            return
        self.cells.setdefault(row, {})[col] = body
        if width:
            self._width(col, width)

    def set_table(self, columns: list[Column | None], first: int = 1) -> None:
        """The table: ``columns[j]`` fills column ``j`` from row ``first`` on (``None``: nothing there)."""
        sizes = {c.size for c in columns if c is not None}
        if len(sizes) > 1:
            raise ValueError(f"the table's columns differ in length: {sorted(sizes)}")
        self.table = columns
        self.first = first
        for col, item in enumerate(columns):
            if item is not None and item.width:
                self._width(col, item.width)

    @property
    def rows(self) -> int:
        """Rows in the table."""
        return max((c.size for c in self.table if c is not None), default=0)

    def finish(self, rows: int, wide: dict[int, int] | None = None) -> None:
        """Set column widths from the cells (at least 4, at most 60 or ``wide[col]``); filter ``rows`` rows."""
        wide = wide or {}
        self.column_widths = [
            min(max(self.widths.get(col, 0) + 2, _MIN_WIDTH), wide.get(col, _MAX_WIDTH)) for col in range(self.columns)
        ]
        self.filter_rows = rows if rows > 0 and self.columns > 0 else 0

    # -- writing ----------------------------------------------------------------------------

    def _extent(self) -> tuple[int, int, int, int]:
        rows = [row for row, cells in self.cells.items() if cells]
        cols = [col for cells in self.cells.values() for col in cells]
        for col, item in enumerate(self.table):
            if item is not None and item.last >= 0:
                rows.append(self.first + item.last)
                cols.append(col)
        if not rows:
            return 0, 0, 0, 0
        return min(rows), min(cols), max(rows), max(cols)

    def filter_ref(self) -> str | None:
        """The autofilter's range (``A1:N1001``), if the sheet has one."""
        if not self.filter_rows:
            return None
        return f"A1:{column_name(self.columns - 1)}{self.filter_rows + 1}"

    def bound(self) -> int:
        """An upper bound of the sheet's XML in bytes."""
        cells = sum(len(body) * 4 + 24 for row in self.cells.values() for body in row.values())
        table = sum(c.bound for c in self.table if c is not None)
        return 65_536 + cells + table + self.rows * 32

    def _head(self, selected: bool) -> str:
        top, left, bottom, right = self._extent()
        start = f"{column_name(left)}{top + 1}"
        end = f"{column_name(right)}{bottom + 1}"
        dimension = start if start == end else f"{start}:{end}"
        rows, cols = self.freeze
        tab = ' tabSelected="1"' if selected else ""
        if rows and cols:
            corner = f"{column_name(cols)}{rows + 1}"
            pane = (
                f'<pane xSplit="{cols}" ySplit="{rows}" topLeftCell="{corner}" activePane="bottomRight" state="frozen"/>'
                f'<selection pane="topRight" activeCell="{column_name(cols)}1" sqref="{column_name(cols)}1"/>'
                f'<selection pane="bottomLeft" activeCell="A{rows + 1}" sqref="A{rows + 1}"/>'
                '<selection pane="bottomRight"/>'
            )
        elif rows:
            pane = f'<pane ySplit="{rows}" topLeftCell="A{rows + 1}" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
        elif cols:
            pane = (
                f'<pane xSplit="{cols}" topLeftCell="{column_name(cols)}1" activePane="topRight" state="frozen"/>'
                '<selection pane="topRight"/>'
            )
        else:
            pane = ""
        view = (
            f'<sheetView{tab} workbookViewId="0">{pane}</sheetView>'
            if pane
            else f'<sheetView{tab} workbookViewId="0"/>'
        )
        widths = ""
        col = 0
        while col < len(self.column_widths):
            end_col = col
            while end_col + 1 < len(self.column_widths) and self.column_widths[end_col + 1] == self.column_widths[col]:
                end_col += 1
            width = _excel_width(self.column_widths[col])
            widths += f'<col min="{col + 1}" max="{end_col + 1}" width="{width:.16G}" customWidth="1"/>'
            col = end_col + 1
        cols_xml = f"<cols>{widths}</cols>" if widths else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"{self.printing.sheet_properties() if self.printing is not None else ''}"
            f'<dimension ref="{dimension}"/><sheetViews>{view}</sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols_xml}<sheetData>'
        )

    def _tail(self) -> str:
        ref = self.filter_ref()
        autofilter = f'<autoFilter ref="{ref}"/>' if ref else ""
        if self.printing is not None:
            page = self.printing.page_xml()
        else:
            page = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        return f"</sheetData>{autofilter}{page}</worksheet>"

    def print_titles(self) -> str | None:
        """The rows repeated on every printed page (``$1:$1``, the header), if the sheet prints with them."""
        return "$1:$1" if self.printing is not None and self.columns > 0 else None

    def _row(self, row: int) -> str:
        cells = self.cells[row]
        height = f' ht="{self.header_height}" customHeight="1"' if row == 0 and self.header_height else ""
        body = "".join(f'<c r="{column_name(col)}{row + 1}"{cells[col]}' for col in sorted(cells))
        return f'<row r="{row + 1}"{height}>{body}</row>'

    def pieces(self, selected: bool) -> Iterator[Callable[[], bytes | memoryview]]:
        """The sheet's XML as pieces to make, in order: the head, blocks of :data:`CHUNK_ROWS` rows, the tail.

        Each piece is a function that makes its bytes; blocks of the table can be made in
        parallel (their work is Arrow's, which runs without the interpreter lock).
        """
        rows = self.rows
        end = self.first + rows
        inside = [row for row in self.cells if self.first <= row < end and rows]
        if inside:
            raise ValueError(f"cells put inside the table, at rows {inside[:5]}")
        ordered = sorted(row for row in self.cells if self.cells[row])
        head = self._head(selected) + "".join(self._row(row) for row in ordered if row < self.first)
        yield head.encode
        for start in range(0, rows, CHUNK_ROWS):
            yield functools.partial(self._block, start, min(rows, start + CHUNK_ROWS))
        yield ("".join(self._row(row) for row in ordered if row >= self.first) + self._tail()).encode

    def chunks(self, selected: bool) -> Iterator[bytes | memoryview]:
        """The sheet's XML in pieces, made one after the other (see :meth:`pieces`)."""
        for make in self.pieces(selected):
            yield make()

    def _block(self, start: int, stop: int) -> bytes | memoryview:
        """Rows ``start:stop`` of the table as XML (see :meth:`_pieces`): a view of the joined rows' bytes."""
        import numpy as np

        rows = _joined(self._pieces(start, stop), skip=True)
        # the rows lie one after the other in the array's data: the block is that stretch of it
        _, offsets, data = rows.buffers()
        if data is None:  # pragma: no cover - a row always has its <row> element
            return b""
        ends = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
        return memoryview(data)[int(ends[0]) : int(ends[-1])]

    def _pieces(self, start: int, stop: int) -> list[str | pa.Array]:
        """The pieces that rows ``start:stop`` of the table are joined from, row by row.

        A row is ``<row r="N">``, then per cell ``<c r="B`` + ``N"`` + the cell's XML. The text
        between two row numbers rides on the cell before it (each distinct cell's XML with the
        next cell's head appended, made once), so a row is joined from about two pieces a cell.
        A column where some rows have no cell is one piece per cell, null when there is none
        (joined apart, null when any of its pieces is), and skipped.
        """
        import numpy as np
        import pyarrow as pa

        # each cell's reference ends with the row number and its closing quote: r="B12"
        numbers = pa.array(np.arange(self.first + start + 1, self.first + stop + 1, dtype=np.int64)).cast(
            pa.large_string()
        )
        number = _joined([numbers, '"'], skip=False)
        present = [(col, item) for col, item in enumerate(self.table) if item is not None and item.last >= start]
        items: list[str | pa.Array] = ['<row r="', number, ">"]
        for k, (col, item) in enumerate(present):
            head = f'<c r="{column_name(col)}'
            if item.gaps:
                items.append(_joined([head, number, *item.parts(start, stop)], skip=False))
            else:
                if k == 0 or present[k - 1][1].gaps:  # else the cell before carries this head
                    items.append(head)
                following = present[k + 1] if k + 1 < len(present) else None
                if following is None:
                    suffix = "</row>"
                else:
                    suffix = "" if following[1].gaps else f'<c r="{column_name(following[0])}'
                items += [number, *item.parts(start, stop, suffix)]
        if not present or present[-1][1].gaps:
            items.append("</row>")
        pieces: list[str | pa.Array] = []
        text = ""
        for piece in items:  # consecutive texts joined into one
            if isinstance(piece, str):
                text += piece
                continue
            if text:
                pieces.append(text)
                text = ""
            pieces.append(piece)
        if text:
            pieces.append(text)
        return pieces


def _joined(pieces: list[str | pa.Array], *, skip: bool) -> pa.Array:
    """The pieces (texts the same in every row, and arrays) joined row by row.

    A null piece is left out (``skip``) or makes the row null.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pa.large_string()
    args = [pa.scalar(piece, texts) if isinstance(piece, str) else piece for piece in pieces]
    joined: pa.Array = pc.binary_join_element_wise(
        *args, pa.scalar("", texts), null_handling="skip" if skip else "emit_null"
    )
    return joined


def _arrow(texts: pl.Series) -> pa.Array:
    """``texts`` as one Arrow array of large strings (offsets of 64 bits: a block may pass 2 GiB)."""
    import polars as pl
    import pyarrow as pa

    made = texts.cast(pl.String).to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(made, pa.ChunkedArray):
        made = made.combine_chunks()
    return made if made.type == pa.large_string() else made.cast(pa.large_string())


def _excel_width(width: float) -> float:
    """A width in characters as Excel stores it (XlsxWriter's conversion: 7-pixel digits, 5 pixels padding)."""
    if width <= 0:
        return 0.0
    if width < 1:
        return int(int(width * 12 + 0.5) / 7 * 256.0) / 256.0
    return int((int(width * 7 + 0.5) + 5) / 7 * 256.0) / 256.0


# -- the workbook ---------------------------------------------------------------------------

_STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<fonts count="7">'
    '<font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
    '<font><b/><sz val="10"/><color theme="1"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    '<font><b/><sz val="10"/><color rgb="FF1E7B34"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    '<font><sz val="10"/><color rgb="FF1E7B34"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    '<font><sz val="10"/><color rgb="FF9A6700"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    '<font><b/><sz val="10"/><color rgb="FFB3261E"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    '<font><sz val="10"/><color theme="1"/><name val="Microsoft YaHei"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EDF3"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFBE3E1"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
    '<border><left/><right/><top style="thin"><color auto="1"/></top><bottom/><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="13">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    # header
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
    'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    # excellent
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    # ok
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="top"/></xf>'
    # pass
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    # pending
    '<xf numFmtId="0" fontId="4" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    # fail
    '<xf numFmtId="0" fontId="5" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    # bad
    '<xf numFmtId="0" fontId="5" fillId="3" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="top"/></xf>'
    # pct
    '<xf numFmtId="164" fontId="6" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" '
    'applyAlignment="1"><alignment vertical="top"/></xf>'
    # wrap
    '<xf numFmtId="0" fontId="6" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    # total
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="2" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    # total_pct
    '<xf numFmtId="164" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="top"/></xf>'
    # text
    '<xf numFmtId="0" fontId="6" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument"


def quote_sheetname(name: str) -> str:
    """``name`` as a formula names its sheet: quoted where Excel needs it, as XlsxWriter decides.

    Quoted: a name with anything but word characters and ``.``, one that starts with a digit or
    ``.``, one that reads as a cell (``A1``) or starts like an R1C1 reference (``R2``, ``C3``,
    ``RC``), within Excel's rows and columns.
    """
    if name.startswith("'"):  # quoted already (Excel's own names never start with one)
        return name
    upper = name.upper()
    cell_like = re.fullmatch(r"([A-Z]{1,3})(\d+)", upper)
    row = re.match(r"R(\d+)", upper)
    col = re.match(r"R?C(\d+)", upper)
    quote = (
        bool(re.search(r"[^\w.]", name))
        or bool(re.match(r"[\d.]", name))
        or (cell_like is not None and _column_index(cell_like[1]) < 16_384 and 0 < int(cell_like[2]) <= 1_048_576)
        or (row is not None and 0 < int(row[1]) <= 1_048_576)
        or (col is not None and 0 < int(col[1]) <= 16_384)
        or upper in ("R", "C", "RC")
    )
    return "'" + name.replace("'", "''") + "'" if quote else name


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xml(text: str) -> str:
    """``text`` escaped for XML character data and attribute values."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Workbook:
    """Sheets and document properties, written as an .xlsx file by :meth:`save`."""

    def __init__(self, *, title: str = "", subject: str = "", comments: str = "") -> None:
        self.sheets: list[Sheet] = []
        self.title = title
        self.subject = subject
        self.comments = comments

    def add(self, sheet: Sheet) -> Sheet:
        """Add ``sheet`` after the others."""
        self.sheets.append(sheet)
        return sheet

    def save(self, handle: BinaryIO, *, compressor: Callable[[], Any] | None = None) -> None:
        """Write the workbook to a seekable binary file."""
        archive = ZipWriter(handle, compressor=compressor)
        archive.add("[Content_Types].xml", self._content_types().encode("utf-8"))
        archive.add("_rels/.rels", self._root_rels().encode("utf-8"))
        archive.add("xl/_rels/workbook.xml.rels", self._workbook_rels().encode("utf-8"))
        self._write_sheets(archive, ZIP32_LIMIT)
        archive.add("xl/workbook.xml", self._workbook().encode("utf-8"))
        archive.add("xl/styles.xml", _STYLES_XML.encode("utf-8"))
        archive.add("xl/theme/theme1.xml", THEME_XML.encode("utf-8"))
        archive.add("docProps/core.xml", self._core().encode("utf-8"))
        archive.add("docProps/app.xml", self._app().encode("utf-8"))
        archive.close()

    def _write_sheets(self, archive: Any, zip32_limit: int) -> None:
        """Each sheet's part: its pieces made and deflated ahead by two threads, joined in order by this one."""
        from concurrent.futures import Future, ThreadPoolExecutor

        def made(make: Callable[[], bytes | memoryview]) -> tuple[bytes | memoryview, bytes]:
            data = make()
            return data, archive.deflate(data)

        work = [
            (index, make)
            for index, sheet in enumerate(self.sheets, start=1)
            for make in sheet.pieces(selected=index == 1)
        ]
        pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ability2-xlsx")
        ahead: collections.deque[tuple[int, Future[tuple[bytes | memoryview, bytes]]]] = collections.deque()
        position = 0
        stream = None
        current = 0
        try:
            while ahead or position < len(work):
                while position < len(work) and len(ahead) < WORKERS:
                    index, make = work[position]
                    ahead.append((index, pool.submit(made, make)))
                    position += 1
                index, future = ahead.popleft()
                if index != current:
                    if stream is not None:
                        stream.close()
                    sheet = self.sheets[index - 1]
                    stream = archive.open(f"xl/worksheets/sheet{index}.xml", large=sheet.bound() >= zip32_limit)
                    current = index
                data, deflated = future.result()
                assert stream is not None
                stream.write_deflated(deflated, data)
            if stream is not None:
                stream.close()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPES}.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        return (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_TYPES}.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_TYPES}.theme+xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}</Types>"
        )

    @staticmethod
    def _root_rels() -> str:
        return (
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PACKAGE_RELS}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_RELS}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    def _workbook_rels(self) -> str:
        count = len(self.sheets)
        sheets = "".join(
            f'<Relationship Id="rId{i}" Type="{_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        return (
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">{sheets}'
            f'<Relationship Id="rId{count + 1}" Type="{_RELS}/theme" Target="theme/theme1.xml"/>'
            f'<Relationship Id="rId{count + 2}" Type="{_RELS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_xml(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, sheet in enumerate(self.sheets, start=1)
        )
        names = ""
        for i, sheet in enumerate(self.sheets):
            ref = sheet.filter_ref()
            if ref is None:
                continue
            first, last = ref.split(":")
            absolute = "$" + re.sub(r"(\d)", r"$\1", first, count=1) + ":$" + re.sub(r"(\d)", r"$\1", last, count=1)
            names += (
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                f"{_xml(quote_sheetname(sheet.name))}!{absolute}</definedName>"
            )
        for i, sheet in enumerate(self.sheets):
            rows = sheet.print_titles()
            if rows is not None:
                names += (
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                    f"{_xml(quote_sheetname(sheet.name))}!{rows}</definedName>"
                )
        defined = f"<definedNames>{names}</definedNames>" if names else ""
        return (
            f'{_XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_RELS}">'
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
            '<workbookPr defaultThemeVersion="124226"/>'
            '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
            f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _core(self) -> str:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{_XML_HEAD}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_xml(self.title)}</dc:title><dc:subject>{_xml(self.subject)}</dc:subject>"
            f"<dc:creator></dc:creator><dc:description>{_xml(self.comments)}</dc:description>"
            "<cp:lastModifiedBy></cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>'
        )

    def _app(self) -> str:
        count = len(self.sheets)
        titles = "".join(f"<vt:lpstr>{_xml(sheet.name)}</vt:lpstr>" for sheet in self.sheets)
        return (
            f'{_XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
            '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
            f"<vt:variant><vt:i4>{count}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
            f'<TitlesOfParts><vt:vector size="{count}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
            "<Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>"
        )
