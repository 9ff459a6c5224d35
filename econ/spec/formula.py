"""Parse fixest-style formulas: ``y ~ x1 + x2:x3 + i(event_time, ref=-1) | village_id + year``.

Grammar (whitespace ignored):

- ``outcomes ~ terms | fixed effects``; several outcomes are joined with ``+``.
- a term is factors joined by ``:`` (product); ``a*b`` expands to ``a + b + a:b``;
- a factor is a column name, ``C(col)`` or ``C(col, ref=value)`` (dummies for each level but the
  reference), or ``i(col, ref=v)`` / ``i(col, by, ref=[v1, v2])`` (one dummy per value except
  the references, times ``by`` if given; a missing ``col`` gives zeros, so never-treated units
  sit in the reference);
- ``0`` or ``-1`` removes the intercept, which is also absent whenever fixed effects are given.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_NAME = r"[^\W\d]\w*"


@dataclass(frozen=True)
class Factor:
    """One factor of a term: a column, used as a number or expanded into dummies."""

    column: str
    kind: str = "value"  # "value", "C" (categorical main effect) or "i" (indicator dummies)
    refs: tuple[object, ...] = ()
    by: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.by is None else (self.column, self.by)


@dataclass(frozen=True)
class Term:
    factors: tuple[Factor, ...]

    @property
    def label(self) -> str:
        return ":".join(_factor_label(f) for f in self.factors)


@dataclass(frozen=True)
class Formula:
    """A parsed formula."""

    text: str
    outcomes: tuple[str, ...]
    terms: tuple[Term, ...]
    fixed_effects: tuple[str, ...]
    intercept: bool

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the formula uses, in order of appearance."""
        names: list[str] = [*self.outcomes]
        for term in self.terms:
            for factor in term.factors:
                names += factor.columns
        names += self.fixed_effects
        return tuple(dict.fromkeys(names))


class FormulaError(ValueError):
    """A formula that cannot be parsed; the message quotes the offending part."""


def parse(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`."""
    if text.count("~") != 1:
        raise FormulaError(f"formula {text!r} needs exactly one '~' between outcome and terms")
    lhs, rest = text.split("~")
    rhs, bar, fe_text = rest.partition("|")
    if "|" in fe_text:
        raise FormulaError(f"formula {text!r} has more than one '|'")
    if bar and not fe_text.strip():
        raise FormulaError(f"formula {text!r} ends with '|' but names no fixed effect: add "
                           f"them after it ('| village_id + year') or remove the '|'")
    outcomes = tuple(_names(lhs, "outcome", text))
    fixed_effects = tuple(_names(fe_text, "fixed effect", text)) if fe_text.strip() else ()
    intercept = not fixed_effects
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
    regressors = {c for term in unique for f in term.factors for c in f.columns}
    on_both = [o for o in outcomes if o in regressors or o in fixed_effects]
    if on_both:
        raise FormulaError(f"{on_both} in {text!r} is both the outcome and a regressor or fixed "
                           f"effect: remove it from the right-hand side")
    return Formula(text, outcomes, unique, fixed_effects, intercept)


def _names(part: str, what: str, text: str) -> list[str]:
    names = [n.strip() for n in part.split("+")]
    for name in names:
        if not re.fullmatch(_NAME, name):
            raise FormulaError(f"{what} {name!r} in {text!r} is not a column name")
    return names


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([" and 1) or ((ch in ")]" and -1) or 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise FormulaError(f"empty term in {text.strip()!r}")
    return parts


def _expand(chunk: str, text: str) -> list[Term]:
    """``a*b*c`` -> every non-empty product of the factors; ``a:b`` -> one term."""
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


def _factor(text: str, formula: str) -> Factor:
    if re.fullmatch(_NAME, text):
        return Factor(text)
    match = re.fullmatch(r"(C|i)\((.*)\)", text, flags=re.DOTALL)
    if not match:
        raise FormulaError(f"cannot read {text!r} in {formula!r}: use a column name, C(col), "
                           f"i(col, ref=value) or i(col, by, ref=value)")
    kind, inner = match.groups()
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


def _factor_label(factor: Factor) -> str:
    if factor.kind == "value":
        return factor.column
    return f"{factor.kind}({factor.column}{', ' + factor.by if factor.by else ''})"
