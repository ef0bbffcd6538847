"""Issue 12, items 6 and 8: the validator never crashes, never hangs, and keeps its report short.

Beyond the corpus in tests/bad_files (one planted fault per folder), these lay hostile
files, folders and manifests into a copy of the corpus's valid base and check the exit
status, that the problem is named, that no traceback is printed and that the report
cannot be forged by what is in a name or a cell.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from innovate import cli
from innovate.data.validate import format_problem, validate_folder

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"
YP = "young_people.csv"


def base(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(CORPUS / "_base", folder)
    return folder


def rules(report, file=YP) -> set[str]:
    return {p.rule for p in report.problems if p.file == file}


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", "innovate", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


# --- encodings, byte-order marks, line endings ------------------------------------------------
@pytest.mark.parametrize("ending", ["\r\n", "\r", "mixed"])
def test_every_line_ending_is_read(tmp_path, ending):
    folder = base(tmp_path)
    for path in folder.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        if ending == "mixed":
            text = "".join(line + ("\r\n", "\n", "\r")[k % 3] for k, line in enumerate(lines))
        else:
            text = ending.join(lines) + ending
        path.write_bytes(text.encode("utf-8"))
    report = validate_folder(folder)
    assert report.ok, [format_problem(p) for p in report.problems]
    assert report.rows == validate_folder(CORPUS / "_base").rows


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_folder(folder).ok


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_named(tmp_path, codec):
    folder = base(tmp_path)
    path = folder / YP
    text = path.read_text(encoding="utf-8")
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32": b""}[codec]
    path.write_bytes(bom + text.encode(codec))
    problems = [p for p in validate_folder(folder).problems if p.file == YP]
    assert [p.rule for p in problems] == ["encoding"]
    assert "UTF-16" in problems[0].message or "UTF-32" in problems[0].message or "NUL" in problems[0].message


def test_an_invalid_byte_far_into_a_file_is_located(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    lines = path.read_bytes().split(b"\n")
    padding = [lines[1]] * 30_000  # well past the first block the checker reads
    data = b"\n".join([lines[0], *padding, lines[2].replace(b"devon", b"d\xe9von"), b""])
    path.write_bytes(data)
    problem = next(p for p in validate_folder(folder).problems if p.file == YP)
    assert problem.rule == "encoding" and problem.row == 30_001
    assert f"byte offset {data.index(bytes([0xE9]))}" in problem.message


# --- things that are not files --------------------------------------------------------------
def test_a_named_pipe_does_not_hang_the_validator(tmp_path):
    folder = base(tmp_path)
    (folder / YP).unlink()
    os.mkfifo(folder / YP)
    done = run("validate", str(folder), timeout=60)
    assert done.returncode == 1
    assert "young_people.csv, -, -, -, not-a-file: is a named pipe" in done.stdout
    assert "Traceback" not in done.stderr


def test_links_folders_and_devices_are_refused_unopened(tmp_path):
    folder = base(tmp_path)
    (folder / YP).unlink()
    (folder / YP).symlink_to("/dev/zero")  # read through, this would never end
    shutil.rmtree(folder / "outcomes.csv", ignore_errors=True)
    (folder / "outcomes.csv").unlink()
    (folder / "outcomes.csv").mkdir()
    (folder / "placements.csv").unlink()
    (folder / "placements.csv").symlink_to(CORPUS / "_base" / "placements.csv")
    report = validate_folder(folder)
    assert rules(report) == {"not-a-file"}
    assert rules(report, "outcomes.csv") == {"not-a-file"}
    assert rules(report, "placements.csv") == {"not-a-file"}


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    folder = base(tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).endswith(YP) else real_access(p, mode))
    report = validate_folder(folder)
    assert rules(report) == {"unreadable"}


# --- CSV syntax -------------------------------------------------------------------------------
def test_unclosed_quote_and_oversized_field_at_the_end(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    path.write_text(path.read_text(encoding="utf-8") + '"YP00009,devon\n' + "x" * 300_000 + "\n", encoding="utf-8")
    report = validate_folder(folder)
    assert rules(report) & {"csv-syntax", "oversized-field"}


def test_a_quoted_newline_and_a_stray_quote_are_named_not_fatal(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[5] = '"whi\nte"'
    lines[1] = ",".join(cells)
    lines[2] = lines[2].replace("devon", 'de"von', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_folder(folder)
    assert not report.ok
    assert rules(report) <= {"csv-syntax", "allowed-values", "no-outcomes", "foreign-key"}


# --- manifests --------------------------------------------------------------------------------
def manifest(folder: Path, files) -> None:
    body = {"generator": "g", "generator_version": "1", "seed": 1, "synthetic": True, "sites": {}, "files": files}
    (folder / "manifest.json").write_text(json.dumps(body), encoding="utf-8")


def sums(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.glob("*.csv")):
        data = path.read_bytes()
        out[path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": data.count(b"\n") - 1}
    return out


def manifest_rules(report) -> set[str]:
    return rules(report, "manifest.json")


def test_upper_case_checksums_are_the_same_checksums(tmp_path):
    folder = base(tmp_path)
    manifest(folder, {k: {**v, "sha256": v["sha256"].upper()} for k, v in sums(folder).items()})
    assert manifest_rules(validate_folder(folder)) == {"missing-key"}  # only the six sites' parameters


@pytest.mark.parametrize(
    "files",
    [
        {"/etc/passwd": {"sha256": "0" * 64}},
        {"..": {"sha256": "0" * 64}},
        {"sub/../../x": {"sha256": "0" * 64}},
        {"C:\\x.csv": {"sha256": "0" * 64}},
    ],
)
def test_manifest_names_leaving_the_folder_are_refused(tmp_path, files):
    folder = base(tmp_path)
    manifest(folder, {**sums(folder), **files})
    assert "manifest-path" in manifest_rules(validate_folder(folder))


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "null",
        '"files"',
        '{"files": 3, "sites": []}',
        '{"files": {"young_people.csv": "abc"}}',
        '{"files": {"young_people.csv": {"sha256": 7, "rows": "x"}}}',
        '{"files": {"young_people.csv": {"sha256": "zz", "rows": -1}}}',
        "[" * 100_000 + "]" * 100_000,
        '{"seed": 1e999999}',
        "\ufeff{}",
    ],
)
def test_odd_manifests_are_named_not_fatal(tmp_path, text):
    folder = base(tmp_path)
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    report = validate_folder(folder)
    assert manifest_rules(report)
    assert all(p.file == "manifest.json" for p in report.problems if p.file not in ("young_people.csv",))


def test_a_manifest_that_is_a_pipe_does_not_hang(tmp_path):
    folder = base(tmp_path)
    os.mkfifo(folder / "manifest.json")
    done = run("validate", str(folder), timeout=60)
    assert done.returncode == 1 and "manifest.json, -, -, -, not-a-file" in done.stdout


# --- the report cannot be forged ------------------------------------------------------------
def test_control_characters_and_escapes_cannot_forge_report_lines(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("devon", "devon\x1b[2K\x08\x85OK: 10 files, 90 rows, no problems", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "x\x1b[31m\nOK: 10 files.csv").write_text("a\n", encoding="utf-8")
    done = run("validate", str(folder))
    assert done.returncode == 1
    for stream in (done.stdout, done.stderr):
        assert "\x1b" not in stream and "\x08" not in stream and "\x85" not in stream
        assert not any(line.startswith("OK") for line in stream.splitlines())
    assert "\\x1b[2K\\x08\\x85OK" in done.stdout
    assert "note: x\\x1b[31m\\x0aOK: 10 files.csv" in done.stderr


def test_look_alike_and_invisible_characters_are_shown_visibly():
    from innovate.errors import visible

    assert visible("dev\u043en") == "dev<U+043E CYRILLIC SMALL LETTER O>n"
    assert visible("devon\u200b") == "devon<U+200B ZERO WIDTH SPACE>"
    assert visible("YP\u0660") == "YP<U+0660 ARABIC-INDIC DIGIT ZERO>"
    assert visible("a\u202eb") == "a<U+202E RIGHT-TO-LEFT OVERRIDE>b"
    assert visible("Jos\u00e9") == "Jos\u00e9"  # an accented Latin letter imitates nothing


def test_identifiers_take_ascii_digits_only(tmp_path):
    folder = base(tmp_path)
    path = folder / YP
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[1].split(",")[0]
    path.write_text(text.replace(first, first[:2] + "\uff11" * 5, 1), encoding="utf-8")  # full-width digits
    report = validate_folder(folder)
    assert "pattern" in rules(report)


# --- exit statuses ----------------------------------------------------------------------------
def test_the_tools_own_failure_exits_2_without_a_traceback(tmp_path, monkeypatch, capsys):
    import innovate.data.validate as validate

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(validate, "validate_folder", broken)
    assert cli.main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "internal error (MemoryError)" in err and "Traceback" not in err


def test_output_piped_into_head(tmp_path):
    folder = base(tmp_path)
    path = folder / "service_activity.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # 2,000 bad rows report 6,000 problems (950 KB): fifteen times the pipe's 64 KB buffer, so
    # the validator is still writing when head leaves (20,000 rows took 20 s to validate).
    path.write_text("\n".join(lines[:1] + [lines[1].replace("devon", "nowhere")] * 2_000) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        f"{sys.executable} -m innovate validate --limit 0 {folder} | head -2",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


# --- scale: the report is capped per rule, with counts -----------------------------------------
def test_report_lists_the_first_problems_per_rule_and_counts_the_rest(tmp_path, capsys):
    folder = base(tmp_path)
    path = folder / "service_activity.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = [lines[1].rsplit(",", 1)[0] + f",-{k}" for k in range(1, 5001)]
    path.write_text("\n".join(lines[:1] + bad) + "\n", encoding="utf-8")
    report = validate_folder(folder, limit=20)
    ranges = [p for p in report.problems if p.rule == "range" and p.column == "contact_hours"]
    assert len([p for p in ranges if not p.more]) == 20
    assert sum(p.more for p in ranges) == 4980
    assert report.count > 5000
    assert len(report.problems) < 100
    assert cli.main(["validate", str(folder), "--limit", "5"]) == 1
    out = capsys.readouterr()
    assert "... and 4,995 more with this rule, not listed" in out.out
    everything = validate_folder(folder, limit=None)
    assert len([p for p in everything.problems if p.rule == "range" and p.column == "contact_hours"]) == 5000


def test_a_large_file_is_read_in_chunks(tmp_path, monkeypatch):
    from innovate.data import schema_engine

    monkeypatch.setattr(schema_engine, "CHUNK_ROWS", 7)
    folder = base(tmp_path)
    report = validate_folder(folder)
    assert report.ok and report.rows == validate_folder(CORPUS / "_base").rows
    shutil.copy(CORPUS / "attrition_not_monotone" / "outcomes.csv", folder / "outcomes.csv")
    shutil.copy(CORPUS / "not_first_of_month" / "service_activity.csv", folder / "service_activity.csv")
    report = validate_folder(folder)
    found = {(p.file, p.rule, p.row) for p in report.problems}
    assert ("service_activity.csv", "first-of-month", 1) in found
    assert any(f == "outcomes.csv" and r == "monotone-attrition" for f, r, _ in found)
