"""Measure a Parquet file before reading it: rows and unpacked bytes, from its own metadata.

A Parquet file states its sizes: the footer (Thrift compact protocol) gives each column
chunk's row count, compressed and uncompressed size and where its pages start, and each
page header gives the page's compressed and uncompressed size. A reader allocates what
those numbers say, so a file of a few kilobytes that claims gigabytes would take them.
:func:`check_parquet` reads the footer and every page header (not the data) and refuses,
before any decoding:

* a footer or page header that does not parse, points outside the file, or nests too deep;
* more rows than ``max_rows``;
* column chunks that unpack to more than ``max_unpacked_bytes``, or to more than
  ``max_unpacked_ratio`` times the file (past 16 MB);
* a page that claims more bytes than its column chunk, or pages that overrun their chunk.

Only the Thrift structures named here are decoded; everything else is skipped by type.
Pure Python, no dependency: the footer is small and a page header is a few dozen bytes.

:func:`measure_parquet` checks a file on disk against the limits in force (through a
memory map when it is large), and :func:`parquet_problem` a Parquet roster opened for
streaming (also its columns' types): the partitioned path and the Dask engine check their
Parquet files with it before reading any.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable
from typing import Any

import attrs

from ability2.limits import hint
from ability2.messages import Message, msg

__all__ = [
    "MAP_FROM",
    "ParquetExtent",
    "ParquetTooLarge",
    "check_parquet",
    "is_parquet",
    "measure_parquet",
    "parquet_problem",
]

#: Parquet files from this many bytes are measured through a memory map, not read
MAP_FROM = 1 << 20

MAGIC = b"PAR1"
#: Thrift structures nested deeper than this are refused (Parquet's own need a handful)
_MAX_DEPTH = 32
#: a footer larger than this is refused (a roster's, a few dozen columns in a few hundred row
#: groups, is well under a megabyte)
_MAX_FOOTER = 8 * 1024 * 1024
#: row groups, and column chunks in all, past which a file is refused (each is kept while measuring)
_MAX_CHUNKS = 100_000
#: ratios are checked only past this many unpacked bytes, as for workbooks
_RATIO_FLOOR = 16 * 1024 * 1024

# Thrift compact protocol types
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)


class ParquetTooLarge(ValueError):
    """The file's own metadata is broken, or states more rows or bytes than the limits allow."""


@attrs.frozen
class ParquetExtent:
    """What a Parquet file states about itself: rows, and bytes once its pages are unpacked."""

    rows: int
    unpacked_bytes: int
    columns: int


def is_parquet(raw: bytes) -> bool:
    """Whether ``raw`` is framed as a Parquet file (``PAR1`` at both ends)."""
    return len(raw) >= 12 and raw.startswith(MAGIC) and raw.endswith(MAGIC)


class _Reader:
    """A Thrift compact protocol reader over ``data[start:end]`` that never reads past ``end``."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.pos, self.end = data, start, end
        self.kept = 0

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ParquetTooLarge(msg("parquet.metadata_short"))
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ParquetTooLarge(msg("parquet.number_too_long"))

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def skip(self, size: int) -> bytes:
        if size < 0 or self.pos + size > self.end:
            raise ParquetTooLarge(msg("parquet.length_past_end"))
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def value(self, kind: int, depth: int) -> Any:
        """Read (and mostly discard) one value of Thrift type ``kind``."""
        if depth > _MAX_DEPTH:
            raise ParquetTooLarge(msg("parquet.too_deep", depth=_MAX_DEPTH))
        if kind in (_TRUE, _FALSE):
            return kind == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            return self.skip(8)
        if kind == _BINARY:
            return self.skip(self.varint())
        if kind in (_LIST, _SET):
            return self.items(depth, None)
        if kind == _MAP:
            size = self.varint()
            if size:
                if 2 * size > self.end - self.pos:  # every key and value takes at least a byte
                    raise ParquetTooLarge(msg("parquet.map_too_long"))
                types = self.byte()
                for _ in range(size):
                    self.element(types >> 4, depth + 1)
                    self.element(types & 0x0F, depth + 1)
            return None
        if kind == _STRUCT:
            return self.struct(depth + 1, {})
        raise ParquetTooLarge(msg("parquet.unknown_type", kind=kind))

    def element(self, kind: int, depth: int) -> Any:
        """A list, set or map element (booleans there take a byte each)."""
        if kind in (_TRUE, _FALSE):
            return self.byte() == 1
        return self.value(kind, depth)

    def items(self, depth: int, fields: Fields | None) -> list[Any]:
        """A list; its structs keep the ``fields`` asked for (other elements are read and dropped)."""
        header = self.byte()
        size, element = header >> 4, header & 0x0F
        if size == 15:
            size = self.varint()
        if size > self.end - self.pos:  # every element takes at least one byte
            raise ParquetTooLarge(msg("parquet.list_too_long"))
        if fields is not None and element == _STRUCT:
            self.kept += size  # row groups and column chunks are kept while measuring: bounded in all
            if self.kept > _MAX_CHUNKS:
                raise ParquetTooLarge(msg("parquet.too_many_parts", limit=_MAX_CHUNKS))
            return [self.struct(depth + 1, fields) for _ in range(size)]
        for _ in range(size):
            self.element(element, depth + 1)
        return []

    def struct(self, depth: int, fields: Fields) -> dict[int, Any]:
        """A struct's fields that ``fields`` asks for, by id, when their wire type is the expected one."""
        if depth > _MAX_DEPTH:
            raise ParquetTooLarge(msg("parquet.too_deep", depth=_MAX_DEPTH))
        found: dict[int, Any] = {}
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return found
            kind, delta = header & 0x0F, header >> 4
            field = last + delta if delta else self.zigzag()
            last = field
            wanted = fields.get(field)
            if wanted is None or kind not in wanted[0]:
                self.value(kind, depth)
            else:
                found[field] = wanted[1](self, depth)


#: what a struct keeps: field id -> (the wire types expected, how to read the value)
Fields = dict[int, tuple[tuple[int, ...], Callable[[_Reader, int], Any]]]

_INTEGER = ((_I16, _I32, _I64), lambda reader, depth: reader.zigzag())


def _list(fields: Fields) -> tuple[tuple[int, ...], Callable[[_Reader, int], Any]]:
    return (_LIST,), lambda reader, depth: reader.items(depth, fields)


def _struct(fields: Fields) -> tuple[tuple[int, ...], Callable[[_Reader, int], Any]]:
    return (_STRUCT,), lambda reader, depth: reader.struct(depth + 1, fields)


# ColumnMetaData: 5 num_values, 6 total_uncompressed_size, 7 total_compressed_size,
# 9 data_page_offset, 11 dictionary_page_offset
_COLUMN_META: Fields = {5: _INTEGER, 6: _INTEGER, 7: _INTEGER, 9: _INTEGER, 11: _INTEGER}
# ColumnChunk: 3 meta_data; RowGroup: 1 columns, 3 num_rows; FileMetaData: 3 num_rows, 4 row_groups
_ROW_GROUP: Fields = {1: _list({3: _struct(_COLUMN_META)}), 3: _INTEGER}
_FILE_META: Fields = {3: _INTEGER, 4: _list(_ROW_GROUP)}
# PageHeader: 2 uncompressed_page_size, 3 compressed_page_size; its data page (5), dictionary
# page (7) and data page v2 (8) headers each begin with 1 num_values
_COUNT: Fields = {1: _INTEGER}
_PAGE_HEADER: Fields = {2: _INTEGER, 3: _INTEGER, 5: _struct(_COUNT), 7: _struct(_COUNT), 8: _struct(_COUNT)}


def check_parquet(raw: bytes, *, max_rows: int, max_unpacked_bytes: int, max_unpacked_ratio: float) -> ParquetExtent:
    """Measure ``raw`` (a whole Parquet file) by its metadata and page headers; raise :class:`ParquetTooLarge`."""
    if not is_parquet(raw):
        raise ParquetTooLarge(msg("parquet.not_parquet"))
    (footer_size,) = struct.unpack("<I", raw[-8:-4])
    footer_start = len(raw) - 8 - footer_size
    if footer_size > _MAX_FOOTER or footer_start < len(MAGIC):
        raise ParquetTooLarge(msg("parquet.footer_outside"))
    meta = _Reader(raw, footer_start, len(raw) - 8).struct(0, _FILE_META)
    rows = int(meta.get(3, 0))
    groups = meta.get(4, [])
    group_rows = [int(group.get(3, 0)) for group in groups]
    if rows < 0 or any(n < 0 for n in group_rows):
        raise ParquetTooLarge(msg("parquet.negative_rows"))
    if max(rows, sum(group_rows)) > max_rows:
        raise ParquetTooLarge(
            msg("parquet.too_many_rows", rows=max(rows, sum(group_rows)), limit=max_rows, hint=hint("max_rows"))
        )
    chunks = [chunk.get(3) for group in groups for chunk in group.get(1, [])]
    if len(chunks) > _MAX_CHUNKS:
        raise ParquetTooLarge(msg("parquet.too_many_chunks", chunks=len(chunks), limit=_MAX_CHUNKS))
    spans: list[tuple[int, int, dict[int, Any]]] = []
    for column in chunks:
        if column is None:
            raise ParquetTooLarge(msg("parquet.chunk_elsewhere"))
        spans.append((*_chunk_span(column, footer_start, max_rows), column))
    # chunks may not share bytes: each page header is then walked once, whatever the metadata says
    spans.sort(key=lambda span: span[0])
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            raise ParquetTooLarge(msg("parquet.chunks_overlap"))
    unpacked = 0
    for start, end, column in spans:
        unpacked += _check_chunk(raw, column, start, end)
        _check_unpacked(unpacked, len(raw), max_unpacked_bytes, max_unpacked_ratio)
    return ParquetExtent(rows, unpacked, len(spans))


def _check_unpacked(unpacked: int, file_size: int, max_bytes: int, max_ratio: float) -> None:
    if unpacked > max_bytes:
        raise ParquetTooLarge(msg("parquet.unpacks_to", limit=max_bytes, hint=hint("max_unpacked_bytes")))
    if unpacked > _RATIO_FLOOR and unpacked > max_ratio * file_size:
        raise ParquetTooLarge(
            msg("parquet.ratio", ratio=unpacked / file_size, limit=max_ratio, hint=hint("max_unpacked_ratio"))
        )


def _chunk_span(column: dict[int, Any], data_end: int, max_rows: int) -> tuple[int, int]:
    """Where a column chunk's pages lie, ``(start, end)``, as a reader finds them.

    Readers begin at the dictionary page when the chunk has one (``dictionary_page_offset``),
    else at the first data page; a dictionary placed after the data is refused, so that the
    pages measured are the pages read.
    """
    total_unpacked, total_packed = int(column.get(6, -1)), int(column.get(7, -1))
    values = int(column.get(5, -1))
    data_offset, dictionary_offset = int(column.get(9, -1)), int(column.get(11, 0))
    if total_unpacked < 0 or total_packed < 0 or values < 0 or data_offset < len(MAGIC):
        raise ParquetTooLarge(msg("parquet.chunk_sizes"))
    if values > max_rows:  # roster columns are flat: one value a row
        raise ParquetTooLarge(msg("parquet.too_many_values", values=values, limit=max_rows, hint=hint("max_rows")))
    if dictionary_offset > data_offset:
        raise ParquetTooLarge(msg("parquet.dictionary_after"))
    start = dictionary_offset if dictionary_offset >= len(MAGIC) else data_offset
    end = start + total_packed
    if end > data_end:
        raise ParquetTooLarge(msg("parquet.chunk_outside"))
    return start, end


def _check_chunk(raw: bytes, column: dict[int, Any], start: int, end: int) -> int:
    """Walk a column chunk's page headers; return its unpacked size, checked against every page."""
    total_unpacked, values = int(column[6]), int(column[5])
    position, pages_unpacked = start, 0
    while position < end:
        header = _Reader(raw, position, end)
        page = header.struct(0, _PAGE_HEADER)
        unpacked, packed = int(page.get(2, -1)), int(page.get(3, -1))
        if unpacked < 0 or packed < 0:
            raise ParquetTooLarge(msg("parquet.page_sizes"))
        counts = [int(page[k].get(1, 0)) for k in (5, 7, 8) if k in page]
        if any(count < 0 or count > values for count in counts):
            raise ParquetTooLarge(msg("parquet.page_values"))
        position = header.pos + packed
        pages_unpacked += unpacked
        if position > end or pages_unpacked > total_unpacked:
            raise ParquetTooLarge(msg("parquet.page_bytes"))
    return total_unpacked


def parquet_problem(opened: Any, size: int) -> tuple[int, Message | None]:
    """A Parquet roster (a :class:`~ability2.partition.RosterScan`) checked before any page is read.

    Its rows by its own metadata against the limits in force (:func:`~ability2.io.
    parquet_extent.check_parquet`: rows, unpacked size and ratio, page headers), and its
    columns' types (a list or a record is not a cell). Returns the rows and what is wrong
    (``None`` when nothing is).
    """
    import polars as pl

    count, problem = measure_parquet(opened.source, size)
    if problem is not None:
        return count, problem
    try:
        schema = opened.frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        return count, msg("roster.parquet_damaged", detail=str(exc)[:300])
    nested = [
        opened.header[int(name[1:])]
        for name, dtype in schema.items()
        if name[1:].isdigit() and (dtype.is_nested() or dtype == pl.Object)
    ]
    if nested:
        return count, msg("roster.parquet_unreadable", detail=msg("parquet.nested", column=nested[0]))
    return count, None


def measure_parquet(path: str, size: int) -> tuple[int, Message | None]:
    """A Parquet file's rows by its own metadata, checked against the limits in force (its pages are not read).

    A file of :data:`MAP_FROM` bytes or more is read through a memory map (only the parts
    :func:`check_parquet` reads come into memory). Returns the rows and what is wrong, if anything.
    """
    import mmap

    from ability2.limits import current

    limits = current()
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size >= max(1, MAP_FROM) else None
        raw: Any = handle.read() if mapped is None else _Mapped(mapped)
        try:
            extent = check_parquet(
                raw,
                max_rows=limits.max_rows,
                max_unpacked_bytes=limits.max_unpacked_bytes,
                max_unpacked_ratio=limits.max_unpacked_ratio,
            )
        except ParquetTooLarge as exc:
            return 0, msg("roster.parquet_unreadable", detail=exc.args[0])
        finally:
            if mapped is not None:
                mapped.close()
    return extent.rows, None


class _Mapped:
    """A memory-mapped file as :func:`~ability2.io.parquet_extent.check_parquet` reads bytes (only the parts it reads)."""

    def __init__(self, mapped: Any) -> None:
        self.mapped = mapped

    def __len__(self) -> int:
        return len(self.mapped)

    def __getitem__(self, key: Any) -> Any:
        return self.mapped[key]

    def startswith(self, prefix: bytes) -> bool:
        return bool(self.mapped[: len(prefix)] == prefix)

    def endswith(self, suffix: bytes) -> bool:
        return bool(self.mapped[len(self.mapped) - len(suffix) :] == suffix)
