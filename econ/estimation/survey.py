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
#: The link whose latent error is the scipy.stats distribution of this name.
_LINKS = {"logistic": "logit", "norm": "probit"}


class _OrderedModel(OrderedModel):
    """statsmodels' ordered model, its latent cdf called as the ufunc that scipy.stats'
    ``logistic.cdf`` and ``norm.cdf`` evaluate (``expit``, ``ndtr``).

    The values are the same bit for bit, the infinite outer cutpoints included, so the BFGS
    path, estimates and standard errors are statsmodels' own; the wrapper's argument handling,
    skipped here, was four fifths of a fit's time (its score and Hessian are finite
    differences of the log-likelihood).
    """

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return _DISTRIBUTIONS[_LINKS[self.distr.name]][0](x)


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
    model = _OrderedModel(np.asarray(y), exog, distr=link)
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


class _OrderedLikelihoods:
    """Ordered-model log-likelihoods of several items answered by the same respondents.

    The items share the design ``x`` and the number of cutpoints, so a bootstrap replicate
    refits all of them in one Newton iteration on stacked arrays: the per-call cost of numpy
    on ~100 rows, not the arithmetic, is what a refit spends its time on. What depends only
    on the answers (which rows have a cutpoint above and below, the fixed parts of the
    gradients of the bounds) is built once.
    """

    def __init__(self, codes: np.ndarray, x: np.ndarray, link: str, n_cuts: int) -> None:
        items, n = codes.shape
        k = x.shape[1]
        self.codes, self.x, self.link, self.k, self.n_cuts = codes, x, link, k, n_cuts
        # A row's bounds are u = c[y] - x b (none in the top category) and l = c[y - 1] - x b
        # (none in the bottom one); du and dl are their gradients in (b, c).
        self.has_up, self.has_lo = codes < n_cuts, codes > 0
        self.du, self.dl = np.zeros((items, n, k + n_cuts)), np.zeros((items, n, k + n_cuts))
        self.du[:, :, :k] = self.dl[:, :, :k] = -x
        item, row = np.nonzero(self.has_up)
        self.du[item, row, k + codes[item, row]] = 1.0
        item, row = np.nonzero(self.has_lo)
        self.dl[item, row, k + codes[item, row] - 1] = 1.0
        # Each answer's category numbered across items, to total every item's categories with
        # one bincount.
        self.category = codes + (n_cuts + 1) * np.arange(items)[:, None]

    def at(self, theta: np.ndarray, items: np.ndarray) -> _Points:
        """Log-likelihoods and scores of ``items`` at the rows of ``theta``; a row outside
        the parameter space (a zero probability or cutpoints out of order) is not valid."""
        k, n_cuts = self.k, self.n_cuts
        cdf, pdf = _DISTRIBUTIONS[self.link]
        codes, has_up, has_lo = self.codes[items], self.has_up[items], self.has_lo[items]
        ends = np.full((len(items), 1), np.inf)
        cuts = np.concatenate([-ends, theta[:, k:], ends], axis=1)
        xb = theta[:, :k] @ self.x.T
        rows = np.arange(len(items))[:, None]
        upper = cuts[rows, codes + 1] - xb
        lower = cuts[rows, codes] - xb
        prob = cdf(upper) - cdf(lower)
        cutpoints = theta[:, k:]
        valid = (prob > 0).all(axis=1) & ~(cutpoints[:, 1:] - cutpoints[:, :-1] <= 0).any(axis=1)
        u, lo = np.where(has_up, upper, 0.0), np.where(has_lo, lower, 0.0)
        # A row that is not valid may divide by a zero probability; it is discarded.
        with np.errstate(divide="ignore", invalid="ignore"):
            f_up, f_lo = np.where(has_up, pdf(u), 0.0), np.where(has_lo, pdf(lo), 0.0)
            up_share, lo_share = f_up / prob, f_lo / prob
            score = np.empty(theta.shape)
            score[:, :k] = -((f_up - f_lo) / prob) @ self.x
            size = len(self.codes) * (n_cuts + 1)
            categories = self.category[items].ravel()
            up_sums = np.bincount(categories, up_share.ravel(), size).reshape(-1, n_cuts + 1)
            lo_sums = np.bincount(categories, lo_share.ravel(), size).reshape(-1, n_cuts + 1)
            score[:, k:] = up_sums[items, :n_cuts] - lo_sums[items, 1:]
            value = np.where(valid, np.log(prob).sum(axis=1), -np.inf)
        return _Points(valid, value, score, u, lo, prob, up_share, lo_share)

    def hessians(self, items: np.ndarray, points: _Points) -> np.ndarray:
        """The analytic Hessians of the log-likelihoods of ``items`` at ``points``.

        Each row's log-probability is ``log(F(u) - F(l))`` with ``u`` and ``l`` linear in the
        parameters with gradients ``du`` and ``dl``; its Hessian is
        ``(f'(u) du du' - f'(l) dl dl') / P - g g'`` with ``g`` the row's score. This replaces
        2m score evaluations per Hessian by one pass.
        """
        du, dl = self.du[items], self.dl[items]
        prob = points.prob
        d_up = np.where(self.has_up[items], _pdf_slope(self.link, points.u), 0.0)
        d_lo = np.where(self.has_lo[items], _pdf_slope(self.link, points.lo), 0.0)
        rows = points.up_share[..., None] * du - points.lo_share[..., None] * dl
        out = (_cross(du * (d_up / prob)[..., None], du) - _cross(dl * (d_lo / prob)[..., None], dl)
               - _cross(rows, rows))
        return (out + out.transpose(0, 2, 1)) / 2


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a' b`` for each item of the stacks ``a`` and ``b``."""
    return a.transpose(0, 2, 1) @ b


@dataclass(frozen=True)
class _Points:
    """Log-likelihoods at one point per item, their scores, and what the Hessians need."""

    valid: np.ndarray
    value: np.ndarray
    score: np.ndarray
    u: np.ndarray
    lo: np.ndarray
    prob: np.ndarray
    up_share: np.ndarray
    lo_share: np.ndarray

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.valid, self.value, self.score, self.u, self.lo, self.prob, self.up_share,
                self.lo_share)

    def take(self, rows: np.ndarray) -> _Points:
        """The points of ``rows``."""
        return _Points(*(a[rows] for a in self.arrays()))

    def put(self, rows: np.ndarray, other: _Points) -> None:
        """Replace the points of ``rows`` by ``other``'s."""
        for mine, theirs in zip(self.arrays(), other.arrays(), strict=True):
            mine[rows] = theirs


def _loglike_and_score(theta: np.ndarray, codes: np.ndarray, x: np.ndarray, link: str
                       ) -> tuple[float, np.ndarray | None]:
    """The log-likelihood and score at ``theta`` (``-inf`` and ``None`` outside the model)."""
    model = _OrderedLikelihoods(codes[None, :], x, link, len(theta) - x.shape[1])
    point = model.at(theta[None, :], np.zeros(1, dtype=int))
    return (float(point.value[0]), point.score[0]) if point.valid[0] else (-np.inf, None)


def _hessian(theta: np.ndarray, codes: np.ndarray, x: np.ndarray, link: str
             ) -> np.ndarray | None:
    """The analytic Hessian at ``theta`` (see :meth:`_OrderedLikelihoods.hessians`)."""
    model = _OrderedLikelihoods(codes[None, :], x, link, len(theta) - x.shape[1])
    first = np.zeros(1, dtype=int)
    point = model.at(theta[None, :], first)
    return model.hessians(first, point)[0] if point.valid[0] else None


def newton_ordered(codes: np.ndarray, x: np.ndarray, link: str, start: np.ndarray,
                   *, tol: float = 1e-10, max_iter: int = 50
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximum likelihood of the ordered model in (coefficients, cutpoints) by Newton steps.

    Used for bootstrap replicates (statsmodels' numerical score makes each refit slow), with
    the analytic score and Hessian. Returns ``(theta, std_errors)`` or
    ``None`` if it does not converge.
    """
    solved = newton_ordered_items(codes[None, :], x, link, np.asarray(start)[None, :],
                                  tol=tol, max_iter=max_iter)
    return None if solved is None else (solved[0][0], solved[1][0])


def newton_ordered_items(codes: np.ndarray, x: np.ndarray, link: str, start: np.ndarray,
                         *, tol: float = 1e-10, max_iter: int = 50
                         ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`newton_ordered` for several items at once (rows of ``codes`` and ``start``).

    The items share ``x`` and their number of answer categories; each takes its own Newton
    steps and step halvings, and stops when its own score is small. Returns the
    ``(items, parameters)`` estimates and standard errors, or ``None`` if any item does not
    converge.
    """
    theta = np.asarray(start, dtype=float).copy()
    model = _OrderedLikelihoods(codes, x, link, theta.shape[1] - x.shape[1])
    active = np.arange(len(theta))
    points = model.at(theta, active)
    if not points.valid.all():
        return None
    std_errors = np.empty(theta.shape)
    limit = tol * max(1.0, codes.shape[1])
    for _ in range(max_iter):
        current = points.take(active)
        try:
            step = np.linalg.solve(model.hessians(active, current),
                                   -current.score[..., None])[..., 0]
        except np.linalg.LinAlgError:
            return None
        pending = active
        for _ in range(40):
            candidate = theta[pending] + step
            found = model.at(candidate, pending)
            better = found.valid & (found.value >= points.value[pending] - 1e-12)
            theta[pending[better]] = candidate[better]
            points.put(pending[better], found.take(better))
            pending, step = pending[~better], step[~better] / 2
            if not len(pending):
                break
        else:
            return None
        done = np.abs(points.score[active]).max(axis=1) < limit
        if done.any():
            finished = active[done]
            covariance = np.linalg.inv(-model.hessians(finished, points.take(finished)))
            diagonal = np.diagonal(covariance, axis1=1, axis2=2)
            if np.any(diagonal <= 0):
                return None
            std_errors[finished] = np.sqrt(diagonal)
            active = active[~done]
            if not len(active):
                return theta, std_errors
    return None


def _pdf_slope(link: str, u: np.ndarray) -> np.ndarray:
    """``f'(u)``: the derivative of the latent error's density."""
    if link == "logit":
        p = expit(u)
        return p * (1.0 - p) * (1.0 - 2.0 * p)
    return -u * _normal_pdf(u)
