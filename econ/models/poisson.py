"""``fepois``: Poisson pseudo-maximum likelihood with absorbed fixed effects, fixest style."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.poisson import SEPARATION
from econ.estimation.poisson import fit as fit_poisson
from econ.inference.covariance import IID, ClusterSpec, CovarianceSpec, estimate_covariance
from econ.results.poisson import PoissonResult, check_covariance
from econ.spec.design import build
from econ.spec.formula import FormulaError, parse


def fepois(
    formula: str,
    data: Dataset | pd.DataFrame,
    *,
    cov: CovarianceSpec | None = None,
    weights: str | None = None,
    offset: str | None = None,
    exposure: str | None = None,
    groups: Sequence[str] = (),
    separation: Sequence[str] = SEPARATION,
    tol: float = 1e-8,
    max_iter: int = 50,
    fe_tol: float = 1e-10,
    fe_max_iter: int = 10_000,
) -> PoissonResult | tuple[PoissonResult, ...]:
    """Poisson regression (PPML) with any number of absorbed fixed effects.

    ``E[y | x] = exp(x'b + fixed effects + offset)``, fitted by iteratively reweighted least
    squares. The outcome must be non-negative; it need not be a count (funds in any unit give
    the same slopes, unlike ``log(1 + funds)``). Rows whose mean is zero at the maximum
    (*separated*) are removed first and counted in ``result.dropped_rows`` by reason.

    Parameters
    ----------
    formula
        As :func:`~econ.models.feols.feols`: ``"projects ~ level:endow:post + level |
        village_id + year"``; several outcomes give one result each.
    data
        A validated :class:`~econ.Dataset` or a DataFrame.
    cov
        ``IID()`` (default: the inverse information), ``HC1()``, ``Cluster("township_id")``
        (CR1; several variables for multiway). Small-sample corrections as fixest and
        pyfixest: ``(n - 1) / (n - K)``, and ``G / (G - 1)`` when clustered.
    weights
        Column of positive observation weights.
    offset, exposure
        Column added to the linear predictor with coefficient 1, or a positive column whose
        log is (at most one of them). Rows where it is missing are dropped and counted.
    groups
        Further grouping variables to resolve now for later covariances or bootstraps.
    separation
        Separation checks to run: ``"fe"`` (all-zero fixed-effect groups) and ``"relu"``
        (the iterative rectifier of Correia, Guimarães and Zylkin 2020).
    tol, max_iter
        Convergence tolerance on the relative change of the deviance, and the IRLS limit.
    fe_tol, fe_max_iter
        Tolerance and sweep limit of the fixed-effect projections.

    Returns
    -------
    PoissonResult
        Or a tuple of them, one per outcome.

    Raises
    ------
    ValueError
        A negative outcome, a non-positive exposure, or both offset and exposure.
    econ.estimation.poisson.ConvergenceError
        IRLS did not converge (the message names the iteration and the change).
    """
    spec = cov or IID()
    check_covariance(spec)
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    if offset is not None and exposure is not None:
        raise ValueError("pass offset= or exposure= (offset = log(exposure)), not both")
    parsed = parse(formula)
    by = spec.by if isinstance(spec, ClusterSpec) else ()
    groups = (groups,) if isinstance(groups, str) else tuple(groups)
    column = offset or exposure
    present = None
    if column is not None:
        if column not in frame.columns:
            raise FormulaError(f"{'offset' if offset else 'exposure'} column {column!r} is "
                               f"not in the data; available: {list(frame.columns)}")
        present = frame[column].notna().to_numpy()
    # Rows missing the offset are left out before the design is built, and put back into
    # the input table's numbering and the dropped-row counts after.
    used = frame if present is None or present.all() else frame[present]
    design = build(parsed, used, weights=weights, clusters=(*by, *groups))
    if used is not frame:
        assert present is not None
        design = dataclasses.replace(
            design, rows=np.flatnonzero(present)[design.rows], n_input=len(frame),
            dropped={f"missing {column}": int((~present).sum()), **design.dropped})
    shift = None if column is None else _offset(frame, design.rows, column,
                                                exposure is not None)
    fits = [fit_poisson(design, outcome=k, offset=shift, tol=tol, max_iter=max_iter,
                        fe_tol=fe_tol, fe_max_iter=fe_max_iter, separation=separation)
            for k in range(len(parsed.outcomes))]
    results = tuple(PoissonResult(fit, spec, estimate_covariance(fit, spec), simulated)
                    for fit in fits)
    return results[0] if len(results) == 1 else results


def _offset(frame: pd.DataFrame, rows: np.ndarray, column: str, exposure: bool
            ) -> np.ndarray:
    """The offset on the design's rows: the column, or its log for an exposure."""
    values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
    if exposure:
        bad = np.flatnonzero(values <= 0)
        if len(bad):
            shown = ", ".join(str(int(r)) for r in rows[bad][:5])
            raise ValueError(f"exposure {column!r} must be positive: it is <= 0 in "
                             f"{len(bad)} row(s) (positions {shown}); drop them, or pass "
                             f"offset= with a log you choose")
        values = np.log(values)
    infinite = np.flatnonzero(~np.isfinite(values))
    if len(infinite):
        shown = ", ".join(str(int(r)) for r in rows[infinite][:5])
        raise ValueError(f"offset {column!r} is infinite in {len(infinite)} row(s) "
                         f"(positions {shown})")
    return values
