"""Issue 13 item 11, on the real rendering: the xlsx report as LibreOffice prints it to PDF.

The bundled sample school evaluated under 兖州区 (the one seed region whose documents attach
the 参训人员情况汇总表, 兖教体发〔2022〕82号 附件2) is written as the xlsx report, converted once
per module by LibreOffice headless and read back with poppler: every page A4 landscape, few
pages, each page under its sheet's title with the region and date, the header row repeated,
every column of a sheet on each of its pages, "第 N 页，共 M 页" at the foot. The expectations
are the issue's and the annex's words (its title and ten columns), not the writer's output.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ability2
import rendering
from ability2.demo import sample_roster_path
from ability2.reports import write_report
from ability2.reports.comparison import write_comparison

ON = dt.date(2024, 6, 1)
#: 附件2's title and columns (seed 004: "兖州区中小学教师信息技术应用能力提升工程 2.0参训人员情况 汇  总  表")
ANNEX_TITLE = "兖州区中小学教师信息技术应用能力提升工程2.0参训人员情况汇总表"
ANNEX_COLUMNS = [
    "学校名称",
    "老师人数",
    "合格人数",
    "合格率",
    "课程学时合格人数",
    "课程学时合格率",
    "校本应用考核合格人数",
    "校本应用合格率",
    "校本实践活动完成数",
    "校本实践活动完成率",
]
#: A4 in points, landscape: 297 mm x 210 mm
A4_LANDSCAPE = (841.89, 595.28)


def _squeezed(text: str) -> str:
    """Text without white space: pdftotext spaces CJK glyphs and cells apart as the layout places them."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def registry() -> Any:
    return ability2.load_registry()


@pytest.fixture(scope="module")
def roster() -> Any:
    with as_file(sample_roster_path()) as path:
        return ability2.read_roster(path)


@pytest.fixture(scope="module")
def result(registry: Any, roster: Any) -> Any:
    return ability2.evaluate(roster, registry.policy("shandong/jining/yanzhou", on=ON))


@pytest.fixture(scope="module")
def long_result(registry: Any) -> Any:
    """The sample school six times over (294 teachers, ids made unique): a sheet of several pages."""
    with as_file(sample_roster_path()) as path:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    copies = []
    for copy in range(6):
        part = frame.copy()
        part["教师编号"] = part["教师编号"] + f"-{copy}"
        copies.append(part)
    return ability2.evaluate(pd.concat(copies, ignore_index=True), registry.policy("shandong/jining/yanzhou", on=ON))


@pytest.fixture(scope="module")
def printed(
    tmp_path_factory: pytest.TempPathFactory, registry: Any, roster: Any, result: Any, long_result: Any
) -> dict[str, tuple[Path, list[str]]]:
    """Each workbook converted to PDF, all in one LibreOffice run: its path and each page's text."""
    rendering.tool("soffice")
    folder = tmp_path_factory.mktemp("render-pdf")
    comparison = ability2.compare(
        roster, ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"], on=ON, registry=registry
    )
    sources = {
        "zh": write_report(result, folder / "yanzhou.xlsx", "xlsx"),
        "en": write_report(result, folder / "yanzhou-en.xlsx", "xlsx", lang="en"),
        "long": write_report(long_result, folder / "long.xlsx", "xlsx"),
        "compare": folder / "compare.xlsx",
    }
    write_comparison(comparison, sources["compare"], "xlsx")
    pdfs = rendering.to_pdf(list(sources.values()), folder)
    return {key: (pdf, rendering.pdf_pages(pdf)) for key, pdf in zip(sources, pdfs, strict=True)}


@pytest.mark.parametrize("key", ["zh", "en", "long", "compare"])
def test_every_page_is_a4_landscape(printed: dict[str, tuple[Path, list[str]]], key: str) -> None:
    sizes = rendering.pdf_page_sizes(printed[key][0])
    assert sizes
    for width, height in sizes:
        assert width == pytest.approx(A4_LANDSCAPE[0], abs=2)
        assert height == pytest.approx(A4_LANDSCAPE[1], abs=2)


def test_the_sample_prints_on_few_pages(printed: dict[str, tuple[Path, list[str]]]) -> None:
    # five sheets, each on its page: the sample school's 49 teachers fit one landscape page
    # (the issue counted 27 pages without a page setup)
    assert len(printed["zh"][1]) == 5
    # six times the teachers: a few more pages for the teachers' sheet, no more
    assert 6 <= len(printed["long"][1]) <= 14, len(printed["long"][1])


@pytest.mark.parametrize("key", ["zh", "long"])
def test_each_page_has_its_title_region_date_and_page_number(
    printed: dict[str, tuple[Path, list[str]]], key: str
) -> None:
    pages = printed[key][1]
    for number, page in enumerate(pages, start=1):
        flat = _squeezed(page)
        assert "山东省济宁市兖州区" in flat and "日期：2024-06-01" in flat, number
        assert f"第{number}页，共{len(pages)}页" in flat, number
        assert ANNEX_TITLE in flat or "信息技术应用能力提升工程2.0考核结果·" in flat, number


def test_the_summary_table_is_on_one_page_under_its_title_with_all_ten_columns(
    printed: dict[str, tuple[Path, list[str]]],
) -> None:
    pages = [page for page in printed["zh"][1] if ANNEX_TITLE in _squeezed(page)]
    assert len(pages) == 1  # one school and the 合计 row: one page
    page = pages[0]
    lines = [_squeezed(line) for line in page.splitlines() if line.strip()]
    title_line = next(i for i, line in enumerate(lines) if ANNEX_TITLE in line)
    # the header row: below the title, every column of the annex in one printed row, in order
    header = next(line for line in lines[title_line + 1 :] if "学校名称" in line)
    positions = [header.find(name) for name in ANNEX_COLUMNS]
    assert all(position >= 0 for position in positions), header
    assert positions == sorted(positions), header
    assert "合计" in _squeezed(page)


def _sheet_pages(pages: list[str], sheet: str) -> list[str]:
    return [page for page in pages if f"考核结果·{sheet}" in _squeezed(page)]


def test_the_header_row_repeats_on_every_page_of_a_long_sheet(
    printed: dict[str, tuple[Path, list[str]]], long_result: Any
) -> None:
    teachers = _sheet_pages(printed["long"][1], "教师")
    assert len(teachers) >= 2, "294 teachers take more than one page"
    rule_ids = [column.rule for column in long_result.teacher_columns]
    for page in teachers:
        lines = [_squeezed(line) for line in page.splitlines() if line.strip()]
        # the header row comes first after the page header; every column is on the page
        assert "教师编号" in lines[1] and "状态" in lines[1], lines[:3]
        flat = "".join(lines)
        for rule in rule_ids:
            assert rule in flat, (rule, lines[:3])
    # every teacher printed once on the teachers' pages (ids BT001-0 … BT049-5: none is part of another)
    text = "".join(_squeezed(page) for page in teachers)
    for teacher in long_result.teacher_ids:
        assert text.count(str(teacher)) == 1, teacher


def test_the_english_report_prints_in_english(printed: dict[str, tuple[Path, list[str]]]) -> None:
    pages = printed["en"][1]
    assert len(pages) == 5
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in " ".join(page.split())
        assert "Date: 2024-06-01" in " ".join(page.split())
        assert "第" not in page and "日期" not in page  # no Chinese page furniture in an English report


def test_the_comparison_workbook_prints_under_its_title(printed: dict[str, tuple[Path, list[str]]]) -> None:
    pages = printed["compare"][1]
    assert pages
    for number, page in enumerate(pages, start=1):
        flat = _squeezed(page)
        assert "政策对比·" in flat and "2024-06-01" in flat
        assert f"第{number}页，共{len(pages)}页" in flat


def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="libreoffice-calc-nogui"):
        rendering.tool("soffice")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="libreoffice-calc-nogui"):
        rendering.tool("soffice")
