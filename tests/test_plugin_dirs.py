"""Plugin folders (issue 13, item 17): a plugin project loaded without installing it.

Written from the issue and the docs (cli.md, plugin-guide.md): ``--plugins-dir DIR`` on every
command, the environment variable ``ABILITY2_PLUGINS_DIR`` (``os.pathsep``-separated),
``load_registry(plugins_dirs=..., installed=False)``; a folder is a plugin project as
``ability2 new-plugin`` writes it, or a folder of such projects. Nothing is pip-installed
here: every command runs in a fresh process whose only plugins are the installed seeds and
the folders named.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ability2
from ability2.errors import PluginLoadWarning, RegistryError
from ability2.messages import language

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "plugins"
#: the regions the seed plugins' policy files declare, read from the files (not from the loader)
SEED_REGIONS = {
    line.split(":", 1)[1].strip()
    for path in SEEDS.glob("*/src/*/policies/*.yaml")
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.startswith("  id: ")
}


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    for name in ("ABILITY2_PLUGINS_DIR", "ABILITY2_NO_INSTALLED_PLUGINS", "ABILITY2_STRICT_PLUGINS"):
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def qufu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ability2 new-plugin qufu --parent shandong/jining` into a folder, never installed."""
    folder = tmp_path_factory.mktemp("folders") / "ability2-qufu"
    made = run("new-plugin", "qufu", "--parent", "shandong/jining", "-o", str(folder))
    assert made.returncode == 0, made.stderr
    assert f"--plugins-dir {folder}" in made.stdout  # the scaffold says how to try it without installing
    return folder


QUFU = "shandong/jining/qufu"
ON = "2022-11-20"  # 兖州's and 济宁's rules hold on this day; qufu inherits them


def test_a_scaffolded_folder_serves_regions_policy_and_evaluate_without_installing(qufu: Path) -> None:
    assert run("policy", QUFU, "--on", ON).returncode == 2  # not installed: unknown
    regions = run("--plugins-dir", str(qufu), "regions", "--json")
    assert regions.returncode == 0, regions.stderr
    listed = {r["id"]: r for r in json.loads(regions.stdout)}
    assert listed[QUFU]["parent"] == "shandong/jining"
    assert listed[QUFU]["level"] == "county"
    policy = run("--plugins-dir", str(qufu), "policy", QUFU, "--on", ON, "--json")
    assert policy.returncode == 0, policy.stderr
    data = json.loads(policy.stdout)
    assert data["chain"] == ["cn", "shandong", "shandong/jining", QUFU]
    # the new region states no rule: every rule is inherited (the national 50 hours at least)
    total = next(rule for rule in data["rules"] if rule["rule"] == "hours.total_min")
    assert total["layer"] != QUFU
    assert total["value"] == 50
    from ability2.demo import sample_roster_path

    with open(str(sample_roster_path()), "rb") as handle:
        roster = qufu.parent / "school.csv"
        roster.write_bytes(handle.read())
    evaluated = run(
        "--plugins-dir", str(qufu), "evaluate", str(roster), "--region", QUFU, "--on", ON, "--format", "json"
    )
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["region"] == QUFU
    assert len(result["teachers"]) == 49  # the sample school's teachers, each judged


def test_the_option_is_taken_after_the_command_and_from_the_environment(qufu: Path) -> None:
    after = run("regions", "--json", "--plugins-dir", str(qufu))
    assert after.returncode == 0, after.stderr
    assert QUFU in {r["id"] for r in json.loads(after.stdout)}
    # a folder of plugin projects (the folder new-plugin wrote into), through the environment variable
    env = run("regions", "--json", env={"ABILITY2_PLUGINS_DIR": os.pathsep.join(["", str(qufu.parent), ""])})
    assert env.returncode == 0, env.stderr
    assert QUFU in {r["id"] for r in json.loads(env.stdout)}


def test_plugins_lists_the_folder_plugin_with_its_folder(qufu: Path) -> None:
    listed = run("--plugins-dir", str(qufu), "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["qufu"]["folder"] == str(qufu.resolve())
    assert plugins["qufu"]["distribution"] == "ability2-qufu"
    assert plugins["qufu"]["regions"] == [QUFU]
    assert plugins["shandong"]["folder"] is None  # installed


def test_the_scaffolded_plugins_own_tests_pass_without_installing(qufu: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ABILITY2_")}
    environment["ABILITY2_PLUGINS_DIR"] = str(qufu)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", str(qufu / "tests"), "-q", "-p", "no:cacheprovider"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=qufu,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_only_the_folders_without_installed_plugins() -> None:
    none = run("--no-installed-plugins", "regions", "--json")
    assert none.returncode == 0, none.stderr
    assert [r["id"] for r in json.loads(none.stdout)] == ["cn"]  # the core's national layer only
    seeds = run("regions", "--json", "--no-installed-plugins", "--plugins-dir", str(SEEDS))
    assert seeds.returncode == 0, seeds.stderr
    assert {r["id"] for r in json.loads(seeds.stdout)} == {"cn", *SEED_REGIONS}
    env = run("regions", "--json", env={"ABILITY2_NO_INSTALLED_PLUGINS": "1", "ABILITY2_PLUGINS_DIR": str(SEEDS)})
    assert {r["id"] for r in json.loads(env.stdout)} == {"cn", *SEED_REGIONS}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_missing_folder_is_exit_2_with_a_clear_message(tmp_path: Path, lang: str) -> None:
    missing = tmp_path / "no-such-plugin"
    done = run("--plugins-dir", str(missing), "regions", "--lang", lang)
    assert done.returncode == 2
    assert str(missing) in done.stderr
    assert ("不存在" if lang == "zh" else "no such folder") in done.stderr
    assert "Traceback" not in done.stderr
    a_file = tmp_path / "pyproject.toml"
    a_file.write_text("[project]\n", encoding="utf-8")
    done = run("regions", "--plugins-dir", str(a_file), "--lang", lang)
    assert done.returncode == 2
    assert ("不是文件夹" if lang == "zh" else "not a folder") in done.stderr
    # through the environment variable: the registry refuses it (no command-line check runs)
    done = run("regions", env={"ABILITY2_PLUGINS_DIR": str(missing)})
    assert done.returncode == 2
    assert f"插件文件夹 {missing}：文件夹不存在" in done.stderr
    assert "Traceback" not in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("--plugins-dir", str(empty), "regions")
    assert done.returncode == 2
    assert "既不是插件项目" in done.stderr


def _broken_copy(qufu: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "broken" / "ability2-qufu"
    shutil.copytree(qufu, copy)
    policy = copy / "src" / "ability2_qufu" / "policies" / "qufu.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("rules: {}", "rules: {}\nrulez: {}"), encoding="utf-8")
    return copy


def test_a_broken_folder_plugin_is_left_out_like_an_installed_one(qufu: Path, tmp_path: Path) -> None:
    copy = _broken_copy(qufu, tmp_path)
    regions = run("--plugins-dir", str(copy), "regions", "--json", "--lang", "en")
    assert regions.returncode == 0, regions.stderr
    listed = {r["id"] for r in json.loads(regions.stdout)}
    assert QUFU not in listed
    assert listed >= SEED_REGIONS  # every other region is served
    assert "qufu" in regions.stderr
    assert "qufu.yaml" in regions.stderr
    assert "rulez" in regions.stderr
    asked = run("--plugins-dir", str(copy), "policy", QUFU, "--on", ON, "--lang", "en")
    assert asked.returncode == 2
    assert "qufu" in asked.stderr
    strict = run("--plugins-dir", str(copy), "regions", "--strict-plugins")
    assert strict.returncode == 2
    assert "rulez" in strict.stderr
    assert "Traceback" not in strict.stderr + regions.stderr + asked.stderr


def test_a_project_that_declares_no_plugin_or_does_not_import_is_a_problem(qufu: Path, tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    shutil.copytree(qufu, folder / "ability2-qufu")
    (folder / "not-a-plugin").mkdir()
    (folder / "not-a-plugin" / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "pyproject.toml").write_text("not toml [", encoding="utf-8")
    done = run("--plugins-dir", str(folder), "regions", "--json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert QUFU in {r["id"] for r in json.loads(done.stdout)}
    assert "declares no ability2 plugin" in done.stderr  # reported, not skipped quietly
    assert ".hidden" not in done.stderr  # hidden folders are passed over
    init = folder / "ability2-qufu" / "src" / "ability2_qufu" / "__init__.py"
    init.write_text("raise RuntimeError('the plugin is broken')\n", encoding="utf-8")
    done = run("--plugins-dir", str(folder), "regions", "--json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert QUFU not in {r["id"] for r in json.loads(done.stdout)}
    assert "failed to import: RuntimeError: the plugin is broken" in done.stderr
    assert run("--plugins-dir", str(folder), "regions", "--strict-plugins").returncode == 2


def test_a_folder_plugin_of_an_installed_name_replaces_it(tmp_path: Path) -> None:
    copy = tmp_path / "ability2-guangxi"
    shutil.copytree(SEEDS / "guangxi", copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    policy = copy / "src" / "ability2_guangxi" / "policies" / "guangxi.yaml"
    text = policy.read_text(encoding="utf-8")
    assert "  name: 广西壮族自治区\n" in text
    policy.write_text(
        text.replace("  name: 广西壮族自治区\n", "  name: 广西壮族自治区（工作副本）\n"), encoding="utf-8"
    )
    regions = run("--plugins-dir", str(copy), "regions", "--json")
    assert regions.returncode == 0, regions.stderr
    names = {r["id"]: r["name"] for r in json.loads(regions.stdout)}
    assert names["guangxi"] == "广西壮族自治区（工作副本）"
    assert regions.stderr == ""  # no clash: the installed plugin of that name is not loaded
    plugins = {p["name"]: p for p in json.loads(run("--plugins-dir", str(copy), "plugins", "--json").stdout)}
    assert plugins["guangxi"]["folder"] == str(copy.resolve())


def _project(folder: Path, name: str, region: str, parent: str = "cn") -> Path:
    """A minimal plugin project: one module, one policy file for ``region``."""
    module = folder / "src" / f"ability2_{name}"
    (module / "policies").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "ability2-{name}"\nversion = "0.2.0"\n\n[project.entry-points.ability2]\n{name} = "ability2_{name}"\n',
        encoding="utf-8",
    )
    (module / "__init__.py").write_text(
        "import ability2\n\n\n@ability2.hookimpl\ndef ability2_policy_files():\n"
        "    return ability2.package_files(__name__, 'policies')\n",
        encoding="utf-8",
    )
    (module / "policies" / f"{name}.yaml").write_text(
        f"region:\n  id: {region}\n  name: 测试{name}\n  level: province\n  parent: {parent}\n\ndocuments: {{}}\nrules: {{}}\n",
        encoding="utf-8",
    )
    return folder


def test_a_folder_plugin_declaring_an_installed_region_is_a_clear_error(tmp_path: Path) -> None:
    folder = _project(tmp_path / "ability2-dupgx", "dupgx", "guangxi")
    done = run("--plugins-dir", str(folder), "regions", "--json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "guangxi" not in {r["id"] for r in json.loads(done.stdout)}  # neither side is trusted
    assert "declared twice" in done.stderr
    assert "dupgx" in done.stderr
    assert "plugin guangxi" in done.stderr
    strict = run("--plugins-dir", str(folder), "regions", "--strict-plugins", "--lang", "en")
    assert strict.returncode == 2
    assert "declared twice" in strict.stderr


def test_load_registry_with_folders_only(tmp_path: Path) -> None:
    folder = _project(tmp_path / "ability2-dirtest", "dirtest", "dirtest")
    registry = ability2.load_registry(plugins_dirs=[folder], installed=False)
    assert [r.id for r in registry.regions()] == ["cn", "dirtest"]
    info = {p.name: p for p in registry.plugins()}["dirtest"]
    assert (info.distribution, info.version, info.folder) == ("ability2-dirtest", "0.2.0", str(folder.resolve()))
    assert info.regions == ("dirtest",)
    # entry_points=False is the older spelling of installed=False
    assert [r.id for r in ability2.load_registry(plugins_dirs=[folder], entry_points=False).regions()] == [
        "cn",
        "dirtest",
    ]
    # an explicit list replaces the environment variable; None reads it
    os.environ["ABILITY2_PLUGINS_DIR"] = str(folder)
    try:
        assert "dirtest" not in {r.id for r in ability2.load_registry(plugins_dirs=[], installed=False).regions()}
        assert "dirtest" in {r.id for r in ability2.load_registry(installed=False).regions()}
    finally:
        del os.environ["ABILITY2_PLUGINS_DIR"]
    with pytest.raises(RegistryError, match="文件夹不存在"):
        ability2.load_registry(plugins_dirs=[tmp_path / "missing"], installed=False)
    with language("en"), pytest.raises(RegistryError, match="no such folder"):  # whatever the mode
        ability2.load_registry(plugins_dirs=[tmp_path / "missing"], installed=False, strict=False)


def test_a_second_copy_of_an_imported_module_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    ability2.load_registry()  # the installed (editable) guangxi is imported into this process
    copy = tmp_path / "ability2-guangxi"
    shutil.copytree(SEEDS / "guangxi", copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    with pytest.warns(PluginLoadWarning, match="已从 .* 导入"):
        registry = ability2.load_registry(plugins_dirs=[copy], installed=False)
    assert "guangxi" not in {r.id for r in registry.regions()}
    assert [p.kind for p in registry.problems] == ["import"]
    with language("en"), pytest.raises(RegistryError, match="already imported"):
        ability2.load_registry(plugins_dirs=[copy], installed=False, strict=True)


def test_the_same_folder_loads_again_and_a_moved_copy_replaces_the_first(tmp_path: Path) -> None:
    first = _project(tmp_path / "one" / "ability2-again", "again", "again")
    assert "again" in {r.id for r in ability2.load_registry(plugins_dirs=[first], installed=False).regions()}
    assert "again" in {r.id for r in ability2.load_registry(plugins_dirs=[first], installed=False).regions()}
    second = tmp_path / "two" / "ability2-again"
    shutil.copytree(first, second)
    policy = second / "src" / "ability2_again" / "policies" / "again.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("测试again", "第二份"), encoding="utf-8")
    registry = ability2.load_registry(plugins_dirs=[second], installed=False)
    assert registry.region("again").name == "第二份"


@given(st.lists(st.text(alphabet="abc/._- ", min_size=1, max_size=8), max_size=5))
def test_the_environment_variable_is_split_on_the_path_separator(parts: list[str]) -> None:
    from ability2.registry import _dirs_default

    os.environ["ABILITY2_PLUGINS_DIR"] = os.pathsep.join(parts)
    try:
        assert _dirs_default() == tuple(part for part in parts if part.strip())
    finally:
        del os.environ["ABILITY2_PLUGINS_DIR"]


def test_serve_takes_the_folders_for_every_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("starlette")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from ability2.service.app import create_app_from_environment

    # what `ability2 serve --plugins-dir DIR` leaves in the environment of each uvicorn worker
    folder = _project(tmp_path / "ability2-servedir", "servedir", "servedir")
    monkeypatch.setenv("ABILITY2_PLUGINS_DIR", str(folder))
    with TestClient(create_app_from_environment()) as client:
        response = client.get("/regions")
        assert response.status_code == 200, response.text
        assert "servedir" in {region["id"] for region in response.json()}
    refused = run("serve", "--plugins-dir", str(tmp_path / "missing"), "--port", "1")
    assert refused.returncode == 2  # before anything listens
    assert "--plugins-dir" in refused.stderr and "Traceback" not in refused.stderr


def test_a_kept_region_tree_never_hides_a_folder_or_shows_left_out_installed_plugins(
    qufu: Path, tmp_path: Path
) -> None:
    cache = {"ABILITY2_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):  # the second `regions` prints the kept tree
        plain = run("regions", "--json", env=cache)
        assert plain.returncode == 0, plain.stderr
    installed = {r["id"] for r in json.loads(plain.stdout)}
    assert "hebei/baoding/xushui" in installed and QUFU not in installed
    folder = run("--plugins-dir", str(qufu), "regions", "--json", env=cache)
    assert QUFU in {r["id"] for r in json.loads(folder.stdout)}
    only = run("--plugins-dir", str(qufu), "--no-installed-plugins", "regions", "--json", env=cache)
    assert only.returncode == 0, only.stderr
    assert "hebei/baoding/xushui" not in {r["id"] for r in json.loads(only.stdout)}
