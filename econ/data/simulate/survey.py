"""The simulated cadre survey: Likert difficulties from a latent ordered-logit model.

For respondent ``i`` and difficulty ``j`` the latent severity is
``y*_ij = x_i' beta_j + eps_ij`` with ``x_i`` = indicators for municipal, provincial and central
units (county is the reference), a state-enterprise indicator and tenure in years; the answer is
``1 + #{k: y*_ij > c_jk}`` so ``P(answer <= k) = logistic(c_jk - x_i' beta_j)``. The four errors
of a respondent are standard logistic and correlated through a Gaussian copula, so every item's
marginal model is exactly an ordered logit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import logit, ndtr

from econ.data.dataset import Dataset
from econ.data.schema import DIFFICULTIES, SURVEY, categorical_dtype
from econ.data.simulate.panel import canonical, label_for, simulated_dataset

SURVEY_LEVELS = ("county", "municipal", "provincial", "central")
SURVEY_TYPES = ("government", "state_enterprise", "public_institution")
COEFFICIENTS = ("municipal", "provincial", "central", "state_enterprise", "tenure_years")


@dataclass(frozen=True)
class ItemModel:
    """Latent-model coefficients and cutpoints for one difficulty.

    Parameters
    ----------
    name
        The difficulty (one of ``schema.DIFFICULTIES``).
    level_effects
        Effects of municipal, provincial and central units relative to county units.
    enterprise
        Effect of being dispatched by a state enterprise.
    tenure_per_year
        Effect of each year in post.
    cutpoints
        The four increasing cutpoints ``c_1 < ... < c_4`` between answers 1-5.
    """

    name: str
    level_effects: tuple[float, float, float]
    enterprise: float
    tenure_per_year: float
    cutpoints: tuple[float, float, float, float]


_ITEMS = (
    ItemModel("fragmented_duties", (0.2, 0.4, 0.5), 0.0, 0.10, (-2.0, -0.8, 0.4, 1.6)),
    ItemModel("overlapping_roles", (-0.2, -0.4, -0.6), 0.2, -0.25, (-1.8, -0.6, 0.6, 1.8)),
    # Higher-level units command more resources, so mobilising them is less of a struggle.
    ItemModel("resource_mobilisation", (-0.7, -1.4, -2.0), -0.5, -0.10, (-2.5, -1.3, -0.2, 1.0)),
    # Cadres from higher units answer to their home unit as well as to county and township.
    ItemModel("multiple_managers", (0.3, 0.6, 0.8), 0.3, 0.0, (-1.5, -0.4, 0.8, 2.0)),
)


@dataclass(frozen=True)
class SurveyParams:
    """Parameters of the cadre survey.

    Parameters
    ----------
    level_shares
        Shares of respondents by level (county, municipal, provincial, central).
    type_shares
        Shares by kind of unit (government, state_enterprise, public_institution), independent
        of level.
    tenure_months
        Inclusive range of months in post, drawn uniformly.
    item_correlation
        Correlation of the Gaussian copula linking a respondent's four latent errors.
    items
        One :class:`ItemModel` per difficulty, in ``schema.DIFFICULTIES`` order.
    """

    level_shares: tuple[float, float, float, float] = (0.40, 0.30, 0.22, 0.08)
    type_shares: tuple[float, float, float] = (0.60, 0.15, 0.25)
    tenure_months: tuple[int, int] = (3, 30)
    item_correlation: float = 0.4
    items: tuple[ItemModel, ...] = field(default=_ITEMS)

    def __post_init__(self) -> None:
        if tuple(item.name for item in self.items) != DIFFICULTIES:
            raise ValueError(f"items must follow schema.DIFFICULTIES: {DIFFICULTIES}")
        for item in self.items:
            if list(item.cutpoints) != sorted(set(item.cutpoints)):
                raise ValueError(f"cutpoints of {item.name} must increase strictly")


@dataclass(frozen=True, eq=False)
class SurveyTruth:
    """The latent ordered-logit model behind the survey.

    Attributes
    ----------
    link
        ``"logit"``: ``P(answer <= k) = logistic(cutpoint_k - x' beta)``.
    coefficients
        ``beta`` by difficulty (rows) and regressor (columns: municipal, provincial, central,
        state_enterprise, tenure_years); reference is a county government or public-institution
        cadre with zero tenure.
    cutpoints
        Cutpoints by difficulty (rows) and threshold (``"1/2"`` ... ``"4/5"``).
    item_correlation
        Copula correlation of a respondent's latent errors (marginals stay logistic).
    """

    link: str
    coefficients: pd.DataFrame
    cutpoints: pd.DataFrame
    item_correlation: float


@dataclass(frozen=True, eq=False)
class SimulatedSurvey:
    """A simulated survey, its truth, parameters, seed and SIMULATED label."""

    data: pd.DataFrame
    truth: SurveyTruth
    params: SurveyParams
    config: str
    seed: int
    label: str

    @property
    def dataset(self) -> Dataset:
        """The survey as a validated :class:`~econ.data.dataset.Dataset` flagged as simulated."""
        return simulated_dataset(self.data, SURVEY, self.config, self.seed)


def design_matrix(level: pd.Series, unit_type: pd.Series,
                  tenure_months: pd.Series) -> pd.DataFrame:
    """The latent model's regressors, named as in ``SurveyTruth.coefficients``."""
    columns: dict[str, np.ndarray] = {name: (level == name).to_numpy(dtype=float)
                                      for name in SURVEY_LEVELS[1:]}
    columns["state_enterprise"] = (unit_type == "state_enterprise").to_numpy(dtype=float)
    columns["tenure_years"] = tenure_months.to_numpy(dtype=float) / 12.0
    return pd.DataFrame(columns, index=level.index)


def survey_truth(params: SurveyParams) -> SurveyTruth:
    """Tabulate the latent-model coefficients and cutpoints of ``params``."""
    names = [item.name for item in params.items]
    coefficients = pd.DataFrame(
        [(*item.level_effects, item.enterprise, item.tenure_per_year) for item in params.items],
        index=names, columns=list(COEFFICIENTS))
    cutpoints = pd.DataFrame([item.cutpoints for item in params.items], index=names,
                             columns=["1/2", "2/3", "3/4", "4/5"])
    return SurveyTruth("logit", coefficients, cutpoints, params.item_correlation)


def build_survey(params: SurveyParams, n: int, *, entropy: int) -> SimulatedSurvey:
    """Draw ``n`` respondents from the stream ``SeedSequence([entropy])``."""
    rng = np.random.default_rng(np.random.SeedSequence([entropy]))
    level = rng.choice(len(SURVEY_LEVELS), size=n, p=np.asarray(params.level_shares))
    kind = rng.choice(len(SURVEY_TYPES), size=n, p=np.asarray(params.type_shares))
    tenure = rng.integers(*params.tenure_months, size=n, endpoint=True)
    village = [f"C{c:02d}T{t:02d}V{v:03d}" for c, t, v in
               zip(rng.integers(1, 61, n), rng.integers(1, 17, n), rng.integers(1, 19, n),
                   strict=True)]
    k = len(params.items)
    rho = params.item_correlation
    chol = np.linalg.cholesky(np.full((k, k), rho) + (1.0 - rho) * np.eye(k))
    errors = logit(ndtr(rng.standard_normal((n, k)) @ chol.T))

    frame = pd.DataFrame({
        "respondent_id": pd.array([f"R{i + 1:04d}" for i in range(n)], dtype="str"),
        "unit_level": pd.Categorical.from_codes(level,
                                                dtype=categorical_dtype(SURVEY["unit_level"])),
        "unit_type": pd.Categorical.from_codes(kind,
                                               dtype=categorical_dtype(SURVEY["unit_type"])),
        "village_id": pd.array(village, dtype="str"),
        "tenure_months": pd.array(tenure, dtype="Int64"),
    })
    truth = survey_truth(params)
    x = design_matrix(frame["unit_level"], frame["unit_type"], frame["tenure_months"]).to_numpy()
    for j, item in enumerate(params.items):
        latent = x @ truth.coefficients.loc[item.name].to_numpy() + errors[:, j]
        answer = 1 + (latent[:, None] > np.asarray(item.cutpoints)).sum(axis=1)
        frame[item.name] = pd.array(answer, dtype="Int64")
    frame = canonical(frame[list(SURVEY.names)], SURVEY)
    return SimulatedSurvey(frame, truth, params, "cadre_survey", entropy,
                           label_for("cadre_survey", entropy))
