"""Every hook is documented like pytest's hookspec.py: when called, arguments, returns, results."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ability2 import hookspecs

HOOKS = [name for name, obj in vars(hookspecs).items() if name.startswith("ability2_") and inspect.isfunction(obj)]


def test_there_are_hooks() -> None:
    assert "ability2_policy_files" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_fully_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    for section in ("**When called:**", "**Arguments:**", "**Returns:**", "**Results:**"):
        assert section in doc, f"{name} lacks {section}"
    assert "first-result" in doc, f"{name} must say whether the first result wins"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_a_registered_spec(name: str) -> None:
    assert hasattr(getattr(hookspecs, name), "ability2_spec")


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_in_the_hook_reference(name: str) -> None:
    # as datasette's test_plugin_hooks_are_documented: the reference page renders every hook
    page = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
    assert f".. autofunction:: ability2.hookspecs.{name}\n" in page.read_text(encoding="utf-8")


def test_the_hook_reference_names_no_hook_that_does_not_exist() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
    named = re.findall(r"autofunction:: ability2\.hookspecs\.(\w+)", page.read_text(encoding="utf-8"))
    assert sorted(named) == sorted(HOOKS)
