"""ability2 plugin for sichuan: its policy layers live in ``policies/*.yaml``."""

from __future__ import annotations

from importlib.resources.abc import Traversable

import ability2


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of this plugin's regions."""
    return ability2.package_files(__name__, "policies")
