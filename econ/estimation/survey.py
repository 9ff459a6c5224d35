"""Cadre-survey estimators: descriptives, Cronbach's alpha, ordered logit/probit.

The ordered models are statsmodels' :class:`~statsmodels.miscmodels.ordinal_model.OrderedModel`
fits, unchanged; this module adds the average marginal effects of the dispatching level on
``P(answer >= 4)`` and a fast Newton refit (:func:`newton_ordered`) for resamples. The
respondent bootstrap is :mod:`econ.inference.respondent_bootstrap`, the Holm and Romano-Wolf
adjustments :mod:`econ.inference.multiple_testing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr
from statsmodels.miscmodels.ordinal_model import OrderedModel

HIGH = 4  # "agree" or "strongly agree": the answer counted as reporting the difficulty


def _logistic_pdf(u: np.ndarray) -> np.ndarray:
    p = expit(u)
    return p * (1.0 - p)


def _normal_pdf(u: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)


#: (cdf, pdf) of the latent error, as fast ufuncs (scipy.stats' wrappers dominate refits).
_DISTRIBUTIONS = {"logit": (expit, _logistic_pdf), "probit": (ndtr, _normal_pdf)}


def level_descriptives(frame: pd.DataFrame, items: Sequence[str], levels: Sequence[str],
                       *, by: str = "unit_level") -> pd.DataFrame:
    """Mean, standard deviation, respondents and share answering 4-5, by level and item.

    Missing answers are left out item by item. Returns one row per (level, item).
    """
    rows = []
    for level in levels:
        group = frame.loc[frame[by] == level]
        for item in items:
            values = group[item].dropna().to_numpy(dtype=float)
            n = len(values)
            rows.append({
                "level": level, "item": item, "n": n,
                "mean": values.mean() if n else np.nan,
                "sd": values.std(ddof=1) if n > 1 else np.nan,
                "share_high": (values >= HIGH).mean() if n else np.nan,
            })
    return pd.DataFrame(rows)


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's alpha ``k/(k-1) * (1 - sum(var_j) / var(sum_j))`` (sample variances).

    Respondents with any missing item are dropped. Raises ``ValueError`` with fewer than two
    items, fewer than two complete respondents, or an item that does not vary.
    """
    values = np.asarray(items, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2:
        raise ValueError("Cronbach's alpha needs at least two items (columns)")
    values = values[~np.isnan(values).any(axis=1)]
    if values.shape[0] < 2:
        raise ValueError("Cronbach's alpha needs at least two respondents with every item")
    item_var = values.var(axis=0, ddof=1)
    if np.any(item_var == 0):
        names = (list(items.columns) if isinstance(items, pd.DataFrame)
                 else list(range(values.shape[1])))
        constant = [names[j] for j in np.flatnonzero(item_var == 0)]
        raise ValueError(f"items with no variation: {constant}")
    k = values.shape[1]
    return float(k / (k - 1) * (1.0 - item_var.sum() / values.sum(axis=1).var(ddof=1)))


@dataclass(frozen=True)
class OrderedFit:
    """One item's ordered model: statsmodels' estimates and the marginal effects.

    ``params`` and ``std_errors`` are those of statsmodels (regressors, then the first
    cutpoint and the logs of the cutpoint increments); ``cutpoints`` are the increasing
    thresholds between the observed categories ``categories``.
    """

    params: pd.Series
    std_errors: pd.Series
    pvalues: pd.Series
    cutpoints: np.ndarray
    categories: np.ndarray
    marginal_effects: pd.Series
    nobs: int
    loglike: float


def fit_ordered(y: np.ndarray, exog: pd.DataFrame, link: str,
                start_params: np.ndarray | None = None):
    """Fit statsmodels' ``OrderedModel(y, exog, distr=link)`` by BFGS; returns its results."""
    model = OrderedModel(np.asarray(y), exog, distr=link)
    return model.fit(method="bfgs", disp=False, maxiter=500, start_params=start_params)


def prob_high(params: np.ndarray, exog: np.ndarray, categories: np.ndarray, link: str,
              n_exog: int) -> np.ndarray:
    """``P(answer >= 4)`` for each row of ``exog`` under the fitted ordered model."""
    below = int(np.sum(categories < HIGH))
    if below == 0:
        return np.ones(exog.shape[0])
    if below == len(categories):
        return np.zeros(exog.shape[0])
    cut = _cutpoints(params, n_exog)[below - 1]
    return 1.0 - _DISTRIBUTIONS[link][0](cut - exog @ params[:n_exog])


def _cutpoints(params: np.ndarray, n_exog: int) -> np.ndarray:
    raw = params[n_exog:]
    return np.concatenate([raw[:1], raw[0] + np.cumsum(np.exp(raw[1:]))])


def level_effects(params: np.ndarray, exog: np.ndarray, level_columns: Sequence[int],
                  categories: np.ndarray, link: str) -> np.ndarray:
    """Average change in ``P(answer >= 4)`` from the reference level to each level.

    For each respondent every level dummy is set to 0 (reference) and then the one dummy to 1,
    holding the controls at their observed values; the difference is averaged.
    """
    n_exog = exog.shape[1]
    base = exog.copy()
    base[:, list(level_columns)] = 0.0
    p0 = prob_high(params, base, categories, link, n_exog)
    out = np.empty(len(level_columns))
    for j, column in enumerate(level_columns):
        switched = base.copy()
        switched[:, column] = 1.0
        out[j] = np.mean(prob_high(params, switched, categories, link, n_exog) - p0)
    return out


def fit_item(y: np.ndarray, exog: pd.DataFrame, level_columns: Sequence[int], link: str,
             start_params: np.ndarray | None = None) -> OrderedFit:
    """Fit one item and compute its level effects on ``P(answer >= 4)``."""
    result = fit_ordered(y, exog, link, start_params)
    params = np.asarray(result.params)
    categories = np.unique(y)
    ame = level_effects(params, exog.to_numpy(dtype=float), level_columns, categories, link)
    names = [exog.columns[c] for c in level_columns]
    return OrderedFit(result.params, result.bse, result.pvalues,
                      _cutpoints(params, exog.shape[1]), categories,
                      pd.Series(ame, index=names), int(result.nobs), float(result.llf))


def _loglike_and_score(theta, codes, x, link):
    k = x.shape[1]
    cdf, pdf = _DISTRIBUTIONS[link]
    cuts = np.concatenate([[-np.inf], theta[k:], [np.inf]])
    xb = x @ theta[:k]
    upper = cuts[codes + 1] - xb
    lower = cuts[codes] - xb
    prob = cdf(upper) - cdf(lower)
    if np.any(~(prob > 0)) or np.any(np.diff(theta[k:]) <= 0):
        return -np.inf, None
    f_up = np.where(np.isfinite(upper), pdf(np.where(np.isfinite(upper), upper, 0.0)), 0.0)
    f_lo = np.where(np.isfinite(lower), pdf(np.where(np.isfinite(lower), lower, 0.0)), 0.0)
    score = np.empty(len(theta))
    score[:k] = -x.T @ ((f_up - f_lo) / prob)
    n_cuts = len(theta) - k
    for c in range(n_cuts):
        score[k + c] = (np.sum(f_up[codes == c] / prob[codes == c])
                        - np.sum(f_lo[codes == c + 1] / prob[codes == c + 1]))
    return float(np.sum(np.log(prob))), score


def newton_ordered(codes: np.ndarray, x: np.ndarray, link: str, start: np.ndarray,
                   *, tol: float = 1e-10, max_iter: int = 50):
    """Maximum likelihood of the ordered model in (coefficients, cutpoints) by Newton steps.

    Used for bootstrap replicates (statsmodels' numerical score makes each refit slow), with
    the analytic score and Hessian. Returns ``(theta, std_errors)`` or
    ``None`` if it does not converge.
    """
    theta = np.asarray(start, dtype=float).copy()
    value, score = _loglike_and_score(theta, codes, x, link)
    if score is None:
        return None
    for _ in range(max_iter):
        hessian = _hessian(theta, codes, x, link)
        if hessian is None:
            return None
        try:
            step = np.linalg.solve(hessian, -score)
        except np.linalg.LinAlgError:
            return None
        for _ in range(40):
            candidate = theta + step
            new_value, new_score = _loglike_and_score(candidate, codes, x, link)
            if new_score is not None and new_value >= value - 1e-12:
                break
            step = step / 2
        else:
            return None
        theta, value, score = candidate, new_value, new_score
        if np.max(np.abs(score)) < tol * max(1.0, len(codes)):
            hessian = _hessian(theta, codes, x, link)
            if hessian is None:
                return None
            covariance = np.linalg.inv(-hessian)
            diagonal = np.diag(covariance)
            if np.any(diagonal <= 0):
                return None
            return theta, np.sqrt(diagonal)
    return None


def _hessian(theta, codes, x, link):
    """The analytic Hessian of the log-likelihood in (coefficients, cutpoints).

    Each row's log-probability is ``log(F(u) - F(l))`` with ``u = c[y] - x b`` and
    ``l = c[y - 1] - x b``, both linear in the parameters with gradients ``du`` and ``dl``; its
    Hessian is ``(f'(u) du du' - f'(l) dl dl') / P - g g'`` with ``g`` the row's score. This
    replaces 2m score evaluations per Hessian (the bootstrap's main cost) by one pass.
    """
    n, k = x.shape
    m = len(theta)
    cdf, pdf = _DISTRIBUTIONS[link]
    cuts = np.concatenate([[-np.inf], theta[k:], [np.inf]])
    xb = x @ theta[:k]
    upper, lower = cuts[codes + 1] - xb, cuts[codes] - xb
    prob = cdf(upper) - cdf(lower)
    if np.any(~(prob > 0)) or np.any(np.diff(theta[k:]) <= 0):
        return None
    has_up, has_lo = np.isfinite(upper), np.isfinite(lower)
    u, lo = np.where(has_up, upper, 0.0), np.where(has_lo, lower, 0.0)
    f_up, f_lo = np.where(has_up, pdf(u), 0.0), np.where(has_lo, pdf(lo), 0.0)
    d_up = np.where(has_up, _pdf_slope(link, u), 0.0)
    d_lo = np.where(has_lo, _pdf_slope(link, lo), 0.0)
    rows = np.arange(n)
    du = np.zeros((n, m))
    dl = np.zeros((n, m))
    du[:, :k] = dl[:, :k] = -x
    du[rows[has_up], k + codes[has_up]] = 1.0
    dl[rows[has_lo], k + codes[has_lo] - 1] = 1.0
    score = (f_up / prob)[:, None] * du - (f_lo / prob)[:, None] * dl
    out = ((du * (d_up / prob)[:, None]).T @ du - (dl * (d_lo / prob)[:, None]).T @ dl
           - score.T @ score)
    return (out + out.T) / 2


def _pdf_slope(link: str, u: np.ndarray) -> np.ndarray:
    """``f'(u)``: the derivative of the latent error's density."""
    if link == "logit":
        p = expit(u)
        return p * (1.0 - p) * (1.0 - 2.0 * p)
    return -u * _normal_pdf(u)
