"""Every code example in the docs runs, so none can rot.

Python blocks of a page run in order in one namespace. Shell blocks run line by line in one
scratch folder per page that holds the files the examples name (``school.csv``,
``school.xlsx``, ``scores.yaml``, ``schools.csv``, and each YAML block of the page whose first line is a
comment naming a file, ``# whatif.yaml: ...``); ``pip install -e DIR`` is done the way pip registers an
entry point (a ``.dist-info`` folder on the path), and set-up lines (``python3 -m venv``,
``pip install -r``) are already done by the test environment. A line commented
``exit code 2`` must fail with exit code 2; every other line must succeed.

A ``text`` block right after a Python block, or after a shell block of one command, shows
that code's output: each of its lines must be in what the code prints, in order (a line
``…`` stands for lines left out, trailing spaces aside), so the output shown cannot drift.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [*sorted(p for p in DOCS.glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(page.read_text(encoding="utf-8")) if lang == language]


def shown_outputs(page: Path) -> dict[str, str]:
    """The ``text`` blocks that directly follow a ``python`` or ``sh`` block: code -> the output shown."""
    text = page.read_text(encoding="utf-8")
    found = list(BLOCK.finditer(text))
    outputs: dict[str, str] = {}
    for code, after in itertools.pairwise(found):
        if after.group(1) == "text" and code.group(1) in ("python", "sh") and not text[code.end() : after.start()].strip():
            outputs[code.group(2)] = after.group(2)
    return outputs


def check_shown(shown: str, printed: str, where: str) -> None:
    """Every line of ``shown`` (but ``…``) is a line of ``printed``, in order."""
    actual = [line.rstrip() for line in printed.splitlines()]
    at = 0
    for line in (line.rstrip() for line in shown.splitlines()):
        if line == "…":
            continue
        try:
            at = actual.index(line, at) + 1
        except ValueError:
            raise AssertionError(f"{where}: the output shown has {line!r}, not printed by the code at that point") from None


#: a YAML block that is a file of the examples: its first line names it
NAMED_FILE = re.compile(r"^# ([\w.-]+\.ya?ml)\b")


def scratch(tmp_path: Path, page: Path | None = None) -> Path:
    import json

    import pandas as pd

    from ability2.demo import sample_roster_path

    folder = tmp_path / "work"
    folder.mkdir()
    with open(str(sample_roster_path()), "rb") as handle:
        (folder / "school.csv").write_bytes(handle.read())
    # the sample where a checkout holds it (the quickstart runs from the checkout's folder)
    bundled = folder / "src" / "ability2" / "demo" / "data" / "sample_school.csv"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes((folder / "school.csv").read_bytes())
    pd.read_csv(folder / "school.csv", dtype=str, keep_default_na=False).to_excel(folder / "school.xlsx", index=False)
    import datetime as dt

    import ability2

    [(_, form)] = ability2.load_registry().policy("370812", on=dt.date(2022, 11, 20)).forms()
    scores = {
        "schools": {
            "白塔示范小学(样例)": {s.name: {i.name: i.points for i in s.items if not i.rules} for s in form.sections}
        }
    }
    (folder / "scores.yaml").write_text(json.dumps(scores, ensure_ascii=False), encoding="utf-8")
    (folder / "schools.csv").write_text(
        "学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案\n白塔示范小学(样例),是,是,是,否\n",
        encoding="utf-8",
    )
    for body in blocks(page, "yaml") if page is not None else ():
        named = NAMED_FILE.match(body)
        if named:
            (folder / named.group(1)).write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: p.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scratch(tmp_path, page))
    import contextlib
    import io

    namespace: dict[str, object] = {"__name__": "__docs__"}
    outputs = shown_outputs(page)
    for code in blocks(page, "python"):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{page.name}:example", "exec"), namespace)
        if code in outputs:
            check_shown(outputs[code], printed.getvalue(), f"{page.name}: {code.splitlines()[0]}")


def install_editable(folder: Path, site: Path) -> None:
    """What `pip install -e FOLDER` does for the entry point, without the network."""
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8"
    )
    points = project["entry-points"]["ability2"]
    (info / "entry_points.txt").write_text(
        "[ability2]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()), encoding="utf-8"
    )
    (site / f"{project['name']}.pth").write_text(str(folder / "src") + "\n", encoding="utf-8")


SKIP = (
    re.compile(r"^python3 -m venv"),
    re.compile(r"^(\.venv/bin/)?pip install -q? ?-r "),
    re.compile(r"^(\.venv/bin/)?pip install -q -r"),
)


def shell_lines_of(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def shell_lines(page: Path) -> list[str]:
    return [line for body in blocks(page, "sh") for line in shell_lines_of(body)]


@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "README.md" and shell_lines(p)], ids=lambda p: p.name)
def test_shell_examples_run(page: Path, tmp_path: Path) -> None:
    work = scratch(tmp_path, page)
    site = tmp_path / "site"
    site.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    # .pth files are read only from site directories: make ours one
    (tmp_path / "sitecustomize.py").write_text(f"import site\nsite.addsitedir({str(site)!r})\n", encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    outputs = {
        lines[0]: shown for code, shown in shown_outputs(page).items() if len(lines := shell_lines_of(code)) == 1
    }
    for line in shell_lines(page):
        command, _, comment = line.partition("#")
        command = command.strip()
        expect = 2 if "exit code 2" in comment else 0
        if any(pattern.search(command) for pattern in SKIP):
            continue
        for part in command.split("&&"):
            words = shlex.split(part.strip())
            if words[0].endswith("pip") and words[1:3] == ["install", "-e"]:
                install_editable(work / words[3].split("[")[0], site)  # 'dir[test]': pytest is here already
                continue
            if words[0].endswith("ability2"):
                words = [sys.executable, "-m", "ability2", *words[1:]]
            elif words[0] in ("python", "python3") or words[0].endswith("/python"):
                words = [sys.executable, *words[1:]]
            redirect = None
            if ">" in words:
                at = words.index(">")
                words, redirect = words[:at], work / words[at + 1]
            result = subprocess.run(words, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
            if redirect is not None:
                redirect.write_text(result.stdout, encoding="utf-8")
            if line in outputs and result.returncode == expect:
                check_shown(outputs[line], result.stdout, f"{page.name}: {line}")
            assert result.returncode == expect, (
                f"{page.name}: {part.strip()}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
    shutil.rmtree(work, ignore_errors=True)
