"""Command-line safety for hostile input (issue 10, items 11, 13, 14, 15, 16)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import ability2
from ability2.cli import main


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield


def roster(path: Path, **extra: str) -> Path:
    row = {"teacher_id": "T1", "school": "S1", "online_hours": "20", "offline_hours": "30", "abilities": "A1;B2;C4"}
    row.update(extra)
    pd.DataFrame([row]).to_csv(path, index=False)
    return path


def test_output_naming_the_roster_is_refused_and_the_roster_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = roster(tmp_path / "r.csv")
    before = path.read_bytes()
    for fmt in ("json", "html", "table"):
        assert (
            main(["evaluate", str(path), "--region", "hebei", "--on", "2022-01-01", "--format", fmt, "-o", str(path)])
            == 2
        )
        assert "它就是输入文件" in capsys.readouterr().err
    assert (
        main(
            [
                "compare",
                str(path),
                "--region",
                "hebei",
                "--region",
                "guangxi",
                "--on",
                "2022-01-01",
                "--format",
                "json",
                "-o",
                str(path),
            ]
        )
        == 2
    )
    assert path.read_bytes() == before


def test_table_format_writes_a_plain_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = roster(tmp_path / "r.csv")
    out = tmp_path / "r.txt"
    assert (
        main(["evaluate", str(path), "--region", "hebei", "--on", "2022-01-01", "--format", "table", "-o", str(out)])
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "河北省" in text and "\x1b" not in text
    out2 = tmp_path / "c.txt"
    assert (
        main(["compare", str(path), "--region", "hebei", "--region", "guangxi", "--on", "2022-01-01", "-o", str(out2)])
        == 0
    )
    assert "guangxi" in out2.read_text(encoding="utf-8")


def test_escape_sequences_in_cells_never_reach_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = roster(tmp_path / "r.csv", school="S\x1b[2J\x1b]0;owned\x07", name="[bold]x[/bold]")
    assert main(["evaluate", str(path), "--region", "hebei", "--on", "2022-01-01"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out
    assert main(["compare", str(path), "--region", "hebei", "--region", "guangxi", "--on", "2022-01-01"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_a_region_code_given_as_a_number() -> None:
    registry = ability2.load_registry()
    assert registry.policy(370812, on=dt.date(2022, 11, 20)).region.id == "shandong/jining/yanzhou"
    with pytest.raises(TypeError, match="a region is named by its id or code as text"):
        registry.region(3.7)  # type: ignore[arg-type]


def test_validate_refuses_an_empty_folder_and_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path), "--lang", "en"]) == 2
    assert "no policy file here" in capsys.readouterr().err
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["validate", str(fifo), "--lang", "en"]) == 2
    assert "not a regular file or a folder" in capsys.readouterr().err
    assert main(["validate", "/dev/zero"]) == 2


def test_an_18_digit_id_in_a_float_dataframe_column_is_refused() -> None:
    frame = pd.DataFrame(
        {
            "teacher_id": [110101199001011234.0, 2.0],
            "school": ["S", "S"],
            "online_hours": [20, 20],
            "offline_hours": [30, 30],
            "abilities": ["A1;B2;C4"] * 2,
        }
    )
    with pytest.raises(
        ability2.RosterError,
        match=r"<DataFrame>:2:teacher_id: the id 110101199001011232 .* the DataFrame's float column",
    ):
        ability2.read_roster(frame)


def test_a_cell_longer_than_excel_keeps_says_so(tmp_path: Path) -> None:
    # by default such a cell is refused (max_cell_chars is Excel's own 32,767); a program that raises the limit
    # still gets no silent truncation in the xlsx report
    frame = pd.DataFrame(
        [
            {
                "teacher_id": "T1",
                "school": "S",
                "online_hours": "20",
                "offline_hours": "30",
                "abilities": "A1;B2;C4",
                "备注": "x" * 40000,
            }
        ]
    )
    policy = ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1))
    from ability2.limits import limited
    from ability2.reports import write_report

    with pytest.raises(
        ability2.RosterError, match=r"<DataFrame>:2:备注: cell too long: 40,000 characters; at most 32,767"
    ):
        ability2.read_roster(frame)
    with limited(max_cell_chars=50_000):
        result = ability2.evaluate(frame, policy)
    path = write_report(result, tmp_path / "r.xlsx", "xlsx")
    cells = [
        v
        for f in pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine").values()
        for c in f.columns
        for v in f[c].dropna()
    ]
    [long] = [v for v in cells if len(v) > 30000]
    assert len(long) == 32767 and long.endswith(
        "[40,000 characters; Excel keeps 32,767: the json report has the full text]"
    )


def test_extra_columns_named_like_internal_ones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "clash.csv"
    path.write_text(
        "teacher_id,school,online_hours,offline_hours,abilities,status,failed_rules,hours.total_min,__row\n"
        "T1,S,20,30,A1;B2;C4,x1,x2,x3,x4\n",
        encoding="utf-8",
    )
    result = ability2.evaluate(path, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    teachers = result.teachers
    assert [teachers.loc[0, c] for c in ("roster:status", "roster:failed_rules", "roster:hours.total_min")] == [
        "x1",
        "x2",
        "x3",
    ]
    assert teachers.loc[0, "status"] == "pending" and teachers.loc[0, "column __row (9)"] == "x4"
    assert result.to_dict()["teachers"][0]["columns"] == {
        "status": "x1",
        "failed_rules": "x2",
        "hours.total_min": "x3",
        "column __row (9)": "x4",
    }
    assert (
        main(
            [
                "evaluate",
                str(path),
                "--region",
                "hebei",
                "--on",
                "2022-01-01",
                "--format",
                "xlsx",
                "-o",
                str(tmp_path / "r.xlsx"),
            ]
        )
        == 0
    )
    sheet = pd.read_excel(tmp_path / "r.xlsx", sheet_name="教师", dtype=str, engine="calamine")
    assert {"roster:status", "roster:hours.total_min", "column __row (9)"} <= set(sheet.columns)


def test_a_write_finishing_after_a_stop_is_not_kept(tmp_path: Path) -> None:
    """A SIGTERM whose exception native code swallowed still keeps the write from landing."""
    from ability2.files import Stopped, stop_writes, write_text_atomic

    stop_writes()
    try:
        with pytest.raises(Stopped):
            write_text_atomic(tmp_path / "r.txt", "whole")
    finally:
        stop_writes(False)
    assert list(tmp_path.iterdir()) == []
    write_text_atomic(tmp_path / "r.txt", "whole")
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "whole"


def test_a_command_asked_to_stop_exits_143_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As when the signal arrived in a polars call that swallowed its exception: exit 143 all the same."""
    import ability2.files

    roster = tmp_path / "r.csv"
    roster.write_text("teacher_id,school,online_hours,offline_hours,abilities\nT1,S,20,30,A1\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(ability2.files, "_STOP", ability2.files.threading.Event())
    ability2.files.stop_writes()
    code = main(
        [
            "evaluate",
            str(roster),
            "--region",
            "hebei",
            "--on",
            "2022-01-01",
            "--format",
            "json",
            "-o",
            str(out / "r.json"),
        ]
    )
    assert code == 143
    assert list(out.iterdir()) == []
    assert "已终止" in capsys.readouterr().err
    assert not ability2.files.writes_stopped()  # the next command in this process writes again


def test_a_command_started_ignoring_sigint_keeps_ignoring_it(tmp_path: Path) -> None:
    """A script's background job (``ability2 evaluate ... &``) starts with SIGINT ignored: Ctrl-C does not stop it."""
    import signal
    import subprocess
    import sys
    import time

    rows = "".join(f"T{i},S{i % 50},20,30,A1;B2;C4,合格;合格;合格\n" for i in range(60000))
    path = tmp_path / "big.csv"
    path.write_text("teacher_id,school,online_hours,offline_hours,abilities,grades\n" + rows, encoding="utf-8")
    out = tmp_path / "out" / "r.xlsx"
    out.parent.mkdir()
    command = [sys.executable, "-m", "ability2", "evaluate", str(path), "--region", "hebei", "--on", "2022-01-01"]
    process = subprocess.Popen(
        [*command, "--format", "xlsx", "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as a shell does for a background job
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.parent.glob(".r.xlsx.*.tmp")) and process.poll() is None:
        time.sleep(0.02)
    if process.poll() is not None:
        pytest.skip("the report was written before a signal could be sent")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert [item.name for item in out.parent.iterdir()] == ["r.xlsx"]


def test_a_second_interrupt_while_cleaning_up_still_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polars, cancelling its query on SIGINT, raises the interrupt again: the first cleanup is cut short, the file still goes."""
    from ability2.files import write_atomic

    unlink = Path.unlink
    cut: list[Path] = []

    def interrupted_once(self: Path, missing_ok: bool = False) -> None:
        if not cut:
            cut.append(self)
            raise KeyboardInterrupt
        unlink(self, missing_ok=missing_ok)

    def write(temporary: Path) -> None:
        temporary.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "unlink", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "r.txt", write)
    assert cut and list(tmp_path.iterdir()) == []


def test_an_interrupt_native_code_swallowed_then_failed_after_ends_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGINT in a polars call: polars printed "Exception ignored" and then failed with a TypeError.

    The command ends as interrupted (130, 已中断), not as an internal error, and writes nothing.
    """
    import signal
    import time

    import ability2.reports

    def swallowed_then_failed(*args: object, **kwargs: object) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler's exception arrives here
        except KeyboardInterrupt:
            pass  # swallowed, as native code did
        raise TypeError("'<unprintable str object>' is not a Polars data type")

    monkeypatch.setattr(ability2.reports, "write_report", swallowed_then_failed)
    roster = tmp_path / "r.csv"
    roster.write_text("teacher_id,school,online_hours,offline_hours,abilities\nT1,S,20,30,A1\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    args = ["evaluate", str(roster), "--region", "hebei", "--on", "2022-01-01", "--format", "json"]
    code = main([*args, "-o", str(out / "r.json")])
    err = capsys.readouterr().err
    assert code == 130 and "已中断" in err and "内部错误" not in err
    assert list(out.iterdir()) == []
    assert not ability2.files.writes_stopped()  # the next command in this process writes again


def test_names_and_sources_print_as_written_never_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    """rich markup is off: ``[shandong/jining/yanzhou]`` after a form's source is printed, not taken for a style."""
    assert main(["form", "shandong/jining/yanzhou", "--on", "2022-11-20"]) == 0
    assert "[shandong/jining/yanzhou]" in capsys.readouterr().out


@pytest.mark.parametrize(("signame", "code", "said"), [("SIGTERM", 143, "已终止"), ("SIGINT", 130, "已中断")])
def test_a_signal_during_a_report_leaves_no_temporary_file(tmp_path: Path, signame: str, code: int, said: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    rows = "".join(f"T{i},S{i % 50},20,30,A1;B2;C4,合格;合格;合格\n" for i in range(60000))
    path = tmp_path / "big.csv"
    path.write_text("teacher_id,school,online_hours,offline_hours,abilities,grades\n" + rows, encoding="utf-8")
    out = tmp_path / "out" / "r.xlsx"
    out.parent.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ability2",
            "evaluate",
            str(path),
            "--region",
            "hebei",
            "--on",
            "2022-01-01",
            "--format",
            "xlsx",
            "-o",
            str(out),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.parent.glob(".r.xlsx.*.tmp")) and process.poll() is None:
        time.sleep(0.02)
    if process.poll() is not None:
        pytest.skip("the report was written before a signal could be sent")
    process.send_signal(getattr(signal, signame))
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert list(out.parent.iterdir()) == []  # neither the report nor a temporary file
    assert said in err and "Traceback" not in err


def test_validate_runs_no_code_from_the_folder_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / "src" / "ability2_evil"
    (package / "policies").mkdir(parents=True)
    marker = tmp_path / "ran"
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('code ran')\n", encoding="utf-8")
    (package / "policies" / "evil.yaml").write_text(
        "region: {id: evil, name: 恶, level: province, parent: cn}\n"
        "documents:\n  d: {title: t, date: 2021-01-01}\n"
        "rules:\n  hours.total_min: {value: 50, bound: 不少于, replaces: cn, source: {document: d, clause: 一}}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path / "src")]) == 0
    assert not marker.exists()
    assert main(["validate", str(tmp_path / "src"), "--import"]) == 0
    assert marker.read_text(encoding="utf-8") == "code ran"
