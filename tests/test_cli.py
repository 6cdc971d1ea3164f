"""The command line against contract §3: output shapes and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ability2.cli import main

Write = Callable[[str, str], Path]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args], capture_output=True, text=True, check=False, timeout=120
    )


def test_regions_json_has_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "--json"]) == 0
    regions = json.loads(capsys.readouterr().out)
    cn = regions[0]
    assert cn == {"id": "cn", "name": "全国", "level": "nation", "parent": None, "code": None}
    for region in regions:
        assert set(region) == {"id", "name", "level", "parent", "code"}


def test_policy_json_lists_every_rule_with_value_layer_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "cn", "--on", "2022-01-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["region"] == "cn"
    assert data["on"] == "2022-01-01"
    for rule in data["rules"]:
        assert rule["source"]
        assert rule["layer"] == "cn"
        assert "value" in rule
    total = next(r for r in data["rules"] if r["rule"] == "hours.total_min")
    assert (total["value"], total["bound"]) == (50, "不少于")


def test_policy_table_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "cn", "--on", "2022-01-01"]) == 0
    assert "有效政策" in capsys.readouterr().out
    assert main(["policy", "cn", "--on", "2022-01-01", "--lang", "en"]) == 0
    assert "effective policy" in capsys.readouterr().out


def test_unknown_region_exits_2_without_traceback() -> None:
    result = run("policy", "atlantis")
    assert result.returncode == 2
    assert "未知地区“atlantis”" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_iso_date_exits_2() -> None:
    result = run("policy", "cn", "--on", "20/11/2022")
    assert result.returncode == 2
    assert "不是 ISO 日期" in result.stderr
    assert "Traceback" not in result.stderr


def test_date_before_the_rules_exits_2() -> None:
    result = run("policy", "cn", "--on", "2019-03-31")
    assert result.returncode == 2
    assert "其规则自 2019-04-01 起施行" in result.stderr


def test_validate_a_good_and_a_bad_file(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(
        "good.yaml",
        """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  d: {title: 测试, date: 2020-01-01}
rules:
  hours.online_min: {value: 25, bound: 不少于, source: {document: d, clause: 一}}
""",
    )
    assert main(["validate", str(good), "--lang", "en"]) == 0
    assert "1 policy file(s) valid" in capsys.readouterr().out
    bad = write(
        "bad.yaml",
        "region: {id: testprov, name: 测试省, level: province, parent: cn}\nrules:\n  hours.online_min: {value: 25}\n",
    )
    assert main(["validate", str(bad), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3" in err
    assert "source" in err


def test_validate_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/nonexistent/policy.yaml", "--lang", "en"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_plugins_lists_the_national_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    plugins = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert plugins["ability2.national"]["regions"] == ["cn"]


def test_rules_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    ids = {r["rule"] for r in json.loads(capsys.readouterr().out)}
    assert {"hours.total_min", "school.pass_rate_min", "timeline.*", "form.*"} <= ids


def test_python_dash_m_and_console_script_agree() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("ability2 ")


def test_validate_a_second_file_for_an_installed_region_says_it_stands_in_for_it(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 13 item 16: the file is checked in place of the installed one (a copy being edited is the
    # common case), and the warning says that, installed beside it, the region would be declared twice
    installed = Path(__file__).resolve().parents[1] / "plugins" / "hebei" / "src" / "ability2_hebei" / "policies"
    other = write("hebei.yaml", (installed / "hebei.yaml").read_text(encoding="utf-8"))
    assert main(["validate", str(other), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out
    assert "installed plugin 'hebei'" in out
    assert "would be declared twice" in out


def test_validate_a_plugin_folder_without_its_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ability2.scaffold import scaffold_plugin

    folder = scaffold_plugin("testland", output=tmp_path / "p")
    assert main(["validate", str(folder)]) == 0
    project = folder / "pyproject.toml"
    project.write_text(
        project.read_text(encoding="utf-8").replace(
            '[project.entry-points.ability2]\ntestland = "ability2_testland"\n', ""
        ),
        encoding="utf-8",
    )
    assert main(["validate", str(folder)]) == 2
    assert "entry-points.ability2" in capsys.readouterr().err


def test_impossible_dates_and_infinite_values_are_located(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(
        "bad.yaml",
        "region: {id: testprov, name: x, level: province, parent: cn}\ndocuments:\n  d: {title: t, date: 2021-02-30}\nrules: {}\n",
    )
    assert main(["validate", str(bad), "--lang", "en"]) == 2
    assert "bad.yaml:3: malformed YAML: invalid date '2021-02-30'" in capsys.readouterr().err
    inf = write(
        "inf.yaml",
        "region: {id: testprov, name: x, level: province, parent: cn}\ndocuments:\n  d: {title: t, date: 2021-02-28}\nrules:\n  hours.online_min: {value: .inf, bound: 不少于, source: {document: d, clause: a}}\n",
    )
    assert main(["validate", str(inf), "--lang", "en"]) == 2
    assert "expected a finite number" in capsys.readouterr().err


def test_os_errors_are_usage_errors_not_bugs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ability2.cli.commands as commands

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "没有权限", "/somewhere")

    monkeypatch.setattr(commands, "cmd_regions", refuse)
    monkeypatch.setattr("ability2.cli.commands.cmd_regions", refuse)
    parser_main = main
    assert parser_main(["regions"]) == 2
    err = capsys.readouterr().err
    assert "没有权限" in err and "internal error" not in err


def test_on_must_be_written_yyyy_mm_dd(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["policy", "cn", "--on", "20221120"])
    assert info.value.code == 2
