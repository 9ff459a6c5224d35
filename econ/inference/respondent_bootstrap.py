"""Respondent bootstrap of the cadre survey's ordered models.

Respondents are resampled with replacement, all items together, and every item's ordered model
is refitted (:func:`econ.estimation.survey.newton_ordered_items`, started at the full-sample
fit).
Replicate ``b``'s resamples are :func:`econ.inference.resampling.resampled_rows`, drawn from
the stream all resampling engines share, so they depend only on the seed and ``b``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd

from econ.data.seeds import Seed, entropy
from econ.estimation.survey import OrderedFit, level_effects, newton_ordered_items
from econ.inference.resampling import resampled_rows


@dataclass(frozen=True)
class RespondentDraws:
    """Respondent-bootstrap replicates: coefficients, their standard errors and the AMEs.

    Arrays are (replicate, item, regressor) and (replicate, item, level); ``redrawn`` counts
    resamples discarded (a level or an answer category missing, or no convergence); ``seed``
    is the stream's entropy, which reproduces the draws when passed back as the seed.
    """

    params: np.ndarray
    std_errors: np.ndarray
    marginal_effects: np.ndarray
    redrawn: int
    seed: int


def bootstrap(answers: np.ndarray, exog: pd.DataFrame, level_columns: Sequence[int],
              link: str, fits: Sequence[OrderedFit], *, reps: int, seed: Seed,
              chunk_size: int = 64, max_redraws: int = 1000) -> RespondentDraws:
    """Resample respondents (all items together) and refit every item.

    Parameters
    ----------
    answers
        ``(n, items)`` answers of the respondents used in ``fits``.
    exog
        The ``n``-row design of the fits: level dummies and controls.
    level_columns
        Positions in ``exog`` of the level dummies.
    link
        ``"logit"`` or ``"probit"``.
    fits
        The full-sample fits, one per item: their estimates start each refit, and their answer
        categories must all be present in a resample.
    reps
        Number of replicates.
    seed
        Seed of the resamples (an ``int`` or a generator, read once).
    chunk_size
        Accepted for :func:`econ.study.survey.ordered_models`; replicates are refitted one at a
        time, so it changes nothing.
    max_redraws
        Resamples tried per replicate before giving up.

    Returns
    -------
    RespondentDraws
        The replicates' estimates, the count of discarded resamples and the resolved seed.

    Raises
    ------
    ValueError
        If ``reps`` is below 1.
    RuntimeError
        If a replicate finds no usable resample in ``max_redraws`` tries.

    Notes
    -----
    A resample in which a level or one of an item's observed answer categories is absent, or a
    fit that does not converge, is replaced by the next resample of the same replicate.
    """
    if reps < 1:
        raise ValueError("reps must be at least 1")
    n, n_items = answers.shape
    k = exog.shape[1]
    x = exog.to_numpy(dtype=float)
    levels = x[:, list(level_columns)]
    resolved = entropy(seed)
    params = np.empty((reps, n_items, k))
    ses = np.empty((reps, n_items, k))
    ames = np.empty((reps, n_items, len(level_columns)))
    redrawn = 0
    for r in range(reps):
        for rows in islice(resampled_rows(n, resolved, r), max_redraws):
            # Column-major, as the DataFrame gives it: the products then add in the same order.
            draw = _replicate(answers[rows], np.asfortranarray(x[rows]), levels[rows],
                              level_columns, link, fits)
            if draw is not None:
                params[r], ses[r], ames[r] = draw
                break
            redrawn += 1
        else:
            raise RuntimeError(f"bootstrap replicate {r}: no usable resample in "
                               f"{max_redraws} draws")
    return RespondentDraws(params, ses, ames, redrawn, resolved)


def _replicate(answers: np.ndarray, x: np.ndarray, levels: np.ndarray,
               level_columns: Sequence[int], link: str, fits: Sequence[OrderedFit]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    # A level absent, or nobody at the reference level (the dummies then sum to one, like
    # a shift of the cutpoints), leaves the model unidentified; the caller redraws.
    if np.any(levels.sum(axis=0) == 0) or np.all(levels.sum(axis=1) == 1):
        return None
    k = x.shape[1]
    out_p = np.empty((len(fits), k))
    out_se = np.empty((len(fits), k))
    out_ame = np.empty((len(fits), len(level_columns)))
    for j, fit in enumerate(fits):
        if not np.array_equal(np.unique(answers[:, j]), fit.categories):
            return None
    # Items with as many answer categories are refitted together.
    for size in sorted({len(fit.categories) for fit in fits}):
        items = [j for j, fit in enumerate(fits) if len(fit.categories) == size]
        codes = np.array([np.searchsorted(fits[j].categories, answers[:, j]) for j in items])
        start = np.array([np.concatenate([np.asarray(fits[j].params)[:k], fits[j].cutpoints])
                          for j in items])
        solved = newton_ordered_items(codes, x, link, start)
        if solved is None:
            return None
        for j, theta, se in zip(items, *solved, strict=True):
            # Back to statsmodels' parameterisation for the probability functions.
            params = np.concatenate([theta[:k], theta[k:k + 1], np.log(np.diff(theta[k:]))])
            out_p[j], out_se[j] = theta[:k], se[:k]
            out_ame[j] = level_effects(params, x, level_columns, fits[j].categories, link)
    return out_p, out_se, out_ame
