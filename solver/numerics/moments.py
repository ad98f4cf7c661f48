"""Spectral moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b, exactly and as a float64 start.

Every spectral sum of the derived equations is a combination of these moments,
p > 0 being the pole of the latent propagator in the derived equations. A list
of eigenvalues is summed term by term, in integer fixed point. A long power law
lambda_I = lam_plus I**-s, s = 1 + alpha, is a direct head, I < K, plus the
Euler-Maclaurin sum of its tail: the integral in closed form (a Gauss
hypergeometric function) and the endpoint corrections, read off the Taylor
series of the summand found by series arithmetic. In the variable t = I/K - 1
the summand's nearest singularity lies at a distance
rho >= min(1, sin(pi/s)) whatever p is, so the j-th correction is of order
(2j)!/(2 pi K rho)**(2j): K and the number of corrections follow from the
working precision alone, and the cost depends neither on M nor on p. A fast
decay (s large) needs no tail at all: the direct sum is exact once the terms
left out are below the working precision of the total, after about
2**(prec/(s a - 1)) terms: one for a steep law, whatever its s.
(mpmath's default nsum is not used: it is silently wrong for these sums.)

The float64 start integrates the same tail by Gauss-Legendre panels in log I,
and closes an infinite one by the series of the integral beyond the last panel.
It takes the scale out exactly, T_ab(p) = c**(a-b) T_ab(p/c), and says when
float64 cannot hold a moment (None) rather than return a wrong one.

A teacher covariance weighs the same sums: sum_I omega_I lambda_I**a
(lambda_I + p)**-b. A list carries its weights; a power law its teacher
exponent delta, omega_I = I**-delta. In the power law's own variable
omega = (lambda/lam_plus)**(delta/s): the weight is a real power of lambda, so
the integral of the tail is the same hypergeometric form with c = a - (1 - delta)/s,
and the endpoint series are multiplied by the binomial series of (1 + t)**-delta.
"""

import math
import operator
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
from mpmath.libmp import MPZ  # gmpy2's integers when installed: the fixed point's arithmetic
from scipy.special import hyp2f1

from largen.diagrams.errors import CostError, SpectrumError

__all__ = ["MAX_SECONDS", "approximate_direct_moments", "approximate_power_law_moments", "direct_moments",
           "power_law_moments", "to_float"]

MAX_SECONDS = 20  # the estimated time past which an exact moment is refused (CostError)
DIRECT = 1200  # terms up to which a finite law is summed one by one (measured: 1000 terms take
# about 1.2 ms at 42 digits, an Euler-Maclaurin tail 1.7 ms at any length)
KRONECKER = 64  # series terms from which one packed product beats the schoolbook sums (measured: 60 ties)


def direct_moments(values, p, orders, weights=None):
    """sum_i w_i v_i**a (v_i + p)**-b over a tuple of non-negative mpf, for each order, at the working precision.

    Every term is positive, so a total is at least any one of its terms. The
    sum is taken in integer fixed point, with F fractional bits: a rounding of
    2**-F in lambda, in r = 1/(lambda + p) or in a product of their powers
    reaches a term at most multiplied by the largest lambda**a r**b factors
    (max(1, lambda)**a and max(1, r)**(b+1); the powers of x = lambda r <= 1 that stand for
    lambda**m r**m reach no further), and F leaves the working
    precision after that amplification, relative to the largest term at the
    ends of the list. Integers spare mpmath's per-operation overhead, the bulk
    of a solve's cost.

    Parameters
    ----------
    values : tuple of mpf
        Non-negative numbers (zeros allowed).
    p : mpf
        The pole, p > 0.
    orders : iterable of (a, b) or (a, b, w)
        Non-negative integers; w = 1 weighs the terms by ``weights``.
    weights : tuple of mpf, optional
        Non-negative weights w_i (a teacher covariance); 1 when not given.

    Returns
    -------
    dict
        ``order -> sum``, exact zeros where every term vanishes.

    Examples
    --------
    >>> with mpmath.workdps(20):
    ...     T = direct_moments((mpmath.mpf(0), mpmath.mpf(1)), mpmath.mpf(1), [(0, 1), (1, 1)])
    >>> T[0, 1], T[1, 1]
    (mpf('1.5'), mpf('0.5'))
    >>> with mpmath.workdps(20):
    ...     T = direct_moments((mpmath.mpf(0), mpmath.mpf(1)), mpmath.mpf(1), [(0, 1), (0, 1, 1)],
    ...                        (mpmath.mpf(2), mpmath.mpf(3)))
    >>> T[0, 1], T[0, 1, 1]
    (mpf('1.5'), mpf('3.5'))
    """
    if not values:
        return {order: mpmath.mpf(0) for order in orders}
    terms = _terms(values)
    largest, smallest = terms.largest, terms.smallest
    r = 1 / ((smallest if terms.positive else 0) + p)
    amplification = []
    for a, b, *_ in orders:
        least = max(largest**a / (largest + p) ** b, smallest**a / (smallest + p) ** b)
        amplification.append((a + b + 1).bit_length() + a * max(0, _log2(largest)) + (b + 1) * max(0, _log2(r))
                             - _log2(least))
    F = mpmath.mp.prec + 20 + len(values).bit_length() + max(0, _log2(p), max(amplification))
    W = None
    if weights is not None:  # a rounding of 2**-F in a weight, relative to the smallest one, and the largest's growth
        W = _terms(weights)
        F += max(0, _log2(W.largest)) - min(0, _log2(W.smallest)) if W.any else 0
        W = W.fixed(F)
    _check_cost(len(values), F)

    P, one = _fixed(p._mpf_[1], p._mpf_[2], F), MPZ(1) << (2 * F)
    L = terms.fixed(F)
    R = [one // (x + P) for x in L]
    powers = {"lam": [None, L], "r": [None, R], "x": [None]}

    def power(base, k):  # the k-th powers (k >= 1) of lambda, of r = 1/(lambda + p) or of x = lambda r <= 1
        row = powers[base]
        if len(row) == 1:
            row.append([u * v >> F for u, v in zip(L, R)])
        while len(row) <= k:
            row.append([u * v >> F for u, v in zip(row[-1], row[1])])
        return row[k]

    def total(a, b, w=0):  # the sum at the scale 2**(2F)
        # lambda**a r**b = x**m lambda**(a-m) or x**m r**(b-m), m = min(a, b): on the diagonal a
        # power of x alone, and one product per term fewer than lambda**a times r**b (measured: a
        # fifth of the sums of 1000 terms); x <= 1 keeps each rounding's reach within the bound above
        m = min(a, b)
        factors = [power("x", m)] if m else []
        if a != b:
            factors.append(power("lam", a - m) if a > m else power("r", b - m))
        if w and W is not None:
            factors.append(W)
        if len(factors) == 3:
            return sum(x * y * v >> F for x, y, v in zip(*factors))
        if len(factors) == 2:
            return sum(map(operator.mul, *factors))
        if factors:
            return sum(factors[0]) << F
        return len(L) << (2 * F)

    return {order: mpmath.ldexp(total(*order) >> F, -F) for order in orders}


class _Terms:
    """What :func:`direct_moments` reads of a tuple of non-negative mpf, found once per tuple: the
    largest and smallest non-zero one (to within a factor 2; 1 if none), whether any and whether
    every one is non-zero, and the values in fixed point at the F bits of an evaluation (the same
    F, evaluation after evaluation, in a solve).

    Measured: for 1000 eigenvalues, sorting their scales and converting them to fixed point were half
    of the sum's 0.9 ms, repeated at every evaluation on the same (cached) tuple.
    """

    def __init__(self, values):
        # the scales to within a factor 2 are enough here: compare exponents (exp + bit count), not mpfs
        scales = sorted((v._mpf_[2] + v._mpf_[3], i) for i, v in enumerate(values) if v)
        largest, smallest = (values[scales[-1][1]], values[scales[0][1]]) if scales else (mpmath.mpf(1),) * 2
        self.largest, self.smallest = largest, smallest
        self.any, self.positive = bool(scales), len(scales) == len(values)
        self.parts = [(v._mpf_[1], v._mpf_[2]) for v in values]
        self._fixed = {}

    def fixed(self, F):
        """floor(v 2**F) for each value."""
        if F not in self._fixed:
            if len(self._fixed) >= 4:
                self._fixed.clear()
            self._fixed[F] = [_fixed(man, exp, F) for man, exp in self.parts]
        return self._fixed[F]


def _fixed(man, exp, F):
    """floor(x 2**F) of a non-negative mpf x = man 2**exp."""
    return man << (exp + F) if exp + F >= 0 else man >> -(exp + F)


_TERMS = {}  # id(values) -> (values, _Terms): the tuples come from caches (a law's head, a list at a precision)


def _terms(values):
    """The :class:`_Terms` of a tuple, found by the tuple's identity (hashing 1000 mpf would cost
    as much as the sum); the entry holds the tuple, so that its id is not reused while it is kept."""
    entry = _TERMS.get(id(values))
    if entry is None or entry[0] is not values:
        if len(_TERMS) >= 32:
            _TERMS.pop(next(iter(_TERMS), None), None)
        entry = _TERMS[id(values)] = (values, _Terms(values))
    return entry[1]


def power_law_moments(alpha, lam_plus, size, p, orders, split=1, delta=0):
    """T_ab(p) for lambda_I = lam_plus I**-(1+alpha), I = 1..size, at the working precision; with
    ``delta``, the teacher-weighted sum_I I**-delta lambda_I**a (lambda_I + p)**-b.

    Parameters
    ----------
    alpha, lam_plus : sympy.Rational
        Exact exponent and scale, lam_plus > 0 (alpha = -1 is a flat spectrum, alpha < -1 a
        growing one, for a finite size only).
    size : int or math.inf
        M; an infinite one needs alpha > 0 and a >= 1 in every order.
    p : mpf
        The pole, p > 0.
    orders : iterable of (a, b) or (a, b, w)
        Non-negative integers; w = 1 asks for the sum weighted by omega_I.
    split : number
        A factor on the length of the Euler-Maclaurin head: two splits that
        agree certify the tails.
    delta : sympy.Rational
        The teacher exponent, omega_I = I**-delta (0: no weight). At M = inf
        the weighted sum needs (1 + alpha) a + delta > 1 (the caller checks).
        The weighted and plain sums share the head's powers and the tail's series.

    Returns
    -------
    dict
        ``order -> T_ab(p)``.

    Raises
    ------
    CostError
        When the working precision asks for more than :data:`MAX_SECONDS`.

    Examples
    --------
    >>> import sympy
    >>> with mpmath.workdps(30):
    ...     T = power_law_moments(sympy.Integer(1), sympy.Integer(1), math.inf, mpmath.mpf(1), [(1, 1)])
    >>> mpmath.nstr(T[1, 1], 25)  # sum 1/(1 + I**2) = (pi coth(pi) - 1)/2
    '1.076674047468581174134051'
    >>> with mpmath.workdps(30):  # sum I**-1 I**-2 = zeta(3)
    ...     T = power_law_moments(sympy.Integer(1), sympy.Integer(1), math.inf, mpmath.mpf(1), [(1, 0, 1)],
    ...                           delta=sympy.Integer(1))
    >>> mpmath.nstr(T[1, 0, 1], 25)
    '1.202056903159594285399738'
    """
    orders = sorted(set(orders))
    law = _Law(alpha, lam_plus, size)
    teacher = _Law(alpha, lam_plus, size, delta) if delta else law
    laws = {order: teacher if order[2:] == (1,) else law for order in orders}  # the law each sum weighs by
    if alpha == -1:  # a flat spectrum: M equal terms
        lam = mpmath.mpf(lam_plus.p) / lam_plus.q
        return {order: _flat_weight(size, laws[order].delta) * lam**order[0] / (lam + p) ** order[1]
                for order in orders}
    prec = mpmath.mp.prec
    used = set(laws.values())
    # a direct head when the terms fall fast enough, else an Euler-Maclaurin tail after a head
    direct = _direct_head(laws, p, prec)
    corrections = _corrections(prec)  # the result's precision sets them; guard bits only protect the arithmetic
    head = min(size, direct, _head_length(law, split, corrections, prec))
    if size <= DIRECT:
        head = size
    tail = head < size and head < direct
    guard = max(_guard_bits(each.alpha, each.delta) for each in used) if tail else 0
    with mpmath.workprec(prec + guard + max(_exponent_bits(each, head, tail) for each in used)):
        p = +p
        _check_cost(head, _series_bits(law, 2 * corrections) if tail else mpmath.mp.prec)
        totals = direct_moments(_eigenvalues(law, head, mpmath.mp.prec), p, orders,
                                _teacher_weights(teacher, head, mpmath.mp.prec))
        if tail:
            for order, (value, last) in _tail(laws, head + 1, p, orders, corrections).items():
                totals[order] += value
                if abs(last) > mpmath.ldexp(abs(totals[order]), 8 - prec):
                    raise SpectrumError(f"the Euler-Maclaurin tail of the power law alpha = {alpha}, M = {size} "
                                        f"did not converge at p = {mpmath.nstr(p, 5)}")
    return {order: +value for order, value in totals.items()}


def _flat_weight(size, delta):
    """sum_{I=1}^{size} I**-delta: the weight of a flat spectrum's equal terms."""
    if not delta:
        return size
    d = mpmath.mpf(delta.p) / delta.q
    if delta == 1:
        return mpmath.harmonic(size)
    # zeta(d) - zeta(d, size + 1): both ends grow like 1/|d - 1| near d = 1, and cancel that much
    with mpmath.workprec(mpmath.mp.prec + 20 + max(0, -_log2(abs(d - 1)))):
        return +(mpmath.zeta(d) - mpmath.zeta(d, size + 1))


@dataclass(frozen=True)
class _Law:
    """A power law's parameters at the working precision, and the guard bits its exponent needs.

    ``delta`` is the teacher exponent of a weighted sum (0: none)."""

    alpha: object
    lam_plus: object
    size: object
    delta: object = 0

    @property
    def plain(self):
        """The law's parameters without the teacher's weight."""
        return self.alpha, self.lam_plus, self.size

    @property
    def shift(self):
        """(1 - delta)/s, exactly: the integral of the tail has c = a - shift."""
        return _shift(self)


    def mp(self, value):
        return mpmath.mpf(value.p) / value.q

    @property
    def s(self):
        return 1 + self.mp(self.alpha)

    def eigenvalue(self, x):
        """lambda(x) at the working precision, for a real index x."""
        return self.mp(self.lam_plus) * mpmath.mpf(x) ** -self.s


@lru_cache(maxsize=64)
def _guard_bits(alpha, delta=0):
    """c = a - shift, shift = (1 - delta)/s (1/s without a teacher's weight), enters as 1/c and
    as L**c: when the shift is near an integer, the antiderivatives cancel to about that distance,
    so s must be held to as many more bits (found once per law: sympy's rounding costs more than
    a moment's sum)."""
    shift = (1 - delta) / (1 + alpha)
    distance = abs(shift - round(shift))
    return 0 if distance == 0 else max(0, distance.q.bit_length() - distance.p.bit_length()) + 10


def _exponent_bits(law, head, tail):
    """Guard bits for the eigenvalues: lam_plus I**-s, s rounded, is off by s log(I) of a rounding,
    up to the last index the sum reads."""
    top = law.size if tail and law.size != math.inf else head
    if top <= 1:
        return 0
    s, delta, _ = _law_floats(law)
    s = min(abs(s) + abs(delta), 1e300)
    return int(math.log2(1 + s * math.log(top))) + 1


def _log2(x):
    """Within one of log2(x), for a positive mpf."""
    return x.exp + x.man.bit_length()


@lru_cache(maxsize=64)
def _eigenvalues(law, count, prec):
    """The first ``count`` eigenvalues of a law at ``prec`` bits."""
    with mpmath.workprec(prec):
        return tuple(law.eigenvalue(i) for i in range(1, count + 1))


@lru_cache(maxsize=64)
def _teacher_weights(law, count, prec):
    """The first ``count`` teacher weights I**-delta at ``prec`` bits; None without a teacher."""
    if not law.delta:
        return None
    with mpmath.workprec(prec):
        d = law.mp(law.delta)
        return tuple(mpmath.mpf(i) ** -d for i in range(1, count + 1))


def _direct_head(laws, p, prec):
    """The number of terms after which the rest of the sum is below 2**-prec of its first term.

    Since lambda + p >= p, sum_{I >= K} lambda_I**a (lambda_I + p)**-b is at most
    lam_plus**a p**-b K**(1 - s a) s a/(s a - 1) when s a > 1 (with a teacher's
    weight I**-delta: s a + delta for s a); the total is at least its first term.
    Infinite when that bound does not fall fast enough. ``laws``: order -> its law.
    An estimate: a few bits suffice, in float64 (the law's part found once).
    """
    log2_p = _log2_float(p)
    need = 0
    for (a, b, *_), law in laws.items():
        decay = _decay_bits(law, a)
        if decay is None:
            return math.inf
        log2_lam, excess, bound = decay
        # log2 of the bound over the first term, plus the working precision and guard bits:
        # b log2((lam + p)/p) = b log2(1 + 2**x), x = log2(lam/p)
        x = log2_lam - log2_p
        grow = x + math.log2(1 + 2.0 ** -x) if x > 0 else math.log2(1 + 2.0 ** max(x, -1000))
        need = max(need, (b * grow + bound + prec + 20) / excess)
    if need > 60:
        return math.inf
    return max(1, math.ceil(2**need) - 1)


@lru_cache(maxsize=256)
def _decay_bits(law, a):
    """(log2 lam_plus, s a + delta - 1, log2((s a + delta)/(s a + delta - 1))) in float64, or None
    when s a + delta <= 1 (the sum's terms do not fall fast enough for a direct sum); s a + delta - 1
    is found exactly: it may be tiny."""
    excess = law.alpha * a + a - 1 + law.delta
    q1 = to_float(excess)
    if not q1 > 0:  # an excess that underflows float64 is as slow as none: the bound needs 2**(prec/excess) terms
        return None
    return _log2_float(law.mp(law.lam_plus)), q1, math.log2((q1 + 1) / q1)


def _log2_float(x):
    """log2 of a positive mpf in float64, whatever its exponent."""
    man, exp = x.man, x.exp
    bits = man.bit_length()
    return math.log2(man >> max(0, bits - 60)) + max(0, bits - 60) + exp


@lru_cache(maxsize=64)
def _shift(law):
    """(1 - delta)/s of a law, found once (sympy's arithmetic costs more than a moment's sum)."""
    return (1 - law.delta) / (1 + law.alpha)


@lru_cache(maxsize=64)
def _radius(law):
    """A lower bound on the distance from t = 0 to the nearest singularity of lambda(K(1+t))**a
    (lambda(K(1+t)) + p)**-b: the branch point t = -1 and the poles (1+t)**s = -lambda_K/p, at
    angles pi/|s| (a growing law, s < 0, too)."""
    s = abs(to_float(1 + law.alpha))
    return 1.0 if s <= 2 else math.sin(math.pi / s)


def _corrections(prec):
    """The number of Euler-Maclaurin corrections for ``prec`` bits."""
    return 6 + prec // 16


def _head_length(law, split, corrections, prec):
    """K - 1: the head of a power law, long enough that the corrections converge.

    The j-th correction is about (2j)!/(2 pi K rho)**(2j); K is chosen so that the
    last one kept is below 2**-prec, using half the distance to the singularity.
    """
    n = 2 * corrections
    log_factorial = math.lgamma(n + 1)
    if not _radius(law):  # a law steeper than float64 can tell: the direct head serves it
        return math.inf
    K = math.exp((log_factorial + prec * math.log(2)) / n) / (math.pi * _radius(law))
    return int(math.ceil(K * split))


def _check_cost(terms, bits):
    """Refuse, before starting, a sum over ``terms`` terms (a direct head; the Euler-Maclaurin series
    take about as long as their head) in ``bits``-bit fixed point estimated to take more than
    MAX_SECONDS. Measured here: 24 us a term at 1530 bits, growing as bits**1.6, and at least 2.4 us."""
    seconds = terms * 2.4e-5 * max((bits / 1530) ** 1.6, 0.1)
    if seconds > MAX_SECONDS:
        raise CostError(f"the exact spectral moments at {mpmath.mp.dps} digits would take about "
                        f"{seconds:.3g} s (limit {MAX_SECONDS} s: largen.solver.numerics.moments.MAX_SECONDS); ask for fewer digits")


def _series_bits(law, n):
    """The fixed point of the series: prec bits left after the coefficients' growth, rho**-n."""
    return mpmath.mp.prec + 20 + int(n * math.log2(2 / _radius(law)))


@lru_cache(maxsize=64)
def _binomials(law, n, prec):
    """The fixed-point scale F of the series, and binomial(-s, k) 2**F for k < n: the Taylor
    coefficients of (1 + t)**-s."""
    with mpmath.workprec(prec):
        F = _series_bits(law, n)
    with mpmath.workprec(prec + 20):
        s = 1 + mpmath.mpf(law.alpha.p) / law.alpha.q
        coefficients = [mpmath.mpf(1)]
        for k in range(1, n):
            coefficients.append(coefficients[-1] * (-s - k + 1) / k)
        return F, tuple(MPZ(int(mpmath.ldexp(c, F))) for c in coefficients)


def _series(laws, x0, p, orders, n):
    """Taylor coefficients in t of lambda**a (lambda + p)**-b at x = x0 (1 + t), for each order:
    the zeroth and the odd ones, which are all the Euler-Maclaurin corrections need.

    With lambda = lambda_0 (1 + t)**-s and w = lambda_0/(lambda_0 + p), the summand is
    lambda_0**a (lambda_0 + p)**-b l**a q**b with l = (1 + t)**-s and q = 1/(1 + w (l - 1)):
    series whose coefficients grow at most like rho**-k. They are multiplied in integer
    fixed point, as in :func:`direct_moments`, through u = l q and g_ab = u g_(a-1)(b-1),
    l g_(a-1)b or q g_a(b-1). A teacher's weighted order multiplies the same series by that of
    omega = x0**-delta (1 + t)**-delta. ``laws``: order -> its law (they share alpha and lam_plus).
    """
    law = _Law(*next(iter(laws.values())).plain)
    F, l = _binomials(law, n, mpmath.mp.prec)
    unit = MPZ(1) << F
    lam0 = _point(law, x0, mpmath.mp.prec)[0]
    W = MPZ(int(mpmath.ldexp(lam0 / (lam0 + p), F)))
    d = [unit] + [W * c >> F for c in l[1:]]  # 1 + w (l - 1)
    q = _reciprocal(d, F)
    u = _multiply(l, q, F)

    def step(a, b):  # the series g_ab is made from, and the factor
        return ((a - 1, b - 1), u) if a and b else ((a - 1, b), l) if a else ((a, b - 1), q)

    # a product whose every coefficient is not read again (an order's last) is taken at the zeroth
    # and odd powers only: the schoolbook sums of the others are half of its cost
    parents = {order[:2] for order in orders if laws[order].delta}  # a teacher's series multiplies them
    for order in orders:
        key = order[:2]
        while key != (0, 0):
            key = step(*key)[0]
            parents.add(key)
    found = {(0, 0): None}  # the series 1: a product with it is the other factor

    def g(a, b, last=False):
        if (a, b) not in found:
            lower, factor = step(a, b)
            found[a, b] = _multiply(g(*lower), factor, F, odd=last and (a, b) not in parents)
        return found[a, b]

    series = {}
    for order in orders:
        a, b = order[:2]
        scale = mpmath.ldexp(lam0**a / (lam0 + p) ** b, -F)
        teacher = laws[order]
        if teacher.delta:  # omega = x0**-delta (1 + t)**-delta
            scale *= _point(teacher, x0, mpmath.mp.prec)[1]
            coefficients = _multiply(g(a, b), _teacher_series(teacher, n, mpmath.mp.prec), F, odd=True)
        else:
            coefficients = g(a, b, last=True)
        if coefficients is None:
            coefficients = [unit] + [0] * (n // 2)
        elif len(coefficients) == n:
            coefficients = [coefficients[0], *coefficients[1::2]]
        series[order] = [scale * c for c in coefficients]
    return series


@lru_cache(maxsize=64)
def _teacher_series(law, n, prec):
    """binomial(-delta, k) 2**F for k < n: the Taylor coefficients of (1 + t)**-delta, in the
    fixed point of :func:`_binomials`."""
    F, _ = _binomials(law, n, prec)
    with mpmath.workprec(prec + 20):
        d = law.mp(law.delta)
        coefficients = [mpmath.mpf(1)]
        for k in range(1, n):
            coefficients.append(coefficients[-1] * (-d - k + 1) / k)
        return tuple(MPZ(int(mpmath.ldexp(c, F))) for c in coefficients)


def _multiply(x, y, F, odd=False):
    """The product of two series in fixed point, truncated to their length; x = None is the series 1.
    With ``odd``, only the coefficients the Euler-Maclaurin corrections read: the zeroth and the odd ones.

    Long series: one product of two integers holding the series in slots of W
    bits (Kronecker substitution), a single multiplication in GMP's fast
    algorithms instead of n**2/2 of them. Short ones (the usual precisions):
    the schoolbook sums, which cost less than packing below KRONECKER terms.
    """
    if x is None:
        return [y[0], *y[1::2]] if odd else y
    n = len(x)
    if n < KRONECKER:
        powers = [0, *range(1, n, 2)] if odd else range(n)
        return [sum(map(operator.mul, x[:k + 1], reversed(y[:k + 1]))) >> F for k in powers]
    W = (max(map(abs, x)) * max(map(abs, y)) * n).bit_length() + 2  # every coefficient fits, with its sign
    found = [c >> F for c in _unpack(_pack(x, W) * _pack(y, W), W, n)]
    return [found[0]] + found[1::2] if odd else found


def _reciprocal(d, F):
    """The series 1/d in fixed point (d[0] = 2**F).

    Short series by the recurrence q_k = -sum_j d_j q_(k-j) / 2**F; long ones by
    Newton's iteration q <- q + q (1 - d q), which doubles the number of right
    coefficients each time and multiplies by Kronecker substitution.
    """
    unit = d[0]
    q = [unit]
    if len(d) < KRONECKER:
        for k in range(1, len(d)):
            q.append(-sum(map(operator.mul, d[1:k + 1], reversed(q))) >> F)
        return q
    while len(q) < len(d):
        m = min(2 * len(q), len(d))
        q = q + [0] * (m - len(q))
        residual = [-x for x in _multiply(d[:m], q, F)]
        residual[0] += unit
        q = [a + b for a, b in zip(q, _multiply(q, residual, F))]
    return q


def _pack(x, W):
    """sum_k x_k 2**(W k), halving the list so that each bit is copied about log2(n) times."""
    if len(x) == 1:
        return MPZ(x[0])
    middle = len(x) // 2
    return _pack(x[:middle], W) + (_pack(x[middle:], W) << (W * middle))


def _unpack(z, W, n):
    """The first n signed W-bit slots of z = sum_k c_k 2**(W k), |c_k| < 2**(W-1)."""
    if n == 1:
        low = z & ((MPZ(1) << W) - 1)
        return [low - (MPZ(1) << W) if low >> (W - 1) else low]
    middle = n // 2
    width = W * middle
    low = z & ((MPZ(1) << width) - 1)
    if low >> (width - 1):  # the low slots sum to a negative number: borrow from the high ones
        low -= MPZ(1) << width
    return _unpack(low, W, middle) + _unpack((z - low) >> width, W, n - middle)


def _tail(laws, start, p, orders, corrections):
    """sum_{I=start}^{M} lambda_I**a (lambda_I + p)**-b for a power law, by Euler-Maclaurin, and the
    last correction kept at the start (its size says whether the corrections converged).

    integral + (g(start) + g(M))/2 + sum_j B_2j/(2j)! (g^(2j-1)(M) - g^(2j-1)(start)),
    with g^(k)(x0) = k! c_k / x0**k from the Taylor coefficients c_k in t = x/x0 - 1.
    """
    size = next(iter(laws.values())).size
    ends = [(start, -1, corrections)]
    if size != math.inf:
        ends.append((size, 1, _far_corrections(laws, size, p, corrections, mpmath.mp.prec)))
    totals = {}
    for law in set(laws.values()):
        mine = [order for order in orders if laws[order] == law]
        found = _integrals(law, p, {order[:2] for order in mine}, start)
        totals.update({order: found[order[:2]] for order in mine})
    last = {}
    for x0, sign, kept in ends:
        weights = _weights(x0, kept, mpmath.mp.prec)
        for order, c in _series(laws, mpmath.mpf(x0), p, orders, 2 * kept).items():
            terms = [w * odd for w, odd in zip(weights, c[1:])]
            totals[order] += c[0] / 2 + sign * mpmath.fsum(terms)
            if sign < 0:
                last[order] = terms[-1]
    return {order: (totals[order], last[order]) for order in orders}


def _far_corrections(laws, x0, p, corrections, prec):
    """The Euler-Maclaurin corrections the far end x0 = M of a finite law needs: at most ``corrections``.

    The j-th is about g(x0) x0 (2j)!/(pi x0 rho)**(2j) (half the distance to the singularity, as
    for the head's length), and the total is at least its first term g(1): the corrections stop
    at the first whose ratio to g(1) is below 2**-(prec + 10). Far out the summand is tiny and the
    series converges fast: two or three instead of a dozen (measured: the far end's series
    was a fifth of an evaluation at M = 1e6).
    """
    log2_p = _log2_float(p)
    ratio = -math.inf  # log2 of max g(x0)/g(1) over the orders
    for (a, b, *_), law in laws.items():
        s, delta, log2_lam = _law_floats(law)
        log2_x = math.log2(x0)
        end = log2_lam - s * log2_x  # log2 lambda(x0)
        falls = a * (end - log2_lam) - b * (_log2_sum(end, log2_p) - _log2_sum(log2_lam, log2_p))
        ratio = max(ratio, falls - delta * log2_x)
    reach = math.log(math.pi * x0 * _radius(next(iter(laws.values()))))
    for j in range(1, corrections):
        if ratio + math.log2(x0) + (math.lgamma(2 * j + 1) - 2 * j * reach) / math.log(2) <= -(prec + 10):
            return j
    return corrections


@lru_cache(maxsize=64)
def _law_floats(law):
    """s, delta and log2 lam_plus of a law in float64."""
    return to_float(1 + law.alpha), to_float(law.delta), _log2_float(law.mp(law.lam_plus))


def _log2_sum(x, y):
    """log2(2**x + 2**y) in float64."""
    high, low = max(x, y), min(x, y)
    return high + math.log2(1 + 2.0 ** max(low - high, -1100))


@lru_cache(maxsize=64)
def _weights(x0, corrections, prec):
    """B_2j/(2j) / x0**(2j-1), j = 1..corrections: g^(2j-1)(x0) B_2j/(2j)! = weight_j c_(2j-1)."""
    with mpmath.workprec(prec):
        return [mpmath.bernoulli(2 * j) / (2 * j) / mpmath.mpf(x0) ** (2 * j - 1) for j in range(1, corrections + 1)]


def _integrals(law, p, pairs, start):
    """integral_{start}^{M} lambda(x)**a (lambda(x) + p)**-b dx in closed form, for each (a, b) of ``pairs``.

    With lambda = lam_plus x**-s it is lam_plus**(1/s)/|s| times the integral of
    h(lam) = lam**(c-1) (lam + p)**-b, c = a - 1/s, between lambda_M and lambda_start
    (with a teacher weight x**-delta = (lam/lam_plus)**(delta/s): c = a - (1 - delta)/s
    and the scale lam_plus**((1 - delta)/s)/|s|)
    (in either order: a growing law, s < 0, has lambda_M above lambda_start).
    Below p an antiderivative is p**-b L**c/c 2F1(b, c; c+1; -L/p), vanishing at L = 0
    when c > 0; above p, minus L**(c-b)/(b-c) 2F1(b, b-c; b-c+1; -p/L), which is the form
    below p of the integral in t = p/lam, with c' = b - c at the pole 1. Split at p, every
    hypergeometric argument lies in [-1, 0], and each difference is dominated by one end.
    The orders of one law share one hypergeometric function at each end, the others following
    by contiguous relations (:func:`_below`). Where a form has a pole (c an integer: 1/s is one)
    the integral is an incomplete beta function with integer parameters, a finite sum
    (:func:`_beta_integral`).
    """
    inverse = law.shift
    prec = mpmath.mp.prec
    ends = (0 if law.size == math.inf else _point(law, law.size, prec)[0], _point(law, start, prec)[0])
    low, high = min(ends), max(ends)
    shift, scale = _integral_scale(law, prec)
    values = {pair: 0 for pair in pairs}
    below, above = [], []
    for a, b in pairs:
        c = a - shift
        if b == 0:  # h = lam**(c-1)
            values[a, b] = mpmath.log(high / low) if c == 0 else (high**c - (low**c if low else 0)) / c
            continue
        if low < p:
            if inverse.is_integer and a - inverse <= 0:
                # in u = L/(L + p) <= 1/2: p**(c-b) u**(c-1) (1 - u)**(b-c-1) du
                k = int(a - inverse)
                x, y = low, min(p, high)
                values[a, b] += p ** (k - b) * _beta_integral(x / (x + p), y / (y + p), k - 1, b - k - 1)
            else:
                below.append((a, b))
        if high > p:
            if inverse.is_integer and a - inverse >= b:
                # in v = p/(L + p) <= 1/2: p**(c-b) v**(b-c-1) (1 - v)**(c-1) dv, v falling as L grows
                k = int(a - inverse)
                x, y = max(p, low), high
                values[a, b] += p ** (k - b) * _beta_integral(p / (y + p), p / (x + p), b - k - 1, k - 1)
            else:
                above.append((a, b))
    if below:  # integral_x^y h = A(c, b; y) - A(c, b; x), A the antiderivative below p
        x, y = low, min(p, high)
        offset = min(a for a, _ in below)
        family = {(a - offset, b): (a, b) for a, b in below}
        at = [_below(offset - shift, family, L, p) if L else dict.fromkeys(family, 0) for L in (y, x)]
        for key, pair in family.items():
            values[pair] += at[0][key] - at[1][key]
    if above:  # integral_x^y h = p**(c-b) (A'(b-c, b; p/x) - A'(b-c, b; p/y)), A' at the pole 1
        x, y = max(p, low), high
        offset = min(b - a for a, b in above)
        family = {(b - a - offset, b): (a, b) for a, b in above}
        at = [_below(offset + shift, family, p / L, 1) for L in (x, y)]
        power = p**-shift
        for key, (a, b) in family.items():
            values[a, b] += power * p ** (a - b) * (at[0][key] - at[1][key])
    return {pair: scale * value for pair, value in values.items()}


@lru_cache(maxsize=64)
def _integral_scale(law, prec):
    """shift = 1/s, or (1 - delta)/s with a teacher's weight, and the scale lam_plus**shift/|s| of
    the integrals, at ``prec`` bits (fractional powers: found once per law and precision)."""
    with mpmath.workprec(prec):
        s = law.s
        shift = law.mp(law.shift) if law.delta else 1 / s
        return shift, law.mp(law.lam_plus) ** shift / abs(s)


@lru_cache(maxsize=256)
def _point(law, x, prec):
    """lambda(x) and the teacher's weight x**-delta at ``prec`` bits: the ends of a tail, read by
    its integral and its series at every evaluation (fractional powers: found once)."""
    with mpmath.workprec(prec):
        return law.eigenvalue(x), mpmath.mpf(x) ** -law.mp(law.delta) if law.delta else mpmath.mpf(1)


def _below(c0, family, L, q):
    """A(c0 + i, b; L) = integral_0^L lam**(c0+i-1) (lam + q)**-b dlam = q**-b L**c/c 2F1(b, c; c+1; -L/q),
    c = c0 + i > 0, for each (i, b) of ``family``, L <= q, at the working precision.

    One hypergeometric function at the family's base (c0, b0), b0 = min(b - i) >= 1 (measured:
    25-100 us each, a third of an evaluation's time when each order had its own); the others by
    the contiguous relations of the integrals: by parts,
    A(c+1, b+1) = (c A(c, b) - L**c (L + q)**-b)/b, and A(c, b+1) = (A(c, b) - A(c+1, b+1))/q.
    The first cancels: A(c+1, b+1) >= L**c (L + q)**-b z/((c+1)(1+z)), z = L/q, against terms at
    most 2**b times as large, so each of its steps costs b + 2 + log2((c+1)/z) bits, paid for with
    guard bits; the second loses at most a bit (its second term is at most half its first). Orders
    out of reach of the base (b - i < 1 for another's base) have their own function.
    """
    b0 = min(b - i for i, b in family)
    if b0 < 1:  # no common base: one function each
        return {(i, b): _below(c0 + i, {(0, b): None}, L, q)[0, b] for i, b in family}
    top = max(b for _, b in family) - b0  # diagonal steps
    prec = mpmath.mp.prec
    with mpmath.workprec(64):
        z = mpmath.mpf(L) / q
        lost = sum(b0 + k + 3 + max(0, _log2(c0 + k + 1)) for k in range(top)) + top * max(0, -_log2(z)) + top
    with mpmath.workprec(prec + int(lost) + 10):
        c0, L, q = +c0, +L, +q
        f = _hyp2f1_at_minus_one(b0, c0, mpmath.mp.prec) if L == q else mpmath.hyp2f1(b0, c0, c0 + 1, -L / q)
        found = {(0, 0): q**-b0 * L**c0 / c0 * f}
        power = L**c0 * (L + q) ** -b0  # L**c (L + q)**-b along the diagonal
        for k in range(top):
            found[k + 1, k + 1] = ((c0 + k) * found[k, k] - power) / (b0 + k)
            power *= L / (L + q)

        def A(i, j):  # A(c0 + i, b0 + j), j >= i
            if (i, j) not in found:
                found[i, j] = (A(i, j - 1) - A(i + 1, j)) / q
            return found[i, j]

        values = {(i, b): A(i, b - b0) for i, b in family}
    return {key: +value for key, value in values.items()}


def _beta_integral(x0, x1, e, m):
    """integral_{x0}^{x1} x**e (1 - x)**m dx for integers e and m >= 0, 0 < x0 <= x1 <= 1/2.

    The binomial sum of the powers' integrals; on [0, 1/2] its terms cancel at most
    by 3**m, which the guard bits cover.
    """
    with mpmath.workprec(mpmath.mp.prec + 20 + 2 * m):
        total = 0
        for j in range(m + 1):
            k = e + j + 1
            power = mpmath.log(x1 / x0) if k == 0 else (x1**k - x0**k) / k
            total += (-1) ** j * mpmath.binomial(m, j) * power
    return +total


@lru_cache(maxsize=256)
def _hyp2f1_at_minus_one(b, c, prec):
    """2F1(b, c; c + 1; -1): the antiderivatives at the pole, where they meet."""
    with mpmath.workprec(prec):
        return mpmath.hyp2f1(b, c, c + 1, -1)


def to_float(x):
    """An exact real number as float64, +-inf beyond its range.

    Examples
    --------
    >>> import sympy
    >>> to_float(sympy.Rational(1, 3)), to_float(sympy.Integer(10) ** 400), to_float(-sympy.Integer(10) ** 400)
    (0.3333333333333333, inf, -inf)
    """
    try:
        return float(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def approximate_direct_moments(values, p, orders, log_scale=0.0, weights=None):
    """The moments of eigenvalues exp(log_scale) v_i, v_i a float64 array, or None beyond float64;
    with ``weights`` (the teacher's omega_i), sum_i omega_i v_i**a (v_i + p)**-b.

    The scale comes out exactly, T_ab(p) = c**(a-b) T_ab(p/c) for c = exp(log_scale),
    so that values near 1 keep their powers inside float64 whatever c is.

    Examples
    --------
    >>> approximate_direct_moments(np.array([0.0, 1.0]), 1.0, [(0, 1), (1, 1)])
    {(0, 1): 1.5, (1, 1): 0.5}
    >>> T = approximate_direct_moments(np.array([1.0]), 1e300, [(2, 1)], log_scale=math.log(1e300))
    >>> round(T[2, 1] / 5e299, 12)
    1.0
    >>> approximate_direct_moments(np.array([1.0]), 1.0, [(3, 0)], log_scale=math.log(1e300)) is None
    True
    """
    scaled = _exp(math.log(p) - log_scale) if p > 0 else None
    if scaled is None:
        return None
    ones = np.ones(len(values))
    found = {}
    for weighted in (False, True):
        part = [order for order in orders if (order[2:] == (1,)) == weighted]
        if not part:
            continue
        sums = _dot(values, weights if weighted and weights is not None else ones, scaled, part)
        if sums is None:
            return None
        found.update(sums)
    return _rescale(found, log_scale)


def _exp(x):
    """exp(x) when it is a normal float64, else None."""
    return math.exp(x) if -700 < x < 700 else None


def _rescale(found, log_scale):
    """c**(a-b) T_ab, c = exp(log_scale); None when a moment leaves float64's normal range."""
    if found is None:
        return None
    out = {}
    for order, value in found.items():
        a, b = order[:2]
        if value == 0 or log_scale == 0:
            out[order] = value
            continue
        out[order] = _exp(math.log(value) + (a - b) * log_scale)
        if out[order] is None:
            return None
    return out


def _dot(values, weights, p, orders):
    """sum_i w_i v_i**a (v_i + p)**-b, or None: the factors are taken in turns, lambda then r, so
    that a large weight meets a small eigenvalue before anything can underflow; the orders share
    their common first factors (w (v r)**k, then the powers of v or r), and each sum is the dot
    product of the last of them with its last factor (one array operation fewer per order)."""
    found, partial = {}, {(0, 0): weights}
    with np.errstate(all="ignore"):
        r = 1.0 / (values + p)

        def last(a, b):  # the terms this order's are a product of, and the last factor
            if a == b:
                return half(a - 1), r
            return (terms(a - 1, b), values) if a > b else (terms(a, b - 1), r)

        def half(k):  # w (v r)**k v: the first of the turns to (k + 1, k + 1)
            if ("v", k) not in partial:
                partial["v", k] = terms(k, k) * values
            return partial["v", k]

        def terms(a, b):
            if (a, b) not in partial:
                before, times = last(a, b)
                partial[a, b] = before * times
            return partial[a, b]

        for order in orders:
            a, b = order[:2]
            if a == b == 0:
                found[order] = float(weights.sum())
                continue
            before, times = last(a, b)
            found[order] = float(np.dot(before, times))
    return found if all(math.isfinite(v) for v in found.values()) else None


FLOAT_HEAD = 500  # eigenvalues of a power law kept one by one in the float64 quadrature
GAUSS = np.polynomial.legendre.leggauss(12)  # nodes and weights of each panel of the tail
FLOAT_STEEPEST = 1e6  # float64 sees no difference between larger exponents: 2**-s underflows


def approximate_power_law_moments(alpha, lam_plus, size, p, orders, delta=0):
    """The moments of a power law in float64, to about twelve digits: a starting point, not a result.

    The eigenvalues of a direct head, then a quadrature of the tail in log I and,
    for an infinite law, the series of the integral beyond the last panel; with
    ``delta``, each node weighted by the teacher's I**-delta.

    Returns
    -------
    dict or None
        ``(a, b) -> T_ab(p)``; None when float64 cannot hold the moments or
        their start (an overflow, or a pole below the quadrature's last
        eigenvalue): the caller starts in mpmath instead.

    Examples
    --------
    >>> import sympy
    >>> T = approximate_power_law_moments(sympy.Integer(1), sympy.Integer(1), math.inf, 1.0, [(1, 1)])
    >>> round(T[1, 1], 12)
    1.076674047469
    >>> T = approximate_power_law_moments(sympy.Rational(1, 10**30), sympy.Integer(1), math.inf, 1.0, [(1, 0)])
    >>> round(T[1, 0] / 1e30, 12)  # zeta(1 + 1e-30)
    1.0
    """
    decay, log_scale, parts = _float_plan(alpha, lam_plus, size, delta, tuple(orders))
    p = _exp(math.log(p) - log_scale) if p > 0 else None
    if p is None:
        return None
    found = {}
    for weight, part, (values, weights, end) in parts:
        sums = _dot(values, weights, p, part)
        if sums is None:
            return None
        if end is not None:
            for order in part:
                rest = _float_remainder(decay, end, p, *order[:2], weight)
                if rest is None:
                    return None
                sums[order] += rest
        found.update(sums)
    return _rescale(found, log_scale)


@lru_cache(maxsize=64)
def _float_plan(alpha, lam_plus, size, delta, orders):
    """What :func:`approximate_power_law_moments` reads of a law and its orders, whatever the pole
    (found once: a float64 solve asks for the same moments at every evaluation): the float64
    decay, the law's log scale, and each teacher weight's orders with its quadrature nodes."""
    # the law of scale 1 at the pole p/lam_plus, and the scale put back (see approximate_direct_moments)
    decay, log_scale = _float_decay(alpha), math.log(lam_plus.p) - math.log(lam_plus.q)
    parts = []
    for weight in {delta if order[2:] == (1,) else 0 for order in orders}:
        part = [order for order in orders if (delta if order[2:] == (1,) else 0) == weight]
        parts.append((weight, part, _float_nodes(alpha, size, weight)))
    return decay, log_scale, tuple(parts)


@lru_cache(maxsize=16)
def _float_decay(alpha):
    """alpha in float64, kept apart from 1 so that a tiny one survives (and converted once: a sympy
    comparison costs more than the float64 sums it would precede)."""
    return to_float(min(alpha, FLOAT_STEEPEST))


@lru_cache(maxsize=16)
def _float_nodes(alpha, size, delta=0):
    """Nodes and weights of the float64 quadrature of a power law of scale 1, and log of its last
    index when the law goes on beyond it (None when the nodes reach M); each weight carries the
    teacher's I**-delta at its node."""
    decay = _float_decay(alpha)
    s = 1 + decay
    d = to_float(delta)
    head = min(size, FLOAT_HEAD)
    values = [np.arange(1, head + 1, dtype=float) ** -s]
    weights = [np.arange(1, head + 1, dtype=float) ** -d if d else np.ones(head)]
    if head == size:
        return np.concatenate(values), np.concatenate(weights), None
    # sum_{I=head+1}^{M} g(I) = integral_{head+1/2}^{M+1/2} g dx + (g'(head+1/2) - g'(M+1/2))/24 + ...
    # (the midpoint rule, g' by differences), the integral taken in u = log x by Gauss-Legendre
    # panels 3/s wide, within the summand's strip of analyticity |Im u| < pi/s: 12 nodes converge
    # like (d + sqrt(d**2 + 1))**-24 with d = pi/1.5 half-widths, 4e-16 (measured: no moment moved
    # from the panels a third as wide, and the float64 evaluations cost a fifth less)
    ends = [head] + ([] if size == math.inf else [size])
    with np.errstate(under="ignore"):
        values.append(np.array([[i, i + 1] for i in ends], dtype=float).ravel() ** -s)
    weights.append(np.array([[-i**-d, (i + 1)**-d] if i == head else [i**-d, -(i + 1)**-d] for i in ends],
                            dtype=float).ravel() / 24)
    start = math.log(head + 0.5)
    # to infinity: where the rest is below 1e-20 of the sum, or where float64 ends; the series
    # of the integral adds the rest
    end = math.log(size + 0.5) if size != math.inf else start + min(45 / decay if decay else math.inf, 700 - start)
    edges = np.linspace(start, end, int((end - start) * abs(s) / 3) + 2)
    centres, halves = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    u = (centres[:, None] + halves[:, None] * GAUSS[0]).ravel()
    x = np.exp(u)
    with np.errstate(under="ignore"):
        values.append(x**-s)
    weights.append(x ** (1 - d) * (halves[:, None] * GAUSS[1]).ravel())
    return np.concatenate(values), np.concatenate(weights), (end if size == math.inf else None)


def _float_remainder(alpha, end, p, a, b, delta=0):
    """integral_{e**end}^{inf} x**-delta lambda(x)**a (lambda(x) + p)**-b dx in float64 for
    lambda = x**-s, or None (``alpha`` a float).

    In lam = lambda(x) it is 1/s integral_0^L lam**(c-1) (lam + p)**-b, c = a - (1 - delta)/s,
    = p**-b L**c/(s c) 2F1(b, c; c + 1; -z), z = L/p, taken for z <= 1/2 where its series
    converges fast (the 2F1 from scipy: a Python loop over its terms was a third of a float64
    evaluation); the logarithms keep the powers in range.
    """
    s = 1 + alpha
    c = (a - 1) + alpha / (1 + alpha) + to_float(delta) / (1 + alpha)  # a - 1/s without cancelling alpha
    if not c > 0:  # alpha below float64's range
        return None
    log_L = -s * end
    z = math.exp(min(log_L - math.log(p), 0.0))
    if z > 0.5:
        return None
    series = float(hyp2f1(b, c, c + 1, -z))
    log_value = -math.log1p(alpha) - b * math.log(p) + c * log_L - math.log(c)
    if log_value > 709:
        return None
    return math.exp(log_value) * series
