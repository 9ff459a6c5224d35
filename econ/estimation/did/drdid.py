"""Two-period panel DiD estimators and their influence functions (Sant'Anna and Zhao 2020).

Each estimator takes, for the units of one 2x2 comparison, the treated indicator ``treated``,
a covariate matrix ``x`` whose first column is the intercept, weights ``w`` and outcome
changes ``delta_y = y_post - y_base``, one column per outcome change that shares these units,
covariates and weights: the ATT(g, t) cells of Callaway and Sant'Anna whose comparisons have
the same units and covariate values share one propensity score and one outcome-regression
design, so those are fitted once for all of them. It returns the ATTs with their influence
functions, scaled so that ``att - ATT ~ mean(influence)``. The formulas are those of R's
``DRDID`` functions that R's ``did`` calls for panel data: ``reg_did_panel`` (outcome
regression), ``std_ipw_did_panel`` (normalised inverse probability weights) and
``drdid_panel`` (the locally efficient doubly robust estimator with a logit propensity score
and a linear outcome regression for the controls). As there, weights are rescaled to mean one,
fitted propensity scores are capped at ``1 - 1e-6`` and controls with a propensity score of
``trim_level`` or more get weight zero.

Products of influence-function terms are regrouped so that each ``n x k`` term (``k``
covariates) is multiplied by a ``k``-vector once, instead of materialising the ``n x k``
influence functions of the propensity score and the regression coefficients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TRIM_LEVEL = 0.995


@dataclass(frozen=True)
class TwoByTwo:
    """2x2 estimates sharing one comparison: ATTs ``(c,)`` and influence functions ``(n, c)``
    over the comparison's units, one column per outcome change."""

    att: np.ndarray
    influence: np.ndarray


def _wls_inverse(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(X'WX / n)^{-1}``, the inverse of the weighted least-squares normal matrix."""
    return np.linalg.inv((x * w[:, None]).T @ x / x.shape[0])


def _logistic(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``; below ``z = -709`` ``exp`` overflows to inf and the value to 0.

    Five times faster than ``scipy.special.expit`` on these arrays, and as accurate (both
    within a few units in the last place).
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def logit(x: np.ndarray, d: np.ndarray, w: np.ndarray, *, tol: float = 1e-12,
          max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit by Newton's method: fitted probabilities and ``n (X'WX)^{-1}``.

    ``W = w p (1 - p)``, the inverse of which (times ``n``) is R's ``vcov(glm) * n``, the
    Hessian term of the propensity score's influence function.

    Raises
    ------
    ValueError
        If Newton's method does not converge (typically perfect separation: covariates that
        predict treatment exactly, so overlap fails).
    """
    n, k = x.shape
    share = float(np.sum(w * d) / np.sum(w))
    beta = np.zeros(k)
    beta[0] = np.log(share / (1.0 - share))
    x_t = np.ascontiguousarray(x.T)
    w_d = w * d
    for _ in range(max_iter):
        p = _logistic(beta @ x_t)
        w_p = w * p
        info = (x_t * (w_p * (1.0 - p))) @ x
        step = np.linalg.solve(info, x_t @ (w_d - w_p))
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(beta))):
            p = _logistic(beta @ x_t)
            info = (x_t * (w * p * (1.0 - p))) @ x
            return p, n * np.linalg.inv(info)
    raise ValueError("the propensity-score logit did not converge (covariates may separate "
                     "treated from control units: overlap fails)")


@dataclass(frozen=True)
class _Propensity:
    """Capped propensity scores ``p``, the trimming indicator ``keep`` and the score's
    influence function ``(score[:, None] * x) @ hessian``, kept in factored form."""

    p: np.ndarray
    keep: np.ndarray
    score: np.ndarray
    hessian: np.ndarray

    def influence_times(self, x: np.ndarray, moment: np.ndarray) -> np.ndarray:
        """The score's influence function times ``moment`` (``k`` or ``k x c``)."""
        product = x @ (self.hessian @ moment)
        return (self.score[:, None] if product.ndim == 2 else self.score) * product


def _propensity(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> _Propensity:
    if x.shape[1] == 1:
        # Intercept only: the logit's fitted value is the weighted treated share.
        share = float(np.sum(w * d) / np.sum(w))
        p = np.full(d.shape, share)
        hessian = np.array([[1.0 / (np.mean(w) * share * (1.0 - share))]])
    else:
        p, hessian = logit(x, d, w)
    p = np.minimum(p, 1.0 - 1e-6)
    keep = np.where(d == 1, True, p < TRIM_LEVEL)
    return _Propensity(p, keep.astype(float), w * (d - p), hessian)


def outcome_regression(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                       w: np.ndarray) -> TwoByTwo:
    """Heckman-Ichimura-Todd outcome regression DiD (R: ``DRDID::reg_did_panel``)."""
    n = x.shape[0]
    w_control = w * (1.0 - treated)
    gram_inv = _wls_inverse(x, w_control)
    fitted = x @ (gram_inv @ ((x * w_control[:, None]).T @ delta_y) / n)
    w_treat = w * treated
    mean_treat = np.mean(w_treat)
    eta_treat = w_treat @ delta_y / n / mean_treat
    eta_cont = w_treat @ fitted / n / mean_treat
    # ols_if @ mean(w_treat x), with ols_if = (w_control residual) x (X'WX/n)^{-1}.
    lever = x @ (gram_inv @ (x.T @ w_treat / n))
    influence = (w_treat[:, None] * (delta_y - eta_treat)
                 - w_treat[:, None] * (fitted - eta_cont)
                 - (w_control * lever)[:, None] * (delta_y - fitted)) / mean_treat
    return TwoByTwo(eta_treat - eta_cont, influence)


def inverse_probability(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                        w: np.ndarray) -> TwoByTwo:
    """Normalised (Hajek) inverse-probability-weighted DiD (R: ``DRDID::std_ipw_did_panel``)."""
    n = x.shape[0]
    ps = _propensity(x, treated, w)
    w_treat = ps.keep * w * treated
    w_cont = ps.keep * w * ps.p * (1.0 - treated) / (1.0 - ps.p)
    mean_treat, mean_cont = np.mean(w_treat), np.mean(w_cont)
    eta_treat = w_treat @ delta_y / n / mean_treat
    eta_cont = w_cont @ delta_y / n / mean_cont
    centred_cont = w_cont[:, None] * (delta_y - eta_cont)
    influence = (w_treat[:, None] * (delta_y - eta_treat) / mean_treat
                 - (centred_cont + ps.influence_times(x, x.T @ centred_cont / n)) / mean_cont)
    return TwoByTwo(eta_treat - eta_cont, influence)


def doubly_robust(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                  w: np.ndarray) -> TwoByTwo:
    """Locally efficient doubly robust DiD (R: ``DRDID::drdid_panel``, did's default)."""
    n = x.shape[0]
    ps = _propensity(x, treated, w)
    w_control = w * (1.0 - treated)
    gram_inv = _wls_inverse(x, w_control)
    residual = delta_y - x @ (gram_inv @ ((x * w_control[:, None]).T @ delta_y) / n)
    w_treat = ps.keep * w * treated
    w_cont = ps.keep * w * ps.p * (1.0 - treated) / (1.0 - ps.p)
    mean_treat, mean_cont = np.mean(w_treat), np.mean(w_cont)
    eta_treat = w_treat @ residual / n / mean_treat
    eta_cont = w_cont @ residual / n / mean_cont
    centred_cont = residual - eta_cont
    centred_cont *= w_cont[:, None]
    score_term = ps.influence_times(x, x.T @ centred_cont / n)
    # The outcome regression's influence function enters the treated and the control terms,
    # times mean(w_treat x) / mean_treat and mean(w_cont x) / mean_cont: one lever for both.
    lever = x @ (gram_inv @ (x.T @ (w_treat / mean_treat - w_cont / mean_cont) / n))
    # w_treat (residual - eta_treat) / mean_treat - (centred_cont + score_term) / mean_cont
    # - w_control lever residual, in place (n x cells arrays are most of the work).
    influence = residual - eta_treat
    influence *= (w_treat / mean_treat)[:, None]
    centred_cont += score_term
    centred_cont /= mean_cont
    influence -= centred_cont
    residual *= (w_control * lever)[:, None]
    influence -= residual
    return TwoByTwo(eta_treat - eta_cont, influence)


Estimator = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], TwoByTwo]

ESTIMATORS: dict[str, Estimator] = {
    "reg": outcome_regression,
    "ipw": inverse_probability,
    "dr": doubly_robust,
}
