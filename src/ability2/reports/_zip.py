"""A small ZIP writer for the xlsx report: parts deflated as they are streamed in.

An .xlsx file is a ZIP archive of XML parts. The standard library's :mod:`zipfile` deflates
with zlib in one thread; a province's worksheet is hundreds of megabytes of XML, which zlib
compresses at a few hundred megabytes a second. This writer deflates with ISA-L
(the ``isal`` package, several times faster at a similar ratio) when it is installed, with
zlib's fastest level otherwise, and writes plain ZIP: each entry's local header is written
with its sizes and CRC once the entry is complete (the file is seekable: the writer goes
back to fill them in), so no data descriptors are used. ZIP64 records are written only when
needed: an entry that may pass 4 GiB is announced as such when it is opened, and the
central directory gets ZIP64 fields when an offset or a count overflows.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

__all__ = ["ZIP32_LIMIT", "ZipWriter", "deflater"]

#: sizes and offsets at or above this need ZIP64 fields
ZIP32_LIMIT = 0xFFFF_FFFF
_ENTRIES_LIMIT = 0xFFFF

# 1980-01-01 00:00:00 in MS-DOS form, as spreadsheet writers stamp their parts
_DOS_TIME = 0
_DOS_DATE = (1 << 5) | 1
_DEFLATED = 8
_VERSION = 20
_VERSION_ZIP64 = 45
_MADE_BY = 3 << 8  # Unix
_EXTERNAL_ATTR = 0o600 << 16

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_END64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")


def deflater() -> tuple[Callable[[], Any], Callable[[bytes | memoryview, int], int], str]:
    """``(new compressor, crc32, name)``: ISA-L's raw deflate when ``isal`` is installed, else zlib's level 1."""
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback where it has no wheel
        return (lambda: zlib.compressobj(1, zlib.DEFLATED, -15)), zlib.crc32, "zlib"
    return (lambda: isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)), isal_zlib.crc32, "isal"


# resolved when the module loads, before any file is begun
_DEFLATER = deflater()


class _Entry:
    """One part being written: its name, where its local header starts, and what went in and out."""

    def __init__(self, name: bytes, offset: int, zip64: bool) -> None:
        self.name = name
        self.offset = offset
        self.zip64 = zip64
        self.crc = 0
        self.size = 0
        self.compressed = 0


class ZipWriter:
    """Write a ZIP archive to a seekable binary file: :meth:`add` small parts, :meth:`open` a streamed one.

    Parts are written in the order given. :meth:`close` writes the central directory; it does
    not close the file.
    """

    def __init__(self, handle: BinaryIO, *, compressor: Callable[[], Any] | None = None) -> None:
        self._handle = handle
        new, crc, _ = _DEFLATER
        self._new = compressor or new
        self._crc = crc if compressor is None else zlib.crc32
        self._entries: list[_Entry] = []
        self._open: _Entry | None = None

    def deflate(self, data: bytes | memoryview) -> bytes:
        """``data`` deflated on its own and ended on a byte boundary, to append to a part with ``write_deflated``.

        Such pieces, made in any thread, join into one deflate stream (as pigz makes them): each
        starts afresh and ends with a sync flush; the part's close adds the final block.
        """
        compressor = self._new()
        return bytes(compressor.compress(data)) + bytes(compressor.flush(zlib.Z_SYNC_FLUSH))

    def add(self, name: str, data: bytes) -> None:
        """Write a whole part at once."""
        with self.open(name) as write:
            write(data)

    def open(self, name: str, *, large: bool = False) -> _Stream:
        """A part written piece by piece: ``with writer.open(name) as write: write(chunk)``.

        ``large``: the part may reach 4 GiB uncompressed, so its header gets ZIP64 fields.
        """
        if self._open is not None:
            raise RuntimeError(f"part {self._open.name.decode()} is still open")
        entry = _Entry(name.encode("utf-8"), self._handle.tell(), large)
        self._handle.write(self._local_header(entry))
        self._open = entry
        return _Stream(self, entry)

    def _local_header(self, entry: _Entry) -> bytes:
        flags = 0 if entry.name.isascii() else 1 << 11
        if entry.zip64:
            extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.compressed)
            sizes = (ZIP32_LIMIT, ZIP32_LIMIT)
            version = _VERSION_ZIP64
        else:
            extra = b""
            sizes = (entry.compressed, entry.size)
            version = _VERSION
        fields = (b"PK\x03\x04", version, flags, _DEFLATED, _DOS_TIME, _DOS_DATE, entry.crc, *sizes)
        return _LOCAL.pack(*fields, len(entry.name), len(extra)) + entry.name + extra

    def _finish(self, entry: _Entry) -> None:
        if not entry.zip64 and (entry.size >= ZIP32_LIMIT or entry.compressed >= ZIP32_LIMIT):
            raise OverflowError(f"part {entry.name.decode()} passed 4 GiB without ZIP64 fields")
        end = self._handle.tell()
        self._handle.seek(entry.offset)
        self._handle.write(self._local_header(entry))
        self._handle.seek(end)
        self._entries.append(entry)
        self._open = None

    def close(self) -> None:
        """Write the central directory and the end records."""
        if self._open is not None:
            raise RuntimeError(f"part {self._open.name.decode()} is still open")
        handle = self._handle
        start = handle.tell()
        for entry in self._entries:
            handle.write(self._central(entry))
        size = handle.tell() - start
        count = len(self._entries)
        if count >= _ENTRIES_LIMIT or start >= ZIP32_LIMIT or size >= ZIP32_LIMIT:
            where = handle.tell()
            handle.write(
                _END64.pack(
                    b"PK\x06\x06", 44, _MADE_BY | _VERSION_ZIP64, _VERSION_ZIP64, 0, 0, count, count, size, start
                )
            )
            handle.write(_LOCATOR64.pack(b"PK\x06\x07", 0, where, 1))
            count, size, start = min(count, _ENTRIES_LIMIT), min(size, ZIP32_LIMIT), min(start, ZIP32_LIMIT)
        handle.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))

    @staticmethod
    def _central(entry: _Entry) -> bytes:
        wide: list[int] = []
        size, compressed, offset = entry.size, entry.compressed, entry.offset
        if size >= ZIP32_LIMIT:
            wide.append(size)
            size = ZIP32_LIMIT
        if compressed >= ZIP32_LIMIT:
            wide.append(compressed)
            compressed = ZIP32_LIMIT
        if offset >= ZIP32_LIMIT:
            wide.append(offset)
            offset = ZIP32_LIMIT
        extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        version = _VERSION_ZIP64 if wide or entry.zip64 else _VERSION
        flags = 0 if entry.name.isascii() else 1 << 11
        fields = (b"PK\x01\x02", _MADE_BY | version, version, flags, _DEFLATED, _DOS_TIME, _DOS_DATE)
        counts = (len(entry.name), len(extra), 0, 0, 0, _EXTERNAL_ATTR, offset)
        return _CENTRAL.pack(*fields, entry.crc, compressed, size, *counts) + entry.name + extra


class _Stream:
    """The writing side of one open part (see :meth:`ZipWriter.open`)."""

    def __init__(self, writer: ZipWriter, entry: _Entry) -> None:
        self._writer = writer
        self._entry = entry
        self._compressor: Any = None

    def __enter__(self) -> Callable[[bytes | memoryview], None]:
        return self.write

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.close()

    def _count(self, data: bytes | memoryview) -> None:
        entry = self._entry
        entry.crc = self._writer._crc(data, entry.crc)
        entry.size += len(data)

    def _out(self, out: bytes) -> None:
        if out:
            self._entry.compressed += len(out)
            self._writer._handle.write(out)

    def write(self, data: bytes | memoryview) -> None:
        """Add ``data`` to the part (deflated here, continuing the stream)."""
        if self._compressor is None:
            self._compressor = self._writer._new()
        self._count(data)
        self._out(self._compressor.compress(data))

    def write_deflated(self, deflated: bytes, data: bytes | memoryview) -> None:
        """Add ``data``, already deflated elsewhere by :meth:`ZipWriter.deflate` as ``deflated``."""
        if self._compressor is not None:  # end what was deflated here on a byte boundary first
            self._out(self._compressor.flush(zlib.Z_SYNC_FLUSH))
            self._compressor = None
        self._count(data)
        self._out(deflated)

    def close(self) -> None:
        """End the deflate stream (a last, empty block when the data came deflated) and fill in the part's header."""
        compressor = self._compressor if self._compressor is not None else self._writer._new()
        self._out(compressor.flush())
        self._compressor = None
        self._writer._finish(self._entry)
