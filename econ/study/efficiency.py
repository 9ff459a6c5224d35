"""Efficiency of assistance by village type: returns of funds and survival of industries.

- Returns: each outcome (collective income, income per capita, in logs) on the log of cumulative
  funds received up to the previous year, with a slope for each village type (the village's
  type in the first transition year), village and year fixed effects, township clusters; the
  slopes' equality is tested (CR1 F and wild bootstrap Wald).
- Survival: among villages whose assisted industry had started before the transition, whether
  it is still active in the last year, by type: a linear probability model (HC1) and a logit
  and a probit (:mod:`econ.models.binary`), each with the predicted survival probability by
  type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR, ensure_derived
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import HC1, Cluster
from econ.models.binary import group_probabilities
from econ.models.feols import feols
from econ.results.efficiency import Efficiency, Returns, Survival
from econ.results.regression import RegressionResult


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
    derived = ensure_derived(panel, post_year=post_year)
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
                    Dataset(data, simulated=panel.simulated), cov=Cluster(cluster),
                    groups=[] if bootstrap is None else [*(bootstrap.cluster or ()),
                                                         *(bootstrap.bootstrap_cluster or ())])
        assert isinstance(fit, RegressionResult)
        results.append(_returns(outcome, fit, bootstrap))
    survival = (_survival(data, post_year) if "industry_active" in data.columns else None)
    return Efficiency(tuple(results), survival, panel.simulated)


def _returns(outcome: str, fit: RegressionResult, bootstrap: WildBootstrap | None) -> Returns:
    names = list(fit.names)
    table = fit.tidy()
    slopes = pd.DataFrame({
        "type": [n.split("::")[1].split(":")[0] for n in names],
        "slope": table["estimate"].to_numpy(), "std_error": table["std_error"].to_numpy(),
        "p_value": table["p_value"].to_numpy(), "conf_low": table["conf_low"].to_numpy(),
        "conf_high": table["conf_high"].to_numpy(),
    })
    differences = np.zeros((len(names) - 1, len(names)))
    differences[:, 0] = 1.0
    differences[np.arange(len(names) - 1), np.arange(1, len(names))] = -1.0
    boot = (None if bootstrap is None else fit.wild_bootstrap(
        (differences, np.zeros(len(names) - 1)), replace(bootstrap, ci_level=None)))
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
    assert isinstance(lpm, RegressionResult)
    kinds = sorted(final["type"].unique(), key=str)
    logit = group_probabilities(final["active"], final["type"], link="logit")
    probit = group_probabilities(final["active"], final["type"], link="probit")
    table = [{"type": kind, "villages": int((final["type"] == kind).sum()),
              "lpm": float(lpm.params[f"type::{kind}"]),
              "logit": logit.probability[kind], "probit": probit.probability[kind],
              "separated": kind in logit.separated}
             for kind in kinds]
    k = len(kinds)
    differences = np.zeros((k - 1, k))
    differences[:, 0] = 1.0
    differences[np.arange(k - 1), np.arange(1, k)] = -1.0
    return Survival(pd.DataFrame(table), lpm.wald_test(differences), len(final))
