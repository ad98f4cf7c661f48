"""The regimes piecewise in a symbolic teacher exponent delta: a case per range of delta.

May import: what :mod:`largen.diagrams.regimes.families` may, and it.
"""

from dataclasses import dataclass, replace
from functools import cache

import sympy

from largen.diagrams.errors import ParameterError
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.regimes.asymptotics import (ALPHA, TEACHER_DELTA, DeltaRange, DeltaSplit, assuming, exponent_sign,
                                                 _probe_alpha, unordered)
from largen.diagrams.regimes.families import _Derivation
from largen.diagrams.theory.parametric import parametric_losses

__all__ = ["DeltaCase", "PiecewiseRegimes", "piecewise_regimes"]


@dataclass(frozen=True)
class DeltaCase:
    """The regimes for lower < delta < upper, a range of the symbolic teacher exponent.

    Two regimes may share a name: the regions on either side of a boundary in the sizes whose
    place moves with delta (their conditions tell them apart). ``excluded``: marginal values
    inside the range, where a logarithm appears in a term beyond the stated ones (the regimes
    on both sides are the same).
    """

    lower: sympy.Expr
    upper: sympy.Expr
    regimes: tuple
    excluded: tuple = ()  # marginal values inside the range: a logarithm beyond the stated terms

    def _latex(self, printer):
        delta = printer._print(TEACHER_DELTA)
        excluded = "".join(rf",\ {delta} \neq {printer._print(e)}" for e in self.excluded)
        return (rf"{printer._print(self.lower)} < {delta} < {printer._print(self.upper)}{excluded}: \quad "
                + r" \\ ".join(printer._print(r) for r in self.regimes))


@dataclass(frozen=True)
class PiecewiseRegimes:
    """The regimes piecewise in the teacher exponent delta: ``cases`` in increasing delta. Between two
    cases a regime changes form; at the ``marginal`` values two powers of Delta meet (a logarithm of
    the sizes, not derived: those values are excluded)."""

    cases: tuple
    marginal: tuple

    def case(self, delta):
        """The case whose range holds a number delta (None at a marginal value).

        Examples
        --------
        >>> PiecewiseRegimes((DeltaCase(-1, 1, ()), DeltaCase(1, sympy.oo, ())), (1,)).case(2).lower
        1
        """
        if as_expr(delta).free_symbols:
            raise ParameterError(f"delta must be a number to find its case, got {delta}")
        try:
            for c in self.cases:
                if c.lower < delta < c.upper and delta not in c.excluded:
                    return c
        except TypeError:  # a bound in the symbolic alpha: no truth value
            raise ParameterError(f"the ranges of delta depend on alpha: delta = {delta} has no place among "
                                 "them (derive at a numeric alpha)") from None
        return None


def _ordered(root, delta_range, alpha):
    """Refuse a split point whose place in the range depends on alpha (alpha and delta both symbolic)."""
    for below, above in ((delta_range.lower, root), (root, delta_range.upper)):
        if above != sympy.oo and exponent_sign(above - below, alpha) != 1:
            raise unordered(root, delta_range.lower if below == delta_range.lower else delta_range.upper)


class _Boundary(Exception):
    """A value of delta where a regime's form changes."""

    def __init__(self, split):
        super().__init__(str(split))
        self.at, self.marginal = sympy.factor(split.at), split.kind == "marginal"


def _piecewise(losses, alpha, noise):
    """The regimes in each range of the symbolic teacher exponent between the values where a form changes.

    In a range, every comparison of exponents is decided over the whole range; one that changes
    sign inside it (:class:`DeltaSplit`) splits the range there, and the ranges are derived again.
    """
    lower = _Derivation(losses, alpha, sympy.oo, noise, 0).teacher_lower
    boundaries = {}

    @cache
    def derive(delta_range):  # a new boundary derives the ranges again: those it leaves are known
        with assuming(delta_range):
            try:
                return _Derivation(losses, alpha, sympy.oo, noise, TEACHER_DELTA).regimes()
            except DeltaSplit as split:
                return split

    def case(delta_range):
        found = derive(delta_range)
        if isinstance(found, DeltaSplit):
            raise _Boundary(found)
        return DeltaCase(delta_range.lower, delta_range.upper, tuple(found))

    def place(value):  # the order of the boundaries, checked not to depend on alpha (_ordered)
        return float(as_expr(value).subs(ALPHA, _probe_alpha(alpha)))

    while True:
        points = sorted(boundaries, key=place)
        ranges = [DeltaRange(a, b) for a, b in zip([lower] + points, points + [sympy.oo])]
        try:
            cases = tuple(case(r) for r in ranges)
            break
        except _Boundary as new:
            (inside,) = [r for r in ranges if place(r.lower) < place(new.at) < place(r.upper)]
            _ordered(new.at, inside, alpha)
            boundaries[new.at] = new.marginal
    merged = [cases[0]]
    for c in cases[1:]:
        last = merged[-1]
        if len(c.regimes) == len(last.regimes) and all(r in last.regimes for r in c.regimes):  # nothing changes
            excluded = last.excluded + ((last.upper,) if boundaries[last.upper] else ())  # a marginal value
            merged[-1] = replace(last, upper=c.upper, excluded=excluded)
        else:
            merged.append(c)
    return PiecewiseRegimes(tuple(merged), tuple(b for b in points if boundaries[b]))



@cache
def piecewise_regimes(model, alpha, noise):
    """The regimes of ``model`` piecewise in :data:`~largen.diagrams.regimes.asymptotics.TEACHER_DELTA` (M = oo).

    The derivation in every range of delta takes tens of seconds: asked once per model and options.
    """
    return _piecewise(parametric_losses(model), alpha, noise)


def _renamed(pieces, symbol):
    """The piecewise regimes with the user's symbol for delta."""
    swap = {TEACHER_DELTA: symbol}
    cases = tuple(replace(c, regimes=tuple(_regime_at(r, swap) for r in c.regimes)) for c in pieces.cases)
    return replace(pieces, cases=cases)


def _regime_at(regime, at):
    """A regime with symbols replaced."""
    def put(e):
        return e.xreplace(at) if isinstance(e, sympy.Basic) else tuple(put(x) for x in e)
    return replace(regime, conditions=tuple(put(c) for c in regime.conditions), loss=put(regime.loss),
                   train_loss=put(regime.train_loss), exponents={k: put(v) for k, v in regime.exponents.items()},
                   corrections=regime.corrections.mapped(put))
