"""The optimal ridge where the sizes are of one order, and the best split of a budget with its prefactor.

Where one size is far below the others the loss at the optimal ridge is a ridgeless regime's
(:mod:`largen.diagrams.regimes.optima`). Where the sizes are of one order, every root of the ridge
gamma(n_1) = 0 is near, and neither regime holds: at N = P the ridgeless loss diverges (a double
root), and the N-limited formula is 2x low at alpha = 1. There the optimum sits at a finite
number of learned modes, X of the order of the sizes. With the sizes ``rho_i U`` (U the unit size)
and X = t U, the leading small-Delta asymptotics n_k = c_k X make the loss homogeneous in U:

    L = U**e f(t),

and the optimum over gamma is the optimum over t in (0, t_edge), t_edge the first root of the
ridge (n_1 = the smallest size). Nothing here knows the model: f, the ridge and the roots come out
of the derived parametric theory (:func:`largen.diagrams.theory.parametric.parametric_losses`),
the c_k out of :mod:`largen.diagrams.regimes.asymptotics`. d log f/dt = 0 is a polynomial in t;
where it has degree at most 2 its root is a closed form (MRS at every alpha), otherwise a number
bracketed by exact signs (:func:`_certified`).

A budget of the sizes (``Cost``) fixes U as a function of the ratio; the best split minimises
f(t*(rho), rho) along it, at rho* where d log L/d rho = 0 (by the envelope theorem the inner optimum
needs no derivative).

Examples
--------
>>> optimum = crossover_optimum(alpha=1)
>>> optimum.loss
pi**2*lambda_+*sigma_w**2*(N + P)/(8*N*P)
>>> optimum.gamma
pi**2*lambda_+*sigma_u**2/4
"""

import enum
import functools
from dataclasses import dataclass

import mpmath
import sympy
from largen.diagrams.engine.model import mrs
from largen.diagrams.engine.spectral import DELTA, dimension_order, effective_dimension
from largen.diagrams.engine.symbols import as_expr
from largen.diagrams.errors import LargenError, ParameterError
from largen.diagrams.regimes.asymptotics import (
    LAMBDA_PLUS,
    effective_dimension_asymptotics,
)
from largen.diagrams.theory.parametric import parametric_losses

__all__ = ["BudgetOptimum", "Cost", "CrossoverOptimum", "budget_optimum", "crossover_optimum"]

_T = sympy.Symbol("t", positive=True)  # X/U: the learned modes per unit size
_X = sympy.Symbol("X", positive=True)
BUDGET = sympy.Symbol("B", positive=True)


@dataclass(frozen=True)
class CrossoverOptimum:
    """The optimal ridge at fixed ratios of the sizes, to leading order in the sizes.

    ``ratios`` maps each size to its ratio to ``unit`` (symbols where the ratio is left free: the
    result is then written in the sizes themselves); ``modes`` is X*/unit, the learned modes per
    unit size at the optimum; ``gamma`` and ``loss`` are gamma* and L*; ``exact`` tells a closed
    form from a number (``digits`` correct digits, bracketed by exact signs).
    """

    unit: sympy.Symbol
    ratios: dict
    modes: sympy.Expr
    gamma: sympy.Expr
    loss: sympy.Expr
    exponent: sympy.Expr  # L* ~ unit**exponent at fixed ratios
    exact: bool
    digits: int = None


class CostKind(enum.Enum):
    """How a budget weighs the sizes: a weighted sum or a product of powers."""

    LINEAR = "linear"  # sum_i c_i size_i = B
    PRODUCT = "product"  # prod_i size_i**a_i = B


@dataclass(frozen=True)
class Cost:
    """A budget of the sizes: ``sum_i weights[i] size_i = B`` (linear) or ``prod_i size_i**weights[i] = B``
    (product); the weights are positive numbers.

    Examples
    --------
    >>> N, P = mrs().symbols["N"], mrs().symbols["P"]
    >>> Cost.linear({N: 1, P: 4}).expression
    N + 4*P
    """

    kind: CostKind
    weights: dict

    @classmethod
    def linear(cls, weights):
        return cls(CostKind.LINEAR, cls._checked(weights))

    @classmethod
    def product(cls, weights):
        return cls(CostKind.PRODUCT, cls._checked(weights))

    @staticmethod
    def _checked(weights):
        weights = {k: as_expr(v) for k, v in weights.items()}
        bad = [k for k, v in weights.items() if not (v.is_number and v.is_positive and v.is_finite)]
        if bad:
            raise ParameterError(f"a budget's weights must be positive numbers; {', '.join(map(str, bad))} is not")
        return weights

    @property
    def expression(self):
        if self.kind is CostKind.LINEAR:
            return sympy.Add(*[w * s for s, w in self.weights.items()])
        return sympy.Mul(*[s**w for s, w in self.weights.items()])

    def unit_size(self, ratios):
        """The unit size that spends the budget B at the given ratios (size = ratio * unit, the unit's ratio 1)."""
        if self.kind is CostKind.LINEAR:
            return BUDGET / sympy.Add(*[w * ratios[s] for s, w in self.weights.items()])
        power = sympy.Add(*self.weights.values())
        return (BUDGET / sympy.Mul(*[ratios[s] ** w for s, w in self.weights.items()])) ** (1 / power)


@dataclass(frozen=True)
class BudgetOptimum:
    """The best split of a budget ``cost`` = B: ``ratio`` = second size / unit at the optimum, ``sizes``
    each size in B, gamma* and L* in B, L* ~ B**``exponent``; ``digits`` correct digits of the numbers."""

    cost: Cost
    ratio: sympy.Expr
    sizes: dict
    gamma: sympy.Expr
    loss: sympy.Expr
    exponent: sympy.Expr
    digits: int


class _Reduced:
    """The loss and the ridge of a model at sizes rho_i U and X = t U, to leading order: U**e f(t)."""

    def __init__(self, model, alpha):
        alpha = as_expr(alpha)
        if not (alpha.is_number and alpha.is_positive):
            raise ParameterError(f"the optimum where the sizes meet needs a positive numeric alpha, got {alpha}")
        losses = parametric_losses(model)
        latent = model.spaces[model.latent]
        noise = model.regression.noise_variance.free_symbols
        if model.regression.equivalent is not None:
            raise ParameterError("the optimum where the sizes meet is derived for linear features only")
        fixed = {latent: 1, **{v: 0 for v in noise}}  # M = oo; the label noise's optimum is the balanced one
        s = 1 + alpha
        sizes = sorted((v for v in model.sizes.values() if v != latent), key=str)
        self.unit, self.others = sizes[0], sizes[1:]
        self.rho = {v: sympy.Symbol(f"rho_{v}", positive=True) for v in self.others}
        to_modes = {DELTA: LAMBDA_PLUS * _X**-s}
        exprs = [losses.gamma, losses.loss]
        found = {dimension_order(v) for e in exprs for v in e.free_symbols} - {None}
        if any(teacher for _, teacher in found):
            raise ParameterError("the optimum where the sizes meet is derived for the isotropic teacher")
        n = {effective_dimension(k): effective_dimension_asymptotics(k, "small", alpha=alpha).leading.xreplace(to_modes)
             for k, _ in found}
        at = {**{v: self.rho[v] * self.unit for v in self.others}, _X: _T * self.unit}

        def reduced(e):
            e = e.xreplace(fixed).xreplace(n).xreplace(to_modes).xreplace(at)
            return sympy.powsimp(sympy.expand_power_base(sympy.factor(e), force=True), force=True)
        self.loss, self.gamma = reduced(losses.loss), reduced(losses.gamma)
        self.exponent, self.f = self._split(self.loss)
        self.gamma_exponent, self.g = self._split(self.gamma)
        # n_1 = c_1 t U at each root of the ridge (a size): the values of t where gamma vanishes
        n1 = n[effective_dimension(1)].xreplace(at)
        self.edges = [sympy.solve(sympy.Eq(n1, r.xreplace(at)), _T)[0] for r in losses.roots]

    def _split(self, e):
        """e = U**k f(t, rho): k and f, or a LargenError when e is not homogeneous in U."""
        f, power = e.as_independent(self.unit, as_Add=False)
        k = sympy.Integer(0) if power == 1 else sympy.Integer(1) if power == self.unit else power.exp if power.is_Pow and power.base == self.unit else None
        if k is None or k.free_symbols:
            raise LargenError("the leading loss is not homogeneous in the sizes: no optimum where they meet")
        return k, f

    def stationary(self):
        """The numerator of d log f/dt, a polynomial in t."""
        return sympy.Poly(sympy.numer(sympy.together(sympy.diff(sympy.log(self.f), _T))), _T)


@functools.lru_cache(maxsize=16)
def _reduced(model, alpha):
    return _Reduced(model, alpha)


def _edge(reduced, ratios):
    """t at the first root of the ridge (n_1 meets the smallest size); every root's t where the ratios are free."""
    at = {reduced.rho[v]: ratios[v] for v in reduced.others}
    edges = [e.xreplace(at) for e in reduced.edges]
    return sympy.Min(*edges) if all(e.is_number for e in edges) else edges


def _sign(expr):
    """The sign of an exact expression for every positive value of its symbols, or None if undecided."""
    e = sympy.simplify(expr)
    return 1 if e.is_positive else -1 if e.is_negative else None


def _bracketed(poly, edge):
    """Check that d log f/dt changes sign once between t = 0 and each root of the ridge: one optimum inside.

    At a degree at most 2 a sign change on (0, edge) means exactly one root there; above, it means an odd
    number, which :func:`_numeric_root` counts.
    """
    ends = [poly.as_expr().xreplace({_T: 0})] + [poly.as_expr().xreplace({_T: e}) for e in
                                                (edge if isinstance(edge, list) else [edge])]
    signs = [_sign(e) for e in ends]
    if None in signs or any(s == signs[0] for s in signs[1:]):
        raise LargenError("the loss where the sizes meet has no optimum inside the ridge's range that the "
                          "derivation can prove: none stated")


def _closed_root(poly, edge, at):
    """The root of a polynomial of degree at most 2 in t that lies in (0, edge), as a closed form.

    The polynomial changes sign on (0, edge) for every ratio (:func:`_bracketed`), so its roots are real
    and apart, one inside; they never cross, so the branch inside at all ratios equal is inside at every
    ratio, provided the leading coefficient keeps its sign.
    """
    if poly.degree() == 2 and _sign(poly.LC()) is None:
        raise LargenError("the leading coefficient of d log L/dt changes sign with the ratios: no closed form stated")
    roots = [sympy.simplify(r) for r in sympy.roots(poly, multiple=True)]
    ones = {r: 1 for r in at.values() if r.free_symbols}
    first = sympy.Min(*edge).xreplace(ones) if isinstance(edge, list) else edge
    inside = [r for r in roots if 0 < r.xreplace(ones) < first]
    if len(inside) != 1:
        raise LargenError(f"{len(inside)} stationary points of the loss in gamma where the sizes meet: none stated")
    return inside[0]


def _numeric_root(poly, edge, digits):
    """The one root of ``poly`` in (0, edge) to ``digits`` significant digits: all roots found by mpmath,
    the one inside bracketed by exact rational endpoints whose signs sympy's evalf decides."""
    with mpmath.workdps(digits + 20):
        coefficients = [mpmath.mpf(str(sympy.N(c, digits + 30))) for c in poly.all_coeffs()]
        top = mpmath.mpf(str(sympy.N(edge, digits + 20)))
        roots = mpmath.polyroots(coefficients, maxsteps=200, extraprec=4 * digits + 60)
        inside = [mpmath.re(r) for r in roots if abs(mpmath.im(r)) < mpmath.mpf(10) ** -(digits + 10)
                  and 0 < mpmath.re(r) < top]
        if len(inside) != 1:
            raise LargenError(f"{len(inside)} stationary points of the loss in gamma where the sizes meet: "
                              "none stated")
        return _certified(poly.as_expr(), _T, inside[0], digits)


def _certified(expr, var, root, digits):
    """``root`` of an exact ``expr`` as a Float of ``digits`` digits, once rational endpoints a relative
    10**-(digits + 2) apart are shown by sympy's evalf to give ``expr`` opposite signs."""
    with mpmath.workdps(digits + 20):
        width = abs(root) * mpmath.mpf(10) ** -(digits + 2)
        left, right = (sympy.Rational(mpmath.nstr(x, digits + 15)) for x in (root - width, root + width))
    signs = [sympy.sign(expr.xreplace({var: x}).evalf(digits + 10)) for x in (left, right)]
    if signs[0] * signs[1] != -1:
        raise LargenError("the optimum could not be bracketed to the digits asked: no number stated")
    return sympy.Float((left + right) / 2, digits)


def crossover_optimum(model=None, *, alpha, ratios=None, digits=30):
    """The optimal ridge and loss where the sizes are of one order, at M = oo and without label noise.

    Parameters
    ----------
    model : Model, optional
        MRS by default.
    alpha : number
        The spectral decay, lambda_I = lambda_+ I**-(1 + alpha).
    ratios : dict, optional
        Each size but the first (the unit) to its ratio to the unit, a positive number. None: the
        ratios free, the result a closed form in the sizes (where the stationary point has one).
    digits : int
        The correct digits of a number where no closed form exists.

    Returns
    -------
    CrossoverOptimum

    Raises
    ------
    ParameterError
        For a non-numeric alpha, nonlinear features, a teacher covariance, or ratios that are not positive.
    LargenError
        Where no closed form exists and the ratios are free, or the optimum is not interior.

    Examples
    --------
    >>> N, P = mrs().symbols["N"], mrs().symbols["P"]
    >>> o = crossover_optimum(alpha=1, ratios={P: 2})
    >>> o.loss, o.modes
    (3*pi**2*lambda_+*sigma_w**2/(16*N), 4/(3*pi))
    """
    model = model or mrs()
    reduced = _reduced(model, as_expr(alpha))
    free = ratios is None
    ratios = {v: reduced.rho[v] for v in reduced.others} if free else {v: as_expr(r) for v, r in ratios.items()}
    if set(ratios) != set(reduced.others):
        raise ParameterError(f"ratios are needed for exactly {', '.join(map(str, reduced.others))} "
                             f"(to {reduced.unit})")
    bad = [v for v, r in ratios.items() if not (r.is_positive and (free or r.is_finite))]
    if bad:
        raise ParameterError(f"the ratios must be positive numbers: {', '.join(map(str, bad))}")
    at = {reduced.rho[v]: ratios[v] for v in reduced.others}
    poly = sympy.Poly(reduced.stationary().as_expr().xreplace(at), _T)
    edge = _edge(reduced, ratios)
    exact, number = True, None
    if free and poly.degree() > 2:
        raise LargenError(f"d log L/dt = 0 has degree {poly.degree()} in t: give the ratios for a number")
    _bracketed(poly, edge)
    if poly.degree() <= 2:
        modes = _closed_root(poly, edge, at)
    else:
        modes = _numeric_root(poly, edge, digits)
        exact, number = False, digits
    f_star = reduced.f.xreplace(at).xreplace({_T: modes})
    g_star = reduced.g.xreplace(at).xreplace({_T: modes})
    back = {reduced.rho[v]: v / reduced.unit for v in reduced.others} if free else {}
    loss = _tidy(f_star * reduced.unit**reduced.exponent, back, exact, digits)
    gamma = _tidy(g_star * reduced.unit**reduced.gamma_exponent, back, exact, digits)
    modes = _tidy(modes, back, exact, digits)
    shown = {v: r.xreplace(back) for v, r in ratios.items()}
    return CrossoverOptimum(reduced.unit, {reduced.unit: sympy.Integer(1), **shown}, modes, gamma, loss,
                            reduced.exponent, exact, number)


def _tidy(e, back, exact, digits):
    e = e.xreplace(back)
    return sympy.factor(sympy.simplify(e)) if exact else _numeric(e, digits)


def _numeric(e, digits):
    """``e`` with its constant factors as Floats of ``digits`` digits, its powers of the symbols exact."""
    constant, rest = sympy.factor(e).as_independent(*e.free_symbols, as_Add=False)
    return sympy.Float(sympy.N(constant, digits), digits) * rest


def budget_optimum(model=None, *, alpha, cost, digits=30):
    """The best split of a budget of two sizes at the optimal ridge, with its prefactor.

    Parameters
    ----------
    model : Model, optional
        MRS by default (two sizes).
    alpha : number
    cost : Cost
        ``Cost.linear({N: c_N, P: c_P})`` for c_N N + c_P P = B, ``Cost.product({N: 1, P: 1})`` for N P = B.
    digits : int
        Correct digits of the split and the prefactor.

    Returns
    -------
    BudgetOptimum

    Examples
    --------
    >>> N, P = mrs().symbols["N"], mrs().symbols["P"]
    >>> best = budget_optimum(alpha=1, cost=Cost.product({N: 1, P: 1}), digits=15)
    >>> best.ratio, best.exponent
    (1.00000000000000, -1/2)
    >>> best.loss
    2.46740110027234*lambda_+*sigma_w**2/sqrt(B)
    """
    model = model or mrs()
    law = crossover_optimum(model, alpha=alpha)
    unit = law.unit
    (other,) = [v for v in law.ratios if v != unit]
    if set(cost.weights) != {unit, other}:
        raise ParameterError(f"the budget must weigh {unit} and {other}")
    rho = sympy.Symbol("rho", positive=True)
    ratios = {unit: sympy.Integer(1), other: rho}
    size = cost.unit_size(ratios)
    loss = law.loss.xreplace({other: rho * unit}).xreplace({unit: size})
    exponent = sympy.simplify(sympy.diff(sympy.log(loss), BUDGET) * BUDGET)
    if exponent.free_symbols:
        raise LargenError("the loss along the budget is not a power of B")
    shape = sympy.simplify(loss / BUDGET**exponent)
    slope = sympy.together(sympy.diff(sympy.log(shape), rho))
    # rho* by a root of the slope, from rho = 1 outward: the slope is negative below the best split
    lo, hi = sympy.Rational(1, 2), sympy.Integer(2)
    for _ in range(60):
        if (slope.xreplace({rho: lo}).evalf(20) < 0) and (slope.xreplace({rho: hi}).evalf(20) > 0):
            break
        lo, hi = lo / 2, hi * 2
    else:
        raise LargenError("the loss along the budget has no interior minimum: the best split is at an edge")
    with mpmath.workdps(digits + 20):
        guess = mpmath.findroot(sympy.lambdify(rho, slope, "mpmath"),
                                tuple(mpmath.mpf(str(sympy.N(x, digits + 20))) for x in (lo, hi)), solver="illinois")
    ratio = _certified(sympy.numer(slope), rho, guess, digits)
    sizes = {unit: _numeric(size.xreplace({rho: ratio}), digits),
             other: _numeric((rho * size).xreplace({rho: ratio}), digits)}
    gamma = law.gamma.xreplace({other: rho * unit}).xreplace({unit: size}).xreplace({rho: ratio})
    return BudgetOptimum(cost, ratio, sizes, _numeric(gamma, digits), _numeric(loss.xreplace({rho: ratio}), digits),
                         exponent, digits)
