"""Issue 13 item 11: the workbooks print, and hold only the region's own official tables.

What the documents say, quoted beside each expectation:

* 兖教体发〔2022〕82号 (兖州区, seed 004) attaches two annexes: "附件：1. 兖州区中小学教师信息技术应用
  能力提升工程2.0 校本应用考核表 2. 兖州区中小学教师信息技术应用能力提升工程2.0 参训人员情况汇总表",
  and 附件2 heads its table "兖州区中小学教师信息技术应用能力提升工程 2.0参训人员情况 汇  总  表" with
  the columns 学校名称 | 老师人数 | 合格人数 | 合格率 | 课程学时合格人数 | 课程学时合格率 | 校本应用考核合格人数 |
  校本应用合格率 | 校本实践活动完成数 | 校本实践活动完成率. Schools send it to the bureau (六、(三):
  "将本学校《应用考核表》、工作总结、《情况汇总表》一份报区教体局人事科").
* 开教发[2024]1号 (开原市, seed 002) has one annex, the implementation plan ("附件:开原市中小学教师
  信息技术应用能力提升工程 2.0 实施方案"): no summary table.
* 桂教规范〔2019〕14号 (广西, seed 003) has no annex table; 金坛区白塔小学's plan (seed 001) refers
  to its 附件1 (the environments each teacher takes), no summary table; the Hebei compilation
  (seed 000: 河北省, 保定市, 徐水区) annexes lists of members (领导小组, 办公室) and a planning
  template, no summary table.

So the 汇总表 belongs in 兖州's workbook (and a region's below it) and in no other seed region's.
The print setup is what the issue asks: A4 landscape, fit to width, the header row on every
page, the title with region and date, page numbers.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2
from ability2.reports import report_bytes
from ability2.reports.comparison import write_comparison
from ability2.reports.printing import PrintSetup

ON = dt.date(2024, 6, 1)
YANZHOU_TABLE = "兖州区中小学教师信息技术应用能力提升工程2.0参训人员情况汇总表"
YANZHOU_COLUMNS = [
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
WITHOUT_TABLE = (
    "liaoning/tieling/kaiyuan",
    "guangxi",
    "hebei/baoding/xushui",
    "jiangsu/changzhou/jintan/baita",
)


@pytest.fixture(scope="module")
def registry() -> Any:
    return ability2.load_registry()


@pytest.fixture(scope="module")
def roster() -> Any:
    from importlib.resources import as_file

    from ability2.demo import sample_roster_path

    with as_file(sample_roster_path()) as path:
        return ability2.read_roster(path)


def _workbook(result: Any, tmp_path: Path, lang: str = "zh") -> Any:
    path = tmp_path / f"report-{lang}.xlsx"
    path.write_bytes(report_bytes(result, "xlsx", lang=lang))
    return openpyxl.load_workbook(path)


def test_yanzhou_has_its_summary_table_under_the_title_of_annex_2(registry: Any, roster: Any, tmp_path: Path) -> None:
    result = ability2.evaluate(roster, registry.policy("shandong/jining/yanzhou", on=ON))
    book = _workbook(result, tmp_path)
    assert "参训人员情况汇总表" in book.sheetnames
    sheet = book["参训人员情况汇总表"]
    assert [cell.value for cell in sheet[1]] == YANZHOU_COLUMNS
    assert YANZHOU_TABLE in sheet.oddHeader.center.text
    english = _workbook(result, tmp_path, "en")
    assert "Training summary" in english.sheetnames
    title = english["Training summary"].oddHeader.center.text
    assert "Yanzhou" in title and not any("\u4e00" <= ch <= "\u9fff" for ch in title)


@pytest.mark.parametrize("region", WITHOUT_TABLE)
def test_a_region_whose_documents_define_no_summary_table_gets_none(
    region: str, registry: Any, roster: Any, tmp_path: Path
) -> None:
    result = ability2.evaluate(roster, registry.policy(region, on=ON))
    for lang, name in (("zh", "参训人员情况汇总表"), ("en", "Training summary")):
        book = _workbook(result, tmp_path, lang)
        assert name not in book.sheetnames
        assert len(book.sheetnames) == 4  # teachers, groups, schools, sources
        assert all(YANZHOU_TABLE not in (sheet.oddHeader.center.text or "") for sheet in book.worksheets)


def test_a_school_below_yanzhou_inherits_the_table(write: Any, roster: Any, tmp_path: Path) -> None:
    school = write(
        "school.yaml",
        """
        region: {id: shandong/jining/yanzhou/shiyan, name: 实验小学, level: school, parent: shandong/jining/yanzhou}
        documents:
          school-doc: {title: 实验小学校本研修方案, date: 2023-01-01}
        rules: {}
        """,
    )

    class Files:
        __name__ = "school"

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            return [school]

    registry = ability2.load_registry(plugins=[Files()])
    result = ability2.evaluate(roster, registry.policy("shandong/jining/yanzhou/shiyan", on=ON))
    book = _workbook(result, tmp_path)
    assert YANZHOU_TABLE in book["参训人员情况汇总表"].oddHeader.center.text


def test_the_rule_carries_its_source(registry: Any) -> None:
    rule = registry.policy("shandong/jining/yanzhou", on=ON).rules["summary.table"]
    assert "兖教体发〔2022〕82号" in rule.source and "附件2" in rule.source
    assert rule.value.name == YANZHOU_TABLE
    kaiyuan = registry.policy("liaoning/tieling/kaiyuan", on=ON)
    assert "summary.table" not in kaiyuan.rules


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sheet_prints_a4_landscape_fit_to_width_with_titles_and_page_numbers(
    lang: str, registry: Any, roster: Any, tmp_path: Path
) -> None:
    policy = registry.policy("shandong/jining/yanzhou", on=ON)
    book = _workbook(ability2.evaluate(roster, policy), tmp_path, lang)
    region = "兖州区" if lang == "zh" else "Yanzhou District"
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.paperSize == 9  # A4
        assert setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert setup.fitToWidth in (None, 1)  # one page wide (1 is the default, left out)
        assert setup.fitToHeight == 0  # as many pages down as needed
        assert sheet.print_title_rows == "$1:$1"  # the header row on every page
        assert region in sheet.oddHeader.left.text
        assert "2024-06-01" in sheet.oddHeader.right.text
        assert sheet.oddHeader.center.text
        footer = sheet.oddFooter.center.text
        assert footer == ("第 &P 页，共 &N 页" if lang == "zh" else "Page &P of &N")
        margins = sheet.page_margins
        assert 0.25 <= margins.left <= 1 and 0.25 <= margins.right <= 1


def test_the_comparison_workbook_prints_too(registry: Any, roster: Any, tmp_path: Path) -> None:
    comparison = ability2.compare(
        roster, ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"], on=ON, registry=registry
    )
    path = tmp_path / "compare.xlsx"
    write_comparison(comparison, path, "xlsx", lang="zh")
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert "政策对比" in sheet.oddHeader.center.text
        assert "2024-06-01" in sheet.oddHeader.right.text
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_a_result_read_back_from_json_cannot_tell_and_has_no_summary(
    registry: Any, roster: Any, tmp_path: Path
) -> None:
    result = ability2.evaluate(roster, registry.policy("shandong/jining/yanzhou", on=ON))
    again = type(result).from_json(report_bytes(result, "json").decode())
    book = _workbook(again, tmp_path)
    assert "参训人员情况汇总表" not in book.sheetnames
    assert all(sheet.page_setup.orientation == "landscape" for sheet in book.worksheets)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400)


@settings(max_examples=200, deadline=None)
@given(title=_TEXT, region=_TEXT, on=st.text(max_size=40))
def test_any_title_makes_a_header_excel_keeps(title: str, region: str, on: str) -> None:
    setup = PrintSetup(title, region, on)
    header = setup.header()
    assert len(header) <= 255  # Excel drops a longer header
    assert all(ch >= " " for ch in header)  # no control character (XML cannot hold most)
    # every & begins a code or is doubled: the title's own & prints as itself
    codes = header.replace("&&", "")
    assert all(codes[i + 1 : i + 2] in ("L", "C", "R", "B") for i, ch in enumerate(codes) if ch == "&")


def test_a_header_keeps_the_title_when_the_region_is_long() -> None:
    header = PrintSetup("汇总表 & 说明", "很长的地区名" * 60, "2024-06-01").header()
    assert "&C&B汇总表 && 说明&B" in header and "…" in header and len(header) <= 255


def test_the_page_setup_is_in_the_xml_excel_reads(registry: Any, roster: Any) -> None:
    import io

    result = ability2.evaluate(roster, registry.policy("guangxi", on=ON))
    with zipfile.ZipFile(io.BytesIO(report_bytes(result, "xlsx"))) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<definedName name="_xlnm.Print_Titles" localSheetId="0">教师!$1:$1</definedName>' in workbook
    # the schema's order: sheetPr first; pageMargins, pageSetup, headerFooter after the data
    assert sheet.index("<sheetPr>") < sheet.index("<dimension")
    assert sheet.index("</sheetData>") < sheet.index("<pageMargins") < sheet.index("<pageSetup")
    assert sheet.index("<pageSetup") < sheet.index("<headerFooter>")
