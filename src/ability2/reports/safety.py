"""Spreadsheet safety: text that a spreadsheet would run as a formula is stored as plain text.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (also after leading whitespace,
tabs or line breaks) is read by Excel, WPS and LibreOffice as a formula when the file is
opened or a CSV imported: a roster name such as ``=HYPERLINK("http://x")`` would become a
live link. Every text cell an ability2 writer stores in a spreadsheet or CSV goes through
:func:`neutralise`, which prefixes such text with a single quote ``'``, the spreadsheet
convention for "this is text".
"""

from __future__ import annotations

__all__ = ["FORMULA_PREFIXES", "neutralise"]

#: characters that make a spreadsheet read a cell as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(text: str) -> str:
    """``text`` prefixed with ``'`` when a spreadsheet would read it as a formula, else as is."""
    if text.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
