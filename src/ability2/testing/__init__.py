"""Testing helpers for plugin authors.

- YAML case files (``tests/test_*.yaml`` with a top-level ``cases:`` key) are collected by
  pytest through the plugin ability2 installs (:mod:`ability2.testing.pytest_plugin`);
  :func:`run_case` runs one case and returns what failed.
- Fixtures ``ability2_registry`` (the installed plugins) and ``make_registry`` (register
  plugin objects or policy files in-process) come with the same pytest plugin.
- :func:`check_plugin_folder` runs ``ability2 validate`` over a plugin's folder.
"""

from __future__ import annotations

from ability2.testing.cases import Case, CaseFile, load_cases, run_case
from ability2.validate import ValidationReport, validate_path

__all__ = ["Case", "CaseFile", "ValidationReport", "check_plugin_folder", "load_cases", "run_case"]


def check_plugin_folder(path: str, *, import_plugins: bool = True) -> ValidationReport:
    """Validate every policy file under ``path`` as the registry would load it.

    A plugin's own tests trust its code, so its packages are imported (their rule kinds
    become known) unless ``import_plugins=False``.
    """
    from pathlib import Path

    return validate_path(Path(path), import_plugins=import_plugins)
