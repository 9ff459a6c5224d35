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
    below = int(np.sum(categories < HIGH))
    if below in (0, len(categories)):
        # Every answer is below 4, or none is: P(answer >= 4) does not depend on the level.
        return np.zeros(len(level_columns))
    cdf = _DISTRIBUTIONS[link][0]
    cut, slopes = _cutpoints(params, n_exog)[below - 1], params[:n_exog]
    switched = exog.copy()
    switched[:, list(level_columns)] = 0.0
    p0 = 1.0 - cdf(cut - switched @ slopes)
    out = np.empty(len(level_columns))
    for j, column in enumerate(level_columns):
        switched[:, column] = 1.0
        out[j] = np.mean(1.0 - cdf(cut - switched @ slopes) - p0)
        switched[:, column] = 0.0
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


class _OrderedLikelihood:
    """The ordered model's log-likelihood on one sample, evaluated by :meth:`at`.

    What depends only on the answers (which rows have a cutpoint above and below, the rows of
    each category, the fixed parts of the gradients of the bounds) is built once, so a Newton
    refit pays only for what changes with the parameters.
    """

    def __init__(self, codes: np.ndarray, x: np.ndarray, link: str, n_cuts: int) -> None:
        n, k = x.shape
        self.codes, self.x, self.link, self.k, self.n_cuts = codes, x, link, k, n_cuts
        self.in_category = [codes == c for c in range(self.n_cuts + 1)]
        # A row's bounds are u = c[y] - x b (none in the top category) and l = c[y - 1] - x b
        # (none in the bottom one); du and dl are their gradients in (b, c).
        self.has_up, self.has_lo = codes < self.n_cuts, codes > 0
        self.du, self.dl = np.zeros((n, k + self.n_cuts)), np.zeros((n, k + self.n_cuts))
        self.du[:, :k] = self.dl[:, :k] = -x
        rows = np.arange(n)
        self.du[rows[self.has_up], k + codes[self.has_up]] = 1.0
        self.dl[rows[self.has_lo], k + codes[self.has_lo] - 1] = 1.0

    def at(self, theta: np.ndarray) -> _Evaluation | None:
        """The log-likelihood and score at ``theta``; ``None`` outside the parameter space
        (a zero probability or cutpoints out of order)."""
        k = self.k
        cdf = _DISTRIBUTIONS[self.link][0]
        cuts = np.concatenate([[-np.inf], theta[k:], [np.inf]])
        xb = self.x @ theta[:k]
        upper = cuts[self.codes + 1] - xb
        lower = cuts[self.codes] - xb
        prob = cdf(upper) - cdf(lower)
        cutpoints = theta[k:]
        # Array methods rather than np.sum/np.any: refits are thousands of calls on ~100 rows,
        # where the functions' dispatch costs more than the sums.
        if not (prob > 0).all() or (cutpoints[1:] - cutpoints[:-1] <= 0).any():
            return None
        u = np.where(self.has_up, upper, 0.0)
        lo = np.where(self.has_lo, lower, 0.0)
        f_up, f_lo = np.where(self.has_up, _density(self.link, u), 0.0), np.where(
            self.has_lo, _density(self.link, lo), 0.0)
        score = np.empty(len(theta))
        score[:k] = -self.x.T @ ((f_up - f_lo) / prob)
        up_share, lo_share = f_up / prob, f_lo / prob
        for c in range(self.n_cuts):
            score[k + c] = (up_share[self.in_category[c]].sum()
                            - lo_share[self.in_category[c + 1]].sum())
        return _Evaluation(self, float(np.log(prob).sum()), score, u, lo, prob, up_share,
                           lo_share)


@dataclass(frozen=True)
class _Evaluation:
    """The log-likelihood at one point, its score, and what its Hessian needs."""

    likelihood: _OrderedLikelihood
    value: float
    score: np.ndarray
    u: np.ndarray
    lo: np.ndarray
    prob: np.ndarray
    up_share: np.ndarray
    lo_share: np.ndarray

    def hessian(self) -> np.ndarray:
        """The analytic Hessian of the log-likelihood in (coefficients, cutpoints).

        Each row's log-probability is ``log(F(u) - F(l))`` with ``u`` and ``l`` linear in the
        parameters with gradients ``du`` and ``dl``; its Hessian is
        ``(f'(u) du du' - f'(l) dl dl') / P - g g'`` with ``g`` the row's score. This replaces
        2m score evaluations per Hessian (the bootstrap's main cost) by one pass.
        """
        model, prob = self.likelihood, self.prob
        du, dl = model.du, model.dl
        d_up = np.where(model.has_up, _pdf_slope(model.link, self.u), 0.0)
        d_lo = np.where(model.has_lo, _pdf_slope(model.link, self.lo), 0.0)
        score = self.up_share[:, None] * du - self.lo_share[:, None] * dl
        out = ((du * (d_up / prob)[:, None]).T @ du - (dl * (d_lo / prob)[:, None]).T @ dl
               - score.T @ score)
        return (out + out.T) / 2


def _loglike_and_score(theta: np.ndarray, codes: np.ndarray, x: np.ndarray, link: str
                       ) -> tuple[float, np.ndarray | None]:
    """The log-likelihood and score at ``theta`` (``-inf`` and ``None`` outside the model)."""
    point = _OrderedLikelihood(codes, x, link, len(theta) - x.shape[1]).at(theta)
    return (-np.inf, None) if point is None else (point.value, point.score)


def _hessian(theta: np.ndarray, codes: np.ndarray, x: np.ndarray, link: str
             ) -> np.ndarray | None:
    """The analytic Hessian at ``theta`` (see :meth:`_Evaluation.hessian`)."""
    point = _OrderedLikelihood(codes, x, link, len(theta) - x.shape[1]).at(theta)
    return None if point is None else point.hessian()


def newton_ordered(codes: np.ndarray, x: np.ndarray, link: str, start: np.ndarray,
                   *, tol: float = 1e-10, max_iter: int = 50
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximum likelihood of the ordered model in (coefficients, cutpoints) by Newton steps.

    Used for bootstrap replicates (statsmodels' numerical score makes each refit slow), with
    the analytic score and Hessian. Returns ``(theta, std_errors)`` or
    ``None`` if it does not converge.
    """
    theta = np.asarray(start, dtype=float).copy()
    likelihood = _OrderedLikelihood(codes, x, link, len(theta) - x.shape[1])
    point = likelihood.at(theta)
    if point is None:
        return None
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(point.hessian(), -point.score)
        except np.linalg.LinAlgError:
            return None
        for _ in range(40):
            candidate = theta + step
            new_point = likelihood.at(candidate)
            if new_point is not None and new_point.value >= point.value - 1e-12:
                break
            step = step / 2
        else:
            return None
        theta, point = candidate, new_point
        if np.max(np.abs(point.score)) < tol * max(1.0, len(codes)):
            covariance = np.linalg.inv(-point.hessian())
            diagonal = np.diag(covariance)
            if np.any(diagonal <= 0):
                return None
            return theta, np.sqrt(diagonal)
    return None


def _density(link: str, u: np.ndarray) -> np.ndarray:
    """``f(u)``: the latent error's density."""
    return _DISTRIBUTIONS[link][1](u)


def _pdf_slope(link: str, u: np.ndarray) -> np.ndarray:
    """``f'(u)``: the derivative of the latent error's density."""
    if link == "logit":
        p = expit(u)
        return p * (1.0 - p) * (1.0 - 2.0 * p)
    return -u * _normal_pdf(u)
