"""Measure a workbook's first sheet by its content before a reader builds it.

Workbook readers allocate a sheet's whole extent: every cell from A1 to the last cell with
content. A 1.8 KB XLSX whose one stray cell sits at XFD1048576, a 5 KB XLS with a cell at
IV65536 or an 800-byte ODS that repeats one cell 20,000 × 4,000 times would make them
allocate gigabytes. :func:`check_workbook` finds the extent from the file's own records, in
bounded chunks and without building any cell, and refuses a workbook past the limits
(``max_unpacked_bytes``, ``max_sheet_cells``, ``max_rows``: :mod:`ability2.limits`) with
:class:`WorkbookTooLarge`.

Formats: XLSX/XLSM (sheet XML), XLSB (binary records), ODS (``content.xml``, repeated rows
and cells counted as repeated) and XLS (BIFF8 records in the OLE2 ``Workbook`` stream).
Cells without content (formatted blanks) do not count, as readers skip them. A file this
module cannot make sense of is left to the reader, which rejects what it cannot read.
"""

from __future__ import annotations

import collections
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from ability2.limits import Limits, current, hint
from ability2.messages import msg

__all__ = ["WorkbookTooLarge", "check_workbook"]

_CHUNK = 1 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class WorkbookTooLarge(ValueError):
    """A workbook past a limit; the message says which and by how much."""


def check_workbook(raw: bytes) -> None:
    """Refuse a workbook whose parts unpack past the limit or whose first sheet spans too many cells or rows.

    The cost is one pass over the first sheet's records (at most ``max_unpacked_bytes``),
    never its extent. Raises :class:`WorkbookTooLarge`; returns quietly for anything it
    cannot read (the workbook reader then says what is wrong).
    """
    limits = current()
    if raw.startswith(_OLE_MAGIC):
        extent = _xls_extent(raw, limits)
    else:
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            with archive:
                extent = _zip_extent(archive, len(raw), limits)
        except WorkbookTooLarge:
            raise
        # zipfile raises RuntimeError for an encrypted part and NotImplementedError for a compression
        # method it lacks: like a damaged archive, these are left to the reader, which says what is wrong
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error):
            return
    if extent is not None:
        _check_extent(*extent, limits)


def _check_extent(rows: int, columns: int, limits: Limits) -> None:
    if rows * columns > limits.max_sheet_cells:
        raise WorkbookTooLarge(
            msg(
                "workbook.extent",
                rows=rows,
                columns=columns,
                cells=rows * columns,
                limit=limits.max_sheet_cells,
                hint=hint("max_sheet_cells"),
            )
        )
    if rows > limits.max_rows + 1:
        raise WorkbookTooLarge(msg("workbook.rows", rows=rows, limit=limits.max_rows, hint=hint("max_rows")))


#: below this many unpacked bytes a workbook's compression ratio is not looked at
_RATIO_FLOOR = 16 * 1024**2


class _Budget:
    """The bytes a workbook's parts may inflate to, paid for chunk by chunk.

    At most ``max_unpacked_bytes``, and no more than ``max_unpacked_ratio`` times the file
    (rosters grow about ten times, zip bombs hundreds).
    """

    def __init__(self, packed: int, limits: Limits) -> None:
        self.limits = limits
        self.allowed = min(limits.max_unpacked_bytes, max(_RATIO_FLOOR, limits.max_unpacked_ratio * packed))
        self.packed = packed
        self.used = 0

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.allowed:
            raise self.refusal(self.used, more=True)

    def refusal(self, size: int, *, more: bool = False) -> WorkbookTooLarge:
        limits = self.limits
        what = msg("workbook.more_than", mb=self.allowed / 1024**2) if more else f"{size / 1024**2:,.0f} MB"
        if self.allowed < limits.max_unpacked_bytes:
            return WorkbookTooLarge(
                msg(
                    "workbook.zip_bomb",
                    what=what,
                    ratio=limits.max_unpacked_ratio,
                    packed=self.packed / 1024**2,
                    hint=hint("max_unpacked_ratio"),
                )
            )
        return WorkbookTooLarge(
            msg(
                "workbook.unpacks_to",
                what=what,
                limit=limits.max_unpacked_bytes / 1024**2,
                hint=hint("max_unpacked_bytes"),
            )
        )

    def drain(self, stream: IO[bytes]) -> None:
        """Inflate a part only to pay for its size (parts other than the first sheet are not looked into)."""
        collections.deque(self.chunks(stream), maxlen=0)

    def chunks(self, stream: IO[bytes]) -> Iterator[bytes]:
        """The stream in chunks, each paid for from the budget."""
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return
            self.spend(len(chunk))
            yield chunk


# --------------------------------------------------------------------------- zip formats


def _zip_extent(archive: zipfile.ZipFile, packed: int, limits: Limits) -> tuple[int, int] | None:
    """The first sheet's extent; every part is inflated once, against the budget (sizes declared can lie)."""
    budget = _Budget(packed, limits)
    declared = sum(info.file_size for info in archive.infolist())
    if declared > budget.allowed:
        raise budget.refusal(declared)
    names = set(archive.namelist())
    if "content.xml" in names:
        sheet: str | None = "content.xml"
        measure = _ods_extent
    elif "xl/workbook.bin" in names:
        sheet = _first_xlsb_sheet(archive, names, budget)
        measure = _xlsb_extent
    else:
        sheet = _first_xlsx_sheet(archive, names)
        measure = _xlsx_extent
    shared_part = (
        _xlsx_shared_strings(archive, names, "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml")
        if measure is _xlsx_extent
        else _xlsx_shared_strings(archive, names, "xl/_rels/workbook.bin.rels", "xl/sharedStrings.bin")
        if measure is _xlsb_extent
        else None
    )
    text = _SharedText()
    extent = None
    for info in archive.infolist():
        with archive.open(info) as stream:
            if info.filename == sheet:
                extent = measure(budget.chunks(stream), text)
            elif info.filename == shared_part and measure is _xlsb_extent:
                text.measure_binary(budget.chunks(stream))
            elif info.filename == shared_part:
                text.measure(budget.chunks(stream))
            else:
                budget.drain(stream)
    if extent is not None:  # a sheet too wide or too long is the first thing to say
        _check_extent(*extent, limits)
    text.check(budget)
    return extent


class _SharedText:
    """The text an XLSX sheet's shared-string cells become: each cell is its own copy once read.

    A shared string is stored once and referenced by index, so one long string on every row
    is a small file whose cells hold gigabytes. The sheet's references are counted per index
    and the strings measured (bytes between ``<si>`` and ``</si>``, an upper bound of the
    text), in whichever order the archive holds the two parts.
    """

    def __init__(self) -> None:
        self.references: collections.Counter[int] = collections.Counter()
        self.lengths: list[int] = []
        #: bytes of repeated cells once expanded (ODS writes a repeated cell once)
        self.expanded = 0

    def measure(self, chunks: Iterator[bytes]) -> None:
        """Record each shared string's length (bytes between ``<si>`` and ``</si>``; ``<si/>`` is 0), in order.

        Tags are found one at a time (never a pattern spanning an item's content), so the
        pass is linear however the part is written; an item may span chunks.
        """
        tail = b""
        consumed = 0  # bytes of the part before ``data``
        opened: int | None = None  # where the open item's content began, counted from the part's start
        for chunk in chunks:
            data = tail + chunk
            complete, tail = _complete_tags(data)
            for match in _SHARED_ITEM_TAG.finditer(complete):
                if match.group(1):  # </si>
                    if opened is not None:
                        self.lengths.append(consumed + match.start() - opened)
                    opened = None
                elif match.group(2):  # <si/>
                    self.lengths.append(0)
                else:
                    opened = consumed + match.end()
            consumed += len(complete)

    def measure_binary(self, chunks: Iterator[bytes]) -> None:
        """Record each XLSB shared string's length (BrtSSTItem: flags, then a count of UTF-16 characters), 3 bytes a character."""
        for kind, body in _xlsb_records(chunks):
            if kind == _BRT_SST_ITEM and len(body) >= 5:
                (characters,) = struct.unpack_from("<I", body, 1)
                self.lengths.append(3 * characters)

    def check(self, budget: _Budget) -> None:
        """Refuse a sheet whose shared-string cells hold more text than the workbook may unpack to.

        The same bound as the parts' own: ``max_unpacked_bytes``, and ``max_unpacked_ratio``
        times the file past 16 MB (a roster's repeated school names are far below it).
        """
        volume = self.expanded + sum(
            count * self.lengths[index] for index, count in self.references.items() if index < len(self.lengths)
        )
        if volume > budget.allowed:
            limit = "max_unpacked_bytes" if budget.allowed >= budget.limits.max_unpacked_bytes else "max_unpacked_ratio"
            raise WorkbookTooLarge(
                msg(
                    "workbook.repeated_text",
                    volume=volume / 1024**2,
                    packed=budget.packed / 1024**2,
                    limit=budget.allowed / 1024**2,
                    hint=hint(limit),
                )
            )


#: the tags of a shared string: ``<si>``, ``</si>`` or ``<si/>`` (attributes never hold ``<`` or ``>``)
_SHARED_ITEM_TAG = re.compile(rb"<(/?)(?:\w{1,64}:)?si\b[^<>]{0,4096}?(/?)>")
#: the tags that say which cells hold shared strings: ``<c ... t="s">``, ``<v>``, ``</v>``, ``</c>``
_CELL_VALUE_TAG = re.compile(rb"<(/?)(?:\w{1,64}:)?(c|v)\b([^<>]{0,4096}?)(/?)>")
_SHARED_TYPE_ATTRIBUTE = re.compile(rb"""\bt\s*=\s*["']s["']""")
_SHARED_TYPE = re.compile(rb'<Relationship\b[^>]*?\bType="[^"]*/sharedStrings"[^>]*>')
_TARGET = re.compile(rb'\bTarget="([^"]+)"')


def _xlsx_shared_strings(archive: zipfile.ZipFile, names: set[str], rels: str, default: str) -> str | None:
    """The zip path of an XLSX (or XLSB) workbook's shared strings, as its relationships name it."""
    if rels in names and archive.getinfo(rels).file_size <= _CHUNK:
        relation = _SHARED_TYPE.search(archive.read(rels))
        target = _TARGET.search(relation.group(0)) if relation else None
        if target is not None:
            text = target.group(1).decode("utf-8", "replace")
            path = text.lstrip("/") if text.startswith("/") else "xl/" + text
            if path in names:
                return path
    return default if default in names else None


_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"')


def _relationship_target(archive: zipfile.ZipFile, rels: str, relation: bytes, names: set[str]) -> str | None:
    """The zip path a workbook relationship id points at, if the archive has it."""
    if rels not in names or archive.getinfo(rels).file_size > _CHUNK:
        return None
    data = archive.read(rels)
    targets = {rid: target for rid, target in _REL.findall(data)}
    targets.update({rid: target for target, rid in _REL_REVERSED.findall(data)})
    target = targets.get(relation)
    if target is None:
        return None
    text = target.decode("utf-8", "replace")
    path = text.lstrip("/") if text.startswith("/") else "xl/" + text
    return path if path in names else None


def _first_xlsx_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The zip path of an XLSX workbook's first sheet (the one a reader opens), if it can be found."""
    if "xl/workbook.xml" not in names or archive.getinfo("xl/workbook.xml").file_size > 16 * _CHUNK:
        return None
    first = _SHEET.search(archive.read("xl/workbook.xml"))
    if first is None:
        return None
    return _relationship_target(archive, "xl/_rels/workbook.xml.rels", first.group(1), names)


#: a cell with content: ``<c r="B7" ...>`` (not a self-closing ``<c r="B7" s="1"/>``, a formatted blank cell,
#: which readers skip)
_CELL_REF = re.compile(rb'<(?:\w{1,64}:)?c\b[^<>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^<>]*?(?<!/)>')


def _complete_tags(data: bytes) -> tuple[bytes, bytes]:
    """``data`` split before a tag the chunk cuts in two; a "tag" longer than a chunk is dropped, not kept growing."""
    cut = data.rfind(b"<")
    if cut < 0 or b">" in data[cut:] or len(data) - cut > _CHUNK:
        return data, b""
    return data[:cut], data[cut:]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _complete_cells(data: bytes) -> tuple[bytes, bytes]:
    """``data`` split before its last cell's opening tag, so that no cell is cut in two (a cell longer than a chunk is kept)."""
    opening = max((data.rfind(p) for p in (b"<c ", b"<c>", b"<c\n", b"<c\t", b"<c\r")), default=-1)
    prefixed = data.rfind(b":c ")
    if prefixed > opening:
        opening = data.rfind(b"<", 0, prefixed)
    if opening <= 0 or len(data) - opening > _CHUNK:
        return _complete_tags(data)
    return data[:opening], data[opening:]


def _xlsx_extent(chunks: Iterator[bytes], text: _SharedText | None = None) -> tuple[int, int]:
    rows = columns = 0
    tail = b""
    values = _SharedCells(text)
    for chunk in chunks:
        data = tail + chunk
        complete, tail = _complete_cells(data)
        rows, columns = _xlsx_cells(complete, rows, columns, values)
    return _xlsx_cells(tail, rows, columns, values)


def _xlsx_cells(data: bytes, rows: int, columns: int, values: _SharedCells) -> tuple[int, int]:
    for letters, number in _CELL_REF.findall(data):
        columns = max(columns, _column_number(letters))
        rows = max(rows, int(number))
    values.scan(data)
    return rows, columns


class _SharedCells:
    """Counts the shared-string index each ``t="s"`` cell holds, tag by tag (a formula or spaces may come first)."""

    def __init__(self, text: _SharedText | None) -> None:
        self.text = text
        self.shared = False  # inside a cell whose type is a shared string
        self.value: bytearray | None = None  # the open <v>'s text so far

    def scan(self, data: bytes) -> None:
        if self.text is None:
            return
        start = 0
        for match in _CELL_VALUE_TAG.finditer(data):
            closing, name, attributes, empty = match.groups()
            if self.value is not None:
                self.value += data[start : match.start()][:16]
                if closing and name == b"v":
                    index = bytes(self.value).strip()
                    if self.shared and index.isdigit() and len(index) <= 10:
                        self.text.references[int(index)] += 1
                    self.value = None
            if name == b"c":
                self.shared = not closing and not empty and _SHARED_TYPE_ATTRIBUTE.search(attributes) is not None
            elif name == b"v" and not closing and not empty and self.shared:
                self.value = bytearray()
            start = match.end()
        if self.value is not None:  # the value goes on in the next piece
            self.value += data[start:][:16]


#: the tags of an ODS table that decide its extent
_ODS_TAG = re.compile(
    rb"<table:table-row(?=[\s/>])([^>]*?)(/?)>|</table:table-row>"
    rb"|<table:(?:covered-)?table-cell(?=[\s/>])([^>]*?)(/?)>|</table:table>|</table:(?:covered-)?table-cell>"
)
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="([0-9]{1,12})"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="([0-9]{1,12})"')


def _repeat(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    found = pattern.search(attributes)
    return int(found.group(1)) if found else 1


def _ods_extent(chunks: Iterator[bytes], text: _SharedText | None = None) -> tuple[int, int]:
    """Rows and columns up to the last cell with content in the first table, repeats expanded by arithmetic.

    With ``text``, also the bytes the cells hold once their repeats are expanded (a cell's
    markup and text, times its column and row repeats): readers copy a repeated cell into
    every place it repeats to.
    """
    rows = columns = 0
    row = column = 0
    repeat = 1
    filled = False
    tail = b""
    row_bytes = 0  # bytes of the current row's cells, repeats across included
    cell_start: int | None = None  # where the open cell's content began in this chunk
    cell_bytes = cell_span = 0
    for chunk in chunks:
        data = tail + chunk
        complete, tail = _complete_tags(data)
        for match in _ODS_TAG.finditer(complete):
            tag = match.group(0)
            if tag.startswith(b"<table:table-row"):
                repeat = _repeat(_ROWS_REPEATED, match.group(1))
                column = 0
                filled = False
                row_bytes = 0
                if match.group(2) == b"/":  # an empty row written as one tag
                    row += repeat
            elif tag == b"</table:table-row>":
                if filled:
                    rows = row + repeat
                row += repeat
                if text is not None:
                    text.expanded += row_bytes * repeat
            elif tag == b"</table:table>":
                return rows, columns
            elif tag.startswith(b"</"):  # a cell closes: its content, as many times as it repeats
                if cell_start is not None:
                    row_bytes += (cell_bytes + match.start() - cell_start) * cell_span
                cell_start, cell_bytes = None, 0
            else:
                span = _repeat(_COLUMNS_REPEATED, match.group(3))
                if match.group(4) != b"/" or b"value-type=" in match.group(3):
                    filled = True
                    columns = max(columns, column + span)
                if match.group(4) != b"/":
                    cell_start, cell_bytes, cell_span = match.end(), 0, span
                column += span
        if cell_start is not None:  # the open cell goes on in the next chunk
            cell_bytes += len(complete) - cell_start
            cell_start = 0
    return rows, columns


def _xlsb_varint(data: bytes, position: int, most: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(most):
        if position >= len(data):
            raise IndexError(position)
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, position


def _xlsb_records(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """The (type, body) records of an XLSB part."""
    data = b""
    position = 0
    for chunk in chunks:
        data = data[position:] + chunk
        position = 0
        while True:
            try:
                kind, after = _xlsb_varint(data, position, 2)
                size, after = _xlsb_varint(data, after, 4)
            except IndexError:
                break
            if after + size > len(data):
                if size > 16 * _CHUNK:
                    return  # no record is that large: not a sheet we can read
                break
            yield kind, data[after : after + size]
            position = after + size


_BRT_BUNDLE_SHEET = 156
_BRT_CELL_ISST = 7
_BRT_SST_ITEM = 19
_BRT_ROW_HEADER = 0
#: BrtCellRk ... BrtFmlaError and BrtCellRString (BrtCellBlank, 1, is a formatted blank)
_BRT_CELLS = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 62})


def _first_xlsb_sheet(archive: zipfile.ZipFile, names: set[str], budget: _Budget) -> str | None:
    if "xl/workbook.bin" not in names or archive.getinfo("xl/workbook.bin").file_size > 16 * _CHUNK:
        return None
    with archive.open("xl/workbook.bin") as stream:
        for kind, body in _xlsb_records(iter([stream.read(16 * _CHUNK)])):
            if kind == _BRT_BUNDLE_SHEET and len(body) >= 12:
                (length,) = struct.unpack_from("<I", body, 8)
                relation = body[12 : 12 + 2 * length].decode("utf-16-le", "replace").encode()
                return _relationship_target(archive, "xl/_rels/workbook.bin.rels", relation, names)
    return None


def _xlsb_extent(chunks: Iterator[bytes], text: _SharedText | None = None) -> tuple[int, int]:
    """Rows and columns of an XLSB sheet; with ``text``, its shared-string cells (BrtCellIsst) counted by index."""
    rows = columns = 0
    row = 0
    for kind, body in _xlsb_records(chunks):
        if kind == _BRT_ROW_HEADER and len(body) >= 4:
            (row,) = struct.unpack_from("<I", body)
        elif kind in _BRT_CELLS and len(body) >= 4:
            (column,) = struct.unpack_from("<I", body)
            rows = max(rows, row + 1)
            columns = max(columns, column + 1)
            if kind == _BRT_CELL_ISST and text is not None and len(body) >= 12:
                (index,) = struct.unpack_from("<I", body, 8)
                text.references[index] += 1
    return rows, columns


# --------------------------------------------------------------------------- XLS (BIFF8 in OLE2)

_BOF, _EOF, _BOUNDSHEET = 0x0809, 0x000A, 0x0085
#: NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA, RSTRING: one cell at (row, column)
_XLS_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6})
_XLS_MULRK = 0x00BD


def _xls_extent(raw: bytes, limits: Limits) -> tuple[int, int] | None:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(raw))
    except Exception:  # not an OLE2 file olefile can read: the workbook reader says why
        return None
    with ole:
        name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if name is None:
            return None
        size = ole.get_size(name)
        if size > limits.max_unpacked_bytes:
            raise WorkbookTooLarge(
                msg(
                    "workbook.stream",
                    size=size / 1024**2,
                    limit=limits.max_unpacked_bytes / 1024**2,
                    hint=hint("max_unpacked_bytes"),
                )
            )
        try:
            stream = ole.openstream(name).read()
        except Exception:
            return None
    extent = _biff_extent(stream)
    if extent is not None:
        _check_extent(*extent, limits)
        volume = _biff_shared_text(stream)
        budget = _Budget(len(raw), limits)
        if volume > budget.allowed:
            limit = "max_unpacked_bytes" if budget.allowed >= limits.max_unpacked_bytes else "max_unpacked_ratio"
            raise WorkbookTooLarge(
                msg(
                    "workbook.repeated_text",
                    volume=volume / 1024**2,
                    packed=len(raw) / 1024**2,
                    limit=budget.allowed / 1024**2,
                    hint=hint(limit),
                )
            )
    return extent


_SST, _CONTINUE, _LABELSST = 0x00FC, 0x003C, 0x00FD


def _biff_records(stream: bytes, start: int) -> Iterator[tuple[int, int, int]]:
    """``(kind, body offset, body size)`` of each record from ``start`` (a record cut short ends the walk)."""
    end = len(stream)
    position = start
    while position + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, position)
        if position + 4 + size > end:
            return
        yield kind, position + 4, size
        position += 4 + size


def _sst_lengths(stream: bytes) -> list[int]:
    """The character count of each shared string (BIFF8 SST and its CONTINUE records)."""
    pieces: list[bytes] = []
    records = _biff_records(stream, 0)
    for kind, body, size in records:
        if kind == _SST:
            pieces.append(stream[body : body + size])
            for kind, body, size in records:
                if kind != _CONTINUE:
                    break
                pieces.append(stream[body : body + size])
            break
        if kind == _EOF:
            break
    if not pieces or len(pieces[0]) < 8:
        return []
    (unique,) = struct.unpack_from("<I", pieces[0], 4)
    lengths: list[int] = []
    record, position = 0, 8

    def take(count: int) -> None:  # skip ``count`` bytes of runs or extended data, across records
        nonlocal record, position
        while count > 0 and record < len(pieces):
            available = len(pieces[record]) - position
            if count < available:
                position += count
                return
            count -= available
            record, position = record + 1, 0

    def byte() -> int:
        nonlocal record, position
        while record < len(pieces) and position >= len(pieces[record]):
            record, position = record + 1, 0
        if record >= len(pieces):
            raise IndexError(record)
        value = pieces[record][position]
        position += 1
        return value

    try:
        for _ in range(min(unique, sum(map(len, pieces)) // 3)):  # a string takes at least 3 bytes
            characters = byte() | byte() << 8
            flags = byte()
            runs = (byte() | byte() << 8) if flags & 0x08 else 0
            extended = (byte() | byte() << 8 | byte() << 16 | byte() << 24) if flags & 0x04 else 0
            left = characters
            while left > 0:  # characters may continue in the next record, after a fresh flags byte
                if record < len(pieces) and position >= len(pieces[record]):
                    record, position = record + 1, 0
                    if record >= len(pieces):
                        raise IndexError(record)
                    flags = pieces[record][0]
                    position = 1
                if record >= len(pieces):
                    raise IndexError(record)
                width = 2 if flags & 0x01 else 1
                fit = min(left, (len(pieces[record]) - position) // width)
                if fit == 0:  # a character cut by a record boundary: not in a valid file
                    raise IndexError(record)
                position += fit * width
                left -= fit
            take(4 * runs + extended)
            lengths.append(characters)
    except IndexError:  # a damaged table: what was read counts, the reader says the rest
        return lengths
    return lengths


def _biff_shared_text(stream: bytes) -> int:
    """Bytes the first worksheet's shared-string cells hold once each is its own copy (3 bytes a character at most)."""
    lengths = _sst_lengths(stream)
    if not lengths:
        return 0
    references: collections.Counter[int] = collections.Counter()
    for kind, body, size in _first_worksheet_records(stream):
        if kind == _LABELSST and size >= 10:
            (index,) = struct.unpack_from("<I", stream, body + 6)
            references[index] += 1
    return sum(3 * count * lengths[index] for index, count in references.items() if index < len(lengths))


def _first_worksheet_records(stream: bytes) -> Iterator[tuple[int, int, int]]:
    """``(kind, body offset, body size)`` of the first worksheet's own records (those of nested substreams left out)."""
    first_sheet: int | None = None
    for kind, body, size in _biff_records(stream, 0):  # the workbook globals: the first worksheet's BOF
        if kind == _BOUNDSHEET and size >= 6:
            offset, _, sheet_type = struct.unpack_from("<IBB", stream, body)
            if sheet_type == 0:
                first_sheet = offset
                break
        if kind == _EOF:
            break
    if first_sheet is None:
        return
    depth = 0
    for kind, body, size in _biff_records(stream, first_sheet):
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                return
        elif depth == 1:
            yield kind, body, size


def _biff_extent(stream: bytes) -> tuple[int, int] | None:
    """Rows and columns up to the last cell with content on the first worksheet of a BIFF stream."""
    records = _first_worksheet_records(stream)
    rows = columns = 0
    found = False
    for kind, body, size in records:
        found = True
        if size >= 4 and (kind in _XLS_CELLS or kind == _XLS_MULRK):
            row, column = struct.unpack_from("<HH", stream, body)
            if kind == _XLS_MULRK and size >= 6:
                (column,) = struct.unpack_from("<H", stream, body + size - 2)
            rows = max(rows, row + 1)
            columns = max(columns, column + 1)
    return (rows, columns) if found else None
