"""Reading inputs: teacher rosters (contract §2) from CSV, XLSX or pandas/polars DataFrames.

>>> from ability2.io import read_roster
>>> roster = read_roster("school.xlsx")  # doctest: +SKIP

Importing this package is light: polars, numpy, pandas and python-calamine are imported
only when a roster is read.
"""

from __future__ import annotations

from ability2.io.roster import read_roster

__all__ = ["read_roster"]
