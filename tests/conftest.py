from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins: list[str] = []

PROVINCE = """
region: {id: testprov, name: 测试省, level: province, parent: cn, code: "990000"}
documents:
  prov-doc: {title: 测试省实施方案, number: 测〔2020〕1号, date: 2020-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    source: {document: prov-doc, clause: 二、(一), quote: 线上学习不少于20学时}
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a (dedented) YAML text to tmp_path/name and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write
