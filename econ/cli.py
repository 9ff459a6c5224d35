"""The ``econ`` command.

Exit codes: 0 success; 1 the input failed validation; 2 a usage error (bad arguments, missing
file or unknown step).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from econ.api.replicate import DEFAULT_PANEL, replicate
from econ.data.io import read_panel, read_survey
from econ.data.problems import ValidationError

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

    check = commands.add_parser(
        "validate", help="check a panel or survey file and print what was found",
        description="Load FILE (.csv in UTF-8 or GBK, .xlsx, .dta, .parquet or a folder of "
                    "parquet files) and print either a load report or every problem found.")
    check.add_argument("file", type=Path)
    check.add_argument("--survey", action="store_true", help="FILE is a cadre survey")
    check.add_argument("--encoding", default=None, help="CSV encoding (default: detected)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``econ`` console command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "replicate":
            manifest = replicate(root=args.root, panel_path=args.panel, steps=args.steps,
                                 output=args.output, progress=lambda line: print(line,
                                                                                 flush=True))
            print(f"wrote {manifest.parent} (manifest: {manifest})")
        elif args.command == "validate":
            reader = read_survey if args.survey else read_panel
            print(repr(reader(args.file, encoding=args.encoding)))
    except ValidationError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    except (FileNotFoundError, ValueError) as error:
        print(f"econ {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
