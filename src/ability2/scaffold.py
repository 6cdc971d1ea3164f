"""``ability2 new-plugin``: scaffold an installable regional plugin package.

The package is laid out exactly like the seed plugins: a ``pyproject.toml`` registering the
``ability2`` entry point, a module whose one hook returns its ``policies/*.yaml``, a policy
file for the new region with a commented example of every rule kind, a README, and tests
(a YAML case file and a test that the plugin is discovered and validates).
"""

from __future__ import annotations

import datetime as dt
import keyword
import os
import re
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ability2.converting import quoted
from ability2.errors import Ability2Error
from ability2.messages import msg
from ability2.model import Level
from ability2.rules.bounds import Direction

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["NAME_PATTERN", "scaffold_plugin"]

#: a plugin name: a region id segment that is also a Python package name (lowercase pinyin,
#: digits or ``_``, starting with a letter; no ``-``, which no Python package name may hold)
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

#: the rule the generated case expects the new region to inherit
_CASE_RULE = "hours.total_min"

_CHILD_LEVEL = {
    Level.NATION: Level.PROVINCE,
    Level.PROVINCE: Level.CITY,
    Level.CITY: Level.COUNTY,
    Level.COUNTY: Level.SCHOOL,
}


def _pyproject(dist: str, module: str, entry: str, region_id: str) -> str:
    return f'''[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
description = "ability2 regional plugin for {region_id}"
requires-python = ">=3.11"
dependencies = ["ability2>=0.1"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.ability2]
{entry} = "{module}"

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]
'''


def _module(module: str, region_id: str) -> str:
    return f'''"""ability2 plugin for {region_id}: its policy layers live in ``policies/*.yaml``."""

from __future__ import annotations

from importlib.resources.abc import Traversable

import ability2


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of this plugin's regions."""
    return ability2.package_files(__name__, "policies")
'''


def _policy(region_id: str, name: str, level: Level, parent: str) -> str:
    return f"""# Policy layer of {region_id}. State only what YOUR documents say; everything else is
# inherited from {parent} and its ancestors (see `ability2 policy {parent}`).
# Each rule needs its source: the document (declared under `documents:`) and the clause.
# Check this file with `ability2 validate` and see the catalogue with `ability2 rules`.
region:
  id: {region_id}
  name: {name}           # the official Chinese name, e.g. 四川省 or 成都市
  level: {level.value}
  parent: {parent}
  # code: "510000"       # GB/T 2260 administrative division code, if the region has one

documents: {{}}
  # my-plan-2021:
  #   title: 关于印发《……信息技术应用能力提升工程2.0实施方案》的通知
  #   number: 川教函〔2021〕1号     # 文号, if any
  #   issuer: 四川省教育厅
  #   date: 2021-03-01             # rules hold from this date unless they say `from:`
  #   url: https://...

rules: {{}}
  # --- one example of every rule kind; uncomment, set the value, cite the clause ---------
  # hours.total_min:                  # hours: a number of 学时 with the document's boundary word
  #   value: 50
  #   bound: 不少于                    # 以上/不少于/至少 include the number; 超过 excludes it
  #   replaces: cn                     # required when an ancestor already has this rule
  #   source: {{document: my-plan-2021, clause: 二、(一), quote: 每人不少于50学时}}
  # hours.practice_share_min:         # share: 30% or 0.3, never above 100%
  #   value: 50%
  #   bound: 不少于
  #   basis: required                  # required: of hours.total_min; done: of the hours done
  #   replaces: cn
  #   source: {{document: my-plan-2021, clause: 二、(一)}}
  # hours.cycle_years:                # years: a training cycle
  #   value: 3
  #   replaces: cn
  #   source: {{document: my-plan-2021, clause: 二、(一)}}
  # selection.count:                  # count: a whole number
  #   value: 3
  #   bound: 为                        # 为/等于: exactly
  #   source: {{document: my-plan-2021, clause: 三、(二)}}
  # hours.offline_requires_peer_review:   # flag: true or false
  #   value: true
  #   source: {{document: my-plan-2021, clause: 三、(三)}}
  # selection.environments_allowed:   # environments: multimedia, hybrid, smart
  #   value: [multimedia, hybrid]
  #   source: {{document: my-plan-2021, clause: 三、(二)}}
  # selection.abilities_allowed:      # abilities: micro-ability codes
  #   value: [A1, A5, B2, C4]
  #   source: {{document: my-plan-2021, clause: 三、(二)}}
  # school.excellent_rate_max:        # a share with a basis: teachers or abilities
  #   value: 30%
  #   bound: 不超过
  #   basis: abilities
  #   decision: why this reading of the clause, and not the other
  #   source: {{document: my-plan-2021, clause: 四、(二)}}
  # timeline.submit_results:          # phase: any id after `timeline.`
  #   value: {{name: 提交考核结果, start: 2021-06-01, end: 2021-06-30}}
  #   source: {{document: my-plan-2021, clause: 五、(三)}}
  # review.chain:                     # steps: a review chain
  #   value: [组内互评, {{name: 县级审核, name_en: county review, sample_share: 10%, sample_bound: 不低于}}]
  #   source: {{document: my-plan-2021, clause: 四、(一)}}
  # grading.teacher:                  # method: a built-in method name
  #   value: all_abilities
  #   replaces: cn
  #   source: {{document: my-plan-2021, clause: 四、(三)}}
  # form.school_assessment:           # form: sections whose item points add up, the pass line, a cap
  #   value:
  #     name: 学校考核表
  #     total: 10
  #     pass_min: 6
  #     pass_bound: 以上
  #     excellent_cap: 30%
  #     excellent_cap_bound: 以内
  #     sections:
  #       - name: 组织管理
  #         points: 10
  #         items:
  #           - {{name: 管理团队, points: 4}}
  #           - {{name: 合格率, points: 6, rules: [school.pass_rate_min]}}
  #   source: {{document: my-plan-2021, clause: 附件1}}

not_encoded: []
  # - source: {{document: my-plan-2021, clause: 六, quote: 加强组织领导}}
  #   reason: an organisational duty that no roster data can check
"""


def _readme(dist: str, module: str, region_id: str, parent: str) -> str:
    return f"""# {dist}

An [ability2](https://pypi.org/project/ability2/) regional plugin for `{region_id}` (under `{parent}`).

Try it from this folder without installing it (its Python code runs, as if installed):

```sh
ability2 --plugins-dir . regions              # {region_id} is listed
ability2 --plugins-dir . policy {region_id}
ABILITY2_PLUGINS_DIR=. python -m pytest tests # the plugin's tests, pytest installed beside ability2
```

Install it:

```sh
pip install -e '.[test]'                      # register the plugin (entry point `ability2`) and pytest
ability2 regions                              # {region_id} is listed
ability2 validate src/{module}/policies       # check the policy file
ability2 policy {region_id}                   # the effective policy, every rule with its source
python -m pytest tests                        # the plugin's tests (YAML cases included)
```

Write the rules your documents state in `src/{module}/policies/*.yaml` (one file per region),
each with its source, and test each numeric rule at its boundary in `tests/test_*.yaml`.
"""


def _number(value: Fraction) -> str:
    """A number as YAML writes it: ``50``, ``49.5``."""
    return str(value.numerator) if value.denominator == 1 else str(float(value))


#: for a limit's direction and whether the limit itself passes: (offset of the second value
#: tried, whether the limit passes, whether the second value passes)
_BOUNDARY = {
    (Direction.MIN, True): (Fraction(-1, 2), True, False),
    (Direction.MIN, False): (Fraction(1, 2), False, True),
    (Direction.MAX, True): (Fraction(1, 2), True, False),
    (Direction.MAX, False): (Fraction(-1, 2), False, True),
    (Direction.EXACT, True): (Fraction(1, 2), True, False),
}


def _inherited_case(policy: Policy | None) -> str:
    """Expectations for the parent's hours rule on the case's date, read from that policy."""
    rule = policy.get(_CASE_RULE) if policy is not None else None
    value = rule.value if rule is not None else None
    if rule is None or rule.bound is None or not isinstance(value, int | Fraction) or isinstance(value, bool):
        return f"""    # the parent's policy has no numeric {_CASE_RULE} on this date: this case checks only
    # that the region's policy loads; state what your rules expect below
"""
    limit = Fraction(value)
    text = f"""    expect_rules:
      {_CASE_RULE}: {{value: {_number(limit)}, bound: {rule.bound.word}}}
"""
    boundary = _BOUNDARY.get((rule.bound.direction, rule.bound.inclusive))
    if boundary is None:
        return text
    step, at_limit, past = boundary
    return (
        text
        + f"""    checks:
      - {{rule: {_CASE_RULE}, value: {_number(limit)}, ok: {str(at_limit).lower()}}}
      - {{rule: {_CASE_RULE}, value: {_number(limit + step)}, ok: {str(past).lower()}}}
"""
    )


def _cases(region_id: str, on: dt.date, parent_policy: Policy | None) -> str:
    return f"""# YAML cases, collected by pytest through ability2's plugin. Write them from your documents:
# every numeric rule at its boundary and one step past it.
# {on} is the first day the parent's rules hold (`ability2 policy PARENT`): an earlier date
# has no policy (PolicyDateError). Date a case of your own rules from your document's date.
cases:
  - name: {region_id} exists and inherits its ancestors' hours rule
    region: {region_id}
    on: {on.isoformat()}
{_inherited_case(parent_policy)}  # - name: my floor of 25 online hours holds at exactly 25
  #   region: {region_id}
  #   on: {on.isoformat()}
  #   expect_rules:
  #     hours.online_min: {{value: 25, bound: 不少于, layer: {region_id}}}
  #   checks:
  #     - {{rule: hours.online_min, value: 25, ok: true}}
  #     - {{rule: hours.online_min, value: 24.5, ok: false}}
"""


def _discovery_test(module: str, region_id: str) -> str:
    return f'''"""The plugin is discovered through its entry point and its policy files validate."""

from __future__ import annotations

from pathlib import Path

import ability2
from ability2.testing import check_plugin_folder


def test_plugin_is_discovered() -> None:
    registry = ability2.load_registry()
    assert "{region_id}" in {{region.id for region in registry.regions()}}
    plugins = {{plugin.name: plugin for plugin in registry.plugins()}}
    assert any("{region_id}" in plugin.regions for plugin in plugins.values())


def test_policy_files_validate() -> None:
    folder = Path(__file__).resolve().parents[1] / "src" / "{module}" / "policies"
    report = check_plugin_folder(str(folder))
    assert "{region_id}" in report.regions
'''


def scaffold_plugin(
    name: str, *, parent: str = "cn", output: str | os.PathLike[str] | None = None, registry: object | None = None
) -> Path:
    """Write a new plugin package for region ``name`` under ``parent``; returns its folder.

    Refuses, before writing anything: a name that is not a valid package and region name, a
    parent that no installed plugin declares, a region id that already exists, and an output
    folder that exists and is not empty. The package is written into a temporary folder and
    moved into place, so a failure leaves nothing half-written.
    """
    from ability2.registry import Registry, load_registry

    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        written_together = re.sub(r"[^a-z0-9_]", "", name.lower())
        hint = (
            msg("policy.did_you_mean", names=(quoted(written_together),))
            if written_together != name
            and NAME_PATTERN.match(written_together)
            and not keyword.iskeyword(written_together)
            else ""
        )
        raise Ability2Error(msg("scaffold.bad_name", name=name, hint=hint))
    reg = registry if isinstance(registry, Registry) else load_registry()
    parent_region = reg.region(parent)
    if parent_region.level is Level.SCHOOL:
        raise Ability2Error(msg("scaffold.under_school", parent=parent_region.id))
    region_id = name if parent_region.id == "cn" else f"{parent_region.id}/{name}"
    if region_id in {region.id for region in reg.regions()}:
        raise Ability2Error(msg("scaffold.exists", region=region_id))
    target = Path(output) if output is not None else Path(f"ability2-{name}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Ability2Error(msg("scaffold.not_empty", folder=str(target)))
    if not target.parent.is_dir() and str(target.parent):
        raise Ability2Error(msg("scaffold.no_parent_folder", folder=str(target), parent=str(target.parent)))
    module = "ability2_" + name
    dist = "ability2-" + name
    level = _CHILD_LEVEL[parent_region.level]
    # the new region has no rules of its own yet: its policy starts when its parent's does
    first = reg.effective_from(parent_region)
    on = first or dt.date.today()
    parent_policy = reg.policy(parent_region, on=first) if first is not None else None
    files = {
        "pyproject.toml": _pyproject(dist, module, name, region_id),
        f"src/{module}/__init__.py": _module(module, region_id),
        f"src/{module}/policies/{name}.yaml": _policy(region_id, name, level, parent_region.id),
        "README.md": _readme(dist, module, region_id, parent_region.id),
        f"tests/test_{name}.yaml": _cases(region_id, on, parent_policy),
        "tests/test_plugin.py": _discovery_test(module, region_id),
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else "."))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
