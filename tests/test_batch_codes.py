"""The batch's integer helpers, against plain-Python references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2.batch as batch_module
from ability2.batch import factorize_integers, factorize_pairs, sum_per


def reference(values: list[int]) -> tuple[list[int], list[int]]:
    """Codes and distinct values in order of first appearance, by a dict."""
    seen: dict[int, int] = {}
    codes = [seen.setdefault(v, len(seen)) for v in values]
    return codes, list(seen)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, 50), max_size=200),  # dense: the table path
        st.lists(st.integers(-(2**62), 2**62), max_size=200),  # sparse or negative: the sorting path
    )
)
def test_codes_follow_first_appearance(values: list[int]) -> None:
    codes, distinct = factorize_integers(np.asarray(values, dtype=np.int64))
    expected_codes, expected_distinct = reference(values)
    assert codes.tolist() == expected_codes
    assert distinct.tolist() == expected_distinct


@settings(max_examples=300, deadline=None)
@given(
    teachers=st.lists(st.lists(st.integers(-1, 2), max_size=300), max_size=40),
    wanted=st.one_of(
        st.lists(st.integers(-2, 3), min_size=1, max_size=5, unique=True),
        st.lists(st.integers(-2, 3), min_size=1, max_size=4),  # a value asked twice: counted twice
        st.lists(st.sampled_from([-1, 2, 10**9]), min_size=1, max_size=3, unique=True),  # a wide range
    ),
    wide=st.booleans(),
    slice_=st.sampled_from([1, 2, 3, 1 << 18]),
)
def test_per_teacher_kinds_counts_each_wanted_value_of_each_teacher(
    teachers: list[list[int]], wanted: list[int], wide: bool, slice_: int
) -> None:
    # grades of each teacher's selections, stored teacher by teacher; one teacher may have 256 or more
    # (the packed fields' limit: then the one-value-at-a-time path), and int8 or int64 codes
    from ability2.batch import Batch

    batch = Batch.__new__(Batch)
    batch.k = np.array([len(t) for t in teachers], dtype=np.int64)
    batch._offsets = np.concatenate([[0], np.cumsum(batch.k)]).astype(np.int64)
    wide = wide or any(abs(value) > 100 for value in wanted)
    kinds = np.array([g for t in teachers for g in t], dtype=np.int64 if wide else np.int8)
    saved = batch_module._TEACHER_SLICE
    batch_module._TEACHER_SLICE = slice_  # teachers counted a slice of this many at a time
    try:
        counted = batch.per_teacher_kinds(kinds, wanted)
        selected = batch.per_teacher_selections(kinds == wanted[0])
    finally:
        batch_module._TEACHER_SLICE = saved
    assert [c.tolist() for c in counted] == [[t.count(value) for t in teachers] for value in wanted]
    assert all(c.dtype == np.int32 for c in counted)
    assert selected.dtype == np.int32 and selected.tolist() == [t.count(wanted[0]) for t in teachers]


def test_school_certifications_and_coverage_count_what_the_schools_teachers_did(tmp_path: object) -> None:
    # 一中: 优秀 + 合格 + (not graded) and 不合格 + 合格; 二中: (not graded) only. A grade not given
    # yet is no certification; 合格 and 优秀 pass; 不合格 is graded but not passed.
    from pathlib import Path

    import ability2
    from ability2.batch import Batch

    assert isinstance(tmp_path, Path)
    path = tmp_path / "roster.csv"
    path.write_text(
        "teacher_id,school,online_hours,offline_hours,abilities,grades\n"
        "T1,一中,30,20,A1;B2;C3,优秀、合格、\n"
        "T2,二中,30,20,A1,\n"
        "T3,一中,30,20,A4;B6,不合格、合格\n",
        encoding="utf-8",
    )
    roster = ability2.read_roster(path)
    batch = Batch(roster, ability2.load_registry().policy("guangxi"))
    found = batch.certifications()
    assert batch.school_names == ["一中", "二中"]
    assert {name: counts.tolist() for name, counts in found.items()} == {
        "graded": [4, 0],
        "passed": [3, 0],
        "excellent": [1, 0],
    }
    found["graded"][0] = 99  # a copy: the batch's own counts stay
    assert batch.certifications()["graded"].tolist() == [4, 0]
    # the abilities each school's teachers chose: 一中 A1 B2 C3 A4 B6, 二中 A1
    covered = batch.school_coverage("abilities")
    assert [bin(int(mask)).count("1") for mask in covered] == [5, 1]
    assert covered.tolist() == batch.bit_or(batch.ability_mask, "school").tolist()
    covered[0] = 0  # a copy
    assert batch.school_coverage("abilities").tolist() == batch.bit_or(batch.ability_mask, "school").tolist()
    assert batch.school_coverage("environments").tolist() == batch.bit_or(batch.env_mask, "school").tolist()
    assert batch.school_coverage("dimensions").tolist() == batch.bit_or(batch.dim_mask, "school").tolist()


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 6), st.integers(-1, 4)), max_size=60), sparse=st.booleans())
def test_pairs_of_school_and_group_are_numbered_in_order_of_first_appearance(
    rows: list[tuple[int, int]], sparse: bool
) -> None:
    """Property: both paths (small tables, and factorizing when schools are many) number groups as a dict would."""
    school = np.array([s * (10**6 if sparse else 1) for s, _ in rows], dtype=np.int64)
    codes = np.array([c for _, c in rows], dtype=np.int32)
    group_idx, pairs, sizes = factorize_pairs(school, codes, 5)
    seen: dict[int, int] = {}
    expected = [
        -1 if c < 0 else seen.setdefault(s * 5 + c, len(seen))
        for s, c in zip(school.tolist(), codes.tolist(), strict=True)
    ]
    assert group_idx.dtype == np.int64 and group_idx.tolist() == expected
    assert pairs.tolist() == list(seen)
    assert sizes.tolist() == [expected.count(i) for i in range(len(seen))]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.integers(-(2**40), 2**40)), max_size=40),
    dtype=st.sampled_from(["bool", "int8", "int32", "int64", "uint16"]),
    scale=st.sampled_from([1, 2**20]),
)
def test_sums_per_entity_are_exact_whatever_the_type(rows: list[tuple[int, int]], dtype: str, scale: int) -> None:
    """Property: the sums are exact int64, in int32 when they fit and in int64 when they may not."""
    index = np.array([i for i, _ in rows], dtype=np.int64)
    info = np.iinfo(dtype) if dtype != "bool" else None
    raw = [v if info is None else max(info.min, min(info.max, v // scale)) for _, v in rows]
    values = np.array([bool(v % 2) for v in raw] if dtype == "bool" else raw, dtype=dtype)
    summed = sum_per(index, values, 6)
    expected = [sum(int(v) for i, v in zip(index.tolist(), values.tolist(), strict=True) if i == e) for e in range(6)]
    assert summed.dtype == np.int64 and summed.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    masks=st.lists(st.integers(0, 2**30 - 1), max_size=30),
    parts=st.lists(st.integers(0, 4), min_size=30, max_size=30),
)
def test_environment_and_dimension_masks_hold_the_parts_of_the_abilities_chosen(
    masks: list[int], parts: list[int]
) -> None:
    """Property: bit p of a teacher's part mask is set exactly when some ability they chose is of part p."""
    from ability2.batch import _masks_of

    found = _masks_of(np.array(masks, dtype=np.int32), np.array(parts, dtype=np.int64))
    expected = [sum(1 << p for p in {parts[a] for a in range(30) if mask >> a & 1}) for mask in masks]
    assert found.tolist() == expected


def test_sums_of_many_large_unsigned_bytes_do_not_wrap() -> None:
    """16 million rows of 200 (uint8) in one school: past int32, so summed in int64 (it wrapped to a negative number)."""
    rows = 2**24 - 1
    summed = sum_per(np.zeros(rows, dtype=np.int32), np.full(rows, 200, dtype=np.uint8), 1)
    assert summed.tolist() == [200 * rows]


def test_sums_refuse_values_and_indices_of_different_lengths() -> None:
    """``ufunc.at`` would add one value to every row's entity: a length mismatch is an error, as ``bincount`` made it."""
    with pytest.raises(ValueError, match="sum_per"):
        sum_per(np.array([0, 1, 1]), np.array([5]), 2)
    with pytest.raises(ValueError, match="sum_per"):
        sum_per(np.array([0, 1]), np.array([[1, 2]]), 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.lists(
        st.lists(st.sampled_from(["A1", "A5", "B2", "B9", "C3", "C7"]), min_size=1, max_size=4, unique=True),
        min_size=1,
        max_size=9,
    )
)
def test_each_teachers_ability_environment_and_dimension_masks_whatever_the_slice(
    chosen: list[list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Bit i of a teacher's masks is set when they chose ability i, or one of environment or dimension i.

    The masks are made a slice of teachers at a time; slices of 1, 2 and 3 teachers give the
    same masks as the framework's own mapping of each ability to its environment and dimension.
    """
    import ability2
    from ability2.batch import Batch

    path = tmp_path_factory.mktemp("masks") / "roster.csv"
    lines = [f"T{i},一中,30,20,{';'.join(codes)}" for i, codes in enumerate(chosen)]
    path.write_text("teacher_id,school,online_hours,offline_hours,abilities\n" + "\n".join(lines) + "\n", "utf-8")
    policy = ability2.load_registry().policy("guangxi")
    roster = ability2.read_roster(path)
    framework = policy.framework
    environments = [env.id for env in framework.environments]
    dimensions = [dim.id for dim in framework.dimensions]
    position = {ability.code: i for i, ability in enumerate(framework.abilities)}
    of = {ability.code: ability for ability in framework.abilities}
    expected = [
        (
            sum({1 << position[code] for code in codes}),
            sum({1 << environments.index(of[code].environment.id) for code in codes}),
            sum({1 << dimensions.index(of[code].dimension.id) for code in codes}),
        )
        for codes in chosen
    ]
    saved = batch_module._TEACHER_SLICE
    try:
        for size in (1, 2, 3, saved):
            batch_module._TEACHER_SLICE = size
            batch = Batch(roster, policy)
            found = list(
                zip(batch.ability_mask.tolist(), batch.env_mask.tolist(), batch.dim_mask.tolist(), strict=True)
            )
            assert found == expected
    finally:
        batch_module._TEACHER_SLICE = saved
