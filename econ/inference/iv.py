"""Inference for instrumental-variables fits: first-stage strength, overidentification,
endogeneity, Anderson-Rubin confidence sets and the wild restricted efficient bootstrap.

Every statistic that depends on the error structure uses the result's covariance choice (IID,
HC1 or cluster, one-way or multiway) with its small-sample correction, through the package's
covariance estimators: the covariance of two sets of coefficients estimated from the same
regressors with different residuals is bilinear in the residuals, so cross terms are read off
the covariances of their sums (polarization) and no estimator is written twice.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from econ.estimation.absorb import Absorber
from econ.estimation.iv import IVFit
from econ.estimation.linear import LinearFit
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.bootstrap.wild import _pvalues
from econ.inference.corrections import SmallSample
from econ.inference.covariance import (
    HC1,
    IID,
    Cluster,
    ClusterSpec,
    CovarianceSpec,
    nested_k,
)
from econ.inference.distributions import chi2_sf, f_quantile, f_sf
from econ.inference.resampling import stream

#: Stock and Yogo's (2005) rule of thumb: a first-stage F below 10 signals weak instruments.
WEAK_F = 10.0
#: Covariance estimators defined for k-class fits (CR2 and CR3 need the OLS hat matrix).
IV_COVARIANCES = (IID, HC1, Cluster)


class WeakInstrumentWarning(UserWarning):
    """A first-stage F statistic below :data:`WEAK_F`: 2SLS t-tests are unreliable."""


@dataclass(frozen=True)
class Statistic:
    """A test statistic, its degrees of freedom and p-value (``df_denom`` None: chi-squared)."""

    name: str
    statistic: float
    df: int
    df_denom: float | None
    pvalue: float

    def __str__(self) -> str:
        dist = f"F({self.df}, {self.df_denom:g})" if self.df_denom is not None else \
            f"chi2({self.df})"
        return f"{self.name}: {dist} = {self.statistic:.4f}, p = {self.pvalue:.4g}"


def check_iv_covariance(spec: CovarianceSpec) -> None:
    """Refuse covariance estimators not defined for k-class fits."""
    if type(spec) not in IV_COVARIANCES:
        raise ValueError(f"{type(spec).__name__} is not available for instrumental variables: "
                         f"use IID(), HC1() or Cluster(...) (one-way or multiway); CR2 and CR3 "
                         f"are defined for least squares only")


def cross_covariance(fit: LinearFit, a: np.ndarray, b: np.ndarray, spec: CovarianceSpec
                     ) -> np.ndarray:
    """Covariance between the coefficients of two regressions on ``fit.X`` with residuals ``a``
    and ``b`` under ``spec`` (``a is b``: the ordinary covariance)."""
    def cov(e: np.ndarray) -> np.ndarray:
        return spec.compute(dataclasses.replace(fit, residuals=e)).cov

    if a is b:
        return cov(a)
    return (cov(a + b) - cov(a) - cov(b)) / 2


def first_stage_f(ivfit: IVFit, spec: CovarianceSpec) -> tuple[Statistic, ...]:
    """Wald test that the excluded instruments' coefficients are zero in each first stage,
    divided by their number, with ``spec``'s covariance and degrees of freedom."""
    L = len(ivfit.instruments)
    out = []
    for first in ivfit.first:
        result = spec.compute(first)
        coef = first.params[:L]
        wald = float(coef @ np.linalg.solve(result.cov[:L, :L], coef)) / L
        out.append(Statistic(f"First-stage F ({first.outcome})", wald, L, result.df,
                             float(f_sf(wald, L, result.df))))
    return tuple(out)


def _partial(ivfit: IVFit, values: np.ndarray) -> np.ndarray:
    """``values`` less their projection on the exogenous regressors (already within)."""
    exog = ivfit.Z[:, len(ivfit.instruments):]
    if not exog.shape[1]:
        return values
    return values - exog @ np.linalg.lstsq(exog, values, rcond=None)[0]


def kleibergen_paap(ivfit: IVFit, spec: CovarianceSpec) -> Statistic:
    """Kleibergen-Paap (2006) rk Wald statistic for underidentification, as an F (rk / L).

    Tests that the matrix of first-stage coefficients on the excluded instruments has rank
    ``m - 1`` (``m`` endogenous regressors), with ``spec``'s covariance of those coefficients
    (robust or clustered as the result's). With one endogenous regressor it is the first-stage
    Wald F. ivreg2 multiplies its F form by a further finite-sample factor; here the factor is
    the covariance's own. The p-value is that of the rk statistic, chi-squared with
    ``L - m + 1`` degrees of freedom.
    """
    L, m = len(ivfit.instruments), len(ivfit.endogenous)
    pi = np.column_stack([f.params[:L] for f in ivfit.first])
    residuals = [f.residuals for f in ivfit.first]
    V = np.empty((L * m, L * m))
    for j in range(m):
        for k in range(j, m):
            block = cross_covariance(ivfit.first[0], residuals[j], residuals[k], spec)[:L, :L]
            V[j * L:(j + 1) * L, k * L:(k + 1) * L] = block
            V[k * L:(k + 1) * L, j * L:(j + 1) * L] = block.T
    z = _partial(ivfit, ivfit.Z[:, :L])
    y = _partial(ivfit, ivfit.regressors[:, :m])
    F = scipy.linalg.cholesky(z.T @ z)  # upper: F'F = Z'Z
    G_inv = np.linalg.inv(scipy.linalg.cholesky(y.T @ y))
    theta = F @ pi @ G_inv
    U, _, Vt = np.linalg.svd(theta)
    A_perp, b = U[:, m - 1:], Vt[m - 1]
    K = np.kron((G_inv @ b)[None, :], A_perp.T @ F)
    lam = K @ pi.flatten(order="F")
    rk = float(lam @ np.linalg.solve(K @ V @ K.T, lam))
    df = L - m + 1
    return Statistic("Kleibergen-Paap rk Wald F", rk / L, df, None, float(chi2_sf(rk, df)))


def effective_f(ivfit: IVFit, spec: CovarianceSpec) -> Statistic:
    """Montiel Olea and Pflueger's (2013) effective F for one endogenous regressor:
    ``pi' Q pi / tr(V Q)`` with ``Q = Z'Z`` of the instruments partialled on the exogenous
    regressors and fixed effects, ``V`` the first-stage covariance of ``pi`` under ``spec``
    (the first-stage F under IID). Compare it with their critical values, not with 10; the
    p-value given is that of the F test it reduces to under IID, for orientation."""
    if len(ivfit.endogenous) != 1:
        raise ValueError("the effective F is for one endogenous regressor")
    L = len(ivfit.instruments)
    first = ivfit.first[0]
    z = _partial(ivfit, ivfit.Z[:, :L])
    Q = z.T @ z
    pi = first.params[:L]
    V = spec.compute(first)
    stat = float(pi @ Q @ pi) / float(np.trace(V.cov[:L, :L] @ Q))
    return Statistic("Effective F (Montiel Olea-Pflueger)", stat, L, V.df,
                     float(f_sf(stat, L, V.df)))


def sargan(ivfit: IVFit) -> Statistic | None:
    """Sargan's overidentification test ``n R^2`` (homoskedastic errors); None if exact."""
    q = len(ivfit.instruments) - len(ivfit.endogenous)
    if q == 0:
        return None
    e = ivfit.second.residuals
    Z = ivfit.Z
    u = e - Z @ np.linalg.lstsq(Z, e, rcond=None)[0]
    stat = len(e) * (1 - float(u @ u) / float(e @ e))
    return Statistic("Sargan", stat, q, None, float(chi2_sf(stat, q)))


def hansen_j(ivfit: IVFit, spec: CovarianceSpec) -> Statistic | None:
    """Hansen's J: the overidentification statistic of two-step efficient GMM, its weight the
    inverse of ``spec``'s covariance of the moments ``Z'e`` at the 2SLS residuals, without
    small-sample factors (as ivreg2 and linearmodels' ``IVGMM``). Sargan's test under IID."""
    q = len(ivfit.instruments) - len(ivfit.endogenous)
    if q == 0:
        return None
    if isinstance(spec, IID):
        return sargan(ivfit)
    raw = SmallSample(adj=False, cluster_adj=False)
    plain = (HC1(ssc=raw) if isinstance(spec, HC1) else
             Cluster(*spec.by, ssc=raw) if isinstance(spec, ClusterSpec) else spec)
    Z, X, y = ivfit.Z, ivfit.regressors, ivfit.second.y
    moments = dataclasses.replace(ivfit.first[0], xtx_inv=np.eye(Z.shape[1]))

    def meat(e: np.ndarray) -> np.ndarray:
        return plain.compute(dataclasses.replace(moments, residuals=e)).cov

    start = y - X @ _kclass_2sls(Z, X, y)
    S = meat(start)
    zx, zy = Z.T @ X, Z.T @ y
    weighted = np.linalg.solve(S, zx)
    params = np.linalg.solve(zx.T @ weighted, weighted.T @ zy)
    g = Z.T @ (y - X @ params)
    stat = float(g @ np.linalg.solve(S, g))
    return Statistic("Hansen J", stat, q, None, float(chi2_sf(stat, q)))


def _kclass_2sls(Z: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    fitted = Z @ np.linalg.lstsq(Z, X, rcond=None)[0]
    return np.linalg.solve(fitted.T @ X, fitted.T @ y)


def endogeneity(ivfit: IVFit) -> tuple[Statistic, Statistic]:
    """Durbin (chi-squared) and Wu-Hausman (F) tests that the endogenous regressors are in
    fact exogenous, under homoskedastic errors (both as in linearmodels and Stata's
    ``estat endogenous``); the absorbed fixed effects count as exogenous regressors."""
    m = len(ivfit.endogenous)
    e0, e2 = ivfit.ols_residuals, ivfit.second.residuals
    augmented = np.column_stack([ivfit.Z, ivfit.regressors[:, :m]])
    e1 = augmented @ np.linalg.lstsq(augmented, e0, rcond=None)[0]
    p2 = ivfit.Z @ np.linalg.lstsq(ivfit.Z, e2, rcond=None)[0]
    delta = float(e1 @ e1 - p2 @ p2)
    n, ssr = len(e0), float(e0 @ e0)
    durbin = delta / (ssr / n)
    k_exog = len(ivfit.exogenous) + ivfit.second.fe_params
    df_denom = n - k_exog - m - m
    wu = (delta / m) / ((ssr - delta) / df_denom)
    return (Statistic("Durbin", durbin, m, None, float(chi2_sf(durbin, m))),
            Statistic("Wu-Hausman", wu, m, df_denom, float(f_sf(wu, m, df_denom))))


def endogeneity_robust(ivfit: IVFit, spec: CovarianceSpec) -> Statistic:
    """Regression (control-function) test of exogeneity under ``spec``: least squares of ``y``
    on the regressors and the first-stage residuals, whose coefficients are tested jointly
    (Wald / m, F with the covariance's degrees of freedom). Robust or clustered as the result,
    unlike Durbin and Wu-Hausman (as linearmodels' ``wooldridge_regression``)."""
    m = len(ivfit.endogenous)
    second = ivfit.second
    controls = np.column_stack([f.residuals for f in ivfit.first])
    A = np.column_stack([ivfit.regressors, controls])
    ata_inv = np.linalg.inv(A.T @ A)
    params = ata_inv @ (A.T @ second.y)
    augmented = dataclasses.replace(
        second, names=(*second.names, *(f"residual({e})" for e in ivfit.endogenous)),
        params=params, X=A, residuals=second.y - A @ params, xtx_inv=ata_inv)
    result = spec.compute(augmented)
    gamma = params[-m:]
    stat = float(gamma @ np.linalg.solve(result.cov[-m:, -m:], gamma)) / m
    return Statistic("Endogeneity (regression)", stat, m, result.df,
                     float(f_sf(stat, m, result.df)))


# Anderson-Rubin ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _ARPieces:
    a: np.ndarray  # reduced-form coefficients of y on the instruments
    b: np.ndarray  # first-stage coefficients of d on the instruments
    Vyy: np.ndarray
    Vyd: np.ndarray
    Vdd: np.ndarray
    df: float

    def statistic(self, beta: float) -> float:
        g = self.a - beta * self.b
        V = self.Vyy - 2 * beta * self.Vyd + beta * beta * self.Vdd
        return float(g @ np.linalg.solve(V, g)) / len(g)


def _ar_pieces(ivfit: IVFit, spec: CovarianceSpec) -> _ARPieces:
    if len(ivfit.endogenous) != 1:
        raise ValueError(f"the Anderson-Rubin set is for one endogenous regressor; this model "
                         f"has {len(ivfit.endogenous)} ({', '.join(ivfit.endogenous)})")
    L = len(ivfit.instruments)
    first = ivfit.first[0]
    y, Z = ivfit.second.y, ivfit.Z
    reduced = first.xtx_inv @ (Z.T @ y)
    e_y, e_d = y - Z @ reduced, first.residuals
    Vyy = cross_covariance(first, e_y, e_y, spec)[:L, :L]
    Vdd = cross_covariance(first, e_d, e_d, spec)[:L, :L]
    Vyd = cross_covariance(first, e_y, e_d, spec)[:L, :L]
    return _ARPieces(reduced[:L], first.params[:L], Vyy, (Vyd + Vyd.T) / 2, Vdd,
                     spec.compute(first).df)


def anderson_rubin_test(ivfit: IVFit, spec: CovarianceSpec, value: float) -> Statistic:
    """Anderson-Rubin test of ``beta = value``: the F test that the instruments' coefficients
    are zero in the regression of ``y - value * d`` on instruments, exogenous regressors and
    fixed effects, with ``spec``'s covariance (robust to weak instruments)."""
    pieces = _ar_pieces(ivfit, spec)
    L = len(pieces.a)
    stat = pieces.statistic(value)
    return Statistic(f"Anderson-Rubin ({ivfit.endogenous[0]} = {value:g})", stat, L,
                     pieces.df, float(f_sf(stat, L, pieces.df)))


def anderson_rubin_set(ivfit: IVFit, spec: CovarianceSpec, level: float = 0.95
                       ) -> tuple[tuple[float, float], ...]:
    """The values of the endogenous coefficient not rejected by the Anderson-Rubin test at
    ``1 - level``: a union of intervals, possibly unbounded (ends ``-inf``/``inf``) or empty.

    The boundary solves ``AR(beta) = c``, that is ``det(V(beta) - g g' / c) = 0`` with
    ``g(beta)`` and ``V(beta)`` linear and quadratic in beta: a quadratic eigenvalue problem,
    solved exactly through its companion linearisation. The set is unbounded exactly when the
    first-stage Wald F is below the critical value.
    """
    pieces = _ar_pieces(ivfit, spec)
    L = len(pieces.a)
    c = L * float(f_quantile(level, L, pieces.df))
    a, b = pieces.a, pieces.b
    M0 = pieces.Vyy - np.outer(a, a) / c
    M1 = -2 * pieces.Vyd + (np.outer(a, b) + np.outer(b, a)) / c
    M2 = pieces.Vdd - np.outer(b, b) / c
    eye, zero = np.eye(L), np.zeros((L, L))
    roots = scipy.linalg.eigvals(np.block([[zero, eye], [-M0, -M1]]),
                                 np.block([[eye, zero], [zero, M2]]))
    finite = roots[np.isfinite(roots)]
    real = np.sort(finite.real[np.abs(finite.imag) <= 1e-8 * (1 + np.abs(finite.real))])
    bounds = [-np.inf, *real, np.inf]
    critical = c / L

    def inside(lo: float, hi: float) -> bool:
        if np.isinf(lo) and np.isinf(hi):
            point = 0.0
        elif np.isinf(lo):
            point = hi - 1 - abs(hi)
        elif np.isinf(hi):
            point = lo + 1 + abs(lo)
        else:
            point = (lo + hi) / 2
        return pieces.statistic(point) <= critical

    intervals: list[tuple[float, float]] = []
    for lo, hi in itertools.pairwise(bounds):
        if hi - lo <= 0 or not inside(lo, hi):
            continue
        if intervals and intervals[-1][1] == lo:
            intervals[-1] = (intervals[-1][0], hi)
        else:
            intervals.append((float(lo), float(hi)))
    return tuple(intervals)


# Wild restricted efficient bootstrap -------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WREOutcome:
    """Numbers of a wild restricted efficient bootstrap test of one endogenous coefficient."""

    statistic: float
    estimate: float
    std_error: float
    draws: np.ndarray
    pvalues: dict[str, float]
    reps: int
    enumerated: bool
    cluster: str
    clusters: int
    seed: int
    ci: tuple[float, float] | None


@dataclass(frozen=True, eq=False)
class _WREProblem:
    """Everything the WRE needs, as cluster-level cross products (none of size n).

    With ``y``, ``d`` and the instruments ``Z`` partialled on the exogenous regressors and
    fixed effects: ``S_a[g] = sum_{i in g} z_i a_i``; ``C_a[g, h] = sum_{i in g} z_i
    (M (a 1_h))_i`` where ``M`` projects off the exogenous regressors and fixed effects (the
    bootstrap residuals are re-projected, exactly, on what the replicate regression absorbs).
    Everything under a hypothesised value is linear in these.
    """

    ztz: np.ndarray
    zy: np.ndarray
    zd: np.ndarray
    yy: float
    yd: float
    dd: float
    S_y: np.ndarray
    S_d: np.ndarray
    S_zz: np.ndarray
    C_y: np.ndarray
    C_d: np.ndarray
    C_z: np.ndarray
    scale: float

    def studentized(self, value: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
        """Bootstrap t statistics (and estimates, standard errors) for weights ``w`` (G x B)
        under ``beta = value``; ``w`` all ones gives the observed sample."""
        L = len(self.zy)
        # Efficient reduced form: d on the instruments and the restricted residual u.
        zu = self.zy - value * self.zd
        gram = np.block([[self.ztz, zu[:, None]],
                         [zu[None, :], np.array([[self.yy - 2 * value * self.yd
                                                  + value * value * self.dd]])]])
        rhs = np.append(self.zd, self.yd - value * self.dd)
        pi = np.linalg.lstsq(gram, rhs, rcond=None)[0][:L]
        S_u = self.S_y - value * self.S_d
        S_v = self.S_d - self.S_zz @ pi
        A = self.S_zz @ pi
        C_u = self.C_y - value * self.C_d
        C_v = self.C_d - np.einsum("lghk,l->ghk", self.C_z, pi)
        ztd = (self.ztz @ pi)[:, None] + S_v.T @ w  # (L, B)
        zty = value * ztd + S_u.T @ w
        pi_star = np.linalg.solve(self.ztz, ztd)
        den = np.einsum("lb,lb->b", pi_star, ztd)
        beta = np.einsum("lb,lb->b", pi_star, zty) / den
        in_d = A[:, None, :] + np.einsum("ghl,hb->gbl", C_v, w)
        in_u = np.einsum("ghl,hb->gbl", C_u, w)
        per_cluster = (value - beta)[None, :, None] * in_d + in_u
        scores = np.einsum("gbl,lb->gb", per_cluster, pi_star)
        se = np.sqrt(self.scale * np.einsum("gb,gb->b", scores, scores)) / den
        return (beta - value) / se, beta, se


def wild_restricted_efficient(ivfit: IVFit, spec: CovarianceSpec, settings: WildBootstrap,
                              value: float = 0.0) -> WREOutcome:
    """Wild restricted efficient (WRE) bootstrap of Davidson and MacKinnon (2010) for
    ``beta = value``, beta the coefficient of the one endogenous regressor of a 2SLS fit.

    Under the null the structural residuals ``u`` come from ``y - value * d`` on the exogenous
    regressors and fixed effects, and the first stage is re-estimated with ``u`` as an extra
    regressor (the efficient reduced form), giving ``v = d - Z pi``. Bootstrap samples
    ``d* = Z pi + v w_g`` and ``y* = value d* + u w_g`` (one weight ``w_g`` per cluster) are
    refitted by 2SLS and studentized with the result's CR1 variance, as Stata's ``boottest``
    does. The statistic depends on the data only through cluster-level cross products
    (:class:`_WREProblem`), so a replicate costs ``O(G^2 L)`` and a further hypothesised
    value no pass over the data: the confidence interval (``settings.ci_level``) inverts the
    test, with the same weights, by bisection on each side of the estimate.
    """
    if len(ivfit.endogenous) != 1:
        raise ValueError("the WRE bootstrap is for one endogenous regressor; this model has "
                         f"{len(ivfit.endogenous)} ({', '.join(ivfit.endogenous)})")
    if ivfit.method != "2SLS":
        raise ValueError("the WRE bootstrap studentizes 2SLS estimates; refit with "
                         "method='2SLS'")
    cluster = settings.cluster or (spec.by if isinstance(spec, ClusterSpec) else None)
    if cluster is None or len(cluster) != 1:
        raise ValueError("the WRE bootstrap needs one cluster variable: fit with "
                         "cov=Cluster('township_id') or pass WildBootstrap(cluster=...) "
                         f"(got {cluster!r})")
    name = cluster[0]
    if name not in ivfit.second.clusters:
        raise ValueError(f"the fit was not grouped by {name!r}: pass cov=Cluster({name!r}) or "
                         f"groups=[{name!r}] when fitting")
    problem, G = _wre_problem(ivfit, spec, name)
    weights = stream(settings.distribution, G, settings.reps, settings.seed)

    def draws_at(beta: float) -> np.ndarray:
        out = np.empty(weights.reps)
        for start in range(0, weights.reps, settings.chunk_size):
            stop = min(start + settings.chunk_size, weights.reps)
            out[start:stop] = problem.studentized(beta, weights.chunk(start, stop))[0]
        return out

    def observed(beta: float) -> float:
        return float(problem.studentized(beta, np.ones((G, 1)))[0][0])

    draws = draws_at(value)
    t_obs = observed(value)
    _, estimate, std_error = (float(a[0]) for a in problem.studentized(value, np.ones((G, 1))))
    pvalues = _pvalues(t_obs, draws, 1, settings.pvalue_rule)
    ci = None
    if settings.ci_level is not None:
        def pvalue(beta: float) -> float:
            return _pvalues(observed(beta), draws_at(beta), 1,
                            settings.pvalue_rule)["symmetric"]

        alpha = 1 - settings.ci_level
        ci = (_crossing(pvalue, estimate, -std_error, alpha),
              _crossing(pvalue, estimate, std_error, alpha))
    return WREOutcome(t_obs, estimate, std_error, draws, pvalues, weights.reps,
                      weights.enumerate, name, G, settings.seed, ci)


def _crossing(pvalue: Callable[[float], float], estimate: float, step: float, alpha: float,
              *, limit: int = 12, iterations: int = 40) -> float:
    """The value beyond ``estimate`` (in the direction of ``step``) where the bootstrap
    p-value falls to ``alpha``: doubling steps to bracket it, then bisection; infinite (with
    the sign of ``step``) if it is not reached within ``2^limit`` steps."""
    inside = estimate
    outside = None
    for k in range(limit + 1):
        trial = estimate + step * 2.0**k
        if pvalue(trial) <= alpha:
            outside = trial
            break
        inside = trial
    if outside is None:
        return float(np.copysign(np.inf, step))
    for _ in range(iterations):
        middle = (inside + outside) / 2
        if pvalue(middle) > alpha:
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def _wre_problem(ivfit: IVFit, spec: CovarianceSpec, name: str) -> tuple[_WREProblem, int]:
    second = ivfit.second
    codes = second.clusters[name].codes
    G = int(codes.max()) + 1
    ssc = spec.ssc if isinstance(spec, ClusterSpec) else SmallSample()
    scale = ssc.scale(second.nobs, nested_k(second, [codes], ssc)) * ssc.cluster_scale(G)
    L = len(ivfit.instruments)
    y = _partial(ivfit, second.y)
    d = _partial(ivfit, ivfit.regressors[:, 0])
    Z = _partial(ivfit, ivfit.Z[:, :L])

    def by_cluster(values: np.ndarray) -> np.ndarray:
        # (G, L): sum over each cluster of z_i * values_i.
        return np.column_stack([np.bincount(codes, weights=Z[:, j] * values, minlength=G)
                                for j in range(L)])

    S_zz = np.stack([by_cluster(Z[:, k]) for k in range(L)], axis=2)  # (G, L, L)
    C_z = np.stack([_reprojected(ivfit, Z, codes, G, Z[:, k]) for k in range(L)])
    problem = _WREProblem(Z.T @ Z, Z.T @ y, Z.T @ d, float(y @ y), float(y @ d),
                          float(d @ d), by_cluster(y), by_cluster(d), S_zz,
                          _reprojected(ivfit, Z, codes, G, y),
                          _reprojected(ivfit, Z, codes, G, d), C_z, scale)
    return problem, G


def _reprojected(ivfit: IVFit, Z: np.ndarray, codes: np.ndarray, G: int,
                 values: np.ndarray) -> np.ndarray:
    """``C[g, h] = sum_{i in g} z_i (M (values 1_h))_i`` with ``M`` the projection off the
    fixed effects and exogenous regressors (in the weighted metric), shape ``(G, G, L)``."""
    second = ivfit.second
    spread = np.zeros((len(values), G))
    spread[np.arange(len(values)), codes] = values
    if second.fe_codes:
        root_w = None if second.weights is None else np.sqrt(second.weights)
        raw = spread if root_w is None else spread / root_w[:, None]
        demeaned, _ = Absorber(second.fe_codes, second.weights).demean(raw)
        spread = demeaned if root_w is None else demeaned * root_w[:, None]
    spread = _partial(ivfit, spread)
    out = np.empty((G, G, Z.shape[1]))
    for j in range(Z.shape[1]):
        weighted = spread * Z[:, j][:, None]
        out[:, :, j] = np.column_stack([np.bincount(codes, weights=weighted[:, h],
                                                    minlength=G) for h in range(G)])
    return out
