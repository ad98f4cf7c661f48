"""Spectral moments of many points at once, in float64: T_ab(p) = sum_I omega_I lambda_I**a (lambda_I + p)**-b.

The certified solver computes one moment at a time at the working precision
(:mod:`largen.solver.numerics.moments`). The vectorised path
(:mod:`largen.solver.numerics.fast`) needs the same moments for an array of
poles, one per point, each point with its own spectrum, to about float64's
precision: every step below is an operation on arrays.

A list of eigenvalues is an array reduction. A power law
lambda_I = lam_plus I**-s, s = 1 + alpha, with the teacher's omega_I = I**-delta,
is summed as in the exact moments, with the same error analysis at 53 bits:
a direct head I < K, then the Euler-Maclaurin sum of the tail from K,

    sum_{I=K}^{M} f(I) = integral_K^M f + (f(K) + f(M))/2 + sum_j B_2j/(2j)! (f^(2j-1)(M) - f^(2j-1)(K)),

whose j-th correction is of order (2j)!/(2 pi K rho)**(2j), rho >= min(1, sin(pi/s))
(the summand's nearest singularity, in units of K): K = 32 and six corrections
leave 1e-19 of the tail for s <= 3 and 5e-16 of a tail that is itself below
K**(1-s) of the sum for steeper laws. The derivatives at K and M are the Taylor
coefficients of f(x0 (1 + t)), found by series arithmetic on arrays.

The integral, in lambda, is (1/s) integral lambda**(c-1) (lambda + p)**-b with
c = a - (1 - delta)/s: an incomplete beta function, which is split at lambda = p
and expanded on each side in a variable at most 1/2,
u = lambda/(lambda + p) below p and v = p/(lambda + p) above. Each term is an
integral of a power, (y**e - x**e)/e, taken as y**e (-expm1(e log(x/y)))/e, so
that an exponent e near 0 (alpha near 0, a teacher with delta near 1 + s(b - a))
loses nothing, and e = 0 is the logarithm. The series converge like 2**-k at
worst, with the work going to the points that need it.
"""

import math

import numpy as np
from scipy.special import hyp2f1

from largen.solver.numerics.spectrum import PowerLaw

__all__ = ["HEAD", "SECOND_HEAD", "FloatSpectra"]

HEAD = 32  # K: the first index of the Euler-Maclaurin tail
SECOND_HEAD = 48  # the head of an independent second evaluation (other tails, other roundings)
CORRECTIONS = 5  # Euler-Maclaurin corrections: derivatives up to order 9
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66)  # B_2 .. B_10
DIRECT = 4096  # eigenvalues summed one by one when a law cannot take the tail (alpha <= -1, a short law)
SERIES_TERMS = 90  # terms of the integral's series at most (x <= 1/2: 2**-90 is far below float64)
HYPERGEOMETRIC = 0.05  # |e| from which a series is scipy's 2F1 minus its first term
CHUNK = 1 << 20  # elements of a points x eigenvalues array at most: the memory of one reduction


class _PowerLaws:
    """Power laws, one per point: arrays ``alpha``, ``lam_plus``, ``delta`` and ``size`` (inf allowed)."""

    def __init__(self, alpha, lam_plus, delta, size):
        self.s = 1 + np.asarray(alpha, dtype=float)
        self.lam_plus = np.asarray(lam_plus, dtype=float)
        self.delta = np.asarray(delta, dtype=float)
        self.size = np.asarray(size, dtype=float)
        self.teacher = bool(np.any(self.delta != 0))
        # summed one by one: short laws, and growing or flat ones (s <= 0), whose tail is not analysed
        self.direct = (self.size <= 2 * SECOND_HEAD) | (self.s <= 0)
        self.supported = (np.isfinite(self.s) & np.isfinite(self.lam_plus) & (self.lam_plus > 0)
                          & np.isfinite(self.delta) & (self.size > 0)
                          & (~self.direct | (self.size <= DIRECT)))
        self._heads = {}

    def take(self, index):
        return _PowerLaws(self.s[index] - 1, self.lam_plus[index], self.delta[index], self.size[index])

    def moments(self, p, orders, head, index):
        """order -> array of T at the poles ``p`` of the points ``index``, each law at its own pole."""
        index = np.arange(len(self.s)) if index is None else index
        if not len(index):
            return {order: np.zeros(0) for order in orders}
        q = p / self.lam_plus[index]
        found = {order: np.full(len(p), np.nan) for order in orders}
        direct, supported = self.direct[index], self.supported[index]
        for subset, method in ((direct & supported, self._direct), (~direct & supported, self._euler_maclaurin)):
            if subset.all():
                part = method(index, q, orders, head)
            elif subset.any():
                rows = np.flatnonzero(subset)
                part = method(index[rows], q[rows], orders, head)
                part = {order: np.zeros(len(p)) for order in orders} | {
                    order: _scatter(len(p), rows, value) for order, value in part.items()}
            else:
                continue
            for order in orders:
                found[order] = np.where(subset, part[order], found[order])
        with np.errstate(all="ignore"):
            scale = self.lam_plus[index]
            return {order: value * scale ** (order[0] - order[1]) if order[0] != order[1] else value
                    for order, value in found.items()}

    def _direct(self, index, q, orders, head):
        """Every eigenvalue of the unit law, I = 1..M, summed."""
        top = int(self.size[index].max())
        found = {order: np.zeros(len(index)) for order in orders}
        step = max(1, CHUNK // top)
        I = np.arange(1, top + 1, dtype=float)
        for start in range(0, len(index), step):
            rows = index[start:start + step]
            present = I[None, :] <= self.size[rows, None]
            with np.errstate(all="ignore"):
                lam = np.where(present, I[None, :] ** -self.s[rows, None], 0.0)
                weights = np.where(present, I[None, :] ** -self.delta[rows, None], 0.0)
            sums = _reduce(lam, np.where(present, 1.0, 0.0), weights, q[start:start + step, None], orders)
            for order in orders:
                found[order][start:start + step] = sums[order]
        return found

    def _head(self, head):
        """The eigenvalues I < head of every unit law, and the teacher's weights (None without one)."""
        if head not in self._heads:
            I = np.arange(1, head, dtype=float)
            with np.errstate(under="ignore"):
                lam = I[None, :] ** -self.s[:, None]
                weights = I[None, :] ** -self.delta[:, None] if self.teacher else None
            self._heads[head] = lam, weights
        return self._heads[head]

    def _euler_maclaurin(self, index, q, orders, head):
        """The head I < K summed, the tail from K by Euler-Maclaurin (the unit law at the pole q)."""
        s, delta, size = self.s[index], self.delta[index], self.size[index]
        lam, weights = self._head(head)
        if len(index) != len(self.s):
            lam, weights = lam[index], None if weights is None else weights[index]
        found = _reduce(lam, 1.0, weights, q[:, None], orders)
        K = float(head)
        finite = np.isfinite(size)
        ends = [(K, None, -1.0)]
        if finite.any():
            ends.append((np.where(finite, size, 2 * K), finite, 1.0))
        series = {}
        for x0, present, sign in ends:  # (f(K) + f(M))/2, and the derivatives' corrections
            series[sign] = _Taylor(s, q, x0)
        for order in orders:
            a, b, w = _order(order)
            d = delta * w if w else 0.0
            tail = _integral(s, a + (d - 1) / s, b, q, K, size) / s
            for x0, present, sign in ends:
                g = series[sign].coefficients(s * a + d, b)
                correction = g[0] / 2
                for j, bernoulli in enumerate(BERNOULLI, start=1):
                    correction = correction + (sign * bernoulli / (2 * j)) * g[j] / x0 ** (2 * j - 1)
                tail = tail + (correction if present is None else np.where(present, correction, 0.0))
            found[order] = found[order] + tail
        return found


def _scatter(n, rows, values):
    out = np.zeros(n)
    out[rows] = values
    return out


def _order(order):
    a, b, *w = order
    return a, b, (1.0 if w == [1] else 0.0)


def _reduce(lam, present, weights, q, orders):
    """sum over the last axis of w lam**a (lam + q)**-b for each order; ``present`` masks absent terms
    (a = 0 counts a term, which lam = 0 would not tell). lam**a r**b, r = 1/(lam + q), is
    (lam r)**a r**(b-a) or lam**(a-b) (lam r)**b: no power larger than its term. Row sums by a
    product with ones: numpy's reduction of short rows is several times slower."""
    ones = np.ones(lam.shape[-1])
    shape = np.broadcast_shapes(lam.shape, np.shape(q))
    with np.errstate(all="ignore"):
        r = 1.0 / (lam + q)
        bases = {"lam": lam, "r": r, "lr": lam * r}
        powers = {}

        def power(key, k):
            if k == 0:
                return 1.0
            if (key, k) not in powers:
                powers[key, k] = bases[key] if k == 1 else power(key, k - 1) * bases[key]
            return powers[key, k]

        found = {}
        for order in orders:
            a, b, w = _order(order)
            terms = power("lr", a) * power("r", b - a) if b >= a else power("lam", a - b) * power("lr", b)
            if w and weights is not None:
                terms = terms * weights
            if not np.isscalar(present):
                terms = terms * present
            found[order] = np.broadcast_to(terms, shape) @ ones
    return found


class _Taylor:
    """The Taylor series of f(x0 (1 + t)), f(x) = x**-e (x**-s + q)**-b, for several (e, b) at one end x0.

    f(x0 (1 + t)) = x0**-e (1 + t)**-e h(t)**-b, h = A (1 + t)**-s + q, A = x0**-s; the power of
    the normalised h by the recurrence of a series' power, G_n = (1/n) sum_k ((1 - b) k - n) h_k G_(n-k).
    The series of h is shared by the orders, the power by the orders with the same b.
    """

    def __init__(self, s, q, x0):
        n = 2 * CORRECTIONS
        self.x0, self.q = x0, q
        self.A = x0 ** -s
        self.h0 = self.A + q
        B = [None, -s]
        for k in range(2, n):
            B.append(B[-1] * (-s - k + 1) / k)
        ratio = self.A / self.h0
        self.h = [None] + [ratio * B[k] for k in range(1, n)]
        self.G = {}

    def power(self, b):
        if b not in self.G:
            n = 2 * CORRECTIONS
            G = [1.0]
            for m in range(1, n):
                G.append(sum(((1 - b) * k - m) * self.h[k] * G[m - k] for k in range(1, m + 1)) / m)
            self.G[b] = G
        return self.G[b]

    def coefficients(self, e, b):
        """g_0 and the odd coefficients g_1, g_3, .., g_(2J-1)."""
        n = 2 * CORRECTIONS
        with np.errstate(all="ignore"):
            g0 = self.x0 ** -e * self.h0 ** -float(b) if b else self.x0 ** -e
        P = [1.0]
        for k in range(1, n):
            P.append(P[-1] * ((-e - k + 1) / k))
        if not b:
            return [g0] + [g0 * P[m] for m in range(1, n, 2)]
        G = self.power(b)
        return [g0] + [g0 * sum(P[i] * G[m - i] for i in range(m + 1)) for m in range(1, n, 2)]


def _integral(s, c, b, q, K, size):
    """integral_{lambda_M}^{lambda_K} lambda**(c-1) (lambda + q)**-b d lambda for the unit law, split at q."""
    lam_K = K ** -s
    with np.errstate(under="ignore"):
        lam_M = np.where(np.isfinite(size), size ** -s, 0.0)
    # below q, in u = lambda/(lambda + q): q**(c-b) u**(c-1) (1 - u)**(b-c-1) du
    u_lo, u_hi = lam_M / (lam_M + q), np.minimum(lam_K / (lam_K + q), 0.5)
    # above q, in v = q/(lambda + q): q**(c-b) v**(b-c-1) (1 - v)**(c-1) dv
    v_lo, v_hi = q / (lam_K + q), np.minimum(q / (lam_M + q), 0.5)
    total = np.zeros_like(q)
    for lo, hi, e, g in ((u_lo, u_hi, c, 1 + c - b), (v_lo, v_hi, b - c, 1 - c)):
        inside = lo < hi
        if inside.all():
            total += _beta_series(e, g, lo, hi)
        elif inside.any():
            total[inside] += _beta_series(e[inside], g[inside], lo[inside], hi[inside])
    with np.errstate(all="ignore"):
        return q ** (c - b) * total


def _beta_series(e, g, lo, hi):
    """sum_k (g)_k/k! integral_lo^hi x**(e+k-1) dx for 0 <= lo < hi <= 1/2.

    The first term, hi**e (-expm1(e log(lo/hi)))/e, is exact for any e (the logarithm at
    e = 0). The others are the differences of :func:`_power_series` at hi and at lo: the sum at
    hi = 1/2 (every point whose range reaches the split at lambda = p) depends only on e and g,
    and is found once when the points share them (one law); the sum at lo, usually far below
    1/2, needs few terms. Where lo is near hi the difference loses digits of a piece that is
    itself that small.
    """
    with np.errstate(all="ignore"):
        L = np.log(lo / hi)  # -inf at lo = 0
        zero = e == 0
        first = np.exp(e * np.log(hi)) * np.where(zero, -L, -np.expm1(e * L) / np.where(zero, 1.0, e))
    shared = hi == 0.5
    upper = np.empty_like(e)
    if shared.any() and np.ptp(e[shared]) == 0 and np.ptp(g[shared]) == 0:
        i = np.flatnonzero(shared)[0]
        upper[shared] = _power_series(e[i:i + 1], g[i:i + 1], hi[i:i + 1])[0]
        if not shared.all():
            upper[~shared] = _power_series(e[~shared], g[~shared], hi[~shared])
    else:
        upper = _power_series(e, g, hi)
    return first + upper - _power_series(e, g, lo)


def _power_series(e, g, x):
    """sum_{k >= 1} (g)_k/k! x**(e+k)/(e+k) (log x for e + k = 0) for 0 <= x <= 1/2.

    It is x**e (2F1(g, e; e + 1; x) - 1)/e, by scipy's hypergeometric function (its series,
    at x <= 1/2, to a few roundings), where e is not near 0: the difference with 1 then costs
    no more than the rounding of the first term, x**e/e. Near e = 0 (and at the logarithms, e a
    negative integer) the terms are summed here, until each point's fall below float64's
    precision of its sum; NaN where they do not.
    """
    total = np.zeros_like(e)
    with np.errstate(all="ignore"):
        closed = (np.abs(e) >= HYPERGEOMETRIC) & ~((e < 0) & (e == np.round(e))) & (x > 0)
        if closed.any():
            a, b, y = e[closed], g[closed], x[closed]
            total[closed] = np.exp(a * np.log(y)) * (hyp2f1(b, a, a + 1, y) - 1) / a
        rest = ~closed & (x > 0)  # the sum vanishes at x = 0
        if rest.any():
            total[rest] = _summed_series(e[rest], g[rest], x[rest])
    return total


def _summed_series(e, g, x):
    """:func:`_power_series` term by term, for 0 < x <= 1/2."""
    total = np.zeros_like(e)
    with np.errstate(all="ignore"):
        power = np.exp(e * np.log(x))  # x**e
        coefficient = np.ones_like(e)
        active = np.arange(len(e))
        integer = np.any(e == np.round(e)) and np.any(e < 0)  # a logarithm among the terms
        for k in range(1, SERIES_TERMS):
            coefficient = coefficient * ((g + (k - 1)) / k)
            power = power * x
            exponent = e + k
            term = coefficient * power / exponent
            if integer:
                term = np.where(exponent == 0, coefficient * np.log(x), term)
            total[active] += term
            if k % 4:
                continue
            going = np.abs(term) > 1e-18 * np.abs(total[active])
            if going.all():
                continue
            keep = np.flatnonzero(going)
            active, e, g, x, power, coefficient = (active[keep], e[keep], g[keep], x[keep], power[keep],
                                                  coefficient[keep])
            if not len(active):
                return total
    total[active] = np.nan
    return total


class _Listed:
    """Eigenvalues (and the teacher's weights) shared by every point."""

    def __init__(self, values, weights):
        self.values, self.weights = values, weights
        self.teacher = weights is not None
        self.supported = bool(np.all(np.isfinite(values)) and (weights is None or np.all(np.isfinite(weights))))

    def moments(self, p, orders, head, index):
        found = {order: np.empty(len(p)) for order in orders}
        step = max(1, CHUNK // max(1, len(self.values)))
        for start in range(0, len(p), step):
            sums = _reduce(self.values[None, :], 1.0, None if self.weights is None else self.weights[None, :],
                           p[start:start + step, None], orders)
            for order in orders:
                found[order][start:start + step] = sums[order]
        return found


class FloatSpectra:
    """The spectra of a batch of points, as sums of pieces, and their moments in float64.

    Build with :meth:`power_laws` (one law per point, from arrays) or
    :meth:`shared` (one :class:`~largen.solver.numerics.spectrum.Spectrum` for every point).

    Examples
    --------
    >>> laws = FloatSpectra.power_laws(alpha=[1.0, 1.0], size=[math.inf, 3])
    >>> T = laws.moments(np.array([1.0, 1.0]), [(1, 1)])[1, 1]
    >>> T.round(14).tolist()  # sum 1/(1 + I**2) = (pi coth(pi) - 1)/2, and 1/2 + 1/5 + 1/10
    [1.07667404746858, 0.8]
    """

    def __init__(self, pieces, n):
        self.pieces, self.n = tuple(pieces), n

    @classmethod
    def power_laws(cls, alpha, size, delta=0.0, lam_plus=1.0):
        """One power law per point: lambda_I = lam_plus I**-(1 + alpha), I = 1..size, omega_I = I**-delta."""
        arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (alpha, lam_plus, delta, size)))
        return cls([_PowerLaws(*(np.ravel(x) for x in arrays))], arrays[0].size)

    @classmethod
    def shared(cls, spectrum, n):
        """The pieces of ``spectrum`` (power laws and lists), the same at each of ``n`` points."""
        pieces = []
        for piece in spectrum.pieces:
            if isinstance(piece, PowerLaw):
                pieces.append(_PowerLaws(*(np.full(n, _float(x)) for x in (piece.alpha, piece.lam_plus,
                                                                            piece.delta, piece.size))))
            else:
                weights = piece.float_weights() if piece.teacher else None
                pieces.append(_Listed(piece.float_values(), weights))
        return cls(pieces, n)

    @property
    def teacher(self):
        """Whether some piece weighs the teacher."""
        return any(piece.teacher for piece in self.pieces)

    @property
    def supported(self):
        """For each point, whether float64 sums its spectrum (a growing law past 4096 eigenvalues, or
        values beyond float64, are not)."""
        found = np.ones(self.n, dtype=bool)
        for piece in self.pieces:
            found &= piece.supported
        return found

    def take(self, index):
        """The spectra of the points ``index``."""
        return FloatSpectra([piece.take(index) if isinstance(piece, _PowerLaws) else piece
                             for piece in self.pieces], len(index))

    def moments(self, p, orders, head=HEAD, index=None):
        """order -> array of the moments at the poles ``p`` (one per point); NaN where a sum failed.

        ``orders`` are (a, b) or (a, b, 1), the last weighted by the teacher's omega_I; ``head`` is
        the first index of a power law's tail (:data:`SECOND_HEAD` for an independent evaluation);
        ``index`` the points the poles are of (all by default).
        """
        p = np.asarray(p, dtype=float)
        found = {order: np.zeros(len(p)) for order in orders}
        for piece in self.pieces:
            for order, value in piece.moments(p, orders, head, index).items():
                found[order] += value
        return found


def _float(x):
    try:
        return float(x)
    except OverflowError:
        return math.inf
