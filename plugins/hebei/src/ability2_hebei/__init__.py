"""ability2 plugin for 河北省: its policy layers live in ``policies/*.yaml``."""

from __future__ import annotations

from importlib.resources.abc import Traversable

import ability2


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of 河北省 and of the regions below it that its seed documents cover."""
    return ability2.package_files(__name__, "policies")
