"""Peers for the benchmark: the verdicts of a seed region computed the way a strong data engineer would.

Each peer reads the same roster CSV and returns every teacher's status (roster order) and
every school's status, with the policy's numbers read from the policy (as a platform that
re-implemented the rules by hand would type them in). They cover the rule kinds the five
seed regions use on a roster without a school table; ``run.py`` checks that each gives
ability2's verdicts before it reports a time.

- ``polars_pass``: eager polars (``read_csv``, string splits, list operations, ``group_by``);
- ``pandas_pass``: pandas, as an analyst writes it (``str.split``, ``apply``, ``groupby``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

SEPARATORS = r"[;,、，；\s]+"
YES = ["yes", "是", "1", "true", "y"]
ENVIRONMENTS = ("multimedia", "hybrid", "smart")


def _compare(rule: Any, values: pl.Expr, limit: Any) -> pl.Expr:
    symbol = rule.bound.symbol
    limit = float(limit)  # policy numbers are exact Fractions; polars compares floats
    if symbol == "≥":
        return values >= limit
    if symbol == ">":
        return values > limit
    if symbol == "≤":
        return values <= limit
    if symbol == "<":
        return values < limit
    return values == limit


def polars_pass(csv_path: Path, policy: Any) -> tuple[np.ndarray[Any, Any], pd.Series]:
    """Teacher statuses and school statuses from the CSV, in eager polars."""
    get = policy.get
    framework = policy.framework
    env_of = {a.code: a.environment.id for a in framework.abilities}
    dim_of = {a.code: a.dimension.id for a in framework.abilities}
    df = pl.read_csv(csv_path, infer_schema=False)
    online = pl.col("online_hours").cast(pl.Float64)
    offline = pl.col("offline_hours").cast(pl.Float64)
    ok = pl.lit(True)
    peer = get("hours.offline_requires_peer_review")
    if peer is not None and peer.value:
        done = pl.col("peer_reviews").str.to_lowercase().is_in(YES)
        offline = pl.when(done).then(offline).otherwise(0.0)
        ok = ok & done
    total = online + offline
    for rule_id, values in (("hours.total_min", total), ("hours.online_min", online), ("hours.offline_min", offline)):
        rule = get(rule_id)
        if rule is not None:
            ok = ok & _compare(rule, values, float(rule.value))
    share = get("hours.practice_share_min")
    if share is not None:
        if share.basis == "required":
            ok = ok & _compare(share, offline, float(share.value) * float(get("hours.total_min").value))
        else:
            ok = ok & _compare(share, offline / pl.when(total > 0).then(total).otherwise(1.0), float(share.value))
    codes = pl.col("abilities").str.replace_all(SEPARATORS, ";").str.strip_chars(";").str.split(";")
    grades = pl.col("grades").fill_null("").str.replace_all(SEPARATORS, ";").str.split(";")
    df = df.with_columns(codes.alias("codes"), grades.alias("grade_list"))
    df = df.with_columns(
        pl.col("codes").list.eval(pl.element().replace_strict(env_of)).alias("envs"),
        pl.col("codes").list.eval(pl.element().replace_strict(dim_of)).alias("dims"),
    )
    k = pl.col("codes").list.len()
    count = get("selection.count")
    if count is not None:
        ok = ok & _compare(count, k, count.value)
    dims = get("selection.dimensions_min")
    if dims is not None:
        n_dims = pl.col("dims").list.n_unique()
        ok = ok & _compare(dims, n_dims, dims.value)
    n_fail = pl.col("grade_list").list.eval(pl.element() == "不合格").list.sum()
    n_excellent = pl.col("grade_list").list.eval(pl.element() == "优秀").list.sum()
    n_passed = pl.col("grade_list").list.eval(pl.element().is_in(["优秀", "合格"])).list.sum()
    graded = pl.col("grades").fill_null("").str.strip_chars() != ""
    if get("grading.teacher") is not None:
        ok = ok & (n_fail == 0)
    failed = ~ok | (n_fail > 0)
    pending = ~failed & ~graded
    excellent = ~failed & ~pending & (n_excellent == k)
    status = (
        pl.when(failed)
        .then(pl.lit("fail"))
        .when(pending)
        .then(pl.lit("pending"))
        .when(excellent)
        .then(pl.lit("excellent"))
        .otherwise(pl.lit("pass"))
    )
    envs = pl.col("envs")
    teachers = df.select(
        "school",
        "subject",
        "codes",
        "envs",
        "dims",
        status.alias("status"),
        k.alias("certs"),
        (n_passed * graded.cast(pl.Int64)).alias("certs_passed"),
        n_excellent.alias("certs_excellent"),
        *[envs.list.contains(env).alias(f"has_{env}") for env in ENVIRONMENTS],
        pl.col("excellent_video").str.to_lowercase().is_in(YES).alias("video"),
    )
    schools = teachers.group_by("school", maintain_order=True).agg(
        pl.len().alias("n"),
        pl.col("status").is_in(["pass", "excellent"]).sum().alias("passed"),
        (pl.col("status") == "excellent").sum().alias("excellent"),
        pl.col("certs", "certs_passed", "certs_excellent").sum(),
        *[pl.col(f"has_{env}").sum() for env in ENVIRONMENTS],
        pl.col("video").sum(),
        pl.col("codes").list.explode(keep_nulls=False, empty_as_null=False).n_unique().alias("scope"),
        pl.col("envs").list.explode(keep_nulls=False, empty_as_null=False).n_unique().alias("scope_envs"),
        pl.col("dims").list.explode(keep_nulls=False, empty_as_null=False).n_unique().alias("scope_dims"),
    )
    school_ok = pl.lit(True)
    for rule_id, teacher_col, cert_col in (
        ("school.pass_rate_min", "passed", "certs_passed"),
        ("school.excellent_rate_max", "excellent", "certs_excellent"),
        ("school.excellent_rate_min", "excellent", "certs_excellent"),
    ):
        rule = get(rule_id)
        if rule is not None:
            numerator, denominator = (cert_col, "certs") if rule.basis == "abilities" else (teacher_col, "n")
            school_ok = school_ok & _compare(rule, pl.col(numerator) / pl.col(denominator), float(rule.value))
    for env in ENVIRONMENTS:
        for direction in ("min", "max"):
            rule = get(f"school.{env}_share_{direction}")
            if rule is not None:
                school_ok = school_ok & _compare(rule, pl.col(f"has_{env}") / pl.col("n"), float(rule.value))
    for rule_id, column in (
        ("school.scope_abilities_min", "scope"),
        ("school.scope_abilities_max", "scope"),
        ("school.scope_environments_min", "scope_envs"),
        ("school.scope_dimensions_min", "scope_dims"),
    ):
        rule = get(rule_id)
        if rule is not None:
            school_ok = school_ok & _compare(rule, pl.col(column), rule.value)
    video = get("school.excellent_video_share_min")
    if video is not None:
        school_ok = school_ok & _compare(video, pl.col("video") / pl.col("n"), float(video.value))
    if get("school.excellent_video_every_subject") is not None:
        covered = (
            teachers.group_by("school", "subject")
            .agg(pl.col("video").any())
            .group_by("school")
            .agg(pl.col("video").all().alias("every_subject"))
        )
        schools = schools.join(covered, on="school", how="left", maintain_order="left")
        school_ok = school_ok & pl.col("every_subject")
    verdicts = schools.select("school", pl.when(school_ok).then(pl.lit("pass")).otherwise(pl.lit("fail")))
    return (
        teachers.get_column("status").to_numpy(),
        pd.Series(verdicts.to_series(1).to_list(), index=verdicts.get_column("school").to_list()),
    )
