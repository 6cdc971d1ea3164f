"""Policy files, plugins and the library's entry points speak the reader's language, by code.

Issue 13 item 12: Chinese by default, complete English when asked, never mixed; every
problem carries a code a program can read. The sentences below are the catalogue's
(``ability2/locale/policy.yaml``); the tests check what a plugin author, a county office and
a program see: the code, the file, line and key path, and the text in each language.
"""

from __future__ import annotations

import itertools
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2 import EvaluationError, PolicyFileError, load_registry
from ability2.cli import main
from ability2.errors import Ability2Error, PluginProblem, Problem, ProblemListError
from ability2.loading import load_layer
from ability2.messages import Message, add_messages, catalogue, language, msg, plugin_messages, render

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
#: what Chinese text may hold in Latin letters besides the parameters (as tests/test_messages.py allows)
LATIN_ALLOWED = re.compile(
    r"`[^`]*`|[A-Za-z0-9]*[0-9_.\-/=][A-Za-z0-9_.\-/=]*|\b[A-Z]{2,}\b|\b(?:ability2|Parquet|GB/T|Dask|pip|Python|Excel)\b"
)

GOOD = """\
region: {id: zzmsg, name: 消息省, level: province, parent: cn, code: "960000"}
documents:
  zz-doc: {title: 消息省实施方案, number: 消〔2020〕1号, date: 2020-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    source: {document: zz-doc, clause: 二}
"""


def _blanked(message: Message | str) -> Message | str:
    """``message`` with every plain parameter emptied (nested messages kept): the sentence's own words."""
    if not isinstance(message, Message):
        return ""
    params = []
    for name, value in message.params:
        if isinstance(value, Message):
            params.append((name, _blanked(value)))
        elif isinstance(value, tuple):
            params.append((name, tuple(_blanked(v) if isinstance(v, Message) else "" for v in value)))
        elif isinstance(value, int | float):
            params.append((name, value))  # numbers with a format spec ({count:,}) stay numbers
        else:
            params.append((name, ""))
    return Message(message.code, tuple(params))


def _codes(message: Message | str) -> Iterator[str]:
    if isinstance(message, Message):
        yield message.code
        for _, value in message.params:
            for item in value if isinstance(value, tuple) else (value,):
                yield from _codes(item)


def assert_speaks_both(message: Message | str) -> None:
    """A message by code, every code in the catalogue, its Chinese words Chinese and its English words English."""
    assert isinstance(message, Message), f"a plain string, not a message by code: {message!r}"
    for code in _codes(message):
        assert code in catalogue(), code
    for lang in ("zh", "en"):
        shown = render(message, lang)
        assert not shown.startswith(f"{message.code}:"), f"{message.code}: a placeholder was not given"
    zh, en = render(_blanked(message), "zh"), render(_blanked(message), "en")
    assert CJK.search(zh) or not re.search(r"\w", zh), zh
    assert not re.findall(r"[A-Za-z]{2,}", LATIN_ALLOWED.sub("", zh)), zh
    assert not CJK.search(en), en


# -- a sample of every family, in both languages ----------------------------------------------


def _problems(write: Callable[[str, str], Path], text: str) -> list[Problem]:
    with pytest.raises(PolicyFileError) as info:
        load_layer(write("p.yaml", text))
    return list(info.value.problems)


def test_a_misspelled_key_reads_in_both_languages_and_keeps_the_key_as_it_is(write: Callable[[str, str], Path]) -> None:
    [problem] = _problems(write, GOOD.replace("    bound: 不少于", "    bound: 不少于\n    valeu: 30"))
    assert problem.code == "policy.unknown_key" and problem.line == 8
    assert problem.path == 'rules["hours.online_min"].valeu'
    assert problem.text("zh").endswith("未知的键；是否应为 “value”？（请检查拼写；未知的键会被拒绝，不会被忽略）")
    assert problem.text("en").endswith(
        "unknown key; did you mean 'value'? (check its spelling; unknown keys are refused, not ignored)"
    )
    assert problem.to_dict("en")["code"] == "policy.unknown_key"
    assert_speaks_both(problem.message)


@pytest.mark.parametrize(
    ("change", "code", "zh", "en"),
    [
        (
            ("hours.online_min:", "hours.onlin_min:"),
            "policy.unknown_rule",
            "未知规则“hours.onlin_min”",
            "unknown rule 'hours.onlin_min'",
        ),
        (("bound: 不少于", "bound: 起码"), "bound.unknown_word", "未知的边界词“起码”", "unknown boundary word '起码'"),
        (("value: 20", "value: -3"), "value.hours_negative", "学时不能为负数", "hours cannot be negative"),
        (("value: 20", "value: [1]"), "value.expected_number", "应为数字", "expected a number"),
        (
            ("document: zz-doc", "document: zz-dco"),
            "policy.unknown_document",
            "未知文件“zz-dco”",
            "unknown document 'zz-dco'",
        ),
        (
            ("parent: cn", "parent: zz"),
            "policy.parent_mismatch",
            "上级“zz”与地区编号“zzmsg”不符",
            "parent 'zz' does not match",
        ),
        (
            ("level: province", "level: provinse"),
            "policy.unknown_level",
            "未知的行政级别“provinse”",
            "unknown level 'provinse'",
        ),
        (
            ("bound: 不少于", "bound: 不超过"),
            "policy.bound_direction",
            "“不超过”表示上限，但 hours.online_min 是下限规则",
            "'不超过' states a max but hours.online_min is a min rule",
        ),
        (
            ("date: 2020-03-01", "date: 2020-02-30"),
            "yaml.invalid_date",
            "日期“2020-02-30”不存在",
            "invalid date '2020-02-30'",
        ),
        (
            ("  hours.online_min:\n", "  hours.online_min:\n  hours.online_min:\n"),
            "yaml.duplicate_key",
            "键“hours.online_min”重复",
            "duplicate key 'hours.online_min'",
        ),
        (("    value: 20", "   value: 20"), "yaml.malformed", "YAML 格式有误：", "malformed YAML: "),
    ],
)
def test_each_family_of_policy_file_problem_reads_in_both_languages(
    write: Callable[[str, str], Path], change: tuple[str, str], code: str, zh: str, en: str
) -> None:
    problems = _problems(write, GOOD.replace(*change))
    found = [p for p in problems if p.code == code]
    assert found, [p.text("en") for p in problems]
    assert zh in found[0].text("zh") and en in found[0].text("en")
    for problem in problems:
        assert_speaks_both(problem.message)


def test_the_default_is_chinese_and_a_language_block_gives_english(write: Callable[[str, str], Path]) -> None:
    with pytest.raises(PolicyFileError) as info:
        load_layer(write("p.yaml", GOOD.replace("value: 20", "value: -3")))
    assert str(info.value).startswith("政策数据中有 1 处问题：")
    with language("en"):
        assert str(info.value).startswith("1 problem(s) in policy data:")
        assert not CJK.search(info.value.summary())


def test_a_broken_plugin_is_described_in_one_language() -> None:
    problem = PluginProblem("zz", "policy", msg("policy.missing_key"), "zz.yaml", 4, "rules.x", ("zz",))
    assert problem.describe("zh") == "插件 zz 政策文件有误，已跳过；不可用的地区：zz：zz.yaml:4: rules.x：缺少必填的键"
    assert problem.describe("en") == (
        "plugin zz has a bad policy file and was left out; regions not served: zz: zz.yaml:4: rules.x: required key is missing"
    )
    inherits = PluginProblem(
        "kid", "inherits", msg("plugin.inherits_broken", regions=("a", "b"), cause="zz"), regions=("a", "b"), cause="zz"
    )
    assert "地区 a、b 不可用" in inherits.describe("zh") and "regions a, b are not served" in inherits.describe("en")
    for kind in ("import", "hook", "messages", "catalogue", "sheets", "policy", "tree", "inherits"):
        assert_speaks_both(PluginProblem("p", kind, msg("policy.missing_key"), regions=("r",), cause="c").description())


def test_a_rule_kind_reading_an_absent_column_says_so_in_both_languages() -> None:
    from ability2.rules.kind import _describe

    error = EvaluationError(
        msg("eval.absent_columns", rule="x.share", names=("活动学时",), present=msg("eval.none")), rule="x.share"
    )
    assert "而花名册没有该列（其附加列：无）" in error.text("zh")
    assert "which the roster does not have (its extra columns: none)" in error.text("en")
    assert error.to_dict("en")["message_code"] == "eval.absent_columns"

    class Teacher:
        teacher_id = "T1"

    assert_speaks_both(_describe(Teacher()))


def test_form_scores_list_every_problem_as_data() -> None:
    error = ProblemListError(msg("forms.rejected"), [msg("forms.no_score", section="甲", item="乙"), "plain"])
    assert error.text("zh") == "评分表得分未通过检查：\n  甲 / 乙：没有给分\n  plain"
    assert error.text("en") == "form scores rejected:\n  甲 / 乙: no score given\n  plain"
    assert error.to_dict("en")["problems"][0] == {"code": "forms.no_score", "message": "甲 / 乙: no score given"}


def test_a_what_if_on_an_unknown_rule_suggests_the_rule_as_spelt() -> None:
    from ability2.errors import ChangeSetError

    registry = ability2.default_registry()
    policy = registry.policy(
        "shandong/jining/yanzhou", on=ability2.default_registry().effective_from("shandong/jining/yanzhou")
    )
    with pytest.raises(ChangeSetError) as info:
        policy.with_changes({"hours.total_mni": 60})
    [problem] = info.value.problems
    assert problem.code == "whatif.no_rule"
    assert "是否应为 “hours.total_min”" in problem.text("zh") and "did you mean 'hours.total_min'" in problem.text("en")
    assert_speaks_both(problem.message)


def test_the_scaffold_refuses_a_name_in_the_reader_s_language(tmp_path: Path) -> None:
    from ability2.scaffold import scaffold_plugin

    with pytest.raises(Ability2Error) as info:
        scaffold_plugin("qu-fu", parent="shandong/jining", output=tmp_path / "x")
    assert info.value.text("zh").startswith("“qu-fu”不是有效的插件名称") and "是否应为 “qufu”" in info.value.text("zh")
    assert info.value.text("en").startswith("'qu-fu' is not a valid plugin name")
    assert_speaks_both(info.value.message)


# -- property: whatever a hostile policy file holds, every problem is a message by code ---------

_LINES = GOOD.splitlines()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_LINES) - 1),
            st.sampled_from(
                ["", "valeu: 1", "  x: [", "value: 真", "bound: 约", "- 1", "from: 2021-13-01", "\t", ":", "&a", "*b"]
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_every_problem_of_a_hostile_policy_file_has_a_code_and_reads_in_both_languages(
    write: Callable[[str, str], Path], edits: list[tuple[int, str]]
) -> None:
    lines = list(_LINES)
    for index, text in edits:
        lines[index] = lines[index][: len(lines[index]) - len(lines[index].lstrip())] + text if text else ""
    try:
        load_layer(write("h.yaml", "\n".join(lines) + "\n"))
    except PolicyFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert_speaks_both(problem.message)


# -- ability2 validate: the plugin author's screen, in one language ----------------------------


def test_validate_reads_in_chinese_by_default_and_in_english_with_lang_en(
    write: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write("p.yaml", GOOD.replace("    bound: 不少于", "    bound: 不少于\n    valeu: 30"))
    assert main(["validate", str(path)]) == 2
    zh = capsys.readouterr().err
    assert "ability2: 错误: 政策数据中有 1 处问题：" in zh and "是否应为 “value”" in zh
    assert main(["validate", str(path), "--lang", "en"]) == 2
    en = capsys.readouterr().err
    assert "did you mean 'value'?" in en and "1 problem(s) in policy data:" in en
    assert not CJK.search(en.replace(str(path), ""))


def test_a_valid_file_s_report_reads_in_the_chosen_language(
    write: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write("p.yaml", GOOD)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "通过：" in out and "1 个政策文件通过检查；地区：zzmsg" in out
    assert main(["validate", str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "ok: " in out and "1 policy file(s) valid; regions: zzmsg" in out
    assert not CJK.search(out.replace(str(path), ""))


# -- a plugin's own message catalogue -------------------------------------------------------

_counter = itertools.count()

HOOKS = """
import ability2
from pathlib import Path


@ability2.hookimpl
def ability2_policy_files():
    return sorted((Path(__file__).parent / "policies").glob("*.yaml"))


@ability2.hookimpl
def ability2_message_files():
    return sorted((Path(__file__).parent / "locale").glob("*.yaml"))
"""

LOCALE = """\
zzmsg.score_missing:
  zh: "教师 {teacher} 没有考核分数"
  en: "teacher {teacher} has no assessment score"
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], str]]:
    """``install(name, locale_yaml)``: a plugin installed as pip does, with a policy file and a message catalogue."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def _install(name: str, locale: str) -> str:
        module = f"ability2_test_{name}_{next(_counter)}"
        package = site / module
        (package / "policies").mkdir(parents=True)
        (package / "locale").mkdir()
        (package / "__init__.py").write_text(textwrap.dedent(HOOKS), encoding="utf-8")
        (package / "policies" / "p.yaml").write_text(GOOD.replace("zzmsg", name), encoding="utf-8")
        (package / "locale" / "messages.yaml").write_text(locale, encoding="utf-8")
        dist = site / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
        (dist / "entry_points.txt").write_text(f"[ability2]\n{name} = {module}\n", encoding="utf-8")
        modules.append(module)
        return name

    yield _install
    for module in modules:
        sys.modules.pop(module, None)


def test_a_plugin_s_own_messages_speak_both_languages(install: Callable[[str, str], str]) -> None:
    install("zzmsg", LOCALE)
    registry = load_registry()
    assert not registry.problems
    assert "zzmsg.score_missing" in plugin_messages()
    error = EvaluationError(msg("zzmsg.score_missing", teacher="T7"))
    assert str(error) == "教师 T7 没有考核分数"
    assert error.text("en") == "teacher T7 has no assessment score"
    assert error.to_dict("en") == {
        "code": "bad_input",
        "message": "teacher T7 has no assessment score",
        "message_code": "zzmsg.score_missing",
        "rule": None,
        "kind": None,
        "plugin": None,
    }


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ('zzmsg.x:\n  zh: "教师 {teacher}"\n  en: "teacher {name}"\n', "messages.placeholders_differ"),
        ('zzmsg.x:\n  zh: "只有中文"\n', "messages.bad_entry"),
        ('region.unknown:\n  zh: "换掉"\n  en: "replaced"\n', "messages.core_code"),
        ('Bad Code:\n  zh: "中"\n  en: "en"\n', "messages.bad_code"),
        ('zzmsg.x:\n  zh: "坏{"\n  en: "bad{"\n', "messages.bad_template"),
        ("- not a mapping\n", "messages.file_not_mapping"),
    ],
)
def test_a_bad_message_catalogue_leaves_its_plugin_out_naming_the_problem(
    install: Callable[[str, str], str], locale: str, code: str
) -> None:
    name = install(f"zzbad{abs(hash(code)) % 1000}", locale)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        registry = load_registry()
    [problem] = registry.problems
    assert (problem.plugin, problem.kind, problem.code) == (name, "messages", code)
    assert name not in {region.id for region in registry.regions()}
    assert_speaks_both(problem.description())
    with pytest.raises(PolicyFileError):
        load_registry(strict=True)


def test_a_code_two_plugins_give_different_text_is_refused() -> None:
    assert add_messages({"zzshared.x": {"zh": "甲", "en": "a"}}) == []
    assert add_messages({"zzshared.x": {"zh": "甲", "en": "a"}}) == []  # the same entry again: a registry loaded twice
    [(code, said)] = add_messages({"zzshared.x": {"zh": "乙", "en": "b"}})
    assert code == "zzshared.x" and said.code == "messages.code_taken"
    assert render(msg("zzshared.x"), "zh") == "甲"


def test_a_code_no_catalogue_has_shows_as_its_code_and_parameters() -> None:
    assert render(msg("zznowhere.x", n=3), "zh") == "zznowhere.x: n=3"
