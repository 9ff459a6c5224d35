"""The ``econ`` command.

Exit codes: 0 success; 1 the input failed validation; 2 a usage error (bad arguments, missing
file or unknown step).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import pandas as pd

from econ.api.replicate import DEFAULT_PANEL, replicate
from econ.data.io import read_panel, read_survey, write_panel
from econ.data.problems import ValidationError
from econ.data.simulate import PRESETS, simulate

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="econ",
        description="Village-assistance econometrics: validate panels, simulate study data, "
                    "reproduce the replication outputs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "replicate", help="reproduce every table and figure from the shipped (or your) panel",
        description="Run the scripts in replication/ and write replication/output/ with a "
                    "manifest.json (input SHA-256, versions, time per step).")
    run.add_argument("--root", type=Path, default=Path("."),
                     help="project root holding replication/ and data/ (default: .)")
    run.add_argument("--panel", type=Path, default=None,
                     help=f"input panel (default: {DEFAULT_PANEL}, the simulated panel)")
    run.add_argument("--steps", nargs="+", default=None, metavar="STEP",
                     help="run only these steps (script names in replication/)")
    run.add_argument("--output", type=Path, default=None,
                     help="output folder (default: replication/output)")
    run.add_argument("--reps", type=int, default=None,
                     help="bootstrap replications for the steps that bootstrap (default: each "
                          "step's own, 9999)")

    check = commands.add_parser(
        "validate", help="check a panel or survey file and print what was found",
        description="Load FILE (.csv in UTF-8 or GBK, .xlsx, .dta, .parquet or a folder of "
                    "parquet files) and print either a load report or every problem found.")
    check.add_argument("file", type=Path)
    check.add_argument("--survey", action="store_true", help="FILE is a cadre survey")
    check.add_argument("--encoding", default=None, help="CSV encoding (default: detected)")

    make = commands.add_parser(
        "simulate", help="write a SIMULATED panel (or cadre survey) with known true effects",
        description="Generate simulated study data (labelled as simulated in the file) and "
                    "print its true effects. The national preset is written as a folder of "
                    "parquet partitions.")
    make.add_argument("output", type=Path,
                      help="target file (.parquet, .csv, .xlsx, .dta) or, for national, folder")
    make.add_argument("--config", choices=sorted(PRESETS), default="wp")
    make.add_argument("--seed", type=int, default=20240501)
    make.add_argument("--survey", action="store_true",
                      help="write the cadre survey instead of the panel")
    make.add_argument("--respondents", type=int, default=124, help="survey size (default 124)")
    return parser


def _simulate(args: argparse.Namespace) -> None:
    if args.config == "national" and not args.survey:
        files = simulate.write_partitions(args.output, config="national", seed=args.seed)
        print(f"SIMULATED national panel: wrote {len(files)} partitions to {args.output}")
        return
    made = (simulate.cadre_survey(args.respondents, seed=args.seed) if args.survey
            else simulate(args.config, seed=args.seed))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    written = write_panel(made.dataset, args.output)
    print(f"{made.label}\nwrote {written}\ntrue values:")
    for item in fields(made.truth):
        value = getattr(made.truth, item.name)
        text = value.to_string() if isinstance(value, pd.DataFrame) else value
        print(f"  {item.name}:" + (f"\n{text}" if isinstance(value, pd.DataFrame) else
                                   f" {text}"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``econ`` console command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "replicate":
            manifest = replicate(root=args.root, panel_path=args.panel, steps=args.steps,
                                 output=args.output, reps=args.reps,
                                 progress=lambda line: print(line, flush=True))
            print(f"wrote {manifest.parent} (manifest: {manifest})")
        elif args.command == "validate":
            reader = read_survey if args.survey else read_panel
            print(repr(reader(args.file, encoding=args.encoding)))
        elif args.command == "simulate":
            _simulate(args)
    except ValidationError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        print(f"econ {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
