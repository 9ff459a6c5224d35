"""The package's one event-study result: effects by period with intervals and a uniform band.

Built by the gradient event study of the study layer, by Sun-Abraham's interaction-weighted
estimator and by the Callaway-Sant'Anna dynamic aggregation; drawn by
``econ.event_study_plot`` and tabulated by ``econ.etable``. Whatever the estimator, the path
has the columns :data:`COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.inference.linear_combinations import inference_table
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import RegressionResult, WaldTest
from econ.results.summary import Summary, SummaryDisplay

#: Columns of :meth:`EventStudy.to_frame`, in order.
COLUMNS = ("period", "estimate", "std_error", "conf_low", "conf_high", "band_low", "band_high",
           "is_reference")


def event_study_path(periods: np.ndarray, estimates: np.ndarray, errors: np.ndarray,
                     critical: float, band: float, references: tuple[int, ...]) -> pd.DataFrame:
    """The canonical path: one row per estimated period (pointwise ``estimate -/+ critical *
    se``, band ``-/+ band * se``, NaN when ``band`` is) and a zero row per reference period,
    sorted by period."""
    estimated = pd.DataFrame({
        "period": np.asarray(periods, dtype=np.int64), "estimate": estimates,
        "std_error": errors, "conf_low": estimates - critical * errors,
        "conf_high": estimates + critical * errors, "band_low": estimates - band * errors,
        "band_high": estimates + band * errors, "is_reference": False})
    refs = pd.DataFrame({"period": np.array(references, dtype=np.int64), "estimate": 0.0,
                         "std_error": 0.0, "conf_low": 0.0, "conf_high": 0.0,
                         "band_low": 0.0 if np.isfinite(band) else np.nan,
                         "band_high": 0.0 if np.isfinite(band) else np.nan,
                         "is_reference": True})
    frames = [f for f in (estimated, refs) if len(f)]
    return (pd.concat(frames, ignore_index=True).sort_values("period", kind="stable")
            .reset_index(drop=True)[list(COLUMNS)])


@dataclass(frozen=True, eq=False, repr=False)
class EventStudy(SummaryDisplay):
    """Effects by period relative to a reference, whatever estimator produced them.

    Attributes
    ----------
    title
        What was estimated, e.g. ``"Event study (Sun-Abraham): y"``.
    outcome
        The outcome modelled.
    path
        One row per period: :data:`COLUMNS` (reference periods as zero rows with
        ``is_reference`` true; band columns NaN without a uniform band).
    cov
        Covariance of the estimated (non-reference) effects, in the order of the path.
    df
        Degrees of freedom of the t intervals (``inf``: normal).
    level
        Confidence level of the pointwise intervals and the band.
    time_label
        ``"year"`` or ``"relative period"``: what ``period`` counts.
    reference
        The reference period (the first, when there are several).
    band_critical_value
        Critical value of the uniform band (NaN without one) and how it was obtained in
        ``facts``.
    facts, notes
        Lines of the summary.
    nobs
        Observations (or units) used.
    pretrend
        A joint test that the effects before the reference are zero, when the estimator
        provides one.
    regression
        The regression behind the effects (the saturated Sun-Abraham fit, the gradient
        event-study fit), when there is one.
    cells
        Sun-Abraham's cohort-by-period cells (``cohort``, ``period``, ``term``, ``n_obs``,
        ``weight``), from which :meth:`cohort_effects` and :meth:`att` are formed.
    simulated
        Whether the data were simulated.
    """

    title: str
    outcome: str
    path: pd.DataFrame
    cov: np.ndarray
    df: float
    level: float
    time_label: str
    reference: int | None
    band_critical_value: float = float("nan")
    facts: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    nobs: int | None = None
    pretrend: WildBootstrapTest | WaldTest | None = None
    regression: RegressionResult | None = field(default=None, repr=False)
    cells: pd.DataFrame | None = field(default=None, repr=False)
    simulated: bool = False

    # effects ----------------------------------------------------------------------------
    @property
    def periods(self) -> np.ndarray:
        """The periods estimated (reference periods excluded)."""
        return self.path.loc[~self.path["is_reference"], "period"].to_numpy()

    @property
    def params(self) -> pd.Series:
        estimated = self.path[~self.path["is_reference"]]
        return pd.Series(estimated["estimate"].to_numpy(), index=self._index(),
                         name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        estimated = self.path[~self.path["is_reference"]]
        return pd.Series(estimated["std_error"].to_numpy(), index=self._index(),
                         name="std_error")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Pointwise intervals of the estimated periods: ``conf_low``, ``conf_high``."""
        return self.tidy(level).set_index("period")[["conf_low", "conf_high"]]

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per estimated period: ``period``, estimate, std_error, statistic, p_value,
        ``conf_low``/``conf_high`` (at ``level``, default the result's)."""
        return inference_table(self.params.to_numpy(), self.std_errors.to_numpy(), self.df,
                               self.level if level is None else level,
                               {"period": self.periods})

    def to_frame(self) -> pd.DataFrame:
        """The path (a copy): :data:`COLUMNS`, reference rows included, sorted by period."""
        return self.path.copy()

    # Sun-Abraham's cohort cells ----------------------------------------------------------
    def cohort_effects(self, level: float | None = None) -> pd.DataFrame:
        """The cohort-specific effects behind each period (Sun-Abraham): ``cohort``,
        ``period``, ``term``, estimate, std_error, statistic, p_value, conf bounds, ``n_obs``
        and ``weight`` in the period's average."""
        regression, cells = self._cells()
        terms = list(cells["term"])
        rows = np.zeros((len(terms), len(regression.names)))
        rows[np.arange(len(terms)), [regression.names.index(t) for t in terms]] = 1.0
        table = regression.lincom(rows, terms, level=self.level if level is None else level)
        table.insert(0, "period", cells["period"].to_numpy())
        table.insert(0, "cohort", cells["cohort"].to_numpy())
        return table.assign(n_obs=cells["n_obs"].to_numpy(), weight=cells["weight"].to_numpy())

    def att(self, level: float | None = None) -> pd.Series:
        """The average effect over all treated cells (period >= 0), cells weighted by their
        observations, as fixest's ``sunab(..., att = TRUE)``."""
        regression, cells = self._cells()
        post = (cells["period"] >= 0).to_numpy()
        if not post.any():
            raise ValueError("no cell at relative period >= 0: no average treated effect")
        counts = np.where(post, cells["n_obs"].to_numpy(), 0.0)
        row = np.zeros(len(regression.names))
        row[[regression.names.index(t) for t in cells["term"]]] = counts / counts.sum()
        table = regression.lincom(row, ["att"], level=self.level if level is None else level)
        return table.drop(columns="term").iloc[0].rename("att")

    # presentation ----------------------------------------------------------------------
    def summary(self) -> Summary:
        table = self.tidy()
        rows = tuple((str(row.period), f"{row.estimate:.4f}", f"{row.std_error:.4f}",
                      f"{row.statistic:.3f}", f"{row.p_value:.4f}",
                      f"[{row.conf_low:.4f}, {row.conf_high:.4f}]")
                     for row in table.itertuples())
        facts = list(self.facts)
        if self.reference is not None:
            refs = self.path.loc[self.path["is_reference"], "period"]
            facts.append(("Reference " + self.time_label, ", ".join(str(p) for p in refs)))
        if np.isfinite(self.band_critical_value):
            facts.append(("Uniform band critical value", f"{self.band_critical_value:.3f}"))
        if self.pretrend is not None:
            facts.append(("Pre-trend test", f"p = {self.pretrend.pvalue:.4f}"))
        notes = [*self.notes, *([SIMULATED_LABEL] if self.simulated else [])]
        level = f"{self.level:.0%} CI"
        return Summary(self.title, tuple(facts),
                       (self.time_label, "estimate", "std. error", "t", "p", level), rows,
                       tuple(notes))

    def _index(self) -> pd.Index:
        return pd.Index(self.periods, name="period")

    def _cells(self) -> tuple[RegressionResult, pd.DataFrame]:
        if self.regression is None or self.cells is None:
            raise ValueError(f"{self.title}: cohort-specific cells exist only for the "
                             f"Sun-Abraham estimator")
        return self.regression, self.cells

