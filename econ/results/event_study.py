"""An event study's result: effects by relative period, the cohort-specific effects behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from econ.data.dataset import SIMULATED_LABEL
from econ.results.regression import RegressionResult
from econ.results.summary import Summary, SummaryDisplay


@dataclass(frozen=True, eq=False, repr=False)
class EventStudyResult(SummaryDisplay):
    """Effects by period relative to treatment, as linear combinations of a regression's estimates.

    Attributes
    ----------
    regression
        The saturated cohort-by-relative-period regression.
    cells
        One row per cohort-specific coefficient: ``cohort``, ``rel_time``, ``term`` (its name
        in ``regression``), ``n_obs`` (observations, or total weight, in the cell) and
        ``weight`` (its share of the relative period).
    rel_times
        The relative periods estimated (the reference periods excluded).
    aggregation
        ``len(rel_times) x len(regression.names)`` matrix: each event-time estimate is its row
        times the regression's estimates, and its covariance ``A V A'`` (the delta method with
        the weights held fixed, as fixest's ``aggregate`` does).
    refs
        The reference periods (effects normalised to zero).
    control
        ``"never_treated"`` or ``"last_treated"``.
    cohort_sizes
        Units per treated cohort.
    n_control_units
        Units in the control group.
    notes
        How the sample was formed.
    simulated
        Whether the data were simulated (summaries then carry the SIMULATED label).
    """

    regression: RegressionResult
    cells: pd.DataFrame
    rel_times: np.ndarray
    aggregation: np.ndarray
    refs: tuple[int, ...]
    control: str
    cohort_sizes: Mapping[int, int]
    n_control_units: int
    notes: tuple[str, ...] = field(default=())
    simulated: bool = False

    # event-time effects ----------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Interaction-weighted effects by relative period."""
        values = self.aggregation @ self.regression.fit.params
        return pd.Series(values, index=self._index(), name="estimate")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of the event-time effects."""
        matrix = self.aggregation @ self.regression.covariance.cov @ self.aggregation.T
        return pd.DataFrame(matrix, index=self._index(), columns=self._index())

    @property
    def std_errors(self) -> pd.Series:
        """Square roots of the variances; rounding below zero reads as zero, a clearly
        negative variance (possible with multiway clustering) as NaN."""
        matrix = self.cov.to_numpy()
        variances = np.diag(matrix).copy()
        rounding = 1e-12 * max(float(np.abs(matrix).max(initial=0.0)), 1e-300)
        variances[(variances < 0) & (variances > -rounding)] = 0.0
        variances[variances < 0] = np.nan
        return pd.Series(np.sqrt(variances), index=self._index(), name="std_error")

    @property
    def df_resid(self) -> float:
        """Degrees of freedom of the t intervals (those of the regression's covariance)."""
        return self.regression.df_resid

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Two-sided t intervals at ``level``."""
        half = _quantile(level, self.df_resid) * self.std_errors
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per relative period: estimate, std_error, statistic, p_value, conf bounds."""
        return _table(self.params.to_numpy(), self.std_errors.to_numpy(), self.df_resid,
                      level, {"rel_time": self.rel_times})

    def cohort_effects(self, level: float = 0.95) -> pd.DataFrame:
        """The cohort-specific effects ``CATT(e, l)``, one row per cohort and relative period.

        Columns: ``cohort``, ``rel_time``, ``term``, estimate, std_error, statistic, p_value,
        conf bounds, ``n_obs`` and ``weight`` in the interaction-weighted average.
        """
        terms = list(self.cells["term"])
        params = self.regression.params[terms].to_numpy()
        errors = self.regression.std_errors[terms].to_numpy()
        table = _table(params, errors, self.df_resid, level,
                       {"cohort": self.cells["cohort"].to_numpy(),
                        "rel_time": self.cells["rel_time"].to_numpy(), "term": terms})
        return table.assign(n_obs=self.cells["n_obs"].to_numpy(),
                            weight=self.cells["weight"].to_numpy())

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Plot data: ``rel_time``, ``estimate``, ``lower``, ``upper``, ``reference``.

        The reference periods are included as zeros (with ``reference`` true) so that a plot
        shows the normalisation; rows are sorted by relative period.
        """
        ci = self.conf_int(level)
        frame = pd.DataFrame({"rel_time": self.rel_times, "estimate": self.params.to_numpy(),
                              "lower": ci["lower"].to_numpy(), "upper": ci["upper"].to_numpy(),
                              "reference": False})
        refs = pd.DataFrame({"rel_time": np.array(self.refs, dtype=np.int64), "estimate": 0.0,
                             "lower": 0.0, "upper": 0.0, "reference": True})
        return (pd.concat([frame, refs], ignore_index=True).sort_values("rel_time")
                .reset_index(drop=True))

    def att(self, level: float = 0.95) -> pd.Series:
        """The average effect over all treated cells (relative period >= 0).

        Cells are weighted by their observations, as fixest's ``sunab(..., att = TRUE)``.
        """
        post = (self.cells["rel_time"] >= 0).to_numpy()
        if not post.any():
            raise ValueError("no cell at relative period >= 0: no average treated effect")
        counts = np.where(post, self.cells["n_obs"].to_numpy(), 0.0)
        row = np.zeros(len(self.regression.names))
        positions = [self.regression.names.index(t) for t in self.cells["term"]]
        row[positions] = counts / counts.sum()
        estimate = float(row @ self.regression.fit.params)
        error = float(np.sqrt(max(row @ self.regression.covariance.cov @ row, 0.0)))
        table = _table(np.array([estimate]), np.array([error]), self.df_resid, level, {})
        return table.iloc[0].rename("att")

    # presentation ----------------------------------------------------------------------
    def summary(self) -> Summary:
        table = self.tidy()
        rows = tuple((str(row.rel_time), f"{row.estimate:.4f}", f"{row.std_error:.4f}",
                      f"{row.statistic:.3f}", f"{row.p_value:.4f}",
                      f"[{row.conf_low:.4f}, {row.conf_high:.4f}]")
                     for row in table.itertuples())
        fit = self.regression
        cohorts = ", ".join(f"{c}: {n}" for c, n in self.cohort_sizes.items())
        facts = [("Outcome", fit.fit.outcome),
                 ("Observations", f"{fit.nobs:,}"),
                 ("Control", f"{self.control.replace('_', ' ')} ({self.n_control_units:,} "
                             f"units)"),
                 ("Treated cohorts (units)", cohorts),
                 ("Reference period", ", ".join(str(r) for r in self.refs)),
                 ("Fixed effects", " + ".join(fit.fit.fe_names)),
                 ("Covariance", fit.covariance.label)]
        notes = [*self.notes,
                 "Interaction-weighted estimates (Sun and Abraham 2021): cohort-specific effects "
                 "averaged with cohort shares at each relative period; cohort_effects() lists "
                 "them."]
        notes += [f"Dropped rows: {k}: {v}" for k, v in fit.dropped_rows.items()]
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"Event study (Sun-Abraham): {fit.fit.outcome}", tuple(facts),
                       ("rel. period", "estimate", "std. error", "t", "p", "95% CI"), rows,
                       tuple(notes))

    def _index(self) -> pd.Index:
        return pd.Index(self.rel_times, name="rel_time")


def _quantile(level: float, df: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(stats.t.ppf(0.5 + level / 2, df))


def _table(estimates: np.ndarray, errors: np.ndarray, df: float, level: float,
           keys: Mapping[str, object]) -> pd.DataFrame:
    q = _quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimates / errors
    return pd.DataFrame({**keys, "estimate": estimates, "std_error": errors,
                         "statistic": statistic,
                         "p_value": 2 * stats.t.sf(np.abs(statistic), df),
                         "conf_low": estimates - q * errors, "conf_high": estimates + q * errors})
