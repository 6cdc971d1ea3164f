"""The Arrow CSV path (ability2.io.arrow_csv) against Python's csv module and the reader's other paths."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2.io import read_roster
from ability2.io.arrow_csv import read_coded_csv
from ability2.io.encoding import Distinct
from ability2.messages import render
from ability2.roster import Roster, RosterError

#: cells that stress a CSV parser: separators, quotes and line breaks inside cells, spaces, CJK, empty
CELL = st.sampled_from(
    ["", " ", "a", "A1;B2", "学校", " 学校 ", "a,b", 'say "hi"', '"', "x\ny", "x\r\ny", "\u3000", "=1"]
)


def python_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def cells_of(parsed: Any, width: int) -> list[list[str]]:
    """The parsed table back as rows of texts, coded columns decoded."""
    columns = []
    for j in range(width):
        name = f"c{j}"
        if name in parsed.coded:
            found: Distinct = parsed.coded[name]
            columns.append(found.values.gather(found.index).to_list())
        else:
            columns.append(parsed.texts.get_column(name).to_list())
    return [list(row) for row in zip(*columns, strict=True)]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=25)),
    data=st.data(),
)
def test_cells_read_as_pythons_csv_module_reads_them(rows: list[list[str]], data: st.DataObject) -> None:
    """Property: every cell as the csv module reads it; coded columns as distinct values in order of first appearance."""
    width = len(rows[0]) if rows else 2
    header = [f"h{j}" for j in range(width)]
    body = csv_bytes([header, *rows])
    coded = data.draw(st.sets(st.integers(0, width - 1)))
    parsed = read_coded_csv(body, delimiter=",", header=header, header_index=0, coded=coded)
    assert parsed is not None
    assert cells_of(parsed, width) == python_rows(body)[1:]
    assert parsed.texts.get_column("__row").to_list() == list(range(2, len(rows) + 2))
    for j in coded:
        found = parsed.coded[f"c{j}"]
        assert found.index.dtype == np.int32
        values = found.values.to_list()
        column = [row[j] for row in rows]
        assert values == list(dict.fromkeys(column))  # each once, in order of first appearance


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.sampled_from(["", "a", "学校", "a,b", 'say "hi"', "x\ny", "B2;C3"]), min_size=3, max_size=3),
        max_size=60,
    ),
    block=st.sampled_from([64, 100, 1000]),
)
def test_many_blocks_read_as_one(rows: list[list[str]], block: int) -> None:
    """Property: a file parsed in many small blocks (each encoded on the second thread) reads as the csv module reads it.

    The blocks' dictionaries are joined in file order: each column's distinct values keep
    their order of first appearance over the whole file.
    """
    import ability2.io.arrow_csv as arrow_csv

    header = ["h0", "h1", "h2"]
    body = csv_bytes([header, *rows])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_csv, "_BLOCK_BYTES", block)
        parsed = read_coded_csv(body, delimiter=",", header=header, header_index=0, coded={1, 2})
    assert parsed is not None
    assert cells_of(parsed, 3) == python_rows(body)[1:]
    for j in (1, 2):
        assert parsed.coded[f"c{j}"].values.to_list() == list(dict.fromkeys(row[j] for row in rows))


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(["a,b", "1,2", "", "1", "1,2,3", '"x', 'x"y,z', '"x"y,z', "   ", '"a\nb",c']), max_size=8
    )
)
def test_odd_lines_are_read_as_the_csv_module_reads_them_or_left_to_the_fallback(lines: list[str]) -> None:
    """Property: never a different reading: the csv module's rows when each has the header's two fields, else None."""
    body = ("h0,h1\n" + "\n".join(lines) + "\n").encode("utf-8")
    parsed = read_coded_csv(body, delimiter=",", header=["h0", "h1"], header_index=0, coded={1})
    if parsed is None:
        return
    expected = [row if row else ["", ""] for row in python_rows(body)[1:]]  # a blank line is a row of empty cells
    assert cells_of(parsed, 2) == expected


def test_a_header_row_read_differently_is_left_to_the_fallback() -> None:
    assert read_coded_csv(b'"a,b",c\n1,2\n', delimiter=",", header=["a", "b", "c"], header_index=0, coded=set()) is None
    assert read_coded_csv(b"a,b\n1,2\n", delimiter=",", header=["a", "x"], header_index=0, coded=set()) is None


def test_title_rows_above_the_header_are_skipped_and_rows_numbered_as_a_spreadsheet_shows() -> None:
    body = "2024年教师名单\n\nteacher_id,school\nT1,一中\nT2,二中\n".encode()
    parsed = read_coded_csv(body, delimiter=",", header=["teacher_id", "school"], header_index=2, coded={1})
    assert parsed is not None
    assert parsed.texts.get_column("__row").to_list() == [4, 5]
    assert parsed.coded["c1"].values.to_list() == ["一中", "二中"]


def test_a_stream_opener_reads_as_the_bytes_do() -> None:
    body = csv_bytes([["teacher_id", "school"], ["T1", "一中"], ["T2", "一中"]])
    opened = []

    def stream() -> Any:
        import pyarrow as pa

        opened.append(1)
        return pa.BufferReader(body)

    parsed = read_coded_csv(stream, delimiter=",", header=["teacher_id", "school"], header_index=0, coded={1})
    assert parsed is not None and len(opened) == 2
    assert cells_of(parsed, 2) == [["T1", "一中"], ["T2", "一中"]]


# --------------------------------------------------------------------------- the roster read from a file

HEADER = "teacher_id,school,group,online_hours,offline_hours,abilities,grades,peer_reviews"
ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["T{i}", " T{i} ", ""]),
        "school": st.sampled_from(["一中", " 一中", "二中", "", "\u3000三中"]),
        "group": st.sampled_from(["", "数学组", " 数学组 ", "语文组"]),
        "hours": st.sampled_from(["1", "1.5", " 20 ", "", "x"]),
        "abilities": st.sampled_from(["A1", "a1;B2", "", "C7、C6", "A1 A1"]),
        "grades": st.sampled_from(["", "合格", "合格;优秀", "好"]),
        "peer_reviews": st.sampled_from(["", "是", "no", "maybe"]),
    }
)


def roster_facts(roster: Roster) -> dict[str, Any]:
    """What a roster holds, as plain values (for comparing two readings of one file)."""
    school = roster.factorize("school")
    group = roster.factorize("group")
    assert school is not None and group is not None
    return {
        "ids": list(roster.teacher_id),
        "rows": None if roster.rows is None else roster.rows.tolist(),
        "school": (school.values, np.asarray(school.codes).tolist()),
        "group": (group.values, np.asarray(group.codes).tolist()),
        "online": roster.online.tolist(),
        "offline": roster.offline.tolist(),
        "offsets": roster.ability_offsets.tolist(),
        "codes": roster.ability_codes.tolist(),
        "grades": roster.grades.tolist(),
        "peer_reviews": None if roster.peer_reviews is None else roster.peer_reviews.tolist(),
        "frame": roster.frame.to_dicts(),
    }


def outcome(source: Any) -> Any:
    try:
        return roster_facts(read_roster(source))
    except RosterError as error:
        return [(p.row, str(p.column), render(p.message, "en")) for p in error.problems]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.one_of(ROW, st.just(None)), min_size=1, max_size=12))
def test_a_file_read_by_arrow_reads_as_the_same_cells_in_a_dataframe(tmp_path: Path, rows: list[Any]) -> None:
    """Property: the file path (Arrow, repeated columns coded as they are parsed) and the DataFrame path agree.

    Rows of empty cells (``None``) are left out by both, and the order of first appearance of
    schools and groups is that of the rows kept.
    """
    lines = [HEADER.split(",")]
    for i, row in enumerate(rows):
        if row is None:
            lines.append([""] * 8)
            continue
        cells = [row["id"].format(i=i), row["school"], row["group"], row["hours"], "0"]
        lines.append([*cells, row["abilities"], row["grades"], row["peer_reviews"]])
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(lines))
    frame = pl.DataFrame(
        [pl.Series(name, [line[j] for line in lines[1:]], dtype=pl.String) for j, name in enumerate(lines[0])]
    )
    from_file, from_frame = outcome(str(path)), outcome(frame)
    if isinstance(from_file, list):
        assert isinstance(from_frame, list)
        assert from_file == from_frame
    else:
        assert from_file == from_frame


def test_blank_rows_leave_no_school_or_group_behind(tmp_path: Path) -> None:
    """A blank row's empty cells are no group: the groups are those of the teachers, in their order."""
    path = tmp_path / "r.csv"
    path.write_text(
        "\n".join(
            [HEADER, ",,,,,,,", "T1,一中,数学组,1,1,A1,,", ",,,,,,,", "T2,一中,,1,1,A1,,", "T3,二中,语文组,1,1,A1,,"]
        )
        + "\n",
        encoding="utf-8",
    )
    roster = read_roster(str(path))
    group = roster.factorize("group")
    assert group is not None and group.values == ("数学组", "", "语文组")
    assert list(group.codes) == [0, 1, 2]
    assert roster.rows is not None and roster.rows.tolist() == [3, 5, 6]


def test_a_gbk_line_past_the_first_64_kb_is_named(tmp_path: Path) -> None:
    """The file's head is UTF-8 (Arrow is tried on the file) but a later line is not: that line is named."""
    rows = [f"T{i},一中,1,1,A1" for i in range(5000)]
    text = "\n".join(["teacher_id,school,online_hours,offline_hours,abilities", *rows]) + "\n"
    body = text.encode("utf-8") + "T9999,二中,1,1,A1\n".encode("gbk")
    assert len(text.encode("utf-8")) > 1 << 16
    path = tmp_path / "r.csv"
    path.write_bytes(body)
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    [problem] = info.value.problems
    assert problem.row == 5002 and "not UTF-8" in render(problem.message, "en")


def test_a_gb18030_file_whose_head_is_ascii_is_read_whole(tmp_path: Path) -> None:
    rows = [f"T{i},S1,1,1,A1" for i in range(5000)]
    text = "\n".join(["teacher_id,school,online_hours,offline_hours,abilities", *rows, "T9999,二中,1,1,A1"]) + "\n"
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("gb18030"))
    roster = read_roster(str(path))
    assert len(roster) == 5001 and roster.school[-1] == "二中"


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="AB1学", min_size=0, max_size=6), max_size=40),
    offset=st.integers(0, 3),
    ordered=st.booleans(),
)
def test_all_different_never_says_so_of_texts_that_repeat(texts: list[str], offset: int, ordered: bool) -> None:
    """Property: True only when no text repeats; for one length up to 16 bytes, exactly that (in order or not)."""
    import pyarrow as pa

    from ability2.io.arrow_csv import all_different

    if ordered:  # ids in increasing order are told apart without hashing: repeats among them too
        texts = sorted(texts)
    array = pa.array(texts, type=pa.string()).slice(min(offset, len(texts)))
    values = array.to_pylist()
    found = all_different(array)
    if found:
        assert len(set(values)) == len(values)
    lengths = {len(v.encode()) for v in values}
    if len(values) >= 2 and len(lengths) == 1 and max(lengths) <= 16 and len(set(values)) == len(values):
        assert found  # equal hashes of different texts would be a 1-in-2**64 chance


def test_repeated_ids_of_one_length_are_named(tmp_path: Path) -> None:
    """Ids checked in numpy (one length): a repeat is still a problem naming both rows."""
    path = tmp_path / "r.csv"
    path.write_text(
        "teacher_id,school,online_hours,offline_hours,abilities\nT001,S,1,1,A1\nT002,S,1,1,A1\nT001,S,1,1,A1\n",
        encoding="utf-8",
    )
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    [problem] = info.value.problems
    assert problem.row == 4 and "row 2" in render(problem.message, "en")


@pytest.mark.parametrize("cell", ['"1"0', '1"0"'])
def test_a_stray_quote_is_a_problem_of_its_row_not_a_new_reading(tmp_path: Path, cell: str) -> None:
    """Arrow would read ``"1"0`` as ``10``; a file with quotes goes to the parsers that name the row."""
    path = tmp_path / "r.csv"
    path.write_text(
        f"teacher_id,school,online_hours,offline_hours,abilities\nT1,S,1,1,A1\nT2,S,{cell},1,A1\n", encoding="utf-8"
    )
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    assert [problem.row for problem in info.value.problems] == [3]


def test_quoted_cells_still_read(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        'teacher_id,school,online_hours,offline_hours,abilities\nT1,"一中, 东校区",1,1,"A1,B2"\n', encoding="utf-8"
    )
    roster = read_roster(str(path))
    assert list(roster.school) == ["一中, 东校区"] and roster.ability_offsets.tolist() == [0, 2]


def test_a_file_replaced_while_it_is_read_is_read_as_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader parses the file it opened (by its descriptor), not whatever the name points at later."""
    import ability2.io.roster as reader

    path = tmp_path / "r.csv"
    path.write_text("teacher_id,school,online_hours,offline_hours,abilities\nT1,S,25,1,A1\n", encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("teacher_id,school,online_hours,offline_hours,abilities\nT9,S,2500,1,A1\n", encoding="utf-8")
    direct = reader._direct_text

    def replaced_first(*args: Any) -> Any:
        other.replace(path)  # an atomic replace by another program, after the reader opened the file
        return direct(*args)

    monkeypatch.setattr(reader, "_direct_text", replaced_first)
    roster = read_roster(str(path))
    assert list(roster.teacher_id) == ["T1"] and roster.online.tolist() == [2500]


def test_a_large_file_is_parsed_in_fewer_larger_blocks() -> None:
    """8 MB blocks up to 128 MB; then a sixteenth of the file (fewer block dictionaries to unify), at most 64 MB."""
    from ability2.io.arrow_csv import block_bytes

    mb = 1 << 20
    assert block_bytes(None) == block_bytes(1000) == block_bytes(128 * mb) == 8 * mb
    assert block_bytes(820 * mb) == 820 * mb // 16
    assert block_bytes(5000 * mb) == 64 * mb


def test_a_file_read_in_large_blocks_reads_as_in_small_ones(tmp_path: Path) -> None:
    """The block size changes how the file is cut, never what is read: the same roster either way."""
    import ability2.io.arrow_csv as arrow_csv

    rows = [
        f"T{i:05d},S{i * 7919 % 501},G{i % 3},{i % 30 + 1},{i % 20 + 1},A{i % 13 + 1};B{i % 10 + 1}"
        for i in range(3000)
    ]
    path = tmp_path / "r.csv"
    header = "teacher_id,school,group,online_hours,offline_hours,abilities\n"
    path.write_text(header + "\n".join(rows) + "\n", "utf-8")
    whole = roster_facts(read_roster(str(path)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_csv, "_BLOCK_BYTES", 4096)  # many small blocks, each with its own dictionaries
        patch.setattr(arrow_csv, "_MAX_BLOCK_BYTES", 4096)
        cut = roster_facts(read_roster(str(path)))
    assert cut == whole and len(whole["ids"]) == 3000


@pytest.mark.parametrize("cell", ['"1"0', '"1,5"'])
def test_a_quote_past_the_head_still_sends_the_file_to_the_strict_parsers(tmp_path: Path, cell: str) -> None:
    """The direct path parses without quote handling: a quote far past the first 64 KB drops its table, the row is named."""
    rows = [f"T{i:05d},S1,25,25,A1" for i in range(8000)]  # about 140 KB before the quote
    path = tmp_path / "r.csv"
    body = "teacher_id,school,online_hours,offline_hours,abilities\n" + "\n".join(rows) + f"\nT99999,S1,{cell},25,A1\n"
    path.write_text(body, encoding="utf-8")
    assert body.index('"') > 1 << 16
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    assert [problem.row for problem in info.value.problems] == [8002]


def test_a_well_quoted_cell_past_the_head_reads_as_the_csv_module_reads_it(tmp_path: Path) -> None:
    """Past the first 64 KB, ``"30"`` is 30 hours and ``"S2"`` the school S2: the file goes to the parsers that unquote."""
    rows = [f"T{i:05d},S1,25,25,A1" for i in range(8000)]
    path = tmp_path / "r.csv"
    body = "teacher_id,school,online_hours,offline_hours,abilities\n" + "\n".join(rows) + '\nT99999,"S2","30",25,A1\n'
    path.write_text(body, encoding="utf-8")
    assert body.index('"') > 1 << 16
    roster = read_roster(str(path))
    assert len(roster) == 8001 and roster.school[-1] == "S2" and roster.online[-1] == 30 * 100
