"""Helpers for plugin authors: find a package's data files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ability2.datafiles import package_folder

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["package_files"]


def package_files(package: str, folder: str = "policies", suffix: str = ".yaml") -> list[Traversable]:
    """The ``*.yaml`` files in ``folder`` of ``package``, sorted by name.

    A plugin's hook usually returns ``package_files(__name__)``: its package's
    ``policies/`` folder, installed as package data.
    """
    root = package_folder(package) / folder
    if not root.is_dir():
        raise FileNotFoundError(f"package {package!r} has no folder {folder!r}")
    return sorted((entry for entry in root.iterdir() if entry.name.endswith(suffix)), key=lambda e: e.name)
