"""``ability2 regions`` from the kept region tree (issue 11, target 6): the same output, or a full load.

The tree is kept only after a load that found nothing wrong, under a key that changes with
every policy file, ability2 itself, the installed distributions and strictness; a plugin whose
code takes part in the load (rule kinds), fails to import, or whose hook raises has no key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import test_broken_plugins
from ability2 import regioncache, registry
from ability2.cli import main
from ability2.yamlcache import CACHE_ENV

BROKEN, GOOD, Install = test_broken_plugins.BROKEN, test_broken_plugins.GOOD, test_broken_plugins.Install
#: throw-away plugins installed as pip installs them (the fixture of test_broken_plugins)
install = test_broken_plugins.install

FORMS = (["regions"], ["regions", "--lang", "en"], ["regions", "--json"], ["regions", "--json", "--lang=en"])

RUN = (
    "import sys, io, contextlib\n"
    "from ability2.cli import main\n"
    "out = io.StringIO()\n"
    "with contextlib.redirect_stdout(out):\n"
    "    code = main(sys.argv[1:])\n"
    "print(code, 'ability2.registry' in sys.modules)\n"
    "print(out.getvalue(), end='')\n"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / f"regions-{regioncache.FORMAT}"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the registry loads the command makes."""
    counted: list[int] = []
    real = registry.load_registry

    def counting(**kwargs: Any) -> registry.Registry:
        counted.append(1)
        return real(**kwargs)

    monkeypatch.setattr(registry, "load_registry", counting)
    return counted


def test_the_second_regions_reads_the_kept_tree_and_prints_what_a_full_load_prints(tmp_path: Path) -> None:
    off = {**os.environ, CACHE_ENV: "off"}
    for number, form in enumerate(FORMS):
        env = {**os.environ, CACHE_ENV: str(tmp_path / f"cache{number}")}  # each form fills its own
        runs = [
            subprocess.run(
                [sys.executable, "-c", RUN, *form], env=e, capture_output=True, text=True, check=True, timeout=120
            ).stdout
            for e in (off, env, env)
        ]
        statuses = [run.splitlines()[0] for run in runs]
        assert statuses == ["0 True", "0 True", "0 False"], form  # the third built no registry
        assert runs[0].split("\n", 1)[1] == runs[1].split("\n", 1)[1] == runs[2].split("\n", 1)[1]
    as_json = json.loads(runs[2].split("\n", 1)[1])
    assert as_json[0] == {"id": "cn", "name": "全国", "level": "nation", "parent": None, "code": None}
    assert {"hebei", "jiangsu", "liaoning", "shandong", "guangxi"} <= {r["id"] for r in as_json}


def test_an_edited_policy_file_is_read_again(
    install: Install, folder: Path, loads: list[int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    install("zzgood", {"zzgood.yaml": GOOD})
    assert main(["regions"]) == 0
    first = capsys.readouterr().out
    assert "好省" in first and len(loads) == 1 and len(list(folder.glob("*.json"))) == 1
    assert main(["regions"]) == 0
    assert capsys.readouterr().out == first and len(loads) == 1  # from the kept tree
    (policy,) = (tmp_path / "site").glob("*/policies/zzgood.yaml")
    policy.write_text(GOOD.replace("好省", "更好省"), encoding="utf-8")
    assert main(["regions"]) == 0
    assert "更好省" in capsys.readouterr().out and len(loads) == 2
    assert main(["regions", "--limit", "max_rows=5"]) == 0  # another limit: always a full load
    assert len(loads) == 3


def test_a_load_that_left_a_plugin_out_is_never_kept(
    install: Install, folder: Path, loads: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    install("zzgood", {"zzgood.yaml": GOOD})
    for count in (1, 2):
        assert main(["regions"]) == 0
        captured = capsys.readouterr()
        assert "zzgood" in captured.out and "zzbroken" not in captured.out
        assert "zzbroken" in captured.err  # told every time: the tree was not kept
        assert len(loads) == count
    assert not list(folder.glob("*.json"))


KINDS = """
import ability2
from pathlib import Path


@ability2.hookimpl
def ability2_policy_files():
    return sorted((Path(__file__).parent / "policies").glob("*.yaml"))


@ability2.hookimpl
def ability2_rule_kinds():
    return []
"""

RAISES = """
import ability2


@ability2.hookimpl
def ability2_policy_files():
    raise RuntimeError("no files today")
"""


@pytest.mark.parametrize(
    "code",
    [
        KINDS,
        RAISES,
        "raise ImportError('missing dependency')\n",
        "import ability2\n\n@ability2.hookimpl\ndef ability2_policy_filez():\n    return []\n",
    ],
)
def test_a_plugin_whose_code_takes_part_or_fails_has_no_key(install: Install, folder: Path, code: str) -> None:
    install("zzgood", {"zzgood.yaml": GOOD})
    assert regioncache.tree_key(False) is not None
    install("zzother", {}, code=code)
    assert regioncache.tree_key(False) is None


def test_the_key_names_files_strictness_and_installed_distributions(
    install: Install, folder: Path, tmp_path: Path
) -> None:
    install("zzgood", {"zzgood.yaml": GOOD})
    key = regioncache.tree_key(False)
    assert key is not None and key == regioncache.tree_key(False)
    assert regioncache.tree_key(True) not in (None, key)
    (tmp_path / "site" / "another-1.0.dist-info").mkdir()  # pip installs something beside
    os.utime(tmp_path / "site", ns=(1, 1))
    assert regioncache.tree_key(False) not in (None, key)


def test_a_damaged_or_foreign_entry_is_not_read(
    install: Install, folder: Path, loads: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    install("zzgood", {"zzgood.yaml": GOOD})
    assert main(["regions", "--json"]) == 0
    expected = capsys.readouterr().out
    (entry,) = folder.glob("*.json")
    kept = json.loads(entry.read_text(encoding="utf-8"))
    region = kept["regions"][0]
    damaged = [
        b"",
        entry.read_bytes()[:40],
        b"\xff\xfe",
        json.dumps({**kept, "key": "0" * 64}).encode(),
        json.dumps({**kept, "format": 2}).encode(),
        json.dumps({**kept, "regions": []}).encode(),
        json.dumps({**kept, "regions": [{**region, "level": "galaxy"}]}).encode(),
        json.dumps({**kept, "regions": [{**region, "extra": 1}]}).encode(),
        json.dumps({**kept, "regions": [{**region, "code": 370812}]}).encode(),
        json.dumps({**kept, "regions": "cn"}).encode(),
        b"[" * 100_000,
        json.dumps(kept).encode() + b" " * (4 * 1024 * 1024),
    ]
    for count, content in enumerate(damaged, start=2):
        entry.write_bytes(content)
        assert regioncache.lookup(entry.stem) is None
        assert main(["regions", "--json"]) == 0
        assert capsys.readouterr().out == expected
        assert len(loads) == count  # loaded again, and the entry rewritten whole
        assert json.loads(entry.read_text(encoding="utf-8")) == kept


def test_the_cache_turned_off_keeps_nothing(
    install: Install, monkeypatch: pytest.MonkeyPatch, loads: list[int], tmp_path: Path
) -> None:
    install("zzgood", {"zzgood.yaml": GOOD})
    monkeypatch.setenv(CACHE_ENV, "off")
    assert regioncache.tree_key(False) is None
    for _ in range(2):
        assert main(["regions"]) == 0
    assert len(loads) == 2
    assert not list(tmp_path.rglob("*.json"))
