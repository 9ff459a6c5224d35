"""Turn a parsed formula and a table into the arrays an estimator needs.

Rows with a missing value in any used column (outcome, regressor, fixed effect, weight or
cluster variable) are dropped and counted per column; nothing else is dropped here. Singleton
fixed-effect groups are removed later, by the estimator, which reports them too.

Cluster variables are resolved here, once: each becomes a :class:`Grouping` (dense integer codes
on the estimation sample and the value of each group), which the fit carries to every
covariance estimator and bootstrap. Nothing downstream looks a column up by name again.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from econ.data.codes import group_codes
from econ.data.derive import DERIVED_COLUMNS
from econ.spec.formula import (
    Factor,
    Formula,
    FormulaError,
    Slope,
    Term,
    expression_columns,
    function_name,
)


@dataclass(frozen=True, eq=False)
class Grouping:
    """A grouping variable (a cluster) resolved to dense codes on a set of rows.

    Attributes
    ----------
    name
        The column it came from.
    codes
        One code per row, ``0 .. groups - 1``, every code present.
    labels
        The column's value for each code (for messages that name a cluster).
    """

    name: str
    codes: np.ndarray
    labels: np.ndarray

    @property
    def groups(self) -> int:
        return len(self.labels)

    @classmethod
    def of(cls, name: str, values: pd.Series) -> Grouping:
        """Dense codes of ``values`` (no missing values), numbered as :func:`group_codes` orders
        the groups (categories, then numbers, then first appearance), so that a bootstrap
        weight goes to the same cluster however the grouping was reached."""
        raw, _ = group_codes(values)
        if (raw < 0).any():
            raise ValueError(f"cluster variable {name!r} is missing in {(raw < 0).sum()} "
                             f"row(s); such rows must be dropped before grouping")
        codes = _dense(raw)
        first = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        # Only the first row of each group is labelled: converting the whole column to objects
        # would cost more than the fit's covariance on a million rows.
        return cls(name, codes, values.iloc[first].to_numpy(dtype=object))

    def subset(self, keep: np.ndarray) -> Grouping:
        """The grouping on the rows where ``keep`` is true, renumbered over the groups left."""
        present = np.bincount(self.codes[keep], minlength=self.groups) > 0
        remap = np.cumsum(present) - 1
        return Grouping(self.name, remap[self.codes[keep]], self.labels[present])


@dataclass(frozen=True, eq=False)
class VaryingSlopes:
    """Group-specific slopes to absorb: the columns ``1[codes = g] * values[:, j]``.

    Attributes
    ----------
    slope
        The formula's term (effect and variables); ``label`` names it (``a[[x]]``).
    codes
        Dense codes of the groups (``0 .. levels - 1``).
    values
        The slope variables, shape ``(n, k)``.
    """

    slope: Slope
    codes: np.ndarray
    values: np.ndarray

    @property
    def label(self) -> str:
        return self.slope.label

    @property
    def parameters(self) -> int:
        """Slope coefficients: one per group and variable."""
        return (int(self.codes.max()) + 1) * self.values.shape[1] if len(self.codes) else 0

    def subset(self, keep: np.ndarray) -> VaryingSlopes:
        """The slopes on the rows ``keep`` (a mask or positions), groups renumbered."""
        return VaryingSlopes(self.slope, _dense(self.codes[keep]), self.values[keep])


@dataclass(frozen=True)
class Design:
    """Arrays for one estimation sample.

    Attributes
    ----------
    y
        Outcomes, shape ``(n, k)``.
    X
        Regressors, shape ``(n, p)``, Fortran order, named by ``names``.
    fe_codes
        One dense integer code array per fixed effect (``0 .. levels - 1``).
    weights
        Observation weights or ``None``.
    rows
        Positions (in the input table) of the rows kept.
    dropped
        ``{reason: rows}`` for rows left out, e.g. ``{"missing assistance_funds": 3}``.
    clusters
        The cluster variables asked for, resolved on the rows kept.
    slopes
        Varying slopes absorbed besides the fixed effects (fixest's ``a[x]``, ``a[[x]]``).
    """

    formula: Formula
    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    fe_names: tuple[str, ...]
    fe_codes: tuple[np.ndarray, ...]
    weights: np.ndarray | None
    rows: np.ndarray
    n_input: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    weights_name: str | None = None
    clusters: Mapping[str, Grouping] = field(default_factory=dict)
    slopes: tuple[VaryingSlopes, ...] = ()

    @property
    def fe_levels(self) -> tuple[int, ...]:
        return tuple(int(c.max()) + 1 if len(c) else 0 for c in self.fe_codes)


def build(
    formula: Formula,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    clusters: Sequence[str] = (),
    subset: np.ndarray | None = None,
) -> Design:
    """Build the design for ``formula`` on ``data``.

    Parameters
    ----------
    formula
        A parsed formula.
    data
        The table (a validated panel's ``data`` or any DataFrame).
    weights
        Column of positive observation weights.
    clusters
        Cluster variables: rows where one is missing are dropped (and counted), and each is
        resolved to a :class:`Grouping` on the rows kept.
    subset
        Boolean mask of the rows to use (a sample of a split, :func:`split_samples`); rows
        outside it are not counted as dropped, and ``rows`` still indexes ``data``.

    Functions of columns (``log(x)``) are evaluated on the rows kept; a value outside a
    function's domain (``log`` of zero, say) is an error naming the column and the number of
    rows, not a row silently dropped as fixest does: a sample that shrinks because an outcome
    is zero changes the question asked.
    """
    wanted = [*formula.columns, *([weights] if weights else []), *clusters]
    absent = [c for c in dict.fromkeys(wanted) if c not in data.columns]
    if absent:
        hint = (" They are study variables: add them with econ.derive(panel)."
                if set(absent) <= set(DERIVED_COLUMNS) else "")
        raise FormulaError(f"column(s) {absent} not in the data; available: "
                           f"{list(data.columns)}.{hint}")
    keep = np.ones(len(data), dtype=bool) if subset is None else subset.copy()
    dropped: dict[str, int] = {}
    indicator_columns = {f.column for t in formula.terms for f in t.factors if f.kind == "i"}
    for name in dict.fromkeys(wanted):
        if name in indicator_columns and name not in (*formula.outcomes, *formula.fixed_effects):
            continue
        missing = data[name].isna().to_numpy()
        if missing.any():
            dropped[f"missing {name}"] = int(missing.sum())
            keep &= ~missing
    if weights:
        w = data[weights].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = keep & ~(w > 0)
        if (keep & (w < 0)).any():
            raise FormulaError(f"weights {weights!r} has negative values; weights must be > 0")
        if bad.any():
            dropped[f"zero {weights}"] = int(bad.sum())
            keep &= ~bad
    rows = np.flatnonzero(keep)
    if not len(rows):
        raise FormulaError(f"no rows left for {formula.text!r} after dropping missing values "
                           f"({dropped})")
    sample = data.iloc[rows] if len(rows) < len(data) else data
    _require_finite(sample, [*(c for o in formula.outcomes for c in expression_columns(o)),
                             *(c for t in formula.terms for f in t.factors
                               if f.kind in ("value", "expr") for c in f.columns),
                             *(v for slope in formula.slopes for v in slope.variables),
                             *([weights] if weights else [])], rows)
    y = np.column_stack([_numeric(sample[o], o) if o in sample.columns
                         else evaluate(o, sample, rows) for o in formula.outcomes])
    columns: list[tuple[str, np.ndarray]] = []
    if formula.intercept:
        columns.append(("Intercept", np.ones(len(rows))))
    for term in formula.terms:
        columns += _term_columns(term, sample, rows)
    names = tuple(name for name, _ in columns)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise FormulaError(f"terms {duplicated} appear twice in {formula.text!r}")
    X = np.empty((len(rows), len(columns)), dtype=np.float64, order="F")
    for j, (_, values) in enumerate(columns):
        X[:, j] = values
    fe_codes = tuple(_effect_codes(name, sample) for name in formula.fixed_effects)
    slopes = tuple(VaryingSlopes(slope, _effect_codes(slope.effect, sample),
                                 np.column_stack([_slope_values(sample[v], v, slope)
                                                  for v in slope.variables]))
                   for slope in formula.slopes)
    groupings = {name: Grouping.of(name, sample[name]) for name in dict.fromkeys(clusters)}
    return Design(formula, y, X, names, formula.fixed_effects, fe_codes,
                  None if not weights else w[rows], rows, len(data), dropped, weights,
                  groupings, slopes)


def split_samples(data: pd.DataFrame, *, split: str | None = None,
                  fsplit: str | None = None) -> list[tuple[str, np.ndarray | None]]:
    """The samples of fixest's ``split=`` / ``fsplit=``: ``(label, mask)`` per value of the
    variable, in sorted order (``fsplit`` first gives the full sample, mask ``None``).

    Rows where the variable is missing belong to no split sample (only to the full one).
    """
    if split is not None and fsplit is not None:
        raise FormulaError(f"give split={split!r} or fsplit={fsplit!r}, not both (fsplit is "
                           f"split plus the full sample)")
    name = split if split is not None else fsplit
    if name is None:
        return [("", None)]
    if name not in data.columns:
        raise FormulaError(f"split variable {name!r} is not in the data; available: "
                           f"{list(data.columns)}")
    values = _objects(data[name])
    levels = _levels(data[name])
    if not levels:
        raise FormulaError(f"split variable {name!r} has no non-missing value")
    samples: list[tuple[str, np.ndarray | None]] = [] if fsplit is None else [("all", None)]
    for level in levels:
        shown = f"{level:g}" if isinstance(level, float) else str(level)
        samples.append((f"{name} = {shown}", values == level))
    return samples


def evaluate(expression: str, sample: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Evaluate a function of columns (an outcome or a factor, as normalised by the parser).

    Raises
    ------
    FormulaError
        Naming the function, the column(s), the number of rows and their positions, if an
        argument is outside the function's domain or the result is not finite.
    """
    return _evaluate(ast.parse(expression, mode="eval").body, expression, sample, rows)


_DOMAINS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray],
                          str]] = {
    "log": (np.log, lambda a: a <= 0, "zero or negative"),
    "log1p": (np.log1p, lambda a: a <= -1, "-1 or less"),
    "sqrt": (np.sqrt, lambda a: a < 0, "negative"),
    "exp": (np.exp, lambda a: np.zeros(len(a), dtype=bool), ""),
    "I": (lambda a: a, lambda a: np.zeros(len(a), dtype=bool), ""),
}


def _evaluate(node: ast.expr, expression: str, sample: pd.DataFrame,
              rows: np.ndarray) -> np.ndarray:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # the parser allows numbers only
        return np.full(len(sample), float(node.value))
    if isinstance(node, ast.Name):
        series = sample[node.id]
        if _is_categorical(series):
            raise FormulaError(f"{expression!r} uses {node.id!r}, which is not numeric "
                               f"(dtype {series.dtype})")
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(node, ast.UnaryOp):
        inner = _evaluate(node.operand, expression, sample, rows)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, expression, sample, rows)
        right = _evaluate(node.right, expression, sample, rows)
        # Overflow and division by zero are reported below, by the rows they affect.
        with np.errstate(all="ignore"):
            out = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                   ast.Div: np.divide, ast.Pow: np.power}[type(node.op)](left, right)
        return _finite(out, ast.unparse(node), expression, rows)
    assert isinstance(node, ast.Call)  # the parser allows nothing else
    function, argument = function_name(node), node.args[0]
    values = _evaluate(argument, expression, sample, rows)
    apply, outside, what = _DOMAINS[function]
    bad = np.flatnonzero(outside(values))
    if len(bad):
        read = ", ".join(repr(c) for c in expression_columns(ast.unparse(argument)))
        raise FormulaError(
            f"{function}() in {expression!r} is undefined where {ast.unparse(argument)} is "
            f"{what}: {len(bad):,} row(s) (positions {_positions(rows[bad])}) of column(s) {read}. "
            f"econ does not drop these rows (fixest does, silently changing the sample): "
            + ("use log1p() or a Poisson model for an outcome with zeros, or " if function == "log"
               else "") + "drop the rows first")
    with np.errstate(all="ignore"):
        out = apply(values)
    return _finite(out, ast.unparse(node), expression, rows)


def _finite(values: np.ndarray, part: str, expression: str, rows: np.ndarray) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise FormulaError(f"{part} in {expression!r} is not a finite number in {len(bad)} "
                           f"row(s) (positions {_positions(rows[bad])}): overflow or division "
                           f"by zero; rescale the column or drop these rows first")
    return values


def _positions(rows: np.ndarray) -> str:
    return ", ".join(str(int(r)) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")


def _effect_codes(name: str, sample: pd.DataFrame) -> np.ndarray:
    """Dense codes of a fixed effect; ``a^b`` has one code per combination present."""
    parts = name.split("^")
    codes = _dense(group_codes(sample[parts[0]])[0])
    for part in parts[1:]:
        more = _dense(group_codes(sample[part])[0])
        codes = _dense(codes * (int(more.max()) + 1) + more)
    return codes


def _require_finite(sample: pd.DataFrame, columns: list[str], rows: np.ndarray) -> None:
    """Refuse infinite values in numeric columns the model uses, naming column and rows."""
    problems = []
    for name in dict.fromkeys(columns):
        series = sample[name]
        if _is_categorical(series) or pd.api.types.is_bool_dtype(series.dtype):
            continue
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(values))
        if len(bad):
            problems.append(f"{name!r} is infinite in {len(bad)} row(s) (positions "
                            f"{_positions(rows[bad])})")
    if problems:
        raise FormulaError("; ".join(problems) + ": replace or drop these values (inf, -inf, "
                           "or numbers too large for a float, such as 1e400) before fitting")


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            series.dtype) or series.dtype == object:
        raise FormulaError(f"outcome or weight {name!r} is not numeric (dtype {series.dtype})")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _slope_values(series: pd.Series, name: str, slope: Slope) -> np.ndarray:
    if _is_categorical(series):
        raise FormulaError(f"{name!r} in the varying slopes {slope.label} is not numeric "
                           f"(dtype {series.dtype}): a slope needs a number; for one effect "
                           f"per combination of groups write {slope.effect}^{name}")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _is_categorical(series: pd.Series) -> bool:
    return (isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(series.dtype) or series.dtype == object)


def _term_columns(term: Term, sample: pd.DataFrame, rows: np.ndarray
                  ) -> list[tuple[str, np.ndarray]]:
    product = _factor_columns(term.factors[0], sample, rows)
    for factor in term.factors[1:]:
        expanded = _factor_columns(factor, sample, rows)
        product = [(f"{a}:{b}", x * z) for a, x in product for b, z in expanded]
    return product


def _factor_columns(factor: Factor, sample: pd.DataFrame, rows: np.ndarray
                    ) -> list[tuple[str, np.ndarray]]:
    if factor.kind == "expr":
        return [(factor.column, evaluate(factor.column, sample, rows))]
    series = sample[factor.column]
    if factor.kind == "value" and not _is_categorical(series):
        return [(factor.column, series.to_numpy(dtype=np.float64, na_value=np.nan))]
    levels = _levels(series)
    if factor.kind == "i":
        unknown = [r for r in factor.refs if r not in levels]
        if unknown:
            raise FormulaError(f"ref={unknown} not among the values of {factor.column!r}: "
                               f"{levels[:20]}")
        kept = [v for v in levels if v not in factor.refs]
        by = (None if factor.by is None
              else sample[factor.by].to_numpy(dtype=np.float64, na_value=np.nan))
        values = _objects(series)
        out = []
        for level in kept:
            dummy = (values == level).astype(np.float64)
            name = f"{factor.column}::{level}"
            out.append((name, dummy) if by is None else (f"{name}:{factor.by}", dummy * by))
        return out
    refs = factor.refs or levels[:1]
    unknown = [r for r in refs if r not in levels]
    if unknown:
        raise FormulaError(f"ref={unknown} not among the values of {factor.column!r}: "
                           f"{levels[:20]}")
    values = _objects(series)
    prefix = f"C({factor.column})" if factor.kind == "C" else factor.column
    return [(f"{prefix}[{level}]", (values == level).astype(np.float64))
            for level in levels if level not in refs]


def _objects(series: pd.Series) -> np.ndarray:
    """The values as objects, missing ones as ``None`` (so comparing them gives ``False``)."""
    return series.to_numpy(object, na_value=None)  # type: ignore[call-overload]  # stubs lack None


def _levels(series: pd.Series) -> list[object]:
    present = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        used = set(present.unique())
        return [c for c in series.cat.categories if c in used]
    values = present.unique()
    if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype):
        return sorted(v.item() if hasattr(v, "item") else v for v in values)
    return sorted(values, key=str)


def _dense(codes: np.ndarray) -> np.ndarray:
    """Renumber codes 0..L-1 over the levels present (dropped rows may leave gaps), as int64."""
    # Converted first: bincount would convert narrower codes to int64 itself, in a temporary.
    codes = codes.astype(np.int64)
    present = np.bincount(codes)
    if present.all():
        return codes  # already dense (every category present): no gather
    return (np.cumsum(present > 0) - 1)[codes]
