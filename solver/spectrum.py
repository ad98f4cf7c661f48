"""Latent covariance spectra: the eigenvalues lambda_I of Lambda, and sums over them.

A spectrum is either a power law lambda_I = lam_plus * I**-(1+alpha), I = 1..M
(M may be infinite when alpha > 0), or an explicit list of eigenvalues, kept as
the decimal text it was given in so that it can be read at any precision.

Spectral sums sum_I f(lambda_I) are taken term by term for a short spectrum.
For a long or infinite power law they are a direct head, I <= HEAD, plus the
Euler-Maclaurin sum of the tail (mpmath.sumem: the integral, the endpoint
terms and the Bernoulli corrections, with an error estimate). The summand
depends on I only through lambda_I/Delta, a smooth function of log I, so its
derivatives at the head's end are of order 1/HEAD**n whatever the
renormalised ridge Delta is: the cost depends neither on M nor on Delta.
(mpmath's default nsum is not used: it is silently wrong for these sums.)
"""

import math

import mpmath
import numpy as np
import sympy

from diagrams.errors import SpectrumError
from diagrams.symbols import number


DIRECT = 2000  # spectra up to this size are summed term by term
HEAD = 100  # terms summed directly before the Euler-Maclaurin tail (40 was seen to lose digits)


class Spectrum:
    """A covariance spectrum; build it with :meth:`power_law` or :meth:`from_file`."""

    def __init__(self, *, alpha=None, size=None, lam_plus=1, values=None):
        self.alpha, self.size, self.lam_plus = alpha, size, lam_plus
        self.values = values

    @classmethod
    def power_law(cls, alpha, M, lam_plus=1):
        """lambda_I = lam_plus * I**-(1+alpha), I = 1..M; ``M`` may be ``math.inf``.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).array().tolist()
        [1.0, 0.25, 0.1111111111111111]
        >>> Spectrum.power_law(0, math.inf)
        Traceback (most recent call last):
        ...
        diagrams.errors.SpectrumError: power law with alpha = 0 and M = inf: the spectral sums diverge (alpha must be > 0)
        """
        alpha = float(number(alpha, what="alpha", error=SpectrumError))
        lam_plus = float(number(lam_plus, what="lam_plus", error=SpectrumError))
        M = number(M, what="M", error=SpectrumError) if M != math.inf else sympy.oo
        if M == sympy.oo:
            if alpha <= 0:
                raise SpectrumError(
                    f"power law with alpha = {alpha:g} and M = inf: the spectral sums diverge (alpha must be > 0)"
                )
            M = math.inf
        elif not M.is_integer or M <= 0:
            raise SpectrumError(f"M must be a positive integer or inf, got {M}")
        else:
            M = int(M)
        if lam_plus <= 0:
            raise SpectrumError(f"lam_plus must be positive, got {lam_plus:g}")
        return cls(alpha=alpha, size=M, lam_plus=lam_plus)

    @classmethod
    def from_file(cls, path):
        """One eigenvalue per line; blank lines and ``#`` comments are skipped."""
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise SpectrumError(f"cannot read spectrum file {path}: {exc.strerror}") from None
        values = []
        for line_number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                raise SpectrumError(f"{path}, line {line_number}: {text!r} is not a number") from None
            if not math.isfinite(value) or value < 0:
                raise SpectrumError(f"{path}, line {line_number}: eigenvalue {text} is not a non-negative number")
            values.append(text)
        if not values:
            raise SpectrumError(f"{path}: no eigenvalues")
        return cls(size=len(values), values=tuple(values))

    @property
    def is_power_law(self):
        return self.values is None

    def power_sum(self, k):
        """tr Lambda**k = sum_I lambda_I**k, exactly: a generalised harmonic number,
        a zeta value at M = inf, or a sum of the rationals the file gave.

        Examples
        --------
        >>> Spectrum.power_law(1, 3).power_sum(1)
        49/36
        >>> Spectrum.power_law(1, math.inf).power_sum(1)
        pi**2/6
        """
        if not self.is_power_law:
            return sympy.Add(*[sympy.Rational(v) ** k for v in self.values])
        lam_plus = sympy.nsimplify(self.lam_plus)
        exponent = (1 + sympy.nsimplify(self.alpha)) * k
        if self.size == math.inf:
            return lam_plus**k * sympy.zeta(exponent)
        return lam_plus**k * sympy.harmonic(self.size, exponent)

    def mp_values(self):
        """The eigenvalues at mpmath's working precision (a file's decimals are read as text)."""
        if self.size == math.inf:
            raise SpectrumError("an infinite spectrum cannot be listed (M = inf)")
        if self.is_power_law:
            lam_plus, exponent = mpmath.mpf(self.lam_plus), -(1 + mpmath.mpf(self.alpha))
            return [lam_plus * mpmath.mpf(i) ** exponent for i in range(1, self.size + 1)]
        return [mpmath.mpf(v) for v in self.values]

    def array(self, limit=None):
        """The eigenvalues as float64; with ``limit``, at most the ``limit`` largest of a power law."""
        if self.size == math.inf and limit is None:
            raise SpectrumError("a simulation needs a finite spectrum (M = inf given)")
        if self.is_power_law:
            count = self.size if limit is None else min(self.size, limit)
            return self.lam_plus * np.arange(1, count + 1, dtype=float) ** -(1 + self.alpha)
        return np.array([float(v) for v in self.values])

    def sums(self, functions, head=None):
        """sum_I f(lambda_I) for each function, at mpmath's working precision.

        A long power law is summed as a direct head of ``head`` terms (default
        HEAD) and an Euler-Maclaurin tail; a finite M cuts off a second tail.
        Changing ``head`` changes every term of the tail computation: two
        heads that agree certify the sums.
        """
        if not self.is_power_law or self.size <= DIRECT:
            totals = [mpmath.mpf(0)] * len(functions)
            for lam in self.mp_values():
                totals = [t + f(lam) for t, f in zip(totals, functions)]
            return totals
        head = head or HEAD
        lam_plus, exponent = mpmath.mpf(self.lam_plus), -(1 + mpmath.mpf(self.alpha))
        eigenvalues = [lam_plus * mpmath.mpf(i) ** exponent for i in range(1, head + 1)]
        totals = []
        for f in functions:
            term = lambda i, f=f: f(lam_plus * i**exponent)  # noqa: E731
            # tails run to infinity, where the Euler-Maclaurin formula needs no derivatives at the far end
            tail = mpmath.sumem(term, [head + 1, mpmath.inf])
            if self.size != math.inf:
                tail -= mpmath.sumem(term, [self.size + 1, mpmath.inf])
            totals.append(mpmath.fsum(f(lam) for lam in eigenvalues) + tail)
        return totals

    def __repr__(self):
        if self.is_power_law:
            return f"Spectrum.power_law(alpha={self.alpha:g}, M={self.size}, lam_plus={self.lam_plus:g})"
        return f"Spectrum(<{self.size} eigenvalues>)"
