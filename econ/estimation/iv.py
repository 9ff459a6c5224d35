"""Linear instrumental variables (2SLS and LIML) with absorbed fixed effects.

Formulas follow fixest: ``y ~ exog | fe1 + fe2 | endog ~ instruments``, or without fixed
effects ``y ~ exog | endog ~ instruments``; ``y ~ 1 | fe | d ~ z`` has no exogenous regressor.
The formula is split at its top-level ``|``; the last part, when it contains ``~``, is the
instrumental-variables part, and the rest is read by :func:`econ.spec.formula.parse`.

The fixed effects are absorbed once from the outcome, the regressors and the instruments
(Frisch-Waugh-Lovell: the k-class estimators are unchanged), and the degrees of freedom they
take are counted in every covariance through the fit's ``fe_params``, so results equal those
with explicit dummy variables.

The second stage is returned as a :class:`~econ.estimation.linear.LinearFit` whose ``X`` holds
the fitted regressors ``P_Z X`` and ``xtx_inv`` the inverse of ``X'(I - kappa M_Z) X``, with the
structural residuals ``y - X b``: the package's IID, HC1 and cluster covariances applied to it
are the usual k-class sandwich estimators (those of linearmodels' ``IV2SLS`` and ``IVLIML``).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg

from econ.estimation.absorb import Absorber, absorbed, fe_parameters
from econ.estimation.linear import (
    COLLINEAR_TOL,
    DroppedCoefficient,
    EstimationWarning,
    LinearFit,
    _independent,
    _tss,
    refuse_slopes,
    without_singletons,
)
from econ.spec.design import Design, build
from econ.spec.formula import Factor, Formula, FormulaError, Term, parse

Method = Literal["2SLS", "LIML"]


class InstrumentError(ValueError):
    """The instruments cannot identify the model (absorbed, collinear or too few)."""


@dataclass(frozen=True)
class IVFormula:
    """A parsed instrumental-variables formula.

    Attributes
    ----------
    formula
        Every column as a regressor (exogenous, endogenous, instruments) with the fixed
        effects: the formula the design is built from.
    endogenous
        Endogenous regressors (column names).
    instruments
        Excluded instruments (terms, which may expand to several columns).
    """

    text: str
    formula: Formula
    endogenous: tuple[str, ...]
    instruments: tuple[Term, ...]


def split_iv(text: str) -> tuple[str, str] | None:
    """``(main, "endog ~ instruments")`` of an IV formula, or ``None`` if ``text`` has no IV
    part (no ``~`` after its last top-level ``|``)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([" and 1) or ((ch in ")]" and -1) or 0)
        if ch == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if len(parts) < 2 or "~" not in parts[-1]:
        return None
    return "|".join(parts[:-1]), parts[-1]


def parse_iv(text: str) -> IVFormula:
    """Parse ``y ~ exog | fe | endog ~ instruments`` (the fixed-effect part is optional)."""
    split = split_iv(text)
    if split is None:
        raise FormulaError(f"{text!r} has no instrumental-variables part: write "
                           f"'y ~ exog | fe | endog ~ instruments'")
    main, iv_text = split
    if main.count("~") != 1:
        raise FormulaError(f"formula {text!r} needs one '~' before the first '|' (outcome ~ "
                           f"exogenous regressors) and one in the IV part (endog ~ instruments)")
    lhs, rest = main.split("~")
    rhs, bar, fe = rest.partition("|")
    iv = parse(iv_text)
    endogenous = iv.outcomes
    # Parsed only to compare terms: "+ 1" keeps "y ~ 1 | fe" (no exogenous regressor) legal.
    exogenous = parse(f"{lhs} ~ {rhs} + 1").terms
    for name in endogenous:
        if Term((Factor(name),)) in exogenous:
            raise FormulaError(f"{name!r} is both endogenous and exogenous in {text!r}: remove it "
                               f"from the exogenous regressors (before the first '|')")
    for term in iv.terms:
        if term in exogenous:
            raise FormulaError(f"instrument {term.label!r} is also an exogenous regressor in "
                               f"{text!r}: an included exogenous variable instruments itself; "
                               f"list only excluded instruments after the '~' of the IV part")
    on_both = [t.label for t in iv.terms if any(c in endogenous for f in t.factors
                                                 for c in f.columns)]
    if on_both:
        raise FormulaError(f"instrument(s) {on_both} use the endogenous regressor(s) "
                           f"{list(endogenous)} in {text!r}")
    combined_rhs = " + ".join([rhs.strip(), *endogenous, iv_text.split("~", 1)[1].strip()])
    combined = parse(f"{lhs} ~ {combined_rhs}" + (f" | {fe}" if bar else ""))
    return IVFormula(text, dataclasses.replace(combined, text=text), endogenous, iv.terms)


@dataclass(frozen=True, eq=False)
class IVFit:
    """A k-class fit (2SLS or LIML) in the weighted, fixed-effect-free metric.

    Attributes
    ----------
    second
        The second stage (see the module docstring); names are the endogenous regressors,
        then the exogenous ones.
    first
        One first-stage least-squares fit per endogenous regressor, on the instruments then the
        exogenous regressors.
    method, kappa
        ``"2SLS"`` (``kappa = 1``) or ``"LIML"`` (the smallest root of the LIML determinant).
    endogenous, instruments, exogenous
        Column names of each kind (instruments as expanded columns).
    regressors
        The regressors ``X`` themselves (not fitted), columns as ``second.names``.
    Z
        Instruments then exogenous regressors, columns as ``first[0].names``.
    ols_residuals
        Residuals of least squares of the outcome on ``X`` (endogeneity tests).
    """

    second: LinearFit
    first: tuple[LinearFit, ...]
    method: Method
    kappa: float
    endogenous: tuple[str, ...]
    instruments: tuple[str, ...]
    exogenous: tuple[str, ...]
    regressors: np.ndarray
    Z: np.ndarray
    ols_residuals: np.ndarray


def build_iv(parsed: IVFormula, data: pd.DataFrame, *, weights: str | None = None,
             clusters: tuple[str, ...] = ()) -> tuple[Design, tuple[str, ...]]:
    """The design of ``parsed`` and the names of its instrument columns."""
    design = build(parsed.formula, data, weights=weights, clusters=clusters)
    for name in parsed.endogenous:
        if name not in design.names:
            raise FormulaError(f"endogenous regressor {name!r} is not numeric (dtype "
                               f"{data[name].dtype}): instrument a number or a 0/1 dummy")
    if all(len(t.factors) == 1 and t.factors[0].kind == "value"
           and t.factors[0].column in design.names for t in parsed.instruments):
        # Numeric columns are their own single column; others expand by level, read by a build.
        return design, tuple(t.factors[0].column for t in parsed.instruments)
    sample = data.iloc[design.rows] if len(design.rows) < len(data) else data
    instrument_formula = dataclasses.replace(parsed.formula, outcomes=parsed.endogenous[:1],
                                             terms=parsed.instruments, fixed_effects=(),
                                             intercept=False)
    instruments = build(instrument_formula, sample).names
    return design, instruments


def fit_iv(design: Design, instruments: tuple[str, ...], endogenous: tuple[str, ...], *,
           method: Method = "2SLS", outcome: int = 0, tol: float = 1e-10,
           max_iter: int = 10_000) -> IVFit:
    """Fit one outcome of ``design`` by 2SLS or LIML with its fixed effects absorbed.

    Raises
    ------
    InstrumentError
        When an instrument or endogenous regressor is absorbed by the fixed effects or collinear
        with the exogenous regressors, or fewer instruments than endogenous regressors remain.
    """
    text = design.formula.text
    if len(instruments) < len(endogenous):
        raise InstrumentError(
            f"fewer instruments ({len(instruments)}: {', '.join(instruments)}) than endogenous "
            f"regressors ({len(endogenous)}: {', '.join(endogenous)}) in {text!r}: the model "
            f"is not identified; add excluded instruments or treat a regressor as exogenous")
    names = list(design.names)
    exogenous = [n for n in names if n not in endogenous and n not in instruments]
    refuse_slopes(design, "IV estimation")
    usable = without_singletons(design, outcome)
    y_raw, X_raw, w, codes = usable.y, usable.X, usable.weights, usable.codes
    rows, sample, clusters, dropped = usable.rows, usable.sample, usable.clusters, usable.dropped
    absorber = Absorber(codes, w, tol=tol, max_iter=max_iter)
    demeaned, iterations = absorber.demean(np.column_stack([y_raw, X_raw]))
    y_w, X_w = demeaned[:, 0], demeaned[:, 1:]
    drops: list[DroppedCoefficient] = []
    if codes:
        gone = absorbed(X_raw, X_w)
        fes = " + ".join(design.fe_names)
        for kind, group in (("instrument", instruments), ("endogenous regressor", endogenous)):
            lost = [n for n in group if gone[names.index(n)]]
            if lost:
                raise InstrumentError(
                    f"{kind}(s) {lost} absorbed by the fixed effects {fes} (constant within "
                    f"them) in {text!r}: it cannot identify anything once they are removed; "
                    f"use a variable that varies within the fixed effects or drop the fixed "
                    f"effect it does not vary within")
        drops += [DroppedCoefficient(n, f"absorbed by the fixed effects {fes}")
                  for n in exogenous if gone[names.index(n)]]
    if w is not None:
        root_w = np.sqrt(w)
        y_w, X_w = y_w * root_w, X_w * root_w[:, None]
    exog = [n for n in exogenous if n not in {d.name for d in drops}]
    # One QR of [exogenous, instruments]: a dependent exogenous column is dropped as feols
    # drops it, a dependent instrument is an error.
    order = [*exog, *instruments]
    ZQ, kept, dependent, (q, _) = _independent(X_w[:, [names.index(n) for n in order]], order)
    bad = [d for d in dependent if d.name in instruments]
    if bad:
        raise InstrumentError(
            "instrument(s) " + "; ".join(f"{d.name} ({d.reason})" for d in bad)
            + f" in {text!r}: collinear instruments identify nothing; drop them or use others")
    drops += dependent
    if drops:
        warnings.warn("dropped regressor(s): " + "; ".join(f"{d.name} ({d.reason})"
                                                            for d in drops),
                      EstimationWarning, stacklevel=3)
    exog = [n for n in kept if n in exogenous]
    W_exog = ZQ[:, :len(exog)]
    column = {n: X_w[:, names.index(n)] for n in (*instruments, *endogenous)}
    for name in endogenous:
        values = column[name]
        within = values - q[:, :len(exog)] @ (q[:, :len(exog)].T @ values)
        if np.linalg.norm(within) <= COLLINEAR_TOL * max(float(np.linalg.norm(values)), 1e-300):
            raise InstrumentError(
                f"endogenous regressor {name!r} is collinear with the exogenous regressors "
                f"{exog} in {text!r}: its coefficient is not identified")
    Z = np.column_stack([*(column[n] for n in instruments), W_exog])
    X = np.column_stack([*(column[n] for n in endogenous), W_exog])
    second_names = (*endogenous, *exog)
    first_names = (*instruments, *exog)
    n = len(y_w)
    if n <= Z.shape[1]:
        raise ValueError(f"{text!r}: {n} row(s) left for {Z.shape[1]} instruments and "
                         f"exogenous regressors after the fixed effects")
    ztz = Z.T @ Z
    ztz_factor = scipy.linalg.cho_factor(ztz)
    zty = Z.T @ y_w
    ztx = Z.T @ X
    # X = Z pi + v; each exogenous column is its own fitted value.
    pi = scipy.linalg.cho_solve(ztz_factor, ztx)
    xpx = ztx.T @ pi  # X' P_Z X
    xpy = pi.T @ zty
    xtx = X.T @ X
    xty = X.T @ y_w
    kappa = 1.0 if method == "2SLS" else _liml_kappa(y_w, X[:, :len(endogenous)], W_exog,
                                                     ztz_factor, Z, zty, ztx)
    bread = (1 - kappa) * xtx + kappa * xpx
    rhs = (1 - kappa) * xty + kappa * xpy
    params = np.linalg.solve(bread, rhs)
    residuals = y_w - X @ params
    fitted = Z @ pi
    bread_inv = np.linalg.inv(bread)
    tss = _tss(y_raw, w, centred=bool(codes) or design.formula.intercept)
    fe_params = fe_parameters(codes)
    common = dict(rows=rows, design=design, sample=sample, clusters=clusters,
                  fe_names=design.fe_names, fe_codes=codes, fe_params=fe_params, weights=w,
                  has_intercept=design.formula.intercept, iterations=iterations,
                  dropped_rows=dropped, dropped_coefficients=tuple(drops))
    second = LinearFit(formula=design.formula, outcome=design.formula.outcomes[outcome],
                       names=second_names, params=params, X=fitted, y=y_w,
                       residuals=residuals, xtx_inv=(bread_inv + bread_inv.T) / 2, tss=tss,
                       tss_within=float(y_w @ y_w), **common)  # type: ignore[arg-type]
    ztz_inv = scipy.linalg.cho_solve(ztz_factor, np.eye(len(ztz)))
    firsts = []
    for j, name in enumerate(endogenous):
        raw = design.X[sample, names.index(name)]
        firsts.append(LinearFit(
            formula=dataclasses.replace(design.formula, outcomes=(name,)), outcome=name,
            names=first_names, params=pi[:, j], X=Z, y=X[:, j], residuals=X[:, j] - fitted[:, j],
            xtx_inv=ztz_inv, tss=_tss(raw, w, centred=bool(codes) or design.formula.intercept),
            tss_within=float(X[:, j] @ X[:, j]), **common))  # type: ignore[arg-type]
    ols = np.linalg.solve(xtx, xty)
    return IVFit(second, tuple(firsts), method, float(kappa), tuple(endogenous),
                 tuple(instruments), tuple(exog), X, Z, y_w - X @ ols)


def _liml_kappa(y: np.ndarray, endog: np.ndarray, exog: np.ndarray,
                ztz_factor: tuple[np.ndarray, bool], Z: np.ndarray, zty: np.ndarray,
                ztx: np.ndarray) -> float:
    """Smallest eigenvalue of ``(W' M_Z W)^{-1} W' M_X1 W`` with ``W = [y, endog]``."""
    m = endog.shape[1]
    W = np.column_stack([y, endog])
    ztw = np.column_stack([zty, ztx[:, :m]])
    wtw = W.T @ W
    in_z = wtw - ztw.T @ scipy.linalg.cho_solve(ztz_factor, ztw)
    if exog.shape[1]:
        xtw = exog.T @ W
        in_x1 = wtw - xtw.T @ np.linalg.solve(exog.T @ exog, xtw)
    else:
        in_x1 = wtw
    return float(scipy.linalg.eigh(in_x1, in_z, eigvals_only=True)[0])

