"""Rebuild the bad-file corpus: a small valid folder (_base/) and one folder per fault.

Each fault folder holds only the file(s) that differ from _base/ (plus, for a missing
file, ``_remove.txt`` naming the file to delete). The tests copy _base/ to a temporary
folder, overlay the fault folder, run ``python -m innovate validate`` and check that the
fault listed in ``faults.csv`` (file, rule, column, row) is reported.

Run from the repository root:  .venv/bin/python tests/bad_files/build_corpus.py
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

from innovate.config import SEED
from innovate.data import schemas
from innovate.synthetic import generator

HERE = Path(__file__).resolve().parent
BASE = HERE / "_base"


def base_tables() -> dict[str, pd.DataFrame]:
    t = generator.generate(seed=SEED, per_arm=3)
    a = t["area_series"]
    a = a[
        (a["site_id"] == "devon")
        & a["area_code"].isin(["878", "933"])
        & (a["measure"] == "efr_referrals")
        & (a["month"] >= "2019-01-01")
        & (a["month"] <= "2019-06-01")
    ]
    yp = t["young_people"]
    o = t["outcomes"]
    devon = yp[yp["site_id"] == "devon"]
    lost = set(o.loc[o["observed"] == 0, "person_id"])
    placed = set(t["placements"]["person_id"])
    chosen = []
    for arm in ("innovation", "comparison"):
        people = devon[devon["arm"] == arm]["person_id"].tolist()
        first = next((p for p in people if p in lost), people[0])
        second = next((p for p in people if p in placed and p != first), people[-1])
        chosen += [first, second]
    persons = sorted(dict.fromkeys(chosen))
    sa = t["service_activity"]
    sa = sa[sa["person_id"].isin(persons)]
    sa = sa[sa.groupby("person_id")["month"].rank(method="dense") <= 2]
    costs = t["innovation_costs"]
    ev = t["stage_events"]
    seg = t["coded_segments"]
    es = t["experience_survey"]
    ns = t["network_survey"]
    first_orgs = ns["organisation_id"].drop_duplicates().head(3)
    return {
        "area_series": a,
        "young_people": yp[yp["person_id"].isin(persons)],
        "outcomes": o[o["person_id"].isin(persons)],
        "service_activity": sa,
        "placements": t["placements"][t["placements"]["person_id"].isin(persons)],
        "innovation_costs": costs[(costs["site_id"] == "devon") & costs["financial_year"].isin(["2019-20", "2020-21"])],
        "stage_events": ev[ev["site_id"] == "devon"].head(4),
        "coded_segments": seg[seg["site_id"] == "devon"].head(6),
        "experience_survey": es[es["site_id"] == "devon"].head(4),
        "network_survey": ns[ns["organisation_id"].isin(first_orgs)],
    }


def lines(name: str) -> list[str]:
    return (BASE / schemas.get(name).file).read_text(encoding="utf-8").splitlines()


def cell_edit(name: str, row: int, column: str, value: str) -> str:
    """The base file with one cell changed (row is the 1-based data row)."""
    rows = list(csv.reader(lines(name)))
    rows[row][rows[0].index(column)] = value
    return "".join(",".join(r) + "\n" for r in rows)


FAULTS: list[dict] = []


def fault(
    name: str,
    file: str,
    rule: str,
    column: str = "",
    row: str = "",
    content: str | bytes | None = None,
    remove: bool = False,
    extra: dict[str, str] | None = None,
    note: str = "",
) -> None:
    folder = HERE / name
    folder.mkdir()
    if remove:
        (folder / "_remove.txt").write_text(file + "\n", encoding="utf-8")
    elif content is not None:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / file).write_bytes(data)
    for other, text in (extra or {}).items():
        (folder / other).write_text(text, encoding="utf-8")
    FAULTS.append({"fault": name, "file": file, "rule": rule, "column": column, "row": row, "note": note})


def main() -> None:
    for path in HERE.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
    BASE.mkdir()
    for name, frame in base_tables().items():
        (BASE / schemas.get(name).file).write_text(schemas.to_csv_text(name, frame), encoding="utf-8")

    yp = "young_people.csv"
    header = lines("young_people")[0].split(",")
    keep = [i for i, h in enumerate(header) if h != "ethnicity"]
    fault(
        "missing_column",
        yp,
        "missing-column",
        "ethnicity",
        content="".join(
            ",".join(c for i, c in enumerate(r) if i in keep) + "\n" for r in csv.reader(lines("young_people"))
        ),
        note="the ethnicity column is absent",
    )
    fault(
        "unexpected_column",
        "outcomes.csv",
        "unexpected-column",
        "notes",
        content="".join(line + (",notes\n" if i == 0 else ",\n") for i, line in enumerate(lines("outcomes"))),
    )
    fault("wrong_type", yp, "type", "age_at_baseline", "2", cell_edit("young_people", 2, "age_at_baseline", "fifteen"))
    fault(
        "wrong_type_date",
        "placements.csv",
        "type",
        "start_date",
        "1",
        cell_edit("placements", 1, "start_date", "13/02/2022"),
    )
    fault("negative_count", "area_series.csv", "range", "count", "3", cell_edit("area_series", 3, "count", "-3"))
    fault("out_of_range_score", "outcomes.csv", "range", "swemwbs", "1", cell_edit("outcomes", 1, "swemwbs", "41.50"))
    fault(
        "unknown_site",
        "stage_events.csv",
        "allowed-values",
        "site_id",
        "2",
        cell_edit("stage_events", 2, "site_id", "bristol"),
    )
    fault(
        "unknown_category",
        "placements.csv",
        "allowed-values",
        "placement_type",
        "1",
        cell_edit("placements", 1, "placement_type", "hotel"),
    )
    seg = lines("coded_segments")
    first_id = seg[1].split(",")[0]
    fault(
        "duplicate_key",
        "coded_segments.csv",
        "duplicate-key",
        "segment_id",
        "2",
        cell_edit("coded_segments", 2, "segment_id", first_id),
    )
    out = lines("outcomes")
    orphan = [out[1 + k].replace(out[1].split(",")[0], "YP99999", 1) for k in range(4)]
    fault(
        "orphan_key",
        "outcomes.csv",
        "foreign-key",
        "person_id",
        str(len(out)),
        content="\n".join(out + orphan) + "\n",
        note="YP99999 is not in young_people.csv",
    )
    sa_first = lines("service_activity")[1].split(",")
    fault(
        "site_mismatch",
        "service_activity.csv",
        "foreign-key",
        "person_id, site_id",
        "1",
        cell_edit("service_activity", 1, "site_id", "sheffield"),
        note="the young person belongs to devon, the activity row says sheffield",
    )
    pl = list(csv.reader(lines("placements")))
    fault(
        "dates_out_of_order",
        "placements.csv",
        "date-order",
        "end_date",
        "1",
        cell_edit(
            "placements",
            1,
            "end_date",
            (pd.Timestamp(pl[1][pl[0].index("start_date")]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
        ),
        note="end_date the day before start_date",
    )
    fault(
        "events_out_of_order",
        "stage_events.csv",
        "date-order",
        "event_date",
        "3",
        cell_edit("stage_events", 3, "event_date", "2018-01-01"),
    )
    fault("empty_file", "network_survey.csv", "empty-file", content=b"")
    fault("header_only", "experience_survey.csv", "no-rows", content=lines("experience_survey")[0] + "\n")
    seg_text = "\n".join(seg) + "\n"
    fault(
        "non_utf8",
        "coded_segments.csv",
        "encoding",
        content=seg_text.replace("devon", "d\u00e9von", 1).encode("latin-1"),
        note="a latin-1 byte 0xe9",
    )
    fault(
        "wrong_delimiter",
        "innovation_costs.csv",
        "delimiter",
        content="".join(line.replace(",", ";") + "\n" for line in lines("innovation_costs")),
    )
    fault(
        "absurd_count",
        "area_series.csv",
        "implausible-value",
        "count",
        "2",
        cell_edit("area_series", 2, "count", "1e300"),
    )
    fault(
        "absurd_amount",
        "innovation_costs.csv",
        "implausible-value",
        "amount_gbp",
        "1",
        cell_edit("innovation_costs", 1, "amount_gbp", "1e300"),
    )
    fault(
        "not_finite",
        "service_activity.csv",
        "not-finite",
        "contact_hours",
        "2",
        cell_edit("service_activity", 2, "contact_hours", "inf"),
    )
    fault("missing_file", "young_people.csv", "missing-file", remove=True)
    rows = list(csv.reader(out))
    person = rows[1][0]
    fault(
        "missing_wave",
        "outcomes.csv",
        "all-waves",
        "wave_month",
        "1",
        content="\n".join(line for i, line in enumerate(out) if i != 4) + "\n",
        note=f"{person} has no wave 18 row",
    )
    lost = [i for i, r in enumerate(rows) if i > 0 and r[2] == "0"]
    if not lost:
        raise SystemExit("base has nobody lost to follow-up: pick other young people")
    i = lost[-1]
    fault(
        "outcome_when_unobserved",
        "outcomes.csv",
        "empty-iff-unobserved",
        "swemwbs",
        str(i),
        cell_edit("outcomes", i, "swemwbs", "20.00"),
    )
    prev = [k for k in range(1, len(rows)) if rows[k][0] == rows[i][0] and rows[k][1] == str(int(rows[i][1]) - 6)][0]
    if rows[prev][2] == "1":
        # Make the previous wave unobserved and this one observed: a return after loss.
        edited = [list(r) for r in rows]
        edited[prev] = edited[prev][:2] + ["0"] + [""] * (len(rows[0]) - 3)
        edited[i] = rows[prev][:2] + ["1"] + rows[prev][3:]
        edited[i][1] = rows[i][1]
        fault(
            "attrition_not_monotone",
            "outcomes.csv",
            "monotone-attrition",
            "observed",
            str(i),
            content="".join(",".join(r) + "\n" for r in edited),
        )
    else:
        edited = [list(r) for r in rows]
        edited[i] = [rows[i][0], rows[i][1], "1"] + rows[1][3:]
        fault(
            "attrition_not_monotone",
            "outcomes.csv",
            "monotone-attrition",
            "observed",
            str(i),
            content="".join(",".join(r) + "\n" for r in edited),
        )
    fault(
        "ragged_row",
        "experience_survey.csv",
        "field-count",
        "",
        "2",
        content="\n".join(line + (",5" if k == 2 else "") for k, line in enumerate(lines("experience_survey"))) + "\n",
    )
    fault(
        "unknown_code",
        "coded_segments.csv",
        "codebook",
        "code",
        "1",
        cell_edit("coded_segments", 1, "code", "magic_wand"),
    )
    area = list(csv.reader(lines("area_series")))
    post_col = area[0].index("post")
    last_post = max(k for k in range(1, len(area)) if area[k][post_col] == "1" and area[k][2] == "site")
    fault(
        "post_not_monotone",
        "area_series.csv",
        "post-monotone",
        "post",
        str(last_post),
        cell_edit("area_series", last_post, "post", "0"),
    )
    fault(
        "bad_financial_year",
        "innovation_costs.csv",
        "financial-year",
        "financial_year",
        "1",
        cell_edit("innovation_costs", 1, "financial_year", "2019-21"),
    )
    fault(
        "not_first_of_month",
        "service_activity.csv",
        "first-of-month",
        "month",
        "1",
        cell_edit("service_activity", 1, "month", sa_first[2][:8] + "15"),
    )
    fault(
        "bad_manifest_checksum",
        "manifest.json",
        "checksum",
        "files",
        "",
        content=json.dumps(
            {
                "generator": "innovate.synthetic",
                "generator_version": "x",
                "seed": 1,
                "sites": {s: {} for s in schemas.SITE_IDS},
                "files": {"young_people.csv": {"sha256": hashlib.sha256(b"other").hexdigest(), "rows": 4}},
            },
            indent=2,
            sort_keys=True,
        )
        + "\n",
    )
    # --- issue 12: file-level faults that once crashed or hung the validator ---------------
    yp_text = "\n".join(lines("young_people")) + "\n"
    fault(
        "utf16_bom",
        yp,
        "encoding",
        "",
        "0",
        content=yp_text.encode("utf-16"),
        note="saved as UTF-16 with a byte-order mark",
    )
    fault("nul_bytes", yp, "encoding", content=yp_text.replace("devon", "dev\x00n", 1).encode("utf-8"))
    ys = lines("young_people")
    fault(
        "unclosed_quote",
        yp,
        "csv-syntax",
        "",
        "2",
        content="\n".join([ys[0], ys[1], '"' + ys[2]] + ys[3:]) + "\n",
        note="a quote opened in row 2 is never closed",
    )
    fault(
        "oversized_field",
        "stage_events.csv",
        "oversized-field",
        "",
        "2",
        content=cell_edit("stage_events", 2, "stage", "x" * 200_000),
        note="a 200,000-character cell",
    )
    fault(
        "non_ascii_digits",
        yp,
        "pattern",
        "person_id",
        "3",
        cell_edit("young_people", 3, "person_id", "YP\u0660\u0660\u0660\u0660\u0661"),
        note="Arabic-Indic digits where the schema says digits",
    )
    fault(
        "lookalike_site",
        "placements.csv",
        "allowed-values",
        "site_id",
        "1",
        cell_edit("placements", 1, "site_id", "dev\u043en"),
        note="a Cyrillic o in devon",
    )
    manifest_base = {
        "generator": "innovate.synthetic",
        "generator_version": "x",
        "seed": 1,
        "synthetic": True,
        "sites": {s: {} for s in schemas.SITE_IDS},
    }

    def manifest_of(files: object) -> str:
        return json.dumps({**manifest_base, "files": files}, indent=2, sort_keys=True) + "\n"

    def entry(name: str) -> dict:
        data = (BASE / name).read_bytes()
        return {"sha256": hashlib.sha256(data).hexdigest(), "rows": data.count(b"\n") - 1}

    every = {schemas.get(n).file: entry(schemas.get(n).file) for n in schemas.CASE_TABLES}
    fault(
        "manifest_path_escape",
        "manifest.json",
        "manifest-path",
        "files",
        content=manifest_of({**every, "../../etc/passwd": {"sha256": "0" * 64, "rows": 1}}),
        note="a file name that leaves the folder is refused unopened",
    )
    fault(
        "manifest_odd_shape",
        "manifest.json",
        "type",
        "files",
        content=manifest_of([["young_people.csv", "abc"]]),
        note="files is a list, not an object",
    )
    fault(
        "manifest_row_count",
        "manifest.json",
        "row-count",
        "files",
        content=manifest_of({**every, yp: {**every[yp], "rows": every[yp]["rows"] + 1}}),
    )
    fault(
        "manifest_omits_file",
        "manifest.json",
        "manifest-omits",
        "files",
        content=manifest_of({k: v for k, v in every.items() if k != "placements.csv"}),
    )
    # --- issue 12: values each valid alone but implausible together ----------------------
    yrows = list(csv.reader(ys))
    base_col = yrows[0].index("baseline_date")
    fault(
        "baseline_in_future",
        yp,
        "implausible-date",
        "baseline_date",
        "1",
        cell_edit("young_people", 1, "baseline_date", "2099-01-01"),
    )
    fault(
        "baseline_before_start",
        yp,
        "implausible-date",
        "baseline_date",
        "1",
        cell_edit("young_people", 1, "baseline_date", "2016-05-01"),
        note="devon's innovation started in 2019 (site register)",
    )
    sa_rows = list(csv.reader(lines("service_activity")))
    person = sa_rows[1][0]
    baseline = next(r[base_col] for r in yrows[1:] if r[0] == person)
    early = (pd.Timestamp(baseline).to_period("M") - 3).to_timestamp().strftime("%Y-%m-%d")
    fault(
        "activity_before_baseline",
        "service_activity.csv",
        "implausible-date",
        "month",
        "1",
        cell_edit("service_activity", 1, "month", early),
        note=f"three months before {person}'s baseline",
    )
    first_area = list(csv.reader(lines("area_series")))
    early_site = next(
        k for k in range(1, len(first_area)) if first_area[k][post_col] == "0" and first_area[k][2] == "site"
    )
    fault(
        "post_before_start",
        "area_series.csv",
        "implausible-post",
        "post",
        str(early_site),
        cell_edit("area_series", early_site, "post", "1"),
    )
    fault(
        "count_over_population",
        "area_series.csv",
        "implausible-value",
        "count",
        "1",
        cell_edit("area_series", 1, "count", "190000"),
        note="below the plausible maximum, above the area's children",
    )
    fault(
        "cost_item_beyond_unit_costs",
        "innovation_costs.csv",
        "implausible-value",
        "amount_gbp",
        "2",
        cell_edit("innovation_costs", 2, "amount_gbp", "40000000.00"),
        note="below the plausible maximum, far beyond any unit cost",
    )
    lost_person = yrows[1][0]
    fault(
        "no_outcome_rows",
        "young_people.csv",
        "no-outcomes",
        "person_id",
        str(len(yrows)),
        content="\n".join(ys + [",".join([f"YP{99998:05d}"] + yrows[1][1:])]) + "\n",
        note=f"a young person added without outcome rows (a copy of {lost_person}'s row)",
    )
    with (HERE / "faults.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["fault", "file", "rule", "column", "row", "note"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(FAULTS)
    print(f"wrote _base and {len(FAULTS)} fault folders in {HERE}")


if __name__ == "__main__":
    main()
