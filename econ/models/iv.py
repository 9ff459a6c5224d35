"""``econ.feiv``: instrumental variables (2SLS, LIML) with absorbed fixed effects, fixest style."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.iv import Method, build_iv, fit_iv, parse_iv
from econ.inference.covariance import IID, ClusterSpec, CovarianceSpec, estimate_covariance
from econ.inference.iv import WEAK_F, WeakInstrumentWarning, check_iv_covariance, first_stage_f
from econ.results.iv import IVResult


def feiv(
    formula: str,
    data: Dataset | pd.DataFrame,
    *,
    cov: CovarianceSpec | None = None,
    method: Method = "2SLS",
    weights: str | None = None,
    groups: Sequence[str] = (),
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> IVResult:
    """Instrumental-variables regression with any number of absorbed fixed effects.

    Parameters
    ----------
    formula
        ``"y ~ exog | fe1 + fe2 | endog ~ instrument1 + instrument2"``; without fixed effects
        ``"y ~ exog | endog ~ instruments"``, without exogenous regressors
        ``"y ~ 1 | fe | endog ~ instruments"``. Several endogenous regressors are joined with
        ``+`` before the last ``~``. One outcome per call.
    data
        A validated :class:`~econ.Dataset` or a DataFrame.
    cov
        ``IID()`` (default), ``HC1()`` or ``Cluster(...)`` (one-way or multiway).
    method
        ``"2SLS"`` or ``"LIML"`` (limited-information maximum likelihood, less biased with
        many or weak instruments).
    weights, groups, tol, max_iter
        As for :func:`econ.feols`.

    Returns
    -------
    IVResult
        Estimates (endogenous regressors first), first
        stages, :meth:`~econ.results.iv.IVResult.diagnostics`,
        :meth:`~econ.results.iv.IVResult.anderson_rubin` and the WRE
        :meth:`~econ.results.iv.IVResult.wild_bootstrap`.

    Warns
    -----
    WeakInstrumentWarning
        When a first-stage F is below 10, naming it: report the Anderson-Rubin set.
    """
    spec = cov or IID()
    check_iv_covariance(spec)
    if method not in ("2SLS", "LIML"):
        raise ValueError(f"method must be '2SLS' or 'LIML', not {method!r}")
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    parsed = parse_iv(formula)
    if len(parsed.formula.outcomes) > 1:
        raise ValueError(f"{formula!r} has {len(parsed.formula.outcomes)} outcomes: fit one "
                         f"instrumental-variables model per outcome")
    by = spec.by if isinstance(spec, ClusterSpec) else ()
    groups = (groups,) if isinstance(groups, str) else tuple(groups)
    design, instruments = build_iv(parsed, frame, weights=weights, clusters=(*by, *groups))
    ivfit = fit_iv(design, instruments, parsed.endogenous, method=method, tol=tol,
                   max_iter=max_iter)
    result = IVResult(ivfit.second, spec, estimate_covariance(ivfit.second, spec), simulated,
                      iv=ivfit)
    for test in first_stage_f(ivfit, spec):
        if test.statistic < WEAK_F:
            warnings.warn(
                f"weak instrument: {test.name} = {test.statistic:.2f} (below {WEAK_F:g}, "
                f"Stock-Yogo rule of thumb) with {', '.join(instruments)}: 2SLS estimates are "
                f"biased towards least squares and their t-tests over-reject; report the "
                f"Anderson-Rubin set (result.anderson_rubin()) or use method='LIML'",
                WeakInstrumentWarning, stacklevel=2)
    return result
