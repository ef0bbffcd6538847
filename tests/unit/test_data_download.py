"""The build writes the data package beside the pages, for synthetic data only."""

from __future__ import annotations

import zipfile

from innovate.data import datapackage, paths
from innovate.sphinxext import datadownload


def test_the_archive_goes_to_the_download_path_and_holds_the_descriptor(tmp_path):
    out = datadownload.write_download(tmp_path)
    assert out == tmp_path / datapackage.DOWNLOAD_PATH
    with zipfile.ZipFile(out) as archive:
        assert "datapackage.json" in archive.namelist()
        assert any(name.startswith("case/") for name in archive.namelist())


def test_no_archive_is_written_for_the_studys_extract(tmp_path, monkeypatch):
    extract = tmp_path / "extract"
    extract.mkdir()  # no synthetic manifest: the shape of the study's extract
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(extract))
    assert datadownload.write_download(tmp_path / "html") is None
    assert not (tmp_path / "html").exists()


def test_the_link_text_names_the_archive_for_synthetic_data_and_refuses_an_extract(tmp_path, monkeypatch):
    html = datapackage.download_link_html()
    assert f'href="../../{datapackage.DOWNLOAD_PATH}"' in html and "datapackage.json" in html
    extract = tmp_path / "extract"
    extract.mkdir()
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(extract))
    assert "href" not in datapackage.download_link_html()
