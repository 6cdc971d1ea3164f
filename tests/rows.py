"""Roster rows for tests: one teacher who passes the usual seed rules, changed field by field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

import ability2
from ability2 import Registry, evaluate, read_roster


def teacher(tid: str, **fields: Any) -> dict[str, str]:
    """A row of contract §2: 25 + 25 hours, three abilities graded 合格, reviews done, no excellent video."""
    row = {
        "teacher_id": tid,
        "school": "S1",
        "online_hours": "25",
        "offline_hours": "25",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
        "peer_reviews": "是",
        "excellent_video": "否",
    }
    row.update({k: str(v) for k, v in fields.items()})
    return row


def run(registry: Registry, where: tuple[str, dt.date], rows: list[dict[str, str]]) -> ability2.Result:
    """``rows`` read as a roster and evaluated under ``where`` (region, date)."""
    return evaluate(read_roster(pd.DataFrame(rows)), registry.policy(where[0], on=where[1]))
