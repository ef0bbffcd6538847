"""Every file of the shipped public statistics matches its SHA256SUMS entry, and nothing is unlisted."""

from __future__ import annotations

import shutil

import pytest

from innovate.data import checksums, missing, public
from innovate.data.paths import public_dir
from innovate.errors import DataError


def test_every_sha256sums_entry_matches():
    table = checksums.verify_checksums()
    assert len(table) >= 25
    assert table["ok"].all()
    assert set(table["folder"]) == {"dfe_csc_outcomes_enablers", "goodair_csc_raw", "dfe_lait", "deflators", "scotland"}


def test_every_data_file_is_listed():
    listed = {(r.folder, r.file) for r in checksums.checksums().itertuples()}
    for sums in public_dir().glob("*/SHA256SUMS"):
        for path in sums.parent.iterdir():
            if path.is_file() and path.name != "SHA256SUMS":
                assert (sums.parent.name, path.name) in listed, path


def test_every_file_the_loaders_read_is_checksummed():
    listed = {f"{r.folder}/{r.file}" for r in checksums.checksums().itertuples()}
    used = [
        public.ASSESSMENT_FACTORS_FILE,
        public.POPULATION_FILE,
        public.CIN_FILE,
        public.REFERRALS_FILE,
        public.CLA_RATES_FILE,
        public.SN_2021_FILE,
        public.SN_2025_FILE,
        public.LTLA_UTLA_FILE,
        public.LAIT_FILE,
        public.LAIT_DICTIONARY_FILE,
        public.HMT_DEFLATORS_FILE,
        public.ONS_DEFLATOR_FILE,
    ]
    used += [release.file for release in missing.MISSING_RELEASES]
    assert set(used) <= listed


def test_every_folder_has_provenance():
    assert set(checksums.PROVENANCE) == {p.parent.name for p in public_dir().glob("*/SHA256SUMS")}
    for record in checksums.PROVENANCE.values():
        assert "Open Government Licence v3.0" in record["licence"]
        assert all(len(c) == 40 for c in record["commit"].split("; "))


@pytest.fixture
def copy_of_deflators(tmp_path):
    shutil.copytree(public_dir() / "deflators", tmp_path / "deflators")
    return tmp_path


def test_a_changed_byte_is_caught(copy_of_deflators):
    target = copy_of_deflators / "deflators" / "hmt_gdp_deflators_fy_march2026.csv"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("100.0000", "100.0001"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        checksums.verify_checksums(copy_of_deflators)
    [problem] = info.value.problems
    assert problem.rule == "checksum"
    assert problem.file.endswith("deflators/hmt_gdp_deflators_fy_march2026.csv")


def test_an_unlisted_file_is_caught(copy_of_deflators):
    (copy_of_deflators / "deflators" / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not listed"):
        checksums.verify_checksums(copy_of_deflators)


def test_a_malformed_sums_line_is_caught(copy_of_deflators):
    sums = copy_of_deflators / "deflators" / "SHA256SUMS"
    sums.write_text(sums.read_text(encoding="utf-8") + "not-a-hash file.csv\n", encoding="utf-8")
    with pytest.raises(DataError, match="checksum-format"):
        checksums.checksums(copy_of_deflators)
