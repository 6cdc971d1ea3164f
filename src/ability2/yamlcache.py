"""A cache of parsed policy YAML on disk, so that a command's start reads JSON, not YAML.

Every command that loads the registry parses the national framework's and every plugin's
policy files: some 250 KB of YAML, a third of ``ability2 regions``' time with PyYAML's import.
:func:`read_cached` gives what :func:`ability2.yamlio.read_yaml` gives, and keeps each file it
parses as a JSON file in the user's cache folder; the next process reads that JSON (the
standard library's C parser) and imports no PyYAML at all.

What is safe about it:

* **JSON only.** The cache holds data, never code (no pickle, no marshal): values are
  rebuilt from a closed set of types (text, numbers, booleans, null, dates, lists, mappings)
  and anything else makes the entry unusable.
* **Keyed by content.** An entry's name is the SHA-256 of the file's text, the cache's format
  and ability2's YAML reader (the size and modification time of its modules, which change with
  every install or upgrade): an edited file, another ability2 or another format is another
  name, and an entry is never "stale". The entry repeats its key, which is checked.
* **Checked when read.** A truncated, corrupt or foreign entry (bad JSON, a key that is not
  the one asked for, a value of an unknown kind, a duplicate key, a tree that does not fit
  the data) is ignored: the file is parsed again and the entry rewritten. An entry larger than
  the limits allow a YAML file is not read.
* **Within the limits in force.** Each entry records its values and depth as the YAML reader
  counts them; a file past the limits of this run (``--limit max_yaml_values=...``) is read
  by the YAML reader, which refuses it with its usual message.
* **Written atomically.** An entry is written to a temporary file in the same folder and
  renamed into place: two processes writing at once each rename a whole file, and a reader
  sees a whole entry or none. Failing to write (a read-only home, a full disk) is silent;
  the cache is an optimisation.
* **Yours.** An entry another user owns is not read (a cache folder shared by several users
  could otherwise hold another's data under the right name); the folder is made ``0700``.
* **Bounded.** At most :data:`MAX_ENTRIES` entries are kept; writing one past that removes the
  oldest.

Where: ``$ABILITY2_CACHE_DIR`` when set (``off`` turns the cache off), else ``ability2``
under the platform's cache folder: ``$XDG_CACHE_HOME`` or ``~/.cache`` (Linux and other
Unixes), ``~/Library/Caches`` (macOS), ``%LOCALAPPDATA%`` (Windows).

Only files the registry loads (the framework's and the plugins' policy data) go through the
cache; YAML that arrives with a request or a command (a what-if file, scores) does not.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from ability2.yamldoc import LineTree, YamlDocument

__all__ = [
    "CACHE_ENV",
    "MAX_ENTRIES",
    "cache_folder",
    "cache_root",
    "read_cached",
    "read_entry",
    "sha256",
    "write_entry",
]

#: the environment variable that moves the cache (a folder) or turns it off (``off``)
CACHE_ENV = "ABILITY2_CACHE_DIR"
#: the most entries kept; writing one more removes the oldest
MAX_ENTRIES = 256
#: the layout of an entry; another number is another cache
FORMAT = 1
#: the modules whose code decides what a file parses to: their signature is part of every key
_READER_MODULES = ("yamlio.py", "yamldoc.py", "yamlcache.py")
_OFF = frozenset({"off", "0", "false", "no", "none"})
_SUBFOLDER = f"yaml-{FORMAT}"
#: tags of the JSON values that are not plain JSON: a mapping whose keys are not all plain text,
#: dates, and a mapping or list the data holds in several places (an alias), first stated whole
#: (anchor) and then referred to (as the YAML reader shares one object, so does the cache)
_MAP, _DATE, _DATETIME, _ANCHOR, _REFERENCE = "\x00m", "\x00d", "\x00t", "\x00a", "\x00r"

_signature: str | None = None


def cache_root() -> Path | None:
    """ability2's cache folder, or ``None`` when the cache is off (see the module's text)."""
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen.lower() in _OFF:
        return None
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "").strip()
        root = Path(base) if base else Path.home() / "AppData" / "Local"
        return root / "ability2" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ability2"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return root / "ability2"


def cache_folder() -> Path | None:
    """The folder parsed YAML is kept in (under :func:`cache_root`), or ``None`` when the cache is off."""
    root = cache_root()
    return None if root is None else root / _SUBFOLDER


def sha256(data: bytes) -> Any:
    """A SHA-256 hash object of ``data``, from the interpreter's own module where it has one.

    ``hashlib`` loads OpenSSL first, which costs a command's start more than everything the
    cache reads; the digest is the same.
    """
    try:
        from _sha2 import sha256 as made  # type: ignore[import-not-found,unused-ignore]  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256 as made  # type: ignore[import-not-found,no-redef,unused-ignore]  # 3.11
        except ImportError:  # pragma: no cover - a build without them
            from hashlib import sha256 as made  # type: ignore[assignment,unused-ignore]
    return made(data)


def _reader_signature() -> str:
    """ability2's YAML reader as a few numbers: its modules' sizes and modification times."""
    global _signature
    if _signature is None:
        here = os.path.dirname(os.path.abspath(__file__))
        parts = [str(FORMAT)]
        for module in _READER_MODULES:
            try:
                status = os.stat(os.path.join(here, module))
                parts.append(f"{module}:{status.st_size}:{status.st_mtime_ns}")
            except OSError:
                parts.append(f"{module}:?")
        _signature = ";".join(parts)
    return _signature


def _key(text: str) -> str:
    digest = sha256(_reader_signature().encode())
    digest.update(b"\x00")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return str(digest.hexdigest())


def read_cached(text: str, name: str) -> YamlDocument:
    """:func:`ability2.yamlio.read_yaml` of ``text`` (file ``name``), through the cache.

    The answer, and any :class:`~ability2.errors.PolicyFileError` raised, are the YAML
    reader's; only a file that parses is cached.
    """
    from ability2.limits import current

    folder = cache_folder()
    limits = current()
    if folder is None or len(text) > limits.max_yaml_chars:
        return _parse(text, name)
    key = _key(text)
    entry = folder / f"{key}.json"
    found = _load(entry, key, name, _largest_entry(text))
    if found is not None:
        document, values, depth = found
        if values <= limits.max_yaml_values and depth <= limits.max_yaml_depth:
            return document
        return _parse(text, name)  # past this run's limits: the reader refuses it, with its message
    document = _parse(text, name)
    _store(entry, key, document, len(text))
    return document


def _parse(text: str, name: str) -> YamlDocument:
    from ability2.yamlio import read_yaml

    return read_yaml(text, name)


# -- reading an entry ---------------------------------------------------------------------


class _Unusable(Exception):
    """The entry is not one this version wrote for this text: parse the file again."""


def _largest_entry(text: str) -> int:
    """The most bytes an entry of ``text`` may hold: a few times its YAML (UTF-8 bytes, lines, tags); more is not ours."""
    return 16 * len(text) + 4096


def read_entry(entry: Path, largest: int) -> bytes | None:
    """An entry's bytes, or ``None`` when it is missing, unreadable or larger than ``largest`` bytes."""
    try:
        with open(entry, "rb") as handle:
            # another user's file is not read (a shared folder): it could hold other data under a right name
            owner = getattr(os, "geteuid", None)
            if owner is not None and os.fstat(handle.fileno()).st_uid != owner():
                return None
            raw = handle.read(largest + 1)
    except OSError:
        return None
    return None if len(raw) > largest else raw


def write_entry(entry: Path, content: bytes) -> None:
    """Write ``content`` as ``entry`` atomically (a temporary file renamed); nothing, silently, where it cannot."""
    folder = entry.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # a name no other process picks (tempfile is not imported for this: start-up time)
        temporary = folder / f".tmp-{os.getpid()}-{os.urandom(6).hex()}.json"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            os.replace(temporary, entry)
        except BaseException:
            with _quietly():
                os.unlink(temporary)
            raise
        _prune(folder)
    except OSError:
        return


def _load(entry: Path, key: str, name: str, largest: int) -> tuple[YamlDocument, int, int] | None:
    """The document an entry holds, with its values and depth; ``None`` when missing or unusable."""
    try:
        raw = read_entry(entry, largest)
        if raw is None:
            return None
        stored = json.loads(raw, object_pairs_hook=_Objects())
        if not isinstance(stored, dict) or stored.get("format") != FORMAT or stored.get("key") != key:
            return None
        values, depth, data, lines = stored["values"], stored["depth"], stored["data"], stored["lines"]
        if not (type(values) is int and type(depth) is int and values >= 1 and depth >= 0):
            return None
        if not _fits(data, lines, depth):
            return None
    except (OSError, ValueError, TypeError, KeyError, RecursionError, _Unusable):
        return None
    return YamlDocument(name, data, None, lines=lines), values, depth


class _Objects:
    """The JSON objects of one entry: tagged values, or mappings of plain text keys (no key twice)."""

    def __init__(self) -> None:
        self.anchors: dict[int, Any] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> Any:
        if len(pairs) == 1 and pairs[0][0][:1] == "\x00":
            return self.tagged(*pairs[0])
        mapping = dict(pairs)
        if len(mapping) != len(pairs) or any(key[:1] == "\x00" for key in mapping):
            raise _Unusable
        return mapping

    def tagged(self, tag: str, value: Any) -> Any:
        if tag == _MAP and isinstance(value, list):
            mapping: dict[Any, Any] = {}
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise _Unusable
                key, item = pair
                if isinstance(key, list | dict) or key in mapping:
                    raise _Unusable
                mapping[key] = item
            return mapping
        if tag == _DATE and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if tag == _DATETIME and isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        if tag == _ANCHOR and isinstance(value, list) and len(value) == 2:
            number, shared = value
            if number != len(self.anchors) or not isinstance(shared, list | dict):
                raise _Unusable
            self.anchors[number] = shared
            return shared
        if tag == _REFERENCE and type(value) is int and value in self.anchors:
            return self.anchors[value]
        raise _Unusable


def _fits(data: Any, lines: LineTree, max_depth: int) -> bool:
    """Whether ``lines`` is a line tree of ``data``'s shape no deeper than ``max_depth`` (iteratively)."""
    stack: list[tuple[Any, Any, int]] = [(data, lines, 0)]
    while stack:
        value, tree, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= max_depth or not (isinstance(tree, list) and len(tree) == 3 and _is_line(tree[0])):
                return False
            kind, children = tree[1], tree[2]
            if not isinstance(children, list) or len(children) != len(value):
                return False
            if isinstance(value, dict):
                if kind != "m":
                    return False
                for (key_text, key_line, child), item in zip(children, value.values(), strict=True):
                    if not (isinstance(key_text, str) and _is_line(key_line)):
                        return False
                    stack.append((item, child, depth + 1))
            else:
                if kind != "s":
                    return False
                stack.extend((item, child, depth + 1) for item, child in zip(value, children, strict=True))
        elif not _is_line(tree):
            return False
    return True


def _is_line(value: Any) -> bool:
    return type(value) is int and value >= 1


# -- writing an entry ---------------------------------------------------------------------


def _store(entry: Path, key: str, document: YamlDocument, budget: int) -> None:
    """Write the entry for ``document`` atomically; silently nothing where it cannot be cached or written."""
    from ability2.yamldoc import line_tree

    root = getattr(document, "_root", None)
    if root is None:
        return
    shape = line_tree(root, budget)
    if shape is None:
        return  # aliases that multiply the file, or keys that are not scalars: left to the reader
    lines, values, depth = shape
    try:
        data = _Plain(document.data).value(document.data, depth)
    except _Unusable:
        return
    if not _fits(document.data, lines, depth):
        return  # the data is not the node tree's shape (a merge key): left to the reader
    try:
        content = json.dumps(
            {"format": FORMAT, "key": key, "values": values, "depth": depth, "data": data, "lines": lines},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
    except ValueError:  # text UTF-8 cannot hold (a lone surrogate)
        return
    write_entry(entry, content)


class _Plain:
    """Data as the JSON an entry holds (see :class:`_Objects`); :class:`_Unusable` for anything else."""

    def __init__(self, data: Any) -> None:
        # the mappings and lists found more than once (the YAML reader shares an alias's value)
        seen: set[int] = set()
        self.shared: set[int] = set()
        stack = [data]
        while stack:
            value = stack.pop()
            if type(value) is dict or type(value) is list:
                if id(value) in seen:
                    self.shared.add(id(value))
                    continue
                seen.add(id(value))
                stack.extend(value.values() if type(value) is dict else value)
        self.numbers: dict[int, int] = {}

    def value(self, value: Any, depth: int) -> Any:
        if depth < 0:
            raise _Unusable
        kind = type(value)
        if kind is str or kind is bool or kind is int or kind is float or value is None:
            return value
        if kind is dt.date:
            return {_DATE: value.isoformat()}
        if kind is dt.datetime:
            return {_DATETIME: value.isoformat()}
        if kind is not list and kind is not dict:
            raise _Unusable
        if id(value) in self.numbers:
            return {_REFERENCE: self.numbers[id(value)]}
        if kind is list:
            out: Any = [self.value(item, depth - 1) for item in value]
        elif all(type(key) is str and key[:1] != "\x00" for key in value):
            out = {key: self.value(item, depth - 1) for key, item in value.items()}
        else:
            out = {_MAP: [[self.value(key, 0), self.value(item, depth - 1)] for key, item in value.items()]}
        if id(value) in self.shared:
            number = self.numbers[id(value)] = len(self.numbers)
            return {_ANCHOR: [number, out]}
        return out


def _prune(folder: Path) -> None:
    """Keep the newest :data:`MAX_ENTRIES` entries (and no temporary file older than a minute)."""
    import time

    try:
        names = os.listdir(folder)
    except OSError:
        return
    if len(names) <= MAX_ENTRIES:
        return
    dated: list[tuple[int, str]] = []
    for file_name in names:
        with _quietly():
            stamp = os.stat(os.path.join(folder, file_name)).st_mtime_ns
            if file_name.startswith(".tmp-"):
                if stamp < (time.time() - 60) * 1e9:
                    os.unlink(os.path.join(folder, file_name))
                continue
            if file_name.endswith(".json"):
                dated.append((stamp, file_name))
    dated.sort()
    for _, file_name in dated[: max(0, len(dated) - MAX_ENTRIES)]:
        with _quietly():
            os.unlink(os.path.join(folder, file_name))


class _quietly:
    """Ignore an OSError (a file another process removed or renamed meanwhile)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: object, trace: object) -> bool:
        return isinstance(error, OSError)
