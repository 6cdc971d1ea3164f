"""The public API raises only its documented exceptions on hostile values (issue 10).

Every entry point that takes data a platform passes through (region names, dates, change
sets, evidence, form scores, school tables, a stored result's JSON) answers with a result or
an :class:`ability2.Ability2Error` subclass that says what is wrong. ``TypeError`` is kept for
an argument of the wrong Python type where the signature asks for a specific one (a date,
the region's text), as Python's own functions do. Never a ``KeyError`` from inside, an
``AttributeError``, a hang.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2.errors import Ability2Error, ResultFormatError, UnknownAbilityError
from ability2.forms import fill_form, score_schools
from ability2.messages import language
from ability2.whatif import apply_changes


@pytest.fixture
def english() -> Iterator[None]:
    """Tests that read a message's English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.dates()
    | st.sampled_from(["1e99999999", "9" * 5000, "30%", "-1", "NaN", "", "A1", "合格"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    return ability2.load_registry()


@pytest.fixture(scope="module")
def policy(registry: ability2.Registry) -> ability2.Policy:
    return registry.policy("hebei", on=dt.date(2022, 1, 1))


def documented(call: Any, *args: Any, type_errors: bool = False, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Ability2Error as exc:
        assert str(exc).strip(), "an error must say what is wrong"
        return exc
    except TypeError:
        if not type_errors:
            raise
        return None


@SETTINGS
@given(
    st.text(max_size=30)
    | st.integers()
    | st.sampled_from(["hebei/", " hebei ", "HEBEI", "cn/../hebei", "0", "130000"]),
    st.none() | st.dates(),
)
def test_any_region_name_and_date_give_a_policy_or_a_documented_error(
    registry: ability2.Registry, region: Any, on: Any
) -> None:
    documented(registry.policy, region, on=on)
    documented(registry.region, region)


def test_values_of_the_wrong_python_type_are_type_errors(registry: ability2.Registry) -> None:
    for region in (None, 1.5, ["hebei"], b"hebei"):
        with pytest.raises(TypeError):
            registry.policy(region)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"datetime\.date"):
        registry.policy("hebei", on="2022-01-01")  # type: ignore[arg-type]


RULE_IDS = st.sampled_from(
    ["hours.total_min", "hours.online_min", "abilities.count_min", "school.pass_rate_min", "nope", "hours.total_min.x"]
)


@SETTINGS
@given(st.dictionaries(RULE_IDS | st.text(max_size=12), VALUES, max_size=3))
def test_any_change_set_gives_a_policy_or_a_change_set_error(policy: ability2.Policy, changes: dict[str, Any]) -> None:
    documented(apply_changes, policy, changes)


EVIDENCE_KEYS = st.sampled_from(["item", "level", "minutes", "teacher_on_screen", "copies"]) | st.text(max_size=5)


@SETTINGS
@given(
    st.sampled_from(["A1", "C4", "c4", "C5", "C6", "C7", "A5", "Ｃ４", "D9", "", "考核"]) | st.text(max_size=4),
    st.lists(st.dictionaries(EVIDENCE_KEYS, VALUES, max_size=4) | VALUES, max_size=3) | VALUES,
)
def test_any_evidence_gives_an_assessment_or_a_documented_error(code: str, evidence: Any) -> None:
    documented(ability2.assess_ability, code, evidence)


def test_an_unknown_ability_is_a_key_error_with_a_plain_message() -> None:
    with pytest.raises(UnknownAbilityError) as caught:
        ability2.assess_ability("D9", [])
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "未知微能力点“D9”；编号为 A1–A13、B1–B10、C1–C7"
    assert caught.value.text("en") == "unknown micro-ability 'D9'; codes run A1–A13, B1–B10, C1–C7"


@pytest.mark.usefixtures("english")
def test_evidence_entries_are_named_by_number() -> None:
    with pytest.raises(Ability2Error, match=r"evidence entry 2: minutes: number out of range"):
        ability2.assess_ability("C4", [{"item": "x"}, {"item": "y", "minutes": "1e99999999"}])
    with pytest.raises(Ability2Error, match=r"evidence entry 1: teacher_on_screen is true or false"):
        ability2.assess_ability("C4", [{"item": "x", "teacher_on_screen": "no"}])


@pytest.fixture(scope="module")
def form(registry: ability2.Registry) -> Any:
    forms = registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 21)).forms()
    assert forms, "Yanzhou has school scoring forms"
    return forms[0][1]


@SETTINGS
@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=3) | VALUES)
def test_any_form_scores_give_a_filled_form_or_a_documented_error(form: Any, scores: Any) -> None:
    documented(fill_form, form, scores)
    documented(score_schools, form, {"学校": scores} if isinstance(scores, dict) else scores)


@pytest.mark.usefixtures("english")
def test_form_scores_with_a_huge_exponent_are_refused_at_once(form: Any) -> None:
    section = form.sections[0]
    scores = {section.name: {item.name: "1e99999999" for item in section.items}}
    with pytest.raises(Ability2Error, match="number out of range"):
        fill_form(form, scores)


@pytest.fixture(scope="module")
def stored(policy: ability2.Policy) -> str:
    frame = pd.DataFrame(
        {
            "teacher_id": ["T1", "T2"],
            "school": ["S", "S"],
            "online_hours": ["20", "10"],
            "offline_hours": ["30", "5"],
            "abilities": ["A1;B2;C4", "A1"],
        }
    )
    return ability2.evaluate(frame, policy).to_json()


@SETTINGS
@given(st.data())
def test_any_json_gives_a_result_or_a_result_format_error(stored: str, data: st.DataObject) -> None:
    document = json.loads(stored)
    choice = data.draw(st.sampled_from(["text", "value", "mutate"]))
    if choice == "text":
        text = data.draw(st.text(max_size=80) | st.sampled_from(["[" * 100_000, "{}", "null", "[]", stored[:-5]]))
    elif choice == "value":
        text = json.dumps(data.draw(JSON_VALUES))
    else:
        path = data.draw(st.sampled_from(["teachers", "schools", "groups", "region", "on", "unchecked"]))
        document[path] = data.draw(JSON_VALUES)
        text = json.dumps(document)
    outcome = documented(ability2.Result.from_json, text)
    assert isinstance(outcome, ability2.Result | ResultFormatError)


def test_a_stored_result_round_trips(stored: str) -> None:
    assert ability2.Result.from_json(stored).to_json() == stored


SCHOOL_CELLS = st.text(max_size=6) | st.sampled_from(["yes", "no", "是", "否", "3", "-1", "1e99999999", "30%"])


@SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {"school": st.sampled_from(["S", "T", ""]), "group": st.sampled_from(["", "数学", "语文"])},
            optional={
                "it_team": SCHOOL_CELLS,
                "cio": SCHOOL_CELLS,
                "development_plan": SCHOOL_CELLS,
                "it_team_size": SCHOOL_CELLS,
                "research_plan": SCHOOL_CELLS,
                "activity_video_minutes": SCHOOL_CELLS,
            },
        ),
        max_size=4,
    )
)
def test_any_school_table_gives_a_result_or_a_documented_error(
    registry: ability2.Registry, rows: list[dict[str, str]]
) -> None:
    roster = pd.DataFrame(
        {
            "teacher_id": ["T1", "T2"],
            "school": ["S", "T"],
            "group": ["数学", "语文"],
            "online_hours": ["20", "10"],
            "offline_hours": ["30", "5"],
            "abilities": ["A1;B2;C4", "A1"],
        }
    )
    schools = pd.DataFrame(rows) if rows else pd.DataFrame({"school": []})
    for region in ("hebei/baoding/xushui", "jiangsu/changzhou/jintan/baita", "shandong/jining/yanzhou"):
        documented(ability2.evaluate, roster, registry.policy(region, on=dt.date(2022, 12, 1)), schools=schools)


def test_a_huge_exponent_in_a_school_table_is_a_bad_cell_not_a_hang(registry: ability2.Registry) -> None:
    # found by the property above on a fresh machine: Fraction("1e99999999") builds the whole number
    roster = pd.DataFrame(
        {
            "teacher_id": ["T1"],
            "school": ["S"],
            "online_hours": ["20"],
            "offline_hours": ["30"],
            "abilities": ["A1;B2;C4"],
        }
    )
    schools = pd.DataFrame({"school": ["S"], "it_team_size": ["1e99999999"]})
    policy = registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 12, 1))
    with pytest.raises(Ability2Error, match=r"管理团队人数: 不是数字：“1e99999999”"):
        ability2.evaluate(roster, policy, schools=schools)
