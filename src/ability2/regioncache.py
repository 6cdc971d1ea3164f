"""The region tree of the installed plugins, kept from one ``ability2 regions`` to the next.

``ability2 regions`` lists what :func:`ability2.load_registry` serves, and loading the registry
means importing the rule kinds and the framework and building every rule of every layer: far
more than a list of some twenty regions needs. When a full load of the registry finds nothing
wrong, the command keeps its region tree (:func:`store`) under a key (:func:`tree_key`) that
names everything the load depended on; the next ``regions`` computes the key again and, when an
entry under it exists, prints its tree (:func:`lookup`) without building the registry.

The key is computed afresh every time, the way the registry starts a load: the installed
entry points are imported and registered with pluggy, the hook names checked, and each plugin's
``ability2_policy_files`` hook called. It names, by SHA-256:

* the bytes of every policy file the hooks return (with the plugin and the file's name);
* ability2 itself: the size and modification time of every file of the package (its code,
  the national framework's data), which change with any edit, install or upgrade;
* the environment: the Python version, and the modification time of every folder on
  ``sys.path`` (installing or removing any distribution there changes it);
* strict or tolerant loading (``ABILITY2_STRICT_PLUGINS``), and the cache's format.

Where the load could depend on more, there is no key and the registry is loaded: a plugin that
fails to import, implements a hook other than ``ability2_policy_files`` (rule kinds, specs,
sheets: its code is part of the answer), or whose hook raises; a file that cannot be read. A
load that left out a plugin (a broken file) is never kept: its warnings are the command's
work. An entry is JSON, read through the same checks as the YAML cache's
(:mod:`ability2.yamlcache`: bounded, checked, written atomically), and ``ABILITY2_CACHE_DIR``
moves or turns off both.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["LEVELS", "NO_INSTALLED_ENV", "PLUGINS_DIR_ENV", "STRICT_ENV", "lookup", "store", "tree_key"]

#: the environment variable that makes loading strict by default (``1``, ``true``, ``yes`` or ``on``)
STRICT_ENV = "ABILITY2_STRICT_PLUGINS"
#: the environment variable that keeps installed plugins out by default (``1``, ``true``, ``yes`` or ``on``):
#: only the plugin folders (:envvar:`ABILITY2_PLUGINS_DIR`) and the core are loaded
NO_INSTALLED_ENV = "ABILITY2_NO_INSTALLED_PLUGINS"
#: the environment variable naming plugin folders to load (:mod:`ability2.plugindirs`), separated by
#: :data:`os.pathsep` (``:`` on Linux and macOS, ``;`` on Windows)
PLUGINS_DIR_ENV = "ABILITY2_PLUGINS_DIR"
#: the region levels an entry may name (:class:`ability2.model.Level`'s values)
LEVELS = ("nation", "province", "city", "county", "school")
#: the layout of an entry; another number is another cache
FORMAT = 1
_FIELDS = ("id", "name", "level", "parent", "code", "name_en")
#: the most bytes an entry may hold (a tree of thousands of regions is far less)
_LARGEST = 4 * 1024 * 1024
_POLICY_HOOK = "ability2_policy_files"
_ENTRY_POINT_GROUP = "ability2"


def strict_default() -> bool:
    """Whether :data:`STRICT_ENV` asks for strict loading."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _folder() -> Path | None:
    from ability2.yamlcache import cache_root

    root = cache_root()
    return None if root is None else root / f"regions-{FORMAT}"


def tree_key(strict: bool) -> str | None:
    """The key of the installed plugins' region tree, or ``None`` where it cannot be known without loading."""
    if _folder() is None:
        return None
    if os.environ.get(PLUGINS_DIR_ENV, "").strip() or os.environ.get(NO_INSTALLED_ENV, "").strip():
        return None  # plugin folders, or installed plugins left out: the tree is not the installed one
    import pluggy

    from ability2 import hookspecs
    from ability2.discovery import entry_points
    from ability2.yamlcache import sha256

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    try:
        for entry_point in entry_points(_ENTRY_POINT_GROUP):
            if manager.get_plugin(entry_point.name) is not None:
                continue
            manager.register(entry_point.load(), name=entry_point.name)
        manager.check_pending()
    except Exception:  # a plugin that fails to import or misspells a hook: the registry tells
        return None
    files: list[tuple[str, str, str]] = []
    for plugin in manager.get_plugins():
        hooks = {caller.name for caller in manager.get_hookcallers(plugin) or ()}
        if hooks - {_POLICY_HOOK}:
            return None  # its code takes part in the load
    try:
        for impl in manager.hook.ability2_policy_files.get_hookimpls():
            returned: Any = impl.function()
            for source in returned or ():
                files.append((impl.plugin_name, str(source), sha256(_read_bytes(source)).hexdigest()))
    except Exception:  # a hook that raises, a file that cannot be read: the registry tells
        return None
    described = {
        "format": FORMAT,
        "python": sys.version,
        "strict": strict,
        "ability2": _package_signature(),
        "paths": _path_signature(sys.path),
        "files": sorted(files),
        "plugins": sorted(name for name, _ in manager.list_name_plugin()),
    }
    return str(sha256(json.dumps(described, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest())


def _read_bytes(source: Any) -> bytes:
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    data = source.read_bytes()
    if not isinstance(data, bytes):
        raise TypeError("not bytes")
    return data


def _package_signature() -> list[tuple[str, int, int]]:
    """Every file of the ability2 package (not its byte-code): path, size, modification time."""
    here = os.path.dirname(os.path.abspath(__file__))
    out: list[tuple[str, int, int]] = []
    stack = [here]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as found:
            for item in found:
                if item.is_dir(follow_symlinks=False):
                    if item.name != "__pycache__":
                        stack.append(item.path)
                    continue
                status = item.stat()
                out.append((os.path.relpath(item.path, here), status.st_size, status.st_mtime_ns))
    out.sort()
    return out


def _path_signature(paths: Iterable[Any]) -> list[tuple[str, int]]:
    """Each folder of ``sys.path`` with its modification time (``-1``: none there)."""
    out = []
    for entry in paths:
        if not isinstance(entry, str):
            continue
        try:
            out.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            out.append((entry, -1))
    return out


def lookup(key: str) -> list[dict[str, str | None]] | None:
    """The region tree kept under ``key`` (regions as ``ability2 regions`` lists them), or ``None``."""
    from ability2.yamlcache import read_entry

    folder = _folder()
    if folder is None:
        return None
    raw = read_entry(folder / f"{key}.json", _LARGEST)
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not (isinstance(stored, dict) and stored.get("format") == FORMAT and stored.get("key") == key):
        return None
    regions = stored.get("regions")
    if not isinstance(regions, list) or not regions:
        return None
    for region in regions:
        if not (isinstance(region, dict) and tuple(region) == _FIELDS):
            return None
        if not (isinstance(region["id"], str) and isinstance(region["name"], str) and region["level"] in LEVELS):
            return None
        if not all(region[field] is None or isinstance(region[field], str) for field in ("parent", "code", "name_en")):
            return None
    return regions


def store(key: str, regions: Sequence[Any]) -> None:
    """Keep the tree of :class:`~ability2.model.Region` objects ``regions`` under ``key`` (silently nothing where it cannot)."""
    from ability2.yamlcache import write_entry

    folder = _folder()
    if folder is None:
        return
    rows = [
        {
            "id": region.id,
            "name": region.name,
            "level": region.level.value,
            "parent": region.parent,
            "code": region.code,
            "name_en": region.name_en,
        }
        for region in regions
    ]
    content = json.dumps({"format": FORMAT, "key": key, "regions": rows}, ensure_ascii=False, indent=0)
    write_entry(folder / f"{key}.json", content.encode("utf-8"))
