from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

#: the parse cache of policy YAML (ability2.yamlcache) this test run writes: its own, removed after
_CACHE = tempfile.mkdtemp(prefix="ability2-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """Every test (and every process a test starts) uses this run's own cache folder, not the user's."""
    os.environ["ABILITY2_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a (dedented) YAML text to tmp_path/name and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write
