"""Spectral sums sum_I f(lambda_I) over the latent eigenvalues, and their forms.

The planar theory meets the covariance Lambda only through sums over its
eigenvalues. A summand is written in the symbol ``EIGENVALUE`` (lambda); the
sum over the latent space of size M is a sympy ``Sum`` over ``INDEX`` of the
summand at ``EIGENVALUES[INDEX]``. The forms of a spectral sum used downstream
live here too: the power sums tr Lambda**k (:func:`covariance_trace`), the
effective dimensions n_k = sum_I (lambda_I/(lambda_I + Delta))**k of the
ridgeless limit, and the moments of a single-pole summand
(:func:`moment_form`) that the numerical solver evaluates.

Examples
--------
>>> M = sympy.Symbol("M", positive=True, integer=True)
>>> spectral_sum(EIGENVALUE**2, M)
Sum(lambda[I]**2, (I, 1, M))
"""

from functools import cache

import sympy

from .errors import SolverError

__all__ = [
    "EIGENVALUE", "SOURCE", "INDEX", "EIGENVALUES", "DELTA",
    "spectral_sum", "CovarianceTrace", "covariance_trace", "effective_dimension", "moment_form",
]

EIGENVALUE = sympy.Symbol("lambda", positive=True)  # a latent eigenvalue, inside spectral sums
SOURCE = sympy.Symbol("beta")  # the source of the test loss
INDEX = sympy.Symbol("I", integer=True, positive=True)
EIGENVALUES = sympy.IndexedBase("lambda", positive=True)
DELTA = sympy.Symbol("Delta", positive=True)  # the renormalised ridge


def spectral_sum(summand, size):
    """sum_{I=1}^{size} summand(lambda_I), for a summand written in ``EIGENVALUE``."""
    return sympy.Sum(summand.subs(EIGENVALUE, EIGENVALUES[INDEX]), (INDEX, 1, size))


class CovarianceTrace(sympy.Function):
    """tr C**k for a diagonal covariance C: the spectral power sum sum_I lambda_I**k."""

    nargs = 1
    covariance = "Lambda"

    def _latex(self, printer, exp=None):
        k = printer._print(self.args[0])
        tex = rf"\operatorname{{tr}}{sympy.latex(sympy.Symbol(self.covariance))}^{{{k}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def covariance_trace(name="Lambda"):
    """The sympy function ``tr_<name>`` with ``tr_<name>(k) = tr <name>**k``.

    Examples
    --------
    >>> tr = covariance_trace()
    >>> tr(2), sympy.latex(tr(2))
    (tr_Lambda(2), '\\\\operatorname{tr}\\\\Lambda^{2}')
    >>> covariance_trace("Lambda") is tr
    True
    """
    return _covariance_trace_class(name)


@cache
def _covariance_trace_class(name):
    # one class per covariance name, so that equal traces compare equal
    return type(f"tr_{name}", (CovarianceTrace,), {"covariance": name})


def effective_dimension(k):
    """The symbol n_k = sum_I (lambda_I/(lambda_I + Delta))**k."""
    return sympy.Symbol(f"n{k}", positive=True)


def moment_form(summand):
    """A spectral summand as moments: sum_I f(lambda_I) = sum_j c_j T_{j,b}(p).

    ``f`` must be rational in lambda with at most one pole, -p: then
    f = sum_j c_j lambda**j / (lambda + p)**b, and its sum over the spectrum is a
    combination of the moments T_ab(p) = sum_I lambda_I**a (lambda_I + p)**-b of
    :meth:`solver.spectrum.Spectrum.moments`.

    Returns
    -------
    (p, b, {j: c_j})

    Examples
    --------
    >>> lam = EIGENVALUE
    >>> x = sympy.Symbol("x", positive=True)
    >>> moment_form(lam / (x * lam + 1))
    (1/x, 1, {1: 1/x})
    """
    numerator, denominator = sympy.fraction(sympy.cancel(sympy.together(summand)))
    _, factors = sympy.factor_list(denominator, EIGENVALUE)
    poles = [(f, m) for f, m in factors if f.has(EIGENVALUE)]
    if len(poles) > 1 or any(sympy.degree(f, EIGENVALUE) != 1 for f, _ in poles):
        raise SolverError(f"the spectral summand {summand} has more than one pole in {EIGENVALUE}: "
                          "the solver sums single-pole summands only")
    if poles:
        (factor, b), = poles
        k1, k0 = sympy.Poly(factor, EIGENVALUE).all_coeffs()
        p = sympy.cancel(k0 / k1)
    else:
        p, b = sympy.Integer(1), 0
    scale = sympy.cancel(denominator / (EIGENVALUE + p) ** b)
    coefficients = sympy.Poly(numerator, EIGENVALUE).as_dict()
    return p, b, {j: sympy.cancel(c / scale) for (j,), c in coefficients.items()}
