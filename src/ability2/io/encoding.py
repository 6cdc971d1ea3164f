"""Encode a roster's text columns by their distinct values.

A province's roster repeats itself: a million teachers write a few dozen spellings of their
hours, about a hundred of their grades and a hundred thousand ability lists, in 50,000
schools. Each column is therefore parsed once per *distinct* cell text (polars expressions
over the distinct values) and the result gathered back to the rows by an integer index
(numpy). Parsing a million cells becomes parsing their distinct values plus one hash join.

Every function here returns per-distinct results and the row index; the reader
(:mod:`ability2.io.roster`) words the problems of the rows whose cell failed a check.
polars and numpy are imported inside the functions, so importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

__all__ = [
    "AbilityLists",
    "Distinct",
    "GradeLists",
    "distinct",
    "distinct_columns",
    "distinct_texts",
    "encode_abilities",
    "encode_grades",
    "gather_lists",
]

#: below this many rows the columns are encoded one after another (a thread costs more than it saves)
_THREADED_ROWS = 50_000


@attrs.frozen(eq=False)
class Distinct:
    """A text column as its distinct values and, per row, the position of the row's value.

    ``values[index[i]]`` is row ``i``'s text; the values are in order of first appearance
    (schools, groups, subjects: the order tables show them in).
    """

    values: pl.Series
    index: np.ndarray[Any, Any]

    def gather(self, per_value: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """A per-value array read at every row."""
        gathered: np.ndarray[Any, Any] = per_value[self.index]
        return gathered

    def rows(self, keep: np.ndarray[Any, Any]) -> Distinct:
        """The rows where the boolean mask ``keep`` holds; values no kept row has are dropped.

        The values kept are in order of first appearance among the kept rows.
        """
        import pyarrow.compute as pc

        from ability2.arrays import arrow_ints, numpy_ints

        # the positions the kept rows use, in order of first appearance (Arrow's dictionary order)
        encoded = pc.dictionary_encode(arrow_ints(self.index[keep]))
        return Distinct(self.values.gather(numpy_ints(encoded.dictionary)), numpy_ints(encoded.indices))

    def stripped(self) -> tuple[Distinct, bool]:
        """The values with surrounding whitespace stripped (values equal once stripped merged), and whether any changed.

        The merged values keep the order of first appearance.
        """
        values = self.values.str.strip_chars()
        if not (values != self.values).any():
            return self, False
        merged = distinct(values.to_frame("v"), "v")
        return Distinct(merged.values, merged.index[self.index]), True


def distinct(frame: pl.DataFrame, column: str, *, first_seen: bool = False) -> Distinct:
    """The distinct values of a String column (no nulls) and each row's position among them.

    The values are always in order of first appearance (Arrow's dictionary encoding, one
    hash table pass, gives that order); ``first_seen`` is kept for callers that rely on it.
    """
    del first_seen  # always so
    return distinct_texts(frame.get_column(column))


def distinct_texts(texts: pl.Series) -> Distinct:
    """:func:`distinct` of a String Series (no nulls).

    The index is an ``int32`` array, read-only: a view of Arrow's own indices, not a copy.
    """
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    from ability2.arrays import numpy_ints

    # polars' own string views, without a copy of the texts (the oldest Arrow level would copy
    # to large_string); a Series of several chunks is joined into one first: an Arrow
    # dictionary encoding of many chunks repeats the whole dictionary in each
    array = texts.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    return Distinct(pl.Series("v", encoded.dictionary, dtype=pl.String), numpy_ints(encoded.indices))


def distinct_columns(columns: dict[str, pl.Series]) -> dict[str, Distinct]:
    """:func:`distinct_texts` of each Series of ``columns``, one column per core (up to four) on large columns.

    Arrow's dictionary encoding runs on one core and releases the GIL, so threads encode
    several columns at once: on a 2-core machine the encoding of a million-row roster
    takes half the time. ``columns`` is emptied as the work goes, so that each column's
    texts are freed once encoded when nothing else holds them.
    """
    names = list(columns)

    def encode(name: str) -> Distinct:
        return distinct_texts(columns.pop(name))

    rows = max((len(series) for series in columns.values()), default=0)
    if rows < _THREADED_ROWS or len(names) < 2:
        return {name: encode(name) for name in names}
    import os
    from concurrent.futures import ThreadPoolExecutor

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(len(names), cores, 4))
    with ThreadPoolExecutor(workers, thread_name_prefix="ability2-encode") as pool:
        return dict(zip(names, pool.map(encode, names), strict=True))


@attrs.frozen(eq=False)
class AbilityLists:
    """Ability cells parsed once per distinct text.

    Per distinct value: ``codes`` (List[Int8], null for an unknown code), ``count`` (codes
    written, 0 for an empty cell) and ``bad`` (empty, unknown code, or a code twice).
    """

    codes: pl.Series
    count: np.ndarray[Any, Any]
    bad: np.ndarray[Any, Any]


#: distinct cells parsed at once: polars' allocator keeps the pages of its temporaries for
#: seconds after they are freed, so a hundred thousand ability lists parsed in one go held
#: about 30 MB more at a province's peak than parsed a slice at a time (whose temporaries reuse
#: the same pages)
_SLICE = 1 << 14


def encode_abilities(values: pl.Series, codes_map: Mapping[str, int], separators: str) -> AbilityLists:
    """Split each distinct ability cell on ``separators`` and map its codes through ``codes_map``."""
    if len(values) <= _SLICE:
        return _encode_abilities(values, codes_map, separators)
    import numpy as np
    import polars as pl

    parts = [
        _encode_abilities(values.slice(start, _SLICE), codes_map, separators) for start in range(0, len(values), _SLICE)
    ]
    return AbilityLists(
        pl.concat([part.codes for part in parts], rechunk=False),
        np.concatenate([part.count for part in parts]),
        np.concatenate([part.bad for part in parts]),
    )


def _encode_abilities(values: pl.Series, codes_map: Mapping[str, int], separators: str) -> AbilityLists:
    import polars as pl

    cell = pl.col("v")
    tokens = cell.str.replace_all(separators, " ").str.strip_chars().str.split(" ")
    codes = tokens.list.eval(pl.element().replace_strict(codes_map, default=None, return_dtype=pl.Int8))
    parsed = pl.DataFrame({"v": values}).select(
        codes.alias("codes"),
        pl.when(cell == "").then(0).otherwise(tokens.list.len()).cast(pl.Int64).alias("count"),
    )
    checks = parsed.select(
        (
            (pl.col("count") == 0)
            | _has_null(pl.col("codes"))
            | (pl.col("codes").list.n_unique() != pl.col("codes").list.len())
        )
        .fill_null(True)
        .alias("bad")
    )
    return AbilityLists(
        parsed.get_column("codes"),
        parsed.get_column("count").to_numpy(),
        checks.get_column("bad").to_numpy(),
    )


@attrs.frozen(eq=False)
class GradeLists:
    """Grade cells parsed once per distinct text.

    Per distinct value: ``grades`` (List[Int8], null for a blank cell, a null element for an
    unknown word), ``count`` (grades written, ``-1`` for a blank cell) and ``bad`` (an
    unknown word).
    """

    grades: pl.Series
    count: np.ndarray[Any, Any]
    bad: np.ndarray[Any, Any]


def encode_grades(values: pl.Series, words: Mapping[str, int], separators: str, slot: str, ungraded: int) -> GradeLists:
    """Split each distinct grade cell into slots and map its words through ``words``.

    An empty slot between explicit ``separators`` is an ability not graded yet (``ungraded``);
    without explicit separators, whitespace separates the grades.
    """
    import polars as pl

    cell = pl.col("v")
    text = cell.str.to_lowercase().str.strip_chars()
    slots = text.str.replace_all(separators, slot).str.replace_all(r"\s+", slot).str.split(slot)
    graded = slots.list.eval(
        pl.when(pl.element() == "")
        .then(pl.lit(ungraded, dtype=pl.Int8))
        .otherwise(pl.element().replace_strict(words, default=None, return_dtype=pl.Int8))
    )
    parsed = pl.DataFrame({"v": values}).select(pl.when(cell != "").then(graded).alias("grades"))
    checks = parsed.select(
        _has_null(pl.col("grades")).fill_null(False).alias("bad"),
        pl.col("grades").list.len().fill_null(-1).cast(pl.Int64).alias("count"),
    )
    return GradeLists(
        parsed.get_column("grades"),
        checks.get_column("count").to_numpy(),
        checks.get_column("bad").to_numpy(),
    )


#: rows gathered at a time by :func:`gather_lists`
_GATHER_SLICE = 1 << 20


def gather_lists(
    lists: pl.Series, index: np.ndarray[Any, Any], rows: np.ndarray[Any, Any] | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per-row lists gathered from per-value lists: ``(offsets, flat)`` as int64 and int8 arrays.

    Row ``i`` gets ``lists[index[i]]``, as ``flat[offsets[i]:offsets[i + 1]]``. ``rows`` (a
    boolean mask) limits the gathering to some rows; the others get empty lists. A null
    per-value list counts as empty; the lists must hold no null element.

    The per-value lists are laid out as the rows of a table padded to the longest, and the
    rows' lists read from it in numpy: as fast as a polars gather and explode, and the
    million-row temporaries are numpy's, whose memory the evaluation reuses (polars'
    allocator would keep its own for seconds).
    """
    import numpy as np

    lengths = lists.list.len().fill_null(0).to_numpy().astype(np.int64)
    longest = max(int(lengths.max(initial=0)), 1)
    # rows padded to 1, 2, 4 or 8 bytes are gathered as one integer each (a third faster)
    width = next((size for size in (1, 2, 4, 8) if size >= longest), longest)
    # one more, empty, row: the lists of the rows left out
    table = np.zeros((len(lengths) + 1, width), dtype=np.int8)
    table[:-1][np.arange(width) < lengths[:, None]] = (
        lists.explode(empty_as_null=False, keep_nulls=False).to_numpy().astype(np.int8, copy=False)
    )
    positions = np.asarray(index)
    if rows is not None:
        positions = np.where(rows, positions, len(lengths))
    # the lengths read per row in the smallest type that holds them (a tenth of the memory traffic)
    counts = np.append(lengths, 0).astype(np.int8 if longest < 128 else np.int64)[positions]
    offsets = np.empty(len(positions) + 1, dtype=np.int64)
    offsets[0] = 0
    for start in range(0, len(positions), _GATHER_SLICE):  # in slices, as below
        stop = min(start + _GATHER_SLICE, len(positions))
        part = offsets[start + 1 : stop + 1]
        np.cumsum(counts[start:stop], dtype=np.int64, out=part)
        part += offsets[start]
    flat: np.ndarray[Any, Any]
    if width <= 8:
        as_integers = np.dtype(f"u{width}")
        rows_of = table.view(as_integers).ravel()
        # which bytes of a row of each length are its list: one integer per length, read per row
        # (comparing each row's bytes with its length took four times as long)
        patterns = (np.arange(width) < np.arange(width + 1)[:, None]).view(as_integers).ravel()
        flat = np.empty(int(offsets[-1]), dtype=np.int8)
        # in slices: the temporaries stay small and warm (whole, at 10M rows, they were fresh
        # memory each time, and gathering 10M rows took 1.5-1.9 s, 60 times 1M rows' time)
        for start in range(0, len(positions), _GATHER_SLICE):
            stop = min(start + _GATHER_SLICE, len(positions))
            gathered = rows_of[positions[start:stop]]
            keep = patterns[counts[start:stop]]
            np.compress(keep.view(bool), gathered.view(np.int8), out=flat[offsets[start] : offsets[stop]])
    else:
        flat = table[positions][np.arange(width) < counts[:, None]]
    return offsets, flat


def _has_null(lists: pl.Expr) -> pl.Expr:
    """Whether each list holds a null (an unknown code or word)."""
    import polars as pl

    return lists.list.eval(pl.element().is_null().any()).list.first()
