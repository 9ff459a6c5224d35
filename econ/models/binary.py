"""Binary-outcome models (logit, probit) of a 0/1 outcome on group indicators.

A group whose outcomes are all 0 or all 1 separates the data: its coefficient diverges and its
fitted probability is that boundary. Such groups are reported as separated and given their
boundary probability; the model is fitted on the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

Link = Literal["logit", "probit"]


@dataclass(frozen=True)
class GroupProbabilities:
    """Fitted probability of the outcome in each group, and the groups that separate."""

    link: Link
    probability: dict[object, float]
    separated: tuple[object, ...]


def group_probabilities(outcome: pd.Series, groups: pd.Series, *, link: Link
                        ) -> GroupProbabilities:
    """Logit or probit (statsmodels) of ``outcome`` (0/1) on one indicator per group."""
    if link not in ("logit", "probit"):
        raise ValueError(f"link must be 'logit' or 'probit', not {link!r}")
    values = outcome.to_numpy(dtype=float)
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"{outcome.name!r} must be 0/1 without missing values")
    dummies = pd.get_dummies(groups.astype(object), dtype=float)
    # DataFrame @ 1-D array is a Series (pandas-stubs say DataFrame).
    means = cast(pd.Series, dummies.T @ values) / dummies.sum()
    separated = tuple(g for g in dummies.columns if means[g] in (0.0, 1.0))
    interior = [g for g in dummies.columns if g not in separated]
    probability: dict[object, float] = {g: float(means[g]) for g in separated}
    if interior:
        # Imported when a model is fitted, and from its module: statsmodels.api would also
        # import the formula, graphics and dataset modules (about a second).
        from statsmodels.discrete.discrete_model import Logit, Probit

        rows = groups.isin(interior).to_numpy()
        model = Logit if link == "logit" else Probit
        estimate = model(values[rows], dummies.loc[rows, interior].to_numpy()).fit(disp=0)
        fitted = estimate.predict(np.eye(len(interior)))
        probability.update(zip(interior, (float(p) for p in fitted), strict=True))
    return GroupProbabilities(link, probability, separated)
