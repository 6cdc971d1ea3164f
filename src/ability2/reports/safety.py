"""Spreadsheet safety: text that a spreadsheet would run as a formula is stored as plain text.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (also after leading whitespace,
tabs or line breaks) is read by Excel, WPS and LibreOffice as a formula when the file is
opened or a CSV imported: a roster name such as ``=HYPERLINK("http://x")`` would become a
live link. Every text cell an ability2 writer stores in a spreadsheet or CSV goes through
:func:`neutralise`, which prefixes such text with a single quote ``'``, the spreadsheet
convention for "this is text".
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_PREFIXES", "neutralise", "printable"]

#: characters that make a spreadsheet read a cell as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(text: str) -> str:
    """``text`` prefixed with ``'`` when a spreadsheet would read it as a formula, else as is."""
    if text.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


#: C0 and C1 control characters but tab and line feed: a terminal acts on them (ESC starts an
#: escape sequence that can move the cursor, retitle the window or hide text)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: each control character written out as a backslash escape, not acted on."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
