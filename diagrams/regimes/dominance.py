"""Dominant balance: sums of monomials in the sizes and the ridge, and which monomial dominates.

Every expression of the regimes is, after the effective dimensions are expanded, a ratio of sums
of monomials in a few positive variables (the sizes, the ridge, the number of learned modes X).
A monomial is its coefficient and its exponent vector; :class:`Balance` keeps the dominant
monomial of the numerator and of the denominator and the ratios of the others to them (the
first corrections). :func:`_prune` drops the conditions implied by others, :func:`_condition`
writes a ratio << 1 as ``small << large``.

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.engine`,
:mod:`largen.diagrams.regimes.asymptotics`.
"""

from functools import cache

import sympy

from largen.diagrams.errors import LargenError
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.regimes.asymptotics import ALPHA, TEACHER_DELTA, DeltaSplit, current_range, exponent_sign, sample_alpha

__all__ = ["Balance"]


def _exponent(term, variable):
    return sympy.cancel(sympy.expand_log(sympy.log(term), force=True).diff(variable) * variable)


def _monomials(expr, variables):
    """A sum as {exponent vector: coefficient}, coefficients free of the variables."""
    out = {}
    for term in sympy.Add.make_args(sympy.expand(sympy.powsimp(sympy.expand(expr), force=True))):
        dependent = term.as_independent(*variables, as_Add=False)[1]
        vector = tuple(_exponent(dependent, v) for v in variables)
        out[vector] = out.get(vector, 0) + term.xreplace({v: 1 for v in variables})
    return {v: c for v, c in out.items() if not _is_zero(c)}


def _is_zero(c):
    """An exact zero test, screened by a value at a generic point (simplify only when it is small)."""
    if c == 0:
        return True
    point = {x: sympy.Rational(7 + i, 13) for i, x in enumerate(sorted(c.free_symbols, key=str))}
    try:
        value = complex(sympy.N(c.xreplace(point), 20))
    except (TypeError, ValueError):
        return sympy.simplify(c) == 0
    return abs(value) < 1e-12 and sympy.simplify(c) == 0


def _sample(alpha):
    """The values the sample point gives alpha and, in a range of the symbolic teacher exponent, delta."""
    rng = current_range()
    return {ALPHA: sample_alpha(alpha), **({TEACHER_DELTA: rng.point(alpha)} if rng else {})}


def _height(vector, logs, alpha):
    """The log of a monomial at the sample point (alpha, and a symbolic delta, at their sample values)."""
    at = _sample(alpha)
    return sum(float(as_expr(e).subs(at)) * w for e, w in zip(vector, logs))


def _stays_above(top, other, logs, alpha):
    """With a symbolic teacher exponent: DeltaSplit where monomial ``other`` overtakes ``top`` at the
    sample point inside the range's window: ``"marginal"`` where their exponents meet, else ``"sample"``."""
    gap = [sympy.cancel(as_expr(a) - as_expr(b)) for a, b in zip(top, other)]
    difference = sympy.cancel(sum(g * sympy.Rational(str(w)) for g, w in zip(gap, logs)))
    if not difference.has(TEACHER_DELTA):
        return
    at = {ALPHA: sample_alpha(alpha)}
    lower, upper = current_range().bounds(alpha)
    for root in sympy.solve(sympy.numer(difference), TEACHER_DELTA):
        if root.subs(at).is_real and lower < root.subs(at) < upper:
            if all(sympy.cancel(g.subs(TEACHER_DELTA, root)) == 0 for g in gap):
                raise DeltaSplit(root, "marginal")
            raise DeltaSplit(root.subs(at), "sample")  # a place of the sample point: a number at the sample alpha


class Balance:
    """The dominant monomials of a ratio of sums at a point of log-space.

    ``alpha`` is the model's (a symbol is sampled at 1); with a symbolic teacher exponent the
    dominant monomial must stay dominant over its range (:func:`_stays_above`).
    """

    def __init__(self, expr, variables, logs, alpha):
        self.variables = variables
        numerator, denominator = sympy.fraction(sympy.together(expr))
        self.parts = []
        for part in (numerator, denominator):
            monomials = _monomials(part, variables)
            if not monomials:
                raise LargenError(f"{expr} vanishes identically at this order")
            ranked = sorted(monomials.items(), key=lambda item: -_height(item[0], logs, alpha))
            if current_range() is not None:
                for vector, _ in ranked[1:]:
                    _stays_above(ranked[0][0], vector, logs, alpha)
            if len(ranked) > 1 and _height(ranked[0][0], logs, alpha) - _height(ranked[1][0], logs, alpha) < 1e-9:
                raise LargenError(f"two monomials of {part} are equally large at the sample point")
            self.parts.append(ranked)

    def _monomial(self, vector, coefficient=1):
        return coefficient * sympy.Mul(*[v**e for v, e in zip(self.variables, vector)])

    @property
    def leading(self):
        (vn, cn), (vd, cd) = self.parts[0][0], self.parts[1][0]
        return sympy.powsimp(self._monomial([a - b for a, b in zip(vn, vd)], cn / cd), force=True)

    def ratios(self):
        """Each subleading monomial over the dominant one, signed: the first-order corrections."""
        out = []
        for sign, ranked in zip((1, -1), self.parts):
            (v0, c0) = ranked[0]
            out += [self._monomial([a - b for a, b in zip(v, v0)], sign * c / c0) for v, c in ranked[1:]]
        return out


def _vector(monomial, variables):
    dependent = monomial.as_independent(*variables, as_Add=False)[1]
    return tuple(_exponent(dependent, v) for v in variables)


def _side(e):
    """The sign of a condition's exponent, or None where it depends on alpha or changes inside the range of a
    symbolic delta: the power then stays on the large side, right either way."""
    try:
        return exponent_sign(e)
    except DeltaSplit:
        return None


def _prune(ratios, variables, sizes=()):
    """Drop the ratios implied by others or by 1 << size: a positive multiple of one, or one
    times a power of another (where that holds throughout the range of a symbolic delta; else kept)."""
    known = [(None, tuple(-1 if u == s else 0 for u in variables)) for s in sizes]
    vectors = [(r, _vector(r, variables)) for r in ratios]
    vectors = [(r, v) for r, v in vectors if any(e != 0 for e in v) and v not in [k for _, k in known]]
    vectors = known + vectors
    kept = []
    for i, (r, v) in enumerate(vectors):
        implied = False
        for j, (_, w) in enumerate(vectors):
            if i == j or w == v:
                continue
            scale = _proportional(v, w)
            if scale is not None and _side(scale - 1) == 1:
                implied = True
                break
            rest = None
            for k, (_, u) in enumerate(vectors):
                if k in (i, j) or u == v:
                    continue
                rest = rest or [sympy.cancel(a - b) for a, b in zip(v, w)]
                c = _proportional(rest, u)
                if c is not None and _side(c) in (0, 1):
                    implied = True
                    break
            if implied:
                break
        duplicate = any(v == w for _, w in kept)
        if r is not None and not implied and not duplicate:
            kept.append((r, v))
    return [r for r, _ in kept]


@cache
def _numeric(vector):
    # a screen at a generic point; the exact test follows
    return [float(as_expr(e).subs({ALPHA: sympy.Rational(37, 100), TEACHER_DELTA: sympy.Rational(4137, 10000)}))
            for e in vector]


def _proportional(v, w):
    """c with v = c w, or None."""
    fv, fw = _numeric(tuple(v)), _numeric(tuple(w))
    scale = next((a / b for a, b in zip(fv, fw) if b != 0), None)
    if scale is None or any(abs(a - scale * b) > 1e-9 * (1 + abs(a)) for a, b in zip(fv, fw)):
        return None
    c = None
    for a, b in zip(v, w):
        if b == 0:
            if a != 0:
                return None
            continue
        ratio = sympy.cancel(a / b)
        if c is None:
            c = ratio
        elif sympy.cancel(ratio - c) != 0:
            return None
    return c



def _split(monomial, free):
    """(coefficient, exponent vector) of a monomial in ``free``; the coefficient is the monomial
    at free = 1, so constants inside powers such as (N A/B)**e are kept."""
    dependent = monomial.as_independent(*free, as_Add=False)[1]
    vector = [_exponent(dependent, v) for v in free] if dependent != 1 else [sympy.Integer(0)] * len(free)
    return monomial.xreplace({v: 1 for v in free}), vector


def _simplified(coefficient):
    """A constant with the sums inside its powers factored and its powers gathered."""
    coefficient = coefficient.replace(lambda e: e.is_Pow and e.base.is_Add,
                                      lambda e: sympy.factor(e.base) ** e.exp)
    coefficient = sympy.powsimp(sympy.expand_power_base(coefficient, force=True), force=True)
    coefficient = sympy.powsimp(sympy.factor(coefficient), force=True)
    return coefficient.replace(lambda e: e.is_Pow and e.exp.has(ALPHA),
                               lambda e: e.base ** sympy.factor(sympy.cancel(e.exp)))


def _tidy(monomial, free):
    """A monomial with its coefficient simplified: its factors of alpha and lambda_+ gathered."""
    coefficient, vector = _split(monomial, free)
    return _simplified(coefficient) * sympy.Mul(*[v ** sympy.factor(e) for v, e in zip(free, vector)])


def _sign(monomial):
    """The sign of a monomial's coefficient (every symbol in it is positive)."""
    value = sympy.N(monomial.xreplace({s: 1 for s in monomial.free_symbols if s != ALPHA}).subs(ALPHA, 1))
    return 1 if value > 0 else -1


def _condition(ratio, free):
    """A ratio small/large << 1 as the pair (small, large), exponents normalised by the first one."""
    coefficient, vector = _split(ratio, free)
    coefficient = _simplified(coefficient)
    pivot = next((e for e in vector if e != 0), sympy.Integer(1))
    sign = _side(pivot)
    scale = sympy.cancel(pivot * sign) if sign is not None else sympy.Integer(1)  # |pivot|, also in a symbolic delta
    small = sympy.powsimp(abs(coefficient) ** (1 / scale), force=True)
    large = sympy.Integer(1)
    for v, e in zip(free, vector):
        e = sympy.cancel(e / scale)
        sign = _side(e)
        if sign == 1:
            small *= v**e
        elif sign != 0:
            large *= v ** (-e)
    return (small, large)


def _solve_monomial(equation_leading, value, variable):
    """variable from value = equation_leading, a monomial in variable."""
    coefficient, (power,) = _split(equation_leading, [variable])
    return sympy.powsimp(sympy.expand_power_base((value / coefficient) ** (1 / power), force=True), force=True)

