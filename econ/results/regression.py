"""The immutable result of a regression: estimates, covariance, tests and summaries."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.linear import LinearFit
from econ.inference.bootstrap.weights import Distribution
from econ.inference.bootstrap.wild import wild_bootstrap
from econ.inference.covariance import (
    Cluster,
    CovarianceResult,
    CovarianceSpec,
    cluster_codes,
)
from econ.results.bootstrap import WildBootstrapTest
from econ.results.summary import Summary, SummaryDisplay


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

    All arrays are read-only views; properties return fresh pandas objects labelled by
    coefficient name.
    """

    fit: LinearFit
    cov_spec: CovarianceSpec
    simulated: bool = False
    covariance: CovarianceResult = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Computed at once so that warnings about the clusters appear at the fit, not later.
        object.__setattr__(self, "covariance", self.cov_spec.compute(self.fit))

    # estimates -------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return self.fit.names

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
        variances = np.diag(self.covariance.cov).copy()
        rounding = 1e-12 * max(float(np.abs(self.covariance.cov).max()), 1e-300)
        variances[(variances < 0) & (variances > -rounding)] = 0.0
        negative = variances < 0
        if negative.any():
            bad = [name for name, b in zip(self.names, negative, strict=True) if b]
            warnings.warn(f"negative variance for {bad} under {self.covariance.label}; its "
                          f"standard error is NaN", RuntimeWarning, stacklevel=2)
            variances[negative] = np.nan
        return pd.Series(np.sqrt(variances), index=self.names, name="std_error")

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
        p = 2 * stats.t.sf(np.abs(self.tstats.to_numpy()), self.df_by_coef)
        return pd.Series(p, index=self.names, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Two-sided t intervals at ``level``."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        q = stats.t.ppf(0.5 + level / 2, self.df_by_coef)
        half = q * self.std_errors
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    # fit statistics --------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.fit.nobs

    @property
    def r2(self) -> float:
        return 1 - self.fit.rss / self.fit.tss

    @property
    def r2_within(self) -> float:
        """R-squared of the within (fixed-effect-free) regression; NaN without fixed effects."""
        if not self.fit.fe_names:
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
        """The same fit with another covariance estimator (no refit)."""
        return RegressionResult(self.fit, spec, self.simulated)

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
        p = float(stats.f.sf(stat, q, self.df_resid))
        return WaldTest(stat, q, self.df_resid, p, label)

    def wild_bootstrap(
        self,
        hypothesis: str | Sequence[str] | tuple[np.ndarray, np.ndarray],
        *,
        value: float | Sequence[float] = 0.0,
        reps: int = 9999,
        weights: Distribution = "rademacher",
        restricted: bool = True,
        variant: str = "11",
        cluster: str | Sequence[str] | None = None,
        bootstrap_cluster: str | Sequence[str] | None = None,
        seed: int = 20240501,
        ci_level: float | None = 0.95,
        chunk_size: int = 16384,
        threads: int | None = None,
        keep_draws: bool = False,
    ) -> WildBootstrapTest:
        """Wild cluster bootstrap test (and confidence interval) for few-cluster inference.

        Parameters
        ----------
        hypothesis
            A coefficient name (``b = value``), several names (joint test, each ``= value``),
            or ``(R, r)`` arrays over the coefficients.
        value
            Hypothesised value(s) for named coefficients.
        reps
            Replications B; with Rademacher weights and ``2^G <= B`` all ``2^G`` sign patterns
            are used instead (``enumerated`` is then true).
        weights
            ``"rademacher"``, ``"webb"`` (six-point, for very few clusters), ``"mammen"`` or
            ``"normal"``.
        restricted
            Impose the null on the bootstrap DGP (WCR, recommended) or not (WCU).
        variant
            ``"11"``, ``"13"``, ``"31"`` or ``"33"`` (MacKinnon, Nielsen and Webb 2023): first
            digit the DGP residuals (3 = jackknife), second the variance (3 = CV3).
        cluster
            CRVE cluster variable(s); by default those of the result's ``Cluster`` covariance.
            Several give multiway (Cameron-Gelbach-Miller) variances.
        bootstrap_cluster
            Variable(s) whose groups share a weight (several: their intersection).
            A finer variable gives the subcluster bootstrap (cluster by county, bootstrap by
            township). Default: the cluster variable (one-way), or the clustering dimension with
            the fewest clusters (multiway).
        seed
            Seed of the weight stream; results are identical for a seed whatever
            ``chunk_size``.
        ci_level
            Level of the confidence interval (one restriction), or ``None`` for none.
        chunk_size
            Replications processed at once (memory is O(chunk_size x G) per thread).
        threads
            Chunks processed in parallel (default: all cores). Results are identical bit for
            bit whatever ``threads`` and ``chunk_size``.
        keep_draws
            Keep the bootstrap statistics in the result.
        """
        R, r, label = self._restriction(hypothesis, value)
        clusters = self._cluster_names(cluster)
        if bootstrap_cluster is None and len(clusters) > 1:
            # Multiway: bootstrap by the dimension with the fewest clusters, as MacKinnon,
            # Nielsen and Webb (2021) recommend.
            sizes = [int(cluster_codes(self.fit, c).max()) + 1 for c in clusters]
            boot: tuple[str, ...] = (clusters[int(np.argmin(sizes))],)
        elif bootstrap_cluster is None:
            boot = clusters
        else:
            boot = ((bootstrap_cluster,) if isinstance(bootstrap_cluster, str)
                    else tuple(bootstrap_cluster))
        ssc = self.cov_spec.ssc if isinstance(self.cov_spec, Cluster) else Cluster(
            *clusters).ssc
        outcome = wild_bootstrap(self.fit, R, r, cluster=clusters, bootstrap_cluster=boot,
                                 reps=reps, weights=weights, restricted=restricted,
                                 variant=variant, seed=seed, ci_level=ci_level,
                                 chunk_size=chunk_size, threads=threads, ssc=ssc)
        return WildBootstrapTest(
            label, outcome.statistic, tuple(float(e) for e in outcome.estimate),
            outcome.std_error, outcome.pvalues, outcome.ci,
            ci_level if outcome.ci is not None else None, outcome.reps, outcome.enumerated,
            weights, variant, restricted, clusters, boot, outcome.bootstrap_clusters, seed,
            outcome.dummies, outcome.draws if keep_draws else None)

    def _cluster_names(self, cluster: str | Sequence[str] | None) -> tuple[str, ...]:
        if cluster is not None:
            return (cluster,) if isinstance(cluster, str) else tuple(cluster)
        if isinstance(self.cov_spec, Cluster):
            return self.cov_spec.by
        raise ValueError("wild_bootstrap needs cluster=...: this result's covariance is "
                         f"{self.covariance.label}, not clustered")

    def _restriction(self, hypothesis, value) -> tuple[np.ndarray, np.ndarray, str]:
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
        R = np.zeros((len(wanted), len(names)))
        for i, w in enumerate(wanted):
            R[i, names.index(w)] = 1.0
        label = ", ".join(f"{w} = {v:g}" for w, v in zip(wanted, values, strict=True))
        return R, values, label

    # presentation ----------------------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per coefficient: estimate, std_error, statistic, p_value, conf bounds."""
        ci = self.conf_int(level)
        return pd.DataFrame({
            "term": list(self.names), "estimate": self.params.to_numpy(),
            "std_error": self.std_errors.to_numpy(), "statistic": self.tstats.to_numpy(),
            "p_value": self.pvalues.to_numpy(), "conf_low": ci["lower"].to_numpy(),
            "conf_high": ci["upper"].to_numpy(),
        })

    def summary(self) -> Summary:
        table = self.tidy()
        rows = tuple((row.term, f"{row.estimate:.4f}", f"{row.std_error:.4f}",
                      f"{row.statistic:.3f}", f"{row.p_value:.4f}",
                      f"[{row.conf_low:.4f}, {row.conf_high:.4f}]")
                     for row in table.itertuples())
        facts = [("Formula", self.fit.formula), ("Observations", f"{self.nobs:,}"),
                 ("Covariance", self.covariance.label), ("R-squared", f"{self.r2:.4f}")]
        if self.fit.fe_names:
            facts += [("Fixed effects", " + ".join(self.fit.fe_names)),
                      ("Within R-squared", f"{self.r2_within:.4f}")]
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
