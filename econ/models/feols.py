"""``econ.feols``: formula, data and covariance in; an immutable result out."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.iv import split_iv
from econ.estimation.linear import fit as fit_linear
from econ.inference.covariance import IID, ClusterSpec, CovarianceSpec, estimate_covariance
from econ.inference.progress import Progress
from econ.models.iv import feiv
from econ.results.multiple import MultipleResults
from econ.results.regression import RegressionResult
from econ.spec.design import build, split_samples
from econ.spec.formula import FormulaError, expand


def feols(
    formula: str,
    data: Dataset | pd.DataFrame,
    *,
    cov: CovarianceSpec | None = None,
    weights: str | None = None,
    groups: Sequence[str] = (),
    split: str | None = None,
    fsplit: str | None = None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    progress: bool | None = None,
) -> RegressionResult | MultipleResults:
    """Least squares with any number of absorbed fixed effects, fixest style.

    Parameters
    ----------
    formula
        ``"y ~ x1 + x2:x3 + C(type) + log(x4) + i(event_time, ref=-1) | village_id + year"``,
        ``"... | county_id^year"`` for interacted fixed effects. Multiple estimation as in
        fixest: several outcomes (``"y1 + y2 ~ ..."`` or ``"c(y1, y2) ~ ..."``) and
        ``sw()``, ``csw()``, ``sw0()``, ``csw0()`` among the regressors and among the fixed
        effects give one model each (see :func:`econ.spec.formula.expand`).
    data
        A validated :class:`~econ.Dataset` or a DataFrame.
    cov
        Covariance estimator: ``IID()`` (default), ``HC1()``, ``Cluster("township_id")``,
        ``Cluster("township_id", "year")``, ``CR2(...)``, ``CR3(...)``. Its cluster variables
        must be non-missing: rows where they are missing are dropped and reported. Use
        ``result.with_cov(...)`` for other choices without refitting.
    weights
        Column of positive observation weights (WLS).
    groups
        Further grouping variables to resolve now, for covariances or wild bootstraps chosen
        later (``result.with_cov(Cluster("county_id"))``, a subcluster bootstrap by
        ``township_id``). Variables are resolved once, here, so every later choice uses the
        same rows; rows where one is missing are dropped and reported.
    split, fsplit
        Fit every model on each sample with one value of this column (``fsplit``: the full
        sample first). Rows where it is missing belong to no split sample.
    tol, max_iter
        Convergence tolerance and sweep limit of the alternating projections, used only when
        the fixed effects have no exact route (three or more crossed effects, or two with
        many levels each).
    progress
        Show the fit's progress on standard error: ``None`` (default) on a terminal when it
        takes more than a second (``ECON_PROGRESS=0`` turns it off), ``True`` always,
        ``False`` never.

    Returns
    -------
    RegressionResult
        Or, for several models or samples, a :class:`~econ.results.multiple.MultipleResults`
        (a tuple of them, also indexed by model name) that ``etable`` lays out.
    """
    if split_iv(formula) is not None:
        # "y ~ x | fe | d ~ z": the instrumental-variables estimator, as in fixest.
        if split is not None or fsplit is not None:
            raise FormulaError("split=/fsplit= are not available with an instrumental-"
                               "variables formula: fit each sample on its own")
        return feiv(formula, data, cov=cov, weights=weights, groups=groups, tol=tol,
                    max_iter=max_iter)
    spec = cov or IID()
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    models = expand(formula)
    samples = split_samples(frame, split=split, fsplit=fsplit)
    by = spec.by if isinstance(spec, ClusterSpec) else ()
    groups = (groups,) if isinstance(groups, str) else tuple(groups)
    results, names, labels = [], [], []
    # Three steps per model (design, absorption and solution, covariance), shown on a terminal
    # when the fit takes more than a second (a large panel, many fixed effects).
    with Progress(f"feols on {len(frame):,} rows", 3 * len(samples) * len(models),
                  show=progress) as bar:
        for label, subset in samples:
            for parsed in models:
                name = parsed.text + (f" (sample: {label})" if label else "")
                try:
                    design = build(parsed, frame, weights=weights, clusters=(*by, *groups),
                                   subset=subset)
                    bar.advance()
                    fit = fit_linear(design, tol=tol, max_iter=max_iter)
                    bar.advance()
                except ValueError as error:
                    if ((len(models) == 1 and len(samples) == 1)
                            or type(error) not in (ValueError, FormulaError)):
                        raise
                    raise type(error)(f"model {name!r}: {error}") from error
                results.append(RegressionResult(fit, spec, estimate_covariance(fit, spec),
                                                simulated))
                bar.advance()
                names.append(name)
                labels.append(label)
    if len(results) == 1 and split is None and fsplit is None:
        return results[0]
    variable = split if split is not None else fsplit
    unassigned = 0 if variable is None else int(frame[variable].isna().sum())
    notes = ([f"{unassigned} row(s) with {variable} missing are in no split sample"]
             if unassigned else [])
    return MultipleResults(results, names, labels, notes)
