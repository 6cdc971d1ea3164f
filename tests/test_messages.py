"""The message catalogue: every code used exists, both languages say the same, neither mixes in the other.

Issue 13 item 12: every error speaks the reader's language (Chinese by default, English
when asked) and reads as data (code, file, row, column, alias, message).
"""

from __future__ import annotations

import ast
import pickle
import re
import string
from pathlib import Path

import pytest
import yaml

from ability2.display import set_display_language
from ability2.errors import (
    PolicyFileError,
    Problem,
    RosterError,
    RosterProblem,
    UnknownAbilityError,
    UnknownRegionError,
)
from ability2.failures import classify
from ability2.messages import Message, catalogue, current_language, language, msg, render

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "ability2" / "locale"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# what Chinese text may hold in Latin letters: code spans, identifiers and option names,
# acronyms and names of formats and programs
LATIN_ALLOWED = re.compile(
    r"`[^`]*`"  # a code span: `ability2 regions`
    r"|[A-Za-z0-9]*[0-9_.\-/=][A-Za-z0-9_.\-/=]*"  # identifiers, options, env names: max_rows, --lang, A1–A13
    r"|\b[A-Z]{2,}\b"  # acronyms: CSV, XLSX, JSON, YAML, ICS, HTTP
    r"|\b(?:ability2|Parquet|GB/T|Dask|pip)\b"
    # names of a standard, a program and a language that Chinese text uses as they are
    # (有效的 Unicode, Excel 中选“CSV UTF-8”, 插件的 Python 代码)
    r"|\b(?:Unicode|Excel|Python)\b"
)
# what English text may hold in Chinese: a code span quoting a value the input itself may hold
# (the grades `优秀`/`合格`/`不合格`, the flags `是`/`否`, the column `地区`): the reader must type it as it is
CODE_SPAN = re.compile(r"`[^`]*`")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _codes_used() -> dict[str, list[tuple[str, int, set[str] | None]]]:
    """Every ``msg("code", ...)`` and ``Message("code", ...)`` in the package and the seed plugins."""
    used: dict[str, list[tuple[str, int, set[str] | None]]] = {}
    files = [*(ROOT / "src" / "ability2").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (  # an error's heading, named by a class attribute: _heading = "roster.rejected"
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["_heading"]
                and isinstance(node.value, ast.Constant)
            ):
                used.setdefault(str(node.value.value), []).append((str(path.relative_to(ROOT)), node.lineno, None))
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            first = node.args[0]
            if (
                name not in {"msg", "Message"}
                or not isinstance(first, ast.Constant)
                or not isinstance(first.value, str)
            ):
                continue
            given = None if any(k.arg is None for k in node.keywords) else {str(k.arg) for k in node.keywords}
            used.setdefault(first.value, []).append((str(path.relative_to(ROOT)), node.lineno, given))
    return used


def _catalogue_files() -> list[Path]:
    return sorted(LOCALE.glob("*.yaml"))


def test_the_catalogue_is_strict_yaml_with_both_languages_for_every_code_in_one_file_only() -> None:
    from ability2.yamlio import read_yaml

    owner: dict[str, str] = {}
    for path in _catalogue_files():
        document = read_yaml(path.read_text(encoding="utf-8"), str(path))  # refuses repeated keys
        assert isinstance(document.data, dict) and document.data, path
        for code in document.data:
            assert code not in owner, f"{code} is in both {owner[code]} and {path.name}"
            owner[code] = path.name
        _check_entries(document.data)
    assert owner.keys() == catalogue().keys()


def _check_entries(data: dict[str, dict[str, str]]) -> None:
    for code, entry in data.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", code), f"code {code!r} is not dotted lower case"
        assert set(entry) == {"zh", "en"}, f"{code}: needs exactly zh and en, has {sorted(entry)}"
        assert _placeholders(entry["zh"]) == _placeholders(entry["en"]), f"{code}: the languages' placeholders differ"


def test_chinese_text_holds_no_english_words_and_english_text_no_chinese() -> None:
    for code, entry in catalogue().items():
        zh = _blank_placeholders(entry["zh"])
        # a template of punctuation alone (“{text}”: a name in Chinese quotation marks) has no words to translate
        assert CJK.search(zh) or not re.search(r"\w", zh), f"{code}: the Chinese text has no Chinese: {entry['zh']!r}"
        leftover = LATIN_ALLOWED.sub("", zh)
        words = re.findall(r"[A-Za-z]{2,}", leftover)
        assert not words, f"{code}: English words {words} in the Chinese text {entry['zh']!r}"
        english = CODE_SPAN.sub("", _blank_placeholders(entry["en"]))
        assert not CJK.search(english), f"{code}: Chinese in the English text {entry['en']!r}"


def _blank_placeholders(template: str) -> str:
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(template))


def test_every_code_the_code_uses_is_in_the_catalogue_with_its_parameters() -> None:
    known = catalogue()
    missing = []
    for code, sites in _codes_used().items():
        if code not in known:
            missing.append(f"{code} (used at {sites[0][0]}:{sites[0][1]})")
            continue
        wanted = _placeholders(known[code]["zh"])
        for file, line, given in sites:
            if given is not None:
                assert wanted <= given, f"{file}:{line}: {code} needs {sorted(wanted - given)}"
    assert not missing, "codes missing from the catalogue (src/ability2/locale/*.yaml): " + ", ".join(missing)


def test_no_entry_of_the_catalogue_is_unused() -> None:
    used = set(_codes_used())
    unused = sorted(set(catalogue()) - used)
    assert not unused, f"entries no code uses: {unused}"


def test_messages_are_chinese_by_default_and_english_when_asked() -> None:
    error = UnknownRegionError("hebei/baoding/xushu", ["hebei/baoding/xushui"])
    assert current_language() == "zh"
    assert str(error).startswith("未知地区“hebei/baoding/xushu”")
    assert "hebei/baoding/xushui" in str(error)
    with language("en"):
        assert str(error).startswith("unknown region 'hebei/baoding/xushu'")
        assert not CJK.search(str(error))
    assert error.text("en") == error.text("en") and str(error).startswith("未知地区")


def test_the_language_of_a_block_does_not_leak_into_other_threads() -> None:
    import threading

    seen: list[str] = []
    with language("en"):
        thread = threading.Thread(target=lambda: seen.append(current_language()))
        thread.start()
        thread.join()
        assert current_language() == "en"
    assert seen == ["zh"]


def test_the_display_language_is_the_default_language_of_messages() -> None:
    set_display_language("en")
    try:
        assert str(UnknownAbilityError("Z9")).startswith("unknown micro-ability 'Z9'")
    finally:
        set_display_language("zh")
    assert str(UnknownAbilityError("Z9")).startswith("未知微能力点“Z9”")


def test_a_roster_problem_is_data_with_the_column_and_its_alias() -> None:
    problem = RosterProblem("school.csv", 7, "online_hours", msg("region.unknown", name="x"), alias="线上学时")
    assert problem.to_dict("en") == {
        "code": "region.unknown",
        "file": "school.csv",
        "row": 7,
        "column": "online_hours",
        "alias": "线上学时",
        "message": "unknown region 'x'",
    }
    assert problem.text("zh") == "school.csv:7:线上学时: 未知地区“x”"
    assert problem.text("en") == "school.csv:7:online_hours: unknown region 'x'"
    assert RosterProblem("s.csv", None, None, "plain").text("en") == "s.csv:-:-: plain"


def test_an_error_about_many_problems_lists_every_one_in_its_data_and_pickles() -> None:
    problems = [RosterProblem("r.csv", row, "teacher_id", msg("region.unknown", name=str(row))) for row in range(2, 80)]
    error = RosterError(problems)
    data = error.to_dict("en")
    assert data["code"] == "roster_rejected" and data["message_code"] == "roster.rejected"
    assert data["message"] == "roster rejected: 78 problem(s)"
    assert [p["row"] for p in data["problems"]] == list(range(2, 80))
    shown = error.text("zh").splitlines()
    assert shown[0] == "花名册未通过检查：78 处问题" and shown[-1] == "……另有 28 处问题" and len(shown) == 52
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, RosterError) and again.problems == error.problems and str(again) == str(error)


def test_a_policy_file_error_is_data_with_file_line_and_path() -> None:
    error = PolicyFileError([Problem("p.yaml", 'rules["hours.total_min"]', msg("region.unknown", name="y"), 4)])
    data = error.to_dict("en")
    assert data["code"] == "policy_file"
    assert data["problems"] == [
        {
            "code": "region.unknown",
            "file": "p.yaml",
            "line": 4,
            "path": 'rules["hours.total_min"]',
            "message": "unknown region 'y'",
        }
    ]
    assert error.text("zh").splitlines() == [
        "政策数据中有 1 处问题：",
        '  p.yaml:4: rules["hours.total_min"]: 未知地区“y”',
    ]


def test_the_command_line_failure_speaks_the_language_it_is_given() -> None:
    error = UnknownAbilityError("Z9")
    zh, en = classify(error, "zh"), classify(error, "en")
    assert zh.code == en.code == "bad_input"
    assert zh.lines() == ["ability2: 错误: 未知微能力点“Z9”；编号为 A1–A13、B1–B10、C1–C7"]
    assert en.lines() == ["ability2: error: unknown micro-ability 'Z9'; codes run A1–A13, B1–B10, C1–C7"]
    assert en.to_dict()["ability"] == "Z9"


def test_a_code_missing_from_the_catalogue_shows_its_code_and_parameters_rather_than_failing() -> None:
    assert render(Message("plugin.own_code", (("n", 3),)), "zh") == "plugin.own_code: n=3"
    assert render(Message("region.unknown"), "en") == "region.unknown"  # its placeholder was not given


@pytest.mark.parametrize("bad", ["{name.__class__}", "{name[0]}", "{0}"])
def test_templates_cannot_reach_into_parameters(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ability2.messages.catalogue", lambda: {"x.y": {"zh": bad, "en": bad}})
    assert render(msg("x.y", name="abc"), "en") == "x.y: name=abc"


def test_the_catalogue_yaml_parses_with_the_plain_safe_loader() -> None:
    merged = {}
    for path in _catalogue_files():
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert merged == {k: dict(v) for k, v in catalogue().items()}


def test_a_problem_travels_between_processes_as_data_and_comes_back_equal() -> None:
    import json

    inner = msg("region.unknown", name="x")
    problems = [
        RosterProblem("a.csv", 3, "online_hours", msg("region.did_you_mean", names=["a", inner]), alias="线上学时"),
        RosterProblem("b.csv", None, None, "plain text"),
    ]
    for problem in problems:
        again = RosterProblem.from_data(json.loads(json.dumps(problem.to_data(), ensure_ascii=False)))
        assert again == problem and again.text("zh") == problem.text("zh")
