"""Latent covariance spectra: power laws, listed eigenvalues, and the spectral sums over them.

A spectrum is a multiset of eigenvalues lambda_I made of pieces: power laws
lambda_I = lam_plus * I**-(1+alpha), I = 1..M (M may be infinite when
alpha > 0), and explicit lists, kept as the decimal text they were given in
so that they can be read at any precision. Pieces add:
``Spectrum.power_law(1, math.inf) + Spectrum.from_file(path)``.

Each piece may also carry a teacher covariance diagonal in the same basis,
E w_I**2 proportional to omega_I: a power law its teacher exponent delta,
omega_I = I**-delta (the "source" exponent; delta = 0 is the isotropic
teacher), a list a second column. The weighted moments
sum_I omega_I lambda_I**a (lambda_I + p)**-b are what a teacher's loss needs.

Text (a spectrum file, the fields of a ``power_law`` line) is read by the one
number reader, :func:`largen.diagrams.engine.symbols.number`: decimals are exact. The
moments the planar equations need are computed in :mod:`largen.solver.numerics.moments`.
"""

import math
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import mpmath
import numpy as np
import sympy

from largen.diagrams.errors import SpectrumError
from largen.diagrams.engine.symbols import number

from largen.solver.numerics.moments import (approximate_direct_moments, approximate_power_law_moments, direct_moments,
                      power_law_moments, to_float)

__all__ = ["Listed", "PowerLaw", "Spectrum"]

EXPANDED_BITS = 10**4  # an exact power sum is written out below this many bits (as a string: 4300 digits at most)


@dataclass(frozen=True)
class PowerLaw:
    """lambda_I = lam_plus * I**-(1+alpha) for I = 1..size, with exact alpha and lam_plus, and the
    teacher's omega_I = I**-delta."""

    alpha: sympy.Rational
    size: object  # a positive int, or math.inf
    lam_plus: sympy.Rational
    delta: sympy.Rational = sympy.Integer(0)

    @property
    def teacher(self):
        """Whether the teacher is weighted (delta != 0)."""
        return self.delta != 0

    def moments(self, p, orders, split=1):
        """The exact moments: :func:`largen.solver.numerics.moments.power_law_moments`."""
        return power_law_moments(self.alpha, self.lam_plus, self.size, p, orders, split, self.delta)

    def approximate_moments(self, p, orders):
        """The float64 start, or None: :func:`largen.solver.numerics.moments.approximate_power_law_moments`."""
        return approximate_power_law_moments(self.alpha, self.lam_plus, self.size, p, orders, self.delta)

    @lru_cache(maxsize=256)  # asked at every evaluation of the moments, and sympy's arithmetic is slow
    def divergent(self, a, weighted):
        """Whether sum_I omega_I**w lambda_I**a (lambda_I + p)**-b diverges: at M = inf it needs
        (1 + alpha) a + delta > 1 (weighted) or (1 + alpha) a > 1."""
        return self.size == math.inf and (1 + self.alpha) * a + (self.delta if weighted else 0) <= 1

    def float_values(self):
        """The eigenvalues in float64 (a finite law), inf or 0 beyond its range."""
        with np.errstate(over="ignore", under="ignore"):  # beyond float64's range: inf or 0, for the caller
            return to_float(self.lam_plus) * np.arange(1, self.size + 1, dtype=float) ** -(1 + to_float(self.alpha))

    def float_weights(self):
        """The teacher's omega_I = I**-delta in float64 (a finite law), inf or 0 beyond its range."""
        with np.errstate(over="ignore", under="ignore"):
            return np.arange(1, self.size + 1, dtype=float) ** -to_float(self.delta)

    def power_sum(self, k, j=0):
        """lam_plus**k times a generalised harmonic number, or a zeta value at M = inf; written out
        only when its terms are few and short. With ``j``, sum_I omega_I**j lambda_I**k."""
        exponent = (1 + self.alpha) * k + self.delta * j
        if self.size == math.inf:
            return self.lam_plus**k * sympy.zeta(exponent)
        # the denominator of H_M^(q) is about lcm(1..M)**q, e**(q M)
        expand = exponent.is_integer and 1.45 * self.size * abs(exponent) <= EXPANDED_BITS
        return self.lam_plus**k * sympy.harmonic(self.size, exponent, evaluate=expand)

    def power_sum_value(self, k, j=0):
        """sum_I omega_I**j lambda_I**k at the working precision: T_10 of the law with exponent
        s k + delta j and scale lam_plus**k."""
        law = PowerLaw((1 + self.alpha) * k + self.delta * j - 1, self.size, self.lam_plus**k)
        return law.moments(mpmath.mpf(1), [(1, 0)])[1, 0]

    def __str__(self):
        return f"power law alpha = {self.alpha}, M = {self.size}" + (
            f", lam_plus = {self.lam_plus}" if self.lam_plus != 1 else "") + (
            f", delta = {self.delta}" if self.delta != 0 else "")


@dataclass(frozen=True)
class Listed:
    """Eigenvalues given one by one, as decimal text, and the exact numbers the one number reader
    makes of them (read here when not given); optionally the teacher's omega_I, the same way."""

    values: tuple
    numbers: tuple = field(default=None, compare=False, repr=False)
    weights: tuple = None  # the teacher's omega_I as text, or None: omega = 1
    weight_numbers: tuple = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.numbers is None:
            object.__setattr__(self, "numbers", tuple(_eigenvalue(v, "listed eigenvalues") for v in self.values))
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise SpectrumError(f"{len(self.values)} eigenvalues but {len(self.weights)} teacher weights")
            if self.weight_numbers is None:
                object.__setattr__(self, "weight_numbers",
                                   tuple(_eigenvalue(v, "listed teacher weights") for v in self.weights))

    @property
    def teacher(self):
        """Whether the teacher is weighted (some omega_I != 1)."""
        return self.weights is not None and any(w != 1 for w in self.weight_numbers)

    def divergent(self, a, weighted):
        """A list's sums are finite."""
        return False

    @property
    def size(self):
        return len(self.values)

    def mp_values(self):
        """The eigenvalues at mpmath's working precision, correctly rounded."""
        return _mp_values(self, mpmath.mp.prec)

    def moments(self, p, orders, split=1):
        """The exact moments (``split`` is for power laws): :func:`largen.solver.numerics.moments.direct_moments`."""
        weights = _mp_values(self, mpmath.mp.prec, "weight_numbers") if self.teacher else None
        return direct_moments(self.mp_values(), p, orders, weights)

    def approximate_moments(self, p, orders):
        """The float64 start, or None: :func:`largen.solver.numerics.moments.approximate_direct_moments`."""
        values, log_scale = self._scaled
        weights = np.array([to_float(w) for w in self.weight_numbers]) if self.teacher else None
        return approximate_direct_moments(values, p, orders, log_scale, weights)

    @cached_property
    def _scaled(self):
        """The eigenvalues over the largest, in float64, and the log of the largest."""
        largest = max(self.numbers, default=0)
        if not largest:
            return np.zeros(len(self.numbers)), 0.0
        # v/largest from the integers: Python's true division rounds them correctly
        return (np.array([v.p * largest.q / (v.q * largest.p) for v in self.numbers]),
                math.log(largest.p) - math.log(largest.q))

    def float_values(self):
        """The eigenvalues in float64, inf beyond its range."""
        return np.array([to_float(v) for v in self.numbers])

    def float_weights(self):
        """The teacher's omega_i in float64 (1 without a second column), inf beyond its range."""
        return np.ones(self.size) if self.weights is None else np.array([to_float(w) for w in self.weight_numbers])

    def power_sum(self, k, j=0):
        """sum_i omega_i**j v_i**k, exactly."""
        weights = self.weight_numbers if j and self.weights is not None else (1,) * self.size
        return sympy.Add(*[w**j * v**k for v, w in zip(self.numbers, weights)])

    def power_sum_value(self, k, j=0):
        """sum_i omega_i**j v_i**k at the working precision, in fixed point."""
        weights = None
        if j and self.teacher:
            weights = tuple(w**j for w in _mp_values(self, mpmath.mp.prec, "weight_numbers"))
        return direct_moments(self.mp_values(), mpmath.mpf(1), [(k, 0)], weights)[k, 0]

    def __str__(self):
        return f"{self.size} listed eigenvalues"


def _eigenvalue(text, where):
    """One eigenvalue, read exactly by the one number reader; ``where`` names it in an error."""
    value = number(text, what=where, error=SpectrumError)
    if not value.is_finite or value < 0:
        raise SpectrumError(f"{where}: eigenvalue {text} is not a non-negative number")
    return value


@lru_cache(maxsize=16)
def _mp_values(piece, prec, column="numbers"):
    with mpmath.workprec(prec):
        return tuple(mpmath.mpf(v) for v in getattr(piece, column))


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
        pieces = tuple(pieces)
        for piece in pieces:
            if not isinstance(piece, (PowerLaw, Listed)):
                raise SpectrumError(f"a spectrum is made of PowerLaw and Listed pieces, got {type(piece).__name__}")
        self.pieces = pieces

    @classmethod
    def power_law(cls, alpha, M, lam_plus=1, delta=0):
        """lambda_I = lam_plus * I**-(1+alpha), I = 1..M; ``M`` may be infinite (``math.inf``,
        ``mpmath.inf``, ``sympy.oo`` or ``"inf"``); the teacher's omega_I = I**-delta.

        ``alpha``, ``lam_plus`` and ``delta`` are read as exact decimals, so that they hold
        at every precision. Any real delta is accepted; a sum the theory needs that
        diverges with it is refused where it is needed (:meth:`moments`).

        Examples
        --------
        >>> Spectrum.power_law(1, 3).array().tolist()
        [1.0, 0.25, 0.1111111111111111]
        >>> Spectrum.power_law(0, math.inf)
        Traceback (most recent call last):
        ...
        largen.diagrams.errors.SpectrumError: power law with alpha = 0 and M = inf: the spectral sums diverge (alpha must be > 0)
        """
        alpha = number(alpha, what="alpha", error=SpectrumError)
        lam_plus = number(lam_plus, what="lam_plus", error=SpectrumError)
        delta = number(delta, what="delta", error=SpectrumError)
        M = number(M, what="M", error=SpectrumError)
        if not (alpha.is_finite and lam_plus.is_finite and delta.is_finite):
            raise SpectrumError("alpha, lam_plus and delta must be finite")
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
        return cls([PowerLaw(alpha, M, lam_plus, delta)])

    @classmethod
    def from_file(cls, path):
        """Eigenvalues one per line, and power-law pieces, from a UTF-8 text file.

        Blank lines and ``#`` comments are skipped. A line
        ``power_law alpha=A M=SIZE [lam_plus=L] [delta=D]`` adds a power law (SIZE may be
        ``inf``; D the teacher exponent); every other line is one non-negative eigenvalue, read exactly
        (``1e400`` and ``1/3`` are exact numbers) and kept as the text it is, optionally
        followed by a second column, the teacher's omega_I (then on every line).

        Raises
        ------
        SpectrumError
            An unreadable or non-UTF-8 file, no eigenvalues, or a line that is
            not a non-negative number (named with its file and line).
        """
        lines = _lines(path)
        values, weights, pieces, columns = [], [], [], None
        for line_number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            where = f"{path}, line {line_number}"
            if not text:
                continue
            if text.startswith("power_law"):
                pieces += _power_law_line(text, where).pieces
                continue
            fields = text.split()
            if len(fields) > 2 or (columns is not None and len(fields) != columns):
                raise SpectrumError(f"{where}: expected {columns or 'one or two'} column(s) (an eigenvalue, "
                                    f"and the teacher's omega on every line or none), got {text!r}"[:200])
            columns = len(fields)
            values.append((fields[0], _eigenvalue(fields[0], where)))
            if columns == 2:
                weights.append((fields[1], _eigenvalue(fields[1], f"{where} (teacher weight)")))
        if values:
            texts, numbers = map(tuple, zip(*values))
            weight_texts, weight_numbers = map(tuple, zip(*weights)) if weights else (None, None)
            pieces.append(Listed(texts, numbers, weight_texts, weight_numbers))
        if not pieces:
            raise SpectrumError(f"{path}: no eigenvalues (the file is empty or only comments)")
        return cls(pieces)

    def text(self):
        """The spectrum as the text of a spectrum file, which :meth:`from_file` reads back as this spectrum.

        A power law is a ``power_law`` line, its numbers exact (a decimal where one is exact); a
        list is its eigenvalues as they were given, one per line, with the teacher's omega_I
        as a second column.

        Examples
        --------
        >>> print(Spectrum.power_law("0.5", math.inf, lam_plus="0.25", delta=1).text(), end="")
        power_law alpha=0.5 M=inf lam_plus=0.25 delta=1
        >>> print(Spectrum([Listed(("1", "1/3"), weights=("2", "1e-3"))]).text(), end="")
        1 2
        1/3 1e-3
        """
        lines = []
        for piece in self.pieces:
            if isinstance(piece, PowerLaw):
                fields = [f"alpha={_exact_text(piece.alpha)}", f"M={'inf' if piece.size == math.inf else piece.size}"]
                fields += [f"lam_plus={_exact_text(piece.lam_plus)}"] * (piece.lam_plus != 1)
                fields += [f"delta={_exact_text(piece.delta)}"] * (piece.delta != 0)
                lines.append(" ".join(["power_law", *fields]))
            else:
                weights = piece.weights or ("",) * piece.size
                lines += [f"{value} {weight}".strip() for value, weight in zip(piece.values, weights)]
        return "".join(f"{line}\n" for line in lines)

    def with_teacher_file(self, path):
        """The spectrum with the teacher's omega_I read from a file, one per line (``#`` comments),
        paired in order with the listed eigenvalues (a power law's teacher is its delta).

        Raises
        ------
        SpectrumError
            An unreadable file, a weight that is not a non-negative number, no listed
            eigenvalues, or a count that differs from theirs.
        """
        lines = _lines(path)
        weights = []
        for line_number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if text:
                weights.append((text, _eigenvalue(text, f"{path}, line {line_number} (teacher weight)")))
        listed = [piece for piece in self.pieces if isinstance(piece, Listed)]
        count = sum(piece.size for piece in listed)
        if not listed:
            raise SpectrumError(f"{path}: a teacher spectrum pairs with listed eigenvalues (a spectrum file's lines); "
                                "a power law's teacher is its delta")
        if len(weights) != count:
            raise SpectrumError(f"{path}: {len(weights)} teacher weights for {count} listed eigenvalues")
        pieces, start = [], 0
        for piece in self.pieces:
            if isinstance(piece, Listed):
                texts, numbers = zip(*weights[start:start + piece.size])
                piece = Listed(piece.values, piece.numbers, texts, numbers)
                start += piece.size
            pieces.append(piece)
        return Spectrum(pieces)

    def __add__(self, other):
        if not isinstance(other, Spectrum):
            return NotImplemented
        return Spectrum(self.pieces + other.pieces)

    @property
    def size(self):
        """The number of eigenvalues M (``math.inf`` for an infinite power law)."""
        return sum(piece.size for piece in self.pieces)

    @property
    def teacher(self):
        """Whether some piece weighs the teacher (omega != 1 somewhere): else the teacher is isotropic."""
        return any(piece.teacher for piece in self.pieces)

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
                yield from piece.mp_values()

    def listed_weights(self):
        """The teacher's omega of the listed eigenvalues, in the order of :meth:`listed` (1 where none)."""
        for piece in self.pieces:
            if isinstance(piece, Listed):
                if piece.weights is None:
                    yield from (mpmath.mpf(1),) * piece.size
                else:
                    yield from _mp_values(piece, mpmath.mp.prec, "weight_numbers")

    def power_sum(self, k, j=0):
        """tr Lambda**k = sum_I lambda_I**k, exactly: generalised harmonic numbers, zeta values at
        M = inf, and sums of the exact numbers a file gave. With ``j``, the teacher's
        tr Lambda**k Omega**j = sum_I omega_I**j lambda_I**k.

        A long or steep power law gives its harmonic number unevaluated (still
        exact): :meth:`power_sum_value` evaluates it.

        Parameters
        ----------
        k : int
            A positive integer.

        Raises
        ------
        SpectrumError
            When ``k`` is not a positive integer, or the sum diverges: at
            M = inf it converges only for (1 + alpha) k > 1.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).power_sum(1)
        49/36
        >>> Spectrum.power_law(1, math.inf).power_sum(1)
        pi**2/6
        >>> Spectrum.power_law(1, 10**5).power_sum(1)
        harmonic(100000, 2)
        >>> Spectrum.power_law(1, math.inf).power_sum(0)
        Traceback (most recent call last):
        ...
        largen.diagrams.errors.SpectrumError: tr Lambda**k needs a positive integer k, got 0
        """
        k, j = self._power(k, j)
        return sympy.Add(*[piece.power_sum(k, j) for piece in self.pieces])

    def power_sum_value(self, k, j=0):
        """tr Lambda**k at mpmath's working precision, every digit right, at a cost flat in M.

        A power law's sum is a b = 0 moment of :mod:`largen.solver.numerics.moments` (a direct
        head and an Euler-Maclaurin tail, its exponent held to the bits it
        needs); a list is summed in fixed point.

        Examples
        --------
        >>> with mpmath.workdps(40):  # zeta(1 + 1e-30) = 1e30 + Euler's constant + O(1e-30)
        ...     print(mpmath.nstr(Spectrum.power_law("1e-30", math.inf).power_sum_value(1), 40))
        1000000000000000000000000000000.577215665
        """
        k, j = self._power(k, j)
        return _power_sum_value(tuple(self.pieces), k, j, mpmath.mp.prec)

    def _power(self, k, j=0):
        """The powers (k, j) of a power sum as ints, after refusing a divergent sum."""
        if j:
            j = number(j, what="the power j of tr Lambda**k Omega**j", error=SpectrumError)
            k = number(k, what="the power k of tr Lambda**k Omega**j", error=SpectrumError)
            if not (j.is_integer and j > 0 and k.is_integer and k >= 0):
                raise SpectrumError(f"tr Lambda**k Omega**j needs integers k >= 0 and j > 0, got k = {k}, j = {j}")
            for piece in self.pieces:
                if isinstance(piece, PowerLaw) and piece.size == math.inf and (1 + piece.alpha) * k + piece.delta * j <= 1:
                    raise SpectrumError(f"tr Lambda**{k} Omega**{j} diverges for the {piece}: it needs "
                                        f"(1 + alpha) k + delta j > 1")
            return int(k), int(j)
        try:
            k = number(k, what="the power k of tr Lambda**k", error=SpectrumError)
        except SpectrumError:
            raise SpectrumError(f"tr Lambda**k needs a positive integer k, got {k!r}") from None
        if not (k.is_integer and k > 0):
            raise SpectrumError(f"tr Lambda**k needs a positive integer k, got {k}")
        for piece in self.pieces:
            if isinstance(piece, PowerLaw) and piece.size == math.inf and (1 + piece.alpha) * k <= 1:
                raise SpectrumError(f"tr Lambda**{k} diverges for the {piece}: it needs (1 + alpha) k > 1")
        return int(k), 0

    def array(self):
        """The eigenvalues as float64 (a finite spectrum only)."""
        if self.size == math.inf:
            raise SpectrumError("a simulation needs a finite spectrum (M = inf given)")
        return np.concatenate([piece.float_values() for piece in self.pieces])

    def teacher_array(self):
        """The teacher's omega_I as float64, in the order of :meth:`array` (a finite spectrum only).

        Examples
        --------
        >>> Spectrum.power_law(1, 3, delta=1).teacher_array().tolist()
        [1.0, 0.5, 0.3333333333333333]
        """
        if self.size == math.inf:
            raise SpectrumError("a simulation needs a finite spectrum (M = inf given)")
        return np.concatenate([piece.float_weights() for piece in self.pieces])

    def check(self, orders):
        """Refuse (SpectrumError) moments that diverge: at M = inf, a power law's
        sum_I omega_I**w lambda_I**a (lambda_I + p)**-b needs (1 + alpha) a + w delta > 1.

        Examples
        --------
        >>> Spectrum.power_law(1, math.inf, delta="-1.5").check([(1, 1, 1)])
        Traceback (most recent call last):
        ...
        largen.diagrams.errors.SpectrumError: sum_I omega_I lambda_I**1 (lambda_I + p)**-1 diverges for the power law alpha = 1, M = inf, delta = -3/2: it needs (1 + alpha)*1 + delta > 1
        """
        for piece in self.pieces:
            for a, b, *w in orders:
                weighted = w == [1]
                if piece.divergent(a, weighted):
                    what = "omega_I " if weighted else ""
                    need = f"(1 + alpha)*{a}" + (" + delta" if weighted else "")
                    raise SpectrumError(f"sum_I {what}lambda_I**{a} (lambda_I + p)**-{b} diverges for the {piece}: "
                                        f"it needs {need} > 1")

    def moments(self, p, orders, split=1):
        """The moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b at mpmath's working precision,
        and for an order (a, b, 1) the teacher's sum_I omega_I lambda_I**a (lambda_I + p)**-b.

        Parameters
        ----------
        p : mpf
            The pole, p > 0.
        orders : iterable of (a, b) or (a, b, w)
            Non-negative integers; w = 1 weighs by the teacher's omega_I.
        split : number
            A factor on the length of a power law's direct head: two splits
            that agree certify the Euler-Maclaurin tails.

        Returns
        -------
        dict
            ``order -> T_ab(p)``.

        Raises
        ------
        SpectrumError
            A pole that is not positive, or a divergent sum (a = 0 at M = inf).
        CostError
            The working precision asks for more than ``largen.solver.numerics.moments.MAX_SECONDS``.

        Examples
        --------
        >>> with mpmath.workdps(30):
        ...     T = Spectrum.power_law(1, math.inf).moments(mpmath.mpf(1), [(1, 1)])
        >>> mpmath.nstr(T[1, 1], 25)  # sum 1/(1 + I**2) = (pi coth(pi) - 1)/2
        '1.076674047468581174134051'
        """
        p = mpmath.mpf(p)
        if not 0 < p < mpmath.inf:
            raise SpectrumError(f"the moments need a positive pole, got p = {p}")
        orders = sorted(set(orders))
        if self.size == math.inf and any(order[0] == 0 and order[2:] != (1,) for order in orders):
            raise SpectrumError("sum_I (lambda_I + p)**-b diverges at M = inf")
        self.check(orders)
        totals = {order: mpmath.mpf(0) for order in orders}
        with mpmath.workprec(mpmath.mp.prec + 10):
            for piece in self.pieces:
                for order, value in piece.moments(p, orders, split).items():
                    totals[order] += value
        return {order: +value for order, value in totals.items()}

    def approximate_moments(self, p, orders):
        """The moments in float64, to about twelve digits: a starting point, not a result
        (an order (a, b, 1): the teacher's weighted one).

        Each piece is a float64 quadrature: the eigenvalues of a direct head,
        then the continuum approximation of a long power law's tail.

        Returns
        -------
        dict or None
            ``(a, b) -> T_ab(p)``; None when float64 cannot hold the moments
            (an overflow, a pole that underflowed to 0, or one too small for the
            quadrature of an infinite tail): start in mpmath then.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).approximate_moments(1.0, [(1, 0)])
        {(1, 0): 1.3611111111111112}
        >>> Spectrum.power_law(1, 3, lam_plus="1e300").approximate_moments(1.0, [(2, 0)]) is None
        True
        """
        if not 0 < p < math.inf:
            return None
        orders = sorted(set(orders))
        totals = {order: 0.0 for order in orders}
        for piece in self.pieces:
            found = piece.approximate_moments(p, orders)
            if found is None:
                return None
            for order, value in found.items():
                totals[order] += value
        return totals if all(math.isfinite(v) for v in totals.values()) else None

    def __repr__(self):
        return "Spectrum(" + " + ".join(map(str, self.pieces)) + ")"


@lru_cache(maxsize=64)
def _power_sum_value(pieces, k, j, prec):
    """sum over the pieces of sum_I omega_I**j lambda_I**k at ``prec`` bits: found once per spectrum and
    precision (a point with an activation needs tr Lambda at every bind)."""
    with mpmath.workprec(prec + 10):
        total = mpmath.fsum(piece.power_sum_value(k, j) for piece in pieces)
    with mpmath.workprec(prec):
        return +total


def _exact_text(value):
    """An exact rational as text the number reader reads back: a decimal where it terminates, else p/q.

    Examples
    --------
    >>> _exact_text(sympy.Rational(3, 8)), _exact_text(sympy.Rational(-1, 3)), _exact_text(sympy.Integer(7))
    ('0.375', '-1/3', '7')
    """
    q, twos, fives = value.q, 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1 or value.q == 1:
        return str(value)
    places = max(twos, fives)
    digits = str(abs(value.p) * 10**places // value.q).rjust(places + 1, "0")
    return ("-" if value.p < 0 else "") + f"{digits[:-places]}.{digits[-places:]}"


def _lines(path):
    """The lines of a UTF-8 spectrum file."""
    if not isinstance(path, (str, os.PathLike)):
        raise SpectrumError(f"a spectrum file is a path, got {type(path).__name__}")
    try:
        with open(path, encoding="utf-8-sig") as handle:  # a byte-order mark is UTF-8 too
            return handle.read().splitlines()
    except OSError as exc:
        raise SpectrumError(f"cannot read spectrum file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SpectrumError(f"spectrum file {path} is not UTF-8 text (byte {exc.start})") from None


def _significant_digits(text):
    """Significant digits of a decimal: '0.0250' has 3, '1e-3' has 1."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    return max(1, len(mantissa))


def _power_law_line(text, where):
    """A spectrum file's ``power_law alpha=A M=SIZE [lam_plus=L] [delta=D]`` line."""
    fields = {}
    for item in text.split()[1:]:
        key, sep, value = item.partition("=")
        if not sep or key not in ("alpha", "M", "lam_plus", "delta") or key in fields:
            raise SpectrumError(f"{where}: expected power_law alpha=A M=SIZE [lam_plus=L] [delta=D], got {text!r}")
        fields[key] = value
    if text.split()[0] != "power_law" or "alpha" not in fields or "M" not in fields:
        raise SpectrumError(f"{where}: expected power_law alpha=A M=SIZE [lam_plus=L] [delta=D], got {text!r}")
    try:
        return Spectrum.power_law(fields["alpha"], fields["M"], fields.get("lam_plus", 1), fields.get("delta", 0))
    except SpectrumError as exc:
        raise SpectrumError(f"{where}: {exc}") from None
