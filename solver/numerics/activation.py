"""Activations and their Gaussian-equivalence coefficients, to full precision.

Features s(g) of a pre-activation g ~ N(0, v) act in the planar limit like
mu_0 + mu_1 g + mu_star xi (:func:`largen.diagrams.engine.model.gaussian_equivalent`), with

    mu_0 = E s(g),   mu_1 = E[g s(g)] / v,   mu_star**2 = E s(g)**2 - mu_0**2 - mu_1**2 v.

mu_1 is the coefficient per unit of the pre-activation, whatever its variance
(for unit variance, mu_1 = E[g s(g)], Mei and Montanari's convention). The
three Gaussian moments come from closed forms where mpmath has them (linear,
ReLU, erf, monomials x^k) and from quadrature otherwise (tanh, any Python
function); every value is checked: a closed form against an independent
quadrature, a quadrature against itself at a higher precision.

Examples
--------
>>> import mpmath
>>> c = coefficients("relu", 1, dps=20)
>>> mpmath.nstr(c.mu_1, 15), mpmath.nstr(c.mu_star2, 15)
('0.5', '0.0908450569081047')
>>> mpmath.nstr(coefficients("tanh", 1, dps=20).mu_1, 15)
'0.605705509602159'
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
from scipy import special

from largen.diagrams.errors import ParameterError, SolverError

__all__ = ["Activation", "Coefficients", "activation", "coefficients", "NAMES"]

NAMES = ("linear", "relu", "tanh", "erf", "x^K")  # K a positive integer
MAX_POWER = 12  # x^K: beyond, float64 and the moments (2K-1)!! grow past what the Monte Carlo holds
_MONOMIAL = re.compile(r"x(?:\^|\*\*)([1-9][0-9]*)")


@dataclass(frozen=True)
class Activation:
    """An activation s: its name, s on mpmath numbers, s on numpy arrays, its kinks, its closed forms.

    ``closed`` is None or maps the variance v to (E s(g), E[g s(g)], E s(g)**2)
    at mpmath's working precision; ``kinks`` are the points where s is not
    smooth, at which the quadrature splits its interval.
    """

    name: str
    function: object
    array: object
    kinks: tuple = ()
    closed: object = None

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Coefficients:
    """The Gaussian-equivalence coefficients of an activation at pre-activation variance ``variance``."""

    activation: str
    variance: object
    mu_0: object
    mu_1: object
    mu_star2: object
    method: str

    @property
    def mu_star(self):
        return mpmath.sqrt(self.mu_star2)

    def as_dict(self, digits=15):
        return {"activation": self.activation, "variance": mpmath.nstr(self.variance, digits),
                "mu_0": mpmath.nstr(self.mu_0, digits), "mu_1": mpmath.nstr(self.mu_1, digits),
                "mu_star": mpmath.nstr(self.mu_star, digits), "method": self.method}


def _monomial(k):
    def moment(n, v):  # E g**n for g ~ N(0, v)
        return mpmath.mpf(0) if n % 2 else v ** (n // 2) * mpmath.fac2(n - 1)

    return Activation(f"x^{k}", lambda x: x**k, lambda x: x**k, (),
                      lambda v: (moment(k, v), moment(k + 1, v), moment(2 * k, v)))


def _relu_moments(v):
    return mpmath.sqrt(v / (2 * mpmath.pi)), v / 2, v / 2


def _erf_moments(v):
    # Stein: E[g erf(g)] = v E erf'(g); E erf(g)**2 is the arcsine kernel at equal arguments
    return mpmath.mpf(0), 2 * v / mpmath.sqrt(mpmath.pi * (1 + 2 * v)), 2 / mpmath.pi * mpmath.asin(2 * v / (1 + 2 * v))


_NAMED = {
    "linear": Activation("linear", lambda x: x, lambda x: x, (), lambda v: (mpmath.mpf(0), v, v)),
    "relu": Activation("relu", lambda x: x if x > 0 else 0 * x, lambda x: np.maximum(x, 0.0), (0,), _relu_moments),
    "tanh": Activation("tanh", mpmath.tanh, np.tanh),
    "erf": Activation("erf", mpmath.erf, special.erf, (), _erf_moments),
}


def activation(spec):
    """The :class:`Activation` named by ``spec`` (one of :data:`NAMES`), or a Python function's.

    A Python function must take and return a real number; it is integrated by
    quadrature (split at 0), called with mpmath numbers for the coefficients
    and with numpy arrays (or element by element) by the Monte Carlo.

    Examples
    --------
    >>> activation("x^3").name, activation("relu").kinks
    ('x^3', (0,))
    >>> activation("softsign")
    Traceback (most recent call last):
    ...
    largen.diagrams.errors.ParameterError: unknown activation 'softsign' (one of linear, relu, tanh, erf, x^K for an integer K from 1 to 12, or a Python function)
    """
    if isinstance(spec, Activation):
        return spec
    if callable(spec):
        name = getattr(spec, "__name__", "function")
        return Activation(name if name.isidentifier() else "function", spec, _elementwise(spec), (0,))
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in _NAMED:
            return _NAMED[text]
        match = _MONOMIAL.fullmatch(text)
        if match and int(match.group(1)) <= MAX_POWER:
            k = int(match.group(1))
            return _NAMED["linear"] if k == 1 else _monomial(k)
    names = ", ".join(NAMES[:-1])
    raise ParameterError(f"unknown activation {str(spec)[:40]!r} (one of {names}, x^K for an integer K "
                         f"from 1 to {MAX_POWER}, or a Python function)")


def _elementwise(function):
    """A function on numpy arrays: the function itself where it takes arrays, else element by element."""
    def apply(x):
        try:
            y = np.asarray(function(x), dtype=float)
            if y.shape == np.shape(x):
                return y
        except Exception:  # a scalar function: any failure on an array means "call it per element"
            pass
        return np.vectorize(lambda t: float(function(t)), otypes=[float])(x)
    return apply


def _gaussian_moments(act, v):
    """(E s, E g s, E s**2) for g ~ N(0, v) by tanh-sinh quadrature at the working precision, split at the kinks."""
    scale = mpmath.sqrt(v)
    cuts = sorted({mpmath.mpf(k) / scale for k in act.kinks})
    interval = [-mpmath.inf, *cuts, mpmath.inf]
    norm = 1 / mpmath.sqrt(2 * mpmath.pi)

    def moment(weight):
        def integrand(t):
            return weight(act.function(scale * t), scale * t) * mpmath.exp(-t * t / 2)
        return norm * mpmath.quad(integrand, interval)

    return (moment(lambda s, g: s), moment(lambda s, g: g * s), moment(lambda s, g: s * s))


def _quadrature(act, v, dps):
    """The moments by quadrature, at dps + 10 and dps + 20 digits; SolverError unless they agree to dps."""
    found = []
    for guard in (10, 20):
        with mpmath.workdps(dps + guard):
            try:
                found.append([mpmath.mpf(x) for x in _gaussian_moments(act, mpmath.mpf(v))])
            except Exception as exc:  # a user's function may fail in any way: it is their input
                raise ParameterError(f"activation {act.name} cannot be integrated: {exc!r}"[:200]) from None
    with mpmath.workdps(dps + 20):
        # each moment against its natural scale: |E s| and |E g s| / sqrt(v) are at most sqrt(E s**2)
        scale = mpmath.sqrt(abs(found[1][2]))
        for a, b, unit in zip(*found, (scale, scale * mpmath.sqrt(v), scale**2)):
            if not (mpmath.isfinite(b) and abs(a - b) <= unit * mpmath.mpf(10) ** -dps):
                raise SolverError(f"the Gaussian moments of activation {act.name} do not settle to {dps} digits "
                                  "(a kink away from 0, a singularity, or too fast a growth)")
    return found[1]


def coefficients(spec, variance, dps=30):
    """mu_0, mu_1 and mu_star**2 of an activation at pre-activation variance ``variance``, to ``dps`` digits.

    Parameters
    ----------
    spec : str, Activation or callable
        See :func:`activation`.
    variance : number
        The variance v > 0 of the pre-activation g (an exact number or an mpf).
    dps : int
        Decimal digits of the coefficients.

    Returns
    -------
    Coefficients
        mpf values at ``dps`` + 10 digits. mu_star**2 below 10**-dps times
        E s**2 (a linear activation integrated numerically) is set to 0.

    Raises
    ------
    ParameterError
        An unknown activation or a variance that is not positive and finite.
    SolverError
        A closed form that disagrees with its quadrature, or a quadrature that does not settle.

    Examples
    --------
    >>> c = coefficients("erf", "0.5", dps=25)
    >>> mpmath.nstr(c.mu_1, 20), c.method
    ('0.79788456080286535588', 'closed form, checked by quadrature')
    >>> coefficients(lambda x: x, 2).mu_star2
    mpf('0.0')
    """
    act = activation(spec)
    with mpmath.workdps(dps + 20):
        try:
            v = mpmath.mpf(variance)
        except (TypeError, ValueError):
            try:
                v = mpmath.mpf(str(variance))
            except ValueError:
                raise ParameterError(f"the pre-activation variance must be a number, got {variance!r}"[:200]) from None
        if not (mpmath.isfinite(v) and v > 0):
            raise ParameterError(f"the pre-activation variance must be positive and finite, got {mpmath.nstr(v, 6)}")
    return _coefficients(act, v, dps)


@lru_cache(maxsize=256)
def _coefficients(act, v, dps):
    """:func:`coefficients` of an Activation at an mpf variance: cached, for a sweep at one variance."""
    if act.closed is not None:
        with mpmath.workdps(dps + 20):
            moments = [mpmath.mpf(x) for x in act.closed(v)]
        with mpmath.workdps(20):
            check = _gaussian_moments(act, v)
            scale = mpmath.sqrt(abs(moments[2]))  # |E s|, |E g s| / sqrt(v) are at most sqrt(E s**2)
            for a, b, unit in zip(moments, check, (scale, scale * mpmath.sqrt(v), moments[2])):
                if abs(a - b) > unit * mpmath.mpf(10) ** -12:
                    raise SolverError(f"the closed form of activation {act.name} disagrees with its quadrature")
        method = "closed form, checked by quadrature"
    else:
        moments = _quadrature(act, v, dps)
        method = "quadrature, checked at a second precision"
    with mpmath.workdps(dps + 10):
        mean, linear, square = (+x for x in moments)
        mu_1 = linear / v
        mu_star2 = square - mean**2 - mu_1**2 * v
        if abs(mu_star2) <= square * mpmath.mpf(10) ** -dps:
            mu_star2 = mpmath.mpf(0)
        if mu_star2 < 0:
            raise SolverError(f"activation {act.name}: E s**2 < mu_0**2 + mu_1**2 v, which no function allows")
        return Coefficients(act.name, +v, mean, mu_1, mu_star2, method)
