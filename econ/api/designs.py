"""The study's designs: the strong-alliance triple difference and the gradient event study.

Both take a validated panel (the researcher's or the shipped simulated one), build the variables
the argument is about (see ``econ.derive``), fit with village and year fixed effects clustered by
township, and report the effects by name with cluster-robust and wild-bootstrap inference.

Variables (added to a copy of the panel):

- ``level``: 1 for a municipal-or-higher unit (``level="binary"``), or the rank of the unit
  (``level="ordered"``: 0 no team, 1 township, 2 county, 3 municipal, 4 provincial, 5 central);
- ``endow``: the village's baseline endowment (``endowment="continuous"``) or ``rich``
  (``endowment="binary"``);
- ``post``: transition period (year >= ``post_year``);
- controls (default ``team``, ``strong``, ``demonstration``): a resident team is in post, the
  unit is a strong department, and designation as a demonstration village (one dummy per cohort
  and year since designation). Each changes
  within villages at the 2021 re-dispatch and is correlated with level and endowment, so leaving
  it out loads its effect onto the effects of interest;
- the outcome, by default ``log(1 + assistance_funds)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from econ.api.regression import feols
from econ.data.dataset import SIMULATED_LABEL, Dataset
from econ.data.derive import POST_YEAR, derive
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import Cluster
from econ.results.design import DesignResult, NamedEffect
from econ.results.regression import RegressionResult
from econ.results.summary import Summary, SummaryDisplay

TRIPLE = "level:endow:post"
DEFAULT_BOOTSTRAP = WildBootstrap()
CONTROLS = ("team", "strong", "demonstration")


def _prepare(panel: Dataset, *, outcome: str, transform: str, level: str, endowment: str,
             post_year: int) -> pd.DataFrame:
    derived = panel if "high_level" in panel.data.columns else derive(panel, post_year=post_year)
    data = derived.to_pandas()
    if outcome not in data.columns:
        raise ValueError(f"outcome {outcome!r} is not in the panel; columns: "
                         f"{list(data.columns)}")
    values = data[outcome].astype("float64")
    if transform == "log1p":
        if (values < 0).any():
            raise ValueError(f"log1p needs {outcome!r} >= 0; pass transform='none'")
        values = np.log1p(values)
    elif transform != "none":
        raise ValueError("transform must be 'log1p' or 'none'")
    data["y"] = values
    if level == "binary":
        data["level"] = data["high_level"].astype("float64")
    elif level == "ordered":
        rank = data["unit_level"].cat.codes.to_numpy() + 1  # -1 (no team) becomes 0
        data["level"] = rank.astype("float64")
    else:
        raise ValueError("level must be 'binary' or 'ordered'")
    if endowment == "continuous":
        data["endow"] = data["baseline_endowment"].astype("float64")
    elif endowment == "binary":
        data["endow"] = data["rich"].astype("float64")
    else:
        raise ValueError("endowment must be 'continuous' or 'binary'")
    data["post"] = (data["year"] >= post_year).astype("float64")
    data["team"] = data["assisted"].astype("float64")
    if "unit_strength" in data.columns:
        data["strong"] = (data["unit_strength"] == "strong").astype("float64")
    if "event_time" in data.columns:
        # Designation's effect grows with time since designation and differs by cohort, so it is
        # controlled for cohort by cohort and year by year (zeros before designation).
        after = data["event_time"] >= 0
        cell = (data["demonstration_year"].astype("string") + ":"
                + data["event_time"].astype("string"))
        data["demonstration"] = cell.where(after.fillna(False), pd.NA)
    return data


def _controls(data: pd.DataFrame, controls: Sequence[str]) -> str:
    absent = [c for c in controls if c not in data.columns]
    if absent:
        raise ValueError(f"control(s) {absent} are not in the panel")
    return "".join(f" + i({c})" if c == "demonstration" else f" + {c}" for c in controls)


def _fit(formula: str, data: pd.DataFrame, cluster: str, simulated: bool) -> RegressionResult:
    """``feols`` on a design's working table, keeping the panel's simulated-data flag."""
    return feols(formula, Dataset(data, simulated=simulated), cov=Cluster(cluster))


def _main_fit(data: pd.DataFrame, controls: Sequence[str], cluster: str,
              simulated: bool) -> RegressionResult:
    """The triple-difference regression with village and year effects (and its controls)."""
    formula = (f"y ~ {TRIPLE} + endow:post + level:post + level:endow + level"
               f"{_controls(data, controls)} | village_id + year")
    return _fit(formula, data, cluster, simulated)


def strong_alliance(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Literal["log1p", "none"] = "log1p",
    level: Literal["binary", "ordered"] = "binary",
    endowment: Literal["continuous", "binary"] = "continuous",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    controls: Sequence[str] = CONTROLS,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> DesignResult:
    """The strong-alliance triple difference: unit level x endowment x transition.

    Main regression (village and year fixed effects, CR1 by ``cluster``)::

        y ~ level:endow:post + endow:post + level:post + level:endow + level + controls
            | village_id + year

    The endowment gradient before 2021 is absorbed by the village effects there, so it comes
    from a companion regression on the pre-transition years with township and year effects,
    ``y ~ endow + level + controls | township_id + year``.

    Reported effects: ``gradient_pre`` (benefits all: expected negative), ``gradient_change``
    (its change after ``post_year``: expected positive), ``level_effect`` (higher units bring
    more: expected positive) and ``triple_difference`` (strong alliance: expected positive).
    """
    data = _prepare(panel, outcome=outcome, transform=transform, level=level,
                    endowment=endowment, post_year=post_year)
    main = _main_fit(data, controls, cluster, panel.simulated)
    # Designation starts with the transition, so it has no place among the pre-period controls.
    pre_extra = _controls(data, [c for c in controls if c != "demonstration"])
    pre = _fit(f"y ~ endow + level{pre_extra} | township_id + year",
               data[data["year"] < post_year], cluster, panel.simulated)
    specs = [
        ("gradient_pre", pre, "endow", "endowment gradient before the transition", -1),
        ("gradient_change", main, "endow:post", "change of the gradient after it", 1),
        ("level_effect", main, "level", "higher dispatching unit", 1),
        ("triple_difference", main, TRIPLE, "level x endowment after the transition", 1),
    ]
    for name, fit, coefficient, _, _ in specs:
        if coefficient not in fit.names:
            reason = fit.dropped_coefficients.get(coefficient, "not estimated")
            raise ValueError(f"{name} ({coefficient}) is not identified in this panel: "
                             f"{reason}. It needs variation in unit level and endowment "
                             f"within villages over time")
    effects = tuple(
        NamedEffect(name, coefficient, meaning, sign, fit,
                    None if bootstrap is None else fit.wild_bootstrap(coefficient,
                                                                      **bootstrap.options()))
        for name, fit, coefficient, meaning, sign in specs)
    notes = (f"Outcome: {'log(1 + ' + outcome + ')' if transform == 'log1p' else outcome}; "
             f"level: {level}; endowment: {endowment}; post: year >= {post_year}.",
             f"Controls: {', '.join(controls) or 'none'}. gradient_pre from "
             f"y ~ endow + level + controls | township_id + year on the pre-transition years.")
    return DesignResult("Strong alliance: triple difference", effects, notes, panel.simulated)


@dataclass(frozen=True, repr=False)
class EventStudy(SummaryDisplay):
    """Year-by-year level x endowment gradient relative to a reference year.

    Attributes
    ----------
    regression
        The fitted event-study regression.
    path
        One row per year: estimate, std_error, pointwise and uniform (sup-t) bounds; the
        reference year has estimate 0.
    pretrend
        Wild bootstrap Wald test that every pre-reference coefficient is zero (``None`` without
        a bootstrap).
    """

    regression: RegressionResult
    path: pd.DataFrame
    reference: int
    level: float
    sup_t: float
    pretrend: object | None
    simulated: bool = False

    def to_frame(self) -> pd.DataFrame:
        """Plot data: year, estimate, pointwise and uniform bounds."""
        return self.path.copy()

    def summary(self) -> Summary:
        rows = tuple((str(r.year), f"{r.estimate:.4f}", f"({r.std_error:.4f})",
                      f"[{r.conf_low:.3f}, {r.conf_high:.3f}]",
                      f"[{r.uniform_low:.3f}, {r.uniform_high:.3f}]")
                     for r in self.path.itertuples())
        facts = [("Reference year", str(self.reference)),
                 ("Covariance", self.regression.covariance.label),
                 ("Sup-t critical value", f"{self.sup_t:.3f}")]
        if self.pretrend is not None:
            facts.append(("Pre-trend (wild bootstrap Wald)",
                          f"p = {self.pretrend.pvalue:.4f}"))
        notes = (SIMULATED_LABEL,) if self.simulated else ()
        return Summary("Event study of the level x endowment gradient", tuple(facts),
                       ("year", "estimate", "s.e.", "pointwise CI", "uniform band"), rows,
                       notes)


def gradient_event_study(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Literal["log1p", "none"] = "log1p",
    level: Literal["binary", "ordered"] = "binary",
    endowment: Literal["continuous", "binary"] = "continuous",
    reference: int = POST_YEAR - 1,
    cluster: str = "township_id",
    ci_level: float = 0.95,
    sup_t_draws: int = 100_000,
    seed: int = 20240501,
    controls: Sequence[str] = CONTROLS,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> EventStudy:
    """Event study of the level x endowment gradient by year relative to ``reference``.

    ``y ~ i(year, lxe, ref) + i(year, endow, ref) + i(year, level, ref) + lxe + level
    + controls | village_id + year`` with ``lxe = level x endow``; the path is the ``year::t:lxe``
    coefficients. Uniform bands use the sup-t critical value of the estimated coefficients'
    joint normal distribution (Montiel Olea and Plagborg-Moller 2019), simulated with ``seed``.
    The pre-trend test is a wild bootstrap Wald test of all years before ``reference``.
    """
    data = _prepare(panel, outcome=outcome, transform=transform, level=level,
                    endowment=endowment, post_year=POST_YEAR)
    years = sorted(int(y) for y in data["year"].unique())
    if reference not in years:
        raise ValueError(f"reference year {reference} is not in the data ({years[0]}-"
                         f"{years[-1]})")
    data["lxe"] = data["level"] * data["endow"]
    formula = (f"y ~ i(year, lxe, ref={reference}) + i(year, endow, ref={reference})"
               f" + i(year, level, ref={reference}) + lxe + level{_controls(data, controls)}"
               " | village_id + year")
    fit = _fit(formula, data, cluster, panel.simulated)
    names = [f"year::{y}:lxe" for y in years if y != reference]
    kept = [n for n in names if n in fit.names]
    if not kept:
        raise ValueError("no year-by-gradient coefficient is identified: the level x endowment "
                         "interaction does not vary after the fixed effects")
    estimates = fit.params[kept].to_numpy()
    errors = fit.std_errors[kept].to_numpy()
    cov = fit.cov.loc[kept, kept].to_numpy()
    crit = stats.t.ppf(0.5 + ci_level / 2, fit.df_resid)
    sup_t = _sup_t(cov, errors, ci_level, sup_t_draws, seed)
    rows = [{"year": reference, "estimate": 0.0, "std_error": 0.0, "conf_low": 0.0,
             "conf_high": 0.0, "uniform_low": 0.0, "uniform_high": 0.0}]
    for name, b, se in zip(kept, estimates, errors, strict=True):
        rows.append({"year": int(name.split("::")[1].split(":")[0]), "estimate": b,
                     "std_error": se, "conf_low": b - crit * se, "conf_high": b + crit * se,
                     "uniform_low": b - sup_t * se, "uniform_high": b + sup_t * se})
    path = pd.DataFrame(rows).sort_values("year", ignore_index=True)
    pre = [n for n in kept if int(n.split("::")[1].split(":")[0]) < reference]
    pretrend = None
    if bootstrap is not None and pre:
        options = {**bootstrap.options(), "ci_level": None}
        pretrend = fit.wild_bootstrap(pre, **options)
    return EventStudy(fit, path, reference, ci_level, sup_t, pretrend, panel.simulated)


def _sup_t(cov: np.ndarray, errors: np.ndarray, level: float, draws: int, seed: int) -> float:
    """Quantile of max_j |Z_j| / se_j for Z ~ N(0, cov)."""
    rng = np.random.default_rng(seed)
    scale = np.where(errors > 0, errors, 1.0)
    corr = cov / np.outer(scale, scale)
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    z = rng.standard_normal((draws, len(errors))) @ root.T
    return float(np.quantile(np.abs(z).max(axis=1), level))



@dataclass(frozen=True, repr=False)
class Heterogeneity(SummaryDisplay):
    """Post-transition changes by group, and tests that they are equal.

    Attributes
    ----------
    effects
        One named effect per group: the change in the outcome after ``post_year`` for villages
        of that group (fixed at ``post_year``), relative to villages with no team then.
    equality
        Cluster-robust F test that all group effects are equal.
    equality_bootstrap
        Wild bootstrap Wald test of the same hypothesis (``None`` without a bootstrap).
    """

    effects: DesignResult
    equality: object
    equality_bootstrap: object | None

    def tidy(self) -> pd.DataFrame:
        return self.effects.tidy()

    def summary(self) -> Summary:
        base = self.effects.summary()
        facts = (*base.facts, ("Equal effects (CR1 F test)", f"p = {self.equality.pvalue:.4g}"))
        if self.equality_bootstrap is not None:
            facts = (*facts, ("Equal effects (wild bootstrap Wald)",
                              f"p = {self.equality_bootstrap.pvalue:.4g}"))
        return Summary(base.title, facts, base.header, base.rows, base.notes)


def heterogeneity(
    panel: Dataset,
    *,
    by: Literal["typology", "unit_level"] = "typology",
    outcome: str = "assistance_funds",
    transform: Literal["log1p", "none"] = "log1p",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> Heterogeneity:
    """Change after ``post_year`` by village type (A/B/C/D) or by dispatching-unit level.

    Each village is classified by its type (or its unit's level) in ``post_year``;
    ``y ~ i(group, post) | village_id + year`` gives each group's change relative to villages
    without a team that year, and the equality of the group effects is tested.
    """
    data = _prepare(panel, outcome=outcome, transform=transform, level="binary",
                    endowment="binary", post_year=post_year)
    column = "typology" if by == "typology" else "unit_level"
    at_start = data.loc[data["year"] == post_year, ["village_id", column]]
    if at_start.empty:
        raise ValueError(f"no rows in {post_year}: cannot classify villages at the transition")
    groups = at_start.set_index("village_id")[column].astype(object)
    data["group"] = data["village_id"].map(groups).astype("string")
    fit = _fit("y ~ i(group, post) | village_id + year", data, cluster, panel.simulated)
    names = list(fit.names)
    if len(names) < 2:
        raise ValueError(f"fewer than two {by} groups are identified; nothing to compare")
    effects = tuple(
        NamedEffect(name.split("::")[1].split(":")[0], name, f"change after {post_year}", 0,
                    fit, None if bootstrap is None else fit.wild_bootstrap(
                        name, **bootstrap.options()))
        for name in names)
    differences = np.zeros((len(names) - 1, len(names)))
    differences[:, 0] = 1.0
    differences[np.arange(len(names) - 1), np.arange(1, len(names))] = -1.0
    equality = fit.wald_test(differences)
    boot = (None if bootstrap is None else fit.wild_bootstrap(
        (differences, np.zeros(len(names) - 1)), **{**bootstrap.options(), "ci_level": None}))
    title = f"Change after {post_year} by {'village type' if by == 'typology' else 'unit level'}"
    notes = (f"Groups fixed at {post_year}; reference: villages without a team then.",)
    return Heterogeneity(DesignResult(title, effects, notes, panel.simulated), equality, boot)


@dataclass(frozen=True, repr=False)
class DesignationEffect(SummaryDisplay):
    """The average effect of demonstration designation on designated village-years.

    Attributes
    ----------
    estimate, std_error, conf_int
        The cell-size weighted average of the cohort-by-event-time designation coefficients,
        its CR1 standard error and t interval.
    cells
        Each cohort and event time: coefficient, village-years (the weight).
    bootstrap
        Wild cluster bootstrap test of ``average = 0`` with its interval (or ``None``).
    """

    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    cells: pd.DataFrame
    bootstrap: object | None
    regression: RegressionResult
    simulated: bool = False

    def summary(self) -> Summary:
        rows = tuple((f"{r.cohort}", f"{r.event_time}", f"{r.estimate:.4f}", f"{r.rows:,}")
                     for r in self.cells.itertuples())
        facts = [("Average effect", f"{self.estimate:.4f} (s.e. {self.std_error:.4f}, CR1)"),
                 ("95% CI (CR1)", f"[{self.conf_int[0]:.4f}, {self.conf_int[1]:.4f}]")]
        if self.bootstrap is not None:
            low, high = self.bootstrap.ci
            facts.append(("Wild bootstrap", f"p = {self.bootstrap.pvalue:.4f}, CI "
                                            f"[{low:.4f}, {high:.4f}]"))
        notes = (SIMULATED_LABEL,) if self.simulated else ()
        return Summary("Effect of demonstration designation", tuple(facts),
                       ("cohort", "event time", "estimate", "village-years"), rows, notes)


def designation_effect(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Literal["log1p", "none"] = "log1p",
    cluster: str = "township_id",
    controls: Sequence[str] = CONTROLS,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> DesignationEffect:
    """ATT of demonstration designation, conditioning on the dispatch that changes with it.

    Designation is not randomly timed: it follows the 2021 re-dispatch of stronger units, which
    also raise funds, so comparisons of designated and not-yet-designated villages (Callaway and
    Sant'Anna) mix the two. This design estimates one coefficient per cohort and year since
    designation in the triple-difference regression of :func:`strong_alliance`, which holds the
    unit's level and strength and the team fixed, and averages them weighted by village-years
    (the simple aggregation). Requires the ``demonstration`` control.
    """
    if "demonstration" not in controls:
        raise ValueError("designation_effect needs 'demonstration' among the controls")
    data = _prepare(panel, outcome=outcome, transform=transform, level="binary",
                    endowment="continuous", post_year=POST_YEAR)
    fit = _main_fit(data, controls, cluster, panel.simulated)
    sizes = data["demonstration"].value_counts()
    names = [n for n in fit.names if n.startswith("demonstration::")]
    if not names:
        raise ValueError("no designated village-years with an identified effect: the panel has "
                         "no demonstration_year, or designation is absorbed by the fixed effects")
    cells = pd.DataFrame({
        "cohort": [int(n.split("::")[1].split(":")[0]) for n in names],
        "event_time": [int(n.split(":")[-1]) for n in names],
        "estimate": fit.params[names].to_numpy(),
        "rows": [int(sizes[n.split("::")[1]]) for n in names],
    })
    weights = np.zeros(len(fit.names))
    weights[[fit.names.index(n) for n in names]] = cells["rows"] / cells["rows"].sum()
    estimate = float(weights @ fit.fit.params)
    std_error = float(np.sqrt(weights @ fit.covariance.cov @ weights))
    half = stats.t.ppf(0.975, fit.df_resid) * std_error
    boot = (None if bootstrap is None else
            fit.wild_bootstrap((weights[None, :], np.zeros(1)), **bootstrap.options()))
    return DesignationEffect(estimate, std_error, (estimate - half, estimate + half), cells,
                             boot, fit, panel.simulated)
