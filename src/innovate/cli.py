"""``python -m innovate ...``: check a data folder, regenerate the synthetic data.

Commands:

* ``validate DIR [--limit N]`` - check every case-level file in DIR against its schema,
  the keys across tables and the plausibility rules; print each problem as ``file, column,
  row, value, rule: message`` (at most N per file, column and rule, the rest counted);
  modifies nothing.
* ``synthesize --seed N --out DIR [--per-arm N] [--force]`` - write the synthetic data set
  and its manifest into DIR (the committed set is ``--seed 20240601 --out data/synthetic``).
  A folder that is not empty is refused unless ``--force`` is given, and a folder whose
  ``manifest.json`` does not say it is synthetic (a real extract) is refused always.

Exit status of both: 0 success; 1 bad input (problems in the data, a refused folder, an
argument out of range); 2 the tool's own failure, in one line, never a traceback.
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

#: Exit statuses of ``validate`` and ``synthesize``: 0 success; 1 bad input (a problem in
#: the data, a refused folder, an argument out of range); 2 the tool's own failure (a bug
#: or an unreadable disk), reported in one line without a traceback.
OK, BAD_INPUT, TOOL_FAILURE = 0, 1, 2


def _guarded(command):
    """Run a command so that it never ends in a traceback: its own failure exits 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except BrokenPipeError:
            return _closed_pipe(BAD_INPUT if getattr(args, "_failed", False) else OK)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except Exception as err:  # the tool's own failure, never the data's
            from innovate.errors import visible

            print(
                f"internal error ({type(err).__name__}): {visible(err)}; this is a fault of the tool, "
                "not of the data; please report it",
                file=sys.stderr,
            )
            return TOOL_FAILURE

    return run


def _closed_pipe(status: int) -> int:
    """The reader of our output went away (``| head``): stop quietly with the status we had."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return status


def _validate(args: argparse.Namespace) -> int:
    # Deferred, here and below: pandas and the data layer load only for the command run.
    from innovate.data.validate import format_problem, validate_folder
    from innovate.errors import visible

    report = validate_folder(Path(args.dir), limit=args.limit or None)
    args._failed = not report.ok
    for problem in report.problems:
        print(format_problem(problem))
    for name in report.ignored:
        print(f"note: {visible(name)} is not a case-level table of the contract; not checked", file=sys.stderr)
    files = len(report.rows)
    rows = sum(report.rows.values())
    sys.stdout.flush()
    if report.ok:
        print(f"OK: {files} files, {rows:,} rows, no problems ({report.seconds:.2f} s)")
        return OK
    print(
        f"FAILED: {report.count:,} problem(s) in {visible(args.dir)} ({report.seconds:.2f} s)",
        file=sys.stderr,
    )
    return BAD_INPUT


def _synthesize(args: argparse.Namespace) -> int:
    from innovate.data.paths import synthetic_manifest
    from innovate.errors import visible

    out = Path(args.out)
    where = visible(args.out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        print(f"refused: {where} exists and is not a folder; nothing written", file=sys.stderr)
        return BAD_INPUT
    if out.exists() and any(out.iterdir()):
        if synthetic_manifest(out) is None:
            print(
                f"refused: {where} is not empty and its manifest.json does not say it holds synthetic data "
                "(it may be a real extract); nothing written, and --force does not change that. "
                "Choose an empty or new folder.",
                file=sys.stderr,
            )
            return BAD_INPUT
        if not args.force:
            print(
                f"refused: {where} already holds a synthetic data set; add --force to overwrite it, "
                "or choose an empty or new folder; nothing written",
                file=sys.stderr,
            )
            return BAD_INPUT
    from innovate.synthetic import generator

    paths = generator.write(out, seed=args.seed, per_arm=args.per_arm)
    for name, path in sorted(paths.items()):
        print(f"wrote {visible(path)}")
    return OK


def _simulate(args: argparse.Namespace) -> int:
    import hashlib

    from innovate.sphinxext import execution
    from innovate.synthetic import replications, simulation

    # Provenance: the source of every package module the simulation runs.
    package = execution.package_dir()
    digest = hashlib.sha256()
    for path in sorted(execution.dependencies(["innovate.synthetic.simulation"], package)):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    settings = simulation.Settings(
        replications=args.replications,
        per_arm=args.per_arm,
        m=args.m,
        n_jobs=args.jobs or simulation.default_jobs(),
    )
    path = replications.write(settings, args.out, source_digest=digest.hexdigest())
    info = replications.manifest(path.parent)
    print(f"wrote {path} ({info['rows']} estimates, {info['seconds']} s on {info['jobs']} processes)")
    return OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100000, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63 - 1, got {value}")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (list all) or more, got {value}")
    return value


def _input_errors_exit_1(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Bad arguments to this command are bad input: exit 1, as the data's problems do (not 2)."""

    def error(message: str):
        parser.print_usage(sys.stderr)
        parser.exit(BAD_INPUT, f"{parser.prog}: error: {message}\n")

    parser.error = error  # type: ignore[method-assign]
    return parser


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
    p.add_argument(
        "--limit",
        type=_limit,
        default=20,
        metavar="N",
        help="list at most N problems per file, column and rule, and count the rest (default 20; 0 lists all)",
    )
    p.set_defaults(run=_guarded(_validate))
    _input_errors_exit_1(p)
    p = sub.add_parser(
        "synthesize",
        help="write the synthetic data set and its manifest into DIR",
        description="Generate every case-level table for the six sites, deterministically by seed.",
    )
    p.add_argument("--seed", type=_seed, default=SEED, help=f"random seed (default {SEED})")
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder: new or empty (created if needed), or, with --force, one holding a synthetic set",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite a folder whose manifest.json says it holds synthetic data (never any other folder)",
    )
    p.add_argument(
        "--per-arm",
        type=_positive,
        default=None,
        metavar="N",
        help="expected young people per arm and site (default 300)",
    )
    p.set_defaults(run=_guarded(_synthesize))
    _input_errors_exit_1(p)
    p = sub.add_parser(
        "simulate",
        help="run the simulation appendix's replications and store them (data/derived/simulation)",
        description="Run the replications of the simulation study of the estimators and write them with "
        "a manifest (settings, SHA-256, source digest). The appendix reads them; a test recomputes a sample.",
    )
    p.add_argument("--replications", type=_positive, default=100, metavar="N", help="replications (default 100)")
    p.add_argument("--per-arm", type=_positive, default=100, metavar="N", help="young people per arm and site (100)")
    p.add_argument("--m", type=_positive, default=5, metavar="M", help="imputations (default 5)")
    p.add_argument("--jobs", type=_positive, default=None, metavar="J", help="processes (default: up to 2 CPUs)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default data/derived/simulation)")
    p.set_defaults(run=_guarded(_simulate))
    _input_errors_exit_1(p)
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
