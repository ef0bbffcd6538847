"""The book's data as a Frictionless Data Package: one archive a reader can download.

The case-level contract lives in :mod:`innovate.data.schemas`, written for this book's own
validator. Readers and other tools should not need that code to know what a column means,
so :func:`descriptor` translates every case-level table into a `Frictionless Table Schema
<https://specs.frictionlessdata.io/table-schema/>`_ (types, required fields, ranges, allowed
values, patterns, primary and foreign keys) and lists every public-statistics file with its
size, checksum, licence and source. :func:`write_archive` writes the descriptor and the
files into one zip, byte for byte the same for the same inputs (fixed timestamps, sorted
entries), so the archive's checksum identifies the data.

Row rules that a Table Schema cannot express (for example "post switches on once per
series") stay in the book's validator; each table's description says so.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from innovate.data import paths, schemas
from innovate.data.schema_engine import Column, Table

OGL = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
CC_BY = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
#: Frictionless field type for each of the schema engine's column kinds.
FIELD_TYPES = {"int": "integer", "float": "number", "str": "string", "date": "date", "bool01": "boolean"}
#: A fixed timestamp for every zip entry: the archive depends on the data, not on the clock.
ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def field(column: Column) -> dict:
    """One column as a Table Schema field."""
    out: dict = {"name": column.name, "type": FIELD_TYPES[column.kind], "description": column.description}
    if column.kind == "date":
        out["format"] = "%Y-%m-%d"
    if column.kind == "bool01":
        out["trueValues"], out["falseValues"] = ["1"], ["0"]
    if column.unit:
        out["unit"] = column.unit
    constraints: dict = {}
    if not column.nullable:
        constraints["required"] = True
    if column.min is not None:
        constraints["minimum"] = column.min
    if column.max is not None:
        constraints["maximum"] = column.max
    if column.allowed is not None:
        constraints["enum"] = list(column.allowed)
    if column.pattern is not None:
        constraints["pattern"] = column.pattern
    if constraints:
        out["constraints"] = constraints
    return out


def table_schema(table: Table) -> dict:
    """A case-level table's schema as a Frictionless Table Schema."""
    schema: dict = {
        "fields": [field(c) for c in table.columns],
        "primaryKey": list(table.key),
        # The generator and the validator both write and read an empty cell as missing.
        "missingValues": [""],
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(own), "reference": {"resource": schemas.get(other).name, "fields": list(theirs)}}
            for own, other, theirs in table.foreign_keys
        ]
    return schema


def case_resource(table: Table, folder: Path, prefix: str) -> dict:
    path = folder / table.file
    rules = "; ".join(description for _, description, _ in table.checks)
    description = table.description + (f" Row rules checked by the book's validator only: {rules}." if rules else "")
    return {
        "name": table.name,
        "path": f"{prefix}/{table.file}",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": description,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_of(path)}",
        "schema": table_schema(table),
    }


def public_files(folder: Path) -> list[Path]:
    """The public statistics: every data file under ``folder`` (README and checksum files aside)."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name not in {"README.md", "SHA256SUMS"} and p.suffix == ".csv"
    )


#: Public files whose publisher states no licence (data/public/scotland/README.md says so).
LICENCE_NOT_STATED = {"scotland/lgbf_children_indicators_chn9_chn22_chn23.csv"}


def public_resource(path: Path, folder: Path, prefix: str) -> dict:
    relative = path.relative_to(folder).as_posix()
    licence: dict = (
        {"description": "The publisher states no licence for this file; see data/public/scotland/README.md."}
        if relative in LICENCE_NOT_STATED
        else {"licenses": [OGL]}
    )
    return {
        "name": "public-" + relative.removesuffix(".csv").lower().replace("/", "-").replace("_", "-").replace(".", "-"),
        "path": f"{prefix}/{relative}",
        "format": "csv",
        "mediatype": "text/csv",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_of(path)}",
        **licence,
        "sources": [{"title": "See data/public/README.md for the publisher, repository and commit of each file"}],
    }


def descriptor(case_folder: Path, public_folder: Path, *, synthetic: bool = True) -> dict:
    """The Data Package descriptor for a case-level folder and the public statistics."""
    case_status = "synthetic (generated by the book's code; no real person)" if synthetic else "the study's extract"
    return {
        "profile": "data-package",
        "name": "innovation-in-complex-safeguarding-data",
        "title": "Innovation in complex safeguarding: the book's data",
        "description": (
            f"Case-level tables ({case_status}) with their full schemas, and the public statistics "
            "the book analyses (DfE, ONS, HM Treasury), unchanged."
        ),
        "licenses": [CC_BY, OGL] if synthetic else [OGL],
        "resources": [case_resource(schemas.get(name), case_folder, "case") for name in schemas.CASE_TABLES]
        + [public_resource(p, public_folder, "public") for p in public_files(public_folder)],
    }


def write_archive(case_folder: Path, public_folder: Path, out: Path, *, synthetic: bool = True) -> Path:
    """Write ``datapackage.json``, the case tables and the public files into one zip at ``out``."""
    package = descriptor(case_folder, public_folder, synthetic=synthetic)
    sources = {"case": case_folder, "public": public_folder}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("datapackage.json", json.dumps(package, indent=2, sort_keys=True).encode() + b"\n")]
        for resource in package["resources"]:
            prefix, _, relative = resource["path"].partition("/")
            entries.append((resource["path"], (sources[prefix] / relative).read_bytes()))
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out


#: Where the book's build puts the archive, relative to the HTML output folder; the data
#: appendix links to it and the publish workflow deploys it with the pages.
DOWNLOAD_PATH = "_downloads/innovate-data.zip"


def download_link_html(depth: int = 2) -> str:
    """The data appendix's paragraph: a link to the archive, or why there is none.

    ``depth`` is how many folders the page sits below the book's root (the appendix is at
    ``notebooks/appendices/``). HTML, not Markdown: the archive is not a Sphinx document.
    """
    if not paths.is_synthetic(paths.case_data_dir()):
        return (
            "<p>This book was built on the study's case-level extract, which is never packaged "
            "for download; the public statistics are in the repository's <code>data/public/</code>.</p>"
        )
    href = "../" * depth + DOWNLOAD_PATH
    return (
        f'<p><a href="{href}" download>Download the data (zip)</a>: the synthetic case-level tables, '
        "the public statistics, and a Frictionless <code>datapackage.json</code> generated from the "
        "schemas, with every file's size and SHA-256 checksum, so the data contract can be read and "
        "checked by the Frictionless tools without this book's code.</p>"
    )
