"""`ability2 new-plugin`: a generated plugin is discovered through its entry point and its tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ability2 import Ability2Error
from ability2.cli import main
from ability2.scaffold import scaffold_plugin


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


def test_generated_plugin_is_discovered_and_its_tests_pass(tmp_path: Path) -> None:
    folder = scaffold_plugin("sichuan", output=tmp_path / "ability2-sichuan")
    site = tmp_path / "site"
    register_entry_point(site, "ability2-sichuan", "ability2_sichuan", "sichuan")
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
    assert listed["sichuan"]["parent"] == "cn"
    assert listed["sichuan"]["level"] == "province"
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
        (["chengdu", "--parent", "atlantis"], "unknown region 'atlantis'"),
        (["kaiyuan", "--parent", "liaoning/tieling"], "already exists"),
        (["room1", "--parent", "jiangsu/changzhou/jintan/baita"], "is a school"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    target = tmp_path / "out"
    assert main(["new-plugin", *args, "-o", str(target)]) == 2
    assert message in capsys.readouterr().err
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Ability2Error, match="not empty"):
        scaffold_plugin("sichuan", output=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
