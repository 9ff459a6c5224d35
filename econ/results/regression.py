"""The immutable result of a regression: estimates, covariance, tests and summaries."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.linear import LinearFit
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.bootstrap.wild import wild_bootstrap
from econ.inference.covariance import CovarianceResult, CovarianceSpec, estimate_covariance
from econ.inference.distributions import f_sf, t_sf
from econ.inference.linear_combinations import (
    inference_table,
    linear_combinations,
    std_errors,
)
from econ.results.bootstrap import WildBootstrapTest
from econ.results.summary import Summary, SummaryDisplay

Hypothesis = str | Sequence[str] | tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class WaldTest:
    """``H0: R b = r``: F statistic with ``(q, df)`` degrees of freedom and its p-value."""

    statistic: float
    df_num: int
    df_denom: float
    pvalue: float
    hypothesis: str

    def __str__(self) -> str:
        return (f"Wald test {self.hypothesis}: F({self.df_num}, {self.df_denom:g}) = "
                f"{self.statistic:.4f}, p = {self.pvalue:.4g}")


@dataclass(frozen=True, eq=False, repr=False)
class RegressionResult(SummaryDisplay):
    """A fitted regression with one covariance choice; ``with_cov`` gives another.

    Built by the models (``econ.feols``) with the covariance already computed; properties
    return fresh pandas objects labelled by coefficient name.
    """

    fit: LinearFit
    cov_spec: CovarianceSpec
    covariance: CovarianceResult = field(repr=False)
    simulated: bool = False

    # estimates -------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return self.fit.names

    @property
    def outcome(self) -> str:
        return self.fit.outcome

    @property
    def fe_names(self) -> tuple[str, ...]:
        """The fixed effects absorbed."""
        return self.fit.fe_names

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.fit.params, index=self.names, name="estimate")

    @property
    def cov(self) -> pd.DataFrame:
        return pd.DataFrame(self.covariance.cov, index=self.names, columns=self.names)

    @property
    def std_errors(self) -> pd.Series:
        """Square roots of the variances.

        A variance that is zero in exact arithmetic can come out as -1e-16; such rounding is
        read as zero. A clearly negative variance (possible with multiway clustering, which is
        not positive semi-definite by construction) gives NaN and a warning.
        """
        errors = std_errors(self.covariance.cov)
        negative = np.isnan(errors)
        if negative.any():
            bad = [name for name, b in zip(self.names, negative, strict=True) if b]
            warnings.warn(f"negative variance for {bad} under {self.covariance.label}; its "
                          f"standard error is NaN", RuntimeWarning, stacklevel=2)
        return pd.Series(errors, index=self.names, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("t")

    @property
    def df_resid(self) -> float:
        """Degrees of freedom of t and F tests (the smallest, when coefficients differ)."""
        return self.covariance.df

    @property
    def df_by_coef(self) -> np.ndarray:
        """Each coefficient's t degrees of freedom (all ``df_resid`` unless CR2-Satterthwaite)."""
        own = self.covariance.df_by_coef
        return np.full(len(self.names), self.df_resid) if own is None else own

    @property
    def pvalues(self) -> pd.Series:
        p = 2 * t_sf(np.abs(self.tstats.to_numpy()), self.df_by_coef)
        return pd.Series(p, index=self.names, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Two-sided t intervals at ``level``: columns ``conf_low`` and ``conf_high``."""
        table = self.tidy(level).set_index("term")
        table.index.name = None
        return table[["conf_low", "conf_high"]]

    # fit statistics --------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.fit.nobs

    @property
    def r2(self) -> float:
        return 1 - self.fit.rss / self.fit.tss

    @property
    def r2_within(self) -> float:
        """R-squared of the within (fixed-effect-free) regression; NaN without fixed effects
        or varying slopes."""
        if not (self.fit.fe_names or self.fit.slopes):
            return float("nan")
        return 1 - self.fit.rss / self.fit.tss_within

    @property
    def dropped_rows(self) -> dict[str, int]:
        return dict(self.fit.dropped_rows)

    @property
    def dropped_coefficients(self) -> dict[str, str]:
        return {d.name: d.reason for d in self.fit.dropped_coefficients}

    # tests and variants ----------------------------------------------------------------
    def with_cov(self, spec: CovarianceSpec) -> RegressionResult:
        """The same fit with another covariance estimator (no refit).

        A cluster variable must be one the model was grouped by when fitted (``cov=`` or
        ``groups=``), so that every covariance uses the same rows.
        """
        return RegressionResult(self.fit, spec, estimate_covariance(self.fit, spec),
                                self.simulated)

    def lincom(self, R: np.ndarray | pd.DataFrame | Sequence[float],
               names: Sequence[str] | None = None, *, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors, t tests and intervals of linear combinations ``R b``.

        Parameters
        ----------
        R
            ``q x p`` weights over the coefficients (a vector for one combination); a
            DataFrame's columns are matched to the coefficient names (absent ones weigh 0).
        names
            A name for each combination (default ``"R[0]"``, ...).
        level
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``, with the
            covariance's degrees of freedom.
        """
        if isinstance(R, pd.DataFrame):
            unknown = [c for c in R.columns if c not in self.names]
            if unknown:
                raise KeyError(f"no coefficient {unknown}; coefficients: {list(self.names)}")
            matrix = R.reindex(columns=list(self.names), fill_value=0.0).to_numpy(float)
            labels = [str(i) for i in R.index] if names is None else list(names)
        else:
            matrix = np.atleast_2d(np.asarray(R, dtype=float))
            labels = ([f"R[{i}]" for i in range(matrix.shape[0])] if names is None
                      else list(names))
        return linear_combinations(self.fit.params, self.covariance.cov, self.df_resid,
                                   matrix, labels, level)

    def wald_test(self, R: np.ndarray | pd.DataFrame | str | list[str],
                  r: np.ndarray | float | None = None) -> WaldTest:
        """Test ``R b = r`` with the current covariance (F form, ``df_resid`` denominator df).

        ``R`` may be a matrix (rows = restrictions), or coefficient names (each set to zero).
        """
        names = list(self.names)
        if isinstance(R, str | list) and all(isinstance(x, str) for x in np.atleast_1d(R)):
            wanted = [R] if isinstance(R, str) else list(R)
            missing = [w for w in wanted if w not in names]
            if missing:
                raise KeyError(f"no coefficient {missing}; coefficients: {names}")
            matrix = np.zeros((len(wanted), len(names)))
            for i, w in enumerate(wanted):
                matrix[i, names.index(w)] = 1.0
            label = " = ".join(wanted) + " = 0"
        else:
            matrix = np.atleast_2d(np.asarray(R, dtype=float))
            label = "R b = r"
        if matrix.shape[1] != len(names):
            raise ValueError(f"R has {matrix.shape[1]} columns; the model has {len(names)} "
                             f"coefficients {names}")
        target = np.zeros(matrix.shape[0]) if r is None else np.atleast_1d(
            np.asarray(r, dtype=float))
        diff = matrix @ self.fit.params - target
        middle = matrix @ self.covariance.cov @ matrix.T
        q = matrix.shape[0]
        stat = float(diff @ np.linalg.solve(middle, diff)) / q
        p = float(f_sf(stat, q, self.df_resid))
        return WaldTest(stat, q, self.df_resid, p, label)

    def wild_bootstrap(self, hypothesis: Hypothesis, settings: WildBootstrap | None = None,
                       *, value: float | Sequence[float] = 0.0) -> WildBootstrapTest:
        """Wild cluster bootstrap test (and confidence interval) for few-cluster inference.

        Parameters
        ----------
        hypothesis
            A coefficient name (``b = value``), several names (joint test, each ``= value``),
            or ``(R, r)`` arrays over the coefficients.
        settings
            :class:`~econ.WildBootstrap` settings (replications, weight distribution, variant,
            clusters, seed, interval level); default ``WildBootstrap()``. The CRVE clusters
            default to those of this result's covariance (CR1, CR2 or CR3).
        value
            Hypothesised value(s) for named coefficients.
        """
        chosen = settings if settings is not None else WildBootstrap()
        R, r, label = self._restriction(hypothesis, value)
        outcome = wild_bootstrap(self.fit, R, r, spec=self.cov_spec, settings=chosen)
        return WildBootstrapTest(
            label, outcome.statistic, tuple(float(e) for e in outcome.estimate),
            outcome.std_error, outcome.pvalues, outcome.ci,
            chosen.ci_level if outcome.ci is not None else None, outcome.reps,
            outcome.enumerated, chosen.distribution, chosen.variant, chosen.restricted,
            outcome.cluster, outcome.bootstrap_cluster, outcome.bootstrap_clusters,
            chosen.seed, chosen.pvalue_rule, outcome.smallest_pvalue,
            outcome.dummies, outcome.draws if chosen.keep_draws else None, outcome.ci_mc_se)

    def _restriction(self, hypothesis: Hypothesis, value: float | Sequence[float]
                     ) -> tuple[np.ndarray, np.ndarray, str]:
        names = list(self.names)
        if isinstance(hypothesis, tuple) and len(hypothesis) == 2 and not isinstance(
                hypothesis[0], str):
            R = np.atleast_2d(np.asarray(hypothesis[0], dtype=float))
            r = np.atleast_1d(np.asarray(hypothesis[1], dtype=float))
            if R.shape[1] != len(names) or len(r) != R.shape[0]:
                raise ValueError(f"R must be q x {len(names)} and r length q; got {R.shape} "
                                 f"and {r.shape}")
            return R, r, "R b = r"
        wanted = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
        missing = [w for w in wanted if w not in names]
        if missing:
            raise KeyError(f"no coefficient {missing}; coefficients: {names}")
        values = np.broadcast_to(np.asarray(value, dtype=float), (len(wanted),)).copy()
        if not np.isfinite(values).all():
            raise ValueError(f"hypothesised value(s) {list(values)} must be finite numbers")
        R = np.zeros((len(wanted), len(names)))
        for i, w in enumerate(wanted):
            R[i, names.index(w)] = 1.0
        label = ", ".join(f"{w} = {v:g}" for w, v in zip(wanted, values, strict=True))
        return R, values, label

    # presentation ----------------------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per coefficient: estimate, std_error, statistic, p_value, conf bounds."""
        return inference_table(self.params.to_numpy(), self.std_errors.to_numpy(),
                               self.df_by_coef, level, {"term": list(self.names)})

    def summary(self) -> Summary:
        table = self.tidy()
        rows = tuple((str(row.term), f"{row.estimate:.4f}", f"{row.std_error:.4f}",
                      f"{row.statistic:.3f}", f"{row.p_value:.4f}",
                      f"[{row.conf_low:.4f}, {row.conf_high:.4f}]")
                     for row in table.itertuples())
        facts = [("Formula", self.fit.formula.text), ("Observations", f"{self.nobs:,}"),
                 ("Covariance", self.covariance.label), ("R-squared", f"{self.r2:.4f}")]
        if self.fit.fe_names:
            facts.append(("Fixed effects", " + ".join(self.fit.fe_names)))
        if self.fit.slopes:
            facts.append(("Varying slopes", ", ".join(self.fit.slope_names)))
        if self.fit.fe_names or self.fit.slopes:
            facts.append(("Within R-squared", f"{self.r2_within:.4f}"))
        if self.covariance.clusters:
            facts.append(("Clusters", ", ".join(
                f"{c}: {g}" for c, g in zip(self.covariance.clusters,
                                            self.covariance.n_clusters, strict=True))))
        notes = [f"Dropped rows: {k}: {v}" for k, v in self.dropped_rows.items()]
        notes += [f"Dropped coefficient {k}: {v}" for k, v in self.dropped_coefficients.items()]
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"OLS: {self.fit.outcome}", tuple(facts),
                       ("term", "estimate", "std. error", "t", "p", "95% CI"), rows,
                       tuple(notes))
