"""The result's tables, built column by column, say what the JSON says school by school (issue 11)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import ability2

REGIONS = {
    "hebei/baoding/xushui": dt.date(2022, 6, 1),
    "jiangsu/changzhou/jintan/baita": dt.date(2022, 4, 10),
    "liaoning/tieling/kaiyuan": dt.date(2025, 1, 1),
    "shandong/jining/yanzhou": dt.date(2022, 11, 21),
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rows = []
    for i in range(60):
        rows.append(
            {
                "teacher_id": f"T{i}",
                "school": f"S{i % 7}",
                "subject": ["语文", "数学"][i % 2],
                "online_hours": ["10", "25", "30"][i % 3],
                "offline_hours": ["25", "30"][i % 2],
                "abilities": ["A1;B2;C4", "A1;A2;A3", "B1;C1"][i % 3],
                "grades": ["合格;合格;合格", "优秀;优秀;优秀", ""][i % 3],
                "excellent_video": ["是", "否"][(i // 3) % 2],
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_the_schools_table_matches_each_schools_json_entry(frame: pd.DataFrame, region: str) -> None:
    result = ability2.evaluate(frame, ability2.load_registry().policy(region, on=REGIONS[region]))
    table = result.schools
    entries = result.to_dict()["schools"]
    assert list(table["school"]) == [entry["school"] for entry in entries]
    for row, entry in zip(table.to_dict("records"), entries, strict=True):
        for key, value in entry.items():
            if key == "checks":
                assert {check["rule"]: check["ok"] for check in value} == {
                    check["rule"]: row[check["rule"]] for check in value
                }
            else:
                assert row[key] == value, (key, row[key], value)
    stored = ability2.Result.from_json(result.to_json())
    pd.testing.assert_frame_equal(stored.schools, table, check_exact=True)
