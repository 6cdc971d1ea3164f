"""Hostile YAML (policy, what-if, case files): refused with the file's name, exit 2, in bounded time.

Each case once crashed (exit 1), hung or grew memory without bound (issue 10, items 3, 4 and 12).
A subprocess with a timeout stands for "bounded": a hang fails the test instead of the run.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2
from ability2.errors import PolicyFileError
from ability2.messages import language
from ability2.whatif import ChangeSetError
from ability2.yamlio import read_yaml


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


HEAD = "region: {id: testprov, name: 测试省, level: province, parent: cn}\n"
RULE = "documents:\n  d: {title: t, date: 2021-01-01}\nrules:\n  hours.total_min: {value: VALUE, bound: 不少于, source: {document: d, clause: x}}\n"


def billion_laughs() -> str:
    lines = [HEAD, 'a: &a ["x","x","x","x","x","x","x","x","x"]\n']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]\n")
    return "".join(lines)


CASES = {
    "billion_laughs": (billion_laughs(), "too large: more than 1,000,000 values once its aliases"),
    "huge_exponent": (HEAD + RULE.replace("VALUE", "1e99999999"), "number out of range: '1e99999999'"),
    "long_integer": (HEAD + RULE.replace("VALUE", "9" * 5000), "malformed YAML"),
    "long_decimal": (HEAD + RULE.replace("VALUE", "'" + "1" * 80 + ".5'"), "number out of range"),
    "deep_nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    "form_feed": (HEAD + "\x0c\n", "character U+000C is not allowed"),
    "nul": (HEAD.rstrip("\n") + "\x00\n", "character U+0000 is not allowed"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_refuses_hostile_yaml_with_exit_2(name: str, tmp_path: Path) -> None:
    text, message = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ability2", "validate", str(path), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{name}.yaml" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr) < 2000


def test_a_what_if_with_a_huge_number_is_refused() -> None:
    policy = ability2.load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1))
    for value in ("1e99999999", "1e309", 10**400, "9" * 5000 + "%"):
        with pytest.raises(ChangeSetError, match=r"number out of range|expected a number"):
            policy.with_changes({"hours.total_min": value})
    with pytest.raises(ChangeSetError, match="expected a finite number"):
        policy.with_changes({"hours.total_min": float("inf")})


def test_within_the_limits_aliases_still_work() -> None:
    doc = read_yaml("a: &x {v: 1}\nb: *x\n", "ok.yaml")
    assert doc.data == {"a": {"v": 1}, "b": {"v": 1}}


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates().map(dt.date.isoformat)
)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(structures)
def test_policy_loader_gives_a_layer_or_a_policy_file_error(data: object) -> None:
    # any structure, dumped to YAML and loaded as a policy file: a layer or PolicyFileError, nothing else
    import yaml

    path = _write(yaml.safe_dump(data, allow_unicode=True))
    try:
        ability2.load_layer(path)
    except PolicyFileError:
        pass
    finally:
        path.unlink()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_yaml_reader_gives_data_or_a_policy_file_error(text: str) -> None:
    try:
        read_yaml(text, "fuzz.yaml")
    except PolicyFileError as exc:
        problem = exc.problems[0]
        assert problem.file == "fuzz.yaml"


def _write(text: str) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    return Path(handle.name)
