"""Well-placed quotes (ability2.io.quotes): where Arrow may parse a quoted CSV for the strict parsers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ability2.io import quotes, read_roster
from ability2.io.arrow_csv import read_coded_csv
from ability2.io.quotes import QuoteCheck, well_quoted
from ability2.roster import RosterError

#: texts made of what matters to a CSV parser: delimiters, quotes, line breaks, spaces, CJK
TEXT = st.text(st.sampled_from(["a", "学", ",", '"', "\n", "\r", " "]), max_size=40)


def strict_rows(data: bytes) -> list[list[str]] | None:
    """The rows Python's csv module reads, strict; None when it names a problem."""
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))
    except csv.Error:
        return None


def arrow_rows(data: bytes, width: int) -> list[list[str]] | None:
    """The rows the reader's Arrow path reads (header included), quotes read."""
    header = [f"h{j}" for j in range(width)]
    parsed = read_coded_csv(
        ",".join(header).encode() + b"\n" + data, delimiter=",", header=header, header_index=0, coded={0}
    )
    if parsed is None:
        return None
    coded = parsed.coded["c0"]
    columns = [coded.values.gather(coded.index).to_list()]
    columns += [parsed.texts.get_column(f"c{j}").to_list() for j in range(1, width)]
    return [list(row) for row in zip(*columns, strict=True)]


@pytest.mark.parametrize(
    ("text", "well"),
    [
        ("a,b\n", True),
        ('"a",b\n', True),
        ('x,"A1,B2"\r\n', True),
        ('"say ""hi""",b\n', True),
        ('"a"""\n', True),
        ('"",b\n', True),
        ('a,"b"', True),  # the last line without a line break
        ('"1"0\n', False),  # Arrow reads 10; the csv module, strict, names the row
        ('1"0"\n', False),  # a quote inside a cell not quoted
        (' "a"\n', False),  # a space before the opening quote: a cell not quoted
        ('"a" ,b\n', False),
        ('"a\nb"\n', False),  # a line break inside quotes
        ('"a', False),
    ],
)
def test_quotes_are_well_placed_where_both_parsers_read_them_alike(text: str, well: bool) -> None:
    assert well_quoted(text.encode(), ",") is well


def test_another_delimiter_and_one_of_several_bytes() -> None:
    assert well_quoted(b'"a;b"\t"c"\n', "\t")
    assert not well_quoted(b'"a"\t"c"\n', ",")  # a tab after the closing quote: not the delimiter
    assert not well_quoted(b'"a"\xef\xbc\x8c"c"\n', "，")  # a delimiter of three bytes: left to the strict parsers
    assert well_quoted(b"a\xef\xbc\x8cc\n", "，")  # no quote: nothing to check


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_well_placed_quotes_read_as_the_strict_csv_module_reads_them(text: str) -> None:
    """Property: on a well-quoted text, the Arrow path reads every cell as the strict csv module does."""
    data = text.encode("utf-8")
    if not well_quoted(data, ","):
        return
    rows = strict_rows(data)
    assert rows is not None  # a well-quoted text is one the strict parser reads
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        return  # ragged or empty rows: the reader names them, whichever parser read them
    assert arrow_rows(data, widths.pop()) == rows


def in_pieces(data: bytes, cuts: list[int], delimiter: str = ",") -> bool:
    """:class:`QuoteCheck`'s answer for ``data`` fed cut at ``cuts``."""
    check = QuoteCheck(delimiter)
    at = 0
    for cut in sorted(min(cut, len(data)) for cut in cuts):
        check.feed(data[at:cut])
        at = max(at, cut)
    check.feed(data[at:])
    return check.finish()


@settings(max_examples=300, deadline=None)
@given(
    text=TEXT,
    cuts=st.lists(st.integers(0, 40), max_size=6),
    longest=st.sampled_from([1 << 20, 3, 7]),
    chunk=st.sampled_from([1 << 20, 2, 5]),
    delimiter=st.sampled_from([",", "\t", "，"]),
)
def test_checking_in_pieces_answers_as_checking_whole(
    text: str, cuts: list[int], longest: int, chunk: int, delimiter: str
) -> None:
    """Property: a text cut anywhere (blocks of a file) is well quoted exactly when the whole text is.

    With lines made long (``LONGEST_LINE``) and chunks made short, the long-line rule and the
    chunk loop are reached by texts of a few bytes.
    """
    data = text.replace(",", delimiter).encode("utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quotes, "LONGEST_LINE", longest)
        patch.setattr(quotes, "_CHUNK", chunk)
        assert in_pieces(data, cuts, delimiter) is well_quoted(data, delimiter)


@pytest.mark.parametrize("data", [b'""\n\ra', b'a\rb\n"c"\n', b'"a"\n\r', b'"a"\r'])
def test_a_carriage_return_alone_anywhere_in_a_quoted_text_is_not_well_quoted(data: bytes) -> None:
    # the csv module ends a line there; the check leaves such a text to it, whole or in pieces
    assert not well_quoted(data, ",")
    assert not in_pieces(data, [1, 2, 3])
    assert well_quoted(data.replace(b'"', b""), ",")  # no quote: nothing to check


def test_a_line_too_long_with_quotes_is_refused_in_bounded_memory() -> None:
    import tracemalloc

    hostile = b'"' * (quotes.LONGEST_LINE * 20) + b"\n"  # one line of 20 MB of quotes
    pieces_of_it = [hostile[at : at + (1 << 16)] for at in range(0, len(hostile), 1 << 16)]
    tracemalloc.start()
    try:
        whole = well_quoted(hostile, ",")
        check = QuoteCheck(",")
        for piece in pieces_of_it:
            check.feed(piece)
        pieces = check.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert whole is False and pieces is False  # left to the strict parsers
    assert peak < 8 * quotes.LONGEST_LINE  # a few MB: neither the line nor 50 bytes a quote


def test_a_long_line_without_quotes_is_no_obstacle() -> None:
    long_line = b"a" * (quotes.LONGEST_LINE + 5) + b"\n"
    assert well_quoted(long_line + b'"x",y\n', ",") is False  # quotes in the text, and a line too long
    assert well_quoted(long_line + b"x,y\n", ",") is True
    assert in_pieces(long_line + b"x,y\n", [3, 1 << 19]) is True


HEADER = "teacher_id,school,online_hours,offline_hours,abilities\n"


def facts(path: Path) -> dict[str, Any]:
    roster = read_roster(str(path))
    return {
        "ids": list(roster.teacher_id),
        "schools": list(roster.school),
        "online": roster.online.tolist(),
        "abilities": roster.ability_offsets.tolist(),
    }


def test_a_quoted_roster_is_parsed_by_arrow_and_read_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ability lists written ``"A1,B2"`` (Excel quotes a cell with the delimiter) take the fast path, read alike."""
    import ability2.io.roster as reader

    rows = [f'T{i:05d},"一中, 东校区",{i % 30 + 1},25,"A1,B{i % 10 + 1}"' for i in range(3000)]
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text(
        HEADER + "\n".join(f"T{i:05d},一中 东校区,{i % 30 + 1},25,A1;B{i % 10 + 1}" for i in range(3000)) + "\n",
        encoding="utf-8",
    )

    def no_slow_path(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a well-quoted file went to the slow parsers")

    monkeypatch.setattr(reader, "_polars_csv", no_slow_path)
    monkeypatch.setattr(reader, "_python_csv", no_slow_path)
    read = facts(quoted)
    assert read["schools"] == ["一中, 东校区"] * 3000
    assert read["abilities"] == facts(plain)["abilities"] and read["online"] == facts(plain)["online"]


@pytest.mark.parametrize("late", [False, True])
def test_a_stray_quote_anywhere_is_still_named_by_its_row(tmp_path: Path, late: bool) -> None:
    """``"1"0`` in a file whose other quotes are well placed: the strict parsers name its row, early or late."""
    rows = [f'T{i:05d},"S1",25,25,"A1,B2"' for i in range(8000)]
    if late:
        rows = [f"T{i:05d},S1,25,25,A1" for i in range(8000)]  # no quote in the head
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\n".join(rows) + '\nT99999,S1,"1"0,25,A1\n', encoding="utf-8")
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    assert [problem.row for problem in info.value.problems] == [8002]


def test_a_quoted_roster_in_gbk_is_read_as_in_utf8(tmp_path: Path) -> None:
    """The in-memory path (a GBK file re-encoded) reads well-placed quotes alike."""
    body = HEADER + 'T1,"一中, 东校区",25,25,"A1,B2"\nT2,二中,30,25,A3\n'
    utf8, gbk = tmp_path / "u.csv", tmp_path / "g.csv"
    utf8.write_text(body, encoding="utf-8")
    gbk.write_bytes(body.encode("gbk"))
    assert facts(gbk) == facts(utf8)
    assert facts(utf8)["schools"] == ["一中, 东校区", "二中"]


#: cells as schools write them: no line break inside a cell (that one goes to the strict parsers)
CELL = st.text(st.sampled_from(["a", "学", ",", '"', " ", "1", "="]), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=20)),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_what_a_csv_writer_writes_is_well_quoted_and_read_alike(
    rows: list[list[str]], quoting: int, ending: str
) -> None:
    """Property: a file the csv module writes (cells without line breaks) is well quoted, and Arrow reads it back."""
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator=ending).writerows(rows)
    data = out.getvalue().encode("utf-8")
    assert well_quoted(data, ",")
    if rows and rows[0]:
        assert arrow_rows(data, len(rows[0])) == strict_rows(data) == rows


def test_a_carriage_return_alone_ends_a_row_as_the_csv_module_counts_rows(tmp_path: Path) -> None:
    # the csv module reads rows 3 ("T1,S,1,2": no abilities) and 4 ("A1": no school, no hours);
    # polars, ending lines at line feeds only, read one row with offline hours "2\rA1"
    path = tmp_path / "cr.csv"
    path.write_bytes(HEADER.rstrip("\n").encode() + b'\r\nT0,"S",1,2,A1\r\nT1,S,1,2\rA1\r\n')
    with pytest.raises(RosterError) as raised:
        read_roster(path)
    named = {(problem.row, problem.column) for problem in raised.value.problems}
    assert (3, "abilities") in named and (4, "school") in named
    assert all(problem.row in (3, 4) for problem in raised.value.problems)


def test_a_stream_stopped_reads_nothing_more(tmp_path: Path) -> None:
    from ability2.io.roster import _Bounded

    path = tmp_path / "r.csv"
    path.write_bytes(b'a,"b"\n' * 10)
    with path.open("rb") as handle:
        stream = _Bounded(handle.fileno(), 60, ",")
        assert stream.read(6) == b'a,"b"\n'
        stream.stop()  # Arrow's read-ahead after its parse ended: nothing more is read or checked
        assert stream.read(6) == b""
        assert not stream.at_end
        assert stream.well_quoted()
