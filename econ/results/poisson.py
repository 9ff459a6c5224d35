"""The result of a Poisson (PPML) regression: a regression result with its GLM statistics."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from econ.estimation.poisson import PoissonFit
from econ.inference.bootstrap.score import score_bootstrap
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import HC1, IID, Cluster, CovarianceSpec, estimate_covariance
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import Hypothesis, RegressionResult
from econ.results.summary import Summary


def check_covariance(spec: CovarianceSpec) -> None:
    """Refuse covariance estimators not derived for PPML here (CR2, CR3: their leverage
    corrections are those of least squares)."""
    if type(spec) not in (IID, HC1, Cluster):
        raise ValueError(f"{type(spec).__name__} is not available for Poisson regression; use "
                         f"IID(), HC1() or Cluster(...) (CR1, one-way or multiway), and "
                         f"result.wild_bootstrap(term) for few clusters")


@dataclass(frozen=True, eq=False, repr=False)
class PoissonResult(RegressionResult):
    """A PPML fit with one covariance choice (``with_cov`` gives another).

    Everything a :class:`~econ.results.regression.RegressionResult` offers (``tidy``,
    ``summary``, ``lincom``, ``wald_test``, ``etable``) works the same; coefficients are on the
    log scale (``exp(b) - 1`` is the proportional change of the mean). :attr:`r2` is NaN and
    :attr:`pseudo_r2` McFadden's; :meth:`wild_bootstrap` runs the restricted wild *score*
    bootstrap (Kline and Santos 2012), since the model is not linear.
    """

    @property
    def poisson(self) -> PoissonFit:
        """The fit, typed as the Poisson fit it is."""
        assert isinstance(self.fit, PoissonFit)
        return self.fit

    @property
    def deviance(self) -> float:
        return self.poisson.deviance

    @property
    def null_deviance(self) -> float:
        """Deviance of the constant-only model (with the offset, without fixed effects)."""
        return self.poisson.null_deviance

    @property
    def loglik(self) -> float:
        return self.poisson.loglik

    @property
    def pseudo_r2(self) -> float:
        """McFadden's ``1 - loglik / loglik_null`` (null: constant only), as pyfixest."""
        return self.poisson.pseudo_r2

    @property
    def r2(self) -> float:
        """Not defined for PPML: NaN (see :attr:`pseudo_r2`; ``etable(...,
        fit_statistics=("nobs", "pseudo_r2"))`` lists it)."""
        return float("nan")

    @property
    def r2_within(self) -> float:
        """Not defined for PPML: NaN."""
        return float("nan")

    @property
    def iterations(self) -> int:
        """IRLS iterations until the deviance converged."""
        return self.poisson.irls_iterations

    @property
    def fitted_values(self) -> np.ndarray:
        """Fitted means on the estimation sample (rows ``fit.rows`` of the input)."""
        return self.poisson.mu.copy()

    def with_cov(self, spec: CovarianceSpec) -> PoissonResult:
        """The same fit with another covariance: ``IID()``, ``HC1()`` or ``Cluster(...)``."""
        check_covariance(spec)
        return PoissonResult(self.fit, spec, estimate_covariance(self.fit, spec),
                             self.simulated)

    def wild_bootstrap(self, hypothesis: Hypothesis, settings: WildBootstrap | None = None,
                       *, value: float | Sequence[float] = 0.0) -> WildBootstrapTest:
        """Restricted wild score bootstrap test of one coefficient (Kline and Santos 2012).

        Parameters
        ----------
        hypothesis
            A coefficient name (joint hypotheses are not supported).
        settings
            Replications, weight distribution, seed, p-value rule and cluster variable
            (default: this result's one-way cluster variable).
        value
            The hypothesised value.

        Returns
        -------
        WildBootstrapTest
            With variant ``"score"``, the score t statistic and, unless
            ``settings.ci_level`` is ``None``, the interval of values the test does not reject
            (each end found by bisection over restricted refits).
        """
        if not isinstance(hypothesis, str) or not isinstance(value, int | float):
            raise ValueError("the score bootstrap tests one coefficient: pass its name and "
                             "one value")
        chosen = settings if settings is not None else WildBootstrap()
        if hypothesis not in self.names:
            raise KeyError(f"no coefficient {hypothesis!r}; coefficients: {list(self.names)}")
        index = self.names.index(hypothesis)
        se = float(self.std_errors.iloc[index])
        outcome = score_bootstrap(self.poisson, hypothesis, float(value), spec=self.cov_spec,
                                  settings=chosen, std_error=se)
        return WildBootstrapTest(
            f"{hypothesis} = {value:g}", outcome.statistic, (float(self.fit.params[index]),),
            se, outcome.pvalues, outcome.ci, chosen.ci_level if outcome.ci is not None else None,
            outcome.reps,
            outcome.enumerated, chosen.distribution, "score", True, outcome.cluster,
            outcome.cluster, outcome.clusters, chosen.seed, chosen.pvalue_rule,
            outcome.smallest_pvalue, (), outcome.draws if chosen.keep_draws else None)

    def summary(self) -> Summary:
        base = super().summary()
        facts = [(label, value) for label, value in base.facts
                 if label not in ("R-squared", "Within R-squared")]
        facts += [("Deviance", f"{self.deviance:.4f}"), ("Pseudo R-squared",
                                                        f"{self.pseudo_r2:.4f}"),
                  ("IRLS iterations", str(self.iterations))]
        notes = list(base.notes)
        if self.poisson.non_integer:
            notes.append(f"{self.poisson.non_integer} outcome value(s) are not whole numbers: "
                         f"allowed (PPML needs only E[y | x] = exp(x'b)); the likelihood "
                         f"statistics are then pseudo-likelihood values")
        return dataclasses.replace(base, title=f"PPML: {self.outcome}", facts=tuple(facts),
                                   notes=tuple(notes))
