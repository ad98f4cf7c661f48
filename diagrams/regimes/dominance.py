"""Dominant balance: sums of monomials in the sizes and the ridge, and which monomial dominates.

Every expression of the regimes is, after the effective dimensions are expanded, a ratio of sums
of monomials in a few positive variables (the sizes, the ridge, the number of learned modes X).
A monomial is its coefficient and its exponent vector. A :class:`Region` is a chain of monomials
each much larger than 1 (what a regime family claims: 1 << X << N << P, say); monomials are
compared exactly over it, in its lexicographic order, which picks a vertex of the Newton polytope.
:class:`Balance` keeps the dominant monomial of the numerator and of the denominator and the
ratios of the others to them (the first corrections), and marks the region when another vertex
dominates elsewhere in it (the family then derives each cell). :func:`interior_point` is the exact
linear program that finds a point inside a regime's conditions. Nothing here is sampled. :func:`_prune` drops the conditions implied by others, :func:`_condition`
writes a ratio << 1 as ``small << large``.

May import: :mod:`largen.diagrams.errors`, :mod:`largen.diagrams.engine`,
:mod:`largen.diagrams.regimes.asymptotics`.
"""

from functools import cache

import sympy
from sympy.solvers.simplex import lpmax

from largen.diagrams.errors import ExpressionError, LargenError
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.regimes.asymptotics import ALPHA, TEACHER_DELTA, DeltaSplit, exponent_sign

__all__ = ["EmptyRegion", "Region", "Balance", "interior_point"]


def _exponent(term, variable):
    return sympy.cancel(sympy.expand_log(sympy.log(term), force=True).diff(variable) * variable)


def _monomials(expr, variables):
    """A sum as {exponent vector: coefficient}, coefficients free of the variables."""
    out = {}
    for term in sympy.Add.make_args(sympy.expand(sympy.powsimp(sympy.expand(expr), force=True))):
        dependent = term.as_independent(*variables, as_Add=False)[1]
        vector = tuple(_exponent(dependent, v) for v in variables)
        out[vector] = out.get(vector, 0) + term.xreplace({v: 1 for v in variables})
    return {v: c for v, c in out.items() if not _is_zero(as_expr(c))}


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


class EmptyRegion(LargenError):
    """Conditions that no point satisfies: a cell of a region that does not exist."""


class Region:
    """A region of the positive variables: a hierarchy of monomials, each much larger than 1.

    ``hierarchy`` lists monomials m_1, m_2, ... in the variables, most separated first: the
    region is 1 << m_k for each k, and two monomials are compared in the order of the
    hierarchy (a lexicographic monomial order): write the log of their ratio as
    sum_k c_k log m_k (exactly: the m_k are a basis of the exponent vectors); the first
    non-zero c_k decides. Where every c_k has one sign the ratio is decided throughout the
    region (a vertex of the Newton polytope dominates there); otherwise the order picks the
    vertex of the corner m_1 >> m_2 >> ..., and the regime's conditions (the ratios of the
    other vertices to it) say where it holds. The c_k are exact: rational numbers or
    functions of alpha and of a symbolic delta (whose sign :func:`exponent_sign` decides,
    raising :class:`DeltaSplit` where it changes inside the current range).

    Examples
    --------
    >>> x, y = sympy.symbols("x y", positive=True)
    >>> region = Region((x, y), (y / x, x))  # 1 << x << y, the ratio y/x the more separated
    >>> region.sign((1, -1)), region.sign((2, 0)), region.sign((-3, 2))  # x/y, x**2, y**2/x**3
    (-1, 1, 1)
    >>> Region((x, y), (x, x**2))
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ExpressionError: the hierarchy (x, x**2) is not a basis of monomials in (x, y)
    """

    def __init__(self, variables, hierarchy):
        self.variables = tuple(variables)
        self.hierarchy = tuple(hierarchy)
        self.elements = ()  # the chain's monomials, for a chain
        self.undecided = False  # set when a dominant monomial is dominant by the order only, not throughout
        rows = [[_exponent(m.as_independent(*self.variables, as_Add=False)[1], v) for v in self.variables]
                for m in self.hierarchy]
        matrix = sympy.Matrix(rows)
        if matrix.shape != (len(self.variables),) * 2 or sympy.cancel(matrix.det()) == 0:
            raise ExpressionError(f"the hierarchy {self.hierarchy} is not a basis of monomials in {self.variables}")
        self._dual = matrix.T.inv()  # gap = A^T c: the coordinates c of an exponent vector in the hierarchy

    def coordinates(self, gap):
        """The exponent vector ``gap`` as the powers c_k of the hierarchy's monomials."""
        return [sympy.cancel(c) for c in self._dual * sympy.Matrix([as_expr(g) for g in gap])]

    def sign(self, gap):
        """+1 where the monomial of exponent vector ``gap`` is large in this region's order, -1 small, 0 for 1."""
        for c in self.coordinates(gap):
            sign = exponent_sign(c)
            if sign is None:
                raise ExpressionError(f"the sign of {c} depends on alpha: the regimes are derived at a numeric "
                                      "alpha here")
            if sign:
                return sign
        return 0

    def uniform(self, gap):
        """Whether the monomial of exponent vector ``gap`` is >= 1 throughout the region (every coordinate
        of one sign, or zero): False where it changes, or may change, inside it."""
        signs = set()
        for c in self.coordinates(gap):
            try:
                signs.add(exponent_sign(c))
            except DeltaSplit:
                return False
        return None not in signs and not {1, -1} <= signs

    @classmethod
    def chain(cls, variables, ascending, negligible=(), priority=None):
        """The region 1 << a_1 << a_2 << ... (``ascending``) with the ``negligible`` monomials << 1, in the
        variables given: links of the chain in other variables are skipped (a balance of a part).
        The negligible monomials are the most separated, then the links from the top down, or in the
        order of ``priority`` (chain element -> rank, the link below it most separated first).

        Examples
        --------
        >>> x, y, s = sympy.symbols("x y s", positive=True)
        >>> Region.chain((x, y, s), (x, y), (s,)).hierarchy
        (1/s, y/x, x)
        >>> Region.chain((x, s), (x, y), (s,)).hierarchy
        (1/s, x)
        """
        kept = [m for m in ascending if m.free_symbols <= set(variables)]
        links = list(zip([sympy.Integer(1)] + kept, kept))[::-1]
        if priority is not None:
            links.sort(key=lambda link: priority[link[1]])
        region = cls(variables, [1 / m for m in negligible if m.free_symbols <= set(variables)]
                     + [b / a for a, b in links])
        region.elements = tuple(kept)
        return region


def _dominant(monomials, region):
    """The monomials ranked: the dominant one first (a vertex of the Newton polytope), the rest after.

    With a symbolic delta a comparison may change inside the range (:class:`DeltaSplit`); only
    those of the dominant monomial count (two subleading ones may meet without consequence).
    """
    vectors = list(monomials)
    best = vectors[0]
    for v in vectors[1:]:  # a first guess: the comparisons that split the range are skipped
        try:
            if _marginal_sign(region, _gap(v, best)) > 0:
                best = v
        except DeltaSplit:
            continue
    order = [best] + [v for v in vectors if v != best]
    for top in order:
        beaten, split = False, None
        for v in vectors:
            if v == top:
                continue
            try:
                if _marginal_sign(region, _gap(v, top)) > 0:
                    beaten = True
                    break
            except DeltaSplit as found:
                split = split or found
        if not beaten:
            if split is not None:
                raise split
            if not all(region.uniform(_gap(top, v)) for v in vectors if v != top):
                region.undecided = True  # another vertex dominates elsewhere in the region: another cell
            return [(top, monomials[top])] + [(v, monomials[v]) for v in vectors if v != top]
    raise ExpressionError("no monomial dominates in the region")  # unreachable: the order is total


def _gap(a, b):
    return [sympy.cancel(as_expr(x) - as_expr(y)) for x, y in zip(a, b)]


def _marginal_sign(region, gap):
    """region.sign, with a split of a symbolic delta's range marked marginal where the two monomials meet."""
    try:
        return region.sign(gap)
    except DeltaSplit as split:
        if all(sympy.cancel(as_expr(g).subs(TEACHER_DELTA, split.at)) == 0 for g in gap):
            raise DeltaSplit(split.at, "marginal") from None
        raise


class Balance:
    """The dominant monomials of a ratio of sums in a :class:`Region`.

    Examples
    --------
    >>> x, y = sympy.symbols("x y", positive=True)
    >>> b = Balance((x + y**2 + 1) / (x * y + 2), (x, y), Region((x, y), (y / x, x)))
    >>> b.leading, b.ratios()
    (y/x, [y**(-2), x/y**2, -2/(x*y)])
    """

    def __init__(self, expr, variables, region):
        self.variables = variables
        numerator, denominator = sympy.fraction(sympy.together(expr))
        self.parts = []
        for part in (numerator, denominator):
            monomials = _monomials(part, variables)
            if not monomials:
                raise LargenError(f"{expr} vanishes identically at this order")
            self.parts.append(_dominant(monomials, region))

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


def interior_point(conditions, variables, sizes, placed=()):
    """Natural logs of a point inside a regime: the exact linear program maximising the least margin.

    Each condition ``(small, large)`` asks log large - log small > 0, each size log size > 0; the
    logs lie in [-1, 1] and the least margin t is maximised (over the rationals). Only the
    exponents count: scaling the point by a factor (deeper into the regime) makes every ratio
    small. Conditions in the symbols ``placed`` (the label noise: the caller places it) or with a
    difference of sizes are left out; an exponent that is not a number (a symbolic alpha or
    delta) leaves no point (an empty dict).

    Examples
    --------
    >>> x, y = sympy.symbols("x y", positive=True)
    >>> interior_point([(x, y), (y, x**3)], [x, y], [x, y])
    {x: 1/2, y: 1}
    """
    margin = sympy.Dummy("t")
    logs = {v: sympy.Dummy(f"log_{v}") for v in variables}
    constraints = [logs[v] >= margin for v in sizes if v in logs]
    for small, large in conditions:
        ratio = large / small
        if ratio.has(sympy.Abs, *placed):
            continue
        vector = _vector(ratio, list(variables))
        if any(not as_expr(e).is_number for e in vector):
            return {}
        form = sum(e * logs[v] for e, v in zip(vector, variables))
        if form != 0:
            constraints.append(form >= margin)
    constraints += [c for v in variables for c in (logs[v] <= 1, logs[v] >= -1)]
    best, at = lpmax(margin, constraints)
    if best <= 0:
        raise EmptyRegion(f"the conditions {conditions} leave no region")
    return {v: at.get(logs[v], sympy.Integer(0)) for v in variables}


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
            scale = _proportional(tuple(v), tuple(w))
            if scale is not None and _side(scale - 1) == 1:
                implied = True
                break
            rest = None
            for k, (_, u) in enumerate(vectors):
                if k in (i, j) or u == v:
                    continue
                rest = rest or [sympy.cancel(a - b) for a, b in zip(v, w)]
                c = _proportional(tuple(rest), tuple(u))
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
def _proportional(v, w):
    """c with v = c w (exact), or None."""
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

