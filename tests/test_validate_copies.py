"""Issue 13 item 16: what a plugin author sees first is the real problem.

- a schema error in a YAML test-case file says it is the test-case file, and which one, not
  "problems in policy data";
- validating a copy of an installed plugin's policy file (being edited elsewhere) checks it
  in place of the installed file: no "document key also declared" or "declared twice"
  errors that hide the real one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ability2.cli import main
from ability2.errors import CaseFileError, PolicyFileError
from ability2.testing import load_cases

ROOT = Path(__file__).resolve().parents[1]
YANZHOU = ROOT / "plugins" / "shandong" / "src" / "ability2_shandong" / "policies" / "yanzhou.yaml"


def test_a_schema_error_in_a_case_file_names_the_case_file(tmp_path: Path) -> None:
    cases = tmp_path / "test_mine.yaml"
    cases.write_text(
        "cases:\n  - name: c\n    region: cn\n    on: 2022-01-01\n    expect_rulez: {}\n", encoding="utf-8"
    )
    with pytest.raises(CaseFileError) as caught:
        load_cases(cases)
    message = str(caught.value)
    assert "test-case file" in message
    assert str(cases) in message
    assert "policy data" not in message
    assert "expect_rulez" in message
    assert isinstance(caught.value, PolicyFileError)  # code catching the old class still catches it
    assert caught.value.problems[0].line == 5


def test_a_case_file_that_is_not_yaml_names_the_case_file(tmp_path: Path) -> None:
    cases = tmp_path / "test_mine.yaml"
    cases.write_text("cases: [\n", encoding="utf-8")
    with pytest.raises(CaseFileError, match="test-case file"):
        load_cases(cases)


def test_pytest_reports_a_broken_case_file_as_a_case_file(tmp_path: Path) -> None:
    (tmp_path / "test_broken.yaml").write_text(
        "cases:\n  - name: c\n    region: cn\n    on: 2022-01-01\n    chekcs: []\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("ABILITY2_")},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "in the test-case file" in done.stdout
    assert "test_broken.yaml:5" in done.stdout
    assert "policy data" not in done.stdout


def _copy(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    copy = tmp_path / "copy" / "yanzhou.yaml"
    copy.parent.mkdir()
    text = YANZHOU.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    copy.write_text(text, encoding="utf-8")
    return copy


def test_an_edited_copy_shows_its_real_problem_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the document's date edited (the copy now differs from the installed file) and a value misspelled
    copy = _copy(tmp_path, ("date: 2022-11-15", "date: 2022-11-16"), ("    value: 50\n", "    value: fifty\n"))
    assert main(["validate", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "应为数字，实际为“fifty”" in err
    assert "also declared" not in err
    assert "declared twice" not in err
    assert err.count(str(copy)) == 1  # one problem, in the copy


def test_a_copy_whose_override_lost_its_replaces_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = YANZHOU.read_text(encoding="utf-8")
    start = text.index("  hours.total_min:")
    line = text.index("    replaces: cn\n", start)
    copy = _copy(tmp_path, (text[start : line + len("    replaces: cn\n")], text[start:line]))
    assert main(["validate", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "hours.total_min" in err
    assert "replaces" in err
    assert "declared twice" not in err
    assert "also declared" not in err


def test_an_unchanged_copy_is_valid_and_says_what_it_stands_in_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(tmp_path)
    assert main(["validate", str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"通过：{copy}" in out
    assert "已安装的插件“shandong”" in out
    # the installed file itself is checked as before: no warning about itself
    assert main(["validate", str(YANZHOU)]) == 0
    assert "提醒" not in capsys.readouterr().out


def test_a_copy_of_a_folder_stands_in_for_the_installed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "shandong-copy"
    shutil.copytree(YANZHOU.parent, folder)
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("通过：") == 3
    assert out.count("该地区将被声明两次") == 3  # as warnings, one per region
