"""The HTML report as a reader gets it: valid HTML, one language, roster text escaped, and at
a province's size a page that lists what matters and says plainly what it leaves out."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2.cli import main
from ability2.errors import Ability2Error
from ability2.messages import language
from ability2.reports import render_report, write_report
from ability2.reports.html import MAX_SCHOOLS, MAX_TEACHERS, _escaped, plan_html, render_html
from ability2.result import Result
from ability2.roster import Roster

REGION = "shandong/jining/yanzhou"
ON = dt.date(2022, 11, 20)

#: the elements the report is made of; anything else in a page is roster text that got through
ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "section", "div",
    "span", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "code", "br", "footer",
}  # fmt: skip
VOID = {"meta", "br"}
#: where an element may sit (its parent)
PARENTS = {
    "thead": {"table"},
    "tbody": {"table"},
    "tr": {"thead", "tbody"},
    "th": {"tr"},
    "td": {"tr"},
    "li": {"ul"},
    "head": {"html"},
    "body": {"html"},
    "title": {"head"},
    "style": {"head"},
    "meta": {"head"},
}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


class Page(HTMLParser):
    """A page parsed strictly: every element known, closed in order, in its place; text kept per element."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self.counts: dict[str, int] = {}
        #: (element, class, the element's own text) for every element with text
        self.texts: list[tuple[str, str, str]] = []
        self.doctype = ""
        self.lang = ""
        self.feed(page)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {[tag for tag, _ in self.stack]}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in ELEMENTS:
            self.problems.append(f"unknown element <{tag}>")
        parent = self.stack[-1][0] if self.stack else ""
        if tag in PARENTS and parent not in PARENTS[tag]:
            self.problems.append(f"<{tag}> inside <{parent}>")
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"</{tag}>")
        elif not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            tag, cls = self.stack[-1]
            self.texts.append((tag, cls, data))

    def text(self, *, skip: tuple[str, ...] = ("style",)) -> str:
        return "\n".join(data for tag, _, data in self.texts if tag not in skip)


def parse(page: str) -> Page:
    parsed = Page(page)
    assert parsed.problems == [], parsed.problems[:5]
    assert parsed.doctype.lower() == "doctype html"
    for tag in ("html", "head", "body", "title", "style", "h1", "footer"):
        assert parsed.counts.get(tag) == 1, tag
    return parsed


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


# -- a cohort past the caps ----------------------------------------------------------------


def cohort(size: int, seed: int = 11) -> pd.DataFrame:
    """About 20 teachers a school, four groups a school; hours such that about 40 % fail."""
    rng = np.random.default_rng(seed)
    schools = np.array([f"School {i:05d}" for i in range(max(1, size // 20))], dtype=object)
    school = schools[np.sort(rng.integers(0, len(schools), size))]
    abilities = np.array(["A1;B2;C4", "A3;B1;C6", "A5;B5;C2", "A1;A3;B2"], dtype=object)
    return pd.DataFrame(
        {
            "teacher_id": [f"T{i:07d}" for i in range(size)],
            "name": [f"Teacher {i}" for i in range(size)],
            "school": school,
            "group": np.array(["Chinese", "Maths", "English", "Science"], dtype=object)[rng.integers(0, 4, size)],
            "online_hours": rng.choice(["20", "25", "30", "35"], size, p=[0.25, 0.25, 0.25, 0.25]),
            "offline_hours": rng.choice(["20", "25", "30"], size, p=[0.2, 0.4, 0.4]),
            "abilities": abilities[rng.integers(0, 4, size)],
            "grades": rng.choice(["合格;合格;优秀", "优秀;优秀;优秀", "合格;合格;合格", "合格;;合格"], size),
            "peer_reviews": rng.choice(["是", "否"], size, p=[0.9, 0.1]),
        }
    )


@pytest.fixture(scope="module")
def large() -> Result:
    """25,000 teachers in 1,250 schools: more than the default caps of 10,000 teachers and 1,000 schools."""
    policy = ability2.load_registry().policy(REGION, on=ON)
    return ability2.evaluate(cohort(25_000), policy)


@pytest.fixture(scope="module")
def large_pages(large: Result) -> dict[str, str]:
    return {lang: render_html(large, lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def large_parsed(large_pages: dict[str, str]) -> dict[str, Page]:
    return {lang: parse(page) for lang, page in large_pages.items()}


def teacher_rows(page: str) -> list[list[str]]:
    """The cells of each row of the teachers table, as text."""
    table = section(page, '<table class="teachers">', "</table>")
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :])
    return [
        [html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in rows
    ]


def test_the_cohort_is_past_both_caps(large: Result) -> None:
    assert len(large) > MAX_TEACHERS and len(large.school_names) > MAX_SCHOOLS
    assert large.status_counts()["fail"] + large.status_counts()["pending"] > MAX_TEACHERS


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_large_report_is_valid_html_of_bounded_size(
    large_pages: dict[str, str], large_parsed: dict[str, Page], lang: str
) -> None:
    page = large_pages[lang]
    parsed = large_parsed[lang]
    assert parsed.lang == ("en" if lang == "en" else "zh-CN")
    # a few MB, however many teachers: the teachers' rows are capped, not the cohort
    assert len(page.encode("utf-8")) < 9 * 1024**2
    assert parsed.counts["section"] == MAX_SCHOOLS + 1  # the school cards and the omission box


def test_a_large_report_states_what_it_omits_in_chinese(large: Result, large_pages: dict[str, str]) -> None:
    page = large_pages["zh"]
    box = section(page, '<section class="card omitted">', "</section>")
    text = Page(box).text()
    assert "本报告未列出全部内容" in text
    assert f"共 {len(large):,} 名教师" in text and f"{len(large) - MAX_TEACHERS:,} 名教师未列出" in text
    assert f"共 {len(large.school_names):,} 所学校" in text
    assert f"{len(large.school_names) - MAX_SCHOOLS:,} 所学校未列出" in text
    assert "--format csv" in text and "parquet" in text and "jsonl" in text and f"--region {REGION}" in text
    assert "--html-max-teachers" in text
    # and again where the lists are shortened
    teachers = section(page, "<h2>教师</h2>", "<table")
    assert "只列出未通过或待评的教师" in teachers and f"{len(large) - MAX_TEACHERS:,} 名教师未列出" in teachers
    summary = section(page, "参训人员情况汇总表</h2>", "<table")
    assert f"合计行包括全部 {len(large.school_names):,} 所学校" in summary


def test_a_large_report_states_what_it_omits_in_english(
    large: Result, large_pages: dict[str, str], large_parsed: dict[str, Page]
) -> None:
    page = large_pages["en"]
    box = section(page, '<section class="card omitted">', "</section>")
    text = Page(box).text()
    assert "This report does not list everything" in text
    assert f"{len(large):,} teachers, more than this report's cap of {MAX_TEACHERS:,}" in text
    assert f"{len(large) - MAX_TEACHERS:,} teachers are not listed" in text
    assert f"{len(large.school_names) - MAX_SCHOOLS:,} schools are not listed" in text
    assert "--format csv" in text and f"--region {REGION}" in text
    assert not CJK.search(text), CJK.findall(text)
    # every heading and label of the English page is English (the cohort's own text is ASCII)
    for tag, cls, data in large_parsed["en"].texts:
        if tag in ("h1", "h2", "h3", "th", "p", "b", "span") and cls not in ("src",):
            assert not CJK.search(data), (tag, cls, data)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_large_report_lists_the_teachers_to_act_on_first_in_roster_order(
    large: Result, large_pages: dict[str, str], lang: str
) -> None:
    rows = teacher_rows(large_pages[lang])
    status = np.asarray(large.status, dtype=object)
    to_act = np.flatnonzero((status == "fail") | (status == "pending"))
    assert [row[0] for row in rows] == [str(large.teacher_ids[i]) for i in to_act[:MAX_TEACHERS]]
    words = {"zh": {"不合格", "待评"}, "en": {"fail", "pending"}}[lang]
    assert {row[-2] for row in rows} <= words
    assert all(row[-1] for row in rows if row[-2] in ("不合格", "fail"))  # each failure says which rule


def test_a_large_report_lists_the_failing_schools_and_totals_everyone(
    large: Result, large_pages: dict[str, str]
) -> None:
    page = large_pages["zh"]
    failing = [i for i, code in enumerate(large.school_status()) if code != "pass"][:MAX_SCHOOLS]
    cards = re.findall(r'<section class="card school"><div class="card-head"><h3>(.*?)</h3>', page)
    assert cards == [html.escape(large.school_names[i]) for i in failing]
    summary = section(page, '<table class="summary">', "</table>")
    rows = re.findall(r"<tr(?: class=\"total\")?><td>(.*?)</td><td class=\"num\">(\d+)</td>", summary)
    assert [name for name, _ in rows[:-1]] == [html.escape(large.school_names[i]) for i in failing]
    assert rows[-1] == ("合计", str(len(large)))
    # the status counts are over every teacher
    counts = section(page, '<div class="counts">', "<h2>")
    assert f'<span class="n">{len(large)}</span>' in counts


def test_the_plan_tells_a_program_what_the_page_lists(large: Result, large_pages: dict[str, str]) -> None:
    plan = plan_html(large)
    assert not plan.complete
    assert (plan.teachers.total, plan.teachers.listed) == (len(large), MAX_TEACHERS)
    assert (plan.schools.total, plan.schools.listed) == (len(large.school_names), MAX_SCHOOLS)
    assert plan.groups.complete and plan.groups.statement("zh") == ""
    for lang in ("zh", "en"):
        for sentence in plan.statements(lang):
            assert html.escape(sentence) in large_pages[lang]


def test_raised_caps_list_everyone_and_say_nothing_is_omitted(large: Result, tmp_path: Path) -> None:
    path = write_report(large, tmp_path / "all.html", "html", lang="en", max_teachers=10**6, max_schools=10**6)
    page = path.read_text(encoding="utf-8")
    assert plan_html(large, max_teachers=10**6, max_schools=10**6).complete
    assert "omitted" not in page and "not listed" not in page
    assert len(teacher_rows(page)) == len(large)
    assert page.count('<section class="card school">') == len(large.school_names)


def test_caps_of_zero_list_no_rows_but_keep_the_summary(large: Result) -> None:
    page = render_report(large, "html", lang="en", max_teachers=0, max_schools=0)
    parse(page)
    assert '<table class="teachers">' not in page and '<section class="card school">' not in page
    assert f"{len(large):,} teachers are not listed" in page
    assert re.search(rf'<tr class="total"><td>Total</td><td class="num">{len(large)}</td>', page)


@pytest.mark.parametrize("cap", [-1, 1.5, "10", True])
def test_a_bad_cap_is_refused_before_any_work(large: Result, tmp_path: Path, cap: Any) -> None:
    with pytest.raises(Ability2Error, match="应为不小于 0 的整数"):  # reports.bad_cap, Chinese by default
        write_report(large, tmp_path / "r.html", "html", max_teachers=cap)
    with language("en"), pytest.raises(Ability2Error, match="whole number 0 or more"):
        render_report(large, "html", max_schools=cap)
    assert list(tmp_path.iterdir()) == []


def test_the_full_findings_are_the_same_when_grouped_by_distinct_reason(
    large: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ability2.reports.html as html_module

    page = render_html(large, "en", max_teachers=3_000)
    monkeypatch.setattr(html_module, "_DISTINCT_FROM", 0)  # the path a long listing takes
    assert render_html(large, "en", max_teachers=3_000) == page


# -- small reports ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Result:
    from ability2.demo import sample_roster_path

    policy = ability2.load_registry().policy(REGION, on=ON)
    return ability2.evaluate(ability2.read_roster(str(sample_roster_path())), policy)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_small_report_lists_everyone_and_has_no_omission_notes(sample: Result, lang: str) -> None:
    page = render_html(sample, lang)
    parsed = parse(page)
    assert plan_html(sample).complete and plan_html(sample).statements(lang) == []
    assert "omitted" not in page
    assert len(teacher_rows(page)) == len(sample)
    assert parsed.counts["section"] == len(sample.school_names)


def test_a_report_read_back_from_json_lists_the_same_rows(sample: Result) -> None:
    back = Result.from_dict(sample.to_dict())
    assert teacher_rows(render_html(back)) == teacher_rows(render_html(sample))
    for caps in ({}, {"max_teachers": 3, "max_schools": 0}):
        ours, theirs = plan_html(sample, **caps), plan_html(back, **caps)
        for kind in ("teachers", "schools", "groups"):
            assert getattr(ours, kind).rows.tolist() == getattr(theirs, kind).rows.tolist()
            assert getattr(ours, kind).statement("en") == getattr(theirs, kind).statement("en")
        parse(render_html(back, "en", **caps))


# -- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_command_line_says_what_the_page_omits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    roster = tmp_path / "roster.csv"
    cohort(60).to_csv(roster, index=False)
    target = tmp_path / "r.html"
    argv = ["evaluate", str(roster), "--region", REGION, "--on", "2022-11-20", "--format", "html", "-o", str(target)]
    assert main([*argv, "--html-max-teachers", "5", "--html-max-schools", "1", "--lang", lang]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == str(target)
    notes = [line for line in err if line.startswith("ability2: ")]
    said = {
        "zh": ["名教师未列出", "所学校未列出", "--format csv"],
        "en": ["teachers are not listed", "schools are not listed", "--format csv"],
    }
    for words in said[lang]:
        assert any(words in note for note in notes), (words, notes)
    page = target.read_text(encoding="utf-8")
    for note in notes:
        assert html.escape(note.removeprefix("ability2: ")) in page
    # under the caps nothing is said, and the page is the one the API renders
    assert main([*argv, "--lang", lang]) == 0
    assert capsys.readouterr().err.strip().splitlines() == [str(target)]
    assert "omitted" not in target.read_text(encoding="utf-8")


def test_the_command_line_reads_caps_with_suffixes_and_refuses_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    cohort(30).to_csv(roster, index=False)
    argv = ["evaluate", str(roster), "--region", REGION, "--format", "html", "-o", str(tmp_path / "r.html")]
    assert main([*argv, "--html-max-teachers", "20K", "--html-max-schools", "1,000"]) == 0
    for bad in ("-1", "ten", "1.5"):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--html-max-teachers", bad])
        assert exit_.value.code == 2
        assert f"“{bad}”不是大于等于 0 的整数" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            main([*argv, "--html-max-teachers", bad, "--lang", "en"])
        assert "not a whole number 0 or more" in capsys.readouterr().err


# -- escaping -----------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    ["<script>alert(1)</script>", "</td></tr>", "<b>", '"', "'", "&amp;", "&lt;", "<!--", "]]>", "\x00", "<", ">"]
)
TEXT = st.lists(
    st.one_of(HOSTILE, st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
).map("".join)


@functools.cache
def _policy() -> Any:
    return ability2.load_registry().policy(REGION, on=ON)


def roster_of(ids: list[str], names: list[str], schools: list[str], groups: list[str]) -> Roster:
    size = len(ids)
    fw = ability2.load_framework()
    codes = [a.code for a in fw.abilities]
    chosen = [codes.index(c) for c in ("A1", "B2", "C4")]
    return Roster(
        source="mem",
        frame=pl.DataFrame({"teacher_id": ids}),
        teacher_id=np.array(ids, dtype=object),
        school=np.array(schools, dtype=object),
        online=np.array([3000 if i % 2 else 1000 for i in range(size)]),
        offline=np.array([3000] * size),
        ability_offsets=np.arange(0, 3 * size + 1, 3),
        ability_codes=np.array(chosen * size, dtype=np.int8),
        grades=np.array([1, 1, 2] * size, dtype=np.int8),
        name=np.array(names, dtype=object),
        group=np.array(groups, dtype=object),
        has_grades=True,
        peer_reviews=np.ones(size, dtype=np.int8),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=6, unique_by=lambda row: row[0]),
    st.sampled_from(["zh", "en"]),
    st.integers(0, 6),
)
def test_roster_text_is_escaped_never_markup(rows: list[tuple[str, str, str, str]], lang: str, cap: int) -> None:
    ids, names, schools, groups = (list(column) for column in zip(*rows, strict=True))
    result = ability2.evaluate(roster_of(ids, names, schools, groups), _policy())
    for caps in ({}, {"max_teachers": cap, "max_schools": cap}):
        parsed = parse(render_html(result, lang, **caps))  # no element, attribute or comment came from the roster
        seen = {data for _, _, data in parsed.texts}
        plan = plan_html(result, **caps)
        for i in plan.teachers.rows.tolist():
            assert ids[i] in seen and names[i] in seen and groups[i] in seen
        for i in plan.schools.rows.tolist():
            assert result.school_names[i] in seen


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_column_escaping_equals_html_escape(texts: list[str]) -> None:
    assert _escaped(texts) == [html.escape(text, quote=True) for text in texts]


def test_only_a_region_whose_documents_define_the_summary_table_shows_it() -> None:
    # 兖教体发〔2022〕82号 附件2 is 兖州's 参训人员情况汇总表; 开原's and 广西's documents define none
    from ability2.demo import sample_roster_path

    registry = ability2.load_registry()
    roster = ability2.read_roster(sample_roster_path())
    yanzhou = render_html(ability2.evaluate(roster, registry.policy(REGION, on=ON)), "zh")
    assert "<h2>兖州区中小学教师信息技术应用能力提升工程2.0参训人员情况汇总表</h2>" in yanzhou
    assert '<table class="summary">' in yanzhou
    for region, on in (("liaoning/tieling/kaiyuan", dt.date(2024, 6, 1)), ("guangxi", dt.date(2024, 6, 1))):
        page = render_html(ability2.evaluate(roster, registry.policy(region, on=on)), "zh")
        assert "汇总表" not in page and '<table class="summary">' not in page, region
