"""Bounds on what a roster or school-table reader takes in: every file is untrusted.

The defaults fit a province (a million teachers in one file) and refuse what no roster
needs: a file larger than memory, a 1.6 MB workbook holding 600 MB of XML (a zip bomb), a
sheet whose one stray cell at XFD1048576 would make the reader allocate 17 billion cells.
Past a limit the file is refused with its name and the limit, before the work is done.

A program changes them on :data:`LIMITS` (``ability2.io.limits.LIMITS.max_cells = ...``).
"""

from __future__ import annotations

import io
import re
import zipfile

import attrs

__all__ = ["LIMITS", "ReadLimits", "WorkbookTooLarge", "check_xlsx"]


@attrs.define
class ReadLimits:
    """The limits in force for reading rosters and school tables."""

    #: bytes of one input file (a CSV of a million teachers is about 120 MB)
    max_bytes: int = 2 * 1024**3
    #: bytes a workbook's parts decompress to (its XML)
    max_unpacked: int = 2 * 1024**3
    #: cells of the first sheet's extent (rows × columns up to its last cell)
    max_cells: int = 15_000_000


#: the limits in force
LIMITS = ReadLimits()


class WorkbookTooLarge(ValueError):
    """A workbook past a limit; the message says which and by how much."""


#: a cell with content: ``<c r="B7" ...>`` (not a self-closing ``<c r="B7" s="1"/>``, a formatted blank cell,
#: which readers skip)
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first sheet (the one a reader opens), if it can be found."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = _SHEET.search(workbook)
    if first is None:
        return None
    targets = {rid: target for rid, target in _REL.findall(rels)}
    targets.update({rid: target for target, rid in _REL_REVERSED.findall(rels)})
    target = targets.get(first.group(1))
    if target is None:
        return None
    text = str(target.decode("utf-8", "replace"))
    return text.lstrip("/") if text.startswith("/") else "xl/" + text


def check_xlsx(raw: bytes) -> None:
    """Refuse an xlsx that decompresses past :attr:`ReadLimits.max_unpacked` or whose first sheet spans too many cells.

    Reads the zip's directory (sizes as declared, then as actually inflated for the first
    sheet) and scans the first sheet's XML for cell references in bounded chunks: the cost
    is one pass over at most ``max_unpacked`` bytes, never the sheet's bounding box.
    Anything that is not a readable xlsx zip is left to the workbook reader.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        return
    with archive:
        declared = sum(info.file_size for info in archive.infolist())
        if declared > LIMITS.max_unpacked:
            raise WorkbookTooLarge(
                f"the workbook unpacks to {declared / 1024**2:,.0f} MB; at most {LIMITS.max_unpacked / 1024**2:,.0f} MB "
                "is read (a workbook that small on disk and that large inside is refused)"
            )
        sheet = _first_sheet(archive)
        if sheet is None or sheet not in archive.namelist():
            return
        rows = columns = 0
        inflated = 0
        tail = b""
        with archive.open(sheet) as stream:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                inflated += len(chunk)
                if inflated > LIMITS.max_unpacked:
                    raise WorkbookTooLarge(
                        f"the first sheet unpacks to more than {LIMITS.max_unpacked / 1024**2:,.0f} MB of XML"
                    )
                data = tail + chunk
                for letters, number in _CELL_REF.findall(data):
                    columns = max(columns, _column_number(letters))
                    rows = max(rows, int(number))
                tail = data[-64:]
        if rows * columns > LIMITS.max_cells:
            raise WorkbookTooLarge(
                f"the first sheet spans {rows:,} rows × {columns:,} columns ({rows * columns:,} cells, up to its last "
                f"filled cell); at most {LIMITS.max_cells:,} cells are read. Delete the stray cells far from the "
                "table (select the empty rows and columns after it and delete them), or save the sheet as CSV"
            )
