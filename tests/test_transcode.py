"""Rosters not in UTF-8 are transcoded a piece at a time; the text is Python's whole-file decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2
from ability2.io import roster as roster_module

#: characters of one, two and four bytes in GB18030 (and two or four in UTF-16)
CHARS = st.sampled_from([*"aZ1,;\n学校组优秀合格、", "😀", "\u20ac", "\u00e9"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(CHARS, max_size=60), piece=st.integers(1, 9), encoding=st.sampled_from(["gb18030", "utf-16"]))
def test_transcoded_bytes_are_the_whole_files_decoding(text: str, piece: int, encoding: str) -> None:
    raw = text.encode(encoding)  # "utf-16" writes its byte order mark, as Excel does
    if encoding == "gb18030" and (not raw or _is_utf8(raw)):
        return  # such bytes are UTF-8 already, and read as UTF-8
    original = roster_module._TRANSCODE_BYTES
    try:
        roster_module._TRANSCODE_BYTES = piece  # a character cut at every place a piece can end
        decoded = roster_module._decode(raw)
    finally:
        roster_module._TRANSCODE_BYTES = original
    assert decoded == (text.encode("utf-8"), True)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_bytes_no_encoding_reads_are_refused_not_guessed() -> None:
    assert roster_module._decode("学校".encode("gb18030") + b"\x81") is None  # a cut two-byte character


ROWS = [
    "teacher_id,school,online_hours,offline_hours,abilities,grades",
    'T1,一中,20,30,"A1,B2",优秀、合格',
    'T2,"二中\n东校区",10,25,C4,合格',  # a quoted line break: the strict parser reads it
    "T3,三中,0,0,A3,不合格",
]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16"])
def test_a_roster_in_another_encoding_reads_as_its_utf8_twin(tmp_path: Path, encoding: str) -> None:
    text = "\n".join(ROWS) + "\n"
    utf8 = tmp_path / "utf8.csv"
    other = tmp_path / f"{encoding}.csv"
    utf8.write_bytes(text.encode("utf-8"))
    other.write_bytes(text.encode(encoding))
    ours, theirs = ability2.read_roster(utf8), ability2.read_roster(other)
    assert len(theirs) == 3
    assert theirs.teacher_id.tolist() == ["T1", "T2", "T3"]
    assert theirs.school.tolist() == ["一中", "二中\n东校区", "三中"]
    assert theirs.frame.equals(ours.frame)


def test_a_large_gbk_roster_crosses_many_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_module, "_TRANSCODE_BYTES", 1001)  # odd: pieces end inside characters
    lines = ["teacher_id,school,online_hours,offline_hours,abilities,grades"]
    lines += [f"T{n},第{n % 7}中学,20,30,A1;B2,优秀、合格" for n in range(3000)]
    path = tmp_path / "gbk.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    read = ability2.read_roster(path)
    assert len(read) == 3000
    assert read.school.tolist() == [f"第{n % 7}中学" for n in range(3000)]
