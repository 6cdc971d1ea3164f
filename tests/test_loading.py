"""Loading policy files: every bad input is an error naming file, key path and line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from ability2 import PolicyFileError, load_layer
from ability2.messages import language


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


Write = Callable[[str, str], Path]

HEAD = """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  doc: {title: 测试省实施方案, number: 测〔2020〕1号, date: 2020-03-01}
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as info:
        load_layer(path)
    return [str(p) for p in info.value.problems]


def test_a_good_file_loads_with_values_dates_and_sources(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min:
    value: 25
    bound: 不少于
    source: {document: doc, clause: 二、(一), quote: 线上不少于25学时}
  school.excellent_rate_max:
    value: 60%
    bound: 不超过
    basis: abilities
    source: {document: doc, clause: 五}
  timeline.stage1:
    value: {name: 第一阶段, start: 2024-03-01, end: 2024-03-17}
    source: {document: doc, clause: 五、第一阶段}
""",
    )
    layer = load_layer(path)
    online, cap, stage = layer.entries
    assert online.value == 25
    assert online.bound is not None
    assert online.bound.word == "不少于"
    assert online.valid_from.isoformat() == "2020-03-01"  # the document's date
    assert online.sources[0].document.number == "测〔2020〕1号"
    assert online.sources[0].quote == "线上不少于25学时"
    assert cap.value == Fraction(3, 5)
    assert cap.basis == "abilities"
    assert stage.value.end.isoformat() == "2024-03-17"


def test_shares_are_exact(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  school.pass_rate_min: {value: 0.95, bound: 以上, source: {document: doc, clause: x}}
""",
    )
    assert load_layer(path).entries[0].value == Fraction(19, 20)


def test_malformed_yaml_names_file_and_line(write: Write) -> None:
    path = write("bad.yaml", HEAD + "rules:\n  hours.online_min: {value: 25\n")
    [message] = problems_of(path)
    assert "bad.yaml:" in message
    assert "malformed YAML" in message


def test_duplicate_keys_are_refused(write: Write) -> None:
    path = write(
        "dup.yaml",
        HEAD
        + """
rules:
  hours.online_min: {value: 25, bound: 不少于, source: {document: doc, clause: a}}
  hours.online_min: {value: 20, bound: 不少于, source: {document: doc, clause: b}}
""",
    )
    [message] = problems_of(path)
    assert "duplicate key 'hours.online_min'" in message
    assert "dup.yaml:7" in message


def test_unknown_key_names_its_path_and_line(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min:
    value: 25
    bound: 不少于
    sourse: {document: doc, clause: a}
""",
    )
    messages = problems_of(path)
    assert any('p.yaml:9: rules["hours.online_min"].sourse: unknown key' in m for m in messages), messages


def test_misspelled_rule_id_suggests_the_right_one(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.onlin_min: {value: 25, bound: 不少于, source: {document: doc, clause: a}}
""",
    )
    [message] = problems_of(path)
    assert "unknown rule 'hours.onlin_min'" in message
    assert "'hours.online_min'" in message


def test_rule_without_source_is_refused(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min: {value: 25, bound: 不少于}
""",
    )
    [message] = problems_of(path)
    assert 'rules["hours.online_min"]' in message
    assert "source" in message


def test_unknown_document_is_refused(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min: {value: 25, bound: 不少于, source: {document: dco, clause: a}}
""",
    )
    [message] = problems_of(path)
    assert "unknown document 'dco'" in message
    assert "'doc'" in message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("hours.online_min: {value: -1, bound: 不少于, source: {document: doc, clause: a}}", "negative"),
        ("hours.online_min: {value: twenty, bound: 不少于, source: {document: doc, clause: a}}", "expected a number"),
        ("school.pass_rate_min: {value: 120%, bound: 以上, source: {document: doc, clause: a}}", "cannot exceed 1"),
        ("selection.count: {value: 2.5, bound: 为, source: {document: doc, clause: a}}", "whole number"),
        (
            "hours.offline_requires_peer_review: {value: yes please, source: {document: doc, clause: a}}",
            "true or false",
        ),
        ("hours.online_min: {value: 25, source: {document: doc, clause: a}}", "boundary word"),
        ("hours.online_min: {value: 25, bound: 不超过, source: {document: doc, clause: a}}", "states a max"),
        (
            "school.excellent_rate_max: {value: 60%, bound: 不超过, basis: schools, source: {document: doc, clause: a}}",
            "unknown basis",
        ),
        (
            "selection.environments_allowed: {value: [multimedia, cloud], source: {document: doc, clause: a}}",
            "unknown environment",
        ),
    ],
)
def test_wrong_values_are_refused(write: Write, rule: str, expected: str) -> None:
    path = write("p.yaml", HEAD + "rules:\n  " + rule + "\n")
    messages = problems_of(path)
    assert any(expected in m for m in messages), messages


def test_phase_that_ends_before_it_starts(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  timeline.stage:
    value: {name: 阶段, start: 2024-05-30, end: 2024-03-18}
    source: {document: doc, clause: a}
""",
    )
    [message] = problems_of(path)
    assert 'rules["timeline.stage"].value.end' in message
    assert "before it starts" in message


def test_form_items_must_add_up_to_their_section(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  form.school:
    value:
      name: 考核表
      total: 10
      pass_min: 8
      pass_bound: 以上
      sections:
        - name: 规划
          points: 6
          items: [{name: 管理团队, points: 1}, {name: 制度, points: 2}]
        - name: 研修
          points: 4
          items: [{name: 线上, points: 4}]
    source: {document: doc, clause: 附件1}
""",
    )
    [message] = problems_of(path)
    assert "sections[0].points" in message
    assert "add up to 3" in message


def test_undated_document_needs_from(write: Write) -> None:
    path = write(
        "p.yaml",
        """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  doc: {title: 无日期文件}
rules:
  hours.online_min: {value: 25, bound: 不少于, source: {document: doc, clause: a}}
""",
    )
    [message] = problems_of(path)
    assert "has no date" in message
    assert "from:" in message


def test_overlapping_dated_values_are_refused(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min:
    - {value: 20, bound: 不少于, source: {document: doc, clause: a}}
    - {value: 25, bound: 不少于, from: 2023-01-01, source: {document: doc, clause: b}}
""",
    )
    [message] = problems_of(path)
    assert "two values of hours.online_min" in message


def test_region_id_and_parent_must_agree(write: Write) -> None:
    path = write(
        "p.yaml",
        """
region: {id: testprov/city, name: 测试市, level: city, parent: otherprov}
rules: {}
""",
    )
    [message] = problems_of(path)
    assert "region.parent" in message
    assert "expected 'testprov'" in message


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("region: {id: testprov, name: 测试省, level: province, parent: cn}\n".encode("gbk"))
    [message] = problems_of(path)
    assert "not UTF-8" in message


def test_python_tags_never_run(write: Write) -> None:
    path = write("evil.yaml", "!!python/object/apply:os.system ['echo pwned']\n")
    [message] = problems_of(path)
    assert "an unsupported tag (a !tag, or a << merge key)" in message


def test_every_problem_of_a_file_is_listed_at_once(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  hours.online_min: {value: -3, bound: 不少于, source: {document: doc, clause: a}}
  school.pass_rate_min: {value: 2, bound: 以上, source: {document: doc, clause: a}}
  hours.nonsense: {value: 1}
""",
    )
    assert len(problems_of(path)) == 3


def test_unknown_ability_code_is_refused(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  selection.abilities_allowed: {value: [A1, B2, D9], source: {document: doc, clause: a}}
""",
    )
    with language("zh"):
        [message] = problems_of(path)
    assert 'rules["selection.abilities_allowed"].value' in message and "未知微能力点“D9”" in message


def test_ability_codes_are_normalised(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + """
rules:
  selection.abilities_allowed: {value: [a1, 技术支持的课堂导入], source: {document: doc, clause: a}}
""",
    )
    assert load_layer(path).entries[0].value == ("A1", "A5")


@pytest.mark.parametrize(
    ("text", "where", "meant"),
    [
        (
            "rules:\n  hours.online_min:\n    valeu: 25\n    bound: 不少于\n    source: {document: doc, clause: a}\n",
            'rules["hours.online_min"].valeu',
            "value",
        ),
        (
            "rules:\n  hours.online_min:\n    value: 25\n    bound: 不少于\n    sorce: {document: doc, clause: a}\n",
            'rules["hours.online_min"].sorce',
            "source",
        ),
        (
            "rules:\n  hours.online_min:\n    value: 25\n    bound: 不少于\n    source: {document: doc, clasue: a}\n",
            'rules["hours.online_min"].source.clasue',
            "clause",
        ),
        ("rules: {}\nnot_encodd: []\n", "not_encodd", "not_encoded"),
    ],
)
def test_a_misspelled_key_gets_a_did_you_mean(write: Write, text: str, where: str, meant: str) -> None:
    path = write("p.yaml", HEAD + text)
    messages = problems_of(path)
    assert any(f"{where}: unknown key; did you mean {meant!r}?" in m for m in messages), messages


def test_a_key_like_no_known_key_gets_no_guess(write: Write) -> None:
    path = write(
        "p.yaml",
        HEAD
        + "rules:\n  hours.online_min:\n    value: 25\n    bound: 不少于\n    zzzz: 1\n    source: {document: doc, clause: a}\n",
    )
    messages = problems_of(path)
    [message] = [m for m in messages if ".zzzz" in m]
    assert "unknown key" in message and "did you mean" not in message
