"""The first correction of a regime's loss, signed and with its coefficient.

A regime keeps the dominant monomial of every sum it balances; the rest are corrections. Each
balance is ``leading (1 + n)/(1 + d)``, n and d its numerator's and denominator's subleading
monomials over their dominant ones. The regime's variables are solved from equations whose
leading monomials balance a size or the ridge; the subleading monomials move them too, by
v_j -> v_j (1 + xi_j). With a bookkeeping epsilon on every subleading monomial, the equations
fix xi to second order (a linear system in the leading monomials' exponents, order by order) and
the loss follows:

    L/L_0 - 1 = c_1 + c_2 + c_1**2/2,   log(L/L_0) = c_1 epsilon + c_2 epsilon**2 + ...

Written in the model's variables at the leading solution, the terms are monomials; like
monomials are added (at alpha = 1 the N-limited loss's first order in gamma cancels), and those
dominated by another of the same order are dropped. The second order is stated beside the first:
where first-order terms of different sizes cancel at a point (N/P - 1/N at P = N**2), it is the
correction there.
"""

import numpy as np
import sympy
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.regimes.dominance import _exponent, _prune, _vector
from scipy.optimize import linprog

__all__ = ["collected", "first_correction"]

# points for a zero test of a coefficient in symbols: positive values, unrelated to each other
_PROBES = [[sympy.Rational(37 + 13 * k, 73 - 5 * k) for k in range(12)],
           [sympy.Rational(101 + 7 * k, 59 + 11 * k) for k in range(12)]]


def _relative(ranked, variables):
    """The subleading monomials of one sum over its dominant one (vectors and coefficients in ``variables``)."""
    (v0, c0) = ranked[0]
    return [(tuple(a - b for a, b in zip(v, v0)), c / c0) for v, c in ranked[1:]]


def _log_expansion(balance, order_one):
    """log((1 + epsilon n)/(1 + epsilon d)) at v (1 + xi), to second order in epsilon, for xi_j = a_j epsilon
    + O(epsilon**2) (``order_one`` maps v_j to a_j): the coefficients of epsilon and epsilon**2."""
    variables = balance.variables
    first, second = sympy.Integer(0), sympy.Integer(0)
    for sign, ranked in zip((1, -1), balance.parts):
        terms = _relative(ranked, variables)
        monomials = [c * sympy.Mul(*[v**e for v, e in zip(variables, vector)]) for vector, c in terms]
        total = sympy.Add(*monomials)
        shifted = sympy.Add(*[m * sympy.Add(*[vector[variables.index(v)] * a for v, a in order_one.items()
                                               if v in variables])
                              for m, (vector, _) in zip(monomials, terms)])
        first += sign * total
        second += sign * (shifted - total**2 / 2)
    return first, second


def _leading_shift(balance, order_one, order_two):
    """The leading monomial's log at v (1 + xi), xi_j = a_j epsilon + b_j epsilon**2: sum_j e_j log(1 + xi_j)
    to second order in epsilon."""
    leading = balance.leading
    first = sympy.Add(*[_exponent(leading, v) * a for v, a in order_one.items()])
    second = sympy.Add(*[_exponent(leading, v) * (order_two[v] - order_one[v]**2 / 2) for v in order_one])
    return first, second


def first_correction(loss, equations, rivals=()):
    """The signed relative correction of a regime's loss to second order in its subleading monomials.

    Parameters
    ----------
    loss : Balance
        One part of the loss in the regime's variables.
    equations : list of (Balance, Symbol)
        Each equation's expression (equal to a fixed value: a size, the ridge) and the variable it
        is solved for at leading order.
    rivals : sequence of Expr
        The other parts of the loss over this one (in the same variables), added at first order.

    Returns
    -------
    (Expr, Expr)
        The first and the second order, sums of monomials in the balance's variables, to be written at
        the leading solution (L/L_0 - 1 = first + second + third order).

    Examples
    --------
    >>> from largen.diagrams.regimes.dominance import Balance, Region
    >>> x, y = sympy.symbols("x y", positive=True)
    >>> region = Region((x, y), (x, y / x))  # 1 << x << y
    >>> [sympy.expand(c) for c in first_correction(Balance(x**2 + x, (x, y), region),
    ...                                             [(Balance(x + 1, (x, y), region), x)])]
    [-1/x, 0]
    """
    solved = [v for _, v in equations]
    a = {v: sympy.Symbol(f"a_{i}") for i, v in enumerate(solved)}
    b = {v: sympy.Symbol(f"b_{i}") for i, v in enumerate(solved)}
    first_equations, second_equations = [], []
    for balance, _ in equations:
        own1, own2 = _log_expansion(balance, a)
        lead1, lead2 = _leading_shift(balance, a, b)
        first_equations.append(lead1 + own1)
        second_equations.append(lead2 + own2)
    order_one = sympy.solve(first_equations, list(a.values()), dict=True)[0] if solved else {}
    order_one = {v: order_one[a[v]] for v in solved}
    second = [e.xreplace({a[v]: order_one[v] for v in solved}) for e in second_equations]
    order_two = sympy.solve(second, list(b.values()), dict=True)[0] if solved else {}
    order_two = {v: order_two[b[v]] for v in solved}
    own1, own2 = _log_expansion(loss, order_one)
    lead1, lead2 = _leading_shift(loss, order_one, order_two)
    c1, c2 = lead1 + own1 + sympy.Add(*rivals), lead2 + own2
    return c1, c2 + c1**2 / 2


def _terms(expr, substitute, free):
    """The monomials of ``expr`` written by ``substitute`` in ``free``, like ones added:
    {exponent vector: coefficient}."""
    terms = {}
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coefficient, dependent = substitute(term).as_independent(*free, as_Add=False)
        key = _vector(dependent, list(free)) if dependent != 1 else (0,) * len(free)
        terms[key] = terms.get(key, 0) + coefficient
    return terms


def _dominated(a, b, conditions, free, sizes):
    """Whether a <= b (up to a constant) throughout the regime: the exponents of a/b a combination with
    non-negative weights of those of the conditions' small/large and of 1/size (Farkas: then log(a/b) <= 0
    on the whole cone). The weights are found in floating point and the identity then checked exactly;
    not found, or a symbolic exponent: False (the term stays)."""
    generators = [small / large for small, large in conditions if not (small / large).has(sympy.Abs)]
    generators += [1 / v for v in sizes]
    vectors = [_vector(g, list(free)) for g in generators]
    target = _vector(a / b, list(free))
    if any(not as_expr(e).is_number for vector in vectors + [target] for e in vector):
        return False
    matrix = np.array([[float(e) for e in vector] for vector in vectors], dtype=float).T.reshape(len(free), -1)
    found = linprog(np.zeros(len(vectors)), A_eq=matrix, b_eq=[float(e) for e in target], bounds=(0, None))
    if found.status != 0:
        return False
    weights = [sympy.Rational(w).limit_denominator(10**6) for w in found.x]
    return all(sympy.cancel(sum(w * vector[i] for w, vector in zip(weights, vectors)) - target[i]) == 0
               for i in range(len(free)))


def _zero(c):
    """Whether a constant vanishes, by 30 digits (the coefficients are sums of a few constants such as pi,
    Gamma and zeta values, which cancel exactly or not at all); one in symbols (alpha, the scales) at two
    points of values off every simple fraction (an analytic function vanishing at both is taken to vanish)."""
    symbols = sorted(c.free_symbols, key=str)
    points = [dict(zip(symbols, probe)) for probe in _PROBES]
    return all(abs(sympy.N(c.xreplace(point), 30)) < 1e-25 for point in points)


def collected(first, second, substitute, tidy, free, conditions=(), sizes=()):
    """The two orders at the leading solution: like monomials added, the vanishing and the dominated dropped.

    ``substitute`` writes a monomial of the balance's variables in the model's ``free`` ones, ``tidy``
    simplifies its coefficient for display. The first order keeps
    the monomials no other first-order one dominates in the regime (its ``conditions`` and 1 << each of
    ``sizes``), each with the whole of its coefficient (its
    second-order part too: at alpha = 1 the N-limited loss's N**2 gamma/P**2 is half of each); every
    other monomial of either order goes with the second (a first-order 1/P below N/P is of the size of
    (N/P)(1/N), and cancels there). A power of a size alone (1/N, from the spectral sums' zeta terms)
    is a correction, not the condition 1 << N.

    Returns
    -------
    (Expr, Expr)
    """
    def monomials(terms):
        return [c * sympy.Mul(*[v**e for v, e in zip(free, key)]) for key, c in terms.items()
                if (any(e != 0 for e in key) or c.free_symbols) and not _zero(c)]

    def pruned(found):
        # a term of no power of the sizes is a ratio of the model's scales (the other part of the loss over
        # this one): small by the regime's dominance of parts, not by the sizes, so no other term prunes it
        scaled = [m for m in found if any(e != 0 for e in _vector(m.as_independent(*free, as_Add=False)[1], free))]
        return _prune(scaled, free) + [m for m in found if m not in scaled]

    total = _terms(first + second, substitute, free)
    leading = pruned(monomials(_terms(first, substitute, free)))
    leading = [a for a in leading if not any(b != a and _dominated(a, b, conditions, free, sizes)
                                             and not _dominated(b, a, conditions, free, sizes) for b in leading)]
    kept = {_vector(a.as_independent(*free, as_Add=False)[1], list(free)) for a in leading}
    first = monomials({k: c for k, c in total.items() if k in kept})
    second = pruned(monomials({k: c for k, c in total.items() if k not in kept}))
    return sympy.Add(*[tidy(m) for m in first]), sympy.Add(*[tidy(m) for m in second])
