"""`ability2 new-plugin`: a generated plugin is discovered through its entry point and its tests pass."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ability2
from ability2 import Ability2Error
from ability2.cli import main
from ability2.scaffold import scaffold_plugin
from ability2.testing import load_cases


def register_entry_point(site: Path, dist: str, module: str, entry: str) -> None:
    """What `pip install` does for the entry point: a dist-info folder on sys.path."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[ability2]\n{entry} = {module}\n", encoding="utf-8")


def env_with(*paths: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in paths), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.parametrize(
    ("name", "parent", "region_id", "level"),
    [
        ("sichuan", "cn", "sichuan", "province"),
        ("qufu", "shandong/jining", "shandong/jining/qufu", "county"),  # the example
        # 开原市's rules (and so its schools' policies) hold only from 2024-01-01, its notice's
        # date, years after the national ones; its hours rule is its own, not the national 50
        ("yizhong", "liaoning/tieling/kaiyuan", "liaoning/tieling/kaiyuan/yizhong", "school"),
    ],
)
def test_generated_plugin_is_discovered_and_its_tests_pass(
    tmp_path: Path, name: str, parent: str, region_id: str, level: str
) -> None:
    folder = scaffold_plugin(name, parent=parent, output=tmp_path / f"ability2-{name}")
    site = tmp_path / "site"
    register_entry_point(site, f"ability2-{name}", f"ability2_{name}", name)
    env = env_with(folder / "src", site)
    regions = subprocess.run(
        [sys.executable, "-m", "ability2", "regions", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    listed = {r["id"]: r for r in json.loads(regions.stdout)}
    assert listed[region_id]["parent"] == parent
    assert listed[region_id]["level"] == level
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", str(folder / "tests"), "-q", "-p", "no:cacheprovider"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=folder,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout  # the YAML case and the two discovery tests


def test_the_generated_case_is_dated_from_the_parents_first_effective_day(tmp_path: Path) -> None:
    registry = ability2.load_registry()
    parent = "liaoning/tieling/kaiyuan"
    folder = scaffold_plugin("yizhong", parent=parent, output=tmp_path / "y", registry=registry)
    [case] = load_cases(folder / "tests" / "test_yizhong.yaml")
    # 开原市's notice (开教发[2024]1号) is dated 2024-01-01 in its policy file
    assert case.on == dt.date(2024, 1, 1) == registry.effective_from(parent)
    with pytest.raises(ability2.PolicyDateError):  # the day before has no policy at all
        registry.policy(parent, on=case.on - dt.timedelta(days=1))


def test_the_readme_installs_the_test_extra_it_uses(tmp_path: Path) -> None:
    folder = scaffold_plugin("sichuan", output=tmp_path / "s")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in readme and "pytest" in readme
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(req.startswith("pytest") for req in project["project"]["optional-dependencies"]["test"])


def test_the_placeholder_name_is_a_validation_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = scaffold_plugin("qufu", parent="shandong/jining", output=tmp_path / "q")
    policy = folder / "src" / "ability2_qufu" / "policies" / "qufu.yaml"
    assert main(["validate", str(policy), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "region.name" in out and "'qufu' is the placeholder" in out
    policy.write_text(policy.read_text(encoding="utf-8").replace("name: qufu", "name: 曲阜市"), encoding="utf-8")
    assert main(["validate", str(policy)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_a_child_region_gets_the_next_level_and_its_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-plugin", "jiangyin", "--parent", "jiangsu", "-o", str(tmp_path / "p")]) == 0
    text = (tmp_path / "p" / "src" / "ability2_jiangyin" / "policies" / "jiangyin.yaml").read_text(encoding="utf-8")
    assert "id: jiangsu/jiangyin" in text and "level: city" in text and "parent: jiangsu" in text
    assert main(["validate", str(tmp_path / "p" / "src")]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Si Chuan"], "not a valid plugin name"),
        (["class"], "not a valid plugin name"),
        (["qu-fu", "--parent", "shandong/jining"], "not a valid plugin name"),
        (["qu-fu", "--parent", "shandong/jining"], "did you mean 'qufu'?"),
        (["QuFu"], "did you mean 'qufu'?"),
        (["chengdu", "--parent", "atlantis"], "unknown region 'atlantis'"),
        (["kaiyuan", "--parent", "liaoning/tieling"], "already exists"),
        (["room1", "--parent", "jiangsu/changzhou/jintan/baita"], "is a school"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    target = tmp_path / "out"
    assert main(["new-plugin", *args, "-o", str(target), "--lang", "en"]) == 2
    assert message in capsys.readouterr().err
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Ability2Error, match="已存在且不为空"):  # scaffold.not_empty, in the default language
        scaffold_plugin("sichuan", output=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
