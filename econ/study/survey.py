"""The cadre survey: difficulties by dispatching level.

- :func:`survey_descriptives`: mean, sd, respondents and share answering 4-5 ("agree" or
  "strongly agree") for each difficulty by level;
- :func:`survey_alpha`: Cronbach's alpha of a set of Likert items;
- :func:`ordered_models`: for each difficulty an ordered logit or probit (statsmodels
  ``OrderedModel``) on level dummies and controls, the average marginal effect of each level on
  ``P(answer >= 4)`` with respondent-bootstrap intervals, and Holm and Romano-Wolf adjustments
  of each level's coefficient across the difficulties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.io import read_survey
from econ.data.schema import DIFFICULTIES, SURVEY
from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.estimation.survey import cronbach_alpha, fit_item, level_descriptives
from econ.inference.multiple_testing import bootstrap_pvalues, holm, romano_wolf
from econ.inference.resampling import RESPONDENT_REPS
from econ.inference.respondent_bootstrap import bootstrap
from econ.results.survey import OrderedModels

LEVELS = SURVEY["unit_level"].categories
Link = Literal["logit", "probit"]


def _dataset(survey: Dataset | pd.DataFrame) -> Dataset:
    if isinstance(survey, Dataset):
        if survey.schema is not SURVEY:
            raise ValueError(f"expected a cadre survey, got a {survey.schema.name}")
        return survey
    # Validation rejects Likert answers outside the declared scale, unknown levels, etc.
    return read_survey(survey)


def survey_descriptives(survey: Dataset | pd.DataFrame, *,
                        items: Sequence[str] = DIFFICULTIES) -> pd.DataFrame:
    """Mean, sd, respondents and share answering 4-5, by dispatching level and item."""
    data = _dataset(survey).data
    _check_columns(data, items)
    return level_descriptives(data, items, LEVELS)


def survey_alpha(survey: Dataset | pd.DataFrame, *,
                 items: Sequence[str] = DIFFICULTIES) -> float:
    """Cronbach's alpha of ``items`` (respondents missing any item are dropped)."""
    data = _dataset(survey).data
    _check_columns(data, items)
    return cronbach_alpha(data[list(items)].astype("float64"))


def ordered_models(
    survey: Dataset | pd.DataFrame,
    *,
    items: Sequence[str] = DIFFICULTIES,
    link: Link = "logit",
    controls: Sequence[str] = ("tenure_months",),
    reference_unit: str = "county",
    reps: int = RESPONDENT_REPS,
    seed: Seed = DEFAULT_SEED,
    level: float = 0.95,
    chunk_size: int = 64,
) -> OrderedModels:
    """Ordered logit/probit of each difficulty on dispatching-level dummies and controls.

    Parameters
    ----------
    survey
        A validated cadre survey, or a DataFrame (validated here, so answers outside the Likert
        scale are rejected).
    items
        Likert items, each modelled separately.
    link
        ``"logit"`` or ``"probit"``.
    controls
        Numeric columns entered linearly.
    reference_unit
        The omitted level; every other level present in the schema gets a dummy.
    reps
        Respondent-bootstrap replicates (all items resampled together); ``0`` skips the
        bootstrap (no intervals, no Romano-Wolf p-values).
    seed
        Seed of the bootstrap; replicate ``r`` uses ``SeedSequence(seed).spawn(reps)[r]``.
    level
        Confidence level of the percentile intervals of the marginal effects.
    chunk_size
        Replicates computed per pass; results do not depend on it.

    Notes
    -----
    Respondents missing the level, any item or any control are dropped (listwise), so all
    items share one sample and one bootstrap. The marginal effect of level ``l`` is the mean
    over respondents of ``P(answer >= 4 | l) - P(answer >= 4 | reference)``, controls at their
    observed values, computed from the fitted cutpoints and coefficients.
    """
    if link not in ("logit", "probit"):
        raise ValueError(f"link must be 'logit' or 'probit', not {link!r}")
    if reference_unit not in LEVELS:
        raise ValueError(f"reference_unit must be one of {LEVELS}, not {reference_unit!r}")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    dataset = _dataset(survey)
    data = dataset.data
    _check_columns(data, [*items, *controls])
    used = data[["unit_level", *items, *controls]].dropna()
    counts = used["unit_level"].value_counts()
    empty = [name for name in LEVELS if counts.get(name, 0) == 0]
    if empty:
        raise ValueError(f"no respondents (with complete answers) at level(s) {empty}; drop "
                         "the level or pool it with another before fitting")
    others = [name for name in LEVELS if name != reference_unit]
    exog = pd.DataFrame({name: (used["unit_level"] == name).to_numpy(dtype=float)
                         for name in others})
    for name in controls:
        if not (pd.api.types.is_numeric_dtype(used[name]) or pd.api.types.is_bool_dtype(
                used[name])):
            raise ValueError(f"control {name!r} is not numeric")
        exog[name] = used[name].to_numpy(dtype=float)
    answers = np.column_stack([used[item].to_numpy(dtype=float) for item in items])
    for j, item in enumerate(items):
        observed = np.unique(answers[:, j])
        if len(observed) < 2:
            raise ValueError(f"item {item!r} has a single observed answer "
                             f"({observed[0]:g}); an ordered model needs at least two")
    level_columns = list(range(len(others)))
    fits = [fit_item(answers[:, j], exog, level_columns, link) for j in range(len(items))]

    draws = (bootstrap(answers, exog, level_columns, link, fits, reps=reps, seed=seed,
                       chunk_size=chunk_size) if reps > 0 else None)
    coefficients = _coefficients(items, exog, len(others), fits, draws)
    effects = _effects(items, others, fits, draws, level)
    cutpoints = pd.DataFrame(
        [pd.Series(fit.cutpoints, index=[f"{a:g}/{b:g}" for a, b in
                                         zip(fit.categories[:-1], fit.categories[1:],
                                             strict=True)]) for fit in fits],
        index=list(items))
    return OrderedModels(
        coefficients=coefficients, cutpoints=cutpoints, marginal_effects=effects,
        descriptives=level_descriptives(data, items, LEVELS), link=link,
        reference_unit=reference_unit, controls=tuple(controls), nobs=len(used), reps=reps,
        seed=entropy(seed) if draws is None else draws.seed, level=level,
        redrawn=0 if draws is None else draws.redrawn,
        simulated=dataset.simulated)


def _check_columns(data: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise ValueError(f"columns not in the survey: {missing}")


def _coefficients(items, exog, n_levels, fits, draws) -> pd.DataFrame:
    k = exog.shape[1]
    frames = []
    for item, fit in zip(items, fits, strict=True):
        frames.append(pd.DataFrame({
            "item": item, "term": list(exog.columns),
            "estimate": fit.params.to_numpy()[:k], "std_error": fit.std_errors.to_numpy()[:k],
            "z": fit.params.to_numpy()[:k] / fit.std_errors.to_numpy()[:k],
            "p_value": fit.pvalues.to_numpy()[:k]}))
    out = pd.concat(frames, ignore_index=True)
    out["p_holm"] = np.nan
    out["p_bootstrap"] = np.nan
    out["p_romano_wolf"] = np.nan
    for c in range(n_levels):
        rows = (out["term"] == exog.columns[c]).to_numpy()
        out.loc[rows, "p_holm"] = holm(out.loc[rows, "p_value"].to_numpy())
        if draws is not None:
            estimates = out.loc[rows, "estimate"].to_numpy()
            t_obs = out.loc[rows, "z"].to_numpy()
            t_boot = (draws.params[:, :, c] - estimates) / draws.std_errors[:, :, c]
            out.loc[rows, "p_bootstrap"] = bootstrap_pvalues(t_obs, t_boot)
            out.loc[rows, "p_romano_wolf"] = romano_wolf(t_obs, t_boot)
    return out


def _effects(items, others, fits, draws, level) -> pd.DataFrame:
    rows = []
    alpha = (1 - level) / 2
    for j, (item, fit) in enumerate(zip(items, fits, strict=True)):
        for c, name in enumerate(others):
            row = {"item": item, "level": name, "ame": float(fit.marginal_effects[name]),
                   "ame_std_error": np.nan, "conf_low": np.nan, "conf_high": np.nan}
            if draws is not None:
                values = draws.marginal_effects[:, j, c]
                row["ame_std_error"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
                row["conf_low"], row["conf_high"] = np.quantile(values, [alpha, 1 - alpha])
            rows.append(row)
    return pd.DataFrame(rows)
