"""An event study as a column of a regression table: one row per period.

``etable`` reads a column's estimates, standard errors, tests, intervals, fixed effects,
covariance and fit statistics; :class:`EventStudyColumn` gives those of an
:class:`~econ.results.event_study.EventStudy`, named ``year::2019`` or ``event_time::-2`` so
that the labels print as "Year = 2019" and "Event time = -2".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from econ.inference.covariance import CovarianceResult
from econ.results.event_study import EventStudy


class Coefficients(Protocol):
    """What a regression-table column shows."""

    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def outcome(self) -> str: ...
    @property
    def fe_names(self) -> tuple[str, ...]: ...
    @property
    def params(self) -> pd.Series: ...
    @property
    def std_errors(self) -> pd.Series: ...
    @property
    def tstats(self) -> pd.Series: ...
    @property
    def pvalues(self) -> pd.Series: ...
    @property
    def covariance(self) -> CovarianceResult: ...
    @property
    def nobs(self) -> int: ...
    @property
    def r2(self) -> float: ...
    @property
    def r2_within(self) -> float: ...
    @property
    def simulated(self) -> bool: ...
    def conf_int(self, level: float = 0.95) -> pd.DataFrame: ...


@dataclass(frozen=True)
class EventStudyColumn:
    """The periods of ``study`` as the coefficients of a table column."""

    study: EventStudy

    @property
    def names(self) -> tuple[str, ...]:
        prefix = "year" if self.study.time_label == "year" else "event_time"
        return tuple(f"{prefix}::{p}" for p in self.study.periods)

    @property
    def outcome(self) -> str:
        return self.study.outcome

    @property
    def fe_names(self) -> tuple[str, ...]:
        regression = self.study.regression
        return () if regression is None else regression.fe_names

    def _series(self, column: str) -> pd.Series:
        values = self.study.tidy()[column].to_numpy()
        return pd.Series(values, index=list(self.names), name=column)

    @property
    def params(self) -> pd.Series:
        return self._series("estimate")

    @property
    def std_errors(self) -> pd.Series:
        return self._series("std_error")

    @property
    def tstats(self) -> pd.Series:
        return self._series("statistic")

    @property
    def pvalues(self) -> pd.Series:
        return self._series("p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        table = self.study.tidy(level)
        return pd.DataFrame({"conf_low": table["conf_low"].to_numpy(),
                             "conf_high": table["conf_high"].to_numpy()},
                            index=list(self.names))

    @property
    def covariance(self) -> CovarianceResult:
        regression = self.study.regression
        if regression is not None:
            return regression.covariance
        return CovarianceResult("Influence function", self.study.cov, self.study.df)

    @property
    def nobs(self) -> int:
        return -1 if self.study.nobs is None else self.study.nobs

    @property
    def r2(self) -> float:
        return float("nan")

    @property
    def r2_within(self) -> float:
        return float("nan")

    @property
    def simulated(self) -> bool:
        return self.study.simulated

