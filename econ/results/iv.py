"""Results of instrumental-variables regressions: the regression result with its first stages,
instrument diagnostics, Anderson-Rubin confidence sets and the WRE bootstrap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.iv import IVFit
from econ.inference import iv as ivinf
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import IID, CovarianceSpec, estimate_covariance
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import Hypothesis, RegressionResult
from econ.results.summary import Summary


@dataclass(frozen=True)
class AndersonRubinSet:
    """Anderson-Rubin confidence set for one endogenous coefficient.

    Attributes
    ----------
    term
        The endogenous regressor.
    intervals
        Disjoint intervals whose union is the set; ends may be ``-inf`` or ``inf``. With weak
        instruments the set can be unbounded (one ray, two rays, or the whole line) and, with
        more instruments than endogenous regressors, empty.
    level
        Confidence level.
    """

    term: str
    intervals: tuple[tuple[float, float], ...]
    level: float
    covariance: str

    @property
    def bounded(self) -> bool:
        return all(math.isfinite(lo) and math.isfinite(hi) for lo, hi in self.intervals)

    @property
    def kind(self) -> str:
        """``"interval"``, ``"union of intervals"``, ``"unbounded"``, ``"whole line"`` or
        ``"empty"``."""
        if not self.intervals:
            return "empty"
        if self.intervals == ((-np.inf, np.inf),):
            return "whole line"
        if not self.bounded:
            return "unbounded"
        return "interval" if len(self.intervals) == 1 else "union of intervals"

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            return False
        return any(lo <= value <= hi for lo, hi in self.intervals)

    def __str__(self) -> str:
        parts = " U ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in self.intervals) or "empty"
        note = "" if self.bounded else " (unbounded: the instruments are weak)"
        return (f"{self.level:.0%} Anderson-Rubin set for {self.term} ({self.covariance}): "
                f"{parts}{note}")


@dataclass(frozen=True, eq=False, repr=False)
class IVBootstrapTest(WildBootstrapTest):
    """A wild restricted efficient (WRE) bootstrap test of one endogenous coefficient
    (Davidson and MacKinnon 2010), with its confidence interval by test inversion: the fields
    of :class:`WildBootstrapTest`."""

    @property
    def method(self) -> str:
        return "WRE"


@dataclass(frozen=True, eq=False, repr=False)
class IVResult(RegressionResult):
    """A 2SLS or LIML regression: estimates and covariance as :class:`RegressionResult`, plus
    the first stages and instrument diagnostics, all under the result's covariance choice.

    ``fit`` is the second stage in the form the covariance estimators use (fitted regressors,
    structural residuals); ``iv`` holds the k-class fit with the regressors and instruments.
    """

    iv: IVFit = field(kw_only=True)

    @property
    def method(self) -> str:
        """``"2SLS"`` or ``"LIML"``."""
        return self.iv.method

    @property
    def kappa(self) -> float:
        """The k-class parameter (1 for 2SLS)."""
        return self.iv.kappa

    @property
    def endogenous(self) -> tuple[str, ...]:
        return self.iv.endogenous

    @property
    def instruments(self) -> tuple[str, ...]:
        return self.iv.instruments

    def with_cov(self, spec: CovarianceSpec) -> IVResult:
        """The same fit with another covariance estimator: IID, HC1 or Cluster."""
        ivinf.check_iv_covariance(spec)
        return IVResult(self.fit, spec, estimate_covariance(self.fit, spec), self.simulated,
                        iv=self.iv)

    @property
    def first_stage(self) -> tuple[RegressionResult, ...]:
        """One least-squares result per endogenous regressor (on the instruments, then the
        exogenous regressors, fixed effects absorbed) with this result's covariance."""
        return tuple(RegressionResult(f, self.cov_spec, self.cov_spec.compute(f),
                                      self.simulated) for f in self.iv.first)

    def first_stage_f(self) -> pd.DataFrame:
        """First-stage F of the excluded instruments, one row per endogenous regressor."""
        return _frame(ivinf.first_stage_f(self.iv, self.cov_spec))

    def diagnostics(self) -> pd.DataFrame:
        """The tests applied researchers report, one row each.

        - First-stage F per endogenous regressor (Wald / L under this covariance);
        - Kleibergen-Paap rk Wald F (weak identification, robust or clustered as this result);
        - with one endogenous regressor, Montiel Olea and Pflueger's effective F;
        - Sargan (homoskedastic) and, under HC1 or clustering, Hansen's J (overidentification,
          when there are more instruments than endogenous regressors);
        - Wu-Hausman (F) and Durbin (chi-squared) endogeneity tests (homoskedastic), and the
          regression (control-function) test under this covariance.
        """
        tests = [*ivinf.first_stage_f(self.iv, self.cov_spec),
                 ivinf.kleibergen_paap(self.iv, self.cov_spec)]
        if len(self.endogenous) == 1:
            tests.append(ivinf.effective_f(self.iv, self.cov_spec))
        sargan = ivinf.sargan(self.iv)
        if sargan is not None:
            tests.append(sargan)
            if not isinstance(self.cov_spec, IID):
                hansen = ivinf.hansen_j(self.iv, self.cov_spec)
                assert hansen is not None
                tests.append(hansen)
        tests += [*ivinf.endogeneity(self.iv), ivinf.endogeneity_robust(self.iv, self.cov_spec)]
        return _frame(tests)

    def anderson_rubin(self, level: float = 0.95) -> AndersonRubinSet:
        """Anderson-Rubin confidence set for the one endogenous coefficient (robust to weak
        instruments), with this result's covariance; it may be unbounded or a union of
        intervals: see :class:`AndersonRubinSet`."""
        intervals = ivinf.anderson_rubin_set(self.iv, self.cov_spec, level)
        return AndersonRubinSet(self.iv.endogenous[0], intervals, level,
                                self.covariance.label)

    def anderson_rubin_test(self, value: float = 0.0) -> ivinf.Statistic:
        """Anderson-Rubin F test of ``beta = value`` for the one endogenous coefficient."""
        return ivinf.anderson_rubin_test(self.iv, self.cov_spec, value)

    def wild_bootstrap(self, hypothesis: Hypothesis, settings: WildBootstrap | None = None,
                       *, value: float | Sequence[float] = 0.0) -> IVBootstrapTest:
        """Wild restricted efficient bootstrap (WRE) test of ``endogenous = value``.

        Parameters
        ----------
        hypothesis
            The endogenous regressor's name (the model must have one).
        settings
            Replications, weight distribution, seed, p-value rule and interval level
            (``ci_level=None`` skips the interval); the cluster is this result's
            (``Cluster("township_id")``) unless ``settings.cluster`` names one. Variants and
            subcluster options of the OLS bootstrap do not apply.
        value
            Hypothesised value.
        """
        if hypothesis not in self.iv.endogenous:
            raise ValueError(f"the WRE bootstrap tests the endogenous regressor "
                             f"{list(self.iv.endogenous)}, not {hypothesis!r}")
        if not isinstance(value, int | float):
            raise ValueError(f"value must be one number, got {value!r}")
        chosen = settings if settings is not None else WildBootstrap()
        out = ivinf.wild_restricted_efficient(self.iv, self.cov_spec, chosen, float(value))
        inclusive = chosen.pvalue_rule == "inclusive"
        return IVBootstrapTest(
            hypothesis=f"{hypothesis} = {value:g}", statistic=out.statistic,
            estimate=(out.estimate,), std_error=out.std_error, pvalues=out.pvalues, ci=out.ci,
            ci_level=chosen.ci_level if out.ci is not None else None, reps=out.reps,
            enumerated=out.enumerated,
            distribution=chosen.distribution, variant="11", restricted=True,
            cluster=(out.cluster,), bootstrap_cluster=(out.cluster,),
            bootstrap_clusters=out.clusters, seed=out.seed, pvalue_rule=chosen.pvalue_rule,
            # Only the all-ones pattern reproduces the observed statistic (WRE samples are not
            # symmetric in the weights' sign); it is always drawn when patterns are enumerated.
            smallest_pvalue=1 / out.reps if inclusive and out.enumerated else 0.0,
            draws=out.draws if chosen.keep_draws else None)

    def summary(self) -> Summary:
        base = super().summary()
        facts = [*base.facts,
                 ("Endogenous", ", ".join(self.endogenous)),
                 ("Instruments", ", ".join(self.instruments))]
        if self.method == "LIML":
            facts.append(("LIML kappa", f"{self.kappa:.6f}"))
        for test in ivinf.first_stage_f(self.iv, self.cov_spec):
            facts.append((test.name, f"{test.statistic:.3f}"))
        if len(self.endogenous) > 1:
            kp = ivinf.kleibergen_paap(self.iv, self.cov_spec)
            facts.append((kp.name, f"{kp.statistic:.3f}"))
        notes = [n for n in base.notes if n != SIMULATED_LABEL]
        weak = [t for t in ivinf.first_stage_f(self.iv, self.cov_spec)
                if t.statistic < ivinf.WEAK_F]
        if weak:
            notes.append("Weak instruments (first-stage F below 10): use anderson_rubin() "
                         "for inference.")
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"{self.method}: {self.outcome}", tuple(facts), base.header, base.rows,
                       tuple(notes))


def _frame(tests: Sequence[ivinf.Statistic]) -> pd.DataFrame:
    return pd.DataFrame([{"test": t.name, "statistic": t.statistic, "df": t.df,
                          "df_denom": np.nan if t.df_denom is None else t.df_denom,
                          "p_value": t.pvalue} for t in tests])
