"""The parse cache of policy YAML (issue 11, target 6): what it gives is what the YAML reader gives.

An entry is JSON in the cache folder, named by the file's content; a corrupt, truncated,
foreign or tampered entry is ignored and rewritten; a file past this run's limits is refused
as without the cache; two processes may fill the cache at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2 import yamlcache
from ability2.datafiles import package_folder
from ability2.errors import PolicyFileError
from ability2.limits import limited
from ability2.yamlcache import CACHE_ENV, cache_folder, read_cached
from ability2.yamldoc import YamlDocument
from ability2.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[1]
#: every YAML file the registry loads from this checkout: the framework's and the seed plugins' policies
SEED_FILES = sorted(
    [
        *(ROOT / "src" / "ability2" / "framework" / "data").glob("*.yaml"),
        *(ROOT / "plugins").glob("*/src/*/policies/*.yaml"),
    ]
)

SAMPLE = textwrap.dedent(
    """\
    region: {id: cn, name: 全国, level: nation}
    documents:
      doc:
        title: 标题
        date: 2019-03-20
    rules:
      hours.total_min:
        - value: 50
          bound: 不少于
          source: {document: doc, clause: 一}
        - value: 1.5
          from: 2022-01-01 10:30:00
    """
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (the entries are under its ``yaml-N`` subfolder)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    found = cache_folder()
    assert found is not None and found.parent == tmp_path / "cache"
    return found


def typed(value: Any) -> Any:
    """``value`` with the type of every part spelled out (1, 1.0 and True are equal in Python, not here)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into ``value``, and a few that lead nowhere."""
    yield prefix
    yield (*prefix, "no such key")
    yield (*prefix, 99)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key if isinstance(key, str | int) else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def same_document(cached: YamlDocument, read: YamlDocument) -> None:
    assert cached.name == read.name
    assert typed(cached.data) == typed(read.data)
    for path in paths(read.data):
        assert cached.line_of(path) == read.line_of(path), path


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def test_the_default_folder_follows_the_platform_and_the_variable_moves_or_stops_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "ability2" / f"yaml-{yamlcache.FORMAT}"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")  # the XDG spec: ignore a relative path
    assert cache_folder() == Path.home() / ".cache" / "ability2" / f"yaml-{yamlcache.FORMAT}"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache_folder() == Path.home() / "Library" / "Caches" / "ability2" / f"yaml-{yamlcache.FORMAT}"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert cache_folder() == tmp_path / "local" / "ability2" / "Cache" / f"yaml-{yamlcache.FORMAT}"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "moved"))
    assert cache_folder() == tmp_path / "moved" / f"yaml-{yamlcache.FORMAT}"
    for off in ("off", "OFF", "0", "none"):
        monkeypatch.setenv(CACHE_ENV, off)
        assert cache_folder() is None


def test_off_writes_nothing_and_reads_as_the_reader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    same_document(read_cached(SAMPLE, "a.yaml"), read_yaml(SAMPLE, "a.yaml"))
    assert not any(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_file_reads_the_same_parsed_and_from_its_entry(folder: Path, path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    expected = read_yaml(text, str(path))
    first = read_cached(text, str(path))  # parsed, and written
    assert len(entries(folder)) == 1
    second = read_cached(text, str(path))  # read from the entry
    assert second._root is None and second._lines is not None  # it did come from the entry
    same_document(first, expected)
    same_document(second, expected)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["\x00d", "\x00m", "\x00", "yes", "on", "2021-02-30", "1_000", ".nan", "~"]),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))])),
)
keys = st.one_of(
    st.text(max_size=5), st.sampled_from(["\x00d", "\x00m"]), st.integers(-3, 3), st.booleans(), st.none(), st.dates()
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=30,
)


@st.composite
def shared(draw: st.DrawFn) -> Any:
    """A tree whose parts may recur (the dumper writes them once with an anchor, then as aliases)."""
    parts = draw(st.lists(trees, min_size=1, max_size=3))
    return draw(
        st.recursive(
            st.one_of(scalars, st.sampled_from(parts)),
            lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
            max_leaves=12,
        )
    )


def sharing(data: Any) -> list[int]:
    """Which containers are the same object: the n-th container met is the m-th first met."""
    order: dict[int, int] = {}
    out: list[int] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict | list):
            out.append(order.setdefault(id(value), len(order)))
            if out[-1] == len(order) - 1 and out.count(out[-1]) == 1:
                stack.extend(reversed(list(value.values()) if isinstance(value, dict) else value))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=shared(), flow=st.booleans())
def test_any_data_reads_back_with_its_types_and_lines(folder: Path, data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    try:
        expected = read_yaml(text, "h.yaml")
    except PolicyFileError:
        with pytest.raises(PolicyFileError):
            read_cached(text, "h.yaml")
        assert not entries(folder)
        return
    for _ in range(2):  # parsed and written, then (when cached) read from the entry
        document = read_cached(text, "h.yaml")
        same_document(document, expected)
        assert sharing(document.data) == sharing(expected.data)


def test_an_edited_file_is_another_entry(folder: Path) -> None:
    first = read_cached(SAMPLE, "a.yaml")
    edited = SAMPLE.replace("value: 50", "value: 60")
    second = read_cached(edited, "a.yaml")
    assert first.data["rules"]["hours.total_min"][0]["value"] == 50
    assert second.data["rules"]["hours.total_min"][0]["value"] == 60
    assert read_cached(edited, "a.yaml").data["rules"]["hours.total_min"][0]["value"] == 60
    assert len(entries(folder)) == 2


def test_another_version_of_the_reader_does_not_read_this_ones_entries(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_cached(SAMPLE, "a.yaml")
    monkeypatch.setattr(yamlcache, "_signature", "another ability2")
    document = read_cached(SAMPLE, "a.yaml")
    assert document._root is not None  # parsed, not read from the other reader's entry
    assert len(entries(folder)) == 2


def entry_for(folder: Path, text: str) -> Path:
    read_cached(text, "a.yaml")
    (entry,) = entries(folder)
    return entry


def tampered(original: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """Entries a crash, a disk, another program or a person could leave in place of this one."""
    whole = json.dumps(original, ensure_ascii=False).encode()
    yield "empty", b""
    yield "truncated", whole[: len(whole) // 2]
    yield "not JSON", b"\x80\x81 not json at all"
    yield "not UTF-8 JSON", whole.replace("全国".encode(), b"\xff\xfe")
    yield "a list", b"[1, 2, 3]"
    yield "another format", json.dumps({**original, "format": 99}).encode()
    yield "another key (a foreign entry)", json.dumps({**original, "key": "0" * 64}).encode()
    yield "no data", json.dumps({k: v for k, v in original.items() if k != "data"}).encode()
    yield "values not a count", json.dumps({**original, "values": "many"}).encode()
    yield "an unknown tag", whole.replace(b'"\\u0000d"', b'"\\u0000x"')
    yield "a date that is not one", whole.replace(b'"2019-03-20"', b'"2019-02-30"')
    yield "a key twice", whole.replace(b'"documents"', b'"region"', 1)
    yield "lines of another shape", json.dumps({**original, "lines": [1, "s", []]}).encode()
    yield "a line that is not one", json.dumps({**original, "lines": 0}).encode()
    yield "too large", whole + b" " * yamlcache._largest_entry(SAMPLE)


def test_a_damaged_or_foreign_entry_is_ignored_and_rewritten(folder: Path) -> None:
    expected = read_yaml(SAMPLE, "a.yaml")
    entry = entry_for(folder, SAMPLE)
    original = json.loads(entry.read_text(encoding="utf-8"))
    assert original["key"] == entry.stem
    assert b'"\\u0000d"' in entry.read_bytes()  # the date is tagged as one (tampered below)
    for label, content in tampered(original):
        entry.write_bytes(content)
        document = read_cached(SAMPLE, "a.yaml")
        assert document._root is not None, label  # parsed again, not read from the entry
        same_document(document, expected)
        assert json.loads(entry.read_text(encoding="utf-8")) == original, label  # and the entry rewritten
        same_document(read_cached(SAMPLE, "a.yaml"), expected)


def test_an_entry_never_lets_a_file_past_this_runs_limits(folder: Path) -> None:
    big = "items:\n" + "".join(f"  - {i}\n" for i in range(300))
    read_cached(big, "big.yaml")  # cached under the default limits
    with limited(max_yaml_values=100), pytest.raises(PolicyFileError) as cached:
        read_cached(big, "big.yaml")
    with limited(max_yaml_values=100), pytest.raises(PolicyFileError) as read:
        read_yaml(big, "big.yaml")
    assert cached.value.problems == read.value.problems
    deep = "a:" + "".join(f"\n{'  ' * i}b{i}:" for i in range(1, 12)) + " 1\n"
    read_cached(deep, "deep.yaml")
    with limited(max_yaml_depth=5), pytest.raises(PolicyFileError) as cached:
        read_cached(deep, "deep.yaml")
    with limited(max_yaml_depth=5), pytest.raises(PolicyFileError) as read:
        read_yaml(deep, "deep.yaml")
    assert cached.value.problems == read.value.problems


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a duplicate key
        "a: [1, 2\n",  # malformed
        "d: 2021-02-30\n",  # an impossible date
        "? [1, 2]\n: 3\n",  # a key that is a list
        "b: !!binary aGVsbG8=\n",  # bytes: not JSON
        "s: !!set {a, b}\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # a merge key
    ],
)
def test_what_the_reader_refuses_or_json_cannot_hold_is_not_cached(folder: Path, text: str) -> None:
    try:
        expected: Any = typed(read_yaml(text, "a.yaml").data)
    except PolicyFileError as exc:
        expected = exc.problems
    try:
        got: Any = typed(read_cached(text, "a.yaml").data)
    except PolicyFileError as exc:
        got = exc.problems
    assert got == expected
    assert not entries(folder)


def test_an_alias_reads_back_as_one_shared_value_and_a_file_of_aliases_of_aliases_is_not_cached(folder: Path) -> None:
    text = "a: &x {k: [1, 2]}\nb: *x\nc: [*x, &y [3], *y]\nd: &s text\ne: *s\n"
    expected = read_yaml(text, "a.yaml")
    read_cached(text, "a.yaml")
    cached = read_cached(text, "a.yaml")
    assert cached._root is None  # from the entry
    same_document(cached, expected)
    data = cached.data
    assert data["a"] is data["b"] is data["c"][0]  # shared, as the reader shares it
    assert data["c"][1] is data["c"][2]
    bomb = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n"
    read_cached(bomb, "bomb.yaml")
    assert len(entries(folder)) == 1  # the expansion is far larger than the file: not cached


def test_an_unwritable_folder_only_costs_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    same_document(read_cached(SAMPLE, "a.yaml"), read_yaml(SAMPLE, "a.yaml"))


def test_the_cache_keeps_at_most_its_bound_of_entries(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlcache, "MAX_ENTRIES", 5)
    for i in range(12):
        read_cached(f"n: {i}\n", "a.yaml")
        os.utime(entries(folder)[0], ns=(i, i))  # distinct ages, whatever the clock's resolution
    assert len(entries(folder)) <= 5
    assert not list(folder.glob(".tmp-*"))
    assert read_cached("n: 11\n", "a.yaml").data == {"n": 11}


LOAD = (
    "import sys, ability2\n"
    "registry = ability2.load_registry(strict=True)\n"
    "print(len(registry.regions()), 'yaml' in sys.modules)\n"
)


def test_a_second_process_reads_no_yaml_and_many_at_once_share_one_cache(tmp_path: Path) -> None:
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    first = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    count, yaml_imported = first.stdout.split()
    assert yaml_imported == "True"  # the first process parsed the files
    folder = tmp_path / "cache" / f"yaml-{yamlcache.FORMAT}"
    written = {p.name: p.read_bytes() for p in entries(folder)}
    assert len(written) >= len(SEED_FILES)
    second = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert second.stdout.split() == [count, "False"]
    # four processes filling an empty cache at once: each loads every region, the entries are whole
    env[CACHE_ENV] = str(tmp_path / "fresh")
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert all(out.split()[0] == count for out, _ in outputs)
    fresh = tmp_path / "fresh" / f"yaml-{yamlcache.FORMAT}"
    assert {p.name: p.read_bytes() for p in entries(fresh)} == written
    assert not list(fresh.glob(".tmp-*"))


def test_the_national_framework_is_the_same_from_the_cache(folder: Path) -> None:
    from ability2.framework import loading

    data = package_folder("ability2.framework") / "data"
    assert {p.name for p in Path(str(data)).glob("*.yaml")} <= {p.name for p in SEED_FILES}
    first = loading.load_bundled_framework()
    second = loading.load_bundled_framework()
    assert first == second


def test_an_entry_another_user_owns_is_not_read(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = entry_for(folder, SAMPLE)
    assert yamlcache.read_entry(entry, 10**6) is not None
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(entry).st_uid + 1)  # as if the file were another's
    assert yamlcache.read_entry(entry, 10**6) is None
    assert read_cached(SAMPLE, "a.yaml")._root is not None  # parsed, not read from the entry
