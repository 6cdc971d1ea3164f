"""The seed plugins against contract §1: the whole region tree, ids, names, levels, codes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from ability2 import PolicyFileError, Registry
from ability2.cli import main
from ability2.messages import language

CONTRACT_REGIONS = {
    "cn": ("nation", "全国", None),
    "hebei": ("province", "河北省", "cn"),
    "hebei/baoding": ("city", "保定市", "hebei"),
    "hebei/baoding/xushui": ("county", "徐水区", "hebei/baoding"),
    "jiangsu": ("province", "江苏省", "cn"),
    "jiangsu/changzhou": ("city", "常州市", "jiangsu"),
    "jiangsu/changzhou/jintan": ("county", "金坛区", "jiangsu/changzhou"),
    "jiangsu/changzhou/jintan/baita": ("school", "白塔小学", "jiangsu/changzhou/jintan"),
    "liaoning": ("province", "辽宁省", "cn"),
    "liaoning/tieling": ("city", "铁岭市", "liaoning"),
    "liaoning/tieling/kaiyuan": ("county", "开原市", "liaoning/tieling"),
    "shandong": ("province", "山东省", "cn"),
    "shandong/jining": ("city", "济宁市", "shandong"),
    "shandong/jining/yanzhou": ("county", "兖州区", "shandong/jining"),
    "guangxi": ("province", "广西壮族自治区", "cn"),
}

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def test_regions_json_lists_the_whole_seed_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "--json"]) == 0
    listed = {r["id"]: (r["level"], r["name"], r["parent"]) for r in json.loads(capsys.readouterr().out)}
    assert {k: v for k, v in listed.items() if k in CONTRACT_REGIONS} == CONTRACT_REGIONS


def test_yanzhou_by_code(ability2_registry: Registry) -> None:
    # contract §1: "A region may also be named by its administrative division code, e.g. 370812"
    assert ability2_registry.region("370812").id == "shandong/jining/yanzhou"


@pytest.mark.parametrize("region", sorted(CONTRACT_REGIONS))
def test_every_seed_rule_has_a_source_and_a_layer(ability2_registry: Registry, region: str) -> None:
    day = dt.date(2024, 6, 1)
    policy = ability2_registry.policy(region, on=day)
    for rule in policy:
        assert rule.sources, rule.id
        assert all(c.clause for c in rule.sources), rule.id
        assert rule.layer in {r.id for r in policy.chain}


@pytest.mark.parametrize("plugin", ["hebei", "jiangsu", "liaoning", "shandong", "guangxi"])
def test_plugin_folders_validate(plugin: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PLUGINS / plugin), "--lang", "en"]) == 0
    assert "policy file(s) valid" in capsys.readouterr().out


def _broken_copy(tmp_path: Path, plugin: str, file: str, old: str, new: str) -> Path:
    folder = tmp_path / plugin
    shutil.copytree(PLUGINS / plugin / "src", folder)
    target = next(folder.rglob(file))
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_validate_catches_a_share_above_one_in_a_seed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _broken_copy(tmp_path, "liaoning", "kaiyuan.yaml", "value: 60%", "value: 160%")
    assert main(["validate", str(folder), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "kaiyuan.yaml:" in err and "school.excellent_rate_max" in err and "cannot exceed 1" in err


def test_validate_catches_a_form_that_does_not_add_up(tmp_path: Path) -> None:
    from ability2.validate import validate_path

    folder = _broken_copy(tmp_path, "shandong", "yanzhou.yaml", "points: 45", "points: 44")
    with language("en"), pytest.raises(PolicyFileError, match=r"form\.school_assessment.*add up to 45"):
        validate_path(folder)


def test_validate_catches_a_phase_ending_before_it_starts(tmp_path: Path) -> None:
    from ability2.validate import validate_path

    folder = _broken_copy(tmp_path, "jiangsu", "baita.yaml", "start: 2022-04-07", "start: 2022-12-07")
    with language("en"), pytest.raises(PolicyFileError, match="before it starts"):
        validate_path(folder)
