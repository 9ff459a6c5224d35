"""Event study of the level x endowment gradient, year by year."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.data.seeds import DEFAULT_SEED, Seed
from econ.inference.bands import SUP_T_DRAWS, sup_t_critical_value
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.linear_combinations import critical_value
from econ.results.event_study import EventStudy, event_study_path
from econ.study.variables import (
    CONTROLS,
    DEFAULT_BOOTSTRAP,
    Endowment,
    Transform,
    UnitRank,
    control_terms,
    fit,
    working_table,
)


def gradient_event_study(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Transform = "log1p",
    unit_rank: UnitRank = "binary",
    endowment: Endowment = "continuous",
    reference: int = POST_YEAR - 1,
    cluster: str = "township_id",
    level: float = 0.95,
    sup_t_draws: int = SUP_T_DRAWS,
    seed: Seed = DEFAULT_SEED,
    controls: Sequence[str] = CONTROLS,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> EventStudy:
    """Event study of the level x endowment gradient by year relative to ``reference``.

    ``y ~ i(year, lxe, ref) + i(year, endow, ref) + i(year, level, ref) + lxe + level
    + controls | village_id + year`` with ``lxe = level x endow``; the path is the ``year::t:lxe``
    coefficients. Uniform bands use the sup-t critical value of the estimated coefficients'
    joint normal distribution (Montiel Olea and Plagborg-Moller 2019), simulated with ``seed``.
    The pre-trend test is a wild bootstrap Wald test of all years before ``reference``.

    Returns
    -------
    EventStudy
        The package's event-study result, by year (``regression`` is the fit, ``pretrend``
        the bootstrap test).
    """
    _, data = working_table(panel, outcome=outcome, transform=transform, unit_rank=unit_rank,
                            endowment=endowment, post_year=POST_YEAR)
    years = sorted(int(y) for y in data["year"].unique())
    if reference not in years:
        raise ValueError(f"reference year {reference} is not in the data ({years[0]}-"
                         f"{years[-1]})")
    data["lxe"] = data["level"] * data["endow"]
    formula = (f"y ~ i(year, lxe, ref={reference}) + i(year, endow, ref={reference})"
               f" + i(year, level, ref={reference}) + lxe + level"
               f"{control_terms(data, controls)} | village_id + year")
    result = fit(formula, data, cluster=cluster, simulated=panel.simulated, bootstrap=bootstrap)
    names = [f"year::{y}:lxe" for y in years if y != reference]
    kept = [n for n in names if n in result.names]
    if not kept:
        raise ValueError("no year-by-gradient coefficient is identified: the level x endowment "
                         "interaction does not vary after the fixed effects")
    periods = np.array([int(n.split("::")[1].split(":")[0]) for n in kept])
    cov = result.cov.loc[kept, kept].to_numpy()
    band = sup_t_critical_value(cov, level, draws=sup_t_draws, seed=seed)
    path = event_study_path(periods, result.params[kept].to_numpy(),
                            result.std_errors[kept].to_numpy(),
                            critical_value(level, result.df_resid), band, (reference,))
    pre = [n for n, year in zip(kept, periods, strict=True) if year < reference]
    pretrend = (None if bootstrap is None or not pre
                else result.wild_bootstrap(pre, replace(bootstrap, ci_level=None)))
    facts = (("Outcome", outcome), ("Observations", f"{result.nobs:,}"),
             ("Covariance", result.covariance.label))
    notes = ("Uniform band: sup-t critical value of the joint normal distribution of the "
             f"estimates ({sup_t_draws:,} draws).",
             *(("Pre-trend test: wild bootstrap Wald test that every year before "
                f"{reference} is zero.",) if pretrend is not None else ()))
    return EventStudy(
        title="Event study of the level x endowment gradient", outcome=outcome, path=path,
        cov=cov, df=result.df_resid, level=level, time_label="year", reference=reference,
        band_critical_value=band, facts=facts, notes=notes, nobs=result.nobs,
        pretrend=pretrend, regression=result, simulated=panel.simulated)
