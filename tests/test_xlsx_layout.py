"""The streamed xlsx writer against XlsxWriter's: the same workbook for a reader, cell by cell.

``tests/xlsx_reference.py`` is the report as XlsxWriter wrote it before the worksheets were
streamed as XML. Each result here is written by both; openpyxl reads both back and every sheet
must agree: names, order, every cell's value, type, number format, font, fill, border and
alignment, column widths, row heights, frozen panes, autofilters, the dimension and the
document properties. Then the text itself: any string a roster can hold comes back from the
file as the cell shows it (the formula guard aside), and the vectorised XML of a column is
byte for byte the XML of each value alone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
import xlsx_reference
from ability2.reports import _xlsxml
from ability2.reports._xlsxml import EXCEL_MAX_CELL, TextColumn, cell, column, display_width, shown_text
from ability2.reports._zip import ZipWriter
from ability2.reports.safety import neutralise
from ability2.reports.xlsx import write_xlsx
from ability2.result import Result

REGIONS = (
    "hebei/baoding/xushui",
    "jiangsu/changzhou/jintan/baita",
    "liaoning/tieling/kaiyuan",
    "shandong/jining/yanzhou",
    "guangxi",
)
CODES = [f"A{i}" for i in range(1, 14)] + [f"B{i}" for i in range(1, 11)] + [f"C{i}" for i in range(1, 8)]
TRICKY = [
    "=SUM(A1)",
    "+1",
    "-",
    "@x",
    " \t=1",
    "a&b",
    "<b>x</b>",
    "x>y",
    " lead",
    "trail ",
    "王\n芳",
    "_x0041_",
    "\x01ctl",
]


def cohort(size: int, seed: int) -> pd.DataFrame:
    """A small roster: schools, groups and subjects that repeat, hours and grades that vary, awkward names."""
    rng = np.random.default_rng(seed)
    schools = [f"学校{i}" for i in range(max(1, size // 12))] + ["<i>S</i>", "=S", "S&T"]
    rows = []
    for i in range(size):
        chosen = rng.choice(CODES, size=int(rng.integers(1, 5)), replace=False)
        rows.append(
            {
                "teacher_id": f"T{i:05d}",
                "name": TRICKY[i % len(TRICKY)] if i % 7 == 0 else f"教师{i}",
                "school": schools[int(rng.integers(0, len(schools)))],
                "group": ["语文组", "数学组", "", "=组"][int(rng.integers(0, 4))],
                "subject": ["语文", "数学", "英语"][int(rng.integers(0, 3))],
                "online_hours": str(rng.choice([10, 20, 24.5, 30, 45])),
                "offline_hours": str(rng.choice([5, 20, 25, 30])),
                "abilities": ";".join(chosen),
                "grades": ";".join(rng.choice(["优秀", "合格", "不合格", ""], size=len(chosen))),
                "excellent_video": rng.choice(["是", "否"]),
                "peer_reviews": rng.choice(["是", "否"]),
                "备注": TRICKY[i % len(TRICKY)] if i % 5 == 0 else ("" if i % 3 else f"note {i}"),
            }
        )
    return pd.DataFrame(rows)


def _color(color: Any) -> Any:
    if color is None:
        return None
    return (color.type, color.rgb if color.type == "rgb" else color.theme if color.type == "theme" else color.indexed)


def _printing(worksheet: Any) -> tuple[Any, ...]:
    """How a sheet prints, as openpyxl reads it: paper, orientation, fit, titles, margins, header, footer."""
    setup, margins = worksheet.page_setup, worksheet.page_margins
    fit = worksheet.sheet_properties.pageSetUpPr
    header, footer = worksheet.oddHeader, worksheet.oddFooter
    return (
        setup.paperSize,
        setup.orientation,
        fit.fitToPage if fit is not None else None,
        setup.fitToWidth,
        setup.fitToHeight,
        worksheet.print_title_rows,
        (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
        tuple(part.text for part in (header.left, header.center, header.right)),
        tuple(part.text for part in (footer.left, footer.center, footer.right)),
    )


def view(path: Path) -> dict[str, Any]:
    """What a reader sees in the workbook at ``path`` (openpyxl), sheet by sheet and cell by cell."""
    book = openpyxl.load_workbook(path)
    with zipfile.ZipFile(path) as archive:
        workbook_xml = archive.read("xl/workbook.xml").decode()
        dimensions = [
            re.search(r'<dimension ref="([^"]+)"', archive.read(f"xl/worksheets/sheet{i}.xml").decode()).group(1)  # type: ignore[union-attr]
            for i in range(1, len(book.sheetnames) + 1)
        ]
    sheets = []
    for worksheet, dimension in zip(book.worksheets, dimensions, strict=True):
        cells = {}
        for row in worksheet.iter_rows():
            for item in row:
                if item.value is None and not item.has_style:
                    continue
                font, fill, border, align = item.font, item.fill, item.border, item.alignment
                cells[item.coordinate] = (
                    item.value,
                    item.data_type,
                    item.number_format,
                    (font.name, font.sz, bool(font.b), _color(font.color)),
                    (fill.patternType, _color(fill.fgColor) if fill.patternType else None),
                    tuple(side.style for side in (border.left, border.right, border.top, border.bottom)),
                    (align.horizontal, align.vertical, bool(align.wrap_text)),
                )
        widths = {}
        for dim in worksheet.column_dimensions.values():
            if dim.customWidth:
                for index in range(dim.min, dim.max + 1):
                    widths[index] = dim.width
        sheets.append(
            {
                "title": worksheet.title,
                "dimension": dimension,
                "freeze": worksheet.freeze_panes,
                "filter": worksheet.auto_filter.ref,
                "widths": widths,
                "heights": {r: d.height for r, d in worksheet.row_dimensions.items() if d.height},
                "print": _printing(worksheet),
                "cells": cells,
            }
        )
    props = book.properties
    return {
        "sheets": sheets,
        "properties": (props.title, props.subject, props.description),
        "filters": sorted(re.findall(r"<definedName [^>]*>[^<]*</definedName>", workbook_xml)),
    }


def assert_same_workbook(result: Result, tmp_path: Path, lang: str = "zh") -> dict[str, Any]:
    """Write ``result`` with both writers; what openpyxl reads from them must be equal."""
    reference, streamed = tmp_path / f"reference-{lang}.xlsx", tmp_path / f"streamed-{lang}.xlsx"
    xlsx_reference.write_xlsx(result, reference, lang)
    write_xlsx(result, streamed, lang)
    expected, got = view(reference), view(streamed)
    assert got["properties"] == expected["properties"]
    assert got["filters"] == expected["filters"]
    assert [s["title"] for s in got["sheets"]] == [s["title"] for s in expected["sheets"]]
    for mine, theirs in zip(got["sheets"], expected["sheets"], strict=True):
        for key in ("dimension", "freeze", "filter", "widths", "heights", "print"):
            assert mine[key] == theirs[key], (mine["title"], key)
        assert mine["cells"].keys() == theirs["cells"].keys(), mine["title"]
        for ref, value in theirs["cells"].items():
            assert mine["cells"][ref] == value, (mine["title"], ref)
    with zipfile.ZipFile(streamed) as archive:
        assert archive.testzip() is None
    return got


@pytest.fixture(scope="module")
def registry() -> Any:
    return ability2.load_registry()


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few rows, so that small tables cross many block boundaries."""
    monkeypatch.setattr(_xlsxml, "CHUNK_ROWS", 7)


# -- the same workbook --------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_every_seed_region_gives_the_reference_workbook(
    region: str, registry: Any, tmp_path: Path, small_blocks: None
) -> None:
    result = ability2.evaluate(cohort(100, seed=len(region)), registry.policy(region, on=dt.date(2024, 6, 1)))
    for lang in ("zh", "en"):
        got = assert_same_workbook(result, tmp_path, lang)
    teachers = got["sheets"][0]
    assert teachers["freeze"] == "B2" and teachers["filter"] == f"A1:{teachers['dimension'].split(':')[1]}"


def test_a_roster_without_groups_names_or_subjects(registry: Any, tmp_path: Path, small_blocks: None) -> None:
    frame = cohort(40, seed=3).drop(columns=["group", "name", "subject", "备注"])
    result = ability2.evaluate(frame, registry.policy("shandong/jining/yanzhou", on=dt.date(2024, 6, 1)))
    got = assert_same_workbook(result, tmp_path)
    assert got["sheets"][1]["dimension"] == "A1:E1"  # the groups sheet: its header alone


def test_a_result_read_back_from_json_with_values_of_every_type(
    registry: Any, tmp_path: Path, small_blocks: None
) -> None:
    result = ability2.evaluate(cohort(30, seed=5), registry.policy("shandong/jining/yanzhou", on=dt.date(2024, 6, 1)))
    data = json.loads(result.to_json())
    odd: list[Any] = [7, 2.5, -0.0, True, None, float("nan"), math.inf, -math.inf, 10**20, "=x", [1, 2], {"a": 1}]
    for i, teacher in enumerate(data["teachers"]):
        teacher["columns"] = {"备注": odd[i % len(odd)], "count": i if i % 4 else None, "=head": "v"}
    data["teachers"][0]["teacher_id"] = 12345  # a number where a text is expected: a number cell
    data["teachers"][1]["status"] = "header"  # an unknown status code: its word is itself
    data["schools"][0]["pass_rate"] = None
    for school in data["schools"]:
        school["checks"][0]["value"] = "n/a" if school is data["schools"][0] else school["checks"][0]["value"]
    rebuilt = Result.from_dict(data)
    for lang in ("zh", "en"):
        assert_same_workbook(rebuilt, tmp_path, lang)


def test_the_hostile_report_roster(tmp_path: Path) -> None:
    from test_reports import make_roster

    policy = ability2.load_registry().policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    for roster in (
        make_roster(),
        make_roster(with_groups=False),
        make_roster(schools=["=A", "+B", "-C", "@D", " E", "F "]),
    ):
        result = ability2.evaluate(roster, policy)
        assert_same_workbook(result, tmp_path)
        assert_same_workbook(result, tmp_path, "en")


def test_a_cell_past_excels_limit(tmp_path: Path) -> None:
    from ability2.limits import limited

    frame = cohort(3, seed=1)
    frame.loc[0, "备注"] = "王" * 20_000 + "x" * 20_000
    frame.loc[1, "name"] = "=" + "y" * 33_000
    with limited(max_cell_chars=50_000):
        result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    got = assert_same_workbook(result, tmp_path)
    longest = max((c[0] for c in got["sheets"][0]["cells"].values() if isinstance(c[0], str)), key=len)
    assert len(longest) == EXCEL_MAX_CELL and longest.endswith("Excel keeps 32,767: the json report has the full text]")


def test_many_rows_cross_blocks_and_the_digit_counts(registry: Any, tmp_path: Path) -> None:
    result = ability2.evaluate(cohort(1_100, seed=9), registry.policy("guangxi", on=dt.date(2024, 6, 1)))
    assert_same_workbook(result, tmp_path)


def test_a_failure_while_writing_leaves_no_file(registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = ability2.evaluate(cohort(30, seed=2), registry.policy("hebei", on=dt.date(2022, 1, 1)))

    def broken(self: Any, start: int, stop: int) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(_xlsxml.Sheet, "_block", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_xlsx(result, tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


# -- text: what goes in comes out -----------------------------------------------------------

# characters that need care: formula starts, white space of every kind, XML's specials, Excel's
# _xHHHH_ escapes, control characters, non-characters, wide CJK, astral characters
_ALPHABET = st.sampled_from(
    [
        *"=+-@'&<>\"_xX0aF9 \t\n\r\x0b\x0c\x1c\x85\xa0\u2000\u3000王芳\ufffe\uffff\x00\x01\x1f\x7f😀é",
        *("_x0041_", "_x005F_", "_xD800_", "<r>", "</r>"),
    ]
)
TEXTS = st.lists(_ALPHABET, max_size=12).map("".join) | st.text(max_size=30)


def _excel_decoded(text: str) -> str:
    """A cell's text as Excel shows it: each ``_xHHHH_`` escape is its character."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _xlsxwriter_cell(text: str) -> str:
    """What XlsxWriter (constant memory, as the report used it) writes for ``text`` in A1: the XML after ``r="A1"``."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "one.xlsx")
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        book.add_worksheet().write_string(0, 0, text)
        book.close()
        with zipfile.ZipFile(path) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return sheet[sheet.index('<c r="A1"') + len('<c r="A1"') : sheet.index("</row>")]


@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_a_text_cell_is_what_xlsxwriter_wrote(text: str) -> None:
    shown = neutralise(text)
    if shown.startswith("<r>") and shown.endswith("</r>"):
        # XlsxWriter writes such a text unescaped, as rich text XML: a roster's text could break the
        # file; here it is text like any other
        body, _ = cell(text)
        assert "&lt;r&gt;" in body  # type: ignore[operator]
        return
    assert cell(text)[0] == _xlsxwriter_cell(shown)


def _from_parts(made: Any, size: int) -> list[str | None]:
    """A column's cells as a block's query makes them: its pieces joined, then ``|``."""
    if not size:
        return []
    pieces = made.parts(0, size, "|")
    assert all(isinstance(piece, str) or len(piece) == size for piece in pieces)
    joined: list[str | None] = _xlsxml._joined(pieces, skip=False).to_pylist()
    return joined


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.none() | TEXTS, min_size=1, max_size=40), style=st.sampled_from([None, "wrap", "pct"]))
def test_a_text_column_is_its_cells(
    texts: list[str | None], style: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    series = pl.Series(texts, dtype=pl.String)
    expected = [cell(text, style)[0] for text in texts]
    widths = [display_width(shown_text(text)) for text in texts if text is not None]
    for few in (0, 64):  # odd texts made by expressions, and one by one
        monkeypatch.setattr(_xlsxml, "_FEW", few)
        made = TextColumn(series, style)
        assert made.bodies(0, len(texts), "|").to_list() == [None if b is None else b + "|" for b in expected]
        assert _from_parts(made, len(texts)) == [None if b is None else b + "|" for b in expected]
        assert made.width == max(widths, default=0)
        assert made.last == max((i for i, b in enumerate(expected) if b is not None), default=-1)
    dictionary = column(texts, style) if len(set(texts)) < len(texts) else None
    if dictionary is not None:
        assert dictionary.bodies(0, len(texts)).to_list() == expected


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(-(10**18), 10**18) | st.floats(allow_nan=True) | st.booleans() | st.none(), max_size=30)
)
def test_a_column_of_numbers_is_its_cells(values: list[Any]) -> None:
    for style in (None, "pct"):
        made = column(values, style)
        expected = [cell(value, style) for value in values]
        assert made.bodies(0, len(values)).to_list() == [body for body, _ in expected]
        assert _from_parts(made, len(values)) == [None if body is None else body + "|" for body, _ in expected]
        assert made.width == max((width for _, width in expected), default=0)
        array = np.array([v for v in values if type(v) is float], dtype=np.float64)
        assert column(array, style).bodies(0, len(array)).to_list() == [cell(v, style)[0] for v in array.tolist()]


def test_many_distinct_numbers_and_texts_are_their_cells() -> None:
    rng = np.random.default_rng(1)
    floats = [*np.round(rng.random(3_000), 6).tolist(), 0.1 + 0.2, 1e20, 1e-7, -0.0, math.nan, math.inf, -math.inf]
    mixed = [*floats, *range(-500, 500)]
    texts = [f"{TRICKY[i % len(TRICKY)]}{i}" for i in range(2_000)] * 2
    for values in (floats, mixed, texts):
        for style in (None, "pct", "wrap"):
            made = column(values, style)
            expected = [cell(value, style) for value in values]
            assert made.bodies(0, len(values)).to_list() == [body for body, _ in expected]
            assert made.width == max(width for _, width in expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(TEXTS, min_size=2, max_size=6))
def test_any_name_comes_back_from_the_file_as_the_cell_shows_it(names: list[str], tmp_path: Path) -> None:
    frame = cohort(len(names), seed=4)
    frame["name"] = names
    frame["备注"] = list(reversed(names))
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    path = tmp_path / "names.xlsx"
    write_xlsx(result, path)
    sheet = openpyxl.load_workbook(path)["教师"]
    header = [c.value for c in sheet[1]]
    stored = result.teacher_info["name"]
    for row, name in enumerate(stored, start=2):
        got = sheet.cell(row, header.index("姓名") + 1).value
        if name == "":
            assert got in ("", None)
            continue
        # the formula guard is the one change: a text a spreadsheet would run starts with '
        assert _excel_decoded(got) == neutralise(name)
        assert not got.lstrip().startswith(("=", "+", "-", "@"))


def test_lone_surrogates_and_non_characters_are_escaped_not_written_raw() -> None:
    body, width = cell("a\ud800b\ufffe")
    assert body is not None and "_xD800_" in body and "_xFFFE_" in body
    body.encode("utf-8")  # valid UTF-8: no lone surrogate reaches the file
    assert width == display_width("a\ud800b\ufffe")


def test_the_space_characters_are_pythons() -> None:
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == _xlsxml.SPACE_CHARACTERS
    spaces = pl.Series([*_xlsxml.SPACE_CHARACTERS, "a", "\u200b", "\x1b", "_"])
    assert (
        spaces.str.contains(f"^[{_xlsxml._SPACE}]$").to_list() == [True] * len(_xlsxml.SPACE_CHARACTERS) + [False] * 4
    )


# -- the archive --------------------------------------------------------------------------


def test_the_zip_writer_joins_pieces_deflated_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    parts = {"small.xml": b"<a/>", "pieces.xml": b"".join(bytes([i % 251]) * 5000 for i in range(300))}
    with open(path, "wb") as handle:
        archive = ZipWriter(handle)
        archive.add("small.xml", parts["small.xml"])
        stream = archive.open("pieces.xml", large=True)  # ZIP64 fields although it is small
        data = parts["pieces.xml"]
        stream.write(data[:1000])
        for start in range(1000, len(data), 70_000):
            piece = data[start : start + 70_000]
            stream.write_deflated(archive.deflate(piece), piece)
        stream.close()
        with archive.open("empty.xml") as write:
            write(b"")
        archive.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.read("small.xml") == parts["small.xml"]
        assert archive.read("pieces.xml") == parts["pieces.xml"]
        assert archive.read("empty.xml") == b""


def test_the_workbook_opens_when_zlib_deflates_it(registry: Any, tmp_path: Path) -> None:
    result = ability2.evaluate(cohort(20, seed=8), registry.policy("hebei", on=dt.date(2022, 1, 1)))
    workbook = _xlsxml.Workbook(title="t")
    from ability2.reports.xlsx import _Sheet, _teachers_sheet

    sheet = _Sheet("教师")
    _teachers_sheet(sheet, result, "zh")
    workbook.add(sheet)
    path = tmp_path / "z.xlsx"
    with open(path, "wb") as handle:
        workbook.save(handle, compressor=lambda: zlib.compressobj(6, zlib.DEFLATED, -15))
    assert openpyxl.load_workbook(path)["教师"].max_row == 21


@settings(max_examples=300, deadline=None)
@given(name=st.text(st.sampled_from("ARCrcx01239._ '教-"), min_size=1, max_size=9))
def test_sheet_names_are_quoted_as_xlsxwriter_quotes_them(name: str) -> None:
    from xlsxwriter.utility import quote_sheetname

    assert _xlsxml.quote_sheetname(name) == quote_sheetname(name)


def test_a_result_without_teachers_groups_or_schools(tmp_path: Path) -> None:
    empty = Result.from_dict({"region": "hebei", "on": "2022-01-01", "teachers": [], "groups": [], "schools": []})
    got = assert_same_workbook(empty, tmp_path)
    assert [s["dimension"] for s in got["sheets"][:3]] == ["A1:E1", "A1:E1", "A1:C1"]  # the headers alone
