"""``python -m innovate ...``: check a data folder, regenerate the synthetic data.

Commands:

* ``validate DIR`` - check every case-level file in DIR against its schema and the keys
  across tables; print every problem as ``file, column, row, value, rule: message``;
  exit 0 only when everything passes (exit 1 otherwise); modifies nothing.
* ``synthesize --seed N --out DIR [--per-arm N]`` - write the synthetic data set and its
  manifest into DIR (the committed set is ``--seed 20240601 --out data/synthetic``).
* ``dictionary`` - print the data dictionary of the case-level tables as CSV.
* ``data-package --out FILE`` - write the synthetic case-level tables, the public statistics
  and a Frictionless ``datapackage.json`` (generated from the schemas) into one zip. Refuses
  a case-level folder that is not synthetic: the study's extract is never packaged.
* ``area-report --la CODE --start YYYY-MM --out DIR`` - the public-statistics part of a site
  chapter for any English local authority, from public data alone, as ``DIR/index.html``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from innovate.config import SEED


def _validate(args: argparse.Namespace) -> int:
    # Deferred, here and below: pandas and the data layer load only for the command run.
    from innovate.data.validate import format_problem, validate_folder

    report = validate_folder(Path(args.dir))
    for problem in report.problems:
        print(format_problem(problem))
    for name in report.ignored:
        print(f"note: {name} is not a case-level table of the contract; not checked", file=sys.stderr)
    files = len(report.rows)
    rows = sum(report.rows.values())
    if report.ok:
        print(f"OK: {files} files, {rows:,} rows, no problems ({report.seconds:.2f} s)")
        return 0
    print(f"FAILED: {len(report.problems)} problem(s) in {args.dir} ({report.seconds:.2f} s)", file=sys.stderr)
    return 1


def _synthesize(args: argparse.Namespace) -> int:
    from innovate.synthetic import generator

    paths = generator.write(Path(args.out), seed=args.seed, per_arm=args.per_arm)
    for name, path in sorted(paths.items()):
        print(f"wrote {path}")
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    from innovate.data import dictionary

    dictionary.dictionary().to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _data_package(args: argparse.Namespace) -> int:
    from innovate.data import datapackage, paths

    case = Path(args.data_dir) if args.data_dir else paths.case_data_dir()
    if not paths.is_synthetic(case):
        print(
            f"refused: {case.name}/ is not a synthetic data set (no synthetic manifest); "
            "the study's case-level extract is never packaged for download",
            file=sys.stderr,
        )
        return 1
    out = datapackage.write_archive(case, paths.public_dir(), Path(args.out))
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


def _area_report(args: argparse.Namespace) -> int:
    from innovate.show import area_report
    from innovate.study import area_profile

    try:
        spec = area_profile.spec_for_la(args.la, args.start)
    except (KeyError, ValueError) as exc:
        print(f"area-report: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    path = area_report.write_report(area_profile.profile(spec), Path(args.out))
    print(f"wrote {path} ({spec.name}, innovation start {spec.start:%Y-%m})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m innovate",
        description="Tools of the Innovate book: check a case-level data folder, regenerate the synthetic data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "validate",
        help="check every case-level file in DIR (exit 0 only when all pass)",
        description="Check every case-level file in DIR against its schema and the keys across tables. "
        "Prints every problem as 'file, column, row, value, rule: message'. Reads only.",
    )
    p.add_argument("dir", metavar="DIR", help="folder holding the case-level CSV files")
    p.set_defaults(run=_validate)
    p = sub.add_parser(
        "synthesize",
        help="write the synthetic data set and its manifest into DIR",
        description="Generate every case-level table for the six sites, deterministically by seed.",
    )
    p.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    p.add_argument(
        "--per-arm", type=int, default=None, metavar="N", help="expected young people per arm and site (default 300)"
    )
    p.set_defaults(run=_synthesize)
    p = sub.add_parser("dictionary", help="print the data dictionary of the case-level tables as CSV")
    p.set_defaults(run=_dictionary)
    p = sub.add_parser(
        "data-package",
        help="write the synthetic and public data with a Frictionless datapackage.json into one zip",
        description="Package the synthetic case-level tables (never the study's extract), the public "
        "statistics and a Frictionless Data Package descriptor generated from the schemas.",
    )
    p.add_argument("--out", required=True, metavar="FILE", help="the zip to write")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="synthetic folder (default: the book's)")
    p.set_defaults(run=_data_package)
    p = sub.add_parser(
        "area-report",
        help="public statistics and area analyses for any English local authority, as DIR/index.html",
        description="Render the public-statistics part of a site chapter for any English local authority from "
        "public data alone: the area against its statistical neighbours and England, and the area analyses.",
    )
    p.add_argument("--la", required=True, metavar="CODE", help="DfE three-digit LA code (e.g. 878) or GSS code")
    p.add_argument("--start", required=True, metavar="YYYY-MM", help="when the innovation began (e.g. 2019-09)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    p.set_defaults(run=_area_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
