"""Regression tables across several models (like fixest's ``etable`` or Stata's ``esttab``).

One column per model; coefficient rows with standard errors, t statistics or confidence
intervals beneath; then rows for fixed effects, covariance, clusters, observations, R-squared
and wild-bootstrap p-values and intervals where the models carry them. The result is a
:class:`~econ.table.Table`, so it renders to LaTeX, HTML, Markdown, text and CSV.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import pandas as pd

from econ.data.dataset import SIMULATED_LABEL
from econ.data.labels import Language, check_language, term_label, variable_label
from econ.presentation.event_study_column import Coefficients, EventStudyColumn
from econ.results.bootstrap import WildBootstrapTest
from econ.results.design import DesignResult
from econ.results.event_study import EventStudy
from econ.results.regression import RegressionResult
from econ.results.staggered import AggregateResult
from econ.table import Table

Beneath = Literal["se", "tstat", "ci", "pvalue", "none"]

_WORDS = {
    "fe": ("{} fixed effects", "{}固定效应"),
    "yes": ("Yes", "是"), "no": ("No", "否"),
    "covariance": ("Standard errors", "标准误"),
    "clusters": ("Clusters", "聚类"),
    "nobs": ("Observations", "观测值"),
    "r2": ("R²", "R²"),
    "r2_within": ("Within R²", "组内R²"),
    "boot_p": ("{}: wild bootstrap p", "{}：野自助法p值"),
    "boot_ci": ("{}: wild bootstrap {:.0%} CI", "{}：野自助法{:.0%}置信区间"),
    "dependent": ("Dependent variable", "被解释变量"),
    "title": ("Regression results", "回归结果"),
    "se": ("Standard errors in parentheses.", "括号内为标准误。"),
    "tstat": ("t statistics in parentheses.", "括号内为t统计量。"),
    "ci": ("{:.0%} confidence intervals in brackets.", "方括号内为{:.0%}置信区间。"),
    "pvalue": ("p-values in parentheses.", "括号内为p值。"),
    "stars_analytic": ("Stars from the analytic p-values: {}.", "显著性（解析p值）：{}。"),
    "stars_bootstrap": ("Stars from wild-bootstrap p-values where reported, analytic "
                        "otherwise: {}.",
                        "显著性（有野自助法p值时用之，否则用解析p值）：{}。"),
    "bootstrap": ("Wild cluster bootstrap: {}.", "野聚类自助法：{}。"),
    "simulated": (SIMULATED_LABEL, "模拟数据：" + SIMULATED_LABEL),
}


@dataclass(frozen=True)
class Stars:
    """Significance stars: ``symbols[i]`` when ``p < levels[i]`` (the smallest level wins).

    ``Stars(levels=(), symbols=())`` prints none.
    """

    levels: tuple[float, ...] = (0.10, 0.05, 0.01)
    symbols: tuple[str, ...] = ("*", "**", "***")

    def __post_init__(self) -> None:
        if len(self.levels) != len(self.symbols):
            raise ValueError("Stars needs one symbol per level")
        if list(self.levels) != sorted(self.levels, reverse=True) or any(
                not 0 < p < 1 for p in self.levels):
            raise ValueError(f"Stars levels must lie in (0, 1) and decrease, got {self.levels}")

    def mark(self, pvalue: float) -> str:
        marked = ""
        for level, symbol in zip(self.levels, self.symbols, strict=True):
            if pvalue < level:
                marked = symbol
        return marked

    def describe(self) -> str:
        return ", ".join(f"{s} p < {p:g}" for p, s in zip(self.levels, self.symbols,
                                                           strict=True))


@dataclass(frozen=True)
class Model:
    """One column of a regression table: a result, its heading and its bootstrap tests.

    Parameters
    ----------
    result
        A fitted regression.
    title
        Heading of the column (below the dependent variable); none by default.
    bootstrap
        Wild bootstrap tests of single coefficients of ``result`` (``result.wild_bootstrap``),
        reported in the rows beneath.
    """

    result: Coefficients
    title: str = ""
    bootstrap: tuple[WildBootstrapTest, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "bootstrap", tuple(self.bootstrap))
        self.tests  # noqa: B018 - checks every test names a coefficient, at construction

    @cached_property
    def tests(self) -> dict[str, WildBootstrapTest]:
        """``{coefficient: its bootstrap test}``."""
        return {_tested_term(t, self.result): t for t in self.bootstrap}


Column = RegressionResult | DesignResult | EventStudy | AggregateResult | Model


def etable(
    models: Column | Sequence[Column],
    *,
    keep: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    language: Language = "en",
    labels: Mapping[str, str] | None = None,
    beneath: Beneath = "se",
    level: float = 0.95,
    stars: Stars = Stars(),
    stars_from: Literal["analytic", "bootstrap"] = "analytic",
    digits: int = 3,
    title: str | None = None,
    notes: Sequence[str] = (),
    fit_statistics: Sequence[Literal["nobs", "r2", "r2_within"]] = ("nobs", "r2", "r2_within"),
) -> Table:
    """A regression table with one column per model.

    Parameters
    ----------
    models
        Results of :func:`econ.feols` (or :class:`Model` wrappers carrying a heading and wild
        bootstrap tests). A design result (:func:`econ.strong_alliance`, ...) adds one column
        per regression behind its effects, with its bootstrap tests, keeping only the effects'
        coefficients unless ``keep`` says otherwise. An event study (:class:`~econ.EventStudy`,
        or a Callaway-Sant'Anna dynamic aggregation) is a column with one row per period.
    keep, drop
        Regular expressions matched against coefficient names (``re.search``); ``keep`` also
        orders the rows (by first matching pattern). Default: every coefficient, in order of
        first appearance.
    language, labels
        ``"en"`` or ``"zh"`` labels from the schema; ``labels`` maps a term or a variable to
        its own label.
    beneath
        What is printed under each estimate: standard error, t statistic, confidence interval
        at ``level``, p-value, or nothing.
    stars, stars_from
        Significance stars, from the analytic p-values or, where a coefficient has one, from
        its wild bootstrap p-value.
    digits
        Decimals of estimates and what is printed beneath them.
    title, notes
        Caption (default "Regression results" / "回归结果") and extra notes; the table also
        states what is beneath the estimates, the stars, the bootstrap settings and, when any
        model was fitted on simulated data, that the data are simulated.
    fit_statistics
        Rows at the bottom, in order.

    Returns
    -------
    Table
        Render with ``to_latex()``, ``to_html()``, ``to_markdown()``, ``to_text()`` or
        ``write(stem)``.
    """
    columns, default_keep = _columns(models)
    if not columns:
        raise ValueError("etable needs at least one model")
    if beneath not in ("se", "tstat", "ci", "pvalue", "none"):
        raise ValueError(f"beneath must be 'se', 'tstat', 'ci', 'pvalue' or 'none', "
                         f"got {beneath!r}")
    if stars_from not in ("analytic", "bootstrap"):
        raise ValueError("stars_from must be 'analytic' or 'bootstrap'")
    unknown = [s for s in fit_statistics if s not in ("nobs", "r2", "r2_within")]
    if unknown:
        raise ValueError(f"unknown fit statistic(s) {unknown}; choose from nobs, r2, r2_within")
    check_language(language)
    lang = 0 if language == "en" else 1

    def word(key: str) -> str:
        return _WORDS[key][lang]

    terms = _select_terms(columns, keep if keep is not None else default_keep, drop)
    width = len(columns) + 1
    rows: list[tuple[str, ...]] = []
    for term in terms:
        label = term_label(term, language, labels)
        estimates, below = [label], [""]
        for column in columns:
            result = column.result
            if term not in result.names:
                estimates.append("")
                below.append("")
                continue
            p = float(result.pvalues[term])
            test = column.tests.get(term)
            if stars_from == "bootstrap" and test is not None:
                p = test.pvalue
            estimates.append(f"{result.params[term]:.{digits}f}{stars.mark(p)}")
            below.append(_beneath(result, term, beneath, level, digits))
        rows.append(tuple(estimates))
        if beneath != "none":
            rows.append(tuple(below))
    rules = [len(rows)]

    booted = [t for t in terms if any(t in c.tests for c in columns)]
    for term in booted:
        label = term_label(term, language, labels)
        tests = [c.tests.get(term) for c in columns]
        ci_level = next(t.ci_level for t in tests if t is not None and t.ci_level is not None)
        rows.append((word("boot_p").format(label),
                     *("" if t is None else _pvalue(t.pvalue, digits) for t in tests)))
        rows.append((word("boot_ci").format(label, ci_level),
                     *("" if t is None or t.ci is None else _interval(t.ci, digits)
                       for t in tests)))
    if booted:
        rules.append(len(rows))

    effects = list(dict.fromkeys(fe for c in columns for fe in c.result.fe_names))
    for fe in effects:
        rows.append((word("fe").format(variable_label(fe, language)),
                     *(word("yes") if fe in c.result.fe_names else word("no")
                       for c in columns)))
    rows.append((word("covariance"), *(_cov_type(c.result) for c in columns)))
    rows.append((word("clusters"), *(_clusters(c.result, language) for c in columns)))
    statistics = {
        "nobs": (word("nobs"), lambda r: f"{r.nobs:,}"),
        "r2": (word("r2"), lambda r: _number(r.r2, digits)),
        "r2_within": (word("r2_within"), lambda r: _number(r.r2_within, digits)),
    }
    for key in fit_statistics:
        name, show = statistics[key]
        rows.append((name, *(show(c.result) for c in columns)))
    rules.append(len(rows) - len(fit_statistics))

    header = ("", *(f"({i})" for i in range(1, width)))
    extra = [(word("dependent"), *(variable_label(c.result.outcome, language)
                                   if labels is None or c.result.outcome not in labels
                                   else labels[c.result.outcome] for c in columns))]
    if any(c.title for c in columns):
        extra.append(("", *(c.title for c in columns)))
    return Table(word("title") if title is None else title, header, tuple(rows),
                 _notes(columns, language, beneath, level, stars, stars_from, notes),
                 tuple(sorted({r for r in rules if 0 < r < len(rows)})), tuple(extra))


def _columns(models: object) -> tuple[list[Model], list[str] | None]:
    items = models if isinstance(models, Sequence) else [models]
    columns: list[Model] = []
    design_terms: list[str] = []
    plain = False
    for item in items:
        if isinstance(item, Model):
            columns.append(item)
            plain = True
        elif isinstance(item, RegressionResult):
            columns.append(Model(item))
            plain = True
        elif isinstance(item, EventStudy | AggregateResult):
            study = item if isinstance(item, EventStudy) else item.event_study()
            columns.append(Model(EventStudyColumn(study)))
            plain = True
        elif isinstance(item, DesignResult):
            by_fit: dict[int, tuple[RegressionResult, list[WildBootstrapTest]]] = {}
            for effect in item.effects:
                tests = by_fit.setdefault(id(effect.regression), (effect.regression, []))[1]
                if effect.bootstrap is not None:
                    tests.append(effect.bootstrap)
                design_terms.append(effect.coefficient)
            columns += [Model(fit, item.title if len(by_fit) == 1 else "", tuple(tests))
                        for fit, tests in by_fit.values()]
        else:
            raise TypeError(f"etable takes regression results, design results, event studies "
                            f"or econ.Model columns, not {type(item).__name__}")
    keep = None if plain or not design_terms else [
        f"^{re.escape(t)}$" for t in dict.fromkeys(design_terms)]
    return columns, keep


def _select_terms(columns: list[Model], keep: Sequence[str] | None,
                  drop: Sequence[str]) -> list[str]:
    every = list(dict.fromkeys(n for c in columns for n in c.result.names))
    dropped = [t for t in every if any(re.search(p, t) for p in drop)]
    remaining = [t for t in every if t not in dropped]
    if keep is None:
        chosen = remaining
    else:
        chosen = []
        for pattern in keep:
            chosen += [t for t in remaining if re.search(pattern, t) and t not in chosen]
    if not chosen:
        raise ValueError(f"no coefficient left after keep={list(keep or [])} and "
                         f"drop={list(drop)}; coefficients: {every}")
    return chosen


def _tested_term(test: WildBootstrapTest, result: Coefficients) -> str:
    term = test.hypothesis.rpartition(" = ")[0]
    if term not in result.names:
        raise ValueError(f"the wild bootstrap test of {test.hypothesis!r} is not about a single "
                         f"coefficient of this model ({', '.join(result.names)}); a regression "
                         f"table shows bootstrap results for single coefficients only")
    return term


def _beneath(result: Coefficients, term: str, beneath: str, level: float,
             digits: int) -> str:
    if beneath == "se":
        return f"({result.std_errors[term]:.{digits}f})"
    if beneath == "tstat":
        return f"({result.tstats[term]:.{digits}f})"
    if beneath == "pvalue":
        return f"({_pvalue(float(result.pvalues[term]), digits)})"
    if beneath == "ci":
        bounds = result.conf_int(level).loc[term]
        assert isinstance(bounds, pd.Series)  # one row: coefficient names are unique
        return _interval((bounds["conf_low"], bounds["conf_high"]), digits)
    return ""


def _interval(bounds: tuple[float, float], digits: int) -> str:
    return "[" + ", ".join(_number(b, digits) for b in bounds) + "]"


def _pvalue(p: float, digits: int) -> str:
    floor = 10.0 ** -digits
    return f"< {floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def _number(value: float, digits: int) -> str:
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}f}"


def _cov_type(result: Coefficients) -> str:
    return result.covariance.label.split(" (")[0]


def _clusters(result: Coefficients, language: Language) -> str:
    cov = result.covariance
    return ", ".join(f"{variable_label(name, language)} ({count:,})"
                     for name, count in zip(cov.clusters, cov.n_clusters, strict=True))


def _notes(columns: list[Model], language: Language, beneath: str, level: float, stars: Stars,
           stars_from: str, extra: Sequence[str]) -> tuple[str, ...]:
    lang = 0 if language == "en" else 1
    notes = list(extra)
    if beneath != "none":
        notes.append(_WORDS[beneath][lang].format(level))
    if stars.levels:
        notes.append(_WORDS[f"stars_{stars_from}"][lang].format(stars.describe()))
    methods = list(dict.fromkeys(
        f"{t.method}, {t.distribution} weights, "
        + (f"all {t.reps:,} sign patterns" if t.enumerated else f"B = {t.reps:,}")
        + f", seed {t.seed}, bootstrap clusters {', '.join(t.bootstrap_cluster)} "
          f"({t.bootstrap_clusters})"
        for c in columns for t in c.bootstrap))
    if methods:
        notes.append(_WORDS["bootstrap"][lang].format("; ".join(methods)))
    if any(c.result.simulated for c in columns):
        notes.append(_WORDS["simulated"][lang])
    return tuple(notes)
