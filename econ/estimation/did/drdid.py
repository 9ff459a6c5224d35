"""Two-period panel DiD estimators and their influence functions (Sant'Anna and Zhao 2020).

Each estimator takes the outcome change ``delta_y = y_post - y_base``, the treated indicator
``treated`` and a covariate matrix ``x`` whose first column is the intercept, all for the units of
one 2x2 comparison, and returns the ATT with its influence function, scaled so that
``att - ATT ~ mean(influence)``. The formulas are those of R's ``DRDID`` functions that R's
``did`` calls for panel data: ``reg_did_panel`` (outcome regression), ``std_ipw_did_panel``
(normalised inverse probability weights) and ``drdid_panel`` (the locally efficient doubly
robust estimator with a logit propensity score and a linear outcome regression for the
controls). As there, weights are rescaled to mean one, fitted propensity scores are capped at
``1 - 1e-6`` and controls with a propensity score of ``trim_level`` or more get weight zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

TRIM_LEVEL = 0.995


@dataclass(frozen=True)
class TwoByTwo:
    """One 2x2 estimate: the ATT and its influence function over the comparison's units."""

    att: float
    influence: np.ndarray


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares coefficients and ``(X'WX / n)^{-1}``."""
    xw = x * w[:, None]
    gram = xw.T @ x / x.shape[0]
    inverse = np.linalg.inv(gram)
    return inverse @ (xw.T @ y) / x.shape[0], inverse


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
    for _ in range(max_iter):
        p = expit(x @ beta)
        info = (x * (w * p * (1.0 - p))[:, None]).T @ x
        step = np.linalg.solve(info, x.T @ (w * (d - p)))
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(beta))):
            p = expit(x @ beta)
            info = (x * (w * p * (1.0 - p))[:, None]).T @ x
            return p, n * np.linalg.inv(info)
    raise ValueError("the propensity-score logit did not converge (covariates may separate "
                     "treated from control units: overlap fails)")


def _propensity(x: np.ndarray, d: np.ndarray, w: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capped propensity scores, the trimming indicator and the score's influence function."""
    if x.shape[1] == 1:
        # Intercept only: the logit's fitted value is the weighted treated share.
        share = float(np.sum(w * d) / np.sum(w))
        p = np.full(d.shape, share)
        hessian = np.array([[1.0 / (np.mean(w) * share * (1.0 - share))]])
    else:
        p, hessian = logit(x, d, w)
    p = np.minimum(p, 1.0 - 1e-6)
    keep = np.where(d == 1, True, p < TRIM_LEVEL)
    score_if = (w * (d - p))[:, None] * x @ hessian
    return p, keep.astype(float), score_if


def outcome_regression(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                       w: np.ndarray) -> TwoByTwo:
    """Heckman-Ichimura-Todd outcome regression DiD (R: ``DRDID::reg_did_panel``)."""
    control = 1.0 - treated
    coef, gram_inv = _wls(x, delta_y, w * control)
    fitted = x @ coef
    w_treat = w * treated
    eta_treat = np.mean(w_treat * delta_y) / np.mean(w_treat)
    eta_cont = np.mean(w_treat * fitted) / np.mean(w_treat)
    ols_if = (w * control * (delta_y - fitted))[:, None] * x @ gram_inv
    inf_treat = w_treat * (delta_y - eta_treat) / np.mean(w_treat)
    inf_cont = (w_treat * (fitted - eta_cont)
                + ols_if @ np.mean(w_treat[:, None] * x, axis=0)) / np.mean(w_treat)
    return TwoByTwo(float(eta_treat - eta_cont), inf_treat - inf_cont)


def inverse_probability(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                        w: np.ndarray) -> TwoByTwo:
    """Normalised (Hajek) inverse-probability-weighted DiD (R: ``DRDID::std_ipw_did_panel``)."""
    p, keep, ps_if = _propensity(x, treated, w)
    w_treat = keep * w * treated
    w_cont = keep * w * p * (1.0 - treated) / (1.0 - p)
    eta_treat = np.mean(w_treat * delta_y) / np.mean(w_treat)
    eta_cont = np.mean(w_cont * delta_y) / np.mean(w_cont)
    inf_treat = w_treat * (delta_y - eta_treat) / np.mean(w_treat)
    moment = np.mean((w_cont * (delta_y - eta_cont))[:, None] * x, axis=0)
    inf_cont = (w_cont * (delta_y - eta_cont) + ps_if @ moment) / np.mean(w_cont)
    return TwoByTwo(float(eta_treat - eta_cont), inf_treat - inf_cont)


def doubly_robust(delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray,
                  w: np.ndarray) -> TwoByTwo:
    """Locally efficient doubly robust DiD (R: ``DRDID::drdid_panel``, did's default)."""
    control = 1.0 - treated
    p, keep, ps_if = _propensity(x, treated, w)
    coef, gram_inv = _wls(x, delta_y, w * control)
    residual = delta_y - x @ coef
    w_treat = keep * w * treated
    w_cont = keep * w * p * control / (1.0 - p)
    eta_treat = np.mean(w_treat * residual) / np.mean(w_treat)
    eta_cont = np.mean(w_cont * residual) / np.mean(w_cont)
    ols_if = (w * control * residual)[:, None] * x @ gram_inv
    inf_treat = (w_treat * (residual - eta_treat)
                 - ols_if @ np.mean(w_treat[:, None] * x, axis=0)) / np.mean(w_treat)
    inf_cont = (w_cont * (residual - eta_cont)
                + ps_if @ np.mean((w_cont * (residual - eta_cont))[:, None] * x, axis=0)
                - ols_if @ np.mean(w_cont[:, None] * x, axis=0)) / np.mean(w_cont)
    return TwoByTwo(float(eta_treat - eta_cont), inf_treat - inf_cont)


ESTIMATORS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], TwoByTwo]] = {
    "reg": outcome_regression,
    "ipw": inverse_probability,
    "dr": doubly_robust,
}
