"""``econ.feols``: formula, data and covariance in; an immutable result out."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.iv import split_iv
from econ.estimation.linear import fit as fit_linear
from econ.inference.covariance import IID, ClusterSpec, CovarianceSpec, estimate_covariance
from econ.models.iv import feiv
from econ.results.regression import RegressionResult
from econ.spec.design import build
from econ.spec.formula import parse


def feols(
    formula: str,
    data: Dataset | pd.DataFrame,
    *,
    cov: CovarianceSpec | None = None,
    weights: str | None = None,
    groups: Sequence[str] = (),
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> RegressionResult | tuple[RegressionResult, ...]:
    """Least squares with any number of absorbed fixed effects, fixest style.

    Parameters
    ----------
    formula
        ``"y ~ x1 + x2:x3 + C(type) + i(event_time, ref=-1) | village_id + year"``; several
        outcomes (``"y1 + y2 ~ ..."``) give one result each, sharing the design.
    data
        A validated :class:`~econ.Dataset` or a DataFrame.
    cov
        Covariance estimator: ``IID()`` (default), ``HC1()``, ``Cluster("township_id")``,
        ``Cluster("township_id", "year")``, ``CR2(...)``, ``CR3(...)``. Its cluster variables
        must be non-missing: rows where they are missing are dropped and reported. Use
        ``result.with_cov(...)`` for other choices without refitting.
    weights
        Column of positive observation weights (WLS).
    groups
        Further grouping variables to resolve now, for covariances or wild bootstraps chosen
        later (``result.with_cov(Cluster("county_id"))``, a subcluster bootstrap by
        ``township_id``). Variables are resolved once, here, so every later choice uses the
        same rows; rows where one is missing are dropped and reported.
    tol, max_iter
        Convergence tolerance and sweep limit of the alternating projections, used only when
        the fixed effects have no closed form (more than two, unbalanced, or weighted).

    Returns
    -------
    RegressionResult
        Or a tuple of them, one per outcome.
    """
    if split_iv(formula) is not None:
        # "y ~ x | fe | d ~ z": the instrumental-variables estimator, as in fixest.
        return feiv(formula, data, cov=cov, weights=weights, groups=groups, tol=tol,
                    max_iter=max_iter)
    spec = cov or IID()
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    parsed = parse(formula)
    by = spec.by if isinstance(spec, ClusterSpec) else ()
    groups = (groups,) if isinstance(groups, str) else tuple(groups)
    design = build(parsed, frame, weights=weights, clusters=(*by, *groups))
    fits = [fit_linear(design, outcome=k, tol=tol, max_iter=max_iter)
            for k in range(len(parsed.outcomes))]
    results = tuple(RegressionResult(fit, spec, estimate_covariance(fit, spec), simulated)
                    for fit in fits)
    return results[0] if len(results) == 1 else results
