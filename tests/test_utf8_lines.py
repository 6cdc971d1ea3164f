"""Lines that are not UTF-8, told in numpy (ability2.io.utf8_lines), against Python's own decoder."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ability2.io import utf8_lines
from ability2.io.utf8_lines import invalid_lines, mixed_encoding_lines

#: bytes around UTF-8's edges: leading bytes of every length, continuation bytes, the bytes
#: that narrow the next one (overlong forms, surrogates, past U+10FFFF), never-valid bytes,
#: GBK text, line feeds; and whole sequences just inside and just outside UTF-8
PIECE = st.sampled_from(
    [b"a", b"\n", b"\r", b"\x80", b"\xbf", b"\xc0", b"\xc1", b"\xc2", b"\xdf", b"\xe0", b"\xa0", b"\x9f",
     b"\xed", b"\xef", b"\xf0", b"\x90", b"\x8f", b"\xf4", b"\xf5", b"\xff", "中".encode(), "😀".encode(),
     "学校".encode("gbk"), "\ud7ff".encode(), "\U0010ffff".encode(),
     b"\xed\xa0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80", b"\xc0\x80"]
)  # fmt: skip


def by_python(body: bytes) -> tuple[list[int], int]:
    """The lines Python's decoder rejects, and how many non-ASCII lines it accepts."""
    bad, valid = [], 0
    for number, line in enumerate(body.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
        else:
            valid += 1
    return bad, valid


@settings(max_examples=600, deadline=None)
@given(body=st.lists(PIECE, max_size=40).map(b"".join))
def test_every_line_is_judged_as_pythons_decoder_judges_it(body: bytes) -> None:
    """Property: the same lines rejected, the same count accepted, for any bytes."""
    assert invalid_lines(body) == by_python(body)


@settings(max_examples=200, deadline=None)
@given(body=st.lists(PIECE, max_size=60).map(b"".join), chunk=st.integers(1, 16))
@example(body=b"\xc2\xbf\n\xf4", chunk=1)  # an ASCII part after a non-ASCII one on one line
@example(body=b"\xc0\r\xa0\n\r\ra\xe4\xb8\xad", chunk=1)  # characters cut by any chunk
def test_checking_a_few_lines_at_a_time_changes_nothing(body: bytes, chunk: int) -> None:
    """Property: however short the chunks, and wherever they cut lines and characters, the answer is the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utf8_lines, "_CHUNK", chunk)
        assert invalid_lines(body) == by_python(body)


def test_a_utf8_file_with_gbk_lines_pasted_in_names_those_lines() -> None:
    body = "工号,学校\nT1,一中\n".encode() + "T2,二中\n".encode("gbk") + "T3,三中\n".encode()
    assert mixed_encoding_lines(body) == [3]


@pytest.mark.parametrize(
    "body",
    [
        "工号,学校\nT1,一中\n".encode("gbk"),  # all GBK: read as GB18030
        "工号,学校\nT1,一中\n".encode(),  # all UTF-8
        b"id,school\nT1,S1\n",  # ASCII
        codecs.BOM_UTF16_LE + "工号,学校\n".encode("utf-16-le"),  # left to the UTF-16 decoder
    ],
)
def test_a_file_of_one_encoding_names_no_line(body: bytes) -> None:
    assert mixed_encoding_lines(body) == []


def test_is_utf8_agrees_with_pythons_decoder_across_its_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(utf8_lines, "_CHUNK", 3)  # every multi-byte character cut somewhere
    for body in ["学校A1😀\n".encode() * 5, "学校".encode("gbk"), b"ab\xe4\xb8", b"", b"\xed\xa0\x80"]:
        try:
            body.decode("utf-8")
            expected = True
        except UnicodeDecodeError:
            expected = False
        assert utf8_lines.is_utf8(body) is expected


def test_one_long_line_is_looked_at_a_chunk_at_a_time() -> None:
    import tracemalloc

    line = "中".encode("gbk") * (8 << 20)  # one GBK line of 16 MB, in a file of UTF-8 lines
    body = "工号\n".encode() + line + "\n一中\n".encode()
    tracemalloc.start()
    try:
        found = invalid_lines(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == ([2], 2)  # lines 1 and 3 are UTF-8 with Chinese
    assert peak < 64 * utf8_lines._CHUNK  # about 20 bytes a byte of one chunk, not of the line
