"""Least squares with absorbed fixed effects: the one regression routine every design reuses."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.linalg

from econ.data.codes import is_nested
from econ.estimation.absorb import (
    Absorber,
    absorbed,
    column_norms,
    drop_singletons,
    fe_parameters,
)
from econ.spec.design import Design, Grouping, VaryingSlopes
from econ.spec.formula import Formula

#: Pivoted-QR threshold relative to the largest diagonal of R: below it a column is collinear.
COLLINEAR_TOL = 1e-9
#: Most levels a fixed effect may have to be refitted as dummy regressors (:func:`with_dummies`):
#: their cross products cost ``n`` times their number squared.
MAX_DUMMIES = 2_000
#: Most dummy values (rows x dummy columns) a refit may hold: 2 GiB, a few times that while it
#: is fitted (13 year dummies on 20 million rows). 2,000 dummies on a million rows would take
#: 16 GB and exhaust the memory instead of failing with a message.
MAX_DUMMY_CELLS = 1 << 28


class EstimationWarning(UserWarning):
    """A regressor was dropped (absorbed or collinear) or rows were removed as singletons."""


@dataclass(frozen=True)
class DroppedCoefficient:
    name: str
    reason: str


@dataclass(frozen=True, eq=False)
class LinearFit:
    """A fitted linear model in the weighted, fixed-effect-free metric.

    ``X``, ``y`` and ``residuals`` are multiplied by the square root of the weights and have the
    fixed effects projected out, so every covariance estimator and the wild bootstrap work with
    ``X' e`` and ``X' X`` alone.

    Attributes
    ----------
    names
        Coefficient names (regressors kept).
    params
        Estimates.
    X, y, residuals
        Transformed design, outcome and residuals (``n x p``, ``n``, ``n``).
    xtx_inv
        ``(X'X)^{-1}``.
    rows
        Positions of the estimation sample in the input table.
    design, sample
        The design the fit came from and the positions of its rows kept (singletons removed),
        so that the model can be refitted with some fixed effects as dummies.
    clusters
        The cluster variables resolved on the estimation sample.
    fe_names, fe_codes
        Fixed effects and their dense codes on the estimation sample.
    fe_params
        Number of fixed-effect coefficients absorbed (levels less redundancies), varying
        slopes included (one per group and variable, as fixest counts them).
    dropped_rows
        ``{reason: count}`` for every row left out.
    dropped_coefficients
        Regressors removed, each with its reason.
    slopes
        Varying slopes absorbed besides ``fe_codes``, on the estimation sample.
    """

    formula: Formula
    outcome: str
    names: tuple[str, ...]
    params: np.ndarray
    X: np.ndarray
    y: np.ndarray
    residuals: np.ndarray
    xtx_inv: np.ndarray
    rows: np.ndarray
    design: Design
    sample: np.ndarray
    clusters: Mapping[str, Grouping]
    fe_names: tuple[str, ...]
    fe_codes: tuple[np.ndarray, ...]
    fe_params: int
    weights: np.ndarray | None
    has_intercept: bool
    tss: float
    tss_within: float
    iterations: int
    dropped_rows: Mapping[str, int] = field(default_factory=dict)
    dropped_coefficients: tuple[DroppedCoefficient, ...] = ()
    slopes: tuple[VaryingSlopes, ...] = ()

    @property
    def nobs(self) -> int:
        return len(self.residuals)

    @property
    def rss(self) -> float:
        return float(self.residuals @ self.residuals)

    @property
    def scale(self) -> float | None:
        """Known variance of the standardised residuals (1 for Poisson); ``None`` when it is
        estimated from them, as in least squares."""
        return None

    @property
    def df_model(self) -> int:
        """Regressors plus absorbed fixed-effect coefficients."""
        return len(self.names) + self.fe_params

    @property
    def slope_names(self) -> tuple[str, ...]:
        """The varying slopes as fixest's tables list them, one per variable:
        ``year (village_id)``."""
        return tuple(f"{v} ({s.slope.effect})" for s in self.slopes for v in s.slope.variables)

    def absorber(self) -> Absorber:
        """The projection the fit absorbed (fixed effects and varying slopes), to apply to
        other columns of its sample."""
        return Absorber(self.fe_codes, self.weights, slopes=_pairs(self.slopes))


def refuse_slopes(design: Design | LinearFit, method: str) -> None:
    """Raise :class:`SlopesNotSupported` if ``design`` absorbs varying slopes."""
    if design.slopes:
        labels = ", ".join(s.label for s in design.slopes)
        raise SlopesNotSupported(
            f"{method} does not handle varying slopes ({labels}); fit the slopes as "
            f"regressors instead, e.g. '... + C(group):x | group' for group[x]")


class SlopesNotSupported(ValueError):
    """A method that cannot absorb varying slopes (fixest's ``a[x]``) was given some."""


class Sample(NamedTuple):
    """The rows a fit uses: one outcome, the regressors, weights, fixed effects, slopes and
    clusters of ``design`` without the singleton fixed-effect groups, with what was dropped."""

    y: np.ndarray
    X: np.ndarray
    weights: np.ndarray | None
    codes: tuple[np.ndarray, ...]
    slopes: tuple[VaryingSlopes, ...]
    rows: np.ndarray
    sample: np.ndarray
    clusters: dict[str, Grouping]
    dropped: dict[str, int]


def without_singletons(design: Design, outcome: int = 0) -> Sample:
    """``design``'s rows less the singleton fixed-effect groups, removed repeatedly (counted in
    ``dropped`` and warned of); an error when nothing is left."""
    dropped = dict(design.dropped)
    y, X, w = design.y[:, outcome], design.X, design.weights
    codes, rows, slopes = design.fe_codes, design.rows, design.slopes
    sample = np.arange(len(rows))
    clusters = dict(design.clusters)
    if codes or slopes:
        # A group of one row is fitted exactly by its slope as by its intercept.
        keep = drop_singletons([*codes, *(s.codes for s in slopes)])
        if not keep.all():
            dropped["singleton fixed-effect groups"] = int((~keep).sum())
            warnings.warn(f"{int((~keep).sum())} row(s) in singleton fixed-effect groups "
                          f"removed", EstimationWarning, stacklevel=4)
            y, X, rows, sample = y[keep], X[keep], rows[keep], sample[keep]
            w = None if w is None else w[keep]
            codes = tuple(_renumber(c[keep]) for c in codes)
            slopes = tuple(s.subset(keep) for s in slopes)
            clusters = {name: g.subset(keep) for name, g in clusters.items()}
        if not len(rows):
            effects = " + ".join([*design.fe_names, *(s.label for s in slopes)])
            raise ValueError(f"every row of {design.formula.text!r} is a singleton in a fixed "
                             f"effect ({effects}); nothing is left to fit")
    return Sample(y, X, w, codes, slopes, rows, sample, clusters, dropped)


def fit(design: Design, *, outcome: int = 0, tol: float = 1e-10, max_iter: int = 10_000
        ) -> LinearFit:
    """Fit one outcome of ``design`` by least squares with its fixed effects absorbed.

    Singleton groups are removed first (counted in ``dropped_rows``); regressors absorbed by the
    fixed effects or collinear with earlier ones are removed with a warning naming them.
    """
    kept = without_singletons(design, outcome)
    y_raw, X_raw, w, codes, slopes = kept.y, kept.X, kept.weights, kept.codes, kept.slopes
    rows, sample, clusters, dropped = kept.rows, kept.sample, kept.clusters, kept.dropped
    effects = " + ".join([*design.fe_names, *(s.label for s in slopes)])
    absorber = Absorber(codes, w, tol=tol, max_iter=max_iter, slopes=_pairs(slopes))
    # Built in the absorber's layout and projected in place: one copy of the data, not two.
    stacked = np.empty((len(y_raw), 1 + X_raw.shape[1]), order="F")
    stacked[:, 0] = y_raw
    stacked[:, 1:] = X_raw
    demeaned, iterations = absorber.demean(stacked, overwrite=True)
    y_tilde, X_tilde = demeaned[:, 0], demeaned[:, 1:]
    names, drops = list(design.names), []
    if codes or slopes:
        gone = absorbed(X_raw, X_tilde)
        for j in np.flatnonzero(gone):
            drops.append(DroppedCoefficient(names[j], "absorbed by the fixed effects "
                                            + effects))
        X_tilde = X_tilde[:, ~gone]
        names = [n for n, g in zip(names, gone, strict=True) if not g]
    root_w = None if w is None else np.sqrt(w)
    if root_w is not None:
        X_tilde = X_tilde * root_w[:, None]
        y_tilde = y_tilde * root_w
    if X_tilde.shape[0] < X_tilde.shape[1]:
        raise ValueError(f"{design.formula.text!r}: {X_tilde.shape[0]} row(s) left for "
                         f"{X_tilde.shape[1]} regressor(s) after the fixed effects; the model "
                         f"cannot be estimated (drop regressors or use more data)")
    X_tilde, names, collinear, (q, r) = _independent(X_tilde, names)
    drops += collinear
    if drops:
        warnings.warn("dropped regressor(s): " + "; ".join(f"{d.name} ({d.reason})"
                                                            for d in drops),
                      EstimationWarning, stacklevel=3)
    if not names:
        raise ValueError(f"no regressor of {design.formula.text!r} is identified: "
                         + "; ".join(f"{d.name} {d.reason}" for d in drops))
    params = scipy.linalg.solve_triangular(r, q.T @ y_tilde)
    r_inv = scipy.linalg.solve_triangular(r, np.eye(len(names)))
    residuals = y_tilde - X_tilde @ params
    tss = _tss(y_raw, w, centred=bool(codes) or design.formula.intercept)
    return LinearFit(
        formula=design.formula, outcome=design.formula.outcomes[outcome],
        names=tuple(names), params=params, X=X_tilde, y=y_tilde, residuals=residuals,
        xtx_inv=r_inv @ r_inv.T, rows=rows, design=design, sample=sample, clusters=clusters,
        fe_names=design.fe_names, fe_codes=codes,
        fe_params=fe_parameters(codes, _pairs(slopes)), weights=w,
        has_intercept=design.formula.intercept, tss=tss, tss_within=float(y_tilde @ y_tilde),
        iterations=iterations, dropped_rows=dropped, dropped_coefficients=tuple(drops),
        slopes=slopes,
    )


def crossed_effects(fitted: LinearFit, codes: np.ndarray) -> tuple[str, ...]:
    """The fixed effects and varying slopes (by label, ``a[[x]]``) of ``fitted`` whose groups
    are not nested in the groups ``codes`` (cutting across them, as years across
    townships)."""
    return tuple(name for name, fe in _groupings(fitted)
                 if not is_nested(fe, int(fe.max()) + 1, codes))


def dummy_limit(nobs: int) -> int:
    """Most dummy columns a refit on ``nobs`` rows may take: :data:`MAX_DUMMIES`, fewer where
    they would hold more than :data:`MAX_DUMMY_CELLS` values."""
    return min(MAX_DUMMIES, MAX_DUMMY_CELLS // max(nobs, 1))


def too_many_levels(fitted: LinearFit, names: tuple[str, ...]) -> list[str]:
    """Those of the fixed effects or varying slopes ``names`` that would take more than
    :func:`dummy_limit` dummy columns, or all of ``names`` when together they would."""
    widths = {s.label: s.values.shape[1] for s in fitted.slopes}
    columns = {name: (int(fe.max()) + 1) * widths.get(name, 1)
               for name, fe in _groupings(fitted) if name in names}
    limit = dummy_limit(fitted.nobs)
    alone = [name for name, width in columns.items() if width > limit]
    return alone or ([*columns] if sum(columns.values()) > limit else [])


def _groupings(fitted: LinearFit) -> list[tuple[str, np.ndarray]]:
    return [*zip(fitted.fe_names, fitted.fe_codes, strict=True),
            *((s.label, s.codes) for s in fitted.slopes)]


def _pairs(slopes: tuple[VaryingSlopes, ...]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    return tuple((s.codes, s.values) for s in slopes)


def with_dummies(fitted: LinearFit, expand: tuple[str, ...], *, tol: float = 1e-10,
                 max_iter: int = 10_000) -> LinearFit:
    """Refit ``fitted`` with the fixed effects ``expand`` as dummy regressors.

    The dummies follow the original regressors, so those keep their positions and estimates
    (Frisch-Waugh-Lovell). One level of each expanded effect is left out; when no fixed effect
    stays absorbed an intercept is added, so the model spans the same space as before: leaving
    it out would force one level's effect to zero. Varying slopes named in ``expand`` (by
    label, ``a[[x]]``) become one column per group and variable, ``1[a = g] * x``.
    """
    design = fitted.design
    keep = np.zeros(len(design.rows), dtype=bool)
    keep[fitted.sample] = True
    kept_fe = [(name, codes) for name, codes in zip(fitted.fe_names, fitted.fe_codes,
                                                    strict=True) if name not in expand]
    kept_slopes = tuple(s for s in fitted.slopes if s.label not in expand)
    columns, names = [design.X[fitted.sample]], list(design.names)
    # Without any fixed effect (slopes alone) the model had no intercept to restore.
    intercept = not kept_fe and bool(fitted.fe_names)
    if intercept:
        columns.append(np.ones((len(fitted.sample), 1)))
        names.append("Intercept")
    for name, codes in zip(fitted.fe_names, fitted.fe_codes, strict=True):
        if name in expand:
            levels = int(codes.max()) + 1
            dummies = np.zeros((len(codes), levels - 1))
            rows = np.flatnonzero(codes > 0)
            dummies[rows, codes[rows] - 1] = 1.0
            columns.append(dummies)
            names += [f"{name}[{level}]" for level in range(1, levels)]
    for slope in fitted.slopes:
        if slope.label in expand:
            levels = int(slope.codes.max()) + 1
            dummies = np.zeros((len(slope.codes), levels))
            dummies[np.arange(len(slope.codes)), slope.codes] = 1.0
            for p, variable in enumerate(slope.slope.variables):
                columns.append(dummies * slope.values[:, [p]])
                names += [f"{slope.slope.effect}[{level}]:{variable}" for level in range(levels)]
    outcome = design.formula.outcomes.index(fitted.outcome)
    refit = Design(
        formula=dataclasses.replace(design.formula, outcomes=(fitted.outcome,),
                                    intercept=design.formula.intercept or intercept),
        y=design.y[fitted.sample][:, [outcome]],
        X=np.asfortranarray(np.hstack(columns)), names=tuple(names),
        fe_names=tuple(n for n, _ in kept_fe), fe_codes=tuple(c for _, c in kept_fe),
        weights=fitted.weights, rows=fitted.rows, n_input=design.n_input,
        dropped=fitted.dropped_rows, weights_name=design.weights_name,
        clusters=fitted.clusters, slopes=kept_slopes)
    return fit(refit, tol=tol, max_iter=max_iter)


def _renumber(codes: np.ndarray) -> np.ndarray:
    present = np.bincount(codes)
    return (np.cumsum(present > 0) - 1)[codes]


def _independent(X: np.ndarray, names: list[str]) -> tuple[
        np.ndarray, list[str], list[DroppedCoefficient], tuple[np.ndarray, np.ndarray]]:
    """Drop each column that is a linear combination of the columns before it.

    In an unpivoted QR, ``|R_jj|`` is the part of column j orthogonal to the earlier columns,
    so comparing it with the column's norm finds the dependent columns and keeps the earlier
    ones, as fixest does. Returns the QR factors of the columns kept.
    """
    if X.shape[1] == 0:
        return X, names, [], (X, np.empty((0, 0)))
    q, r = scipy.linalg.qr(X, mode="economic")
    norms = column_norms(X)
    dependent = np.abs(np.diag(r)) <= COLLINEAR_TOL * np.maximum(norms, 1e-300)
    if not dependent.any():
        return X, names, [], (q, r)
    kept = np.flatnonzero(~dependent)
    drops = []
    for j in np.flatnonzero(dependent):
        earlier = kept[kept < j]
        if len(earlier):
            weights = np.linalg.lstsq(X[:, earlier], X[:, j], rcond=None)[0]
            partners = [names[i] for i, c in zip(earlier, weights, strict=True)
                        if abs(c) > 1e-6 * np.abs(weights).max()]
            reason = "collinear with " + ", ".join(partners)
        else:
            reason = "constant zero"
        drops.append(DroppedCoefficient(names[j], reason))
    return X[:, kept], [names[j] for j in kept], drops, scipy.linalg.qr(X[:, kept],
                                                                        mode="economic")


def _tss(y: np.ndarray, w: np.ndarray | None, *, centred: bool) -> float:
    weights = np.ones_like(y) if w is None else w
    centre = float(np.average(y, weights=weights)) if centred else 0.0
    return float(weights @ (y - centre) ** 2)
