"""Power-law asymptotics of spectral sums, in each limit of the renormalised ridge.

For the spectrum lambda_I = lambda_+ I**-s, s = 1 + alpha (alpha > 0), a
spectral sum sum_I f(lambda_I) with f rational in lambda and its only pole at
-Delta has an asymptotic expansion in each limit of Delta:

- ``"small"``: Delta << lambda_+ (and, for a finite latent size M, Delta >>
  lambda_M). By the Mellin transform of I -> f(lambda_+ I**-s), the sum is the
  integral over I, plus one term per power of the large-lambda expansion
  f = sum_m c_m lambda**-m, summed as a zeta function,
  sum_I lambda_I**-m = lambda_+**-m zeta(-s m); a finite M takes off the tail
  I > M, whose leading term is an integral of the small-lambda expansion.
- ``"large"``: Delta >> lambda_+. f expanded in lambda/Delta, each power summed:
  sum_I lambda_I**m = lambda_+**m zeta(s m) (a harmonic number for finite M).
- ``"below"``: finite M and Delta << lambda_M: f expanded in Delta/lambda, each
  power summed exactly over I <= M (harmonic numbers of negative order).

The integral is sympy's Mellin transform of f at -1/s; nothing is typed
per summand. Every term is kept exact (Gamma, zeta, harmonic numbers of alpha).

A teacher's weight omega_I = I**-delta in the same index is the real power
(lambda_I/lambda_+)**(delta/s) of the eigenvalue: the weighted sum is the sum of
f times that power, its Mellin transform shifted by delta/s, and each series
term's power of lambda raised by delta/s (``teacher=delta``).

The teacher exponent may be the symbol :data:`TEACHER_DELTA` inside a
:class:`DeltaRange` (``with assuming(DeltaRange(lo, hi)):``): every exponent is then linear
in delta, and each comparison of two of them is decided over the range (no
root of their difference inside it) or raises :class:`DeltaSplit` at the
root, the value of delta where they meet, for the caller to derive each side
(:func:`largen.diagrams.regimes.derive_regimes` with a symbolic delta).

Examples
--------
>>> n1 = sum_asymptotics(EIGENVALUE / (EIGENVALUE + DELTA), "small")
>>> n1.leading
lambda_+**(1/(alpha + 1))*gamma(1 - 1/(alpha + 1))*gamma(1/(alpha + 1))/(Delta**(1/(alpha + 1))*(alpha + 1))
>>> n1.terms[1]
-1/2
"""

import contextlib
import functools
import contextvars
from dataclasses import dataclass
from functools import cache

import sympy

from largen.diagrams.errors import CostError, ExpressionError, ParameterError
from largen.diagrams.printing.latex import display, text
from largen.diagrams.engine.spectral import DELTA, EIGENVALUE
from largen.diagrams.engine.symbols import as_expr

__all__ = ["ALPHA", "LAMBDA_PLUS", "LIMITS", "TEACHER_DELTA", "Expansion", "DeltaRange", "DeltaSplit",
           "sum_asymptotics", "moment_asymptotics", "effective_dimension_asymptotics",
           "teacher_dimension_asymptotics", "power_sum", "exponent_sign", "assuming", "current_range",
           "unordered"]

ALPHA = sympy.Symbol("alpha", positive=True)  # the spectral decay: lambda_I = lambda_+ I**-(1 + alpha)
LAMBDA_PLUS = sympy.Symbol("lambda_+", positive=True)  # the largest eigenvalue
TEACHER_DELTA = sympy.Symbol("delta", real=True)  # the teacher exponent omega_I = I**-delta, when symbolic
LIMITS = ("small", "large", "below")
_RANGE = contextvars.ContextVar("delta_range", default=None)
_OFF_CENTRE = sympy.Rational(37, 73)


def _probe_alpha(alpha):
    """A value of alpha at which to read a sign already known not to change with alpha: 1 for the
    symbol, alpha itself if a number.

    Examples
    --------
    >>> _probe_alpha(ALPHA), _probe_alpha(sympy.Rational(1, 2))
    (1, 1/2)
    """
    alpha = as_expr(alpha)
    return sympy.Integer(1) if alpha.free_symbols else alpha


class DeltaSplit(Exception):
    """A comparison changes sign at ``at`` inside the current :class:`DeltaRange`.

    Not a :class:`~largen.diagrams.errors.LargenError`: the piecewise derivation catches it and
    derives each side. ``kind``: ``"marginal"`` (two powers of Delta meet: a logarithm, not
    derived) or ``"exact"`` (two exponents change order: a regime's form changes).
    """

    def __init__(self, at, kind="exact"):
        super().__init__(f"a comparison changes sign at delta = {at}")
        self.at, self.kind = at, kind


@dataclass(frozen=True)
class DeltaRange:
    """The open range lower < delta < upper of the symbolic teacher exponent :data:`TEACHER_DELTA`.

    The bounds are numbers or functions of alpha (ordered for every alpha > 0); ``upper``
    may be oo. Inside :func:`assuming` it is the range every comparison in delta is decided
    over.

    Examples
    --------
    >>> with assuming(DeltaRange(1, sympy.oo)):
    ...     exponent_sign(TEACHER_DELTA - 1), exponent_sign(2 - TEACHER_DELTA, alpha=1)
    Traceback (most recent call last):
    ...
    largen.diagrams.regimes.asymptotics.DeltaSplit: a comparison changes sign at delta = 2
    >>> DeltaRange(1, 3).point(ALPHA), DeltaRange(2 + ALPHA, sympy.oo).point(ALPHA)
    (147/73, 293/73)
    """

    lower: sympy.Expr
    upper: sympy.Expr

    def point(self, alpha):
        """A number inside the range (at the probe alpha), at which to read a sign known not to change
        over it."""
        at = {ALPHA: _probe_alpha(alpha)}
        lower, upper = as_expr(self.lower).subs(at), as_expr(self.upper).subs(at)
        return lower + 2 * _OFF_CENTRE if upper == sympy.oo else lower + _OFF_CENTRE * (upper - lower)


@contextlib.contextmanager
def assuming(delta_range):
    """Decide every comparison in the symbolic delta over ``delta_range`` (a :class:`DeltaRange`) inside the block."""
    token = _RANGE.set(delta_range)
    try:
        yield delta_range
    finally:
        _RANGE.reset(token)


def current_range():
    """The :class:`DeltaRange` in force, or None."""
    return _RANGE.get()


@dataclass(frozen=True)
class Expansion:
    """An asymptotic expansion of a spectral sum in one limit of Delta.

    ``terms`` are exact, dominant first; ``corrections`` are the relative
    sizes (term / leading) of the first subleading term of each independent
    source (the zeta series, the integral, the tail beyond a finite M).
    """

    terms: tuple
    corrections: tuple
    limit: str

    @property
    def leading(self):
        return self.terms[0]

    @property
    def correction(self):
        """The relative size of the first correction: the sum of ``corrections``."""
        return sympy.Add(*self.corrections)

    def _latex(self, printer):
        return rf"{printer._print(self.leading)} \quad {text('to relative order ')}{printer._print(self.correction)}"

    def _repr_latex_(self):
        return display(self)


def exponent_sign(e, alpha=ALPHA):
    """The sign (+1, -1 or 0) of an exponent for every alpha > 0, or None if it depends on alpha.

    Exponents are rational functions of alpha; the sign is decided exactly
    (sympy's assumptions, then the sign at alpha -> 0 and -> oo with no
    positive root of the numerator in between).

    Examples
    --------
    >>> exponent_sign(1 - 1/(1 + ALPHA)), exponent_sign(1 / (1 + ALPHA) - 1), exponent_sign(ALPHA - 1)
    (1, -1, None)
    """
    e = sympy.cancel(as_expr(e))
    if e == 0:
        return 0
    if e.has(TEACHER_DELTA):
        return _sign_over_range(e, alpha)
    alpha = as_expr(alpha)
    if not alpha.is_Symbol or not e.has(alpha):
        return 1 if e > 0 else -1
    numerator, denominator = sympy.fraction(e)
    roots = [r for r in sympy.Poly(numerator * denominator, alpha).real_roots() if r > 0]
    if roots:
        return None
    probe = e.subs(alpha, 1)
    return 1 if probe > 0 else -1


def _sign_over_range(e, alpha):
    """exponent_sign of an e that depends on the symbolic delta: decided over the current range."""
    rng = current_range()
    if rng is None:
        raise ParameterError("a symbolic teacher exponent is derived piecewise, by derive_regimes(delta=symbol)")
    numerator, denominator = sympy.fraction(e)
    content, factors = sympy.factor_list(numerator * denominator)
    for factor in [content] + [f**m for f, m in factors if not f.has(TEACHER_DELTA)]:
        if exponent_sign(factor, alpha) is None:  # a factor of alpha alone: the probe below reads one alpha
            raise ExpressionError(f"with alpha and delta both symbolic, the sign of {factor} depends on alpha: "
                                  f"give a numeric alpha")
    for root in _roots(numerator * denominator, alpha):
        below = exponent_sign(root - rng.lower, alpha)
        above = sympy.Integer(1) if rng.upper == sympy.oo else exponent_sign(rng.upper - root, alpha)
        if below is None or above is None:
            raise unordered(root, rng.lower if below is None else rng.upper)
        if below == 1 and above == 1:
            raise DeltaSplit(root)
    # no root inside the range: the sign anywhere in it is the sign
    return 1 if e.subs({ALPHA: _probe_alpha(alpha), TEACHER_DELTA: rng.point(alpha)}) > 0 else -1


def unordered(a, b):
    """The refusal of two values of delta whose order depends on the symbolic alpha."""
    return ExpressionError(f"with alpha and delta both symbolic, the order of the values delta = {a} and delta = {b}, "
                           f"where the regimes change, depends on alpha: give a numeric alpha")


def _roots(polynomial, alpha):
    """The real roots in delta of a polynomial in delta (and alpha): linear factors, or any at a numeric alpha."""
    roots = []
    for factor, _ in sympy.factor_list(polynomial, TEACHER_DELTA)[1]:
        degree = sympy.degree(factor, TEACHER_DELTA)
        if degree == 1:
            roots += sympy.solve(factor, TEACHER_DELTA)
        elif degree > 1:
            if factor.has(ALPHA):
                raise ExpressionError(f"with alpha and delta both symbolic, the sign of {factor} is not decided: "
                                      f"give a numeric alpha")
            roots += sympy.Poly(factor, TEACHER_DELTA).real_roots()
    return roots


ZETA_EXACT = 400  # integer arguments up to which zeta is put in exactly (pi**k times a rational)


def power_sum(p, latent=sympy.oo, alpha=ALPHA, scale=LAMBDA_PLUS):
    """sum_{I=1}^{latent} lambda_I**p, lambda_I = scale I**-(1 + alpha): zeta at latent = oo.

    At latent = oo the zeta function is the analytic continuation (the Mellin
    regularisation that the small-Delta expansion needs); a finite latent size
    gives the generalized harmonic number.

    Examples
    --------
    >>> power_sum(2, alpha=1)
    pi**4*lambda_+**2/90
    >>> power_sum(-1, latent=3, alpha=1)
    14/lambda_+
    """
    order = sympy.expand(sympy.cancel(p * (1 + alpha)))
    if latent == sympy.oo:
        if order.is_Integer and abs(order) > ZETA_EXACT:
            # sympy would put in a Bernoulli number of thousands of digits (and again at each simplification)
            raise CostError(f"the regimes need zeta({order}), a Bernoulli number of some {int(abs(order) * 0.9)} "
                            f"digits: they are derived for exponents up to zeta({ZETA_EXACT})")
        return scale**p * sympy.zeta(order)
    return scale**p * sympy.harmonic(latent, order)


def _sorted_terms(terms, delta, limit, alpha):
    """Collect by the power of delta; dominant first in the limit (delta -> 0 or oo)."""
    collected = {}
    for term in terms:
        exponent = sympy.cancel(sympy.expand_log(sympy.log(term.as_independent(delta, as_Add=False)[1]),
                                                 force=True).diff(delta) * delta)
        coefficient = term.xreplace({delta: 1})  # term is coefficient * delta**exponent
        collected[exponent] = collected.get(exponent, 0) + coefficient
    # the test for zero simplifies; the kept coefficient keeps the form it was derived in
    items = [(e, c) for e, c in collected.items() if sympy.simplify(c) != 0]

    def compare(a, b):  # exact: the sign of the difference of the exponents over alpha and the range
        try:
            sign = exponent_sign(b[0] - a[0], alpha)
        except DeltaSplit as split:  # two powers of Delta meet: a logarithm there
            raise DeltaSplit(split.at, "marginal") from None
        if sign is None:
            raise ExpressionError(f"the order of Delta**({a[0]}) and Delta**({b[0]}) depends on alpha")
        return sign if limit == "large" else -sign  # ascending exponents when Delta -> 0

    splits = []
    for i, a in enumerate(items):  # every meeting inside the range, the lowest raised first
        for b in items[i + 1:]:
            try:
                compare(a, b)
            except DeltaSplit as split:
                splits.append(split)
    if splits:
        raise min(splits, key=functools.cmp_to_key(lambda p, q: exponent_sign(p.at - q.at, alpha) or 0))
    items.sort(key=functools.cmp_to_key(compare))
    return [c * delta**e for e, c in items]


def _converges(margin, alpha):
    """Whether a power sum's margin (1 + alpha) p - 1 is positive: exactly, or over the range of a symbolic delta."""
    margin = sympy.simplify(margin)
    if margin.has(TEACHER_DELTA):
        return exponent_sign(margin, alpha) == 1
    return margin.is_positive


def _series(f, variable, n):
    """The first n nonzero terms of f's expansion at variable -> 0 (a list of terms)."""
    _, start = f.as_leading_term(variable).as_coeff_exponent(variable)
    expansion = sympy.series(f, variable, 0, start + n).removeO()
    return list(sympy.Add.make_args(sympy.expand(expansion)))


def _reflect(expr):
    def rule(e):
        u = e.base.args[0] / sympy.pi
        return sympy.gamma(u) * sympy.gamma(1 - u) / sympy.pi
    return expr.replace(lambda e: e.is_Pow and e.exp == -1 and isinstance(e.base, sympy.sin), rule)


def sum_asymptotics(f, limit, *, alpha=ALPHA, latent=sympy.oo, order=3, delta=DELTA, scale=LAMBDA_PLUS, teacher=0):
    """The asymptotic expansion of sum_{I=1}^{latent} f(lambda_I) in a limit of delta; with
    ``teacher``, of the teacher-weighted sum_I I**-teacher f(lambda_I).

    Parameters
    ----------
    f : Expr
        A summand in ``EIGENVALUE``, rational, with its only pole at -delta.
    limit : {"small", "large", "below"}
        delta << scale (and >> lambda_M), delta >> scale, or delta << lambda_M (finite latent).
    alpha : Expr
        The decay, positive: symbolic or a number.
    latent : Expr
        The latent size M: oo, a symbol or a number.
    order : int
        How many powers of each series to keep.
    teacher : number or TEACHER_DELTA
        The teacher exponent delta of omega_I = I**-delta (0: no weight); a number, or
        the symbol inside a :class:`DeltaRange`.

    Returns
    -------
    Expansion

    Raises
    ------
    ParameterError
        For an unknown limit, "below" at latent = oo, or alpha <= 0.
    ExpressionError
        If a needed sum or integral diverges (e.g. sum_I 1 at latent = oo).
    DeltaSplit
        With a symbolic teacher exponent, if the order of two terms changes inside the range.

    Examples
    --------
    >>> lam = EIGENVALUE
    >>> sum_asymptotics(lam / (lam + DELTA), "large", alpha=1).terms[:2]
    (pi**2*lambda_+/(6*Delta), -pi**4*lambda_+**2/(90*Delta**2))
    >>> M = sympy.Symbol("M", positive=True)
    >>> below = sum_asymptotics(lam / (lam + DELTA), "below", alpha=1, latent=M)
    >>> below.leading, sympy.factor(below.terms[1])
    (M, -Delta*M*(M + 1)*(2*M + 1)/(6*lambda_+))
    >>> sum_asymptotics(lam / (lam + DELTA), "large", alpha=1, teacher=1).leading  # sum_I I**-3 / Delta
    lambda_+*zeta(3)/Delta
    """
    if limit not in LIMITS:
        raise ParameterError(f"unknown limit {limit!r}: choose one of {', '.join(LIMITS)}")
    alpha = as_expr(alpha)
    if alpha.is_positive is False or alpha == 0:
        raise ParameterError(f"the decay alpha must be positive, got {alpha}")
    if limit == "below" and latent == sympy.oo:
        raise ParameterError("the limit below the smallest eigenvalue needs a finite latent size")
    f = sympy.cancel(as_expr(f))
    s = 1 + alpha
    lam = EIGENVALUE
    teacher = as_expr(teacher)
    if not (teacher.is_number or teacher == TEACHER_DELTA):
        raise ParameterError(f"the teacher exponent must be a number or {TEACHER_DELTA}, got {teacher}")
    c = sympy.cancel(teacher / s)  # omega = (lambda/scale)**c

    def weigh(terms):
        # lambda and scale apart: a symbolic power of their ratio would not split
        return [sympy.powsimp(t * lam**c, force=True) * scale**-c for t in terms] if c != 0 else terms
    y = sympy.Dummy("y", positive=True)
    terms, families = [], []

    def summed(series_terms, which):
        # each c * lambda**p summed over the spectrum
        out = []
        for term in series_terms:
            coefficient, power = term.as_independent(lam, as_Add=False)
            p = power.as_base_exp()[1] if power != 1 else sympy.Integer(0)
            if latent == sympy.oo and which == "convergent" and _converges(p * s - 1, alpha) is not True:
                if c != 0:
                    raise ExpressionError(f"sum_I omega_I lambda_I**{sympy.simplify(p - c)} (omega_I = I**-delta, delta = {teacher}) "
                                          f"diverges at an infinite latent size (it needs (1 + alpha)*"
                                          f"{sympy.simplify(p - c)} + delta > 1)")
                raise ExpressionError(f"sum_I lambda_I**{p} diverges at an infinite latent size")
            out.append(sympy.powsimp(coefficient * power_sum(p, sympy.oo if which == "zeta" else latent, alpha, scale),
                                     force=True))
        return out

    if limit == "small":
        # sum_I g(I) ~ int_0^oo g(I) dI + ...; with I = (scale/lambda)**(1/s) the integral is the
        # Mellin transform of f at -1/s, continued analytically outside its strip
        z = sympy.Dummy("z")
        try:
            transform = sympy.mellin_transform(sympy.factor(f), lam, z)[0]
        except sympy.integrals.transforms.IntegralTransformError:
            raise ExpressionError(f"{f} has no Mellin transform in lambda") from None
        integral = transform.xreplace({z: c - 1 / s}) * scale ** -c
        if integral.has(sympy.zoo, sympy.nan, sympy.oo):
            if c != 0:
                raise ExpressionError(f"sum_I omega_I {f} (omega_I = I**-delta) has a logarithm of Delta (its integral and its zeta "
                                      f"series meet at delta = {teacher}): its regimes are not derived")
            raise ExpressionError(f"the Mellin transform of {f} has a pole at {c - 1 / s}")
        integral = _reflect(sympy.powsimp(sympy.expand_power_base(integral * scale ** (1 / s) / s,
                                                                  force=True), force=True))
        families.append([integral])
        # the large-lambda expansion, powers lambda**-m summed as zeta functions
        at_infinity = [t.xreplace({y: 1 / lam}) for t in _series(f.xreplace({lam: 1 / y}), y, order)]
        families.append(summed(weigh(at_infinity), "zeta"))
        if latent != sympy.oo:  # minus the tail I > M, from the small-lambda expansion of f
            tail = []
            for term in weigh(_series(f, lam, order)):
                coefficient, power = term.as_independent(lam, as_Add=False)
                p = power.as_base_exp()[1] if power != 1 else sympy.Integer(0)
                tail.append(-coefficient * scale**p * latent ** (1 - s * p) / (s * p - 1))
            families.append(tail[:1])
    elif limit == "large":
        families.append(summed(weigh(_series(f, lam, order)), "convergent"))
    else:
        at_infinity = [t.xreplace({y: 1 / lam}) for t in _series(f.xreplace({lam: 1 / y}), y, order)]
        families.append(summed(weigh(at_infinity), "finite"))
    terms = [t for family in families for t in family]
    direction = "large" if limit == "large" else "small"
    ordered = _sorted_terms(terms, delta, direction, alpha) if latent == sympy.oo or limit != "small" \
        else _sorted_terms([t for t in terms if not t.has(latent)], delta, direction, alpha)
    leading = ordered[0]
    corrections = []
    for family in families:
        rest = [t for t in _sorted_terms(family, delta, direction, alpha) if sympy.simplify(t - leading) != 0]
        if rest:
            corrections.append(sympy.powsimp(rest[0] / leading, force=True))
    if latent != sympy.oo and limit == "small":
        ordered = ordered + [t for t in terms if t.has(latent)]
    return Expansion(tuple(ordered), tuple(corrections), limit)


def moment_asymptotics(a, b, limit, **kwargs):
    """The expansion of the moment T_ab = sum_I lambda_I**a (lambda_I + Delta)**-b.

    Examples
    --------
    >>> moment_asymptotics(1, 2, "small", alpha=1).leading
    pi*sqrt(lambda_+)/(4*Delta**(3/2))
    """
    delta = kwargs.get("delta", DELTA)
    return sum_asymptotics(EIGENVALUE**a / (EIGENVALUE + delta) ** b, limit, **kwargs)


def effective_dimension_asymptotics(k, limit, **kwargs):
    """The expansion of n_k = sum_I (lambda_I/(lambda_I + Delta))**k.

    Examples
    --------
    >>> effective_dimension_asymptotics(2, "small", alpha=1).leading
    pi*sqrt(lambda_+)/(4*sqrt(Delta))
    """
    return _effective_dimension(k, limit, tuple(sorted(kwargs.items())))


def teacher_dimension_asymptotics(k, limit, teacher, **kwargs):
    """The expansion of the teacher's m_k = sum_I omega_I (lambda_I/(lambda_I + Delta))**k, omega_I = I**-teacher.

    Examples
    --------
    >>> teacher_dimension_asymptotics(1, "small", sympy.Rational(1, 2), alpha=1).leading
    sqrt(2)*pi*lambda_+**(1/4)/(2*Delta**(1/4))
    >>> teacher_dimension_asymptotics(1, "small", sympy.Rational(5, 2), alpha=1).leading  # a smooth target
    zeta(5/2)
    """
    rng = current_range()
    return _effective_dimension(k, limit, tuple(sorted({**kwargs, "teacher": teacher}.items())),
                                rng if rng and as_expr(teacher).has(TEACHER_DELTA) else None)


@cache
def _effective_dimension(k, limit, kwargs, delta_range=None):
    # the regimes ask for the same few n_k many times; with a symbolic delta, per range (its order of terms)
    return moment_asymptotics(k, k, limit, **dict(kwargs))
