"""Efficiency of assistance by village type: returns of funds and survival of industries.

- Returns: each outcome (collective income, income per capita, in logs) on the log of cumulative
  funds received up to the previous year, with a slope for each village type (the village's
  type in the first transition year), village and year fixed effects, township clusters; the
  slopes' equality is tested (CR1 F and wild bootstrap Wald).
- Survival: among villages whose assisted industry had started before the transition, whether
  it is still active in the last year, by type: a linear probability model (HC1) and a logit
  and a probit (statsmodels), each with the predicted survival probability by type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from econ.api.regression import feols
from econ.data.dataset import SIMULATED_LABEL, Dataset
from econ.data.derive import POST_YEAR, derive
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import HC1, Cluster
from econ.results.regression import RegressionResult, WaldTest
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True)
class Returns:
    """Slopes of one outcome on log cumulative funds by village type, and their equality."""

    outcome: str
    regression: RegressionResult
    slopes: pd.DataFrame
    equality: WaldTest
    equality_bootstrap: object | None


@dataclass(frozen=True)
class Survival:
    """Survival of pre-transition industries by type under three models."""

    table: pd.DataFrame
    equality_lpm: WaldTest
    villages: int


@dataclass(frozen=True, repr=False)
class Efficiency(SummaryDisplay):
    """Returns of funds for each outcome, and industry survival, by village type."""

    returns: tuple[Returns, ...]
    survival: Survival | None
    simulated: bool = False

    def tidy(self) -> pd.DataFrame:
        frames = [r.slopes.assign(outcome=r.outcome) for r in self.returns]
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> Summary:
        rows = tuple((r.outcome, row.type, f"{row.slope:.4f}", f"({row.std_error:.4f})",
                      f"{row.p_value:.4f}")
                     for r in self.returns for row in r.slopes.itertuples())
        facts = [(f"Equal slopes, {r.outcome}",
                  f"CR1 F p = {r.equality.pvalue:.4g}" + (
                      f"; wild bootstrap p = {r.equality_bootstrap.pvalue:.4g}"
                      if r.equality_bootstrap is not None else ""))
                 for r in self.returns]
        if self.survival is not None:
            for row in self.survival.table.itertuples():
                facts.append((f"Industry survival, type {row.type}",
                              f"LPM {row.lpm:.3f}, logit {row.logit:.3f}, probit "
                              f"{row.probit:.3f} (n = {row.villages})"))
        notes = (SIMULATED_LABEL,) if self.simulated else ()
        return Summary("Returns of funds and industry survival by village type", tuple(facts),
                       ("outcome", "type", "slope", "s.e.", "p"), rows, notes)


def efficiency(
    panel: Dataset,
    *,
    outcomes: Sequence[str] = ("collective_income", "income_per_capita"),
    funds: str = "assistance_funds",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    bootstrap: WildBootstrap | None = None,
) -> Efficiency:
    """Returns of cumulative funds by village type and survival of industries by type.

    Parameters
    ----------
    panel
        A validated panel (derived variables are added if absent).
    outcomes
        Positive outcomes, used in logs.
    funds
        Funds column; the regressor is ``log(1 + funds received up to the previous year)``.
    cluster
        Cluster variable for CR1 covariances (and the bootstrap).
    post_year
        First transition year; villages are typed by their typology that year.
    bootstrap
        Wild bootstrap settings for the equality-of-slopes test, or ``None``.
    """
    derived = panel if "typology" in panel.data.columns else derive(panel, post_year=post_year)
    data = derived.to_pandas().sort_values(["village_id", "year"])
    for name in (*outcomes, funds):
        if name not in data.columns:
            raise ValueError(f"column {name!r} is not in the panel")
    received = data.groupby("village_id", observed=True)[funds].cumsum() - data[funds]
    data["log_cum_funds"] = np.log1p(received.astype("float64"))
    start = data.loc[data["year"] == post_year].set_index("village_id")["typology"]
    if start.empty:
        raise ValueError(f"no rows in {post_year}: villages cannot be typed")
    data["type"] = data["village_id"].map(start.astype(object)).astype("string")
    results = []
    for outcome in outcomes:
        values = data[outcome].astype("float64")
        if (values <= 0).any():
            raise ValueError(f"{outcome!r} has {(values <= 0).sum()} non-positive values; "
                             f"the returns are estimated in logs")
        data["y"] = np.log(values)
        fit = feols("y ~ i(type, log_cum_funds) | village_id + year",
                    Dataset(data, simulated=panel.simulated), cov=Cluster(cluster))
        results.append(_returns(outcome, fit, bootstrap))
    survival = (_survival(data, post_year) if "industry_active" in data.columns else None)
    return Efficiency(tuple(results), survival, panel.simulated)


def _returns(outcome: str, fit: RegressionResult, bootstrap: WildBootstrap | None) -> Returns:
    names = list(fit.names)
    ci = fit.conf_int()
    slopes = pd.DataFrame({
        "type": [n.split("::")[1].split(":")[0] for n in names],
        "slope": fit.params.to_numpy(), "std_error": fit.std_errors.to_numpy(),
        "p_value": fit.pvalues.to_numpy(), "conf_low": ci["lower"].to_numpy(),
        "conf_high": ci["upper"].to_numpy(),
    })
    differences = np.zeros((len(names) - 1, len(names)))
    differences[:, 0] = 1.0
    differences[np.arange(len(names) - 1), np.arange(1, len(names))] = -1.0
    boot = (None if bootstrap is None else fit.wild_bootstrap(
        (differences, np.zeros(len(names) - 1)), **{**bootstrap.options(), "ci_level": None}))
    return Returns(outcome, fit, slopes, fit.wald_test(differences), boot)


def _survival(data: pd.DataFrame, post_year: int) -> Survival:
    last = int(data["year"].max())
    started = data.loc[(data["year"] == post_year - 1) & data["industry_active"].notna(),
                       "village_id"]
    final = data[(data["year"] == last) & data["village_id"].isin(started)
                 & data["type"].notna() & data["industry_active"].notna()].copy()
    if final["type"].nunique() < 2:
        raise ValueError("industry survival needs villages of at least two types with an "
                         "industry started before the transition")
    final["active"] = final["industry_active"].astype("float64")
    final["type"] = final["type"].astype(object)
    # No intercept: each type's coefficient is its survival probability.
    lpm = feols("active ~ 0 + i(type)", final, cov=HC1())
    dummies = pd.get_dummies(final["type"], dtype=float)
    means = final.groupby("type")["active"].mean()
    # A type whose industries all survive (or all fail) separates the data: its logit and
    # probit coefficients diverge and its fitted probability is that boundary, 0 or 1.
    separated = [kind for kind in dummies.columns if means[kind] in (0.0, 1.0)]
    interior = [kind for kind in dummies.columns if kind not in separated]
    fitted: dict[str, dict[str, float]] = {"logit": {}, "probit": {}}
    if interior:
        rows = final["type"].isin(interior).to_numpy()
        design = dummies.loc[rows, interior].to_numpy()
        for name, model in (("logit", sm.Logit), ("probit", sm.Probit)):
            estimate = model(final.loc[rows, "active"].to_numpy(), design).fit(disp=0)
            probabilities = estimate.predict(np.eye(len(interior)))
            fitted[name] = dict(zip(interior, probabilities, strict=True))
    table = [{"type": kind, "villages": int(dummies[kind].sum()),
              "lpm": float(lpm.params[f"type::{kind}"]),
              "logit": float(fitted["logit"].get(kind, means[kind])),
              "probit": float(fitted["probit"].get(kind, means[kind])),
              "separated": kind in separated}
             for kind in dummies.columns]
    k = len(dummies.columns)
    differences = np.zeros((k - 1, k))
    differences[:, 0] = 1.0
    differences[np.arange(k - 1), np.arange(1, k)] = -1.0
    return Survival(pd.DataFrame(table), lpm.wald_test(differences), len(final))
