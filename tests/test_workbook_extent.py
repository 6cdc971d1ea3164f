"""Workbooks are measured by their content before they are read (issue 10: XLSX, XLS, ODS, XLSB).

Each hostile file below is a few kilobytes that a workbook reader would expand to gigabytes
(measured before this check: the 824-byte ODS took 10 GB and 32 s, the 5.6 KB XLS 1.2 GB).
They must be refused in a child process within 10 s and 500 MB, naming the file.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xlwt

import ability2
from ability2.io.extent import (
    WorkbookTooLarge,
    _biff_extent,
    _ods_extent,
    _SharedText,
    _sst_lengths,
    _xlsb_extent,
    check_workbook,
)
from ability2.limits import limited

HEADER = ("teacher_id", "school", "online_hours", "offline_hours", "abilities")
ROW = ("T1", "实验小学", "20", "30", "A1;B2;C4")

_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="S1">'
)
_ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



def cell(text: str, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{repeated}><text:p>{text}</text:p></table:table-cell>'


def row(cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{cells}</table:table-row>"


def ods(path: Path, body: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", _ODS_HEAD + body + _ODS_TAIL)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
    return path


def good_ods_body() -> str:
    # what LibreOffice writes: the table, then a million empty rows and columns as repeats
    empty_tail = '<table:table-cell table:number-columns-repeated="1019"/>'
    return (
        row("".join(cell(h) for h in HEADER) + empty_tail)
        + row("".join(cell(v) for v in ROW) + empty_tail)
        + row('<table:table-cell table:number-columns-repeated="1024"/>', repeat=1048574)
    )


def xls(path: Path, far: tuple[int, int] | None = None) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("名册")
    for j, value in enumerate(HEADER):
        sheet.write(0, j, value)
    for j, value in enumerate(ROW):
        sheet.write(1, j, value)
    sheet.write(2, 0, "T2")
    sheet.write(2, 1, "实验小学")
    sheet.write(2, 2, 20.5)
    sheet.write(2, 3, 30)
    sheet.write(2, 4, "A1;B2;C4")
    if far is not None:
        sheet.write(far[0], far[1], " ")
    book.save(str(path))
    return path


_CHILD = """
import json, sys, time
start = time.monotonic()
import ability2
try:
    ability2.read_roster(sys.argv[1])
    outcome = "read"
except ability2.RosterError as exc:
    outcome = exc.text("en")  # what is refused and why, as English text (the language is tested elsewhere)
# VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - start, "mb": peak / 1024}))
"""


def read_in_child(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    measured: dict[str, object] = json.loads(done.stdout)
    return measured


def hostile_files(folder: Path) -> dict[str, Path]:
    return {
        # 824 bytes: one cell repeated 4,000 times across, its row 20,000 times down (80 million cells)
        "ods_repeats": ods(folder / "repeats.ods", row(cell("x", 4000), repeat=20000)),
        # a header, then one cell with content a million rows further down
        "ods_far": ods(
            folder / "far.ods",
            row("".join(cell(h) for h in HEADER))
            + row("<table:table-cell/>", repeat=1_000_000)
            + row('<table:table-cell table:number-columns-repeated="1000"/>' + cell(" ")),
        ),
        # 5.6 KB: a space at IV65536, the last cell an XLS sheet has
        "xls_far": xls(folder / "far.xls", far=(65535, 255)),
        # the first case: a space at XFD1048576 (the reader aborted allocating 512 GiB)
        "xlsx_far": xlsx_far(folder / "far.xlsx"),
    }


def xlsx_far(path: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for j, value in enumerate(HEADER):
        sheet.write_string(0, j, value)
    sheet.write_string(1_048_575, 16_383, " ")
    book.close()
    return path


@pytest.mark.parametrize("case", ["ods_repeats", "ods_far", "xls_far", "xlsx_far"])
def test_a_workbook_that_expands_to_gigabytes_is_refused_in_seconds_and_little_memory(
    tmp_path: Path, case: str
) -> None:
    path = hostile_files(tmp_path)[case]
    assert path.stat().st_size < 10_000
    measured = read_in_child(path)
    assert f"{path}:-:-: cannot read workbook: the first sheet spans" in str(measured["outcome"])
    assert "max_sheet_cells" in str(measured["outcome"])
    assert float(str(measured["seconds"])) < 10 and float(str(measured["mb"])) < 500


def test_the_command_line_refuses_them_with_exit_2(tmp_path: Path) -> None:
    path = hostile_files(tmp_path)["ods_repeats"]
    done = subprocess.run(
        [sys.executable, "-m", "ability2", "evaluate", str(path), "--region", "hebei", "--on", "2022-01-01"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "repeats.ods" in done.stderr and "Traceback" not in done.stderr
    assert "第一张工作表的范围是 20,000 行 × 4,000 列" in done.stderr  # Chinese by default


def test_an_ods_with_a_million_empty_repeated_rows_is_read(tmp_path: Path) -> None:
    # LibreOffice pads every sheet with repeated empty rows and cells: they are not content
    roster = ability2.read_roster(ods(tmp_path / "good.ods", good_ods_body()))
    assert list(roster.teacher_id) == ["T1"] and list(roster.school) == ["实验小学"]


def test_an_xls_roster_is_read_with_its_numbers_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    roster = ability2.read_roster(xls(tmp_path / "r.xls"))
    assert list(roster.teacher_id) == ["T1", "T2"]
    assert list(roster.school) == ["实验小学", "实验小学"]
    assert [int(h) for h in roster.online] == [2000, 2050]  # hundredths of an hour


def test_raising_the_limit_reads_what_the_default_refuses(tmp_path: Path) -> None:
    path = ods(
        tmp_path / "wide.ods",
        row("".join(cell(h) for h in HEADER)) + row("".join(cell(v) for v in ROW)) + row(cell(" ", 30), repeat=1),
    )
    with limited(max_sheet_cells=60), pytest.raises(ability2.RosterError, match="3 rows × 30 columns"):
        ability2.read_roster(path)
    with limited(max_sheet_cells=90):
        assert list(ability2.read_roster(path).teacher_id) == ["T1"]


def test_the_row_limit_holds_for_workbooks_before_reading(tmp_path: Path) -> None:
    path = ods(tmp_path / "long.ods", row("".join(cell(h) for h in HEADER)) + row(cell("T"), repeat=50))
    with limited(max_rows=10), pytest.raises(WorkbookTooLarge, match="51 rows; at most 10 data rows"):
        check_workbook(path.read_bytes())
    check_workbook(path.read_bytes())  # within the default


# ------------------------------------------------------------------ the scanners, record by record


def test_the_ods_scanner_counts_repeats_and_ignores_empty_cells() -> None:
    body = (
        row(cell("a") + '<table:table-cell table:number-columns-repeated="5"/>' + cell("b", 3))  # content ends at 9
        + row("<table:table-cell/>", repeat=7)  # empty rows: counted only when content follows
        + "<table:table-row-group>"  # a group tag is not a row
        + row(cell("c"), repeat=2)
        + "</table:table-row-group>"
        + '<table:table-row table:number-rows-repeated="100"/>'
    )
    data = (_ODS_HEAD + body + _ODS_TAIL + _ODS_HEAD + row(cell("z", 99)) + _ODS_TAIL).encode()
    assert _ods_extent(iter([data])) == (10, 9)  # only the first table counts
    # the same, cut into pieces at every position a chunk boundary could fall
    assert _ods_extent(iter([data[i : i + 7] for i in range(0, len(data), 7)])) == (10, 9)


def biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def test_the_biff_scanner_finds_the_first_worksheets_last_cell() -> None:
    bof = biff(0x0809, b"\x00\x06\x10\x00" + b"\x00" * 12)
    eof = biff(0x000A, b"")
    sheet = (
        bof
        + biff(0x00FD, struct.pack("<HHHI", 0, 0, 15, 0))  # LABELSST at A1
        + biff(0x00BD, struct.pack("<HHHIHIH", 4, 2, 0, 0, 0, 0, 3))  # MULRK on row 5, columns C..D
        + biff(0x0201, struct.pack("<HHH", 60000, 200, 15))  # BLANK far away: a formatted blank, not content
        + bof
        + biff(0x0203, struct.pack("<HHHd", 9000, 100, 0, 1.0))  # a chart's own substream: skipped by depth
        + eof
        + eof
    )
    chart_sheet = bof + biff(0x0203, struct.pack("<HHHd", 99, 99, 0, 1.0)) + eof
    name = b"\x04\x00S1\x00\x00"
    globals_length = len(bof) + 2 * (4 + 6 + len(name)) + len(eof)
    chart_offset = globals_length
    sheet_offset = chart_offset + len(chart_sheet)
    globals_ = (
        bof
        + biff(0x0085, struct.pack("<IBB", chart_offset, 0, 2) + name)  # a chart sheet comes first
        + biff(0x0085, struct.pack("<IBB", sheet_offset, 0, 0) + name)
        + eof
    )
    assert _biff_extent(globals_ + chart_sheet + sheet) == (5, 4)


def xlsb_record(kind: int, body: bytes) -> bytes:
    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    return varint(kind) + varint(len(body)) + body


def test_the_xlsb_scanner_follows_row_headers_and_cells() -> None:
    records = (
        xlsb_record(145, b"")  # BrtBeginSheetData: two-byte type
        + xlsb_record(0, struct.pack("<I", 0) + b"\x00" * 8)
        + xlsb_record(7, struct.pack("<III", 0, 0, 1))  # BrtCellIsst at A1
        + xlsb_record(0, struct.pack("<I", 41) + b"\x00" * 8)
        + xlsb_record(5, struct.pack("<IId", 6, 0, 2.5))  # BrtCellReal at G42
        + xlsb_record(1, struct.pack("<II", 900, 0))  # BrtCellBlank: not content
        + xlsb_record(0, struct.pack("<I", 70000) + b"\x00" * 8)  # an empty row header
        + xlsb_record(146, b"")
    )
    assert _xlsb_extent(iter([records])) == (42, 7)
    assert _xlsb_extent(iter([records[i : i + 5] for i in range(0, len(records), 5)])) == (42, 7)


def test_an_xlsb_workbook_is_measured_on_the_sheet_its_workbook_part_names_first(tmp_path: Path) -> None:
    def wide(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode("utf-16-le")

    far_sheet = xlsb_record(0, struct.pack("<I", 1_048_575) + b"\x00" * 8) + xlsb_record(
        6, struct.pack("<II", 16383, 0) + wide(" ")
    )
    small_sheet = xlsb_record(0, struct.pack("<I", 0) + b"\x00" * 8) + xlsb_record(
        6, struct.pack("<II", 0, 0) + wide("a")
    )
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId2" Type="worksheet" Target="worksheets/sheet2.bin"/>'
        '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.bin"/></Relationships>'
    )

    def book(first: str) -> bytes:
        path = tmp_path / f"{first}.xlsb"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(
                "xl/workbook.bin",
                xlsb_record(_BRT_BUNDLE_SHEET, struct.pack("<II", 0, 1) + wide(first) + wide("S")),
            )
            archive.writestr("xl/_rels/workbook.bin.rels", rels)
            archive.writestr("xl/worksheets/sheet1.bin", far_sheet)
            archive.writestr("xl/worksheets/sheet2.bin", small_sheet)
        return path.read_bytes()

    with pytest.raises(WorkbookTooLarge, match="1,048,576 rows × 16,384 columns"):
        check_workbook(book("rId1"))
    check_workbook(book("rId2"))  # the far sheet is not the first: it is never read


_BRT_BUNDLE_SHEET = 156


def bomb_xlsx(path: Path, rows: int) -> Path:
    """An xlsx whose sheet is ``rows`` identical rows of inline text: it compresses about 400 times."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        padding = " " * 2000  # whitespace between cells, as a zip bomb pads its XML
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            header = "".join(
                f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>' for c, h in zip("ABCDE", HEADER, strict=True)
            )
            sheet.write(f'<row r="1">{header}</row>'.encode())
            body = "".join(
                f'<c r="{c}{{n}}" t="inlineStr"><is><t>{v}</t></is></c>{padding}'
                for c, v in zip("BCDE", ROW[1:], strict=True)
            )
            for n in range(2, rows + 2):
                teacher = f'<c r="A{n}" t="inlineStr"><is><t>T{n}</t></is></c>'
                sheet.write(f'<row r="{n}">{teacher}{body.format(n=n)}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_is_read(tmp_path: Path) -> None:
    # the case at a tenth of its size: 60 MB of sheet XML in a file of a few hundred KB
    path = bomb_xlsx(tmp_path / "bomb.xlsx", rows=7_000)
    unpacked = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    assert unpacked > 50 * 1024**2 and unpacked / path.stat().st_size > 100
    measured = read_in_child(path)
    assert "cannot read workbook: the workbook unpacks to" in str(measured["outcome"])
    assert "max_unpacked_ratio" in str(measured["outcome"])
    assert float(str(measured["seconds"])) < 10 and float(str(measured["mb"])) < 500
    with limited(max_unpacked_ratio=1000):  # an operator who trusts the source reads it
        assert len(ability2.read_roster(path)) == 7_000


def test_a_small_workbook_is_never_refused_for_its_ratio(tmp_path: Path) -> None:
    path = bomb_xlsx(tmp_path / "small.xlsx", rows=500)  # 5 MB inside, far past 100 times its size
    assert len(ability2.read_roster(path)) == 500


def test_sizes_a_zip_directory_understates_are_caught_while_inflating(tmp_path: Path) -> None:
    path = bomb_xlsx(tmp_path / "liar.xlsx", rows=6_000)
    data = bytearray(path.read_bytes())
    # rewrite every declared uncompressed size (local headers and central directory) to 1 KB
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset : start + offset + 4] = struct.pack("<I", 1024)
            start += 4
    path.write_bytes(bytes(data))
    check_workbook(bytes(data))  # inflating stops at the declared sizes: nothing large is built here
    measured = read_in_child(path)  # and the reader refuses a part larger than declared
    assert "liar.xlsx:-:-: cannot read workbook:" in str(measured["outcome"])
    assert "larger than its declared uncompressed size" in str(measured["outcome"])
    assert float(str(measured["mb"])) < 500


def shared_text_bomb(path: Path, rows: int, length: int) -> Path:
    """An XLSX whose one long shared string sits on every row: small on disk, gigabytes of cells."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))  # shared strings, xlsxwriter's default
    sheet = book.add_worksheet()
    for j, value in enumerate(HEADER):
        sheet.write_string(0, j, value)
    long_text = "长" * length
    for r in range(1, rows + 1):
        sheet.write_string(r, 0, long_text)
    book.close()
    return path


def test_a_shared_string_on_every_row_is_counted_as_the_text_it_becomes(tmp_path: Path) -> None:
    """300 KB on disk, 3 GB of cells: refused before the reader copies the string into every cell."""
    path = shared_text_bomb(tmp_path / "shared.xlsx", rows=40_000, length=25_000)
    assert path.stat().st_size < 400_000
    measured = read_in_child(path)
    assert "cells repeat text adding up to 2,861 MB" in str(measured["outcome"])
    assert "max_unpacked_ratio" in str(measured["outcome"])
    assert float(str(measured["seconds"])) < 10 and float(str(measured["mb"])) < 500


def test_shared_strings_of_a_real_roster_are_far_below_the_bound(tmp_path: Path) -> None:
    """Schools and grades repeat on every row of a real roster: it reads."""
    import xlsxwriter

    path = tmp_path / "roster.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for j, value in enumerate(HEADER):
        sheet.write_string(0, j, value)
    for r in range(1, 20_001):
        sheet.write_row(r, 0, [f"T{r}", "某某市第一实验小学教育集团东校区", "30", "20", "A1;B2;C4"])
    book.close()
    assert len(ability2.read_roster(path)) == 20_000


def test_an_ods_cell_repeated_down_the_rows_is_counted_as_the_text_it_becomes(tmp_path: Path) -> None:
    """986 bytes on disk, 6 GB of cells (21 GB and 84 s to read before): refused in seconds."""
    body = row("".join(cell(h) for h in HEADER)) + row(cell("长" * 20_000), repeat=100_000)
    path = ods(tmp_path / "repeated.ods", body)
    assert path.stat().st_size < 2_000
    measured = read_in_child(path)
    assert "cells repeat text adding up to" in str(measured["outcome"])
    assert float(str(measured["seconds"])) < 10 and float(str(measured["mb"])) < 500


@pytest.mark.parametrize("piece", [1, 7, 64, 10_000])
def test_ods_text_is_counted_the_same_however_the_part_is_cut(piece: int) -> None:
    content = (
        _ODS_HEAD + row(cell("abc") + cell("长长", repeat=3), repeat=5) + row(cell("x" * 50)) + _ODS_TAIL
    ).encode()
    whole, cut = _SharedText(), _SharedText()
    expected = _ods_extent(iter([content]), whole)
    assert _ods_extent(iter(content[i : i + piece] for i in range(0, len(content), piece)), cut) == expected
    assert cut.expanded == whole.expanded > 0
    # each cell's markup and text, times its repeats: (3 + 3 × 6) bytes per row over 5 rows, then 50
    assert whole.expanded == 5 * (len(b"<text:p>abc</text:p>") + 3 * len("<text:p>长长</text:p>".encode())) + len(
        b"<text:p>" + b"x" * 50 + b"</text:p>"
    )


def test_an_xls_shared_string_on_every_row_is_counted_as_the_text_it_becomes(tmp_path: Path) -> None:
    """1 MB on disk, 30,000 cells of 20,000 characters: refused before the reader copies them."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("roster")
    for j, value in enumerate(HEADER):
        sheet.write(0, j, value)
    long_text = "长" * 20_000
    for r in range(1, 30_001):
        sheet.write(r, 0, long_text)
    path = tmp_path / "shared.xls"
    book.save(str(path))
    measured = read_in_child(path)
    assert "cells repeat text adding up to" in str(measured["outcome"])
    assert float(str(measured["seconds"])) < 10 and float(str(measured["mb"])) < 500


def test_the_xls_string_table_is_read_across_its_continue_records() -> None:
    """6,000 strings of mixed widths span many CONTINUE records: every length is read."""
    import random

    import olefile

    rng = random.Random(1)
    texts = ["".join(rng.choice("ab长c") for _ in range(rng.randint(1, 300))) for _ in range(6000)]
    book = xlwt.Workbook()
    sheet = book.add_sheet("s")
    for r, value in enumerate(texts):
        sheet.write(r, 0, value)
    handle = io.BytesIO()
    book.save(handle)
    stream = olefile.OleFileIO(io.BytesIO(handle.getvalue())).openstream("Workbook").read()
    assert _sst_lengths(stream) == [len(t) for t in dict.fromkeys(texts)]


def test_an_xlsb_shared_string_on_every_row_is_counted_as_the_text_it_becomes(tmp_path: Path) -> None:
    """A hand-built XLSB: one 20,000-character shared string (BrtSSTItem) in 30,000 cells (BrtCellIsst)."""

    def wide(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode("utf-16-le")

    def book(rows: int) -> bytes:
        sheet = b"".join(
            xlsb_record(0, struct.pack("<I", r) + b"\x00" * 8) + xlsb_record(7, struct.pack("<III", 0, 0, 0))
            for r in range(rows)
        )
        rels = (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://x/worksheet" Target="worksheets/sheet1.bin"/>'
            '<Relationship Id="rId2" Type="http://x/relationships/sharedStrings" Target="strings.bin"/>'
            "</Relationships>"
        )
        path = tmp_path / f"{rows}.xlsb"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "xl/workbook.bin", xlsb_record(_BRT_BUNDLE_SHEET, struct.pack("<II", 0, 1) + wide("rId1") + wide("S"))
            )
            archive.writestr("xl/_rels/workbook.bin.rels", rels)
            archive.writestr("xl/worksheets/sheet1.bin", sheet)
            archive.writestr("xl/strings.bin", xlsb_record(19, b"\x00" + wide("长" * 20_000)))
        return path.read_bytes()

    with pytest.raises(WorkbookTooLarge, match="cells repeat text adding up to 1,717 MB"):
        check_workbook(book(30_000))
    check_workbook(book(100))  # 6 MB of text: below the 16 MB floor


def rewritten(path: Path, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """``path`` as a workbook with one part rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename == part else data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("part", "change"),
    [
        ("xl/worksheets/sheet1.xml", lambda d: d.replace(b' t="s"', b" t='s'")),  # the other quote
        ("xl/worksheets/sheet1.xml", lambda d: d.replace(b' t="s"><v>', b' t="s"><f>""</f> <v>')),  # a formula first
        ("xl/sharedStrings.xml", lambda d: d.replace(b"<si>", b"<si/><si>", 1)),  # an empty item, self-closed
    ],
)
def test_shared_text_is_counted_however_the_xml_is_written(
    tmp_path: Path, part: str, change: Callable[[bytes], bytes]
) -> None:
    raw = rewritten(shared_text_bomb(tmp_path / "shared.xlsx", rows=8_000, length=25_000), part, change)
    if part.endswith("sharedStrings.xml"):  # every index moves up one past the empty item
        raw = rewritten(
            _write(tmp_path / "moved.xlsx", raw),
            "xl/worksheets/sheet1.xml",
            lambda d: re.sub(rb"<v>(\d+)</v>", lambda m: b"<v>%d</v>" % (int(m.group(1)) + 1), d),
        )
    with pytest.raises(WorkbookTooLarge, match="cells repeat text adding up to"):
        check_workbook(raw)


def _write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


def test_the_xlsx_scanners_take_linear_time_on_unclosed_tags() -> None:
    """Tags that never close (``<si>``, ``<c `` repeated) are scanned once, not once per opening."""
    import time

    from ability2.io import extent

    start = time.perf_counter()
    extent._SharedText().measure(iter([b"<sst>" + b"<si>" * 500_000]))
    extent._xlsx_extent(iter([b"<c " * 700_000]), extent._SharedText())
    assert time.perf_counter() - start < 5  # quadratic scanning took 40 s on 128 KB
