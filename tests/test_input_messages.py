"""Messages of input, the command line and the service: by code, Chinese by default, English when asked.

Issue 13 item 12 and issue 15: every problem of a roster names its column by its canonical
name with the contract's alias (contract §2), every message has a code and reads in one
language only; the command line writes an error as JSON in JSON mode; the service answers
in the request's language.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2.cli import main
from ability2.errors import EvaluationError, PolicyDateError, RosterError, RosterProblem
from ability2.failures import OS_REASONS, classify, os_reason
from ability2.io.roster import read_roster
from ability2.messages import Message, catalogue, language, msg, render

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# as tests/test_messages.py allows in Chinese text: code spans, identifiers and options, acronyms, names
LATIN_ALLOWED = re.compile(
    r"`[^`]*`|[A-Za-z0-9]*[0-9_.\-/=][A-Za-z0-9_.\-/=]*|\b[A-Z]{2,}\b"
    r"|\b(?:ability2|Parquet|GB/T|Dask|pip|Unicode|Excel)\b"
)
CODE_SPAN = re.compile(r"`[^`]*`")

HEADER = "teacher_id,name,school,online_hours,offline_hours,abilities,grades"
ALIASES = {
    "teacher_id": "教师编号",
    "name": "姓名",
    "school": "学校",
    "online_hours": "线上学时",
    "offline_hours": "线下学时",
    "abilities": "能力点",
    "grades": "考核结果",
}


def _blanked(message: Message | str) -> Message | str:
    """The message with each plain value replaced by ``0``: what is left is the catalogue's own words."""
    if isinstance(message, str):
        return message

    def blank(value: Any) -> Any:
        if isinstance(value, Message):
            return _blanked(value)
        if isinstance(value, tuple):
            return tuple(blank(item) for item in value)
        return 0 if isinstance(value, int | float) else "0"

    return Message(message.code, tuple((name, blank(value)) for name, value in message.params))


def assert_one_language(message: Message | str) -> None:
    """The message's own words: Chinese without English words, English without Chinese."""
    assert isinstance(message, Message), f"plain text, not a message by code: {message!r}"
    assert message.code in catalogue(), message.code
    words = _blanked(message)
    zh, en = render(words, "zh"), render(words, "en")
    assert CJK.search(zh), zh
    leftover = re.findall(r"[A-Za-z]{2,}", LATIN_ALLOWED.sub("", zh))
    assert not leftover, f"English words {leftover} in {zh!r}"
    assert not CJK.search(CODE_SPAN.sub("", en)), f"Chinese in {en!r}"


def rejected(tmp_path: Path, text: str, name: str = "roster.csv") -> RosterError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError) as info:
        read_roster(path)
    return info.value


# --------------------------------------------------------------------------- the column and its alias


def test_a_cell_problem_names_the_canonical_column_with_the_contracts_alias(tmp_path: Path) -> None:
    error = rejected(tmp_path, f"{HEADER}\nT1,张三,一小,-3,10,A1;B2;C4,\n")
    [problem] = error.problems
    assert (problem.row, problem.column, problem.alias, problem.code) == (
        2,
        "online_hours",
        "线上学时",
        "roster.hours_negative",
    )
    assert problem.text("zh") == f"{tmp_path / 'roster.csv'}:2:线上学时: 学时为负数：-3（须 ≥ 0）"
    assert problem.text("en") == f"{tmp_path / 'roster.csv'}:2:online_hours: negative hours: -3 (must be ≥ 0)"


def test_a_missing_column_is_named_by_both_names_of_the_contract(tmp_path: Path) -> None:
    error = rejected(tmp_path, "teacher_id,name,school,offline_hours,abilities\nT1,张三,一小,10,A1\n")
    [problem] = [p for p in error.problems if p.code == "roster.missing_column"]
    assert (problem.column, problem.alias, problem.row) == ("online_hours", "线上学时", None)
    assert render(problem.message, "zh") == "缺少必需的列：请添加表头为“online_hours”或“线上学时”的列"
    assert render(problem.message, "en") == "missing required column: add a column headed 'online_hours' or '线上学时'"


def test_a_column_the_contract_does_not_name_keeps_its_header(tmp_path: Path) -> None:
    problem = RosterProblem("r.csv", 3, "备注", msg("roster.not_unicode"))
    assert problem.alias is None and problem.text("en").startswith("r.csv:3:备注: ")


# --------------------------------------------------------------------------- every family, both languages

SAMPLES: list[tuple[Message, str, str]] = [
    (msg("roster.hours_not_number", text="abc"), "不是数字：“abc”", "not a number: 'abc'"),
    (
        msg("roster.too_many_rows", rows=12, limit=10, hint=msg("limit.hint", name="max_rows")),
        "行数过多：共 12 行数据，最多读取 10 行（限值 max_rows；可用 --limit max_rows=N 放宽）",
        "too many rows: 12 data rows; at most 10 are read (limit max_rows; --limit max_rows=N raises it)",
    ),
    (msg("workbook.no_sheets"), "工作簿中没有工作表", "it has no sheets"),
    (
        msg("parquet.not_parquet"),
        "不是 Parquet 文件：文件须以 PAR1 开头和结尾",
        "not a Parquet file: it must begin and end with PAR1",
    ),
    (
        msg("schools.school_twice", school=msg("schools.named", school="一小"), first=2, row=5),
        "学校“一小”重复：第 2 行和第 5 行",
        "school '一小' is given twice: rows 2 and 5",
    ),
    (msg("cell.not_date", text="昨天"), "不是日期：“昨天”；请写成 YYYY-MM-DD", "not a date: '昨天'; write YYYY-MM-DD"),
    (msg("national.empty_region"), "地区为空", "empty region"),
    (msg("engine.no_files"), "没有给出花名册文件", "no roster file given"),
    (msg("os.enospc"), "磁盘空间已满", "no space left on the disk"),
    (
        msg("cli.usage.required", names="ROSTER"),
        "缺少必需的参数：ROSTER",
        "the following arguments are required: ROSTER",
    ),
    (msg("cli.arg.not_port", text="http"), "“http”不是端口号", "'http' is not a port number"),
    (msg("serve.no_roster"), "没有花名册", "no roster: send it as the file part 'roster'"),
    (msg("result.no_teacher", id="T9"), "此结果中没有教师编号为“T9”的教师", "no teacher 'T9' in this result"),
    (
        msg("eval.exemption_rows", rule="r", rows=1, teachers=2),
        "规则 r 的豁免给出了 1 行，而教师有 2 人",
        "the exemption of r gives 1 rows for 2 teachers",
    ),
    (
        msg("files.cannot_write", path="o.xlsx", reason=msg("os.eacces")),
        "无法写入 o.xlsx：没有权限",
        "cannot write o.xlsx: permission denied",
    ),
    (
        msg("policy_date.before", region="cn", name="全国", on="2001-01-01", first="2019-03-20"),
        "cn（全国）在 2001-01-01 没有政策：其规则自 2019-03-20 起施行",
        "no policy for cn (全国) on 2001-01-01: its rules take effect on 2019-03-20",
    ),
]


@pytest.mark.parametrize(("message", "zh", "en"), SAMPLES, ids=[m.code for m, _, _ in SAMPLES])
def test_a_sample_of_every_family_reads_in_both_languages(message: Message, zh: str, en: str) -> None:
    assert render(message, "zh").startswith(zh)
    assert render(message, "en").startswith(en)
    assert str(message).startswith(zh)  # Chinese by default
    with language("en"):
        assert str(message).startswith(en)
    assert_one_language(message)


@pytest.mark.parametrize(
    "code",
    sorted(
        c
        for c in catalogue()
        if c.split(".")[0]
        in {
            "limit",
            "roster",
            "workbook",
            "parquet",
            "schools",
            "cell",
            "batch",
            "national",
            "engine",
            "os",
            "cli",
            "serve",
            "eval",
            "policy_date",
            "files",
            "result",
        }
    ),
)
def test_every_message_of_this_area_renders_in_one_language_whatever_its_values(code: str) -> None:
    names = {name for _, name, _, _ in string.Formatter().parse(catalogue()[code]["zh"]) if name}
    # numbers where a format spec asks for one, text elsewhere
    specs = {name: spec for _, name, spec, _ in string.Formatter().parse(catalogue()[code]["zh"]) if name}
    params = {name: (1 if specs[name] else "x") for name in names}
    assert_one_language(msg(code, **params))


# --------------------------------------------------------------------------- a hostile roster, as a property

CELLS = st.sampled_from(
    [
        "",
        " ",
        "abc",
        "-1",
        "1.234",
        "1e400",
        "NaN",
        "12",
        "0",
        "Z9",
        "A1;A1",
        "A1;B2;C4",
        "a1",
        "优秀;x",
        "合格",
        "maybe",
        "是",
        "T1",
        "\u00a0",
        "'",
        '"',
        "１２",
        "1_000",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELLS, min_size=7, max_size=8), min_size=0, max_size=6),
    drop=st.sets(st.sampled_from(HEADER.split(",")), max_size=2),
)
def test_every_problem_of_a_hostile_roster_has_a_code_and_reads_in_one_language(
    tmp_path: Path, rows: list[list[str]], drop: set[str]
) -> None:
    import csv
    import io

    header = [name for name in HEADER.split(",") if name not in drop]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row[: len(header) + (len(row) > 7)])
    path = tmp_path / "hostile.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        read_roster(path)
    except RosterError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert_one_language(problem.message)
            if problem.column in ALIASES:  # a contract column: its alias, shown in Chinese
                assert problem.alias == ALIASES[problem.column]
                assert f":{problem.alias}: " in problem.text("zh")
                assert f":{problem.column}: " in problem.text("en")
            data = problem.to_dict("en")
            assert set(data) == {"code", "file", "row", "column", "alias", "message"} and data["code"]
        assert not CJK.search(CODE_SPAN.sub("", exc.summary("en")))


# --------------------------------------------------------------------------- the operating system, by errno


@pytest.mark.parametrize("name", sorted(OS_REASONS))
def test_an_os_error_is_said_by_its_errno_not_by_the_c_librarys_english(name: str) -> None:
    number = getattr(errno, name, None)
    if number is None:
        pytest.skip(f"{name} is not an errno here")
    exc = OSError(number, "Some English sentence", "/srv/data/x.csv")
    assert os_reason(exc).code == f"os.{name.lower()}"
    failure = classify(exc, "zh")
    assert failure.code == "environment" and failure.exit_code == 2
    assert "English" not in failure.message and "/srv/data/x.csv" in failure.message
    assert failure.to_dict()["reason_code"] == f"os.{name.lower()}"


def test_an_errno_without_a_message_is_named_by_its_symbol() -> None:
    assert render(os_reason(OSError(errno.ENOMEM, "Cannot allocate memory")), "zh") == "操作系统拒绝（ENOMEM）"


# --------------------------------------------------------------------------- structured fields


def test_a_policy_date_error_carries_region_date_and_first_effective_date(capsys: pytest.CaptureFixture[str]) -> None:
    import ability2

    with pytest.raises(PolicyDateError) as info:
        ability2.load_registry().policy("370812", on=dt.date(2001, 1, 1))
    data = info.value.to_dict("en")
    assert data["code"] == "policy_date" and data["message_code"] == "policy_date.before"
    assert (data["region"], data["on"]) == ("shandong/jining/yanzhou", "2001-01-01")
    assert data["effective_from"] and data["effective_from"] > "2001-01-01"
    assert data["effective_from"] in data["message"]


def test_an_evaluation_error_carries_rule_kind_and_plugin() -> None:
    error = EvaluationError(msg("eval.exemption_rows", rule="r", rows=1, teachers=2), rule="r", kind="k", plugin="p")
    assert error.to_dict("en")["rule"] == "r" and error.fields() == {"rule": "r", "kind": "k", "plugin": "p"}
    assert str(error) == "规则 r 的豁免给出了 1 行，而教师有 2 人"


# --------------------------------------------------------------------------- the command line


def test_json_mode_writes_the_error_as_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["policy", "370812", "--on", "2001-01-01", "--json", "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    data = json.loads(line)
    assert data["code"] == "policy_date" and data["exit_code"] == 2
    assert data["region"] == "shandong/jining/yanzhou" and data["on"] == "2001-01-01" and data["effective_from"]
    assert data["message"].startswith("no policy for shandong/jining/yanzhou")


def test_json_mode_lists_every_problem_of_a_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\nT1,张三,一小,abc,10,A1,\nT1,李四,一小,5,-1,Q7,\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["evaluate", str(path), "--region", "370812", "--on", "2022-11-20", "--format", "json"])
    assert code == 2
    data = json.loads(capsys.readouterr().err)
    assert data["code"] == "roster_rejected" and data["message_code"] == "roster.rejected"
    assert data["message"] == "花名册未通过检查：4 处问题"  # Chinese by default
    found = {(p["row"], p["column"], p["alias"], p["code"]) for p in data["problems"]}
    assert found == {
        (2, "online_hours", "线上学时", "roster.hours_not_number"),
        (3, "teacher_id", "教师编号", "roster.id_duplicate"),
        (3, "offline_hours", "线下学时", "roster.hours_negative"),
        (3, "abilities", "能力点", "roster.abilities_unknown"),
    }
    assert all(p["file"] == str(path) for p in data["problems"])


def test_text_mode_names_the_column_by_its_alias_in_chinese_and_its_name_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\nT1,张三,一小,abc,10,A1,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["evaluate", str(path), "--region", "370812", "--on", "2022-11-20"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ability2: 错误: 花名册未通过检查：1 处问题",
        f"{path}:2:线上学时: 不是数字：“abc”",
    ]
    assert main(["evaluate", str(path), "--region", "370812", "--on", "2022-11-20", "--lang", "en"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ability2: error: roster rejected: 1 problem(s)",
        f"{path}:2:online_hours: not a number: 'abc'",
    ]


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (
            ["evaluate"],
            "ability2 evaluate: 错误: 缺少必需的参数：ROSTER",
            "ability2 evaluate: error: the following arguments are required: ROSTER",
        ),
        (["policy", "cn", "--lang", "fr"], "参数 --lang：无效的选项", "argument --lang: invalid choice"),
        (
            ["policy", "cn", "--on", "yesterday"],
            "ability2 policy: 错误: 参数 --on：“yesterday”不是 ISO 日期",
            "ability2 policy: error: argument --on: 'yesterday' is not an ISO date",
        ),
        (
            ["serve", "--port", "0"],
            "参数 --port：“0”：端口号须在 1 至 65535 之间",
            "argument --port: '0': a port is 1 to 65535",
        ),
        (["regions", "--bogus"], "无法识别的参数：--bogus", "unrecognized arguments: --bogus"),
        (["nonsense"], "参数 COMMAND：无效的选项", "argument COMMAND: invalid choice"),
    ],
)
def test_argparse_errors_read_in_the_chosen_language(
    args: list[str], zh: str, en: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, wanted, other in ((args, zh, "error:"), ([*args, "--lang", "en"], en, "错误")):
        capsys.readouterr()
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert wanted in err, err
        assert other not in err
        assert "Traceback" not in err


def test_a_usage_error_in_json_mode_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["policy", "--json"])
    assert info.value.code == 2
    data = json.loads(capsys.readouterr().err)
    assert data["code"] == "bad_input" and data["exit_code"] == 2
    assert data["message_code"] == "cli.usage.required" and data["message"] == "缺少必需的参数：REGION"


# --------------------------------------------------------------------------- across processes


def test_a_problem_crosses_to_the_dask_driver_with_its_code_and_nested_messages() -> None:
    problem = RosterProblem(
        "a.csv",
        5,
        "teacher_id",
        msg("roster.id_duplicate_elsewhere", id="T1", first=msg("engine.row_of_file", row=2, file="b.csv")),
        alias="教师编号",
    )
    again = RosterProblem.from_data(json.loads(json.dumps(problem.to_data(), ensure_ascii=False)))
    assert again == problem
    assert again.text("zh") == "a.csv:5:教师编号: 教师编号“T1”重复：文件 b.csv 第 2 行已用过"
    assert again.text("en") == "a.csv:5:teacher_id: duplicate teacher id 'T1': first used on row 2 of b.csv"
