"""The whole synthetic data set passes Frictionless validation against the descriptor the
book publishes: types, ranges, allowed values, patterns, primary keys and foreign keys, checked
by an implementation independent of the book's own validator."""

from __future__ import annotations

from frictionless import Package

from conftest import ROOT
from innovate.data import datapackage


def test_the_synthetic_tables_pass_frictionless_validation():
    package = datapackage.descriptor(ROOT / "data" / "synthetic", ROOT / "data" / "public")
    case = [
        dict(r, path=r["path"].replace("case/", "", 1)) for r in package["resources"] if r["path"].startswith("case/")
    ]
    report = Package({**package, "resources": case}, basepath=str(ROOT / "data" / "synthetic")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:20]
