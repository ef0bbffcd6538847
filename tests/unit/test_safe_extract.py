"""Issue 12: safe with a real extract - nothing lost, nothing leaked, no markup injection,
the data folder validated first, and implausible values refused."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from innovate import cli
from innovate.data import paths, schemas

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"


def base(tmp_path: Path, name: str = "data") -> Path:
    folder = tmp_path / name
    shutil.copytree(CORPUS / "_base", folder)
    return folder


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


# --- 1. nothing lost -----------------------------------------------------------------------
def test_synthesize_never_overwrites_a_real_extract(tmp_path, capsys):
    extract = base(tmp_path)  # the shape of a real extract: the tables, no synthetic manifest
    before = digest(extract)
    for extra in ([], ["--force"]):
        assert cli.main(["synthesize", "--out", str(extract), "--per-arm", "2", *extra]) == 1
        assert "refused" in capsys.readouterr().err
        assert digest(extract) == before
    # A manifest that does not say "synthetic" (or cannot be read) protects the folder too.
    (extract / "manifest.json").write_text(json.dumps({"seed": 1, "files": {}}), encoding="utf-8")
    assert cli.main(["synthesize", "--out", str(extract), "--force", "--per-arm", "2"]) == 1
    (extract / "manifest.json").write_text("{not json", encoding="utf-8")
    assert cli.main(["synthesize", "--out", str(extract), "--force", "--per-arm", "2"]) == 1
    assert (extract / "manifest.json").read_text(encoding="utf-8") == "{not json"


def test_synthesize_refuses_a_non_empty_folder_without_force(tmp_path, capsys):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "minutes.docx").write_bytes(b"x")
    assert cli.main(["synthesize", "--out", str(other), "--per-arm", "2"]) == 1
    assert (other / "minutes.docx").read_bytes() == b"x" and len(list(other.iterdir())) == 1
    target = tmp_path / "a-file"
    target.write_text("keep", encoding="utf-8")
    assert cli.main(["synthesize", "--out", str(target), "--per-arm", "2"]) == 1
    assert target.read_text(encoding="utf-8") == "keep"


def test_synthesize_overwrites_a_synthetic_folder_only_with_force(tmp_path, capsys):
    out = tmp_path / "syn"
    assert cli.main(["synthesize", "--seed", "7", "--out", str(out), "--per-arm", "3"]) == 0
    first = digest(out)
    assert cli.main(["synthesize", "--seed", "8", "--out", str(out), "--per-arm", "3"]) == 1
    assert digest(out) == first
    assert cli.main(["synthesize", "--seed", "8", "--out", str(out), "--per-arm", "3", "--force"]) == 0
    assert digest(out) != first
    assert paths.synthetic_manifest(out)["seed"] == 8


@pytest.mark.parametrize(
    "args",
    [
        ["synthesize", "--out", "X", "--per-arm", "0"],
        ["synthesize", "--out", "X", "--per-arm", "many"],
        ["synthesize", "--out", "X", "--seed", "-1"],
        ["synthesize"],
        ["validate"],
        ["validate", "X", "--limit", "-3"],
        ["validate", "X", "--limit", "1e9"],
    ],
)
def test_arguments_out_of_range_are_bad_input(args, tmp_path, capsys):
    args = [str(tmp_path / "out") if a == "X" else a for a in args]
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 1
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- 2. nothing leaked ---------------------------------------------------------------------
def test_appendix_publishes_no_file_name_of_a_real_extract(tmp_path):
    from innovate.sphinxext import buildinfo

    extract = base(tmp_path)
    (extract / "Jane Doe referral notes.csv").write_text("secret\n", encoding="utf-8")
    (extract / "sub").mkdir()
    (extract / "sub" / "John Smith.txt").write_text("secret\n", encoding="utf-8")
    table = buildinfo.data_checksums({"case-level": extract})
    assert len(table) == 1
    text = table.to_csv()
    assert "Jane" not in text and "Smith" not in text and "young_people" not in text
    assert table["bytes"].iloc[0] == sum(p.stat().st_size for p in (CORPUS / "_base").iterdir())
    assert "10" in table["file"].iloc[0]
    # The digest follows the content of the contract's files, not the stray ones.
    (extract / "Jane Doe referral notes.csv").unlink()
    assert buildinfo.data_checksums({"case-level": extract})["sha256"].iloc[0] == table["sha256"].iloc[0]


def test_appendix_lists_only_the_contract_files_of_synthetic_data(tmp_path):
    from innovate.sphinxext import buildinfo

    out = tmp_path / "syn"
    assert cli.main(["synthesize", "--seed", "7", "--out", str(out), "--per-arm", "3"]) == 0
    (out / "Jane Doe.csv").write_text("secret\n", encoding="utf-8")
    table = buildinfo.data_checksums({"case-level": out})
    assert "Jane Doe.csv" not in set(table["file"])
    assert set(table["file"]) == {schemas.get(n).file for n in schemas.CASE_TABLES} | {"manifest.json"}
    assert (table.loc[table["file"] != "manifest.json", "matches shipped checksum"] == "yes").all()


def test_failed_build_log_has_no_identifier_and_no_absolute_path(tmp_path):
    from innovate.sphinxext.datacheck import build_report

    folder = base(tmp_path)
    shutil.copy(CORPUS / "orphan_key" / "outcomes.csv", folder / "outcomes.csv")  # YP99999 is an orphan
    passed, text = build_report(folder)
    assert not passed
    assert "foreign-key" in text and "outcomes.csv" in text
    assert "YP99999" not in text and "YP0" not in text
    assert str(tmp_path) not in text and "/tmp" not in text


# --- 3. no markup injection ------------------------------------------------------------
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def test_styled_tables_escape_markup_from_the_data():
    from innovate.show.glue import styled

    planted = ["<script>alert('x')</script>", '<img src=x onerror="alert(1)">', "A & B"]
    frame = pd.DataFrame({"site": planted, "note": planted, "n": [10, 20, 30]}).set_index("site")
    frame.columns = ["<b>note</b>", "n"]
    html = styled(frame, "planted", fmt={"<b>note</b>": "{}", "n": "{:,.0f}"}, caption="<i>c</i>").to_html()
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert "i" not in parser.tags and "onerror" not in parser.attrs
    assert "&lt;script>alert('x')&lt;/script>" in html and "A &amp; B" in html


# --- 5. validate first, fail fast -----------------------------------------------------------
class _App:
    def __init__(self, outdir: Path):
        self.outdir = str(outdir)


def test_build_stops_at_once_on_an_empty_folder_naming_every_missing_file(tmp_path, monkeypatch):
    from innovate.sphinxext import datacheck

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(empty))
    start = time.perf_counter()
    with pytest.raises(datacheck.DataFolderError) as err:
        datacheck.check_data(_App(tmp_path / "_build" / "html"))
    assert time.perf_counter() - start < 10
    message = str(err.value)
    for name in schemas.CASE_TABLES:
        assert f"{schemas.get(name).file}, -, -, -, missing-file" in message
    assert str(empty) not in message


def test_build_check_passes_and_remembers_a_good_folder(tmp_path, monkeypatch):
    from innovate.sphinxext import datacheck

    folder = base(tmp_path)
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(folder))
    app = _App(tmp_path / "_build" / "html")
    datacheck.check_data(app)
    assert (tmp_path / "_build" / datacheck.STAMP_FILE).is_file()
    shutil.copy(CORPUS / "negative_count" / "area_series.csv", folder / "area_series.csv")
    with pytest.raises(datacheck.DataFolderError, match="area_series.csv, count, 3"):
        datacheck.check_data(app)


def test_the_book_registers_the_data_check_first():
    config = (Path(__file__).resolve().parents[2] / "_config.yml").read_text(encoding="utf-8")
    extensions = config.split("extra_extensions:")[1].split("config:")[0]
    assert extensions.strip().splitlines()[0].strip() == "- innovate.sphinxext.datacheck"
