"""Property-based tests: what a policy file states is what the loader returns."""

from __future__ import annotations

import datetime as dt
import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ability2 import load_layer
from ability2.converting import make_converter, parse_share
from ability2.rules.bounds import BOUND_WORDS, Bound, Direction
from ability2.rules.values import FormItem, FormSection, Phase, ScoringForm

converter = make_converter()
percents = st.decimals(min_value=0, max_value=100, places=2)
hours = st.decimals(min_value=0, max_value=500, places=1)
dates = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31))
floor_words = sorted(w for w, (d, _, _) in BOUND_WORDS.items() if d is Direction.MIN)


def load_rules(rules_yaml: str) -> list:
    text = (
        "region: {id: testprov, name: 测试省, level: province, parent: cn}\n"
        "documents:\n  d: {title: 测试, date: 2020-01-01}\n"
        "rules:\n" + rules_yaml
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(text, encoding="utf-8")
        return list(load_layer(path).entries)


@settings(max_examples=40, deadline=None)
@given(percent=percents, word=st.sampled_from(floor_words))
def test_share_written_as_percent_loads_exactly(percent, word) -> None:
    [entry] = load_rules(
        f"  school.pass_rate_min: {{value: '{percent}%', bound: {word}, source: {{document: d, clause: a}}}}\n"
    )
    assert entry.value == Fraction(percent) / 100
    assert entry.bound == Bound(word)


@settings(max_examples=40, deadline=None)
@given(value=hours)
def test_hours_load_exactly(value) -> None:
    [entry] = load_rules(f"  hours.online_min: {{value: {value}, bound: 不少于, source: {{document: d, clause: a}}}}\n")
    assert entry.value == Fraction(value)


@given(percent=percents)
def test_percent_and_fraction_spellings_agree(percent) -> None:
    assert parse_share(f"{percent}%") == parse_share(str(Fraction(percent) / 100)) == Fraction(percent) / 100


@given(start=dates, days=st.integers(min_value=0, max_value=400), name=st.text(min_size=1, max_size=20))
def test_phase_round_trip(start, days, name) -> None:
    phase = Phase(name, start, start + dt.timedelta(days=days))
    assert converter.structure(converter.unstructure(phase), Phase) == phase


@given(points=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6), cap=percents)
def test_form_round_trip(points, cap) -> None:
    section = FormSection("节", sum(points), tuple(FormItem(f"项{i}", p) for i, p in enumerate(points)))
    form = ScoringForm(
        "表",
        sum(points),
        (section,),
        pass_min=0,
        pass_bound=Bound("以上"),
        excellent_cap=Fraction(cap) / 100,
        excellent_cap_bound=Bound("以内"),
    )
    assert converter.structure(converter.unstructure(form), ScoringForm) == form
