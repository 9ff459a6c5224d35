"""Power of pre-trend tests against linear violations, and the bias of the estimates that pass.

Roth (2022): event-study estimates ``beta ~ N(tau + delta, Sigma)`` with ``tau_pre = 0``. The
usual pre-test passes when no pre-period estimate is individually significant,
``|beta_t| <= z_{1-alpha/2} sd_t`` for every pre period ``t``: a box ``B``. Against the linear
violation ``delta_t = slope * t`` (``t`` counted from the reference period):

- the pre-test's power is ``1 - P(beta_pre in B)``, a multivariate normal box probability;
- conditional on passing, the post-period estimates have mean
  ``tau_post + delta_post + Sigma_post,pre Sigma_pre^-1 (E[beta_pre | B] - delta_pre)``: the
  violation plus the selection induced by passing (the regression of the post on the pre
  estimates applied to the shift of the truncated mean).

The truncated mean is Tallis's (1961) formula for the doubly truncated multivariate normal
(Manjunath and Wilhelm 2012, eq. 15): with ``X ~ N(0, S)`` truncated to ``[a, b]``,
``E[X] = S (F(a) - F(b)) / P`` where ``F_k(x)`` is the density of ``X_k`` at ``x`` times the
probability that the other coordinates lie in the box given ``X_k = x``. Box probabilities use
Genz's algorithm (``scipy.stats.multivariate_normal``) with a fixed seed: reproducible, with
an absolute error of about ``1e-5`` (requested).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from econ.inference.distributions import norm_cdf, norm_pdf, norm_ppf

#: Seed of the quasi-Monte Carlo integration in the box probabilities.
SEED = 20240501
_ACCURACY = {"abseps": 1e-5, "releps": 1e-5}


def box_probability(mean: np.ndarray, cov: np.ndarray, lower: np.ndarray,
                    upper: np.ndarray) -> float:
    """``P(lower <= X <= upper)`` for ``X ~ N(mean, cov)``."""
    if len(mean) == 1:
        sd = float(np.sqrt(cov[0, 0]))
        return float(norm_cdf((upper[0] - mean[0]) / sd)
                     - norm_cdf((lower[0] - mean[0]) / sd))
    # (scipy.stats takes half a second to import: only a multivariate box needs it.)
    from scipy.stats import multivariate_normal

    return float(multivariate_normal.cdf(upper, mean=mean, cov=cov, lower_limit=lower,
                                         rng=np.random.default_rng(SEED), **_ACCURACY))


def truncated_mean(mean: np.ndarray, cov: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray) -> np.ndarray:
    """``E[X | lower <= X <= upper]`` for ``X ~ N(mean, cov)`` (Tallis's formula)."""
    a, b = lower - mean, upper - mean
    k = len(mean)
    total = box_probability(np.zeros(k), cov, a, b)
    if total <= 0:
        raise ValueError("the pre-test passes with probability zero under this violation")
    f = np.zeros(k)
    for j in range(k):
        sd = np.sqrt(cov[j, j])
        others = np.delete(np.arange(k), j)
        for point, sign in ((a[j], 1.0), (b[j], -1.0)):
            density = norm_pdf(point / sd) / sd
            if k == 1:
                f[j] += sign * density
                continue
            slope = cov[others, j] / cov[j, j]
            conditional = cov[np.ix_(others, others)] - np.outer(slope, cov[j, others])
            f[j] += sign * density * box_probability(slope * point, conditional, a[others],
                                                     b[others])
    return mean + cov @ f / total


def pass_box(cov_pre: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The box of pre-period estimates with no individually significant one."""
    half = norm_ppf(1 - alpha / 2) * np.sqrt(np.diag(cov_pre))
    return -half, half


def power(slope: float, times_pre: np.ndarray, cov_pre: np.ndarray, alpha: float) -> float:
    """Probability that the pre-test rejects under ``delta_t = slope * t``."""
    lower, upper = pass_box(cov_pre, alpha)
    return 1.0 - box_probability(slope * times_pre, cov_pre, lower, upper)


def slope_for_power(target: float, times_pre: np.ndarray, cov_pre: np.ndarray,
                    alpha: float) -> float:
    """The positive slope at which the pre-test rejects with probability ``target``."""
    if not alpha < target < 1:
        raise ValueError(f"the target power must lie between alpha ({alpha}) and 1, got "
                         f"{target}")
    scale = float(np.sqrt(np.max(np.diag(cov_pre))) / np.max(np.abs(times_pre)))
    high = scale
    while power(high, times_pre, cov_pre, alpha) < target:
        high *= 2
    return float(optimize.brentq(lambda s: power(s, times_pre, cov_pre, alpha) - target,
                                 0.0, high, xtol=1e-6 * scale, rtol=1e-6))


def bias_if_passed(slope: float, times: np.ndarray, is_pre: np.ndarray, cov: np.ndarray,
                   alpha: float) -> np.ndarray:
    """``E[beta_t | pre-test passed] - tau_t`` for every period (pre periods included)."""
    violation = slope * times
    pre = np.flatnonzero(is_pre)
    cov_pre = cov[np.ix_(pre, pre)]
    lower, upper = pass_box(cov_pre, alpha)
    shift = truncated_mean(violation[pre], cov_pre, lower, upper) - violation[pre]
    return violation + cov[:, pre] @ np.linalg.solve(cov_pre, shift)
