"""The data as a Frictionless Data Package: the descriptor says what the schemas say, and
Frictionless (an independent implementation of the same contract) agrees with our validator."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest
from frictionless import Resource, Schema

from conftest import ROOT
from innovate.data import datapackage, schemas

SYNTHETIC = ROOT / "data" / "synthetic"
PUBLIC = ROOT / "data" / "public"


@pytest.fixture(scope="module")
def package() -> dict:
    return datapackage.descriptor(SYNTHETIC, PUBLIC)


def test_every_case_table_and_public_file_is_a_resource(package):
    names = [r["name"] for r in package["resources"]]
    assert names[: len(schemas.CASE_TABLES)] == list(schemas.CASE_TABLES)
    public = [r for r in package["resources"] if r["path"].startswith("public/")]
    assert len(public) == len(datapackage.public_files(PUBLIC)) > 20
    assert len(set(names)) == len(names)
    unstated = [r for r in public if "licenses" not in r]
    assert [r["path"].removeprefix("public/") for r in unstated] == sorted(datapackage.LICENCE_NOT_STATED)
    assert all(r["licenses"] == [datapackage.OGL] for r in public if r not in unstated)


def test_fields_carry_the_schema_rules(package):
    outcomes = next(r for r in package["resources"] if r["name"] == "outcomes")["schema"]
    fields = {f["name"]: f for f in outcomes["fields"]}
    assert fields["wave_month"]["type"] == "integer"
    assert fields["wave_month"]["constraints"] == {"required": True, "minimum": 0, "maximum": 18}
    assert fields["person_id"]["constraints"]["pattern"] == r"YP\d{5}"
    assert fields["observed"]["type"] == "boolean" and fields["observed"]["trueValues"] == ["1"]
    assert outcomes["primaryKey"] == ["person_id", "wave_month"]
    assert outcomes["foreignKeys"] == [
        {"fields": ["person_id"], "reference": {"resource": "young_people", "fields": ["person_id"]}}
    ]


def test_checksums_in_the_descriptor_are_the_files_checksums(package):
    young_people = next(r for r in package["resources"] if r["name"] == "young_people")
    assert young_people["hash"] == "sha256:" + datapackage.sha256_of(SYNTHETIC / "young_people.csv")
    assert young_people["bytes"] == (SYNTHETIC / "young_people.csv").stat().st_size


def _resource(frame: pd.DataFrame, table: str, tmp_path) -> Resource:
    path = tmp_path / f"{table}.csv"
    frame.to_csv(path, index=False)
    return Resource(
        path=path.name,
        basepath=str(tmp_path),
        schema=Schema.from_descriptor(datapackage.table_schema(schemas.get(table))),
    )


def test_frictionless_accepts_the_synthetic_table_and_refuses_planted_faults(tmp_path):
    frame = pd.read_csv(SYNTHETIC / "young_people.csv", dtype=str, keep_default_na=False).head(40)
    assert _resource(frame, "young_people", tmp_path).validate().valid
    bad = frame.copy()
    bad.loc[3, "person_id"] = "YP12"  # pattern
    bad.loc[5, "site_id"] = "atlantis"  # allowed values
    bad.loc[7, "person_id"] = bad.loc[8, "person_id"]  # primary key
    report = _resource(bad, "young_people", tmp_path).validate()
    found = {tuple(error) for error in report.flatten(["type", "rowNumber"])}
    assert {("constraint-error", 5), ("constraint-error", 7), ("primary-key", 10)} <= found


def test_the_archive_is_byte_for_byte_reproducible_and_holds_the_descriptor(tmp_path):
    small_public = tmp_path / "public" / "deflators"
    small_public.mkdir(parents=True)
    for f in (PUBLIC / "deflators").glob("*.csv"):
        (small_public / f.name).write_bytes(f.read_bytes())
    first = datapackage.write_archive(SYNTHETIC, tmp_path / "public", tmp_path / "a.zip")
    second = datapackage.write_archive(SYNTHETIC, tmp_path / "public", tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        inside = json.loads(archive.read("datapackage.json"))
        assert sorted(archive.namelist()) == sorted(["datapackage.json", *(r["path"] for r in inside["resources"])])
        assert archive.read("case/young_people.csv") == (SYNTHETIC / "young_people.csv").read_bytes()


def test_the_command_packages_synthetic_data_and_refuses_an_extract(tmp_path, capsys):
    from innovate import cli

    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "young_people.csv").write_text("person_id\nYP00001\n")
    assert cli.main(["data-package", "--out", str(tmp_path / "x.zip"), "--data-dir", str(extract)]) == 1
    assert "never packaged" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
