"""Parse fixest-style formulas: ``y ~ x1 + log(x2) + i(event_time, ref=-1) | village_id + year``.

Grammar (whitespace ignored):

- ``outcomes ~ terms | fixed effects``; several outcomes are joined with ``+`` or written
  ``c(y1, y2)``, and each gets its own model (:func:`expand`);
- a term is factors joined by ``:`` (product); ``a*b`` expands to ``a + b + a:b``;
- a factor is a column name, ``C(col)`` or ``C(col, ref=value)`` (dummies for each level but the
  reference), ``i(col, ref=v)`` / ``i(col, by, ref=[v1, v2])`` (one dummy per value except
  the references, times ``by`` if given; a missing ``col`` gives zeros, so never-treated units
  sit in the reference), or a function of columns: ``log(x)``, ``log1p(x)``, ``exp(x)``,
  ``sqrt(x)`` and ``I(...)`` for arithmetic (``+ - * / **``; ``^`` is a power inside a
  function, as in R: ``I(x^2)``); numpy's spelling ``np.log(x)`` (pyfixest's) works too.
  Outcomes may be functions too (``log(y) ~ x``);
- a fixed effect is a column or an interaction ``a^b`` (one effect per combination of values);
- varying slopes as fixest writes them: ``a[x]`` absorbs the effect ``a`` and one slope on
  ``x`` per group of ``a``; ``a[[x]]`` the slopes alone, without the group intercepts;
  ``a[x, z]`` several slopes (``a^b[x]`` on interacted groups). A model whose fixed-effect part
  has only ``[[ ]]`` terms has no intercept, as in fixest;
- ``0`` or ``-1`` removes the intercept, which is also absent whenever fixed effects are given;
- multiple estimation (:func:`expand`): one of ``sw(a, b)`` (a model with ``a``, one with
  ``b``), ``csw(a, b)`` (``a``, then ``a + b``), ``sw0`` and ``csw0`` (the same after a model
  without any) among the terms, and one among the fixed effects.

A function evaluated outside its domain (``log`` of zero or a negative number, ``sqrt`` of a
negative one) is an error naming the column and counting the rows (econ.spec.design); fixest
would drop those rows and estimate on a smaller sample without saying so.

"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_NAME = r"[^\W\d]\w*"
#: Functions of columns a formula may use, and what they compute (evaluated in econ.spec.design).
FUNCTIONS = ("log", "log1p", "exp", "sqrt", "I")
#: Multiple-estimation operators.
STEPWISE = ("sw", "csw", "sw0", "csw0")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


@dataclass(frozen=True)
class Factor:
    """One factor of a term: a column, used as a number or expanded into dummies.

    For a function of columns (``kind="expr"``) ``column`` is the normalised expression, e.g.
    ``"log(x + 10)"``, and ``sources`` the columns it reads.
    """

    column: str
    kind: str = "value"  # "value", "C" (categorical main effect), "i" (indicator dummies), "expr"
    refs: tuple[object, ...] = ()
    by: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        if self.kind == "expr":
            return self.sources
        return (self.column,) if self.by is None else (self.column, self.by)


@dataclass(frozen=True)
class Term:
    factors: tuple[Factor, ...]

    @property
    def label(self) -> str:
        return ":".join(_factor_label(f) for f in self.factors)


@dataclass(frozen=True)
class Slope:
    """Varying slopes: one coefficient on each of ``variables`` per group of ``effect`` (a
    column or an interaction ``a^b``), without the group intercepts (fixest's ``a[[x]]``)."""

    effect: str
    variables: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.effect}[[{', '.join(self.variables)}]]"


@dataclass(frozen=True)
class Formula:
    """A parsed formula.

    ``outcomes`` are column names or normalised expressions (``"log(y)"``); ``fixed_effects``
    are column names or interactions of columns (``"county_id^year"``), including the effect
    ``a`` of fixest's ``a[x]``; ``slopes`` the varying slopes, one per effect (``a[x]`` is the
    fixed effect ``a`` plus ``Slope("a", ("x",))``).
    """

    text: str
    outcomes: tuple[str, ...]
    terms: tuple[Term, ...]
    fixed_effects: tuple[str, ...]
    intercept: bool
    slopes: tuple[Slope, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the formula uses, in order of appearance."""
        names: list[str] = []
        for outcome in self.outcomes:
            names += expression_columns(outcome)
        for term in self.terms:
            for factor in term.factors:
                names += factor.columns
        for effect in self.fixed_effects:
            names += effect.split("^")
        for slope in self.slopes:
            names += [*slope.effect.split("^"), *slope.variables]
        return tuple(dict.fromkeys(names))


class FormulaError(ValueError):
    """A formula that cannot be parsed; the message quotes the offending part."""


def parse(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula` (one model; see :func:`expand` for several)."""
    _check_balanced(text)
    if text.count("~") != 1:
        raise FormulaError(f"formula {text!r} needs exactly one '~' between outcome and terms")
    lhs, rest = text.split("~")
    rhs, bar, fe_text = _partition_top(rest)
    if "|" in fe_text:
        raise FormulaError(f"formula {text!r} has more than one '|'")
    if bar and not fe_text.strip():
        raise FormulaError(f"formula {text!r} ends with '|' but names no fixed effect: add "
                           f"them after it ('| village_id + year') or remove the '|'")
    stepwise = [p for p in (lhs, rhs, fe_text) if _stepwise_call(p)]
    if stepwise:
        raise FormulaError(f"{text!r} describes several models (sw/csw/sw0/csw0): fit it with "
                           f"econ.feols, which returns one result per model, or split it with "
                           f"econ.spec.formula.expand")
    outcomes = tuple(_outcomes(lhs, text))
    fixed_effects, slopes = _fixed_effects(fe_text, text) if fe_text.strip() else ((), ())
    intercept = not fixed_effects and not slopes
    terms: list[Term] = []
    for chunk in _split_top(rhs, "+"):
        chunk = chunk.strip()
        if chunk in ("0", "-1"):
            intercept = False
            continue
        if chunk == "1":
            continue
        if chunk.endswith("-1") or chunk.endswith("- 1"):
            intercept = False
            chunk = chunk.rsplit("-", 1)[0].strip()
        terms += _expand(chunk, text)
    unique = tuple(dict.fromkeys(terms))
    if not unique and not intercept:
        raise FormulaError(f"formula {text!r} has no regressors")
    regressors = {c for term in unique for f in term.factors
                  for c in ((f.column,) if f.kind == "expr" else f.columns)}
    effects = {c for effect in fixed_effects for c in (effect, *effect.split("^"))}
    effects |= {c for slope in slopes for c in (*slope.effect.split("^"), *slope.variables)}
    on_both = [o for o in outcomes if o in regressors or o in effects]
    if on_both:
        raise FormulaError(f"{on_both} in {text!r} is both the outcome and a regressor or fixed "
                           f"effect: remove it from the right-hand side")
    return Formula(text, outcomes, unique, fixed_effects, intercept, slopes)


def expand(text: str) -> tuple[Formula, ...]:
    """The models a formula with multiple estimation stands for, in fixest's order.

    Fixed-effect alternatives vary slowest, then outcomes, then regressor alternatives:
    ``"y1 + y2 ~ csw(a, b) | sw0(u, v)"`` gives ``y1 ~ a``, ``y1 ~ a + b``, ``y2 ~ a``,
    ``y2 ~ a + b``, then the same with ``| u``, then with ``| v``. A formula describing one
    model gives it, with its text unchanged.
    """
    _check_balanced(text)
    if text.count("~") != 1:
        raise FormulaError(f"formula {text!r} needs exactly one '~' between outcome and terms")
    lhs, rest = text.split("~")
    rhs, bar, fe_text = _partition_top(rest)
    if _stepwise_call(lhs):
        raise FormulaError(f"sw/csw cannot be used on the outcome side of {text!r}: list the "
                           f"outcomes as 'y1 + y2 ~ ...' or 'c(y1, y2) ~ ...'")
    outcomes = _outcome_texts(lhs, text)
    regressors = _alternatives(rhs, text)
    effects = _alternatives(fe_text, text) if bar and fe_text.strip() else [fe_text]
    if any(fe.strip() for fe in effects) and not all(regressors):
        raise FormulaError(f"{text!r}: sw0/csw0 would give a model with fixed effects and no "
                           f"regressor, which has no coefficient to estimate; use sw/csw, or "
                           f"add the regressors every model shares")
    if len(regressors) * len(effects) * len(outcomes) == 1 and not _stepwise_call(rest):
        return (parse(text),)
    return tuple(parse(f"{y} ~ {x or '1'}" + (f" | {fe}" if fe.strip() else ""))
                 for fe in effects for y in outcomes for x in regressors)


def expression_columns(label: str) -> tuple[str, ...]:
    """The columns an outcome (a column name or a function of columns) reads."""
    if re.fullmatch(_NAME, label):
        return (label,)
    return _columns_read(ast.parse(label, mode="eval"))


def function_name(call: ast.Call) -> str:
    """``log`` for ``log(x)`` and for numpy's spelling ``np.log(x)``, which pyfixest uses."""
    func = call.func
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == "np" and func.attr != "I"):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ast.unparse(func)


def _columns_read(tree: ast.AST) -> tuple[str, ...]:
    functions = {id(node.func.value if isinstance(node.func, ast.Attribute) else node.func)
                 for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return tuple(dict.fromkeys(node.id for node in ast.walk(tree)
                               if isinstance(node, ast.Name) and id(node) not in functions))


def _check_balanced(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([" and 1) or ((ch in ")]" and -1) or 0)
        if depth < 0:
            raise FormulaError(f"unbalanced parentheses in {text!r}: ')' at position {i} "
                               f"closes nothing")
    if depth:
        raise FormulaError(f"unbalanced parentheses in {text!r}: {depth} '(' or '[' not "
                           f"closed")


def _partition_top(text: str) -> tuple[str, str, str]:
    """``text.partition("|")`` at the first ``|`` outside parentheses."""
    parts = _split_top(text, "|", allow_empty=True)
    if len(parts) == 1:
        return text, "", ""
    return parts[0], "|", "|".join(parts[1:])


def _split_top(text: str, sep: str, *, allow_empty: bool = False) -> list[str]:
    """Split on ``sep`` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([" and 1) or ((ch in ")]" and -1) or 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if not allow_empty and any(not p.strip() for p in parts):
        raise FormulaError(f"empty term in {text.strip()!r}")
    return parts


def _stepwise_call(part: str) -> bool:
    return re.search(r"(?<![\w.])c?sw0?\s*\(", part) is not None


def _alternatives(part: str, text: str) -> list[str]:
    """The texts of ``part`` (terms or fixed effects) with its sw/csw call resolved."""
    chunks = [c.strip() for c in _split_top(part, "+")]
    calls = [i for i, c in enumerate(chunks) if _stepwise_call(c)]
    if not calls:
        return [" + ".join(chunks)]
    if len(calls) > 1:
        raise FormulaError(f"{text!r} has {len(calls)} sw/csw/sw0/csw0 calls in one part; "
                           f"fixest allows one among the terms and one among the fixed effects")
    at = calls[0]
    match = re.fullmatch(r"(c?sw0?)\s*\((.*)\)", chunks[at], flags=re.DOTALL)
    if match is None:
        raise FormulaError(f"{chunks[at]!r} in {text!r}: sw/csw must stand alone between '+' "
                           f"signs, e.g. 'y ~ x + sw(a, b)', not inside another term")
    kind, inner = match.groups()
    if not inner.strip():
        raise FormulaError(f"{chunks[at]!r} in {text!r} lists no variables")
    options = [a.strip() for a in _split_top(inner, ",")]
    if kind.startswith("csw"):
        steps = [options[:k] for k in range(1, len(options) + 1)]
    else:
        steps = [[o] for o in options]
    if kind.endswith("0"):
        steps.insert(0, [])
    return [" + ".join([*chunks[:at], *step, *chunks[at + 1:]]) for step in steps]


def _outcome_texts(lhs: str, text: str) -> list[str]:
    stripped = lhs.strip()
    match = re.fullmatch(r"c\s*\((.*)\)", stripped, flags=re.DOTALL)
    if match:
        return [a.strip() for a in _split_top(match.group(1), ",")]
    return [c.strip() for c in _split_top(stripped, "+")] if stripped else [stripped]


def _outcomes(lhs: str, text: str) -> list[str]:
    outcomes = []
    for part in _outcome_texts(lhs, text):
        if re.fullmatch(_NAME, part):
            outcomes.append(part)
            continue
        if not re.fullmatch(rf"(np\.)?{_NAME}\s*\(.*\)", part, flags=re.DOTALL):
            raise FormulaError(f"outcome {part!r} in {text!r} is not a column name or a "
                               f"function of columns such as log(y)")
        label, _ = _expression(part, text)
        outcomes.append(label)
    return outcomes


def _fixed_effects(part: str, text: str) -> tuple[tuple[str, ...], tuple[Slope, ...]]:
    """The fixed effects and varying slopes of the part after ``|``.

    Slopes on the same effect are gathered into one :class:`Slope` (``a[x] + a[[z]]`` is the
    effect ``a`` with slopes on ``x`` and ``z``).
    """
    effects: list[str] = []
    slopes: dict[str, list[str]] = {}
    for item in (p.strip() for p in _split_top(part, "+")):
        bracket = re.fullmatch(r"([^\[\]]+?)\s*(\[\[?)([^\[\]]*)(\]\]?)", item, flags=re.DOTALL)
        if bracket is None and "[" in item:
            raise FormulaError(f"cannot read {item!r} in {text!r}: varying slopes are written "
                               f"'group[x]' (the group's effect and its slopes on x) or "
                               f"'group[[x]]' (the slopes alone), e.g. 'village_id[year]'")
        effect = _effect_name(bracket.group(1) if bracket else item, item, text)
        if bracket is None:
            effects.append(effect)
            continue
        # Brackets are balanced (checked first), so the closing ones match the opening ones.
        opening, inner = bracket.group(2, 3)
        variables = [v.strip() for v in inner.split(",")]
        for variable in variables:
            if not re.fullmatch(_NAME, variable):
                raise FormulaError(f"{variable!r} in {item!r} of {text!r} is not a column name: "
                                   f"the variables of varying slopes are numeric columns "
                                   f"(compute a transformation as a new column first)")
        if effect in variables or set(variables) & set(effect.split("^")):
            raise FormulaError(f"{item!r} in {text!r} gives a group a slope on its own "
                               f"identifier")
        if len(opening) == 1:
            effects.append(effect)
        slopes.setdefault(effect, []).extend(variables)
    return (tuple(dict.fromkeys(effects)),
            tuple(Slope(e, tuple(dict.fromkeys(v))) for e, v in slopes.items()))


def _effect_name(item: str, whole: str, text: str) -> str:
    """``a`` or ``a^b`` (spaces removed), checked to be column names."""
    names = [n.strip() for n in item.split("^")]
    for name in names:
        if not re.fullmatch(_NAME, name):
            raise FormulaError(f"fixed effect {whole!r} in {text!r} is not a column name or "
                               f"an interaction of columns such as county_id^year")
    if len(set(names)) < len(names):
        raise FormulaError(f"fixed effect {whole!r} in {text!r} repeats a column")
    return "^".join(names)


def _expand(chunk: str, text: str) -> list[Term]:
    """``a*b*c`` -> every non-empty product of the factors; ``a:b`` -> one term."""
    if "**" in chunk.replace(" ", "") and not _inside_call(chunk):
        raise FormulaError(f"{chunk.strip()!r} in {text!r}: write a power as I(x**2) (or "
                           f"I(x^2)), so that it is not read as an interaction")
    starred = [s.strip() for s in _split_top(chunk, "*")]
    groups = [[_factor(f.strip(), text) for f in _split_top(s, ":")] for s in starred]
    terms: list[Term] = []
    for mask in range(1, 2 ** len(groups)):
        factors: list[Factor] = []
        for j, group in enumerate(groups):
            if mask >> j & 1:
                factors += group
        terms.append(Term(tuple(factors)))
    return sorted(terms, key=lambda t: len(t.factors))


def _inside_call(chunk: str) -> bool:
    """Whether every ``*`` of ``chunk`` lies within parentheses."""
    depth = 0
    for ch in chunk:
        depth += (ch in "([" and 1) or ((ch in ")]" and -1) or 0)
        if ch == "*" and depth == 0:
            return False
    return True


def _factor(text: str, formula: str) -> Factor:
    if re.fullmatch(_NAME, text):
        return Factor(text)
    call = re.fullmatch(rf"((?:np\.)?{_NAME})\s*\((.*)\)", text, flags=re.DOTALL)
    if call is None:
        hint = (" In a formula 'x^2' is an interaction power (it means x itself in R and "
                "fixest); write I(x^2) or I(x**2) for the square."
                if "^" in text else " Write arithmetic inside I(), e.g. I(x / 1000).")
        raise FormulaError(f"cannot read {text!r} in {formula!r}: use a column name, C(col), "
                           f"i(col, ref=value), i(col, by, ref=value) or a function "
                           f"({', '.join(FUNCTIONS)}) of columns.{hint}")
    function, inner = call.groups()
    if function.removeprefix("np.") in FUNCTIONS and function != "np.I":
        label, sources = _expression(text, formula)
        return Factor(label, "expr", sources=sources)
    if function not in ("C", "i"):
        raise FormulaError(f"unknown function {function!r} in {text!r} of {formula!r}: "
                           f"formulas know {', '.join(FUNCTIONS)} (functions of columns), "
                           f"C() and i() (dummies); compute other transformations as a new "
                           f"column first")
    kind = function
    args = [a.strip() for a in _split_top(inner, ",")]
    positional = [a for a in args if "=" not in a]
    keywords = dict(a.split("=", 1) for a in args if "=" in a)
    unknown = set(k.strip() for k in keywords) - {"ref"}
    if unknown or not 1 <= len(positional) <= (2 if kind == "i" else 1):
        raise FormulaError(f"cannot read {text!r} in {formula!r}: expected {kind}(col"
                           + (", by" if kind == "i" else "") + ", ref=value)")
    for name in positional:
        if not re.fullmatch(_NAME, name):
            raise FormulaError(f"{name!r} in {text!r} is not a column name")
    refs: tuple[object, ...] = ()
    if "ref" in {k.strip() for k in keywords}:
        raw = next(v for k, v in keywords.items() if k.strip() == "ref").strip()
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw.strip("'\"")
        refs = tuple(value) if isinstance(value, list | tuple) else (value,)
    by = positional[1] if len(positional) == 2 else None
    return Factor(positional[0], kind, refs, by)


def _expression(text: str, formula: str) -> tuple[str, tuple[str, ...]]:
    """Check a function of columns; return its normalised text and the columns it reads.

    ``^`` is a power here (R's meaning inside a function call). The text is normalised as
    Python prints it (``log(x + 10)``, ``I(x ** 2)``), which is how pyfixest names the
    coefficient too.
    """
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
    except SyntaxError:
        raise FormulaError(f"cannot read {text!r} in {formula!r}: not an arithmetic "
                           f"expression of columns and numbers") from None
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree.body):
        if isinstance(node, ast.Attribute) and id(node) not in callees:
            raise FormulaError(f"cannot read {ast.unparse(node)!r} in {text!r} of {formula!r}: "
                               f"a column name cannot contain '.'")
        if isinstance(node, ast.Call):
            function = function_name(node)
            if function not in FUNCTIONS:
                raise FormulaError(f"unknown function {function!r} in {text!r} of {formula!r}: "
                                   f"functions of columns are {', '.join(FUNCTIONS)}")
            if len(node.args) != 1 or node.keywords:
                raise FormulaError(f"{function}() in {text!r} of {formula!r} takes exactly one "
                                   f"argument")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise FormulaError(f"operator in {text!r} of {formula!r} not allowed: use "
                                   f"{' '.join(_OPERATORS.values())}")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise FormulaError(f"{node.value!r} in {text!r} of {formula!r} is not a number")
        elif not isinstance(node, ast.Name | ast.UnaryOp | ast.operator | ast.unaryop
                                | ast.Load | ast.Attribute):
            raise FormulaError(f"cannot read {ast.unparse(node)!r} in {text!r} of {formula!r}: "
                               f"only columns, numbers, + - * / ** and the functions "
                               f"{', '.join(FUNCTIONS)}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
            raise FormulaError(f"operator in {text!r} of {formula!r} not allowed")
    names = _columns_read(tree)
    if not names:
        raise FormulaError(f"{text!r} in {formula!r} uses no column")
    return ast.unparse(tree.body), names


def _factor_label(factor: Factor) -> str:
    if factor.kind in ("value", "expr"):
        return factor.column
    return f"{factor.kind}({factor.column}{', ' + factor.by if factor.by else ''})"
