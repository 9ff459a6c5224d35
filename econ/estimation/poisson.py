"""Poisson pseudo-maximum likelihood (PPML) with any number of absorbed fixed effects.

The fit is iteratively reweighted least squares (IRLS): each iteration regresses the working
outcome ``z = eta - offset + (y - mu) / mu`` on the regressors with weights ``mu`` (times any
observation weights), the fixed effects projected out with those weights
(:class:`FixedEffects`). Two fixed effects of which one has few levels (villages and years)
are projected exactly in one pass (:class:`~econ.estimation.absorb_exact.TwoWayAbsorber`);
otherwise the alternating projections of :class:`~econ.estimation.absorb.Absorber` start from
the previous iteration's projected columns: the projection of ``x - D a`` is that of ``x`` for
any fixed-effect combination ``D a``, and the previous result is already close, so they need
few sweeps once the weights settle (the warm start of ppmlhdfe). Convergence
is judged on the deviance, ``|dev - dev_old| / (0.1 + |dev|) < tol`` (the criterion of fixest
and pyfixest).

Before fitting, observations whose conditional mean is zero at the maximum (*separated*
observations, for which no finite estimate exists) are removed, following Correia, Guimarães
and Zylkin (2020, "Verifying the existence of maximum likelihood estimates for generalized
linear models"):

- ``"fe"``: rows in a group of any fixed effect whose outcome is zero throughout, repeated
  together with the removal of singleton groups until nothing changes;
- ``"relu"``: the iterative rectifier, which finds rows separated by a combination of the
  regressors and fixed effects. With ``u = 1{y = 0}``, it repeatedly fits ``u`` by least
  squares with weight ``K`` (large) on the rows where ``y > 0`` and 1 elsewhere, rounds fitted
  values within a tolerance of zero to zero and replaces ``u`` by the positive part of the fit
  on the ``y = 0`` rows. When every fitted value is non-negative, the rows with a positive fit
  are separated (their ``x'gamma`` is positive on a direction along which the others are 0).

Each row removed is counted under its reason in ``dropped_rows``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg
from scipy.special import gammaln, xlogy

from econ.estimation.absorb import Absorber, absorbed, fe_parameters
from econ.estimation.absorb_exact import TwoWayAbsorber, TwoWayLayout
from econ.estimation.linear import (
    DroppedCoefficient,
    EstimationWarning,
    LinearFit,
    _independent,
    _renumber,
    refuse_slopes,
)
from econ.spec.design import Design

#: Separation checks run by default (both, as ppmlhdfe).
SEPARATION = ("fe", "relu")
SINGLETONS = "singleton fixed-effect groups"
ALL_ZERO = "separated: outcome zero throughout a fixed-effect group"
RELU = "separated: regressors and fixed effects (iterative rectifier)"


class ConvergenceError(RuntimeError):
    """The IRLS iterations did not converge."""


@dataclass(frozen=True, eq=False)
class PoissonFit(LinearFit):
    """A Poisson (PPML) fit in the metric of its last IRLS step.

    ``X`` is the fixed-effect-free design times ``sqrt(w mu)`` and ``residuals`` the Pearson
    residuals ``sqrt(w) (y - mu) / sqrt(mu)``, so ``X' e`` is the score and ``X' X`` the
    Hessian: every covariance estimator of :mod:`econ.inference.covariance` applies unchanged
    (the error scale is known, :attr:`scale` = 1).

    Attributes
    ----------
    mu
        Fitted means on the estimation sample.
    outcome_values
        The outcome on the estimation sample.
    offset
        The offset on the estimation sample (zeros when none).
    deviance, null_deviance
        Poisson deviance of the model and of the constant-only model (with the offset).
    loglik, loglik_null
        Poisson log likelihood of the model and of the constant-only model.
    irls_iterations
        IRLS iterations until convergence.
    non_integer
        Number of outcomes that are not whole numbers (allowed: PPML needs only the mean).
    """

    mu: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    outcome_values: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    offset: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    deviance: float = float("nan")
    null_deviance: float = float("nan")
    loglik: float = float("nan")
    loglik_null: float = float("nan")
    irls_iterations: int = 0
    non_integer: int = 0

    @property
    def scale(self) -> float | None:
        return 1.0

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo R-squared, ``1 - loglik / loglik_null``."""
        return 1 - self.loglik / self.loglik_null


def check_outcome(y: np.ndarray, name: str, rows: np.ndarray) -> int:
    """Refuse negative outcomes (naming rows); return how many are not whole numbers."""
    negative = np.flatnonzero(y < 0)
    if len(negative):
        shown = ", ".join(str(int(r)) for r in rows[negative][:5])
        raise ValueError(
            f"Poisson regression needs a non-negative outcome: {name!r} is negative in "
            f"{len(negative)} row(s) (positions {shown}{', ...' if len(negative) > 5 else ''}; "
            f"smallest {y[negative].min():g}). Drop or correct these rows, or model a "
            f"signed outcome with feols")
    if not (y > 0).any():
        raise ValueError(f"{name!r} is zero in every row of the sample: the Poisson model has "
                         f"no finite estimate")
    return int((y != np.floor(y)).sum())


def fit(design: Design, *, outcome: int = 0, offset: np.ndarray | None = None,
        tol: float = 1e-8, max_iter: int = 50, fe_tol: float = 1e-10,
        fe_max_iter: int = 10_000, separation: Sequence[str] = SEPARATION) -> PoissonFit:
    """Fit one outcome of ``design`` by PPML with its fixed effects absorbed.

    Parameters
    ----------
    design
        The design (outcome, regressors, fixed effects, weights, clusters).
    outcome
        Which of the design's outcomes.
    offset
        Offset on the linear predictor (``log`` of an exposure), one per design row.
    tol, max_iter
        Deviance convergence tolerance and iteration limit of IRLS.
    fe_tol, fe_max_iter
        Tolerance and sweep limit of the alternating projections.
    separation
        Separation checks: any of ``"fe"`` and ``"relu"`` (see the module docstring).

    Raises
    ------
    ValueError
        A negative outcome, or an outcome zero everywhere.
    ConvergenceError
        IRLS has not converged after ``max_iter`` iterations (the message gives the last
        relative change of the deviance).
    """
    unknown = set(separation) - set(SEPARATION)
    if unknown:
        raise ValueError(f"unknown separation check(s) {sorted(unknown)}; choose from "
                         f"{list(SEPARATION)}")
    name = design.formula.outcomes[outcome]
    y, X, w = design.y[:, outcome], design.X, design.weights
    refuse_slopes(design, "fepois (Poisson with absorbed effects)")
    rows, codes = design.rows, design.fe_codes
    non_integer = check_outcome(y, name, rows)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=np.float64)
    dropped = dict(design.dropped)
    sample = np.arange(len(y))
    fe_check = "fe" in separation
    keep = _fe_separation(y, codes, dropped, fe_check)
    if "relu" in separation and (y[keep] == 0).any():
        # The rectifier runs on every regressor: least squares copes with collinear ones.
        effects = FixedEffects(tuple(_renumber(c[keep]) for c in codes), fe_tol, fe_max_iter)
        separated = _relu_separation(y[keep], X[keep], effects)
        if separated.any():
            dropped[RELU] = int(separated.sum())
            keep[np.flatnonzero(keep)[separated]] = False
            # Removing rows can leave new singletons or all-zero groups.
            keep[keep] = _fe_separation(y[keep], tuple(_renumber(c[keep]) for c in codes),
                                        dropped, fe_check)
    if not keep.any():
        raise ValueError(f"no row of {design.formula.text!r} is left after removing "
                         f"singleton groups and separated rows ({dropped})")
    sample, y, X, off, rows = sample[keep], y[keep], X[keep], off[keep], rows[keep]
    w = None if w is None else w[keep]
    codes = tuple(_renumber(c[keep]) for c in codes)
    irls = _irls(y, X, FixedEffects(codes, fe_tol, fe_max_iter), w, off, tol=tol,
                 max_iter=max_iter, formula=design.formula.text,
                 identify=(design.names, design.fe_names))
    names = [design.names[j] for j in irls.kept]
    if irls.drops:
        warnings.warn("dropped regressor(s): " + "; ".join(f"{d.name} ({d.reason})"
                                                            for d in irls.drops),
                      EstimationWarning, stacklevel=3)
    params, mu, X_tilde = irls.params, irls.mu, irls.X_tilde
    user_w = np.ones_like(y) if w is None else w
    root = np.sqrt(user_w * mu)
    X_w = X_tilde * root[:, None]
    residuals = np.sqrt(user_w) * (y - mu) / np.sqrt(mu)
    y_w = X_w @ params + residuals
    ylogy = xlogy(y, y)
    deviance = _deviance(y, np.log(mu), mu, user_w, ylogy)
    null_mu = _null_mean(y, off, user_w)
    log_factorial = float(user_w @ gammaln(y + 1))
    loglik = float(user_w @ (xlogy(y, mu) - mu)) - log_factorial
    loglik_null = float(user_w @ (xlogy(y, null_mu) - null_mu)) - log_factorial
    clusters = {key: g.subset(_mask(len(design.rows), sample))
                for key, g in design.clusters.items()}
    return PoissonFit(
        formula=design.formula, outcome=name, names=tuple(names), params=params, X=X_w,
        y=y_w, residuals=residuals, xtx_inv=irls.xtx_inv, rows=rows, design=design,
        sample=sample, clusters=clusters, fe_names=design.fe_names, fe_codes=codes,
        fe_params=fe_parameters(codes), weights=w, has_intercept=design.formula.intercept,
        tss=float("nan"), tss_within=float("nan"), iterations=irls.sweeps, dropped_rows=dropped,
        dropped_coefficients=tuple(irls.drops), mu=mu, outcome_values=y, offset=off,
        deviance=deviance, loglik=loglik,
        null_deviance=_deviance(y, np.log(null_mu), null_mu, user_w, ylogy),
        loglik_null=loglik_null, irls_iterations=irls.iterations, non_integer=non_integer)


def restricted_fit(fitted: PoissonFit, column: int, value: float, *, tol: float = 1e-10,
                   max_iter: int = 50, fe_tol: float = 1e-10, fe_max_iter: int = 10_000
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Refit ``fitted`` with coefficient ``column`` fixed at ``value`` (moved to the offset).

    Returns the full coefficient vector and the fitted means on the estimation sample.
    """
    X = fitted.design.X[fitted.sample]
    kept = [list(fitted.design.names).index(n) for n in fitted.names]
    X = X[:, kept]
    others = [j for j in range(X.shape[1]) if j != column]
    off = fitted.offset + value * X[:, column]
    params = np.full(X.shape[1], value)
    irls = _irls(fitted.outcome_values, X[:, others],
                 FixedEffects(fitted.fe_codes, fe_tol, fe_max_iter), fitted.weights, off,
                 tol=tol, max_iter=max_iter,
                 formula=fitted.formula.text, covariance=False)
    params[others] = irls.params
    mu = irls.mu
    return params, mu


@dataclass(frozen=True, eq=False)
class FixedEffects:
    """The fixed effects of a sample, projected out with any weights.

    Two fixed effects of which one has few levels are projected exactly
    (:class:`~econ.estimation.absorb_exact.TwoWayAbsorber`, its layout set up once);
    otherwise by the alternating projections of :class:`~econ.estimation.absorb.Absorber`.
    """

    codes: tuple[np.ndarray, ...]
    tol: float = 1e-10
    max_iter: int = 10_000

    @cached_property
    def _layout(self) -> TwoWayLayout | None:
        return TwoWayLayout.of(self.codes)

    def projector(self, weights: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, int]]:
        """The projection with ``weights``, set up once for several calls; each returns the
        projected columns (a new array) and the sweeps used."""
        if not self.codes:
            # A copy, as every projection returns: callers update the result in place.
            return lambda values: (np.array(values, dtype=np.float64, copy=True), 0)
        if self._layout is not None:
            return TwoWayAbsorber(self._layout, weights).demean
        return Absorber(self.codes, weights, tol=self.tol, max_iter=self.max_iter).demean

    def demean(self, weights: np.ndarray, values: np.ndarray, start: np.ndarray | None = None
               ) -> tuple[np.ndarray, int]:
        """Project ``values`` off the fixed effects with ``weights``; return it and the sweeps.

        ``start``, for the alternating projections, is any array differing from ``values``
        by a fixed-effect combination (the previous projection, adjusted for the change in
        ``values``): it has the same projection, and is closer to it.
        """
        if np.shape(values)[1] == 0:
            return np.empty(np.shape(values)), 0
        if start is not None and self.codes and self._layout is None:
            values = start
        return self.projector(weights)(values)


def _mask(n: int, positions: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[positions] = True
    return out


def _fe_separation(y: np.ndarray, codes: tuple[np.ndarray, ...], dropped: dict[str, int],
                   all_zero: bool) -> np.ndarray:
    """Rows to keep after removing singleton and (if ``all_zero``) all-zero groups, repeatedly.

    Counts are added to ``dropped`` under their reasons.
    """
    keep = np.ones(len(y), dtype=bool)
    if not codes:
        return keep
    positive = (y > 0).astype(np.float64)
    while True:
        single = np.zeros(len(y), dtype=bool)
        zero = np.zeros(len(y), dtype=bool)
        for c in codes:
            levels = int(c.max()) + 1
            counts = np.bincount(c[keep], minlength=levels)
            single |= keep & (counts[c] == 1)
            if all_zero:
                hits = np.bincount(c[keep], weights=positive[keep], minlength=levels)
                zero |= keep & (hits[c] == 0) & (counts[c] > 1)
        zero &= ~single
        if not single.any() and not zero.any():
            return keep
        for reason, rows in ((SINGLETONS, single), (ALL_ZERO, zero)):
            if rows.any():
                dropped[reason] = dropped.get(reason, 0) + int(rows.sum())
        keep &= ~(single | zero)


def _relu_separation(y: np.ndarray, X: np.ndarray, effects: FixedEffects,
                     tol: float = 1e-5, max_iter: int = 1_000) -> np.ndarray:
    """Rows separated by the regressors and fixed effects (the iterative rectifier)."""
    boundary = y == 0
    interior = ~boundary
    # The interior rows must fit u = 0 almost exactly; a weight of n0 / tol^2 makes their
    # residuals negligible next to the boundary rows' (Correia et al. 2020, section 4.2).
    weight = np.where(interior, interior.sum() / tol**2, 1.0)
    u = boundary.astype(np.float64)
    project = effects.projector(weight)
    # The weights stay the same across iterations: one projector serves them all.
    first = project(np.column_stack([u, X]))[0]
    X_tilde = first[:, 1:]
    weighted = X_tilde * weight[:, None]
    # The pseudo-inverse copes with collinear regressors (any solution gives the same fit).
    gram = scipy.linalg.pinvh(X_tilde.T @ weighted) if X.shape[1] else np.empty((0, 0))
    for iteration in range(max_iter):
        u_tilde = first[:, 0] if iteration == 0 else project(u[:, None])[0][:, 0]
        residual = u_tilde - X_tilde @ (gram @ (weighted.T @ u_tilde)) if X.shape[1] else u_tilde
        fitted = u - residual
        fitted[interior | ((fitted > -0.1 * tol) & (fitted < tol))] = 0.0
        if (fitted >= 0).all():
            return boundary & (fitted > 0)
        u = np.where(boundary, np.maximum(fitted, 0.0), 0.0)
    raise ConvergenceError(f"the separation check (iterative rectifier) did not converge in "
                           f"{max_iter} iterations; pass separation=('fe',) to skip it")


@dataclass(frozen=True, eq=False)
class _Irls:
    """IRLS output: coefficients of the regressors ``kept`` (positions in the input ``X``),
    means, the projected regressors at the final means and ``(X'WX)^-1`` there."""

    params: np.ndarray
    mu: np.ndarray
    X_tilde: np.ndarray
    xtx_inv: np.ndarray
    iterations: int
    sweeps: int
    kept: np.ndarray
    drops: tuple[DroppedCoefficient, ...] = ()


def _irls(y: np.ndarray, X: np.ndarray, effects: FixedEffects, w: np.ndarray | None,
          off: np.ndarray, *, tol: float, max_iter: int, formula: str,
          identify: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
          covariance: bool = True) -> _Irls:
    """IRLS from the means ``(y + mean(y)) / 2`` (as fixest and pyfixest).

    With ``identify`` (regressor and fixed-effect names), regressors absorbed by the fixed
    effects or collinear with earlier ones are found on the first iteration's projection,
    which any positive weights give, and left out from there on. Without ``covariance``
    (refits that need only the estimates and means, as the score bootstrap's restricted
    fits) the projected design and ``(X'WX)^-1`` at the final means are left empty.
    """
    user_w = np.ones_like(y) if w is None else w
    mu = (y + np.average(y, weights=user_w)) / 2
    eta = np.log(mu)
    ylogy = xlogy(y, y)
    last = _deviance(y, eta, mu, user_w, ylogy)
    p = X.shape[1]
    kept = np.arange(p)
    drops: list[DroppedCoefficient] = []
    stacked = np.empty((len(y), p + 1), order="F")
    stacked[:, 1:] = X
    previous: np.ndarray | None = None
    z_old = np.zeros(len(y))
    params = np.zeros(p)
    change = float("inf")
    sweeps = 0
    for iteration in range(1, max_iter + 1):
        z = eta - off + (y - mu) / mu
        weights = user_w * mu
        stacked[:, 0] = z
        start = None
        if previous is not None:
            previous[:, 0] += z - z_old
            start = previous
        tilde, used = effects.demean(weights, stacked, start)
        sweeps += used
        root = np.sqrt(weights)
        if identify is not None and iteration == 1:
            kept, drops = _identified(X * root[:, None], tilde[:, 1:] * root[:, None],
                                      bool(effects.codes), identify, formula)
            if len(kept) < p:
                X, tilde, p = X[:, kept], tilde[:, [0, *(kept + 1)]], len(kept)
                stacked = np.asfortranarray(stacked[:, [0, *(kept + 1)]])
        previous, z_old = tilde, z
        if p:
            params = _wls(tilde[:, 1:] * root[:, None], tilde[:, 0] * root)
            residual = tilde[:, 0] - tilde[:, 1:] @ params
        else:
            residual = tilde[:, 0]
        eta_new = z - residual + off
        mu_new = np.exp(eta_new)
        deviance = _deviance(y, eta_new, mu_new, user_w, ylogy)
        halvings = 0
        # Step-halving keeps the deviance finite (as fixest's glm.fit does).
        while not np.isfinite(deviance) and halvings < 30:
            eta_new = (eta_new + eta) / 2
            mu_new = np.exp(eta_new)
            deviance = _deviance(y, eta_new, mu_new, user_w, ylogy)
            halvings += 1
        eta, mu = eta_new, mu_new
        change = abs(deviance - last) / (0.1 + abs(deviance))
        last = deviance
        if change < tol and not covariance:
            return _Irls(params, mu, np.empty((len(y), 0)), np.empty((0, 0)), iteration,
                         sweeps, kept, tuple(drops))
        if change < tol:
            # The covariance is evaluated at the final means, not the last step's weights.
            weights = user_w * mu
            final, used = effects.demean(weights, X, previous[:, 1:])
            xw = final * np.sqrt(weights)[:, None]
            xtx_inv = scipy.linalg.pinvh(xw.T @ xw) if p else np.empty((0, 0))
            return _Irls(params, mu, final, xtx_inv, iteration, sweeps + used, kept,
                         tuple(drops))
    raise ConvergenceError(
        f"PPML for {formula!r} did not converge: after iteration {max_iter} the relative "
        f"change in deviance is {change:.3g} (tolerance {tol:g}). Raise max_iter, check for "
        f"separation (an outcome zero throughout a combination of regressors) or for "
        f"extreme regressor values")


def _identified(X: np.ndarray, weighted: np.ndarray, has_fe: bool,
                identify: tuple[tuple[str, ...], tuple[str, ...]], formula: str
                ) -> tuple[np.ndarray, list[DroppedCoefficient]]:
    """Positions of the regressors identified, and the others with their reasons.

    ``X`` and ``weighted`` are the design before and after projection, both times the square
    root of the weights (so their norms compare in one metric).
    """
    names, fe_names = identify
    drops: list[DroppedCoefficient] = []
    candidates = np.arange(X.shape[1])
    if has_fe and X.shape[1]:
        gone = absorbed(X, weighted)
        drops += [DroppedCoefficient(names[j], "absorbed by the fixed effects "
                                     + " + ".join(fe_names)) for j in np.flatnonzero(gone)]
        candidates = np.flatnonzero(~gone)
    _, kept_names, collinear, _ = _independent(weighted[:, candidates],
                                               [names[j] for j in candidates])
    drops += collinear
    if not kept_names:
        raise ValueError(f"no regressor of {formula!r} is identified: "
                         + "; ".join(f"{d.name} {d.reason}" for d in drops))
    return np.array([names.index(n) for n in kept_names], dtype=np.int64), drops


def _wls(xw: np.ndarray, zw: np.ndarray) -> np.ndarray:
    """Least-squares coefficients through the normal equations (Cholesky)."""
    xtx = xw.T @ xw
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(xtx), xw.T @ zw)


def _deviance(y: np.ndarray, eta: np.ndarray, mu: np.ndarray, w: np.ndarray,
              ylogy: np.ndarray) -> float:
    """Poisson deviance ``2 sum w (y log(y / mu) - (y - mu))``; ``ylogy`` is ``y log y``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(2 * (w @ (ylogy - y * eta - (y - mu))))


def _null_mean(y: np.ndarray, off: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Means of the constant-only model with the offset: ``exp(a + offset)``."""
    scale = float(w @ y) / float(w @ np.exp(off))
    return scale * np.exp(off)
