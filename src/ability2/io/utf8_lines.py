"""Which lines of a text are not UTF-8, told in numpy: one encoding per file.

A file that is not UTF-8 as a whole is read as GB18030 (GBK). A UTF-8 file with a few GBK
lines pasted in would then be garbled, every UTF-8 line of it, without a word; the reader
names those lines instead (:func:`mixed_encoding_lines`). Telling a line's validity with
Python's decoder costs an exception per GBK line (2.4 s for a million-line GBK roster);
here each byte is classified by array operations, a few megabytes of lines at a time, with
the rules of Python's own UTF-8 decoder (no overlong forms, no surrogates, nothing past
U+10FFFF).
"""

from __future__ import annotations

from typing import Any

__all__ = ["invalid_lines", "is_utf8", "mixed_encoding_lines"]

#: bytes of lines checked at once: the numpy temporaries, a dozen times this, stay in the
#: processor's cache (0.35 s for a 67 MB GBK roster; 0.9 s in pieces of 4 MB)
_CHUNK = 1 << 18


def mixed_encoding_lines(body: bytes) -> list[int]:
    """Line numbers (from 1, each line ended by a line feed) that are not UTF-8, when other non-ASCII lines are.

    Empty when the file is one encoding: every non-ASCII line UTF-8, or none (a GBK file
    has no valid multi-byte UTF-8 line, or all of its lines read so by chance), and for a
    file starting with a UTF-16 byte order mark (left to its decoder).
    """
    import codecs

    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-16 is left to its decoder
        return []
    if is_utf8(body):  # the common case, by the decoder itself: no line to name
        return []
    bad, utf8_lines = invalid_lines(body)
    return bad if utf8_lines and bad else []


def is_utf8(body: bytes) -> bool:
    """Whether ``body`` is UTF-8 throughout, as Python's decoder judges it.

    The bytes are decoded a piece at a time, so no text of the whole file is made.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(body), _CHUNK):
            decoder.decode(view[start : start + _CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def invalid_lines(body: bytes) -> tuple[list[int], int]:
    """``(numbers, valid)``: the numbers of the lines that are not UTF-8, and how many non-ASCII lines are.

    The bytes are looked at :data:`_CHUNK` at a time, cut where no character is, so a line
    of any length costs no more memory than a chunk.
    """
    import numpy as np

    bad: list[int] = []
    valid = 0
    start, line = 0, 1  # line: the number of the line open where the chunk starts
    open_wrong = open_high = False  # what the chunks before found on that line
    while start < len(body):
        stop = _cut(body, start, min(len(body), start + _CHUNK))
        text = np.frombuffer(body, dtype=np.uint8, count=stop - start, offset=start)
        breaks = np.flatnonzero(text == 0x0A)
        starts = np.concatenate(([0], breaks + 1))  # each line's part here, with the line feed that ends it
        starts = starts[starts < len(text)]
        high = text >= 0x80
        if high.any():
            wrong = np.logical_or.reduceat(_errors(text), starts)  # an error is on its leading byte's line
            non_ascii = np.logical_or.reduceat(high, starts)
        else:
            wrong, non_ascii = np.zeros(len(starts), dtype=bool), np.zeros(len(starts), dtype=bool)
        wrong[0] |= open_wrong
        non_ascii[0] |= open_high
        ended = len(breaks)  # the parts that end with a line feed: those lines are whole
        bad += (np.flatnonzero(wrong[:ended]) + line).tolist()
        valid += int(np.count_nonzero(non_ascii[:ended] & ~wrong[:ended]))
        line += ended
        open_wrong, open_high = (bool(wrong[ended]), bool(non_ascii[ended])) if ended < len(starts) else (False, False)
        start = stop
    if open_wrong:  # the last line, without a line feed
        bad.append(line)
    elif open_high:
        valid += 1
    return bad, valid


def _cut(body: bytes, start: int, at: int) -> int:
    """Where to end the chunk from ``start`` near ``at``: where no character is cut.

    That is before a byte that is not a continuation byte (0x80-0xBF), or before the fourth
    continuation byte in a row: a leading byte wants at most three, and the bytes it wants
    end at the first that does not continue it.
    """
    if at >= len(body):
        return len(body)
    for place in range(at, max(at - 3, start + 1) - 1, -1):  # back, keeping the chunk not empty
        if not 0x80 <= body[place] < 0xC0:
            return place
    for place in range(at + 1, min(at + 3, len(body))):  # else on
        if not 0x80 <= body[place] < 0xC0:
            return place
    return min(at + 3, len(body))


def _errors(text: Any) -> Any:
    """For each byte, whether Python's UTF-8 decoder finds an error there (or at the sequence it starts).

    Every error lands on the line of the sequence it breaks: a sequence's wanted bytes stop
    at the first that is not a continuation byte, never past a line feed.
    """
    import numpy as np

    def within(low: int, count: int) -> Any:  # low <= byte < low + count, in one subtraction (it wraps)
        return (text - np.uint8(low)) < np.uint8(count)

    size = len(text)
    follower = text.view(np.int8) < -64  # 0x80 .. 0xBF
    two, three, four = within(0xC2, 0x1E), within(0xE0, 0x10), within(0xF0, 0x05)
    second = np.zeros(size, dtype=np.uint8)
    second[:-1] = text[1:]
    errors: Any = within(0xC0, 2) | (text >= np.uint8(0xF5))
    for lead, wrong in (  # where a leading byte narrows the next byte's range
        (0xE0, second < np.uint8(0xA0)),  # overlong
        (0xED, second > np.uint8(0x9F)),  # a surrogate
        (0xF0, second < np.uint8(0x90)),  # overlong
        (0xF4, second > np.uint8(0x8F)),  # past U+10FFFF
    ):
        wrong &= text == np.uint8(lead)
        errors |= wrong
    wanted = np.zeros(size + 3, dtype=bool)  # the continuation bytes the leading bytes ask for
    np.logical_or(two, three, out=wanted[1 : size + 1])
    wanted[1 : size + 1] |= four
    then = np.zeros(size, dtype=bool)  # a continuation byte follows
    then[:-1] = follower[1:]
    three |= four
    three &= then
    wanted[2 : size + 2] |= three
    then[:-2] &= follower[2:]  # and a second
    then[-2:] = False
    four &= then
    wanted[3 : size + 3] |= four
    errors |= wanted[:size] != follower  # a continuation byte missing, or one no sequence asked for
    if wanted[size:].any():  # a sequence cut short by the end of the text
        errors[-1] = True
    return errors
