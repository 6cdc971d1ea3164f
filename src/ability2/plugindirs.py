"""Plugin folders: plugins loaded from a project folder, without installing them.

``ability2 --plugins-dir DIR``, the environment variable :envvar:`ABILITY2_PLUGINS_DIR` and
``load_registry(plugins_dirs=...)`` name folders. Each folder is either

- **a plugin project**, as ``ability2 new-plugin`` writes one: it holds a ``pyproject.toml``
  whose ``[project.entry-points.ability2]`` table names the plugin's module; or
- **a folder of plugin projects** (it has no ``pyproject.toml`` of its own): each of its
  immediate sub-folders that holds a ``pyproject.toml`` is a plugin project, in name order
  (sub-folders whose name starts with ``.`` or ``_`` are passed over). A sub-folder whose
  ``pyproject.toml`` declares no ``ability2`` entry point is reported, not skipped quietly.

Only one level is searched. The module an entry point names is imported from the project's
``src/`` folder (the layout ``new-plugin`` writes) or, failing that, from the project folder
itself, without touching :data:`sys.path`: loading a folder runs that plugin's Python code,
exactly as installing it would, and nothing else. The ``pyproject.toml`` is read as TOML
(data); no ``setup.py``, ``conftest.py`` or build hook is ever run.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ability2.errors import RegistryError
from ability2.messages import Message, msg

__all__ = ["FolderEntryPoint", "FolderProblem", "find_folder_plugins"]

#: the largest ``pyproject.toml`` read (bytes); a plugin's is a few hundred
MAX_PYPROJECT_BYTES = 1 << 20
#: an entry point's value: ``module`` or ``module:attribute`` (importlib.metadata.EntryPoint.pattern)
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
#: module name -> the folder it was imported from, for the modules this module imported
_IMPORTED: dict[str, str] = {}


class FolderEntryPoint:
    """An ``ability2`` entry point declared by a plugin folder's ``pyproject.toml``.

    It offers what the registry uses of an installed entry point (``name``, ``value``,
    ``load()``) plus the project folder and its ``[project]`` name and version.
    """

    __slots__ = ("distribution", "folder", "name", "project_file", "value", "version")

    def __init__(
        self, name: str, value: str, folder: Path, project_file: Path, distribution: str | None, version: str | None
    ) -> None:
        self.name = name
        self.value = value
        #: the plugin project's folder (absolute)
        self.folder = folder
        self.project_file = project_file
        #: ``[project] name`` and ``version`` of the ``pyproject.toml`` (``None`` where not given as text)
        self.distribution = distribution
        self.version = version

    def load(self) -> Any:
        """Import the object the entry point names from the project folder (its code runs)."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(
                msg("folders.entry_point_value", file=str(self.project_file), name=self.name, value=self.value)
            )
        module_name = match.group("module")
        top = module_name.partition(".")[0]
        root = _import_root(self.folder, top)
        if root is None:
            raise ModuleNotFoundError(
                msg(
                    "folders.module_missing",
                    module=top,
                    src=str(self.folder / "src"),
                    folder=str(self.folder),
                    file=str(self.project_file),
                )
            )
        _import_top(top, root)
        from importlib import import_module

        module = import_module(module_name)
        names = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, names, module)

    def __repr__(self) -> str:
        return f"FolderEntryPoint(name={self.name!r}, value={self.value!r}, folder={str(self.folder)!r})"


class FolderProblem:
    """A plugin project in a folder that cannot be read: its ``pyproject.toml`` or its entry points."""

    __slots__ = ("message", "name")

    def __init__(self, name: str, message: Message | str) -> None:
        #: the name the problem is filed under: the project folder's name
        self.name = name
        self.message = message


def find_folder_plugins(dirs: Iterable[str | os.PathLike[str]]) -> tuple[list[FolderEntryPoint], list[FolderProblem]]:
    """Every plugin project under ``dirs``: their entry points, and the projects that cannot be read.

    Raises :class:`~ability2.errors.RegistryError` when a folder is missing, is not a folder,
    or neither is a plugin project nor holds one: the folders are the user's explicit
    choice, so a wrong one is an error whatever the loading mode.
    """
    found: list[FolderEntryPoint] = []
    problems: list[FolderProblem] = []
    errors: list[Message] = []
    seen: set[Path] = set()
    for given in dirs:
        folder = Path(given).expanduser()
        if not folder.exists():
            errors.append(msg("folders.no_such", folder=str(given)))
            continue
        if not folder.is_dir():
            errors.append(msg("folders.not_a_folder", folder=str(given)))
            continue
        folder = folder.resolve()
        if (folder / "pyproject.toml").is_file():
            projects = [folder]
        else:
            try:
                children = sorted(folder.iterdir())
            except OSError as exc:
                errors.append(msg("folders.unreadable", folder=str(given), reason=exc.strerror or str(exc)))
                continue
            projects = [
                child
                for child in children
                if child.is_dir() and not child.name.startswith((".", "_")) and (child / "pyproject.toml").is_file()
            ]
            if not projects:
                errors.append(msg("folders.no_project", folder=str(given)))
                continue
        for project in projects:
            if project in seen:
                continue
            seen.add(project)
            try:
                found.extend(_project_entry_points(project))
            except _Unreadable as exc:
                problems.append(FolderProblem(project.name, exc.args[0]))
    if errors:
        raise RegistryError(errors)
    return found, problems


class _Unreadable(Exception):
    """A plugin project whose ``pyproject.toml`` cannot be used."""


def _project_entry_points(project: Path) -> list[FolderEntryPoint]:
    import tomllib

    project_file = project / "pyproject.toml"
    try:
        with open(project_file, "rb") as handle:
            raw = handle.read(MAX_PYPROJECT_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(
            msg("folders.project_unreadable", file=str(project_file), reason=exc.strerror or str(exc))
        ) from None
    if len(raw) > MAX_PYPROJECT_BYTES:
        raise _Unreadable(msg("folders.project_too_large", file=str(project_file), kib=MAX_PYPROJECT_BYTES // 1024))
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _Unreadable(msg("folders.project_not_utf8", file=str(project_file))) from None
    except tomllib.TOMLDecodeError as exc:
        raise _Unreadable(msg("folders.project_not_toml", file=str(project_file), detail=str(exc))) from None
    table = data.get("project")
    table = table if isinstance(table, dict) else {}
    groups = table.get("entry-points")
    points = groups.get("ability2") if isinstance(groups, dict) else None
    if not isinstance(points, dict) or not points:
        raise _Unreadable(msg("folders.no_entry_point", file=str(project_file)))
    bad = [name for name, value in points.items() if not isinstance(value, str)]
    if bad:
        raise _Unreadable(msg("folders.entry_point_not_text", file=str(project_file), name=bad[0]))
    name, version = table.get("name"), table.get("version")
    return [
        FolderEntryPoint(
            str(key),
            str(value).strip(),
            project,
            project_file,
            name if isinstance(name, str) else None,
            version if isinstance(version, str) else None,
        )
        for key, value in points.items()
    ]


def _import_root(project: Path, top: str) -> Path | None:
    """Where module ``top`` lives in the project: ``src/`` first (the layout new-plugin writes), then the folder."""
    for root in (project / "src", project):
        if (root / top).is_dir() or (root / f"{top}.py").is_file():
            return root
    return None


def _import_top(top: str, root: Path) -> None:
    """Import top-level module ``top`` from folder ``root`` only (``sys.path`` is not changed).

    A module of that name imported before from elsewhere (an installed copy) is not replaced:
    that is an error naming both places. One this module imported from another folder (an
    earlier copy of the project) is forgotten first, with its sub-modules.
    """
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec

    location = str(root)
    existing = sys.modules.get(top)
    if existing is not None:
        if _IMPORTED.get(top) == location or _inside(existing, root):
            return
        if top not in _IMPORTED:
            where = getattr(existing, "__file__", None) or repr(existing)
            raise ImportError(msg("folders.module_imported_elsewhere", module=top, where=where, root=str(root)))
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]
    spec = PathFinder.find_spec(top, [location])
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(msg("folders.module_cannot_import", module=top, root=str(root)))
    module = module_from_spec(spec)
    sys.modules[top] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]
        _IMPORTED.pop(top, None)
        raise
    _IMPORTED[top] = location


def _inside(module: Any, root: Path) -> bool:
    """Whether an imported module's file lies in ``root`` (the same copy, e.g. installed editable)."""
    paths: Sequence[str] = list(getattr(module, "__path__", None) or ()) or [getattr(module, "__file__", None) or ""]
    for path in paths:
        if not path:
            continue
        try:
            Path(path).resolve().relative_to(root.resolve())
        except (ValueError, OSError):
            continue
        return True
    return False
