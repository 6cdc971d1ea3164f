"""The Structurer builds exactly what the strict cattrs converter builds, and leaves every error to it."""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
import sys
import typing
from fractions import Fraction
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ability2 import schema
from ability2.converting import Structurer, iter_problems, make_converter
from ability2.messages import render
from ability2.rules import values
from ability2.rules.bounds import BOUND_WORDS, Bound

CONVERTER = make_converter()
CLASSES = [
    getattr(module, name) for module in (schema, values) for name in module.__all__ if attrs.has(getattr(module, name))
]

#: values of any type YAML gives (and a few it does not)
wild: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.floats(allow_nan=False, allow_infinity=False, width=16),
        st.text(max_size=4),
        st.dates(),
        st.datetimes(),
        st.sampled_from(["30%", "0.5", "1/3", "2022-04-07", "以上", "2021-02-30"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3), st.tuples(inner)
    ),
    max_leaves=6,
)


@functools.cache
def plain(tp: Any, noise: bool) -> st.SearchStrategy[Any]:
    """Values of type ``tp`` as YAML would give them; with ``noise``, now and then something else."""
    return st.one_of(*[typed(tp, noise)] * 12, wild) if noise else typed(tp, noise)


@functools.cache
def typed(tp: Any, noise: bool) -> st.SearchStrategy[Any]:
    if tp is str:
        return st.text(max_size=4)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-3, 200)
    if tp is dt.date:
        return st.one_of(st.dates(), st.datetimes(), st.dates().map(dt.date.isoformat))
    if tp is Fraction:
        return st.one_of(
            st.sampled_from(["30%", "100%", " 5 %", "1/3", "0.25", *(["3/2", "-1%"] if noise else [])]),
            st.integers(0, 1),
            st.floats(0, 1, width=16),
        )
    if tp is Bound:
        return st.sampled_from([*BOUND_WORDS, *(["大约"] if noise else [])])
    if tp is Any:
        return wild
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, type(int | None)):
        return st.one_of(*(st.none() if arg is type(None) else plain(arg, noise) for arg in args))
    if origin in (list, tuple):
        return st.lists(plain(args[0], noise), max_size=3)
    if origin is dict:
        keys = st.one_of(*[st.text(max_size=3)] * 6, st.integers(0, 2)) if noise else st.text(max_size=3)
        return st.dictionaries(keys, plain(args[1], noise), max_size=3)
    if attrs.has(tp):
        return st.deferred(lambda: mapping(tp, noise))
    raise AssertionError(tp)


@functools.cache
def mapping(cls: type, noise: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping for ``cls``: its keys (renamed as in files), now and then one missing or one unknown."""
    hints = typing.get_type_hints(cls)
    keys = {{"from_": "from", "pass_": "pass"}.get(f.name, f.name): hints[f.name] for f in attrs.fields(cls)}
    required = [key for key, f in zip(keys, attrs.fields(cls), strict=True) if f.default is attrs.NOTHING]
    optional = [key for key in keys if key not in required]
    return st.builds(
        lambda chosen, values, extra: {
            **{key: values[key] for key in required + chosen if key in values},
            **extra,
        },
        st.lists(st.sampled_from(optional), unique=True) if optional else st.just([]),
        st.fixed_dictionaries({key: plain(tp, noise) for key, tp in keys.items()}),
        st.one_of(*[st.just({})] * 8, st.dictionaries(st.sampled_from(["extra", "id"]), wild))
        if noise
        else st.just({}),
    ).map(lambda data: {k: v for k, v in data.items() if k in keys or k == "extra"})


def outcome(structure: Any, data: Any, cls: type) -> tuple[str, Any]:
    try:
        result = structure(data, cls)
    except Exception as exc:
        return "error", (type(exc), list(iter_problems(exc)))
    return "value", (result, repr(result))


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from([True, False]).flatmap(
        lambda noise: st.sampled_from(CLASSES).flatmap(lambda cls: st.tuples(st.just(cls), plain(cls, noise)))
    )
)
def test_same_value_or_same_problems_as_the_converter(case: tuple[type, Any]) -> None:
    """Data as files hold it (well-formed) or damaged anywhere (noise): the same outcome as the converter."""
    cls, data = case
    expected = outcome(CONVERTER.structure, data, cls)
    assert outcome(Structurer().structure, data, cls) == expected
    plan = Structurer()._plan(cls)
    assert plan is not None
    try:
        built = plan(data)
    except Exception:
        event(f"left to the converter, which gives a {expected[0]}")
        return
    event("built directly")
    assert expected == ("value", (built, repr(built)))


def test_well_formed_data_is_built_without_the_converter() -> None:
    structurer = Structurer()
    item = {
        "id": "a",
        "number": 1,
        "name": "n",
        "task": "t",
        "alternatives": [{"id": "b", "number": 2, "name": "m", "task": "u"}],
    }
    assert structurer.structure(item, schema.RawItem) == CONVERTER.structure(item, schema.RawItem)
    form = {
        "name": "f",
        "total": 10,
        "sections": [{"name": "s", "points": 10, "items": [{"name": "i", "points": 10}]}],
        "excellent_cap": "30%",
    }
    assert structurer.structure(form, values.ScoringForm) == CONVERTER.structure(form, values.ScoringForm)
    assert structurer._converter is None


def test_unknown_shapes_go_to_the_converter() -> None:
    @attrs.define
    class Converted:
        value: int = attrs.field(converter=abs)

    structurer = Structurer()
    assert structurer._plan(Converted) is None
    assert structurer.structure({"value": -2}, Converted) == Converted(2)
    assert structurer._converter is not None
    with pytest.raises(ClassValidationError) as error:
        structurer.structure({"value": 2, "other": 1}, Converted)
    assert [(path, render(said, "en")) for path, said in iter_problems(error.value)] == [
        (("other",), "unknown key (check its spelling; unknown keys are refused, not ignored)")
    ]


def test_loading_the_registry_imports_no_cattrs() -> None:
    code = "import sys, ability2; ability2.load_registry(); print('cattrs' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["False"]
