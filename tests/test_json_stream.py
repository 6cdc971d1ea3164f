"""The streamed JSON report is the contract's document, byte for byte (issue 11).

The reference is ``json.dumps(result.to_dict(lang), ensure_ascii=False, indent=...)``, which
builds the whole document in memory; the stream must write the same text without doing so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2 import resultjson as jsonout
from ability2.reports import render_report
from ability2.resultjson import distinct_reasons, write_json

REGIONS = {
    "hebei/baoding/xushui": dt.date(2022, 6, 1),
    "jiangsu/changzhou/jintan/baita": dt.date(2022, 4, 10),
    "liaoning/tieling/kaiyuan": dt.date(2025, 1, 1),
    "shandong/jining/yanzhou": dt.date(2022, 11, 21),
    "guangxi": dt.date(2022, 6, 1),
}

ROW = st.fixed_dictionaries(
    {
        "teacher_id": st.text(alphabet="T0123456789", min_size=1, max_size=6),
        "name": st.sampled_from(["张三", "李四", 'O"Brien', "\\back", "tab\there"]),
        "school": st.sampled_from(["实验小学", "一中", "S"]),
        "group": st.sampled_from(["", "数学", "语文"]),
        "subject": st.sampled_from(["数学", "语文", ""]),
        "online_hours": st.sampled_from(["0", "10", "20", "25.5", "50"]),
        "offline_hours": st.sampled_from(["0", "5", "25", "30", "32.25"]),
        "abilities": st.sampled_from(["A1;B2;C4", "A1", "A1;A2;B1;C7", "B3;C5"]),
        "grade_words": st.lists(st.sampled_from(["优秀", "合格", "不合格"]), min_size=4, max_size=4),
        "graded": st.booleans(),
        "备注": st.sampled_from(["", "转岗", "=1+1", "长" * 40]),
    }
).map(
    lambda row: {
        **{k: v for k, v in row.items() if k not in ("grade_words", "graded")},
        "grades": ";".join(row["grade_words"][: row["abilities"].count(";") + 1]) if row["graded"] else "",
    }
)


def reference(result: ability2.Result, lang: str, indent: int | None) -> str:
    return json.dumps(result.to_dict(lang), ensure_ascii=False, indent=indent)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(ROW, min_size=1, max_size=25, unique_by=lambda r: r["teacher_id"]),
    st.sampled_from(sorted(REGIONS)),
    st.sampled_from(["zh", "en"]),
    st.sampled_from([None, 2, 4]),
)
def test_the_stream_equals_the_document_json_dumps_writes(
    rows: list[dict[str, str]], region: str, lang: str, indent: int | None
) -> None:
    registry = ability2.load_registry()
    result = ability2.evaluate(pd.DataFrame(rows), registry.policy(region, on=REGIONS[region]))
    assert result.to_json(lang, indent) == reference(result, lang, indent)


def test_slices_join_seamlessly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonout, "SLICE", 3)  # teachers, groups and schools all span several slices
    frame = pd.DataFrame(
        {
            "teacher_id": [f"T{i}" for i in range(30)],
            "school": [f"S{i % 4}" for i in range(30)],
            "group": [f"G{i % 3}" for i in range(30)],
            "online_hours": [str(10 + i) for i in range(30)],
            "offline_hours": ["30"] * 30,
            "abilities": ["A1;B2;C4"] * 30,
        }
    )
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    assert len(result.school_names) > 3 and len(result.group_keys) > 3
    for indent in (None, 2):
        handle = io.StringIO()
        write_json(result, handle, indent=indent)
        assert handle.getvalue() == reference(result, "zh", indent) + "\n"


def test_a_stored_result_streams_the_same_text() -> None:
    frame = pd.DataFrame(
        {
            "teacher_id": ["T1", "T2"],
            "school": ["S", "S"],
            "group": ["数学", ""],
            "online_hours": ["20", "10"],
            "offline_hours": ["30", "5"],
            "abilities": ["A1;B2;C4", "A1"],
            "备注": ["x", None],
        }
    )
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    stored = ability2.Result.from_json(result.to_json())
    for indent in (None, 2):
        assert stored.to_json("zh", indent) == reference(stored, "zh", indent) == result.to_json("zh", indent)


@pytest.mark.parametrize(
    ("values", "same"),
    [
        ([1, 1.0, True, "1", None], [0, 1, 2, 3, 4]),  # told apart by type: JSON writes each differently
        ([50, 50, 48, 50], [0, 0, 2, 0]),
        (["yes", "no", "yes", "not given"], [0, 1, 0, 3]),
    ],
)
def test_distinct_reasons_groups_only_what_reads_the_same(values: list[Any], same: list[int]) -> None:
    import numpy as np

    column = ability2.RuleColumn(
        rule="r",
        title="t",
        title_en="t",
        source="s",
        layer="l",
        bound=None,
        symbol=None,
        limit=1,
        unit="",
        value=np.asarray(values, dtype=object),
        ok=np.ones(len(values), dtype=bool),
    )
    codes, representatives = distinct_reasons(column)
    assert [int(representatives[c]) for c in codes] == same


# --------------------------------------------------------------------------- JSON Lines


def from_jsonl(text: str) -> dict[str, Any]:
    """The §3.1 document rebuilt from JSON Lines: each reason given back its rule's source and layer."""
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    head, records = lines[0], lines[1:]
    assert head["record"] == "result" and head["format"] == "ability2-jsonl/1"
    stated = {(r["scope"], r["rule"]): (r["source"], r["layer"]) for r in head["rules"]}
    assert all(source for source, _ in stated.values())  # every rule's source, never empty

    def restored(scope: str, reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for reason in reasons:
            assert "source" not in reason and "layer" not in reason  # stated once, in the header
            source, layer = stated[(scope, reason["rule"])]
            out.append({**reason, "source": source, "layer": layer})
        return out

    document: dict[str, Any] = {"region": head["region"], "on": head["on"], "teachers": [], "groups": [], "schools": []}
    kinds = [record.pop("record") for record in records]
    assert kinds == sorted(kinds, key=["teacher", "group", "school", "unchecked"].index)  # in that order
    for kind, record in zip(kinds, records, strict=True):
        if kind == "teacher":
            document["teachers"].append({**record, "reasons": restored("teacher", record["reasons"])})
        elif kind == "unchecked":
            document.setdefault("unchecked", []).append(record)
        else:
            document[kind + "s"].append({**record, "checks": restored(kind, record["checks"])})
    return document


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(ROW, min_size=1, max_size=25, unique_by=lambda r: r["teacher_id"]),
    st.sampled_from(sorted(REGIONS)),
    st.sampled_from(["zh", "en"]),
)
def test_json_lines_hold_the_document_with_each_source_once(rows: list[dict[str, str]], region: str, lang: str) -> None:
    registry = ability2.load_registry()
    result = ability2.evaluate(pd.DataFrame(rows), registry.policy(region, on=REGIONS[region]))
    text = render_report(result, "jsonl", lang=lang)
    assert len(text.splitlines()) == 1 + len(result) + len(result.group_keys) + len(result.school_names) + len(
        result.unchecked
    )
    assert from_jsonl(text) == json.loads(json.dumps(result.to_dict(lang), ensure_ascii=False))


def test_json_lines_slices_end_in_whole_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonout, "SLICE", 3)
    frame = pd.DataFrame(
        {
            "teacher_id": [f"T{i}" for i in range(10)],
            "school": [f"S{i % 4}" for i in range(10)],
            "group": [f"G{i % 3}" for i in range(10)],
            "online_hours": ["20"] * 10,
            "offline_hours": ["30"] * 10,
            "abilities": ["A1;B2;C4"] * 10,
        }
    )
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    pieces = list(jsonout.iter_jsonl(result))
    assert len(pieces) > 6 and all(piece.endswith("\n") for piece in pieces)
    assert from_jsonl("".join(pieces)) == json.loads(result.to_json())


SCALARS = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), SCALARS, max_size=6), st.sampled_from([None, 2]), st.integers(0, 3))
def test_flat_objects_read_as_json_dumps_writes_them(row: dict[str, Any], indent: int | None, level: int) -> None:
    layout = jsonout._Layout(indent)
    assert layout.flat_object(row, level) == layout.value(row, level)


def _reads_as(value: Any) -> tuple[str, str]:
    return (type(value).__name__, repr(value))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(SCALARS, st.sampled_from([0.0, -0.0, 1, 1.0, True, "1"])), min_size=1, max_size=30),
    st.data(),
)
def test_distinct_reasons_group_exactly_the_entities_that_read_alike(values: list[Any], data: st.DataObject) -> None:
    import numpy as np

    size = len(values)
    ok = np.asarray(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    as_array = data.draw(st.sampled_from(["object", "native"]))
    value = np.empty(size, dtype=object)
    value[:] = values
    if as_array == "native" and all(type(v) is float for v in values):
        value = np.asarray(values, dtype=np.float64)
    elif as_array == "native" and all(type(v) is int and abs(v) < 2**62 for v in values):
        value = np.asarray(values, dtype=np.int64)
    column = ability2.RuleColumn(
        rule="r", title="t", title_en="t", source="s", layer="l", bound=None, symbol=None, limit=1, unit="",
        value=value, ok=ok,
    )  # fmt: skip
    codes, representatives = distinct_reasons(column)
    keys = [(_reads_as(v), bool(flag)) for v, flag in zip(value.tolist(), ok.tolist(), strict=True)]
    firsts: dict[Any, int] = {}
    for i, key in enumerate(keys):
        firsts.setdefault(key, i)
        leader = int(representatives[codes[i]])
        assert keys[leader] == key  # grouped only with what reads the same
        assert leader <= i  # led by an entity at or before it
        if not (isinstance(value[i], float) and value[i] != value[i]):  # NaNs may differ in their bits
            assert leader == firsts[key]  # and with everything that reads the same


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=20), st.booleans())
def test_text_columns_quote_as_json_dumps(texts: list[str], null_if_empty: bool) -> None:
    import numpy as np

    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: polars refuses it and the entry-by-entry path takes over
        with pytest.raises(UnicodeEncodeError):
            jsonout._text_column(np.asarray(texts, dtype=object))
        return
    expected = [json.dumps(t, ensure_ascii=False) if t or not null_if_empty else "null" for t in texts]
    got = jsonout._text_column(np.asarray(texts, dtype=object), null_if_empty=null_if_empty).to_list()
    assert got == expected


def test_a_result_with_text_polars_cannot_hold_still_streams() -> None:
    frame = pd.DataFrame(
        {
            "teacher_id": ["T1", "T2"],
            "school": ["S", "S"],
            "online_hours": ["20", "10"],
            "offline_hours": ["30", "5"],
            "abilities": ["A1;B2;C4", "A1"],
        }
    )
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    data = result.to_dict()
    data["teachers"][0]["teacher_id"] = "T\ud800"  # a lone surrogate, as a JSON "\ud800" escape reads
    stored = ability2.Result.from_dict(data)
    for indent in (None, 2):
        assert stored.to_json("zh", indent) == reference(stored, "zh", indent)
    lines = "".join(jsonout.iter_jsonl(stored)).splitlines()
    assert json.loads(lines[1])["teacher_id"] == "T\ud800"


def test_binary_and_text_handles_receive_the_same_document() -> None:
    frame = pd.DataFrame(
        {
            "teacher_id": ["T1", "T2", "T3"],
            "school": ["实验小学", "实验小学", 'O"Brien\\中学'],
            "group": ["数学", "", "语文"],
            "online_hours": ["20", "10", "25"],
            "offline_hours": ["30", "5", "25"],
            "abilities": ["A1;B2;C4", "A1", "B3;C5"],
        }
    )
    result = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    for write in (write_json, jsonout.write_jsonl):
        text, binary = io.StringIO(), io.BytesIO()
        write(result, text)
        write(result, binary)
        assert binary.getvalue().decode("utf-8") == text.getvalue()
