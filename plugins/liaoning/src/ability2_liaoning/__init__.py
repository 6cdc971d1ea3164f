"""ability2 plugin for 辽宁省: its policy layers live in ``policies/*.yaml``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ability2

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of 辽宁省 and of the regions below it that its seed documents cover."""
    return ability2.package_files(__name__, "policies")
