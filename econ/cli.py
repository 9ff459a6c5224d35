"""The ``econ`` command.

Exit codes: 0 success; 1 the input failed validation (the problems are printed); 2 a usage
error (bad arguments, missing file, unknown step or column, a formula that does not fit).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from econ.data.seeds import DEFAULT_SEED
from econ.version import __version__

if TYPE_CHECKING:
    from econ.inference.covariance import CovarianceSpec
    from econ.table import Table

# Every other import is made where it is used: the modules behind the commands (pandas, scipy,
# statsmodels, matplotlib) take seconds to load, and `econ --version`, `econ --help` or a
# usage error need none of them.

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Deferred(str):
    """A help text composed only when help is shown, from values of modules the commands load
    (argparse fills in a help text with ``%``, which this defers to ``build``)."""

    build: Callable[[], str]

    def __new__(cls, build: Callable[[], str]) -> _Deferred:
        text = super().__new__(cls, "(deferred help)")
        text.build = build
        return text

    def __mod__(self, values: Any) -> str:
        return self.build() % values


class _Choices(Sequence[str]):
    """Allowed values of an option, loaded at their first use (checking a value, help)."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._values: tuple[str, ...] | None = None

    def _all(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(self._load())
        return self._values

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def _designs() -> list[str]:
    from econ.study.readiness import DESIGNS

    return list(DESIGNS)


def _presets() -> list[str]:
    from econ.data.simulate import PRESETS

    return sorted(PRESETS)


def _formats() -> tuple[str, ...]:
    from econ.table import FORMATS

    return FORMATS


def _default_panel() -> Path:
    from econ.replication import DEFAULT_PANEL

    return DEFAULT_PANEL

_EPILOG = """\
examples:
  econ validate 我的村庄面板.csv
  econ validate 我的村庄面板.csv --map 帮扶单位级别=unit_level --for strong_alliance
  econ fit "assistance_funds ~ high_level:rich:post + rich:post | village_id + year" \\
      data/village_panel.parquet --cluster township_id --bootstrap high_level:rich:post
  econ replicate                          # every table and figure from the shipped data
  econ replicate --panel my_panel.csv --reps 999 --steps strong_alliance
  econ simulate wp.parquet --config wp --seed 7
  econ power --effects 0 0.2 0.45 --counties 2 4 --townships 12 --villages 10 --reps 200

exit codes: 0 success, 1 the input failed validation, 2 usage error.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="econ", epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Village-assistance (驻村帮扶) econometrics: check a panel, fit a model, "
                    "reproduce the replication tables and figures, simulate study data.",
    )
    parser.add_argument("--version", action="version", version=f"econ {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "validate", help="check a panel or survey file and print what was found",
        description="Load FILE (.csv in UTF-8 or GBK, .xlsx, .dta, .parquet or a folder of "
                    "parquet files; Chinese or English headers) and print either a load report "
                    "(renamed columns, recoded values) or every problem found, with rows and "
                    "the fix, then which study designs and replication steps the data can "
                    "run and the columns the others lack. Exit code 1 if the file has "
                    "problems, if it is ready for no study design, or if it is not ready for "
                    "a design or step named by --for.")
    check.add_argument("file", type=Path)
    check.add_argument("--survey", action="store_true", help="FILE is a cadre survey")
    check.add_argument("--encoding", default=None, help="CSV encoding (default: detected)")
    check.add_argument("--for", dest="designs", nargs="+", default=None, metavar="NAME",
                       help=_Deferred(lambda: "require these study designs or replication "
                                      "steps (e.g. strong_alliance); designs: "
                                      + ", ".join(_designs())))
    check.add_argument("--root", type=Path, default=Path("."),
                       help="project root whose replication/ steps are checked (default: .)")
    _mapping_options(check)
    _layout_options(check)

    fit = commands.add_parser(
        "fit", help="fit a regression formula on a panel file and print the summary",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate FILE, add the study variables (post, high_level, rich, typology, "
                    "... see econ.derive), fit FORMULA by least squares with the fixed effects "
                    "after '|' absorbed, and print the summary.",
        epilog="formula syntax (fixest style):\n"
               "  y ~ x1 + x2:x3            interaction x2 times x3\n"
               "  y ~ C(unit_level, ref=county)   dummies for a category\n"
               "  y ~ i(event_time, ref=-1)  event-time dummies\n"
               "  y ~ x | village_id + year  absorbed fixed effects\n"
               "  log(y) ~ log1p(x) + I(x^2) | county_id^year   functions, interacted effects\n"
               "  y ~ x | village_id[year] + year   village effects and village-specific\n"
               "      slopes on year (village_id[[year]]: the slopes without the effects)\n"
               "  y1 + y2 ~ csw(x1, x2) | sw(village_id, county_id^year)   several models,\n"
               "      one table column each (also sw0, csw0, --split/--fsplit COLUMN)\n"
               "example:\n"
               '  econ fit "assistance_funds ~ high_level:rich:post + rich:post + high_level:post'
               ' | village_id + year" data/village_panel.parquet --cluster township_id')
    fit.add_argument("formula", help='e.g. "assistance_funds ~ high_level:post | village_id + '
                                     'year" (quote it)')
    fit.add_argument("file", type=Path, help="panel file (any format econ validate reads)")
    fit.add_argument("--cluster", nargs="+", default=None, metavar="COLUMN",
                     help="cluster-robust (CR1) standard errors by these columns")
    fit.add_argument("--vcov", choices=("iid", "hc1", "cr1", "cr2", "cr3"), default=None,
                     help="covariance (default: cr1 with --cluster, else iid); cr2/cr3 need "
                          "one --cluster column")
    fit.add_argument("--df", choices=("residual", "satterthwaite", "imbens_kolesar"),
                     default=None,
                     help="degrees of freedom of --vcov cr2: residual (G - 1, default), "
                          "satterthwaite (Bell-McCaffrey) or imbens_kolesar (Satterthwaite "
                          "under a cluster random-effects model; recommended below 12 "
                          "clusters)")
    fit.add_argument("--weights", default=None, metavar="COLUMN", help="WLS weights column")
    fit.add_argument("--model", choices=("ols", "poisson"), default="ols",
                     help="ols: least squares (default); poisson: Poisson pseudo-maximum "
                          "likelihood with the fixed effects absorbed (econ.fepois), for counts "
                          "and outcomes with zeros")
    fit.add_argument("--split", default=None, metavar="COLUMN",
                     help="fit the model(s) on each value of COLUMN separately")
    fit.add_argument("--fsplit", default=None, metavar="COLUMN",
                     help="like --split, with the full sample first")
    fit.add_argument("--bootstrap", nargs="+", default=(), metavar="TERM",
                     help="wild cluster bootstrap p-value and CI for these coefficients "
                          "(needs --cluster)")
    fit.add_argument("--reps", type=int, default=9999, help="bootstrap replications (9999)")
    fit.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    fit.add_argument("--format", choices=("text", "latex", "markdown", "html", "docx", "xlsx"),
                     default="text",
                     help="text: full summary; others: a regression table to paste into a paper "
                          "(docx and xlsx need --output)")
    fit.add_argument("--output", type=Path, default=None, metavar="FILE",
                     help="write the regression table to FILE (one column per model) instead "
                          "of printing it, e.g. --format docx --output table.docx")
    fit.add_argument("--language", choices=("en", "zh"), default="en",
                     help="labels in tables (default en)")
    fit.add_argument("--encoding", default=None, help="CSV encoding (default: detected)")
    _mapping_options(fit)
    _layout_options(fit)

    run = commands.add_parser(
        "replicate", help="reproduce every table and figure from the shipped (or your) panel",
        description="Run the scripts in replication/ (from the project root) and write "
                    "replication/output/: tables (.md, .tex, .html, .csv), figures (.png, "
                    ".pdf) and manifest.json (input SHA-256, seeds, versions, time per step). "
                    "A second run writes byte-identical tables.")
    run.add_argument("--root", type=Path, default=Path("."),
                     help="project root holding replication/ and data/ (default: .)")
    run.add_argument("--panel", type=Path, default=None,
                     help=_Deferred(lambda: f"input panel (default: {_default_panel()}, the "
                                            f"simulated panel)"))
    run.add_argument("--steps", nargs="+", default=None, metavar="STEP",
                     help="run only these steps (script names in replication/)")
    run.add_argument("--output", type=Path, default=None,
                     help="output folder (default: replication/output)")
    run.add_argument("--reps", type=int, default=None,
                     help="bootstrap replications for the steps that bootstrap (default: each "
                          "step's own, up to 9999)")
    run.add_argument("--formats", type=_table_formats, default=None, metavar="FORMATS",
                     help=_Deferred(lambda: "write every table in these formats, "
                                            "comma-separated, from " + ",".join(_formats())
                                            + " (default: each script's own)"))
    run.add_argument("--workers", type=_positive, default=None, metavar="N",
                     help="steps run side by side in N worker processes (default: one per "
                          "core; 1 runs every step in this process)")
    _mapping_options(run)

    make = commands.add_parser(
        "simulate", help="write a SIMULATED panel (or cadre survey) with known true effects",
        description="Generate simulated study data (labelled as simulated in the file) and "
                    "print its true effects. The national preset is written as a folder of "
                    "parquet partitions.")
    make.add_argument("output", type=Path,
                      help="target file (.parquet, .csv, .xlsx, .dta) or, for national, folder")
    make.add_argument("--config", choices=_Choices(_presets), default="wp", metavar="NAME",
                      help=_Deferred(lambda: "simulation preset: " + ", ".join(_presets())
                                     + " (default wp)"))
    make.add_argument("--seed", type=int, default=DEFAULT_SEED)
    make.add_argument("--survey", action="store_true",
                      help="write the cadre survey instead of the panel")
    make.add_argument("--respondents", type=int, default=124, help="survey size (default 124)")
    make.add_argument("--force", action="store_true",
                      help="overwrite OUTPUT if it exists (refused otherwise)")
    _power_options(commands)
    return parser


def _mapping_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--mapping", type=Path, default=None, metavar="FILE",
        help="headers and values to map, from a .json, .yaml or .toml file with sections "
             "'columns' ({header: column}) and 'values' ({column: {value: allowed value}})")
    command.add_argument(
        "--map", action="append", default=[], metavar="ENTRY",
        help="map a header, HEADER=COLUMN (e.g. 帮扶单位级别=unit_level), or a category "
             "value, COLUMN:VALUE=ALLOWED (e.g. unit_level:区直=county); repeatable, "
             "overrides --mapping")


def _layout_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--sheet", default=None, metavar="NAME",
                         help="Excel sheet to read, by the name on its tab (default: the first "
                              "sheet holding the panel's header)")
    command.add_argument("--header-row", type=int, nargs="+", default=None, metavar="ROW",
                         help="the header's row, counted from 1 as the spreadsheet shows it, "
                              "or two rows for a two-row header (default: detected)")


def _read_options(args: argparse.Namespace, survey: bool = False) -> dict[str, Any]:
    """``read_panel`` keyword arguments from ``--mapping`` and ``--map`` (only those set), and
    from ``--sheet`` and ``--header-row`` where the command has them."""
    from econ.data.mapping import load_mapping
    from econ.data.schema import PANEL, SURVEY

    options = load_mapping(args.mapping, args.map,
                           schema=SURVEY if survey else PANEL).read_options()
    if getattr(args, "sheet", None) is not None:
        options["sheet"] = args.sheet
    if getattr(args, "header_row", None) is not None:
        rows = args.header_row
        options["header_row"] = rows[0] if len(rows) == 1 else tuple(rows)
    return options


class ProgressBar:
    """Step progress: a redrawn bar on a terminal, one line per event otherwise (logs, CI)."""

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stdout
        self.width = width
        self.live = self.stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, step: int, steps: int, name: str, seconds: float | None) -> None:
        done = step - (seconds is None)
        if not self.live:
            status = "..." if seconds is None else f"done in {seconds:.1f}s"
            print(f"[{step}/{steps}] {name} {status}", file=self.stream, flush=True)
            return
        filled = self.width * done // steps
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\r[{bar}] {done}/{steps} {name:<18} {elapsed:6.1f}s")
        if done == steps:
            self.stream.write("\n")
        self.stream.flush()


def _covariance(args: argparse.Namespace) -> CovarianceSpec:
    from econ.inference.covariance import HC1, IID, Cluster, ClusterSpec
    from econ.inference.cr2 import CR2
    from econ.inference.cr3 import CR3

    kind = args.vcov or ("cr1" if args.cluster else "iid")
    if kind in ("cr1", "cr2", "cr3") and not args.cluster:
        raise ValueError(f"--vcov {kind} needs --cluster COLUMN")
    if kind in ("cr2", "cr3") and len(args.cluster) != 1:
        raise ValueError(f"--vcov {kind} takes one cluster column")
    if args.df is not None and kind != "cr2":
        raise ValueError(f"--df sets the degrees of freedom of --vcov cr2, not of {kind}")
    if kind == "cr2":
        return CR2(*args.cluster, df=args.df or "residual")
    if kind == "iid":
        return IID()
    if kind == "hc1":
        return HC1()
    kinds: dict[str, type[ClusterSpec]] = {"cr1": Cluster, "cr3": CR3}
    return kinds[kind](*args.cluster)


def _positive(text: str) -> int:
    """A whole number of at least 1 (``--workers``)."""
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _table_formats(text: str) -> tuple[str, ...]:
    """``--formats docx,xlsx,md``: table formats, checked before anything runs."""
    from econ.table import check_formats

    try:
        return check_formats([f.strip().lstrip(".") for f in text.split(",") if f.strip()])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _check_output(args: argparse.Namespace) -> None:
    """Refuse a ``--format``/``--output`` pair that cannot work before fitting anything."""
    if args.format in ("docx", "xlsx"):
        if args.output is None:
            raise ValueError(f"--format {args.format} writes a file: add --output "
                             f"FILE.{args.format}")
        if args.output.suffix.lower() != f".{args.format}":
            raise ValueError(f"--output {args.output} does not end in .{args.format}; Word "
                             f"and Excel open files by their suffix")
    if args.output is not None and args.format == "text":
        raise ValueError("--output writes the regression table: add --format docx, xlsx, "
                         "latex, markdown or html")
    if args.output is not None and not args.output.parent.is_dir():
        raise FileNotFoundError(f"--output {args.output}: the folder {args.output.parent} "
                                f"does not exist")


def _write_table(table: Table, kind: str, path: Path) -> Path:
    from econ.table.files import write_atomic

    if kind == "docx":
        return table.to_docx(path)
    if kind == "xlsx":
        return table.to_xlsx(path)
    text = {"latex": table.to_latex, "markdown": table.to_markdown, "html": table.to_html}[kind]
    return write_atomic(path, text().encode("utf-8"))


def _fit(args: argparse.Namespace) -> None:
    from econ.data.derive import derive
    from econ.data.io import read_panel
    from econ.inference.bootstrap.settings import WildBootstrap
    from econ.inference.covariance import ClusterSpec
    from econ.models.feols import feols
    from econ.models.poisson import fepois
    from econ.presentation.regression_table import Model, etable
    from econ.results.multiple import MultipleResults
    from econ.results.regression import RegressionResult

    spec = _covariance(args)
    if args.bootstrap and not args.cluster:
        raise ValueError("--bootstrap needs --cluster COLUMN (the bootstrap resamples clusters)")
    _check_output(args)
    panel = derive(read_panel(args.file, encoding=args.encoding, **_read_options(args)))
    if args.model == "poisson":
        if args.split or args.fsplit:
            raise ValueError("--split/--fsplit work with --model ols only")
        fitted = fepois(args.formula, panel, cov=spec, weights=args.weights,
                        groups=args.cluster or ())
        if isinstance(fitted, tuple):
            raise ValueError("--model poisson fits one outcome at a time; run it once per "
                             "outcome")
        results: RegressionResult | MultipleResults = fitted
    else:
        results = feols(args.formula, panel, cov=spec, weights=args.weights,
                        groups=args.cluster or (), split=args.split, fsplit=args.fsplit)
    # With --vcov iid/hc1 the bootstrap still resamples the --cluster columns.
    settings = WildBootstrap(reps=args.reps, seed=args.seed,
                             cluster=None if isinstance(spec, ClusterSpec) else args.cluster)
    several = isinstance(results, MultipleResults)
    named = (list(zip(results.names, results.samples, results, strict=True))
             if isinstance(results, MultipleResults) else [("", "", results)])
    # Under multiple estimation a term need only be in some of the models (sw, csw).
    missing = [t for t in args.bootstrap if not any(t in r.names for _, _, r in named)]
    if missing:
        raise ValueError(f"--bootstrap {missing}: not coefficients of the model"
                         + ("s" if several else "") + "; coefficients: "
                         + str(list(dict.fromkeys(n for _, _, r in named for n in r.names))))
    models = []
    for number, (name, sample, result) in enumerate(named, start=1):
        tests = tuple(result.wild_bootstrap(t, settings) for t in args.bootstrap
                      if t in result.names)
        if args.format == "text":
            if several:
                print(f"Model ({number}) of {len(named)}: {name}")
            print(result.summary())
            for test in tests:
                print(test.summary())
            continue
        models.append(Model(result, sample, tests))
    if isinstance(results, MultipleResults) and args.format == "text":
        for note in results.notes:
            print(note)
    if not models:
        return
    table = etable(models, language=args.language)
    if args.output is not None:
        print(f"wrote {_write_table(table, args.format, args.output)}")
        return
    print({"latex": table.to_latex, "markdown": table.to_markdown,
           "html": table.to_html}[args.format](), end="")


def _validate(args: argparse.Namespace) -> int:
    from econ.data.io import read_panel, read_survey
    from econ.replication import SCRIPTS, _load, find_steps
    from econ.study.readiness import DESIGNS, check_readiness, missing_columns

    reader = read_survey if args.survey else read_panel
    dataset = reader(args.file, encoding=args.encoding, **_read_options(args, args.survey))
    print(repr(dataset))
    wanted = list(dict.fromkeys(args.designs or ()))
    scripts = (find_steps(args.root / SCRIPTS)
               if not args.survey and (args.root / SCRIPTS).is_dir() else {})
    unknown = [n for n in wanted if n not in DESIGNS and n not in scripts]
    if unknown:
        raise ValueError(f"--for {' '.join(unknown)}: not a study design or replication step; "
                         f"designs: {', '.join(DESIGNS)}"
                         + (f"; steps: {', '.join(scripts)}" if scripts else ""))
    designs = [n for n in wanted if n in DESIGNS]
    readiness = check_readiness(dataset, designs or None)
    print("\nstudy designs:")
    print("\n".join(f"  {line}" for line in readiness.lines()))
    # With only steps named, the designs are shown but not required.
    lacking = {d.design.name: ", ".join(d.missing) or "usable study variables"
               for d in readiness.designs if not d.ready and (designs or not wanted)}
    if scripts:
        print("\nreplication steps (econ replicate --panel FILE):")
        for name, path in scripts.items():
            if wanted and name not in wanted:
                continue
            try:
                absent = missing_columns(dataset, _load(path).NEEDS)
            except (ImportError, SyntaxError, TypeError) as error:
                # A broken script is the project's problem, not the panel's: say so, go on.
                print(f"  {'unknown':<9}  {name:<21} script cannot be loaded "
                      f"({type(error).__name__}: {error})")
                continue
            print(f"  {'runs' if not absent else 'skipped':<9}  {name:<21} "
                  f"{'lacks ' + ', '.join(absent) if absent else ''}".rstrip())
            if absent and name in wanted:
                lacking[f"step {name}"] = ", ".join(absent)
    if wanted and lacking:
        named = "; ".join(f"{k} (lacks {v})" for k, v in lacking.items())
        print(f"econ validate: not ready for {named}; the reasons are listed above",
              file=sys.stderr)
        return EXIT_INVALID
    if not wanted and not readiness.ready:
        columns = dict.fromkeys(c for d in readiness.designs for c in d.missing)
        print(f"econ validate: the file loaded but is ready for no study design (lacking "
              f"{', '.join(columns) or 'usable study variables'}; the reasons are listed "
              f"above). Map a header with --map HEADER=COLUMN", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> None:
    import pandas as pd

    from econ.data.io import write_panel
    from econ.data.simulate import simulate

    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.output.exists() and not args.force:
        raise FileExistsError(f"{args.output} exists; pass --force to overwrite it")
    if args.config == "national" and not args.survey:
        bar = ProgressBar(sys.stderr)
        # A line per county (2,800 of them) would swamp a log: the bar only on a terminal.
        files = simulate.write_partitions(
            args.output, config="national", seed=args.seed,
            progress=(lambda done, total: bar(done, total, "counties", 0.0)) if bar.live
            else None)
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


def _power_options(commands: Any) -> None:
    plan = commands.add_parser(
        "power", help="simulated power and minimum detectable effect of a study design",
        description="Simulate the design (SIMULATED panels) at every size and effect, on a "
                    "local Dask cluster by default, and print the power of each test with its "
                    "Monte Carlo standard error and the minimum detectable effect.",
        epilog="example:\n  econ power --effects 0 0.2 0.45 --counties 2 4 --townships 12 "
               "--villages 10 --reps 200 --figure power.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    plan.add_argument("--design", choices=("strong_alliance", "rotation", "two_sample"),
                      default="strong_alliance")
    plan.add_argument("--effects", type=float, nargs="+", required=True, metavar="EFFECT",
                      help="effect sizes (strong alliance: the true triple difference, log "
                           "points); 0 gives each test's size")
    plan.add_argument("--counties", type=int, nargs="+", default=None)
    plan.add_argument("--townships", type=int, nargs="+", default=None, help="per county")
    plan.add_argument("--villages", type=int, nargs="+", default=None, help="per township")
    plan.add_argument("--n", type=int, nargs="+", default=None, help="per group (two_sample)")
    plan.add_argument("--methods", nargs="+", default=None,
                      help="cr1, wild_bootstrap, subcluster_bootstrap (strong_alliance); "
                           "dcdh (rotation); z, randomization (two_sample); default all")
    plan.add_argument("--reps", type=int, default=200, help="panels per size and effect (200)")
    plan.add_argument("--bootstrap-reps", type=int, default=399,
                      help="wild bootstrap draws per panel (399)")
    plan.add_argument("--alpha", type=float, default=0.05, help="test level (0.05)")
    plan.add_argument("--target", type=float, default=0.8, help="power of the MDE (0.8)")
    plan.add_argument("--seed", type=int, default=DEFAULT_SEED)
    plan.add_argument("--output", type=Path, default=None, metavar="FOLDER",
                      help="Parquet folder of the replications; rerun to resume")
    plan.add_argument("--table", type=Path, default=None, metavar="FILE",
                      help="write the power table (.md, .tex, .html, .docx, .xlsx)")
    plan.add_argument("--figure", type=Path, default=None, metavar="FILE",
                      help="save the power curves (.png, .pdf, .svg)")
    plan.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="scheduler of an existing Dask cluster, e.g. tcp://host:8786 "
                           "(default: $ECON_SCHEDULER, else a local cluster)")
    plan.add_argument("--workers", type=int, default=None,
                      help="local cluster size (default one per core; 0: in this process)")


_TABLE_SUFFIXES = {".md": "markdown", ".tex": "latex", ".html": "html", ".docx": "docx",
                   ".xlsx": "xlsx"}


def _power(args: argparse.Namespace) -> int:
    # Imported here: the engine and its designs are not needed by the other commands.
    from econ.montecarlo import SchedulerUnreachable
    from econ.presentation.figures.power_curve import power_curve_plot
    from econ.study.power import DESIGNS, StrongAllianceDesign, power

    if args.table is not None and args.table.suffix not in _TABLE_SUFFIXES:
        raise ValueError(f"--table {args.table}: use one of {', '.join(_TABLE_SUFFIXES)}")
    if args.figure is not None and args.figure.suffix not in (".png", ".pdf", ".svg"):
        raise ValueError(f"--figure {args.figure}: use .png, .pdf or .svg")
    sizes = {name: getattr(args, name) for name in ("counties", "townships", "villages", "n")
             if getattr(args, name) is not None}
    design = (StrongAllianceDesign(bootstrap_reps=args.bootstrap_reps)
              if args.design == "strong_alliance" else DESIGNS[args.design]())
    try:
        result = power(design, effects=args.effects, methods=args.methods, reps=args.reps,
                       alpha=args.alpha, target=args.target, seed=args.seed,
                       output=args.output, client=args.scheduler, workers=args.workers,
                       **sizes)
    except SchedulerUnreachable as error:
        print(f"econ power: {error}", file=sys.stderr)
        return EXIT_USAGE
    table = result.to_table()
    print(table.to_text())
    if args.table is not None:
        print(f"wrote {_write_table(table, _TABLE_SUFFIXES[args.table.suffix], args.table)}")
    if args.figure is not None:
        chart = power_curve_plot(result)
        for path in chart.save(args.figure.with_suffix(""), formats=(args.figure.suffix[1:],)):
            print(f"wrote {path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``econ`` console command; returns the exit code."""
    # A command's objects live until the process ends. Frozen at exit, they are spared the
    # interpreter's last garbage collections, which would scan everything the command loaded
    # (0.15-0.4 s once pandas, scipy and matplotlib are in) to finalize nothing but garbage.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    args = _parser().parse_args(argv)
    from econ.data.problems import ValidationError
    from econ.spec.formula import FormulaError

    try:
        if args.command == "replicate":
            from econ.replication import replicate

            run = replicate(root=args.root, panel_path=args.panel, steps=args.steps,
                            output=args.output, reps=args.reps, formats=args.formats,
                            progress=ProgressBar(), workers=args.workers,
                            **_read_options(args))
            print(f"wrote {run.manifest.parent} (manifest: {run.manifest})")
            for step, why in run.incomplete.items():
                print(f"econ replicate: step {step} {why}", file=sys.stderr)
            if run.incomplete:
                # Data problems stopped some steps: the others ran and the manifest says why.
                return EXIT_INVALID
        elif args.command == "validate":
            return _validate(args)
        elif args.command == "fit":
            _fit(args)
        elif args.command == "simulate":
            _simulate(args)
        elif args.command == "power":
            return _power(args)
    except ValidationError as error:
        print(error, file=sys.stderr)
        if args.command in ("validate", "fit", "replicate"):
            print("From the command line, map a header with --map HEADER=COLUMN and a value "
                  "with --map COLUMN:VALUE=ALLOWED, or pass --mapping FILE.", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader went away (``econ simulate ... | head``): stop quietly, as Unix tools do.
        sys.stderr.close()
        return EXIT_OK
    except LookupError as error:
        hint = ("" if isinstance(error, KeyError)
                else "; use for example --encoding gbk or --encoding utf-8")
        print(f"econ {args.command}: {error}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, FileExistsError, ValueError, FormulaError) as error:
        print(f"econ {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except PermissionError as error:
        print(f"econ {args.command}: cannot write or read {error.filename}: permission "
              f"denied; choose another path", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
