"""Rule kinds as plugins: registration, order, refusal at load, exemptions, batch aggregations.

The Zhejiang and Anhui examples (docs/examples) are third-party plugins: here they are loaded
in-process for their boundaries, and installed as packages (entry points) for the CLI.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2
from ability2.errors import RegistryError
from ability2.messages import language
from ability2.rules.builtin import BUILTIN_KINDS_PLUGIN


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



def example(name: str) -> Any:
    path = str(EXAMPLES / f"ability2-{name}" / "src")
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(f"ability2_{name}")


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    return ability2.load_registry(plugins=[example("zhejiang"), example("anhui")])


def row(tid: str, school: str = "S1", **fields: object) -> dict[str, str]:
    base = {
        "teacher_id": tid,
        "school": school,
        "online_hours": "20",
        "offline_hours": "30",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
    }
    base.update({k: str(v) for k, v in fields.items()})
    return base


# -- the core's kinds are registered through the hook ------------------------------------


def test_every_builtin_checked_rule_has_a_builtin_kind(registry: ability2.Registry) -> None:
    catalogue = registry.catalogue
    for spec in catalogue:
        kind = catalogue.kind_of(spec)
        assert kind is not None, spec.id
        if spec.scope in (ability2.Scope.TEACHER, ability2.Scope.GROUP, ability2.Scope.SCHOOL):
            assert kind.checks, spec.id
    builtin = [k for k in catalogue.kinds if catalogue.plugin_of_kind(k) == BUILTIN_KINDS_PLUGIN]
    assert [k.label for k in builtin][:3] == ["hours.peer_review_gate", "hours.floor", "hours.practice_share"]
    info = {p.name: p for p in registry.plugins()}
    assert "ability2_rule_kinds" in info[BUILTIN_KINDS_PLUGIN].hooks
    assert "ability2_rule_specs" in info[BUILTIN_KINDS_PLUGIN].hooks


def test_plugin_kinds_come_after_the_builtin_ones_by_plugin_name(registry: ability2.Registry) -> None:
    plugins = [registry.catalogue.plugin_of_kind(k) for k in registry.catalogue.kinds if k.checks]
    first_plugin = next(i for i, p in enumerate(plugins) if p != BUILTIN_KINDS_PLUGIN)
    assert all(p == BUILTIN_KINDS_PLUGIN for p in plugins[:first_plugin])
    others = plugins[first_plugin:]
    assert others == sorted(others)


def test_the_evaluation_module_names_no_rule_id() -> None:
    source = (Path(ability2.__file__).parent / "evaluation.py").read_text(encoding="utf-8")
    for prefix in ("hours.", "selection.", "grading.", "group.", "school.", "region."):
        assert f'"{prefix}' not in source and f"'{prefix}" not in source, prefix


def test_a_rule_claimed_by_two_kinds_is_refused() -> None:
    from ability2.rules.hours import HoursFloor

    class Again(HoursFloor):
        name = "again"

    class Plugin:
        __name__ = "greedy"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [Again()]

    with pytest.raises(
        RegistryError,
        match=r"rule 'hours.total_min' is claimed by two rule kinds: hours.floor \(plugin 'ability2.rules'\) and again \(plugin 'greedy'\)",
    ):
        ability2.load_registry(plugins=[Plugin()], entry_points=False)


def test_a_group_spec_without_kind_is_refused_and_a_teacher_spec_with_check_is_run() -> None:
    group = ability2.RuleSpec("x.group_rule", ability2.Kind.FLAG, ability2.Scope.GROUP, "组规则", "group rule")

    class Plugin:
        __name__ = "groups"

        @ability2.hookimpl
        def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
            return [group]

    with pytest.raises(RegistryError, match=r"x.group_rule.*plugin 'groups'.*group rule that no rule kind evaluates"):
        ability2.load_registry(plugins=[Plugin()], entry_points=False)


def test_something_that_is_not_a_kind_is_named() -> None:
    class Plugin:
        __name__ = "wrong"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[object]:
            return ["hours.floor"]

    with pytest.raises(RegistryError, match=r"plugin 'wrong' returned 'hours.floor', not an ability2.RuleKind"):
        ability2.load_registry(plugins=[Plugin()], entry_points=False)


# -- plain-Python rules per school and per teacher, run by the engine ----------------------


def _plugin_with(spec: ability2.RuleSpec, policy_text: str, tmp_path: Path) -> ability2.Registry:
    file = tmp_path / "p.yaml"
    file.write_text(policy_text, encoding="utf-8")

    class Plugin:
        __name__ = "testplugin"

        @ability2.hookimpl
        def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
            return [spec]

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            return [file]

    return ability2.load_registry(plugins=[Plugin()], entry_points=False)


POLICY = """\
region: {{id: testprov, name: 测试省, level: province, parent: cn}}
documents:
  doc: {{title: 测试文件, date: 2021-01-01}}
rules:
  {rule}: {{value: {value}, source: {{document: doc, clause: 一}}}}
"""


def test_a_school_rule_in_plain_python_is_evaluated_per_school(tmp_path: Path) -> None:
    def at_least_three(school: ability2.EntityView, rule: ability2.ResolvedRule) -> tuple[int, bool]:
        return school.size, school.size >= 3

    spec = ability2.RuleSpec(
        "testprov.school_size_min",
        ability2.Kind.FLAG,
        ability2.Scope.SCHOOL,
        "学校人数",
        "school size",
        check=at_least_three,
    )
    registry = _plugin_with(spec, POLICY.format(rule="testprov.school_size_min", value="true"), tmp_path)
    policy = registry.policy("testprov", on=dt.date(2021, 6, 1))
    frame = pd.DataFrame([row("T1"), row("T2"), row("T3"), row("U1", "S2")])
    result = ability2.evaluate(frame, policy)
    assert result.school_status() == ["pass", "fail"]
    checks = result.school_checks(1)
    assert checks[-1].rule == "testprov.school_size_min" and checks[-1].value == 1 and not checks[-1].ok
    assert checks[-1].source.startswith("《测试文件》")


def test_a_plain_python_rule_that_raises_names_the_rule_and_the_school(tmp_path: Path) -> None:
    def broken(school: ability2.EntityView, rule: ability2.ResolvedRule) -> tuple[int, bool]:
        raise ZeroDivisionError("oops")

    spec = ability2.RuleSpec("testprov.broken", ability2.Kind.FLAG, ability2.Scope.SCHOOL, "坏", "broken", check=broken)
    registry = _plugin_with(spec, POLICY.format(rule="testprov.broken", value="true"), tmp_path)
    policy = registry.policy("testprov", on=dt.date(2021, 6, 1))
    with pytest.raises(
        ability2.EvaluationError, match=r"plugin rule testprov.broken failed on school S1: ZeroDivisionError: oops"
    ):
        ability2.evaluate(pd.DataFrame([row("T1")]), policy)


def test_a_plain_python_rule_may_test_for_an_optional_column(tmp_path: Path) -> None:
    # issue 13 item 15: reading an absent column is refused; asking whether it is there is not
    def bonus(teacher: ability2.TeacherRow, rule: ability2.ResolvedRule) -> tuple[float, bool]:
        hours = float(teacher.extra["加分学时"]) if "加分学时" in teacher.extra else 0.0
        return hours, hours == 0

    spec = ability2.RuleSpec("testprov.bonus", ability2.Kind.FLAG, ability2.Scope.TEACHER, "加分", "bonus", check=bonus)
    registry = _plugin_with(spec, POLICY.format(rule="testprov.bonus", value="true"), tmp_path)
    policy = registry.policy("testprov", on=dt.date(2021, 6, 1))
    result = ability2.evaluate(pd.DataFrame([row("T1")]), policy)
    reason = next(r for r in result.reasons("T1") if r.rule == "testprov.bonus")
    assert reason.ok and reason.value == 0
    assert "yes" not in str(reason.message) and "true" not in str(reason.message)  # the flag's reading in Chinese


def test_a_plain_python_rule_reading_an_absent_column_names_it(tmp_path: Path) -> None:
    def bonus(teacher: ability2.TeacherRow, rule: ability2.ResolvedRule) -> tuple[float, bool]:
        return float(teacher.extra.get("加分学时") or 0), True

    spec = ability2.RuleSpec("testprov.bonus", ability2.Kind.FLAG, ability2.Scope.TEACHER, "加分", "bonus", check=bonus)
    registry = _plugin_with(spec, POLICY.format(rule="testprov.bonus", value="true"), tmp_path)
    policy = registry.policy("testprov", on=dt.date(2021, 6, 1))
    with pytest.raises(ability2.EvaluationError, match=r"plugin rule testprov.bonus reads the roster column 加分学时"):
        ability2.evaluate(pd.DataFrame([row("T1")]), policy)
    # with the column (even blank), the rule runs
    assert ability2.evaluate(pd.DataFrame([row("T1", 加分学时="")]), policy).status[0] == "pass"


# -- the Zhejiang example: a vectorised school kind with its own value type ---------------


def zhejiang_policy(registry: ability2.Registry) -> ability2.Policy:
    return registry.policy("zhejiang", on=dt.date(2021, 6, 1))


def test_zhejiang_25_percent_by_the_date_is_a_floor_that_includes_itself(registry: ability2.Registry) -> None:
    # 不少于 25%: 1 of 4 (exactly 25%) passes; the day itself counts, the day after does not
    rows = [
        row("T1", certified_on="2021-08-15"),
        row("T2", certified_on="2021-08-16"),
        row("T3", certified_on=""),
        row("T4", certified_on=""),
        row("U1", "S2", certified_on="2021-08-16"),
        row("U2", "S2", certified_on=""),
        row("U3", "S2", certified_on=""),
        row("U4", "S2", certified_on=""),
        row("U5", "S2", certified_on="2020-12-31"),
    ]
    result = ability2.evaluate(pd.DataFrame(rows), zhejiang_policy(registry))
    checks = {
        s: next(c for c in result.school_checks(i) if c.rule == "zhejiang.certified_share_min")
        for i, s in enumerate(result.school_names)
    }
    assert (checks["S1"].ok, checks["S1"].value) == (True, 0.25)
    assert (checks["S2"].ok, checks["S2"].value) == (False, 0.2)  # 1 of 5
    assert "1/4 = 25%" in str(checks["S1"].message) and "截至 2021-08-15" in str(checks["S1"].message)
    assert "浙教办函〔2020〕178号" in checks["S1"].source


def test_zhejiang_needs_the_certified_on_column_and_names_both_names(registry: ability2.Registry) -> None:
    with pytest.raises(
        ability2.RosterError,
        match=r"certified_on.*missing column: rule zhejiang.certified_share_min needs a column headed 'certified_on' or '认证日期'",
    ):
        ability2.evaluate(pd.DataFrame([row("T1")]), zhejiang_policy(registry))


def test_zhejiang_reads_the_chinese_header_and_names_a_bad_date(registry: ability2.Registry) -> None:
    frame = pd.DataFrame([row("T1", 认证日期="2021-08-01"), row("T2", 认证日期="去年")])
    with pytest.raises(ability2.RosterError, match=r":3:certified_on: not a date: '去年'"):
        ability2.evaluate(frame, zhejiang_policy(registry))
    ok = ability2.evaluate(
        pd.DataFrame([row("T1", 认证日期="2021/08/01"), row("T2", 认证日期="")]), zhejiang_policy(registry)
    )
    assert ok.school_status() == ["pass"]  # 1 of 2


def test_zhejiang_value_type_errors_name_the_file_and_key(tmp_path: Path) -> None:
    zhejiang = example("zhejiang")
    bad = tmp_path / "zj.yaml"
    bad.write_text(
        "region: {id: zhejiang, name: 浙江省, level: province, parent: cn}\n"
        "documents:\n  d: {title: t, date: 2021-01-01}\n"
        "rules:\n  zhejiang.certified_share_min: {value: {share: 25%}, bound: 不少于, source: {document: d, clause: 一}}\n",
        encoding="utf-8",
    )

    class Files:
        __name__ = "zjfiles"

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            return [bad]

    class Kinds:
        __name__ = "zjkinds"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [zhejiang.CertifiedShareByDate()]

    with pytest.raises(
        ability2.PolicyFileError,
        match=r"zj.yaml:5: rules\[\"zhejiang.certified_share_min\"\].value: expected a mapping with keys share and by",
    ):
        ability2.load_registry(plugins=[Kinds(), Files()], entry_points=False)


def test_zhejiang_policy_json_and_display(registry: ability2.Registry) -> None:
    from ability2.serialize import policy_to_dict

    rule = next(
        r for r in policy_to_dict(zhejiang_policy(registry))["rules"] if r["rule"] == "zhejiang.certified_share_min"
    )
    assert rule["value"] == {"share": 0.25, "by": "2021-08-15"}
    assert rule["kind"] == "share_by_date" and rule["scope"] == "school"
    assert (
        zhejiang_policy(registry)["zhejiang.certified_share_min"].describe_value("en")
        == "≥ 25% by 2021-08-15 (at least)"
    )


# -- the Anhui example: exemptions ---------------------------------------------------------


def anhui_policy(registry: ability2.Registry) -> ability2.Policy:
    return registry.policy("anhui", on=dt.date(2022, 1, 1))


def test_anhui_exempt_teacher_holds_the_assessment_with_the_reason(registry: ability2.Registry) -> None:
    rows = [
        row("A1", exempt="是", exempt_reason="已获市级认定", grades="不合格;;合格"),
        row("A2", exempt="否", grades="不合格;合格;合格"),
        row("A3", exempt="", grades=";合格;合格"),
        row("A4", exempt="是", grades="优秀;优秀;优秀"),
        row("A5", exempt="是", online_hours=10, grades="合格;合格;合格"),
    ]
    result = ability2.evaluate(pd.DataFrame(rows), anhui_policy(registry))
    # exempt: holds grading (pass, not pending, not excellent); not exempt: grades decide;
    # an exemption from the assessment is no exemption from the hours
    assert list(result.status) == ["pass", "fail", "pending", "pass", "fail"]
    grading = next(r for r in result.explain("A1").reasons if r.rule == "grading.teacher")
    assert grading.ok and str(grading.message) == "教师考核等级规则: 免测（已获市级认定）"
    grading_en = next(r for r in result.explain("A1", "en").reasons if r.rule == "grading.teacher")
    assert (
        str(grading_en.message)
        == "how a teacher's status follows from the ability grades: exempt from assessment (已获市级认定)"
    )
    assert [r.rule for r in result.explain("A5").reasons if not r.ok] == ["hours.total_min"]
    assert result.schools.loc[0, "passed"] == 2  # A1 and A4 count as passed


def test_anhui_without_the_exempt_column_is_refused(registry: ability2.Registry) -> None:
    with pytest.raises(ability2.RosterError, match=r":-:exempt: missing column.*'exempt' or '免测'"):
        ability2.evaluate(pd.DataFrame([row("A1")]), anhui_policy(registry))


def test_anhui_a_bad_yes_no_names_row_and_column(registry: ability2.Registry) -> None:
    with pytest.raises(ability2.RosterError, match=r":2:exempt: not yes or no: 'maybe'"):
        ability2.evaluate(pd.DataFrame([row("A1", 免测="maybe")]), anhui_policy(registry))


# -- the batch's aggregations (properties) -----------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["", "g1", "g2"]), st.integers(0, 60), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_batch_aggregations_match_a_plain_python_count(teachers: list[tuple[int, str, int, bool]]) -> None:
    policy = ability2.load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1))
    frame = pd.DataFrame([row(f"T{i}", f"S{s}", group=g, online_hours=h) for i, (s, g, h, _) in enumerate(teachers)])
    roster = ability2.read_roster(frame)
    batch = ability2.Batch(roster, policy)
    flags = np.array([flag for *_, flag in teachers])
    for index, school in enumerate(batch.school_names):
        members = [t for t in teachers if f"S{t[0]}" == school]
        assert batch.size("school")[index] == len(members)
        assert batch.count(flags, "school")[index] == sum(t[3] for t in members)
        assert batch.any(flags, "school")[index] == any(t[3] for t in members)
        assert batch.all(flags, "school")[index] == all(t[3] for t in members)
        assert batch.sum(batch.online, "school")[index] == sum(t[2] * 100 for t in members)
        assert batch.distinct_count(batch.online, "school")[index] == len({t[2] for t in members})
    for index, (school, group) in enumerate(batch.group_keys):
        members = [t for t in teachers if f"S{t[0]}" == school and t[1] == group]
        assert group != "" and batch.size("group")[index] == len(members)
        assert batch.count(flags, "group")[index] == sum(t[3] for t in members)
    assert sum(batch.size("group")) == sum(1 for t in teachers if t[1])


# -- installed as packages, used from the command line -----------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from test_docs import install_editable

    root = tmp_path_factory.mktemp("installed")
    site = root / "site"
    site.mkdir()
    for name in ("zhejiang", "anhui"):
        install_editable(EXAMPLES / f"ability2-{name}", site)
    (root / "sitecustomize.py").write_text(f"import site\nsite.addsitedir({str(site)!r})\n", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(site), env.get("PYTHONPATH", "")])
    return env


def cli(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_installed_examples_in_evaluate_compare_and_every_report(installed: dict[str, str], tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    pd.DataFrame(
        [
            row("T1", 认证日期="2021-08-01", 免测="是", 免测理由="已获市级认定", grades="不合格;合格;合格"),
            row("T2", 认证日期="", 免测="否"),
            row("T3", 认证日期="", 免测="否"),
            row("T4", 认证日期="", 免测="否"),
            row("T5", 认证日期="", 免测="否"),
        ]
    ).to_csv(roster, index=False)
    listed = json.loads(cli(installed, "plugins", "--json", cwd=tmp_path).stdout)
    assert {"zhejiang", "anhui"} <= {p["name"] for p in listed}
    out = cli(
        installed,
        "evaluate",
        str(roster),
        "--region",
        "zhejiang",
        "--on",
        "2021-06-01",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    [school] = data["schools"]
    check = next(c for c in school["checks"] if c["rule"] == "zhejiang.certified_share_min")
    assert (check["ok"], check["value"], school["status"]) == (False, 0.2, "fail")
    assert "浙教办函〔2020〕178号" in check["source"]
    table = cli(installed, "evaluate", str(roster), "--region", "zhejiang", "--on", "2021-06-01", cwd=tmp_path)
    assert table.returncode == 0 and "按期完成认证的教师比例下限" in table.stdout
    for fmt in ("xlsx", "html"):
        report = tmp_path / f"report.{fmt}"
        done = cli(
            installed,
            "evaluate",
            str(roster),
            "--region",
            "anhui",
            "--on",
            "2022-01-01",
            "--format",
            fmt,
            "-o",
            str(report),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # the html report lists what failed; the policy section names the plugin's rule and source
    assert "anhui.assessment_exemption" in html and "安徽省中小学教师信息技术应用能力提升工程2.0 测评操作指南" in html
    explained = cli(
        installed, "evaluate", str(roster), "--region", "anhui", "--on", "2022-01-01", "--format", "json", cwd=tmp_path
    )
    first = json.loads(explained.stdout)["teachers"][0]
    assert first["status"] == "pass"
    assert "教师考核等级规则: 免测（已获市级认定）" in [r["message"] for r in first["reasons"]]
    sheets = pd.read_excel(tmp_path / "report.xlsx", sheet_name=None, dtype=str, engine="calamine")
    assert any("anhui.assessment_exemption" in frame.to_string() for frame in sheets.values())
    compared = cli(
        installed,
        "compare",
        str(roster),
        "--region",
        "zhejiang",
        "--region",
        "anhui",
        "--on",
        "2022-01-01",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert compared.returncode == 0, compared.stderr
    policies = json.loads(compared.stdout)
    assert "zhejiang.certified_share_min" in compared.stdout and "anhui.assessment_exemption" in compared.stdout, list(
        policies
    )
    bare = tmp_path / "bare.csv"
    pd.DataFrame([row("T1")]).to_csv(bare, index=False)
    refused = cli(installed, "evaluate", str(bare), "--region", "zhejiang", "--on", "2021-06-01", cwd=tmp_path)
    assert refused.returncode == 2 and "certified_on" in refused.stderr and "Traceback" not in refused.stderr


# -- edge cases of the engine ----------------------------------------------------------------


class _GateExemption(ability2.RuleKind):
    """Everyone is exempt from the peer-review gate (a made-up rule for the test)."""

    name = "test.gate_exemption"
    specs = (ability2.RuleSpec("test.gate_exemption", ability2.Kind.FLAG, ability2.Scope.TEACHER, "产假", "leave"),)

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
        return self.column(rule, np.full(batch.n, "yes", dtype=object), np.ones(batch.n, dtype=bool), "yes")

    def exemptions(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.Exemption:
        return ability2.Exemption(np.ones(batch.n, dtype=bool), ("hours.offline_requires_peer_review",), "产假")


def _registry_with(tmp_path: Path, rules: str, *plugins: object) -> ability2.Registry:
    file = tmp_path / "p.yaml"
    file.write_text(POLICY.format(rule="x", value="1").split("rules:")[0] + "rules:\n" + rules, encoding="utf-8")

    class Files:
        __name__ = "zzfiles"

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            return [file]

    return ability2.load_registry(plugins=[*plugins, Files()], entry_points=False)


def test_an_exemption_from_the_peer_review_gate_keeps_the_offline_hours(tmp_path: Path) -> None:
    class Kinds:
        __name__ = "gatekinds"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [_GateExemption()]

    rules = (
        "  hours.offline_requires_peer_review: {value: true, source: {document: doc, clause: 一}}\n"
        "  test.gate_exemption: {value: true, source: {document: doc, clause: 二}}\n"
    )
    policy = _registry_with(tmp_path, rules, Kinds()).policy("testprov", on=dt.date(2021, 6, 1))
    result = ability2.evaluate(pd.DataFrame([row("T1", peer_reviews="否")]), policy)
    assert list(result.status) == ["pass"]  # 20 + 30 hours all count
    gate = next(r for r in result.explain("T1").reasons if r.rule == "hours.offline_requires_peer_review")
    assert gate.ok and str(gate.message) == "互评完成后方计线下学时: 免（产假）"


def test_group_rules_without_a_group_column_are_listed_as_unchecked(registry: ability2.Registry) -> None:
    policy = registry.policy("jiangsu/changzhou/jintan/baita", on=dt.date(2022, 11, 20))
    result = ability2.evaluate(pd.DataFrame([row("T1")]), policy)
    reasons = {u["rule"]: u["reason"] for u in result.unchecked}
    assert reasons["group.excellent_video_share_min"] == "花名册没有教研组列"


def test_a_flag_switched_off_needs_no_input(registry: ability2.Registry) -> None:
    policy = registry.policy("anhui", on=dt.date(2022, 1, 1)).with_changes({"anhui.assessment_exemption": False})
    result = ability2.evaluate(pd.DataFrame([row("T1")]), policy)  # no 免测 column: not needed
    assert list(result.status) == ["pass"]
    assert all(r.rule != "anhui.assessment_exemption" for r in result.explain("T1").reasons)
    xushui = registry.policy("hebei/baoding/xushui", on=dt.date(2022, 11, 20))
    off = xushui.with_changes({"school.cio": False, "teacher.research_plan": False})
    unchecked = {u["rule"] for u in ability2.evaluate(pd.DataFrame([row("T1")]), off).unchecked}
    assert "school.cio" not in unchecked and "teacher.research_plan" not in unchecked
    assert "school.it_team" in unchecked


class _Broken(ability2.RuleKind):
    name = "test.broken"
    specs = (ability2.RuleSpec("test.broken", ability2.Kind.FLAG, ability2.Scope.SCHOOL, "坏", "broken"),)
    mode = "length"

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
        if self.mode == "raise":
            raise IndexError("index 7 is out of bounds")
        return self.column(rule, np.zeros(batch.n), np.ones(batch.n, dtype=bool), "yes")  # per teacher, not school


@pytest.mark.parametrize(
    ("mode", "message"),
    [("length", "gave 3 ok entries for 1 schools"), ("raise", "failed in evaluate: IndexError")],
)
def test_a_failing_plugin_kind_is_named(tmp_path: Path, mode: str, message: str) -> None:
    kind = _Broken()
    kind.mode = mode

    class Kinds:
        __name__ = "brokenkinds"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [kind]

    rules = "  test.broken: {value: true, source: {document: doc, clause: 一}}\n"
    policy = _registry_with(tmp_path, rules, Kinds()).policy("testprov", on=dt.date(2021, 6, 1))
    with pytest.raises(
        ability2.EvaluationError, match=r"rule test.broken: rule kind test.broken \(plugin 'brokenkinds'\) " + message
    ):
        ability2.evaluate(pd.DataFrame([row("T1"), row("T2"), row("T3")]), policy)


def test_spec_clashes_are_refused_at_load() -> None:
    family = ability2.RuleSpec(
        "timeline.mycheck", ability2.Kind.FLAG, ability2.Scope.TEACHER, "x", "x", check=lambda t, r: (1, True)
    )
    again = ability2.RuleSpec(
        "hours.total_min",
        ability2.Kind.HOURS,
        ability2.Scope.TEACHER,
        "总学时下限",
        "total hours, floor",
        ability2.Direction.MIN,
    )

    def plugin_with(spec: ability2.RuleSpec) -> object:
        class Specs:
            __name__ = "clash"

            @ability2.hookimpl
            def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
                return [spec]

        return Specs()

    with pytest.raises(
        RegistryError, match=r"'timeline.mycheck' \(plugin 'clash'\) clashes with the family 'timeline.\*'"
    ):
        ability2.load_registry(plugins=[plugin_with(family)], entry_points=False)
    with pytest.raises(
        RegistryError, match=r"'hours.total_min' is defined twice: by plugin 'ability2.rules' and by plugin 'clash'"
    ):
        ability2.load_registry(plugins=[plugin_with(again)], entry_points=False)

    class Idle(ability2.RuleKind):
        specs = (ability2.RuleSpec("x.idle", ability2.Kind.FLAG, ability2.Scope.SCHOOL, "x", "x"),)

    class Kinds:
        __name__ = "idle"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [Idle()]

    with pytest.raises(
        RegistryError, match=r"rule kind Idle \(plugin 'idle'\) implements neither evaluate nor prepare"
    ):
        ability2.load_registry(plugins=[Kinds()], entry_points=False)


def test_a_roster_naming_one_column_twice_is_refused(registry: ability2.Registry) -> None:
    frame = pd.DataFrame([row("T1", exempt="是", 免测="否")])
    with pytest.raises(ability2.RosterError, match=r"column given twice: 'exempt' and '免测'"):
        ability2.evaluate(frame, anhui_policy(registry))


def test_distinct_count_by_group_without_groups() -> None:
    policy = ability2.load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1))
    batch = ability2.Batch(ability2.read_roster(pd.DataFrame([row("T1"), row("T2")])), policy)
    assert len(batch.distinct_count(batch.online, "group")) == 0
    assert len(batch.count(np.ones(2, dtype=bool), "group")) == 0


def test_a_kind_with_only_a_preparation_step_is_run(tmp_path: Path) -> None:
    class GateOnly(ability2.RuleKind):
        name = "test.gate_only"
        specs = (
            ability2.RuleSpec("test.gate_only", ability2.Kind.FLAG, ability2.Scope.TEACHER, "只准备", "gate only"),
        )

        def prepare(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
            batch.offline_credited = batch.offline * 0  # credits no offline hours
            return self.column(rule, np.full(batch.n, "no", dtype=object), np.ones(batch.n, dtype=bool), "yes")

    class Kinds:
        __name__ = "gateonly"

        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return [GateOnly()]

    rules = "  test.gate_only: {value: true, source: {document: doc, clause: 一}}\n"
    policy = _registry_with(tmp_path, rules, Kinds()).policy("testprov", on=dt.date(2021, 6, 1))
    result = ability2.evaluate(pd.DataFrame([row("T1")]), policy)
    reasons = result.explain("T1").reasons
    assert reasons[0].rule == "test.gate_only"  # a gate's column leads
    assert [r.rule for r in reasons if not r.ok] == ["hours.total_min", "hours.practice_share_min"]
