"""Peers for the benchmark: the verdicts of a seed region computed the way a strong data engineer would.

Each peer reads the same roster CSV and returns every teacher's status (roster order) and
every school's status, with the policy's numbers read from the policy (as a platform that
re-implemented the rules by hand would type them in). They cover the rule kinds the five
seed regions use on a roster without a school table; ``run.py`` checks that each gives
ability2's verdicts before it reports a time.

- ``polars_pass``: eager polars (``read_csv``, string splits, list operations, ``group_by``);
- ``duckdb_pass``: DuckDB SQL over the CSV (split and unnest the codes and grades, join
  the framework's code table, aggregate by teacher, then by school);
- the pandas pass lives in ``run.py`` (``baseline``), as an analyst writes it.
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


def school_measures(get: Any) -> list[tuple[Any, str, str | None]]:
    """``(rule, numerator, denominator)`` for each school rule of the policy the peers check.

    Both peers aggregate the same per-school columns: ``n``, ``passed``, ``excellent``,
    ``certs``, ``certs_passed``, ``certs_excellent``, ``has_<environment>``, ``video``,
    ``scope``, ``scope_envs``, ``scope_dims``; a rule compares ``numerator / denominator``
    (or the numerator alone) with its value.
    """
    measures: list[tuple[Any, str, str | None]] = []
    for rule_id, teacher_col, cert_col in (
        ("school.pass_rate_min", "passed", "certs_passed"),
        ("school.excellent_rate_max", "excellent", "certs_excellent"),
        ("school.excellent_rate_min", "excellent", "certs_excellent"),
    ):
        rule = get(rule_id)
        if rule is not None:
            measures.append((rule, cert_col, "certs") if rule.basis == "abilities" else (rule, teacher_col, "n"))
    for env in ENVIRONMENTS:
        for direction in ("min", "max"):
            rule = get(f"school.{env}_share_{direction}")
            if rule is not None:
                measures.append((rule, f"has_{env}", "n"))
    for rule_id, column in (
        ("school.scope_abilities_min", "scope"),
        ("school.scope_abilities_max", "scope"),
        ("school.scope_environments_min", "scope_envs"),
        ("school.scope_dimensions_min", "scope_dims"),
    ):
        rule = get(rule_id)
        if rule is not None:
            measures.append((rule, column, None))
    video = get("school.excellent_video_share_min")
    if video is not None:
        measures.append((video, "video", "n"))
    return measures


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
    for rule, numerator, denominator in school_measures(get):
        measure = pl.col(numerator) if denominator is None else pl.col(numerator) / pl.col(denominator)
        school_ok = school_ok & _compare(rule, measure, rule.value)
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


def _sql_compare(rule: Any, value: str, limit: Any) -> str:
    symbol = {"≥": ">=", ">": ">", "≤": "<=", "<": "<", "=": "="}[rule.bound.symbol]
    return f"({value} {symbol} {float(limit)!r})"


def duckdb_pass(csv_path: Path, policy: Any) -> tuple[np.ndarray[Any, Any], pd.Series]:
    """Teacher statuses and school statuses from the CSV, in DuckDB SQL (one connection, a few queries)."""
    import duckdb

    get = policy.get
    framework = policy.framework
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        codes = pd.DataFrame(
            {
                "code": [a.code for a in framework.abilities],
                "env": [a.environment.id for a in framework.abilities],
                "dim": [a.dimension.id for a in framework.abilities],
            }
        )
        con.register("codes", codes)
        yes = ", ".join(f"'{word}'" for word in YES)
        con.execute(
            "CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS pos, * "
            "FROM read_csv(?, all_varchar = true, header = true)",
            [str(csv_path)],
        )
        separators = SEPARATORS.replace("\\s", " \\t\\n")
        con.execute(
            f"CREATE TEMP TABLE picks AS SELECT pos, school, unnest(regexp_split_to_array(abilities, '{separators}')) "
            "AS code FROM raw"
        )
        con.execute(
            "CREATE TEMP TABLE marks AS SELECT pos, unnest(regexp_split_to_array(coalesce(grades, ''), "
            f"'{separators}')) AS g FROM raw"
        )
        offline = "CAST(offline_hours AS DOUBLE)"
        conditions = ["TRUE"]
        peer = get("hours.offline_requires_peer_review")
        if peer is not None and peer.value:
            conditions.append(f"lower(peer_reviews) IN ({yes})")
            offline = f"(CASE WHEN lower(peer_reviews) IN ({yes}) THEN {offline} ELSE 0 END)"
        online = "CAST(online_hours AS DOUBLE)"
        total = f"({online} + {offline})"
        for rule_id, value in (
            ("hours.total_min", total),
            ("hours.online_min", online),
            ("hours.offline_min", offline),
        ):
            rule = get(rule_id)
            if rule is not None:
                conditions.append(_sql_compare(rule, value, rule.value))
        share = get("hours.practice_share_min")
        if share is not None:
            if share.basis == "required":
                conditions.append(
                    _sql_compare(share, offline, float(share.value) * float(get("hours.total_min").value))
                )
            else:
                conditions.append(
                    _sql_compare(share, f"({offline} / CASE WHEN {total} > 0 THEN {total} ELSE 1 END)", share.value)
                )
        count = get("selection.count")
        if count is not None:
            conditions.append(_sql_compare(count, "k", count.value))
        dims = get("selection.dimensions_min")
        if dims is not None:
            conditions.append(_sql_compare(dims, "n_dims", dims.value))
        if get("grading.teacher") is not None:
            conditions.append("(n_fail = 0)")
        ok = " AND ".join(conditions)
        con.execute(
            f"""
            CREATE TEMP TABLE teachers AS
            WITH per_pick AS (
                SELECT p.pos, count(*) AS k, count(DISTINCT c.dim) AS n_dims,
                       bool_or(c.env = 'multimedia') AS has_multimedia, bool_or(c.env = 'hybrid') AS has_hybrid,
                       bool_or(c.env = 'smart') AS has_smart
                FROM picks p JOIN codes c USING (code) GROUP BY p.pos
            ),
            per_mark AS (
                SELECT pos, count(*) FILTER (WHERE g = '不合格') AS n_fail,
                       count(*) FILTER (WHERE g = '优秀') AS n_excellent,
                       count(*) FILTER (WHERE g IN ('优秀', '合格')) AS n_passed
                FROM marks GROUP BY pos
            ),
            joined AS (
                SELECT r.*, p.k, p.n_dims, p.has_multimedia, p.has_hybrid, p.has_smart,
                       m.n_fail, m.n_excellent, m.n_passed, trim(coalesce(r.grades, '')) <> '' AS graded
                FROM raw r JOIN per_pick p USING (pos) JOIN per_mark m USING (pos)
            ),
            judged AS (SELECT *, NOT ({ok}) OR n_fail > 0 AS failed FROM joined)
            SELECT *, CASE WHEN failed THEN 'fail' WHEN NOT graded THEN 'pending'
                           WHEN n_excellent = k THEN 'excellent' ELSE 'pass' END AS status,
                   lower(excellent_video) IN ({yes}) AS video
            FROM judged ORDER BY pos
            """
        )
        school_conditions = ["TRUE"]
        for rule, numerator, denominator in school_measures(get):
            measure = numerator if denominator is None else f"{numerator} / {denominator}"
            school_conditions.append(_sql_compare(rule, measure, rule.value))
        if get("school.excellent_video_every_subject") is not None:
            school_conditions.append("every_subject")
        school_ok = " AND ".join(school_conditions)
        schools = con.execute(
            f"""
            WITH agg AS (
                SELECT school, min(pos) AS first, count(*) AS n,
                       count(*) FILTER (WHERE status IN ('pass', 'excellent')) AS passed,
                       count(*) FILTER (WHERE status = 'excellent') AS excellent,
                       sum(k) AS certs, sum(CASE WHEN graded THEN n_passed ELSE 0 END) AS certs_passed,
                       sum(n_excellent) AS certs_excellent,
                       count(*) FILTER (WHERE has_multimedia) AS has_multimedia,
                       count(*) FILTER (WHERE has_hybrid) AS has_hybrid,
                       count(*) FILTER (WHERE has_smart) AS has_smart,
                       count(*) FILTER (WHERE video) AS video
                FROM teachers GROUP BY school
            ),
            scope AS (
                SELECT p.school, count(DISTINCT p.code) AS scope, count(DISTINCT c.env) AS scope_envs,
                       count(DISTINCT c.dim) AS scope_dims
                FROM picks p JOIN codes c USING (code) GROUP BY p.school
            ),
            subjects AS (
                SELECT school, bool_and(covered) AS every_subject
                FROM (SELECT school, subject, bool_or(video) AS covered FROM teachers GROUP BY school, subject)
                GROUP BY school
            )
            SELECT school, CASE WHEN {school_ok} THEN 'pass' ELSE 'fail' END AS status
            FROM agg JOIN scope USING (school) JOIN subjects USING (school) ORDER BY first
            """
        ).fetchnumpy()
        status = con.execute("SELECT status FROM teachers ORDER BY pos").fetchnumpy()["status"]
    finally:
        con.close()
    return np.asarray(status, dtype=object), pd.Series(list(schools["status"]), index=list(schools["school"]))
