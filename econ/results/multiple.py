"""Several regressions fitted at once (fixest's multiple estimation): a named, ordered collection.

``econ.feols`` returns one when a formula stands for several models (``sw()``, ``csw()``,
``sw0()``, ``csw0()``, several outcomes) or when ``split=`` / ``fsplit=`` asks for one model per
sample. ``etable`` lays the collection out one column per model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import FrozenInstanceError
from typing import Any, SupportsIndex, overload

import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.results.regression import RegressionResult
from econ.results.summary import Summary, SummaryDisplay


class MultipleResults(SummaryDisplay, tuple[RegressionResult, ...]):
    """Regression results in fixest's order, each under its model name.

    A tuple of :class:`~econ.RegressionResult` (iterate, unpack or index by position, as
    ``econ.feols`` returned for several outcomes before), also indexed by model name:
    ``results["y ~ x | u (sample: region = east)"]``. Immutable.

    Attributes
    ----------
    names
        One name per model: its formula, plus ``(sample: variable = value)`` for a split.
    samples
        The split sample of each model (``"region = east"``, ``"all"``), ``""`` without a split.
    notes
        Facts about the collection as a whole (rows in no split sample).
    """

    # A tuple subclass rather than a frozen dataclass: callers written for the tuple feols used
    # to return for several outcomes keep working unchanged.
    names: tuple[str, ...]
    samples: tuple[str, ...]
    notes: tuple[str, ...]

    def __new__(cls, results: Sequence[RegressionResult], names: Sequence[str],
                samples: Sequence[str] = (), notes: Sequence[str] = ()) -> MultipleResults:
        results, names = tuple(results), tuple(names)
        samples = tuple(samples) or ("",) * len(results)
        if not results or len(names) != len(results) or len(samples) != len(results):
            raise ValueError(f"need one name and sample per result: {len(results)} result(s), "
                             f"{len(names)} name(s), {len(samples)} sample(s)")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"model names must be unique; repeated: {repeated}")
        self = super().__new__(cls, results)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "notes", tuple(notes))
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (MultipleResults, (tuple(self), self.names, self.samples, self.notes))

    @overload
    def __getitem__(self, key: SupportsIndex) -> RegressionResult: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[RegressionResult, ...]: ...

    @overload
    def __getitem__(self, key: str) -> RegressionResult: ...

    def __getitem__(self, key: SupportsIndex | slice | str
                    ) -> RegressionResult | tuple[RegressionResult, ...]:
        if isinstance(key, str):
            if key not in self.names:
                raise KeyError(f"no model {key!r}; models: {list(self.names)}")
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        """The model names, in order."""
        return self.names

    def items(self) -> Iterator[tuple[str, RegressionResult]]:
        """``(name, result)`` pairs, in order."""
        return zip(self.names, self, strict=True)

    @property
    def simulated(self) -> bool:
        return any(r.simulated for r in self)

    @property
    def params(self) -> pd.DataFrame:
        """Estimates: one row per coefficient (in order of first appearance), one column per
        model; NaN where a model lacks the coefficient."""
        return pd.DataFrame({name: r.params for name, r in self.items()}).reindex(self._terms())

    @property
    def std_errors(self) -> pd.DataFrame:
        """Standard errors, laid out as :attr:`params`."""
        return pd.DataFrame({name: r.std_errors for name, r in self.items()}).reindex(
            self._terms())

    def _terms(self) -> list[str]:
        return list(dict.fromkeys(n for r in self for n in r.names))

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Every model's :meth:`~econ.RegressionResult.tidy` stacked, with ``model`` (its name),
        ``outcome`` and ``sample`` columns first."""
        frames = [result.tidy(level).assign(model=name, outcome=result.outcome, sample=sample)
                  for name, sample, result in zip(self.names, self.samples, self, strict=True)]
        table = pd.concat(frames, ignore_index=True)
        first = ["model", "outcome", "sample"]
        return table[first + [c for c in table.columns if c not in first]]

    def summary(self) -> Summary:
        """One table: each model's estimates under its name, with its observations and
        covariance; notes list dropped rows per model."""
        rows: list[tuple[str, ...]] = []
        notes: list[str] = list(self.notes)
        for name, result in self.items():
            table = result.tidy()
            for i, row in enumerate(table.itertuples()):
                rows.append((name if i == 0 else "", str(row.term), f"{row.estimate:.4f}",
                             f"{row.std_error:.4f}", f"{row.p_value:.4f}",
                             f"[{row.conf_low:.4f}, {row.conf_high:.4f}]",
                             f"{result.nobs:,}" if i == 0 else ""))
            notes += [f"{name}: dropped rows: {k}: {v}" for k, v in result.dropped_rows.items()]
            notes += [f"{name}: dropped coefficient {k}: {v}"
                      for k, v in result.dropped_coefficients.items()]
        covariances = list(dict.fromkeys(r.covariance.label for r in self))
        facts = [("Models", str(len(self))), ("Covariance", "; ".join(covariances))]
        if self.simulated:
            notes.append(SIMULATED_LABEL)
        return Summary(f"OLS: {len(self)} models", tuple(facts),
                       ("model", "term", "estimate", "std. error", "p", "95% CI",
                        "observations"), tuple(rows), tuple(notes))
