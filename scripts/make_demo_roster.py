"""Generate the bundled demo roster: a made-up school shaped like 白塔小学 (49 teachers).

Deterministic (seeded): rerunning it rewrites the same file. The school, names and numbers
are invented; the shape follows seed 001 (49 专任教师 in 4 教研组, 3 abilities each, 25 + 25
hours, excellent videos per group).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "ability2" / "demo" / "data" / "sample_school.csv"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["静", "敏", "伟", "芳", "娜", "秀英", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "桂英", "玲", "建华", "晓燕", "红梅", "海燕", "文", "婷", "欣怡"]
GROUPS = [("语文组", ["语文"], 15), ("数学组", ["数学"], 13), ("英语组", ["英语"], 8), ("综合组", ["科学", "音乐", "美术", "体育", "信息技术"], 13)]
# the school's own scope: 9 abilities over the 3 environments (multimedia A, hybrid B, smart C)
SCOPE = ["A1", "A3", "A5", "A6", "A11", "B2", "B6", "C4", "C5"]


def main() -> None:
    """Write the sample roster."""
    rng = random.Random(20220407)
    rows = []
    number = 1
    for group, subjects, size in GROUPS:
        for _ in range(size):
            teacher_id = f"BT{number:03d}"
            number += 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            subject = rng.choice(subjects)
            online = rng.choice([25, 25, 26, 28, 30, 30, 32, 35, 40]) if rng.random() > 0.06 else rng.choice([18, 20, 22.5])
            offline = rng.choice([25, 25, 26, 27.5, 28, 30, 30, 32]) if rng.random() > 0.05 else rng.choice([20, 24.5])
            abilities = rng.sample(SCOPE[:6], 2) + rng.sample(SCOPE[6:], 1)
            strong = rng.random() < 0.25  # some teachers do excellent work throughout
            if number in (17, 40):
                grades = ""  # not graded yet
            else:
                p_excellent = 0.9 if strong else 0.25
                grades = "、".join(
                    "不合格" if rng.random() < 0.02 else ("优秀" if rng.random() < p_excellent else "合格") for _ in abilities
                )
            video = "是" if rng.random() < 0.38 else "否"
            reviews = "是" if rng.random() > 0.04 else "否"
            rows.append([teacher_id, name, "白塔示范小学(样例)", group, subject, online, offline, ";".join(abilities), grades, video, reviews])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["教师编号", "姓名", "学校", "教研组", "学科", "线上学时", "线下学时", "能力点", "考核结果", "优秀视频", "互评"])
        writer.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} teachers)")


if __name__ == "__main__":
    main()
