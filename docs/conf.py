"""Sphinx configuration for the ability2 documentation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# The site is built from the project's own plugins, whatever the builder has installed: the
# seed plugins' folders (plugins/), loaded as plugin folders, and no installed plugin. Set in
# the environment, so that the executed notebooks' kernels load the same registry.
PLUGIN_FOLDERS = [Path(__file__).resolve().parents[1] / "plugins"]
os.environ["ABILITY2_PLUGINS_DIR"] = os.pathsep.join(str(folder) for folder in PLUGIN_FOLDERS)
os.environ["ABILITY2_NO_INSTALLED_PLUGINS"] = "1"

project = "ability2"
author = "ability2 developers"
copyright = "2026, ability2 developers"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "ability2_docs",
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints", "examples"]

# the example notebook is executed on every build, so it cannot rot
nb_execution_mode = "force"
nb_execution_timeout = 180
nb_execution_raise_on_error = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
language = "en"

html_theme = "furo"
html_title = "ability2"
# wide notebook outputs scroll sideways instead of being clipped (issue 13, item 19)
html_static_path = ["_static"]
html_css_files = ["ability2.css"]
