"""Entry points of one group, found as :func:`importlib.metadata.entry_points` finds them, without its cost.

Importing :mod:`importlib.metadata` (it brings :mod:`email`, :mod:`zipfile`, :mod:`csv` ...)
and letting it parse every installed distribution's ``entry_points.txt`` into objects costs
a command line tens of milliseconds before it has done anything. :func:`entry_points` reads
the same files in the same order with the same rules (those of Python 3.11 to 3.13): every
folder of ``sys.path`` in turn, its ``*.dist-info`` and ``*.egg-info`` folders grouped by
normalised project name in the order the folder lists them, the first distribution of each
name only, and in its ``entry_points.txt`` the lines of each ``[section]``.

Where anything is not plainly that case (another Python version, another distribution finder
on ``sys.meta_path`` or the standard one removed, a zip file or an ``.egg`` on ``sys.path``, a
metadata folder whose name importlib would read from its ``METADATA`` instead, a file that is
not UTF-8, a line without ``=``), it returns what :func:`importlib.metadata.entry_points`
returns, by calling it: the answer, and any error it raises, are always importlib's.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Sequence
from importlib import import_module
from importlib.machinery import PathFinder
from typing import Any

__all__ = ["FoundEntryPoint", "entry_points"]

#: importlib.metadata.EntryPoint.pattern (the same in Python 3.11, 3.12 and 3.13)
_PATTERN = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_NORMALIZE = re.compile(r"[-_.]+")
#: the Python versions whose importlib.metadata this module follows (read and tested); others ask importlib
_CHECKED = ((3, 11), (3, 12), (3, 13))
#: what PathDistribution.read_text treats as "no such file"
_MISSING = (FileNotFoundError, IsADirectoryError, KeyError, NotADirectoryError, PermissionError)


class _Unsure(Exception):
    """Raised where the environment is not the plain case: importlib.metadata is asked instead."""


class FoundEntryPoint:
    """An entry point read from a distribution's ``entry_points.txt``.

    It has what the registry uses of :class:`importlib.metadata.EntryPoint`: ``name``,
    ``value``, ``group``, ``load()`` and ``dist``.
    """

    __slots__ = ("_dist", "group", "name", "path", "value")

    def __init__(self, name: str, value: str, group: str, path: str) -> None:
        self.name = name
        self.value = value
        self.group = group
        #: the distribution's metadata folder
        self.path = path
        self._dist: Any = None

    def load(self) -> Any:
        """Import the object the entry point names, as :meth:`importlib.metadata.EntryPoint.load` does."""
        match = _PATTERN.match(self.value)
        if match is None:  # importlib's own error for a malformed value
            from importlib.metadata import EntryPoint

            return EntryPoint(self.name, self.value, self.group).load()
        module = import_module(match.group("module"))
        names = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, names, module)

    @property
    def dist(self) -> Any:
        """The distribution (an :class:`importlib.metadata.PathDistribution`), read only when asked."""
        if self._dist is None:
            import pathlib
            from importlib.metadata import PathDistribution

            self._dist = PathDistribution(pathlib.Path(self.path))
        return self._dist

    def __repr__(self) -> str:
        return f"FoundEntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def entry_points(group: str) -> Sequence[Any]:
    """The entry points of ``group``, in the order ``importlib.metadata.entry_points(group=group)`` gives them.

    Each is a :class:`FoundEntryPoint`, or an :class:`importlib.metadata.EntryPoint` where
    this module left the search to importlib (see the module's text).
    """
    try:
        return _scan(group, sys.path)
    except _Unsure:
        import importlib.metadata

        return list(importlib.metadata.entry_points(group=group))


def _normalize(name: str) -> str:
    """importlib.metadata's Prepared.normalize: PEP 503 with underscores."""
    return _NORMALIZE.sub("-", name).lower().replace("-", "_")


def _distributions(paths: Sequence[Any]) -> list[str]:
    """The metadata folders importlib.metadata.distributions() yields, first of each name only."""
    if sys.version_info[:2] not in _CHECKED:
        raise _Unsure
    # the standard path finder alone; importlib_metadata (the backport), for one, removes it and adds its own
    standard = getattr(PathFinder, "find_distributions", None)
    finders = [getattr(finder, "find_distributions", None) for finder in sys.meta_path]
    if standard is None or [finder for finder in finders if finder is not None] != [standard]:
        raise _Unsure
    unique: dict[str, str] = {}
    for root in paths:
        if not isinstance(root, str) or os.path.basename(root).lower().endswith(".egg"):
            raise _Unsure
        try:
            children = os.listdir(root or ".")
        except Exception:
            if os.path.lexists(root or "."):  # a file (a zip?) or an unreadable folder
                raise _Unsure from None
            continue
        infos: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            stem, ext = os.path.splitext(child)
            if ext not in (".dist-info", ".egg-info"):
                raise _Unsure  # importlib would read this one's name from its METADATA
            name = _normalize(low.rpartition(".")[0].partition("-")[0])
            if not name or name != _normalize(stem.partition("-")[0]):
                raise _Unsure
            infos.setdefault(name, []).append(os.path.join(root, child))
        for name, folders in infos.items():
            if name not in unique:
                unique[name] = folders[0]
    return list(unique.values())


def _read(folder: str) -> str:
    """A distribution's entry_points.txt, or "" where PathDistribution.read_text finds none."""
    try:
        with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as file:
            return file.read()
    except _MISSING:
        return ""
    except UnicodeDecodeError:
        raise _Unsure from None


def _scan(group: str, paths: Sequence[Any]) -> list[FoundEntryPoint]:
    """Every distribution's entry points of ``group``; raises :class:`_Unsure` off the plain case."""
    found: list[FoundEntryPoint] = []
    for folder in _distributions(paths):
        section: str | None = None
        for line in _read(folder).splitlines():
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            if value.startswith("[") and value.endswith("]"):
                section = value.strip("[]")
                continue
            if section is None:
                continue
            if "=" not in value:
                raise _Unsure  # importlib raises its own ValueError for every group
            if section == group:
                key, _, target = value.partition("=")
                found.append(FoundEntryPoint(key.strip(), target.strip(), section, folder))
    return found
