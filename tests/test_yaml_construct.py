"""read_yaml's one-walk construction gives what PyYAML's loader gives, and every refusal the reference path gives.

The reference path is the loader's own: ``_check_size`` (nesting, values once aliases are
expanded), then ``construct_document``. read_yaml falls back to it wherever its own walk is
not sure; these tests check that the walk, where it answers, answers the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ability2 import yamlio
from ability2.errors import PolicyFileError
from ability2.limits import limited
from ability2.messages import language
from ability2.yamlio import read_yaml


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["yes", "no", "on", "off", "0x1F", "1_000", "0o17", "1:30", ".inf", "~", "2021-02-30", "<<", "="]),
    st.dates(),
    st.datetimes(),
    st.binary(max_size=4),
)
keys = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.booleans(), st.none(), st.dates())


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=25,
    )


@st.composite
def shared(draw: st.DrawFn) -> Any:
    """A tree whose parts may recur (the dumper writes them once, with an anchor, then as aliases)."""
    parts = draw(st.lists(trees(scalars), min_size=1, max_size=3))
    picks = st.sampled_from(parts)
    return draw(trees(st.one_of(scalars, picks)))


def walked(text: str) -> None:
    """Label the example: did the walk answer, or leave it to the reference path?"""
    loader = yamlio._StrictLoader(text)
    try:
        yamlio._construct(loader, loader.get_single_node(), 64, 1_000_000)
    except Exception:
        event("the reference path answers")
    else:
        event("the walk answers")
    finally:
        loader.dispose()


def outcome(text: str) -> tuple[str, Any]:
    """read_yaml's data (with its repr, which tells 1 from True and dates from datetimes), or its problems."""
    try:
        data = read_yaml(text, "t.yaml").data
    except PolicyFileError as exc:
        return "refused", [(p.file, p.path, p.message, p.line) for p in exc.problems]
    return "data", (data, repr(data), sharing(data))


def sharing(data: Any) -> list[int]:
    """Which containers are the same object: the n-th container seen is the m-th first seen."""
    order: dict[int, int] = {}
    out: list[int] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict | list):
            out.append(order.setdefault(id(value), len(order)))
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)

    walk(data)
    return out


def reference(text: str) -> tuple[str, Any]:
    """The outcome of the loader's own path: the walk always declines."""

    def decline(*args: Any) -> Any:
        raise yamlio._NotPlain

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlio, "_construct", decline)
        return outcome(text)


@settings(max_examples=200, deadline=None)
@given(data=shared(), flow=st.sampled_from([None, True, False]), unicode=st.booleans())
def test_dumped_documents_load_as_pyyaml_safe_loader_loads_them(data: Any, flow: bool | None, unicode: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    walked(text)
    kind, value = outcome(text)
    assert kind == "data"
    assert value[0] == expected
    assert value[1] == repr(expected)
    assert value[2] == sharing(expected)
    assert (kind, value) == reference(text)


FRAGMENTS = [
    "a: 1",
    "b: yes",
    "on: 2022-01-01",
    "c: 2021-02-30",
    "d: 2022-04-07 10:30:00",
    "e: 0x1F",
    "f: 1:30",
    "g: .inf",
    "h: ~",
    "i: &x [1, 2, {j: 3}]",
    "k: *x",
    "l: [*x, *x]",
    "a: 2",
    "m: {<<: *x}",
    "n: !!set {p, q}",
    "o: !!binary aGk=",
    "p: !!str 12",
    "q: !!int '7'",
    "r: !!float 1",
    "s: !!omap [{t: 1}]",
    "? [u]\n: v",
    "? {w: 1}\n: x",
    "y: [[[[[1]]]]]",
    "z: !custom tag",
    "1: one",
    "true: t",
    "'1': quoted",
    "aa: !!timestamp 2021-13-01",
    "bb: 99999999999999999999999999999",
    "cc: &y {dd: &z [1, 2]}",
    "ee: [*y, *z, *y]",
    "= : value key",
    "ff: 'multi\n  line'",
    "gg: |\n  block\n  text",
    "hh: plain text",
    "ii: [1, 2, 3]",
    "jj: {kk: v, ll: [a, b, {mm: [c]}]}",
    "nn: 3.5",
    "oo: true",
    "pp: null",
    "qq: &w [1, [2, [3]]]",
    "rr: [*w, *w]",
]


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.sampled_from(FRAGMENTS), max_size=8, unique=True),
    depth=st.sampled_from([2, 3, 4, 64]),
    values=st.sampled_from([3, 8, 20, 1_000_000]),
)
def test_hand_written_documents_give_the_reference_outcome(lines: list[str], depth: int, values: int) -> None:
    text = "\n".join(lines) + "\n"
    walked(text)
    with limited(max_yaml_depth=depth, max_yaml_values=values):
        assert outcome(text) == reference(text)


def test_the_walk_builds_plain_documents_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = yamlio._check_size
    monkeypatch.setattr(yamlio, "_check_size", lambda *args: calls.append(1) or original(*args))
    data = read_yaml("a: &a {b: [1, 2.5, null, true, 2022-04-07]}\nc: *a\n", "t.yaml").data
    assert data == {
        "a": {"b": [1, 2.5, None, True, dt.date(2022, 4, 7)]},
        "c": {"b": [1, 2.5, None, True, dt.date(2022, 4, 7)]},
    }
    assert data["a"] is data["c"]
    assert calls == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first on line 1)"),
        ("a: 2021-02-30\n", "invalid date '2021-02-30'"),
        ("a: {<<: {b: 1}}\n", "an unsupported tag (a !tag, or a << merge key)"),
        ("a: [[[1]]]\n", "nested deeper than 3 levels"),
    ],
)
def test_refusals_keep_their_messages(text: str, message: str) -> None:
    with limited(max_yaml_depth=3), pytest.raises(PolicyFileError) as error:
        read_yaml(text, "t.yaml")
    assert message in str(error.value)
