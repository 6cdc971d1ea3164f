"""The JSON report (contract §3.1), written as a stream: a million teachers in seconds, in bounded memory.

The text is exactly what ``json.dumps(result.to_dict(lang), ensure_ascii=False, indent=...)``
gives, without building that dictionary: a rule's verdict on a teacher depends only on the
rule's per-entity fields (value, verdict, counts, exemption), and a rule takes few distinct
combinations of them over a roster (hours come in few values), so each distinct reason is
rendered once and every teacher's ``reasons`` is assembled from the rendered pieces, a slice
of teachers at a time. A rule kind's own ``formatter`` must therefore depend only on those
fields (:class:`~ability2.RuleColumn`), as the core's do.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ability2.result import Result, RuleColumn
    from ability2.roster import Factorized

__all__ = ["JSONL_FORMAT", "iter_json", "iter_jsonl", "write_json", "write_jsonl"]

#: teachers rendered per slice: bounds the memory the text takes before it is written
SLICE = 1_000

_encode = json.encoder.encode_basestring  # what json.dumps(text, ensure_ascii=False) writes

#: a piece of output: text, or rendered UTF-8 bytes (left undecoded when written to bytes)
_Piece = str | bytes


class _Layout:
    """Where json.dumps puts line breaks and separators, for ``indent`` None (one line) or a number."""

    def __init__(self, indent: int | None) -> None:
        self.indent = indent
        # what json.dumps(obj, ensure_ascii=False, indent=indent) uses, made once (not per value)
        self._encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)

    def newline(self, level: int) -> str:
        """The break before an item at ``level`` (nothing on one line)."""
        return "" if self.indent is None else "\n" + " " * (self.indent * level)

    def separator(self, level: int) -> str:
        """Between two items at ``level``."""
        return ", " if self.indent is None else "," + self.newline(level)

    def value(self, obj: Any, level: int) -> str:
        """``obj`` as json.dumps writes it when nested at ``level``."""
        text = self._encoder.encode(obj)
        return text if self.indent is None else text.replace("\n", self.newline(level))

    def flat_object(self, row: dict[str, Any], level: int) -> str:
        """A dict of text, numbers, booleans and nulls as json.dumps writes it at ``level`` (faster)."""
        if any(isinstance(value, dict | list | tuple) for value in row.values()):
            return self.value(row, level)
        items = [f"{_encode(key)}: {_scalar(value)}" for key, value in row.items()]
        return self.container(items, level, brackets="{}")

    def container(self, items: Sequence[str], level: int, brackets: str = "[]") -> str:
        """A list (or object) whose items are already rendered at ``level + 1``."""
        if not items:
            return brackets
        inner = self.separator(level + 1).join(items)
        return brackets[0] + self.newline(level + 1) + inner + self.newline(level) + brackets[1]


def _scalar(value: Any) -> str:
    """One JSON value as json.dumps writes it (``ensure_ascii=False``)."""
    if isinstance(value, str):
        return _encode(value)
    if type(value) not in (int, float):  # None, booleans, numpy scalars ...: as json.dumps writes them
        return json.dumps(value, ensure_ascii=False)
    if type(value) is float and not math.isfinite(value):
        return json.dumps(value)
    return repr(value)


def distinct_reasons(column: RuleColumn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(codes, representatives)``: entity i's reason equals that of ``representatives[codes[i]]``.

    Entities are grouped by every per-entity field a reason is made from; values are told
    apart by type as well (``1``, ``1.0`` and ``True`` read differently in JSON). Each
    representative is the first entity of its group.
    """
    import numpy as np

    size = len(column.ok)
    parts: list[Any] = [column.value, column.ok]
    if column.counts is not None:
        parts += list(column.counts)
    parts += [
        part
        for part in (
            column.pending,
            column.excellent,
            column.exempt,
            column.exempt_reason,
            column.messages,
            column.detail,
        )
        if part is not None
    ]
    key = np.zeros(size, dtype=np.int64)
    span = 1  # key < span
    for part in parts:
        array = np.asarray(part)
        if array.shape != (size,):
            return np.arange(size), np.arange(size)
        codes, count = _part_codes(array)
        if span * max(count, 1) >= 1 << 62:  # renumber before the key could overflow
            key, span = _dense(key, span)
        key = key * max(count, 1) + codes
        span *= max(count, 1)
    return _first_seen(key, span)


def _part_codes(array: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], int]:
    """``(codes, count)``: equal codes (below ``count``) for values that read the same, per entity."""
    import numpy as np
    import polars as pl

    size = len(array)
    if array.dtype == bool:
        return array.astype(np.int64), 2
    if array.dtype.kind in "iu" and size:
        low, high = int(array.min()), int(array.max())
        if high - low <= 4 * size + 1024:
            return array.astype(np.int64) - low, high - low + 1
    if array.dtype.kind == "f":
        array = array.astype(np.float64).view(np.int64)  # -0.0 and 0.0 apart: they read apart
    if array.dtype.kind in "iuf":
        return _hashed(pl.Series(array.astype(np.int64)))
    return _object_codes(array.astype(object))


def _hashed(values: pl.Series) -> tuple[np.ndarray[Any, Any], int]:
    """Codes of a polars column's values, by a hash join on its distinct values."""
    import numpy as np
    import polars as pl

    from ability2.io.encoding import distinct

    found = distinct(pl.DataFrame({"v": values}), "v")
    return np.asarray(found.index, dtype=np.int64), len(found.values)


def _object_codes(array: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], int]:
    """Codes of Python values, told apart by type (``1``, ``1.0``, ``True``, ``"1"``), texts by polars."""
    import numpy as np
    import polars as pl

    values = array.tolist()
    if all(type(value) is str for value in values[:64]):
        try:
            texts = pl.Series(array, dtype=pl.String, strict=True)
        except (pl.exceptions.PolarsError, UnicodeEncodeError):
            texts = None
        if texts is not None and not texts.null_count():
            return _hashed(texts)
    table: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for number, value in enumerate(values):
        try:  # a float by its text: -0.0 and 0.0 are equal but read apart; every NaN reads alike
            key: Any = (float, repr(value)) if type(value) is float else (type(value), value)
            code = table.setdefault(key, len(table))
        except TypeError:  # unhashable (a list): by its text
            code = table.setdefault((type(value), repr(value)), len(table))
        codes[number] = code
    return codes, len(table)


def _dense(key: np.ndarray[Any, Any], span: int) -> tuple[np.ndarray[Any, Any], int]:
    """``key`` renumbered ``0 .. distinct - 1``."""
    import numpy as np

    uniques, codes = np.unique(key, return_inverse=True)
    return codes.reshape(len(key)).astype(np.int64), len(uniques)


def _first_seen(key: np.ndarray[Any, Any], span: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(codes, representatives)`` of ``key`` (values below ``span``), each group led by its first entity."""
    import numpy as np

    size = len(key)
    if span > 4 * size + 1024:
        _, representatives, inverse = np.unique(key, return_index=True, return_inverse=True)
        return inverse.reshape(size), representatives
    first = np.full(span, -1, dtype=np.int64)
    first[key[::-1]] = np.arange(size - 1, -1, -1, dtype=np.int64)  # the last write is the first entity
    used = first >= 0
    rank = np.cumsum(used) - 1
    codes: np.ndarray[Any, Any] = rank[key]
    return codes, first[used]


def _reason_texts(
    column: RuleColumn, lang: str, layout: _Layout, level: int, *, compact: bool = False
) -> np.ndarray[Any, Any]:
    """Every entity's reason, rendered at ``level``, as an object array (one string per distinct reason).

    ``compact`` leaves out what is the same for every entity of the rule (``source`` and
    ``layer``): JSON Lines states it once, in its header.
    """
    import numpy as np

    codes, rendered = _reason_table(column, lang, layout, level, compact=compact)
    table = np.empty(len(rendered), dtype=object)
    table[:] = rendered
    texts: np.ndarray[Any, Any] = table[codes]
    return texts


def _reason_table(
    column: RuleColumn, lang: str, layout: _Layout, level: int, *, compact: bool = False
) -> tuple[np.ndarray[Any, Any], list[str]]:
    """``(codes, rendered)``: entity i's reason, rendered at ``level``, is ``rendered[codes[i]]``."""
    codes, representatives = distinct_reasons(column)
    rendered = []
    for index in representatives.tolist():
        reason = column.reason_at(int(index), lang).to_dict()
        if compact:
            del reason["source"], reason["layer"]
        rendered.append(layout.value(reason, level))
    return codes, rendered


def _quoted(texts: Sequence[str], *, null_if_empty: bool = False) -> list[str]:
    """Each text as json.dumps writes it (``null`` for ``""`` when ``null_if_empty``)."""
    if null_if_empty:
        return [_encode(text) if text else "null" for text in texts]
    return [_encode(text) for text in texts]


def _text_column(values: Any, *, null_if_empty: bool = False) -> pl.Series:
    """``str(value)`` of every entity as a JSON string literal, in a polars column.

    Polars quotes the texts, and only those holding a character JSON escapes (``"``, a
    backslash, a control character) go through :mod:`json`'s encoder. Raises
    :class:`UnicodeEncodeError` for a text polars cannot hold (a lone surrogate).
    """
    import numpy as np
    import polars as pl

    texts: pl.Series | None = values if isinstance(values, pl.Series) and values.dtype == pl.String else None
    array = values if texts is not None or isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if texts is None and array.dtype == object and all(type(value) is str for value in array[:64].tolist()):
        try:
            texts = pl.Series(array, dtype=pl.String, strict=True)
        except pl.exceptions.PolarsError:  # not all text: as str() writes each
            texts = None
    if texts is None:
        texts = pl.Series([str(value) for value in array.tolist()], dtype=pl.String)
    quoted = pl.select(pl.concat_str([pl.lit('"'), pl.lit(texts), pl.lit('"')])).to_series()
    escape = texts.str.contains(r'[\x00-\x1f"\\]')
    if escape.any():
        rows = escape.arg_true()
        quoted = quoted.scatter(rows, _quoted(texts.gather(rows).to_list()))
    if null_if_empty:
        quoted = pl.select(pl.when(pl.lit(texts) == "").then(pl.lit("null")).otherwise(pl.lit(quoted))).to_series()
    return quoted


class _Entries:
    """Entries of many entities built side by side: literal text and one text column per field.

    Each entry is the concatenation of the pieces in order. A slice of entries is written
    as one table of UTF-8 pieces, a row per entity and a column per piece (literal text, a
    column's own text, or a distinct rendering picked by its code), joined in one
    ``bytes.join``: no Python code runs per entity, and every piece is copied once.
    """

    def __init__(self) -> None:
        self.pieces: list[str | pl.Series | tuple[pl.Series, np.ndarray[Any, Any]]] = []
        self._columns: list[bytes | pl.Series | tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] | None = None

    def text(self, literal: str) -> None:
        """Add text that every entry holds."""
        if self.pieces and isinstance(self.pieces[-1], str):
            self.pieces[-1] += literal
        else:
            self.pieces.append(literal)

    def extend(self, other: _Entries) -> None:
        """Add ``other``'s pieces after these."""
        for piece in other.pieces:
            if isinstance(piece, str):
                self.text(piece)
            else:
                self.pieces.append(piece)

    def column(self, texts: pl.Series) -> None:
        """Add each entity's own text (already JSON)."""
        self.pieces.append(texts)

    def coded(self, table: list[str], codes: np.ndarray[Any, Any]) -> None:
        """Add each entity's own text, ``table[codes[i]]`` (picked a slice at a time)."""
        import numpy as np
        import polars as pl

        self.pieces.append((pl.Series(table, dtype=pl.String), np.asarray(codes, dtype=np.int64)))

    def texts(self, values: Any, coded: Factorized | None = None, *, null_if_empty: bool = False) -> None:
        """Add ``str(value)`` of each entity as a JSON string; ``coded``: the same column as codes."""
        if coded is None:
            self.column(_text_column(values, null_if_empty=null_if_empty))
        else:
            self.coded(_quoted(coded.values, null_if_empty=null_if_empty), coded.codes)

    def _prepared(self) -> list[bytes | pl.Series | tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
        """The pieces in UTF-8, each literal joined to the distinct texts beside it (fewer pieces per entry)."""
        import numpy as np
        import polars as pl

        if self._columns is not None:
            return self._columns
        columns: list[bytes | pl.Series | tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
        for piece in self.pieces:
            last = columns[-1] if columns else None
            if isinstance(piece, str):
                literal = piece.encode("utf-8")
                if isinstance(last, tuple):  # after the distinct texts: a suffix of each of them
                    table = np.empty(len(last[0]), dtype=object)
                    table[:] = [text + literal for text in last[0].tolist()]
                    columns[-1] = (table, last[1])
                else:
                    columns.append(literal)
            elif isinstance(piece, tuple):
                prefix = b""
                if isinstance(last, bytes):  # after literal text: a prefix of each distinct text
                    columns.pop()
                    prefix = last
                table = np.empty(len(piece[0]), dtype=object)
                table[:] = [prefix + text for text in piece[0].cast(pl.Binary).to_list()]
                columns.append((table, piece[1]))
            else:
                columns.append(piece.cast(pl.Binary))
        self._columns = columns
        return columns

    def render(self, start: int, stop: int, separator: str, end: str = "") -> bytes:
        """Entries ``start`` to ``stop`` joined by ``separator``, then ``end``, in UTF-8."""
        import numpy as np

        columns = self._prepared()
        count = stop - start
        if count <= 0:
            return end.encode("utf-8")
        # column 0: the separator before each entry but the first
        table = np.empty((count, len(columns) + 1), dtype=object)
        table[:, 0] = separator.encode("utf-8")
        table[0, 0] = b""
        for number, column in enumerate(columns, start=1):
            if isinstance(column, bytes):
                table[:, number] = column
            elif isinstance(column, tuple):
                table[:, number] = column[0][column[1][start:stop]]
            else:
                table[:, number] = column.slice(start, count).to_list()
        items = table.ravel().tolist()
        items.append(end.encode("utf-8"))
        return b"".join(items)


def _teacher_slices(
    result: Result,
    lang: str,
    layout: _Layout,
    *,
    opening: str = "{",
    compact: bool = False,
    separator: str | None = None,
    end: str = "",
) -> Iterator[_Piece]:
    """The ``teachers`` entries, rendered at level 2, joined by ``separator``, a slice at a time.

    ``opening`` starts each entry; ``separator`` defaults to the one between list items;
    ``end`` closes each slice.
    """
    import polars as pl

    separator = layout.separator(2) if separator is None else separator
    try:
        entries = _teacher_columns(result, lang, layout, opening, compact)
    except (UnicodeEncodeError, pl.exceptions.PolarsError):  # text polars cannot hold: entry by entry
        for listed in _teacher_entries(result, lang, layout, opening=opening, compact=compact):
            yield separator.join(listed) + end
        return
    for start in range(0, len(result), SLICE):
        yield entries.render(start, min(start + SLICE, len(result)), separator, end)


def _coded(result: Result, column: str) -> Factorized | None:
    """The roster's codes of ``column`` when the result still holds that roster's column."""
    roster = result.roster
    if roster is None or not result._from_roster(column):
        return None
    return roster.factorized.get(column)


def _extras(result: Result) -> dict[str, Sequence[Any]]:
    """The roster's extra columns of each teacher, by name (read from the roster's frame when the result holds its columns)."""
    roster = result.roster
    if roster is not None and result._from_roster("name"):  # the result's passthrough columns are the roster's
        return {name: values.to_list() for name, values in roster.extras.items()}
    extra: dict[str, Sequence[Any]] = result.teacher_info.get("columns", {})
    return extra


def _add_texts(entries: _Entries, result: Result, column: str, *, null_if_empty: bool = False) -> bool:
    """Add the result's ``column`` (ids, names, schools ...) to ``entries``: False when the result has no such column.

    From the roster's codes or its polars text when the result still holds the roster's
    column (no text object per teacher), else from what the result holds.
    """
    coded = _coded(result, column)
    if coded is not None:
        entries.texts(None, coded, null_if_empty=null_if_empty)
        return True
    series = result.text_column(column)
    if series is None:
        return False
    entries.texts(series if not series.null_count() else series.to_numpy(), null_if_empty=null_if_empty)
    return True


def _teacher_columns(result: Result, lang: str, layout: _Layout, opening: str, compact: bool) -> _Entries:
    """Every teacher entry as pieces (see :class:`_Entries`)."""
    import polars as pl

    extra = _extras(result)
    between, inside = layout.separator(3), layout.separator(4)
    entries = _Entries()
    entries.text(opening + layout.newline(3) + '"teacher_id": ')
    _add_texts(entries, result, "teacher_id")
    names = _Entries()
    if _add_texts(names, result, "name"):
        entries.text(between + '"name": ')
        entries.extend(names)
    entries.text(between + '"school": ')
    _add_texts(entries, result, "school")
    entries.text(between + '"group": ')
    groups = _Entries()
    if _add_texts(groups, result, "group", null_if_empty=True):
        entries.extend(groups)
    else:
        entries.text("null")
    subjects = _Entries()
    if _add_texts(subjects, result, "subject"):
        entries.text(between + '"subject": ')
        entries.extend(subjects)
    entries.text(between + '"status": ')
    status = result._status_codes()
    if status is None:
        entries.texts(result.status)
    else:  # the evaluator's codes into the status words
        entries.coded(_quoted(list(status[1])), status[0])
    if result.teacher_columns:
        entries.text(between + '"reasons": [' + layout.newline(4))
        for number, rule in enumerate(result.teacher_columns):
            if number:
                entries.text(inside)
            codes, rendered = _reason_table(rule, lang, layout, 4, compact=compact)
            entries.coded(rendered, codes)
        entries.text(layout.newline(3) + "]")
    else:
        entries.text(between + '"reasons": []')
    if extra:
        entries.text(between + '"columns": ')
        entries.column(pl.Series(_extra_columns(extra, 0, len(result), layout), dtype=pl.String))
    entries.text(layout.newline(2) + "}")
    return entries


def _texts(values: Any, start: int, stop: int, *, null_if_empty: bool = False) -> list[str]:
    return _quoted([str(value) for value in values[start:stop]], null_if_empty=null_if_empty)


def _teacher_entries(
    result: Result, lang: str, layout: _Layout, *, opening: str = "{", compact: bool = False
) -> Iterator[list[str]]:
    """Each slice's ``teachers`` entries, one string per teacher (the path for text polars cannot hold)."""
    from itertools import repeat

    info = result.teacher_info
    extra = info.get("columns", {})
    reasons = [_reason_texts(column, lang, layout, 4, compact=compact) for column in result.teacher_columns]
    between, inside = layout.separator(3), layout.separator(4)
    for start in range(0, len(result), SLICE):
        stop = min(start + SLICE, len(result))
        count = stop - start
        # every piece of every entry in order, as parallel sequences: one join per teacher
        pieces: list[Any] = [repeat(opening + layout.newline(3) + '"teacher_id": ', count)]
        pieces.append(_texts(result.teacher_ids, start, stop))
        if "name" in info:
            pieces += [repeat(between + '"name": ', count), _texts(info["name"], start, stop)]
        pieces += [repeat(between + '"school": ', count), _texts(result.teacher_schools, start, stop)]
        groups = (
            repeat("null", count)
            if result.teacher_groups is None
            else _texts(result.teacher_groups, start, stop, null_if_empty=True)
        )
        pieces += [repeat(between + '"group": ', count), groups]
        if "subject" in info:
            pieces += [repeat(between + '"subject": ', count), _texts(info["subject"], start, stop)]
        pieces += [repeat(between + '"status": ', count), _texts(result.status, start, stop)]
        if reasons:
            pieces.append(repeat(between + '"reasons": [' + layout.newline(4), count))
            for number, column in enumerate(reasons):
                if number:
                    pieces.append(repeat(inside, count))
                pieces.append(column[start:stop].tolist())
            pieces.append(repeat(layout.newline(3) + "]", count))
        else:
            pieces.append(repeat(between + '"reasons": []', count))
        if extra:
            pieces += [repeat(between + '"columns": ', count), _extra_columns(extra, start, stop, layout)]
        pieces.append(repeat(layout.newline(2) + "}", count))
        yield list(map("".join, zip(*pieces, strict=True)))


def _extra_columns(extra: dict[str, Sequence[Any]], start: int, stop: int, layout: _Layout) -> list[str]:
    """The roster's extra columns of each teacher in the slice, as the ``columns`` object at level 3."""
    names = list(extra)
    return [
        layout.container([f"{_encode(name)}: {layout.value(extra[name][i], 4)}" for name in names], 3, brackets="{}")
        for i in range(start, stop)
    ]


def _entity(row: dict[str, Any], checks: list[str], layout: _Layout) -> str:
    """A group or school entry at level 2: its fields, then its ``checks`` (already rendered at level 4)."""
    closing = layout.newline(2) + "}"
    text = layout.flat_object(row, 2)
    if not row or not text.endswith(closing):  # pragma: no cover - json.dumps always closes so
        raise AssertionError(f"unexpected rendering of {row!r}")
    return text[: -len(closing)] + layout.separator(3) + '"checks": ' + layout.container(checks, 3) + closing


def _value_column(values: list[Any]) -> pl.Series:
    """Each value as json.dumps writes it, in a polars column (text, whole numbers, or any scalar)."""
    import polars as pl

    kinds = set(map(type, values))
    if kinds <= {str}:
        return _text_column(values)
    if kinds <= {int}:
        return pl.Series(values, dtype=pl.Int64).cast(pl.String)
    memo: dict[tuple[type, Any], str] = {}
    texts = []
    for value in values:
        key = (type(value), value)
        text = memo.get(key)
        if text is None:
            text = memo[key] = _scalar(value)
        texts.append(text)
    return pl.Series(texts, dtype=pl.String)


def _entity_columns(
    fields: dict[str, list[Any]], columns: list[RuleColumn], lang: str, layout: _Layout, opening: str, compact: bool
) -> _Entries:
    """Every group or school entry as pieces: its fields, then its ``checks`` (see :func:`_entity`)."""
    entries = _Entries()
    entries.text(opening)
    for number, (name, values) in enumerate(fields.items()):
        entries.text((layout.separator(3) if number else "") + _encode(name) + ": ")
        entries.column(_value_column(values))
    entries.text(layout.separator(3) + '"checks": ')
    if not columns:
        entries.text("[]")
    else:
        entries.text("[" + layout.newline(4))
        for number, rule in enumerate(columns):
            if number:
                entries.text(layout.separator(4))
            codes, rendered = _reason_table(rule, lang, layout, 4, compact=compact)
            entries.coded(rendered, codes)
        entries.text(layout.newline(3) + "]")
    entries.text(layout.newline(2) + "}")
    return entries


def _entity_pieces(
    fields: dict[str, list[Any]] | None,
    columns: list[RuleColumn],
    count: int,
    row_at: Callable[[int], dict[str, Any]],
    lang: str,
    layout: _Layout,
    *,
    record: str | None = None,
) -> Iterator[_Piece]:
    """Groups or schools, at level 2, ``SLICE`` at a time, each slice's entries joined.

    ``record`` (JSON Lines) starts each entry with ``"record": record`` and joins by line
    feeds. ``fields`` are the entities' fields column by column; without them (a result read
    back from JSON) each entry is rendered from ``row_at``.
    """
    import polars as pl

    separator = "\n" if record is not None else layout.separator(2)
    compact = record is not None
    entries: _Entries | None = None
    if fields is not None:
        opening = "{" + layout.newline(3) + ("" if record is None else f'"record": {_encode(record)}, ')
        try:
            entries = _entity_columns(fields, columns, lang, layout, opening, compact)
        except (UnicodeEncodeError, pl.exceptions.PolarsError):  # text polars cannot hold: entry by entry
            entries = None
    rendered = [] if entries is not None else [_reason_texts(c, lang, layout, 4, compact=compact) for c in columns]
    end = "\n" if record is not None else ""  # JSON Lines: each slice is whole lines
    for start in range(0, count, SLICE):
        stop = min(start + SLICE, count)
        if start and record is None:
            yield separator
        if entries is not None:
            yield entries.render(start, stop, separator, end)
            continue
        texts = []
        for i in range(start, stop):
            row = row_at(i) if record is None else {"record": record, **row_at(i)}
            texts.append(_entity(row, [reasons[i] for reasons in rendered], layout))
        yield separator.join(texts) + end


def _json_pieces(result: Result, lang: str, indent: int | None) -> Iterator[_Piece]:
    """The JSON document of ``result`` in pieces (see :func:`iter_json`)."""
    layout = _Layout(indent)
    yield "{" + layout.newline(1) + '"region": ' + layout.value(result.region, 1)
    yield layout.separator(1) + '"on": ' + layout.value(result.on, 1)
    yield layout.separator(1) + '"teachers": '
    if len(result) == 0:
        yield "[]"
    else:
        yield "[" + layout.newline(2)
        for number, piece in enumerate(_teacher_slices(result, lang, layout)):
            if number:
                yield layout.separator(2)
            yield piece
        yield layout.newline(1) + "]"
    for name, fields, columns, count, row_at in (
        ("groups", result._group_fields(), result.group_columns, len(result.group_keys), result._group_base),
        ("schools", result._school_fields(), result.school_columns, len(result.school_names), result._school_base),
    ):
        yield layout.separator(1) + f'"{name}": '
        if not count:
            yield "[]"
            continue
        yield "[" + layout.newline(2)
        yield from _entity_pieces(fields, columns, count, row_at, lang, layout)
        yield layout.newline(1) + "]"
    if result.unchecked:
        yield layout.separator(1) + '"unchecked": ' + layout.value(result.unchecked_dicts(lang), 1)
    yield layout.newline(0) + "}"


def _text(pieces: Iterator[_Piece]) -> Iterator[str]:
    for piece in pieces:
        yield piece if isinstance(piece, str) else piece.decode("utf-8")


def _write(pieces: Iterator[_Piece], handle: TextIO | BinaryIO) -> None:
    """Write ``pieces`` to a text handle, or as UTF-8 to a binary one (rendered bytes as they are, on a second thread)."""
    if isinstance(handle, io.BufferedIOBase | io.RawIOBase):
        _write_behind((piece.encode("utf-8") if isinstance(piece, str) else piece for piece in pieces), handle)
        return
    text: Any = handle
    for part in _text(pieces):
        text.write(part)


#: rendered pieces waiting for the writer: bounds the memory rendering ahead of the disk takes
_AHEAD = 2


def _write_behind(pieces: Iterator[bytes], handle: BinaryIO | io.RawIOBase) -> None:
    """Write ``pieces`` to ``handle`` in order, on a second thread while the next piece is rendered.

    Writing a large report is mostly the kernel copying into its page cache, which runs
    without the interpreter lock; rendering holds it. At most :data:`_AHEAD` pieces wait.
    A failed write (a full disk) stops the rendering and is raised here; an error while
    rendering (or an interrupt) stops the writer after the pieces already handed to it.
    """
    import queue
    import threading

    waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=_AHEAD)
    failed: list[BaseException] = []

    def writer() -> None:
        while (piece := waiting.get()) is not None:
            if failed:  # drain without writing, until the end is handed over
                continue
            try:
                _write_all(handle, piece)
            except BaseException as exc:  # raised in the caller's thread, below
                failed.append(exc)

    thread = threading.Thread(target=writer, name="ability2-write", daemon=True)
    thread.start()
    try:
        for piece in pieces:
            if failed:
                break
            if piece:
                waiting.put(piece)
    finally:
        waiting.put(None)
        thread.join()
    if failed:
        raise failed[0]


def _write_all(handle: BinaryIO | io.RawIOBase, piece: bytes) -> None:
    """Write all of ``piece`` (a raw file may take part of it at a time)."""
    if not isinstance(handle, io.RawIOBase):
        handle.write(piece)
        return
    view = memoryview(piece)
    while view:
        done = handle.write(view)
        if done is None:  # a non-blocking file that cannot take more now: named by its errno
            import errno
            import os

            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        view = view[done:]


def iter_json(result: Result, lang: str = "zh", indent: int | None = None) -> Iterator[str]:
    """The JSON document of ``result`` in pieces; joined, they equal ``json.dumps(result.to_dict(lang), ...)``."""
    return _text(_json_pieces(result, lang, indent))


def write_json(result: Result, handle: TextIO | BinaryIO, lang: str = "zh", indent: int | None = None) -> None:
    """Write the JSON document of ``result`` to ``handle`` as it is rendered (a newline after it).

    ``handle`` is a text file, or a binary one that receives UTF-8 (faster for a large result:
    the rendered UTF-8 is written without being decoded, on a second thread).
    """
    _write(itertools.chain(_json_pieces(result, lang, indent), ["\n"]), handle)


#: the ``format`` of the first line of :func:`iter_jsonl`'s output; its number changes when the shape does
JSONL_FORMAT = "ability2-jsonl/1"


def iter_jsonl(result: Result, lang: str = "zh") -> Iterator[str]:
    """The result as JSON Lines: one JSON object per line, each rule's source stated once.

    The first line describes the result: ``{"record": "result", "format", "region", "on",
    "rules": [{"rule", "scope", "title", "source", "layer"}, ...]}``, every rule the
    policy checked, in the order of the reasons. Then one line per teacher (roster order),
    group and school (first appearance): ``{"record": "teacher" | "group" | "school", ...}``
    with the fields of contract §3.1's entries, whose ``reasons`` and ``checks`` leave out
    ``source`` and ``layer`` (the first line has them). Last, one ``{"record":
    "unchecked", ...}`` line per rule that could not be checked. Each piece yielded is
    whole lines, each ending in a line feed.
    """
    return _text(_jsonl_pieces(result, lang))


def _jsonl_pieces(result: Result, lang: str) -> Iterator[_Piece]:
    """The JSON Lines of ``result`` in pieces (see :func:`iter_jsonl`)."""
    layout = _Layout(None)
    title = "title_en" if lang == "en" else "title"
    rules = [
        {"rule": c.rule, "scope": scope, "title": getattr(c, title), "source": c.source, "layer": c.layer}
        for scope, columns in (
            ("teacher", result.teacher_columns),
            ("group", result.group_columns),
            ("school", result.school_columns),
        )
        for c in columns
    ]
    head = {"record": "result", "format": JSONL_FORMAT, "region": result.region, "on": result.on, "rules": rules}
    yield json.dumps(head, ensure_ascii=False) + "\n"
    opening = '{"record": "teacher", '
    yield from _teacher_slices(result, lang, layout, opening=opening, compact=True, separator="\n", end="\n")
    for record, fields, columns, count, row_at in (
        ("group", result._group_fields(), result.group_columns, len(result.group_keys), result._group_base),
        ("school", result._school_fields(), result.school_columns, len(result.school_names), result._school_base),
    ):
        if count:
            yield from _entity_pieces(fields, columns, count, row_at, lang, layout, record=record)
    for item in result.unchecked_dicts(lang) if result.unchecked else []:
        yield json.dumps({"record": "unchecked", **item}, ensure_ascii=False) + "\n"


def write_jsonl(result: Result, handle: TextIO | BinaryIO, lang: str = "zh") -> None:
    """Write :func:`iter_jsonl`'s lines to ``handle`` (text, or binary receiving UTF-8) as they are rendered."""
    _write(_jsonl_pieces(result, lang), handle)
