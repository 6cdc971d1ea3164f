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
  quote (``""`` again) follows it;
* and, in a text with any quote, no carriage return stands alone (each is followed by a
  line feed) and no line is :data:`LONGEST_LINE` bytes or longer.

On such a line both parsers read the same cells: an opening quote is where both start a
quoted cell, and a closing one where both end it. Anything else (``"1"0``, ``a"b``, a space
before an opening quote, a line break inside quotes) is *not* well placed, and the file goes
to the strict parsers, which read it or name the row: a false answer costs time, never a
different reading.
"""

from __future__ import annotations

__all__ = ["LONGEST_LINE", "QuoteCheck", "lone_return", "well_quoted"]

_QUOTE, _LF, _CR = 0x22, 0x0A, 0x0D


#: bytes of whole lines checked at once (the numpy temporaries stay in the processor's cache)
_CHUNK = 1 << 20

#: a text with quotes and a line this long or longer is not checked but left to the strict
#: parsers: the check's memory stays bounded (about 50 bytes per byte of the lines checked at once)
LONGEST_LINE = _CHUNK


def well_quoted(data: bytes, delimiter: str, start: int = 0, stop: int | None = None) -> bool:
    """Whether every double quote in ``data[start:stop]`` (whole lines, from a line's start) is well placed.

    ``delimiter`` is the file's delimiter: a text with quotes and a delimiter of more than
    one byte (``，``) is not well quoted. See the module's description for the rules.
    """
    stop = len(data) if stop is None else stop
    if data.find(b'"', start, stop) < 0:
        return True
    encoded = delimiter.encode("utf-8")
    if len(encoded) != 1 or encoded[0] in (_QUOTE, _LF, _CR) or lone_return(data, start, stop):
        return False
    return _placed(data, encoded[0], start, stop)


def lone_return(data: bytes, start: int = 0, stop: int | None = None) -> bool:
    """Whether a carriage return in ``data[start:stop]`` is not followed by a line feed (it ends a line too)."""
    stop = len(data) if stop is None else stop
    return data.count(b"\r", start, stop) != data.count(b"\r\n", start, stop)


def _placed(data: bytes, separator: int, start: int, stop: int) -> bool:
    """The quotes' places in the lines ``data[start:stop]``, checked a chunk of whole lines at a time."""
    window = min(_CHUNK, LONGEST_LINE)  # a line as long as LONGEST_LINE has no line feed in its first window
    while start < stop:
        end = min(stop, start + window)
        cut = data.rfind(b"\n", start, end)
        if cut < 0:  # the line at start fills the window: its own length decides
            line_end = data.find(b"\n", start, stop)
            if (stop if line_end < 0 else line_end) - start >= LONGEST_LINE:
                return False  # a line of LONGEST_LINE bytes or more: left to the strict parsers
            end = stop if line_end < 0 else line_end + 1
        elif end < stop:
            end = cut + 1
        if data.find(b'"', start, end) >= 0 and not _lines_well_quoted(data, start, end, separator):
            return False
        start = end
    return True


def _lines_well_quoted(data: bytes, start: int, stop: int, separator: int) -> bool:
    """:func:`well_quoted` of the whole lines ``data[start:stop]``, for a one-byte delimiter."""
    import numpy as np

    text = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
    quotes = np.flatnonzero(text == _QUOTE)
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
    for the next (at most :data:`LONGEST_LINE` bytes of it); :meth:`finish` checks that last
    line. :attr:`ok` turns false for good at the first quote not well placed.
    """

    def __init__(self, delimiter: str) -> None:
        encoded = delimiter.encode("utf-8")
        self._separator = encoded[0] if len(encoded) == 1 and encoded[0] not in (_QUOTE, _LF, _CR) else None
        self._tail = b""
        self._quoted = False  # a quote was read
        self._flawed = False  # a quote misplaced, a carriage return alone or a line too long
        self._in_long_line = False  # inside a line of LONGEST_LINE bytes or more, not kept

    @property
    def ok(self) -> bool:
        """Whether every quote read so far is well placed (the text so far is :func:`well_quoted`)."""
        return not (self._quoted and (self._flawed or self._separator is None))

    def feed(self, piece: bytes) -> None:
        """Check the lines that ``piece`` completes; keep the rest."""
        if not self.ok or not piece:
            return
        self._quoted = self._quoted or b'"' in piece
        first = piece.find(b"\n")
        if self._in_long_line:
            if first < 0:
                return
            self._in_long_line = False
            piece = piece[first + 1 :]
            first = piece.find(b"\n")
        if first < 0:
            self._tail += piece
            self._check_long_tail()
            return
        self._check(self._tail + piece[: first + 1])
        last = piece.rfind(b"\n")
        self._check(piece, first + 1, last + 1)
        self._tail = piece[last + 1 :]
        self._check_long_tail()

    def finish(self) -> bool:
        """Check the last line; whether every quote was well placed."""
        if self._tail:
            self._check(self._tail)
        self._tail = b""
        return self.ok

    def _check(self, data: bytes, start: int = 0, stop: int | None = None) -> None:
        stop = len(data) if stop is None else stop
        if self._flawed or start >= stop:
            return
        self._flawed = lone_return(data, start, stop) or (
            self._separator is not None
            and data.find(b'"', start, stop) >= 0
            and not _placed(data, self._separator, start, stop)
        )
        if not self._flawed and stop - start >= LONGEST_LINE:  # a line that long, with no quote of its own
            self._flawed = _has_long_line(data, start, stop)

    def _check_long_tail(self) -> None:
        if len(self._tail) >= LONGEST_LINE:  # the last line is that long already: flawed, and not kept
            self._flawed = True
            self._in_long_line = True
            self._tail = b""


def _has_long_line(data: bytes, start: int, stop: int) -> bool:
    """Whether a line of ``data[start:stop]`` holds :data:`LONGEST_LINE` bytes or more before its line feed."""
    while start < stop:
        cut = data.find(b"\n", start, stop)
        end = stop if cut < 0 else cut
        if end - start >= LONGEST_LINE:
            return True
        start = end + 1
    return False
