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
from econ.results.multiple import MultipleResults
from econ.results.regression import RegressionResult
from econ.results.staggered import AggregateResult
from econ.table import Table

Beneath = Literal["se", "tstat", "ci", "pvalue", "none"]

_WORDS = {
    "fe": ("{} fixed effects", "{}固定效应"),
    "slope": ("Slope on {} by {}", "{1}的{0}斜率"),
    "yes": ("Yes", "是"), "no": ("No", "否"),
    "covariance": ("Standard errors", "标准误"),
    "clusters": ("Clusters", "聚类"),
    "nobs": ("Observations", "观测值"),
    "r2": ("R²", "R²"),
    "r2_within": ("Within R²", "组内R²"),
    "pseudo_r2": ("Pseudo R²", "伪R²"),
    "boot_p": ("Wild bootstrap p", "野自助法p值"),
    "boot_ci": ("Wild bootstrap {:.0%} CI", "野自助法{:.0%}置信区间"),
    "controls": ("Controls", "控制变量"),
    "controls_note": ("Controls not shown: {}.", "未列示的控制变量：{}。"),
    "boot_floor": ("< 1/B: none of the B bootstrap draws was as extreme as the data.",
                   "< 1/B：B次自助抽样中没有一次与样本统计量同样极端。"),
    "dependent": ("Dependent variable", "被解释变量"),
    "title": ("Regression results", "回归结果"),
    "se": ("Standard errors in parentheses.", "括号内为标准误。"),
    "tstat": ("t statistics in parentheses.", "括号内为t统计量。"),
    "ci": ("{:.0%} confidence intervals in brackets.", "方括号内为{:.0%}置信区间。"),
    "pvalue": ("p-values in parentheses.", "括号内为p值。"),
    "stars_analytic": ("Stars from the analytic p-values: {}.", "显著性（解析p值）：{}。"),
    "stars_bootstrap": ("Stars from the wild-bootstrap p-values: {}.",
                        "显著性（野自助法p值）：{}。"),
    "stars_mixed": ("Stars from the wild-bootstrap p-values for {} and from the analytic "
                    "p-values for the other coefficients: {}.",
                    "显著性：{}用野自助法p值，其余系数用解析p值：{}。"),
    "bootstrap": ("Wild cluster bootstrap: {}.", "野聚类自助法：{}。"),
    "simulated": (SIMULATED_LABEL, "模拟数据：" + SIMULATED_LABEL),
}


_METHOD = ({"method": "{method}, {weights} weights, {draws}, seed {seed}, bootstrap clusters "
                      "{clusters} ({count})", "all": "all {reps:,} sign patterns", "join": ", "},
           {"method": "{method}，{weights}权重，{draws}，随机种子{seed}，自助聚类：{clusters}"
                      "（{count}个）", "all": "全部{reps:,}种符号组合", "join": "、"})


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


Column = RegressionResult | DesignResult | EventStudy | AggregateResult | Model | MultipleResults


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
    fit_statistics: Sequence[Literal["nobs", "r2", "r2_within", "pseudo_r2"]] = (
        "nobs", "r2", "r2_within"),
    add_rows: Mapping[str, Sequence[object]] | Sequence[Sequence[object]] = (),
    names: Sequence[str] | None = None,
    controls: bool = True,
) -> Table:
    """A regression table with one column per model.

    Parameters
    ----------
    models
        Results of :func:`econ.feols` (or :class:`Model` wrappers carrying a heading and wild
        bootstrap tests). A collection from multiple estimation adds a column per model,
        headed by its split sample. A design result (:func:`econ.strong_alliance`, ...) adds
        one column per regression behind its effects, with its bootstrap tests, keeping only
        the effects' coefficients unless ``keep`` says otherwise. An event study
        (:class:`~econ.EventStudy`, or a Callaway-Sant'Anna dynamic aggregation) is a column
        with one row per period.
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
        Rows at the bottom, in order; ``"pseudo_r2"`` is McFadden's, for Poisson columns
        (blank for least squares, whose ``"r2"`` is blank for Poisson).
    add_rows
        Rows of your own above the fit statistics, e.g. ``{"Controls": ["Yes", "No"],
        "Mean of dep. var.": [1.23, 4.56]}`` (or ``[("Controls", "Yes", "No")]``): one value
        per column; numbers are printed with ``digits``.
    names
        Column headings, one per column (in place of the models' titles); ``models`` may
        also be a mapping ``{heading: result}``.
    controls
        When ``keep`` or ``drop`` hides coefficients, add a "Controls" row (Yes/No per column)
        and a note naming the hidden variables of each column.

    A ``title`` that is only a table number ("Table 4", "表4") gets the default caption after
    it ("Table 4. Regression results"), so that LaTeX numbers the table 4 rather than
    printing "Table 1: Table 4".

    Returns
    -------
    Table
        Render with ``to_latex()``, ``to_html()``, ``to_markdown()``, ``to_text()`` or
        ``write(stem)``.
    """
    if isinstance(models, Mapping):
        names = list(models) if names is None else names
        models = list(models.values())
    columns, default_keep = _columns(models)
    if not columns:
        raise ValueError("etable needs at least one model")
    if names is not None:
        if isinstance(names, str) or len(names) != len(columns):
            raise ValueError(f"names needs one heading per column ({len(columns)}), got "
                             f"{names!r}")
        columns = [Model(c.result, str(n), c.bootstrap) for c, n in zip(columns, names,
                                                                          strict=True)]
    if beneath not in ("se", "tstat", "ci", "pvalue", "none"):
        raise ValueError(f"beneath must be 'se', 'tstat', 'ci', 'pvalue' or 'none', "
                         f"got {beneath!r}")
    if stars_from not in ("analytic", "bootstrap"):
        raise ValueError("stars_from must be 'analytic' or 'bootstrap'")
    unknown = [s for s in fit_statistics if s not in ("nobs", "r2", "r2_within", "pseudo_r2")]
    if unknown:
        raise ValueError(f"unknown fit statistic(s) {unknown}; choose from nobs, r2, r2_within, "
                         f"pseudo_r2")
    check_language(language)
    lang = 0 if language == "en" else 1

    def word(key: str) -> str:
        return _WORDS[key][lang]

    terms = _select_terms(columns, keep if keep is not None else default_keep, drop)
    width = len(columns) + 1
    own = _own_rows(add_rows, len(columns), digits)
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
        # The term heads its own bootstrap rows: repeating a long label in each row label
        # made the table wider than the page.
        tests = [c.tests.get(term) for c in columns]
        ci_level = next((t.ci_level for t in tests if t is not None and t.ci_level is not None),
                        level)
        rows.append((term_label(term, language, labels), *("" for _ in columns)))
        rows.append(("  " + word("boot_p"),
                     *("" if t is None else _pvalue(t.pvalue, digits, t) for t in tests)))
        rows.append(("  " + word("boot_ci").format(ci_level),
                     *("" if t is None or t.ci is None else _interval(t.ci, digits)
                       for t in tests)))
    if booted:
        rules.append(len(rows))

    effects = list(dict.fromkeys(fe for c in columns for fe in c.result.fe_names))
    for fe in effects:
        rows.append((word("fe").format(variable_label(fe, language)),
                     *(word("yes") if fe in c.result.fe_names else word("no")
                       for c in columns)))
    slopes = [_slopes(c.result) for c in columns]
    for pair in dict.fromkeys(pair for own_slopes in slopes for pair in own_slopes):
        variable, effect = pair
        rows.append((word("slope").format(variable_label(variable, language),
                                          variable_label(effect, language)),
                     *(word("yes") if pair in own_slopes else word("no")
                       for own_slopes in slopes)))
    hidden = _hidden_controls(columns, terms, language, labels) if controls else []
    if any(hidden):
        rows.append((word("controls"), *(word("yes") if h else word("no") for h in hidden)))
    rows += own
    rows.append((word("covariance"), *(_cov_type(c.result) for c in columns)))
    rows.append((word("clusters"), *(_clusters(c.result, language) for c in columns)))
    statistics = {
        "nobs": (word("nobs"), lambda r: f"{r.nobs:,}"),
        "r2": (word("r2"), lambda r: _number(r.r2, digits)),
        "r2_within": (word("r2_within"), lambda r: _number(r.r2_within, digits)),
        "pseudo_r2": (word("pseudo_r2"), lambda r: _number(getattr(r, "pseudo_r2", math.nan),
                                                            digits)),
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
    mixed = _mixed_stars(columns, terms, language, labels) if stars_from == "bootstrap" else ""
    floor = any(t.pvalue == 0 and not t.enumerated for c in columns for t in c.bootstrap)
    extra_notes = [*notes]
    if any(hidden):
        same = len(set(hidden)) == 1
        extra_notes.append(word("controls_note").format(
            hidden[0] if same else ("；" if lang else "; ").join(
                f"({i}) {h}" for i, h in enumerate(hidden, start=1) if h)))
    if floor:
        extra_notes.append(word("boot_floor"))
    return Table(_title(title, word("title")), header, tuple(rows),
                 _notes(columns, language, beneath, level, stars, stars_from, extra_notes,
                        mixed),
                 tuple(sorted({r for r in rules if 0 < r < len(rows)})), tuple(extra))


_NUMBER_ONLY = re.compile(r"^(?:Table\s+[A-Z]?\d+[A-Za-z]?|表\s*[A-Z]?\d+[A-Za-z]?)\.?$")


def _title(title: str | None, default: str) -> str:
    if title is None:
        return default
    if _NUMBER_ONLY.match(title.strip()):
        number = title.strip().rstrip(".")
        return f"{number} {default}" if number.startswith("表") else f"{number}. {default}"
    return title


def _own_rows(add_rows: Mapping[str, Sequence[object]] | Sequence[Sequence[object]],
              columns: int, digits: int) -> list[tuple[str, ...]]:
    """The user's rows, one cell per column, numbers printed with ``digits``."""
    items = (list(add_rows.items()) if isinstance(add_rows, Mapping)
             else [(row[0], row[1:]) for row in add_rows])
    rows = []
    for label, values in items:
        cells = [values] if isinstance(values, str) else list(values)
        if len(cells) != columns:
            raise ValueError(f"add_rows: the row {label!r} has {len(cells)} value(s); the table "
                             f"has {columns} column(s), one value each")
        rows.append((str(label), *(_cell(v, digits) for v in cells)))
    return rows


def _cell(value: object, digits: int) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _number(value, digits)
    return "" if value is None else str(value)


def _slopes(result: object) -> tuple[tuple[str, str], ...]:
    """(variable, fixed effect) of each varying slope a column's fit absorbed (none for
    results without a linear fit)."""
    fit = getattr(result, "fit", None)
    return tuple((v, s.slope.effect) for s in getattr(fit, "slopes", ())
                 for v in s.slope.variables)


def _hidden_controls(columns: list[Model], shown: list[str], language: Language,
                     labels: Mapping[str, str] | None) -> list[str]:
    """Per column, the variables behind the coefficients ``keep``/``drop`` left out."""
    described = []
    for column in columns:
        variables: dict[str, None] = {}
        for name in column.result.names:
            if name in shown or name == "Intercept" or isinstance(column.result,
                                                                   EventStudyColumn):
                continue
            # A level may itself hold ":" (designation_cell::2021:0): bare numbers are levels.
            parts = [part.split("::")[0] for part in re.split(r"(?<!:):(?!:)", name)
                     if not re.fullmatch(r"-?[\d.]+", part)]
            variables[" × ".join(term_label(p, language, labels) for p in parts)] = None
        described.append(("、" if language == "zh" else ", ").join(variables))
    return described


def _mixed_stars(columns: list[Model], terms: list[str], language: Language,
                 labels: Mapping[str, str] | None) -> str:
    """The terms whose stars come from the bootstrap when others' come from analytic p."""
    shown = [t for t in terms if any(t in c.result.names for c in columns)]
    tested = [t for t in shown if all(t in c.tests for c in columns if t in c.result.names)]
    partly = [t for t in shown if t not in tested and any(t in c.tests for c in columns)]
    if partly:
        raise ValueError(f"stars_from='bootstrap': {partly} have a bootstrap test in some "
                         f"columns only, so one row would mix bootstrap and analytic stars; "
                         f"bootstrap them in every column or use stars_from='analytic'")
    if len(tested) in (0, len(shown)):
        return ""
    return ("、" if language == "zh" else ", ").join(term_label(t, language, labels)
                                                   for t in tested)


def _columns(models: object) -> tuple[list[Model], list[str] | None]:
    listed = (models if isinstance(models, Sequence)
              and not isinstance(models, MultipleResults) else [models])
    items: list[object] = []
    for item in listed:
        items += ([Model(r, s) for r, s in zip(item, item.samples, strict=True)]
                  if isinstance(item, MultipleResults) else [item])
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


def _pvalue(p: float, digits: int, test: WildBootstrapTest | None = None) -> str:
    if test is not None and p == 0 and not test.enumerated:
        return f"< 1/{test.reps}"
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
           stars_from: str, extra: Sequence[str], mixed: str = "") -> tuple[str, ...]:
    lang = 0 if language == "en" else 1
    notes = list(extra)
    if beneath != "none":
        notes.append(_WORDS[beneath][lang].format(level))
    if stars.levels and mixed:
        notes.append(_WORDS["stars_mixed"][lang].format(mixed, stars.describe()))
    elif stars.levels:
        booted = stars_from == "bootstrap" and any(c.bootstrap for c in columns)
        notes.append(_WORDS["stars_bootstrap" if booted else "stars_analytic"][lang].format(
            stars.describe()))
    words = _METHOD[lang]
    methods = list(dict.fromkeys(
        words["method"].format(
            method=t.method, weights=t.distribution.capitalize(), seed=t.seed,
            draws=(words["all"] if t.enumerated else "B = {reps:,}").format(reps=t.reps),
            clusters=words["join"].join(variable_label(b, language)
                                        for b in t.bootstrap_cluster),
            count=t.bootstrap_clusters)
        for c in columns for t in c.bootstrap))
    if methods:
        notes.append(_WORDS["bootstrap"][lang].format("; ".join(methods)))
    if any(c.result.simulated for c in columns):
        notes.append(_WORDS["simulated"][lang])
    return tuple(notes)
