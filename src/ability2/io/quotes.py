"""Tell, without parsing, whether a CSV's double quotes read the same in Arrow and in strict :mod:`csv`.

Arrow's CSV parser is lenient where the reader wants strictness: it reads ``"1"0`` as ``10``
(text after a closing quote joins the cell), where Python's :mod:`csv` module with
``strict=True`` stops and the reader names the row. A file with double quotes may still be
parsed by Arrow when every quote is *well placed*, as this module checks, a line at a time
and in numpy (no Python code per quote):

* each line (up to a line feed, after which a carriage return must come) holds an even
  number of quotes, so no quoted cell runs over a line break;
* counting a line's quotes from 0, an even one opens a quoted cell: it starts the line or
  follows the delimiter, or follows the odd quote just before it (``""``, a quote inside
  the cell);
* an odd one closes the cell: the delimiter, a line break, the end of the text or an even
  quote (``""`` again) follows it.

On such a line both parsers read the same cells: an opening quote is where both start a
quoted cell, and a closing one where both end it. Anything else (``"1"0``, ``a"b``, a space
before an opening quote, a line break inside quotes) is *not* well placed, and the file goes
to the strict parsers, which read it or name the row: a false answer costs time, never a
different reading.
"""

from __future__ import annotations

__all__ = ["QuoteCheck", "well_quoted"]

_QUOTE, _LF, _CR = 0x22, 0x0A, 0x0D


#: bytes of whole lines checked at once (the numpy temporaries stay in the processor's cache)
_CHUNK = 1 << 20


def well_quoted(data: bytes, delimiter: str, start: int = 0, stop: int | None = None) -> bool:
    """Whether every double quote in ``data[start:stop]`` (whole lines, from a line's start) is well placed.

    ``delimiter`` is the file's delimiter: a text with quotes and a delimiter of more than
    one byte (``，``) is not well quoted. See the module's description for the rules.
    """
    stop = len(data) if stop is None else stop
    if data.find(b'"', start, stop) < 0:
        return True
    encoded = delimiter.encode("utf-8")
    if len(encoded) != 1 or encoded[0] in (_QUOTE, _LF, _CR):
        return False
    while start < stop:  # a few lines at a time: each line is checked on its own
        end = min(stop, start + _CHUNK)
        if end < stop:
            cut = data.rfind(b"\n", start, end)
            end = cut + 1 if cut >= 0 else (data.find(b"\n", end, stop) + 1 or stop)
        if data.find(b'"', start, end) >= 0 and not _lines_well_quoted(data, start, end, encoded[0]):
            return False
        start = end
    return True


def _lines_well_quoted(data: bytes, start: int, stop: int, separator: int) -> bool:
    """:func:`well_quoted` of the whole lines ``data[start:stop]``, for a one-byte delimiter."""
    import numpy as np

    text = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
    quotes = np.flatnonzero(text == _QUOTE)
    if data.find(b"\r", start, stop) >= 0:
        returns = np.flatnonzero(text == _CR)
        returns = returns[returns + 1 < len(text)]
        if not (text[returns + 1] == _LF).all():
            return False  # a carriage return alone ends a line too: such files are left to the strict parsers
    breaks = np.flatnonzero(text == _LF)
    line = np.searchsorted(breaks, quotes)  # the line of each quote: the line feeds before it
    count = len(quotes)
    starts = np.ones(count, dtype=bool)
    starts[1:] = line[1:] != line[:-1]
    numbers = np.arange(count)
    rank = numbers - np.maximum.accumulate(np.where(starts, numbers, 0))  # the quote's rank in its line
    ends = np.ones(count, dtype=bool)
    ends[:-1] = starts[1:]
    if (rank[ends] % 2 == 0).any():  # an odd count: a quoted cell over a line break, or a stray quote
        return False
    before = np.where(quotes > 0, text[np.maximum(quotes - 1, 0)], _LF)
    after = np.where(quotes + 1 < len(text), text[np.minimum(quotes + 1, len(text) - 1)], _LF)
    opening = rank % 2 == 0
    opens = (before == separator) | (before == _LF) | (before == _CR) | (before == _QUOTE)
    closes = (after == separator) | (after == _LF) | (after == _CR) | (after == _QUOTE)
    return bool(np.where(opening, opens, closes).all())


class QuoteCheck:
    """:func:`well_quoted` over a text that arrives in pieces cut anywhere (a file read block by block).

    Each :meth:`feed` checks the whole lines it completes, keeping the unfinished last line
    for the next; :meth:`finish` checks that last line. :attr:`ok` turns false for good at
    the first quote not well placed.
    """

    def __init__(self, delimiter: str) -> None:
        self._delimiter = delimiter
        self._tail = b""
        #: whether every quote checked so far is well placed
        self.ok = True

    def feed(self, piece: bytes) -> None:
        """Check the lines that ``piece`` completes; keep the rest."""
        if not self.ok or not piece:
            return
        first = piece.find(b"\n")
        if first < 0:
            self._tail += piece
            return
        last = piece.rfind(b"\n")
        self.ok = well_quoted(self._tail + piece[: first + 1], self._delimiter) and well_quoted(
            piece, self._delimiter, first + 1, last + 1
        )
        self._tail = piece[last + 1 :]

    def finish(self) -> bool:
        """Check the last line; whether every quote was well placed."""
        if self.ok and self._tail:
            self.ok = well_quoted(self._tail, self._delimiter)
        self._tail = b""
        return self.ok
