"""Latent covariance spectra, and the spectral moments the planar equations need.

A spectrum is a multiset of eigenvalues lambda_I made of pieces: power laws
lambda_I = lam_plus * I**-(1+alpha), I = 1..M (M may be infinite when
alpha > 0), and explicit lists, kept as the decimal text they were given in
so that they can be read at any precision. Pieces add:
``Spectrum.power_law(1, math.inf) + Spectrum.from_file(path)``.

Every spectral sum of the derived equations is a combination of the moments

    T_ab(p) = sum_I lambda_I**a / (lambda_I + p)**b,        p > 0,

p being the pole of the latent propagator (see :mod:`solver.solve`). A list is
summed term by term. A long power law is a direct head, I < K, plus the
Euler-Maclaurin sum of its tail: the integral in closed form (a Gauss
hypergeometric function) and the endpoint corrections, read off the Taylor
series of the summand found by series arithmetic. In the variable
t = I/K - 1 the summand's nearest singularity lies at a distance
rho >= min(1, sin(pi/(1+alpha))) whatever p is, so the j-th correction is of
order (2j)!/(2 pi K rho)**(2j): K and the number of corrections follow from the
working precision alone, and the cost depends neither on M nor on p.
(mpmath's default nsum is not used: it is silently wrong for these sums.)
"""

import math
import operator
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy

from diagrams.errors import SpectrumError
from diagrams.symbols import number


@dataclass(frozen=True)
class PowerLaw:
    """lambda_I = lam_plus * I**-(1+alpha) for I = 1..size, with exact alpha and lam_plus."""

    alpha: sympy.Rational
    size: object  # a positive int, or math.inf
    lam_plus: sympy.Rational

    def mp(self, value):
        return mpmath.mpf(value.p) / value.q

    def eigenvalue(self, x):
        """lambda(x) at the working precision, for a real index x."""
        return self.mp(self.lam_plus) * mpmath.mpf(x) ** -(1 + self.mp(self.alpha))

    def __str__(self):
        return f"power law alpha = {self.alpha}, M = {self.size}" + (
            f", lam_plus = {self.lam_plus}" if self.lam_plus != 1 else "")


@dataclass(frozen=True)
class Listed:
    """Eigenvalues given one by one, as decimal text."""

    values: tuple

    @property
    def size(self):
        return len(self.values)

    def __str__(self):
        return f"{self.size} listed eigenvalues"


class Spectrum:
    """A covariance spectrum: a sum of pieces, each a power law or a list.

    Build one with :meth:`power_law` or :meth:`from_file`, and add them.

    Examples
    --------
    >>> spectrum = Spectrum.power_law(1, 3) + Spectrum.power_law(1, 2)
    >>> spectrum.size, spectrum.power_sum(1)
    (5, 47/18)
    """

    def __init__(self, pieces):
        self.pieces = tuple(pieces)

    @classmethod
    def power_law(cls, alpha, M, lam_plus=1):
        """lambda_I = lam_plus * I**-(1+alpha), I = 1..M; ``M`` may be ``math.inf``.

        ``alpha`` and ``lam_plus`` are read as exact decimals, so that they hold
        at every precision.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).array().tolist()
        [1.0, 0.25, 0.1111111111111111]
        >>> Spectrum.power_law(0, math.inf)
        Traceback (most recent call last):
        ...
        diagrams.errors.SpectrumError: power law with alpha = 0 and M = inf: the spectral sums diverge (alpha must be > 0)
        """
        alpha = number(alpha, what="alpha", error=SpectrumError)
        lam_plus = number(lam_plus, what="lam_plus", error=SpectrumError)
        M = sympy.oo if M == math.inf else number(M, what="M", error=SpectrumError)
        if not (alpha.is_finite and lam_plus.is_finite):
            raise SpectrumError("alpha and lam_plus must be finite")
        if M == sympy.oo:
            if alpha <= 0:
                raise SpectrumError(
                    f"power law with alpha = {alpha} and M = inf: the spectral sums diverge (alpha must be > 0)")
            M = math.inf
        elif not M.is_integer or M <= 0:
            raise SpectrumError(f"M must be a positive integer or inf, got {M}")
        else:
            M = int(M)
        if lam_plus <= 0:
            raise SpectrumError(f"lam_plus must be positive, got {lam_plus}")
        return cls([PowerLaw(sympy.Rational(alpha), M, sympy.Rational(lam_plus))])

    @classmethod
    def from_file(cls, path):
        """Eigenvalues one per line, and power-law pieces, from a text file.

        Blank lines and ``#`` comments are skipped. A line
        ``power_law alpha=A M=SIZE [lam_plus=L]`` adds a power law (SIZE may be
        ``inf``); every other line is one eigenvalue, kept as the decimal text it is.
        """
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise SpectrumError(f"cannot read spectrum file {path}: {exc.strerror}") from None
        values, pieces = [], []
        for line_number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            where = f"{path}, line {line_number}"
            if not text:
                continue
            if text.startswith("power_law"):
                pieces += _power_law_line(text, where).pieces
                continue
            try:
                value = float(text)
            except ValueError:
                raise SpectrumError(f"{where}: {text!r} is not a number") from None
            if not math.isfinite(value) or value < 0:
                raise SpectrumError(f"{where}: eigenvalue {text} is not a non-negative number")
            values.append(text)
        if values:
            pieces.append(Listed(tuple(values)))
        if not pieces:
            raise SpectrumError(f"{path}: no eigenvalues")
        return cls(pieces)

    def __add__(self, other):
        if not isinstance(other, Spectrum):
            return NotImplemented
        return Spectrum(self.pieces + other.pieces)

    @property
    def size(self):
        """The number of eigenvalues M (``math.inf`` for an infinite power law)."""
        return sum(piece.size for piece in self.pieces)

    @property
    def exact(self):
        """True when every piece is a power law: its exponent and scale are exact decimals."""
        return all(isinstance(piece, PowerLaw) for piece in self.pieces)

    @property
    def digits(self):
        """The significant digits of the longest listed entry: how well a list is known."""
        return max(_significant_digits(v) for piece in self.pieces if isinstance(piece, Listed) for v in piece.values)

    def listed(self):
        """The listed eigenvalues at mpmath's working precision."""
        for piece in self.pieces:
            if isinstance(piece, Listed):
                yield from _mp_values(piece, piece.size, mpmath.mp.prec)

    def power_sum(self, k):
        """tr Lambda**k = sum_I lambda_I**k, exactly: generalised harmonic numbers,
        zeta values at M = inf, and sums of the rationals a file gave.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).power_sum(1)
        49/36
        >>> Spectrum.power_law(1, math.inf).power_sum(1)
        pi**2/6
        """
        total = sympy.Integer(0)
        for piece in self.pieces:
            if isinstance(piece, Listed):
                total += sympy.Add(*[sympy.Rational(v) ** k for v in piece.values])
            elif piece.size == math.inf:
                total += piece.lam_plus**k * sympy.zeta((1 + piece.alpha) * k)
            else:
                total += piece.lam_plus**k * sympy.harmonic(piece.size, (1 + piece.alpha) * k)
        return total

    def array(self):
        """The eigenvalues as float64 (a finite spectrum only)."""
        if self.size == math.inf:
            raise SpectrumError("a simulation needs a finite spectrum (M = inf given)")
        return np.concatenate([_float_values(piece, piece.size) for piece in self.pieces])

    def moments(self, p, orders, split=1):
        """The moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b at mpmath's working precision.

        Parameters
        ----------
        p : mpf
            The pole, p > 0.
        orders : iterable of (a, b)
            Non-negative integers.
        split : number
            A factor on the length of a power law's direct head: two splits
            that agree certify the Euler-Maclaurin tails.

        Returns
        -------
        dict
            ``(a, b) -> T_ab(p)``.

        Examples
        --------
        >>> with mpmath.workdps(30):
        ...     T = Spectrum.power_law(1, math.inf).moments(mpmath.mpf(1), [(1, 1)])
        >>> mpmath.nstr(T[1, 1], 25)  # sum 1/(1 + I**2) = (pi coth(pi) - 1)/2
        '1.076674047468581174134051'
        """
        if not p > 0:
            raise SpectrumError(f"the moments need a positive pole, got p = {p}")
        orders = sorted(set(orders))
        totals = {order: mpmath.mpf(0) for order in orders}
        for piece in self.pieces:
            if isinstance(piece, PowerLaw) and piece.size == math.inf and any(a == 0 for a, _ in orders):
                raise SpectrumError("sum_I (lambda_I + p)**-b diverges at M = inf")
            head = piece.size if isinstance(piece, Listed) else min(piece.size, _head_length(piece, split))
            for order, value in _direct(piece, head, p, orders).items():
                totals[order] += value
            if head < piece.size:
                for order, value in _tail(piece, head + 1, p, orders).items():
                    totals[order] += value
        return totals

    def approximate_moments(self, p, orders):
        """The moments in float64, to about twelve digits: a starting point, not a result.

        Each piece becomes a float64 quadrature: the eigenvalues of a direct head,
        then the continuum approximation of a long power law's tail.
        """
        values, weights = _float_quadrature(self.pieces)
        r = 1.0 / (values + p)
        return {(a, b): float(np.dot(weights, values**a * r**b)) for a, b in orders}

    def __repr__(self):
        return "Spectrum(" + " + ".join(map(str, self.pieces)) + ")"


def _log2(x):
    """Within one of log2(x), for a positive mpf."""
    return x.exp + x.man.bit_length()


@lru_cache(maxsize=64)
def _extent(piece, count, prec):
    """The largest and the smallest non-zero of the first ``count`` eigenvalues of a piece."""
    nonzero = [v for v in _mp_values(piece, count, prec) if v] or [mpmath.mpf(1)]
    return max(nonzero), min(nonzero)


def _direct(piece, count, p, orders):
    """sum over the first ``count`` eigenvalues of lambda**a (lambda + p)**-b, for each order, in integer
    fixed point.

    Every term is positive, so a total is at least any one of its terms; with F
    fractional bits covering the working precision below the smallest scales
    (the term of the largest eigenvalue, the smallest eigenvalue, 1/p), each rounding
    of 2**-F is below 2**-prec of the total. Integers spare mpmath's
    per-operation overhead, the bulk of a solve's cost.
    """
    values = _mp_values(piece, count, mpmath.mp.prec)
    largest, smallest = _extent(piece, count, mpmath.mp.prec)
    F = mpmath.mp.prec + 20 + len(values).bit_length() + max(
        [0, -_log2(smallest), _log2(p)] + [-_log2(largest**a / (largest + p) ** b) for a, b in orders])

    def fixed(x):  # floor(x 2**F) from the mantissa and exponent of a positive mpf
        shift = x.exp + F
        return x.man << shift if shift >= 0 else x.man >> -shift

    P, one = fixed(p), 1 << (2 * F)
    L = [fixed(lam) for lam in values]
    powers = {"lam": [[1 << F] * len(L), L], "r": [[1 << F] * len(L), [one // (x + P) for x in L]]}

    def power(base, k):  # the k-th powers of lambda or of r = 1/(lambda + p), term by term
        while len(powers[base]) <= k:
            powers[base].append([x * y >> F for x, y in zip(powers[base][-1], powers[base][1])])
        return powers[base][k]

    return {(a, b): mpmath.ldexp(sum(x * y for x, y in zip(power("lam", a), power("r", b))) >> F, -F)
            for a, b in orders}


def _significant_digits(text):
    """Significant digits of a decimal: '0.0250' has 3, '1e-3' has 1."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    return max(1, len(mantissa))


def _power_law_line(text, where):
    """A spectrum file's ``power_law alpha=A M=SIZE [lam_plus=L]`` line."""
    fields = {}
    for item in text.split()[1:]:
        key, sep, value = item.partition("=")
        if not sep or key not in ("alpha", "M", "lam_plus") or key in fields:
            raise SpectrumError(f"{where}: expected power_law alpha=A M=SIZE [lam_plus=L], got {text!r}")
        fields[key] = value
    if text.split()[0] != "power_law" or "alpha" not in fields or "M" not in fields:
        raise SpectrumError(f"{where}: expected power_law alpha=A M=SIZE [lam_plus=L], got {text!r}")
    try:
        return Spectrum.power_law(fields["alpha"], fields["M"], fields.get("lam_plus", 1))
    except SpectrumError as exc:
        raise SpectrumError(f"{where}: {exc}") from None


@lru_cache(maxsize=64)
def _mp_values(piece, count, prec):
    """The first ``count`` eigenvalues of a piece at ``prec`` bits (a list's decimals read as text)."""
    with mpmath.workprec(prec):
        if isinstance(piece, Listed):
            return tuple(mpmath.mpf(v) for v in piece.values[:count])
        return tuple(piece.eigenvalue(i) for i in range(1, count + 1))


def _float_values(piece, count):
    if isinstance(piece, Listed):
        return np.array([float(v) for v in piece.values[:count]])
    return float(piece.lam_plus) * np.arange(1, count + 1, dtype=float) ** -(1 + float(piece.alpha))


FLOAT_HEAD = 500  # eigenvalues of a power law kept one by one in the float64 quadrature
GAUSS = np.polynomial.legendre.leggauss(12)  # nodes and weights of each panel of the tail


@lru_cache(maxsize=16)
def _float_quadrature(pieces):
    values, weights = [], []
    for piece in pieces:
        head = piece.size if isinstance(piece, Listed) else min(piece.size, FLOAT_HEAD)
        values.append(_float_values(piece, head))
        weights.append(np.ones(head))
        if head == piece.size:
            continue
        # sum_{I=head+1}^{M} g(I) = integral_{head+1/2}^{M+1/2} g dx + (g'(head+1/2) - g'(M+1/2))/24 + ...
        # (the midpoint rule, g' by differences), the integral taken in u = log x by Gauss-Legendre
        # panels narrower than the summand's strip of analyticity, pi/s
        s = 1 + float(piece.alpha)
        ends = [head] + ([] if piece.size == math.inf else [piece.size])
        values.append(float(piece.lam_plus) * np.array([[i, i + 1] for i in ends], dtype=float).ravel() ** -s)
        weights.append(np.array([[-1, 1] if i == head else [1, -1] for i in ends], dtype=float).ravel() / 24)
        start = math.log(head + 0.5)
        # to infinity, stop where the rest is below 1e-20 of the sum, or float64 ends (a mere start then)
        end = math.log(piece.size + 0.5) if piece.size != math.inf else min(start + 45 / (s - 1), 700)
        edges = np.linspace(start, end, int((end - start) * s) + 2)
        centres, halves = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
        u = (centres[:, None] + halves[:, None] * GAUSS[0]).ravel()
        x = np.exp(u)
        values.append(float(piece.lam_plus) * x**-s)
        weights.append(x * (halves[:, None] * GAUSS[1]).ravel())
    return np.concatenate(values), np.concatenate(weights)


def _radius(piece):
    """A lower bound on the distance from t = 0 to the nearest singularity of lambda(K(1+t))**a
    (lambda(K(1+t)) + p)**-b: the branch point t = -1 and the poles (1+t)**s = -lambda_K/p."""
    s = 1 + float(piece.alpha)
    return 1.0 if s <= 2 else math.sin(math.pi / s)


def _corrections():
    """The number of Euler-Maclaurin corrections at the working precision."""
    return 6 + mpmath.mp.prec // 16


def _head_length(piece, split):
    """K - 1: the head of a power law, long enough that the corrections converge.

    The j-th correction is about (2j)!/(2 pi K rho)**(2j); K is chosen so that the
    last one kept is below 2**-prec, using half the distance to the singularity.
    """
    n = 2 * _corrections()
    log_factorial = math.lgamma(n + 1)
    K = math.exp((log_factorial + mpmath.mp.prec * math.log(2)) / n) / (math.pi * _radius(piece))
    return int(math.ceil(K * split))


@lru_cache(maxsize=64)
def _binomials(piece, n, prec):
    """The fixed-point scale F of the series, and binomial(-s, k) 2**F for k < n: the Taylor
    coefficients of (1 + t)**-s. F leaves prec bits after the coefficients' growth, rho**-n."""
    F = prec + 20 + int(n * math.log2(2 / _radius(piece)))
    with mpmath.workprec(prec + 20):
        s = 1 + piece.mp(piece.alpha)
        coefficients = [mpmath.mpf(1)]
        for k in range(1, n):
            coefficients.append(coefficients[-1] * (-s - k + 1) / k)
        return F, tuple(int(mpmath.ldexp(c, F)) for c in coefficients)


def _series(piece, x0, p, orders, n):
    """Taylor coefficients in t of lambda**a (lambda + p)**-b at x = x0 (1 + t), for each order:
    the zeroth and the odd ones, which are all the Euler-Maclaurin corrections need.

    With lambda = lambda_0 (1 + t)**-s and w = lambda_0/(lambda_0 + p), the summand is
    lambda_0**a (lambda_0 + p)**-b l**a q**b with l = (1 + t)**-s and q = 1/(1 + w (l - 1)):
    series whose coefficients grow at most like rho**-k. They are multiplied in integer
    fixed point, as in :func:`_direct`, through u = l q and g_ab = u g_(a-1)(b-1),
    l g_(a-1)b or q g_a(b-1).
    """
    F, l = _binomials(piece, n, mpmath.mp.prec)
    unit = 1 << F
    lam0 = piece.eigenvalue(x0)
    W = int(mpmath.ldexp(lam0 / (lam0 + p), F))
    d = [W * c >> F for c in l]
    q = [unit]
    for k in range(1, n):
        q.append(-sum(map(operator.mul, d[1:k + 1], reversed(q))) >> F)
    u = _multiply(l, q, F)
    found = {(0, 0): [unit] + [0] * (n - 1)}

    def g(a, b):
        if (a, b) not in found:
            lower, factor = (g(a - 1, b - 1), u) if a and b else (g(a - 1, b), l) if a else (g(a, b - 1), q)
            found[a, b] = _multiply(lower, factor, F)
        return found[a, b]

    series = {}
    for a, b in orders:
        scale = mpmath.ldexp(lam0**a / (lam0 + p) ** b, -F)
        coefficients = g(a, b)
        series[a, b] = [scale * coefficients[0]] + [scale * c for c in coefficients[1::2]]
    return series


def _multiply(x, y, F):
    """The product of two series in fixed point, truncated to their length."""
    return [sum(map(operator.mul, x[:k + 1], reversed(y[:k + 1]))) >> F for k in range(len(x))]


def _tail(piece, start, p, orders):
    """sum_{I=start}^{M} lambda_I**a (lambda_I + p)**-b for a power law, by Euler-Maclaurin.

    integral + (g(start) + g(M))/2 + sum_j B_2j/(2j)! (g^(2j-1)(M) - g^(2j-1)(start)),
    with g^(k)(x0) = k! c_k / x0**k from the Taylor coefficients c_k in t = x/x0 - 1.
    """
    corrections = _corrections()
    n = 2 * corrections
    ends = [(start, -1)] + ([] if piece.size == math.inf else [(piece.size, 1)])
    totals = {order: _integral(piece, p, *order, start) for order in orders}
    for x0, sign in ends:
        weights = _weights(x0, corrections, mpmath.mp.prec)
        for order, c in _series(piece, mpmath.mpf(x0), p, orders, n).items():
            terms = [w * odd for w, odd in zip(weights, c[1:])]
            totals[order] += c[0] / 2 + sign * mpmath.fsum(terms)
            if sign < 0 and abs(terms[-1]) > 2 ** (8 - mpmath.mp.prec) * abs(totals[order]):
                raise SpectrumError(f"the Euler-Maclaurin tail of {piece} did not converge at p = {mpmath.nstr(p, 5)}")
    return totals


@lru_cache(maxsize=64)
def _weights(x0, corrections, prec):
    """B_2j/(2j) / x0**(2j-1), j = 1..corrections: g^(2j-1)(x0) B_2j/(2j)! = weight_j c_(2j-1)."""
    with mpmath.workprec(prec):
        return [mpmath.bernoulli(2 * j) / (2 * j) / mpmath.mpf(x0) ** (2 * j - 1) for j in range(1, corrections + 1)]


def _integral(piece, p, a, b, start):
    """integral_{start}^{M} lambda(x)**a (lambda(x) + p)**-b dx in closed form.

    With lambda = lam_plus x**-s it is lam_plus**(1/s)/s times the integral of
    h(lam) = lam**(c-1) (lam + p)**-b, c = a - 1/s, between lambda_M and lambda_start.
    Below p an antiderivative is p**-b L**c/c 2F1(b, c; c+1; -L/p), vanishing at L = 0
    when c > 0; above p, minus L**(c-b)/(b-c) 2F1(b, b-c; b-c+1; -p/L). Split at p, every
    hypergeometric argument lies in [-1, 0], and each difference is dominated by one end.
    """
    s = 1 + piece.mp(piece.alpha)
    c = a - 1 / s
    low = 0 if piece.size == math.inf else piece.eigenvalue(piece.size)
    high = piece.eigenvalue(start)

    def below(L):
        if not L:
            return 0
        z = _hyp2f1_at_minus_one(b, c, mpmath.mp.prec) if L == p else mpmath.hyp2f1(b, c, c + 1, -L / p)
        return p**-b * L**c / c * z

    def above(L):
        z = _hyp2f1_at_minus_one(b, b - c, mpmath.mp.prec) if L == p else mpmath.hyp2f1(b, b - c, b - c + 1, -p / L)
        return -(L ** (c - b)) / (b - c) * z

    def piecewise(antiderivative, degenerate, x, y):  # integral of h from x to y
        if degenerate:  # the hypergeometric form has a pole there: integrate directly, with guard bits
            with mpmath.workprec(mpmath.mp.prec + 30):
                return +mpmath.quad(lambda lam: lam ** (c - 1) * (lam + p) ** -b, [x, y])
        return antiderivative(y) - antiderivative(x)

    value = 0
    if low < p:
        value += piecewise(below, mpmath.isint(c) and c <= 0, low, min(p, high))
    if high > p:
        value += piecewise(above, mpmath.isint(c - b) and c >= b, max(p, low), high)
    return piece.mp(piece.lam_plus) ** (1 / s) / s * value


@lru_cache(maxsize=256)
def _hyp2f1_at_minus_one(b, c, prec):
    """2F1(b, c; c + 1; -1): the antiderivatives at the pole, where they meet."""
    with mpmath.workprec(prec):
        return mpmath.hyp2f1(b, c, c + 1, -1)
