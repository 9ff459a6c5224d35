"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan-Roth).

Event-study estimates ``beta = (beta_pre, beta_post)`` (``K`` periods before the reference
period, ``T`` after it) have mean ``tau + delta``: ``tau_pre = 0``, and ``delta`` is the
difference in trends, zero at the reference period. Instead of assuming ``delta_post = 0``,
Rambachan and Roth (2023) bound it by what ``delta_pre`` shows and give confidence sets for
``theta = l' tau_post`` valid for every ``delta`` in a set ``Delta``:

- **Relative magnitudes** ``Delta^RM(Mbar)``: no post-period change in ``delta`` (first
  difference) exceeds ``Mbar`` times the largest pre-period one. ``Delta^RM`` is a union over
  which pre-period difference is largest and its sign of polyhedra ``{A delta <= 0}``; the
  confidence set is the union of the sets for each polyhedron, each the values of ``theta``
  not rejected by the conditional test of Andrews, Roth and Pakes (2023, "ARP"), or by their
  hybrid with a least-favourable first stage (size ``kappa = alpha / 10``, "C-LF", the
  recommended default). As in the authors' code, only the moments involving post-period
  coefficients are tested.
- **Smoothness** ``Delta^SD(M)``: the slope of ``delta`` changes by at most ``M`` between
  consecutive periods (``M = 0``: linear trends). The confidence set is the optimal
  fixed-length interval (FLCI) of Armstrong and Kolesar: the affine estimator
  ``w' beta_pre + l' beta_post`` and half-length ``cv_alpha(bias / sd) * sd`` minimising the
  length, ``bias`` the worst case over ``Delta^SD(M)`` and ``cv_alpha(t)`` the ``1 - alpha``
  quantile of ``|N(t, 1)|``.

The ARP test of ``H0: E[y - X b] <= 0 for some b`` (``y = A beta - A_post Gamma^-1 e_1 theta``,
``X`` the remaining directions of ``tau_post``) uses ``eta = min_b max_j (y_j - X_j b) /
sigma_j``. Its dual is a maximum of ``gamma' y`` over the vertices ``gamma`` of the polytope
``{gamma >= 0, sigma' gamma = 1, X' gamma = 0}``, which does not depend on the data. The vertices
are enumerated once, so ``eta`` at every ``theta`` of the grid, the truncation points of the
conditional test (the range of ``gamma_opt' y`` over which the optimal vertex stays optimal:
ARP's dual approach, which gives the primal approach's numbers when the solution is not
degenerate) and the least-favourable critical value (simulated ``eta`` at ``y ~ N(0,
Sigma_y)``) are exact linear algebra, vectorised over the grid and the draws.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, special
from scipy.linalg import qr

from econ.data.seeds import Seed

RMMethod = Literal["C-LF", "Conditional"]

#: Vertices enumerated at most (subsets of moments); beyond, fewer post periods are needed.
MAX_SUBSETS = 300_000


class SensitivityInputError(ValueError):
    """Event-study estimates that the sensitivity analysis cannot use."""


def check_inputs(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int,
                 l_vec: np.ndarray) -> None:
    """Shapes, at least one pre and one post period, a positive definite covariance."""
    if n_pre < 1:
        raise SensitivityInputError("no pre-period estimate: the sensitivity analysis bounds "
                                    "post-period violations by pre-period ones")
    if n_post < 1:
        raise SensitivityInputError("no post-period estimate")
    if betahat.shape != (n_pre + n_post,) or sigma.shape != (n_pre + n_post,) * 2:
        raise SensitivityInputError(f"betahat ({betahat.shape}) and sigma ({sigma.shape}) "
                                    f"do not match {n_pre} pre + {n_post} post periods")
    if l_vec.shape != (n_post,) or not np.any(l_vec):
        raise SensitivityInputError(f"the target weights must be {n_post} numbers, not all "
                                    f"zero")
    if not np.all(np.isfinite(sigma)) or not np.all(np.isfinite(betahat)):
        raise SensitivityInputError("estimates and covariance must be finite")
    eigen = np.linalg.eigvalsh((sigma + sigma.T) / 2)
    if eigen.min() <= 1e-12 * max(eigen.max(), 1e-300):
        raise SensitivityInputError(
            f"the covariance of the event-study estimates is singular (smallest eigenvalue "
            f"{eigen.min():.3g}): a period estimated with zero variance, or estimates that are "
            f"exact combinations of others; drop such periods")


# ---------------------------------------------------------------------------------------
# Relative magnitudes: polyhedra and the ARP test
# ---------------------------------------------------------------------------------------
def rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, positive: bool,
                   post_only: bool = True) -> np.ndarray:
    """``A`` of ``Delta^RM_{s,sign}(Mbar) = {A delta <= 0}`` over ``(delta_pre, delta_post)``.

    The first differences of ``delta`` (reference period included, at zero) in the pre
    periods are bounded by the signed difference ending at relative period ``s``
    (``-(K-1)..0``); those in the post periods by ``Mbar`` times it. ``post_only`` keeps only
    the post-period rows (those that involve ``theta``).
    """
    total = n_pre + n_post
    diffs = np.zeros((total, total + 1))
    diffs[np.arange(total), np.arange(total)] = -1.0
    diffs[np.arange(total), np.arange(1, total + 1)] = 1.0
    pivot = diffs[n_pre + s - 1] * (1.0 if positive else -1.0)
    bound = np.vstack([np.tile(pivot, (n_pre, 1)), np.tile(mbar * pivot, (n_post, 1))])
    rows = np.vstack([diffs - bound, -diffs - bound])
    rows = np.delete(rows, n_pre, axis=1)  # delta at the reference period is zero
    rows = rows[np.sum(rows**2, axis=1) > 1e-10]
    if post_only:
        rows = rows[np.any(rows[:, n_pre:] != 0, axis=1)]
    return rows


def completing_basis(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix whose first row is ``l'``, completed by the first unit vectors
    independent of the rows so far (the choice of the authors' code)."""
    rows = [l_vec]
    for j in range(len(l_vec)):
        e = np.zeros(len(l_vec))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([*rows, e])) > len(rows):
            rows.append(e)
        if len(rows) == len(l_vec):
            break
    return np.vstack(rows)


@dataclass(frozen=True, eq=False)
class MomentProblem:
    """The moments ``y(theta) = y0 - a theta`` with nuisance directions ``X`` and covariance
    ``Sigma_y`` of one polyhedron, and the vertices of the dual polytope."""

    y0: np.ndarray
    a: np.ndarray
    sigma_y: np.ndarray
    vertices: np.ndarray  # (n_vertices, m)

    @classmethod
    def build(cls, betahat: np.ndarray, sigma: np.ndarray, A: np.ndarray, n_pre: int,
              gamma_inv: np.ndarray) -> MomentProblem:
        """The problem of polyhedron ``A``; ``gamma_inv`` is the inverse of
        :func:`completing_basis` of the target weights."""
        a_gamma = A[:, n_pre:] @ gamma_inv
        sigma_y = A @ sigma @ A.T
        sd = np.sqrt(np.diag(sigma_y))
        return cls(A @ betahat, a_gamma[:, 0], sigma_y,
                   _vertices(sd, a_gamma[:, 1:]))

    def eta(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``eta`` and the optimal vertex's index for each column of ``y`` (``m x n``)."""
        values = self.vertices @ y
        best = np.argmax(values, axis=0)
        return values[best, np.arange(y.shape[1])], best


def _vertices(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0, sd' g = 1, X' g = 0}`` (basic feasible solutions)."""
    if X.shape[1]:
        # Redundant nuisance directions add no constraint: keep independent columns.
        _, r_factor, order = qr(X, pivoting=True, mode="economic")
        diagonal = np.abs(np.diag(r_factor))
        rank = int(np.sum(diagonal > 1e-10 * max(diagonal.max(), 1e-300)))
        X = X[:, np.sort(order[:rank])]
    E = np.vstack([sd, X.T])
    rhs = np.zeros(E.shape[0])
    rhs[0] = 1.0
    r, m = E.shape
    if math.comb(m, r) > MAX_SUBSETS:
        raise SensitivityInputError(
            f"{m} moments and {r - 1} nuisance directions: too many post periods for the "
            f"exact conditional test; restrict the event study to fewer post periods")
    subsets = np.array(list(itertools.combinations(range(m), r)))
    blocks = E[:, subsets].transpose(1, 0, 2)  # (n_subsets, r, r)
    det = np.linalg.det(blocks)
    ok = np.abs(det) > 1e-12 * np.max(np.abs(det))
    solutions = np.linalg.solve(blocks[ok], np.broadcast_to(rhs, (int(ok.sum()), r))[..., None])
    solutions = solutions[..., 0]
    feasible = np.all(solutions >= -1e-12, axis=1)
    vertices = np.zeros((int(feasible.sum()), m))
    rows = np.repeat(np.arange(len(vertices)), r)
    vertices[rows, subsets[ok][feasible].ravel()] = np.clip(solutions[feasible], 0,
                                                            None).ravel()
    return np.unique(np.round(vertices, 14), axis=0)


def arp_accept(problem: MomentProblem, thetas: np.ndarray, alpha: float,
               lf_cv: float | None, kappa: float) -> np.ndarray:
    """Whether each ``theta`` is accepted by the conditional test (``lf_cv`` None) or the
    conditional least-favourable hybrid (first stage rejects when ``eta > lf_cv``)."""
    y = problem.y0[:, None] - np.outer(problem.a, thetas)
    eta, best = problem.eta(y)
    gamma = problem.vertices[best]  # (n, m)
    sigma_gamma = gamma @ problem.sigma_y  # (n, m)
    var_b = np.einsum("nm,nm->n", sigma_gamma, gamma)
    accept = np.ones(len(thetas), dtype=bool)
    degenerate = var_b <= np.finfo(float).eps
    accept[degenerate] = eta[degenerate] <= 0
    live = ~degenerate
    if not live.any():
        return accept
    sd_b = np.sqrt(var_b[live])
    b = sigma_gamma[live] / var_b[live, None]  # (n, m)
    s = y[:, live].T - b * eta[live, None]  # y = s + b * (gamma' y)
    vs = s @ problem.vertices.T  # (n, V)
    vb = b @ problem.vertices.T
    slope = 1.0 - vb
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = vs / slope
    lower = np.where(slope > 1e-10, cut, -np.inf).max(axis=1)
    upper = np.where(slope < -1e-10, cut, np.inf).min(axis=1)
    size = alpha
    if lf_cv is not None:
        size = (alpha - kappa) / (1 - kappa)
        upper = np.minimum(upper, lf_cv)
    stat = eta[live] / sd_b
    z_low, z_up = lower / sd_b, upper / sd_b
    inside = (z_low <= stat + 1e-12) & (stat <= z_up + 1e-12)
    cval = np.maximum(0.0, _truncated_normal_quantile(1 - size, z_low, z_up))
    reject = inside & (stat > cval)
    if lf_cv is not None:
        reject |= eta[live] > lf_cv
    accept[live] = ~reject
    return accept


def _truncated_normal_quantile(p: float, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Quantile of the standard normal truncated to ``[low, high]`` (stable in both tails)."""
    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    # Work in the tail where the mass is: mirror intervals in the upper half.
    upper_half = low > 0
    lo = np.where(upper_half, -high, low)
    hi = np.where(upper_half, -low, high)
    q = np.where(upper_half, 1 - p, p)
    cdf_lo, cdf_hi = special.ndtr(lo), special.ndtr(hi)
    mass = cdf_hi - cdf_lo
    value = special.ndtri(np.clip(cdf_lo + q * mass, 0.0, 1.0))
    bad = ~np.isfinite(value) | (mass <= 0)
    value = np.where(bad, lo, value)
    return np.clip(np.where(upper_half, -value, value), low, high)


def lf_critical_value(problem: MomentProblem, draws: np.ndarray, A: np.ndarray,
                      chol: np.ndarray, kappa: float) -> float:
    """``1 - kappa`` quantile of ``eta`` at ``y ~ N(0, Sigma_y)``: ``y = A L z`` for the
    standard normal ``draws`` ``z`` (``n_draws x p``), shared by every polyhedron."""
    y = A @ chol @ draws.T
    eta, _ = problem.eta(y)
    return float(np.quantile(eta, 1 - kappa))


@dataclass(frozen=True)
class Interval:
    """A confidence set's lower and upper ends (``-inf``/``inf``: open on that side;
    NaN: empty)."""

    low: float
    high: float


def rm_tests(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int,
             l_vec: np.ndarray, mbar: float, *, alpha: float, method: RMMethod,
             draws: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """The acceptance function ``theta -> accepted`` of the confidence set under
    ``Delta^RM(mbar)``: the union over its polyhedra of the ARP (hybrid) tests."""
    check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    if mbar < 0:
        raise ValueError(f"Mbar must be >= 0, got {mbar}")
    if method not in ("C-LF", "Conditional"):
        raise ValueError(f"method must be 'C-LF' or 'Conditional', got {method!r}")
    if method == "C-LF" and draws is None:
        raise ValueError("method 'C-LF' needs the simulation draws")
    kappa = alpha / 10
    chol = np.linalg.cholesky(sigma)
    gamma_inv = np.linalg.inv(completing_basis(l_vec))
    polyhedra = [(s, positive) for s in range(-(n_pre - 1), 1) for positive in (True, False)]
    tests: list[tuple[MomentProblem, float | None]] = []

    def test(i: int) -> tuple[MomentProblem, float | None]:
        # Built when first needed: a value the first polyhedra accept never needs the rest.
        while len(tests) <= i:
            A = rm_constraints(n_pre, n_post, mbar, *polyhedra[len(tests)])
            problem = MomentProblem.build(betahat, sigma, A, n_pre, gamma_inv)
            lf_cv = (lf_critical_value(problem, draws, A, chol, kappa)
                     if method == "C-LF" and draws is not None else None)
            tests.append((problem, lf_cv))
        return tests[i]

    def accepted(thetas: np.ndarray) -> np.ndarray:
        out = np.zeros(len(thetas), dtype=bool)
        for i in range(len(polyhedra)):
            # A value one polyhedron accepts is in the union: test only the others.
            pending = np.flatnonzero(~out)
            if not len(pending):
                break
            problem, lf_cv = test(i)
            out[pending] = arp_accept(problem, thetas[pending], alpha, lf_cv, kappa)
        return out

    return accepted


def rm_confidence_set(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int,
                      l_vec: np.ndarray, mbar: float, *, alpha: float = 0.05,
                      method: RMMethod = "C-LF", draws: np.ndarray | None = None,
                      grid_points: int = 1000) -> Interval:
    """Confidence set for ``theta = l' tau_post`` under ``Delta^RM(mbar)`` (module docstring).

    The union over polyhedra is evaluated on a grid around the union of identified sets,
    widened while the set reaches the grid's edge; its ends are then refined by bisection.
    ``draws`` are the standard normal draws of the least-favourable critical value.
    """
    accepted = rm_tests(betahat, sigma, n_pre, n_post, l_vec, mbar, alpha=alpha,
                        method=method, draws=draws)
    sd_theta = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    low, high = rm_identified_set(betahat, n_pre, n_post, l_vec, mbar)
    return _grid_set(accepted, low - 10 * sd_theta, high + 10 * sd_theta, grid_points)


def _grid_set(accepted: Callable[[np.ndarray], np.ndarray], low: float, high: float,
              points: int) -> Interval:
    """Ends of ``{theta: accepted(theta)}`` from a grid, widened up to 6 times while the set
    touches an edge, then refined by 14 bisection steps at each end (a grid step over 16,000),
    both ends in one call of ``accepted`` per step (it decides each value on its own)."""
    test = accepted
    for _ in range(6):
        grid = np.linspace(low, high, points)
        ok = test(grid)
        if not ok.any():
            return Interval(float("nan"), float("nan"))
        width = high - low
        if ok[0] or ok[-1]:
            low, high = (low - width if ok[0] else low), (high + width if ok[-1] else high)
            continue
        first, last = np.flatnonzero(ok)[[0, -1]]
        ends = _refine(test, grid[[first - 1, last + 1]], grid[[first, last]])
        return Interval(float(ends[0]), float(ends[1]))
    return Interval(-np.inf if ok[0] else float(grid[np.flatnonzero(ok)[0]]),
                    np.inf if ok[-1] else float(grid[np.flatnonzero(ok)[-1]]))


def _refine(test: Callable[[np.ndarray], np.ndarray], outside: np.ndarray,
            inside: np.ndarray, steps: int = 14) -> np.ndarray:
    """Bisection between each value of ``outside`` (rejected) and of ``inside`` (accepted)."""
    for _ in range(steps):
        middle = (outside + inside) / 2
        accepted = test(middle)
        inside = np.where(accepted, middle, inside)
        outside = np.where(accepted, outside, middle)
    return (outside + inside) / 2


def rm_identified_set(betahat: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray,
                      mbar: float) -> tuple[float, float]:
    """Identified set of ``theta`` under ``Delta^RM(mbar)`` when ``beta`` is known.

    It is the union over the polyhedra of the ranges of ``l' delta_post``; only the polyhedra
    whose pivot is a largest pre-period first difference are feasible, and in those each
    post-period first difference ``e_j`` of ``delta`` lies in ``[-c, c]``,
    ``c = mbar * max |pre-period first difference|``. As ``l' delta_post = sum_j e_j L_j`` with
    ``L_j`` the sum of ``l`` from period ``j`` on, the set is ``l' beta_post`` plus or minus
    ``c * sum_j |L_j|`` (what the two linear programs per polyhedron gave, to rounding).
    """
    pre = np.r_[betahat[:n_pre], 0.0]  # the reference period's violation is zero
    largest = float(np.abs(np.diff(pre)).max())
    reach = float(np.abs(np.cumsum(l_vec[::-1])[::-1]).sum())
    theta = float(l_vec @ betahat[n_pre:])
    half = mbar * largest * reach
    if not np.isfinite(half):
        raise SensitivityInputError("the relative-magnitudes restriction admits no violation "
                                    "consistent with the pre-period estimates")
    return theta - half, theta + half


# ---------------------------------------------------------------------------------------
# Smoothness: the optimal fixed-length confidence interval
# ---------------------------------------------------------------------------------------
def folded_normal_quantile(level: float, shift: float) -> float:
    """``c`` with ``P(|N(shift, 1)| <= c) = level``."""
    shift = abs(shift)
    if shift == 0:
        return float(special.ndtri(0.5 + level / 2))

    def coverage(c: float) -> float:
        return float(special.ndtr(c - shift) - special.ndtr(-c - shift) - level)

    high = shift + float(special.ndtri(level)) + 10
    return float(optimize.brentq(coverage, 0.0, high, xtol=1e-14, rtol=1e-14))


def _second_difference_weights(n_pre: int, n_post: int) -> np.ndarray:
    """``G`` with ``v' delta = (G v)' s`` for every ``delta`` with ``delta_0 = 0`` and zero
    linear part, ``s`` the second differences (rows: the ``K + T - 1`` second differences)."""
    times = np.r_[np.arange(-n_pre, 0), np.arange(1, n_post + 1)]
    total = n_pre + n_post
    # delta as a function of (slope d_1, second differences s_j, j = -K+1..T-1, each s_j the
    # change in slope between (j-1, j) and (j, j+1)).
    centres = np.arange(-n_pre + 1, n_post)
    basis = np.zeros((total, len(centres)))
    for column, j in enumerate(centres):
        # delta_t responds to s_j: for t > j by (t - j) when j >= 0, for t < j by ... the
        # path is anchored at delta_0 = 0 with slope fixed after period 0 (d_1).
        for row, t in enumerate(times):
            if j >= 1 and t > j:
                basis[row, column] = t - j
            elif j <= 0 and t < j:
                basis[row, column] = j - t
    return basis.T


@dataclass(frozen=True)
class FLCI:
    """The optimal fixed-length interval: its ends, half-length, the affine estimator's
    weights on ``beta`` and its standard deviation and worst-case bias."""

    low: float
    high: float
    half_length: float
    weights: np.ndarray
    sd: float
    max_bias: float


def flci(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray,
         m: float, *, alpha: float = 0.05) -> FLCI:
    """Optimal FLCI for ``theta = l' tau_post`` under ``Delta^SD(m)`` (module docstring).

    For each bound ``h`` on the estimator's standard deviation the smallest worst-case bias is
    a convex program (solved by SLSQP on a scaled problem); the half-length
    ``cv_alpha(bias / h) * h`` is then minimised over ``h`` between the smallest standard
    deviation any unbiased-under-linear-trends estimator has and that of the least-biased
    estimator.
    """
    check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    if m < 0:
        raise ValueError(f"M must be >= 0, got {m}")
    level = 1 - alpha
    scale = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    cov = sigma / scale**2
    bound = m / scale
    times = np.r_[np.arange(-n_pre, 0), np.arange(1, n_post + 1)]
    g_matrix = _second_difference_weights(n_pre, n_post)
    # Linear trends leave the estimator unbiased: sum_pre w_t t = -sum_post l_t t.
    trend_lhs, trend_rhs = times[:n_pre], -float(l_vec @ times[n_pre:])

    def full(w: np.ndarray) -> np.ndarray:
        return np.r_[w, l_vec]

    def sd(w: np.ndarray) -> float:
        v = full(w)
        return float(np.sqrt(max(v @ cov @ v, 0.0)))

    def bias(w: np.ndarray) -> float:
        return float(bound * np.abs(g_matrix @ full(w)).sum())

    # Smallest variance under the trend constraint: an equality-constrained quadratic.
    pre, cross = cov[:n_pre, :n_pre], cov[:n_pre, n_pre:] @ l_vec
    kkt = np.block([[2 * pre, trend_lhs[:, None]], [trend_lhs[None, :], np.zeros((1, 1))]])
    w_min_var = np.linalg.solve(kkt, np.r_[-2 * cross, trend_rhs])[:n_pre]
    w_min_bias = _least_bias(g_matrix, l_vec, n_pre, trend_lhs, trend_rhs)
    h_low, h_high = sd(w_min_var), sd(w_min_bias)

    def best_given_h(h: float, start: np.ndarray) -> np.ndarray:
        return _min_bias_given_sd(g_matrix, l_vec, n_pre, trend_lhs, trend_rhs, cov, h,
                                  start)

    if bound == 0 or h_high <= h_low * (1 + 1e-9) or n_pre == 1:
        candidates = [w_min_var] if bound == 0 or n_pre == 1 else [w_min_var, w_min_bias]
        w = min(candidates, key=lambda c: folded_normal_quantile(level, bias(c) / sd(c))
                * sd(c))
    else:
        cache: dict[float, np.ndarray] = {}

        def length(h: float) -> float:
            w_h = best_given_h(h, w_min_bias)
            cache[h] = w_h
            s = max(sd(w_h), h_low)
            return folded_normal_quantile(level, bias(w_h) / s) * s

        found = optimize.minimize_scalar(length, bounds=(h_low, h_high), method="bounded",
                                         options={"xatol": 1e-5 * h_high})
        w = cache[found.x]
        for edge in (h_low, h_high):
            w_edge = w_min_var if edge == h_low else w_min_bias
            if length(edge) < length(found.x):
                w = w_edge
    s, b = sd(w), bias(w)
    half = folded_normal_quantile(level, b / s) * s
    centre = float(full(w) @ betahat)
    return FLCI(centre - half * scale, centre + half * scale, half * scale, full(w),
                s * scale, b * scale)


def _least_bias(g_matrix: np.ndarray, l_vec: np.ndarray, n_pre: int, trend_lhs: np.ndarray,
                trend_rhs: float) -> np.ndarray:
    """Weights with the smallest worst-case bias: a linear program in ``(w, u)``,
    ``min sum u`` subject to ``-u <= G (w, l) <= u`` and the trend constraint. (Among ties any
    will do: only its standard deviation is used, as the upper end of the search.)"""
    n_g = g_matrix.shape[0]
    g_pre, g_post = g_matrix[:, :n_pre], g_matrix[:, n_pre:] @ l_vec
    c = np.r_[np.zeros(n_pre), np.ones(n_g)]
    a_ub = np.block([[g_pre, -np.eye(n_g)], [-g_pre, -np.eye(n_g)]])
    b_ub = np.r_[-g_post, g_post]
    a_eq = np.r_[trend_lhs, np.zeros(n_g)][None, :]
    result = optimize.linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[trend_rhs],
                              bounds=[(None, None)] * (n_pre + n_g), method="highs")
    return np.asarray(result.x[:n_pre])


def _min_bias_given_sd(g_matrix: np.ndarray, l_vec: np.ndarray, n_pre: int,
                       trend_lhs: np.ndarray, trend_rhs: float, cov: np.ndarray, h: float,
                       start: np.ndarray) -> np.ndarray:
    """Weights minimising the worst-case bias subject to ``sd <= h`` (SLSQP on ``(w, u)``)."""
    n_g = g_matrix.shape[0]
    g_pre, g_post = g_matrix[:, :n_pre], g_matrix[:, n_pre:] @ l_vec
    # SLSQP calls these thousands of times over a search: the constant Jacobians are built
    # once (the solver gets the same numbers).
    objective_gradient = np.concatenate([np.zeros(n_pre), np.ones(n_g)])
    trend_jacobian = np.concatenate([trend_lhs, np.zeros(n_g)])[None, :]
    upper_jacobian = np.hstack([-g_pre, np.eye(n_g)])
    lower_jacobian = np.hstack([g_pre, np.eye(n_g)])
    zeros = np.zeros(n_g)

    def objective(x: np.ndarray) -> float:
        return float(x[n_pre:].sum())

    def gradient(x: np.ndarray) -> np.ndarray:
        return objective_gradient.copy()

    def variance(x: np.ndarray) -> float:
        v = np.concatenate([x[:n_pre], l_vec])
        return float(v @ cov @ v)

    def variance_gradient(x: np.ndarray) -> np.ndarray:
        v = np.concatenate([x[:n_pre], l_vec])
        return np.concatenate([2 * (cov @ v)[:n_pre], zeros])

    constraints = [
        {"type": "eq", "fun": lambda x: np.array([trend_lhs @ x[:n_pre] - trend_rhs]),
         "jac": lambda x: trend_jacobian.copy()},
        {"type": "ineq", "fun": lambda x: x[n_pre:] - (g_pre @ x[:n_pre] + g_post),
         "jac": lambda x: upper_jacobian.copy()},
        {"type": "ineq", "fun": lambda x: x[n_pre:] + (g_pre @ x[:n_pre] + g_post),
         "jac": lambda x: lower_jacobian.copy()},
        {"type": "ineq", "fun": lambda x: np.array([h**2 - variance(x)]),
         "jac": lambda x: -variance_gradient(x)[None, :]},
    ]
    x0 = np.concatenate([start, np.abs(g_pre @ start + g_post)])
    result = optimize.minimize(objective, x0, jac=gradient, method="SLSQP",
                               constraints=constraints,
                               options={"ftol": 1e-13, "maxiter": 1000})
    return np.asarray(result.x[:n_pre])


# ---------------------------------------------------------------------------------------
# Breakdown values
# ---------------------------------------------------------------------------------------
def breakdown(contains_null: Callable[[float], bool], upper: float, *,
              tol: float = 1e-3) -> float:
    """Smallest ``M`` in ``[0, upper]`` at which the (nested, growing) confidence set contains
    the null value; ``inf`` if it does not at ``upper``, 0 if it already does at 0."""
    test = contains_null
    if test(0.0):
        return 0.0
    if not test(upper):
        return float("inf")
    low, high = 0.0, upper
    while high - low > tol * upper:
        middle = (low + high) / 2
        if test(middle):
            high = middle
        else:
            low = middle
    return (low + high) / 2


def crossing(ends: Callable[[float], tuple[float, float]], null: float, upper: float, *,
             tol: float = 1e-3) -> float:
    """Smallest ``M`` in ``[0, upper]`` at which the interval ``ends(M)`` (continuous in
    ``M``, growing) reaches ``null``: Brent's method on the nearer end; ``inf`` beyond
    ``upper``."""
    low, high = ends(0.0)
    if low <= null <= high:
        return 0.0
    side = 0 if null < low else 1

    def gap(bound: float) -> float:
        found = ends(bound)
        return found[0] - null if side == 0 else null - found[1]

    if gap(upper) > 0:
        return float("inf")
    return float(optimize.brentq(gap, 0.0, upper, xtol=tol * upper))


def normal_draws(seed: Seed, n_draws: int, dimension: int) -> np.ndarray:
    """Standard normal draws for the least-favourable critical value."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.standard_normal((n_draws, dimension))
